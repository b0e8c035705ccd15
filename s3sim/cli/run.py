"""``s3sim``: the Hydra app that runs experiments (``s3sim -m experiment=compare_policies``).

Usage::

    s3sim                                          # one job: default scenario, no policy
    s3sim policy=smart_specialisation replications=5
    s3sim -m experiment=compare_policies           # a study: sweep, gather, report
    s3sim -m experiment=compare_policies hydra/launcher=ray
    s3sim report results/compare_policies          # (re)build a sweep's tables and report
    s3sim --help                                   # Hydra's help: groups and options

Errors in the configuration (unknown keys, wrong types, out-of-range values, a missing
data file), output folders that cannot be written (permissions, a file on the path, a
full disk) or that hold files s3sim did not write print one ``s3sim: error: ...`` line
on stderr and exit with status 2; set ``HYDRA_FULL_ERROR=1`` for the full traceback.
In a multirun a failing job is recorded (``FAILED.json``) and the others continue; the
exit status is 1 if any failed or the sweep could not be gathered. Ctrl-C exits with
status 130; finished jobs keep their ``DONE.json`` and are reused by a rerun.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["format_error", "main"]

PROG = "s3sim"
_STATE: dict[str, Any] = {}


def _one_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    out: list[str] = []
    options: list[str] = []
    for ln in lines:
        if ln.startswith(("Set the environment variable HYDRA_FULL_ERROR", "object_type=",
                          "reference_type=", "Traceback")):
            continue
        if options or ln.lower().startswith("available options"):
            if ln.lower().startswith("available options"):
                out.append(ln.rstrip(":").lower())
            else:
                options.append(ln)
            continue
        out.append(ln.rstrip("."))
    text = "; ".join(out)
    if options:
        text += ": " + ", ".join(options)
    return re.sub(r"\s+", " ", text)


def format_error(exc: BaseException) -> str:
    """One line describing a configuration error (Hydra, OmegaConf or s3sim)."""
    from hydra.errors import MissingConfigException

    if isinstance(exc, MissingConfigException) and exc.options:
        first = str(exc).strip().splitlines()[0].rstrip(".")
        missing = exc.missing_cfg_file or ""
        group = f" in '{missing.rsplit('/', 1)[0]}'" if "/" in missing else ""
        options = list(exc.options)
        return f"{first}; available options{group}: {', '.join(options)}"
    msg = _one_line(str(exc))
    cause = exc.__cause__
    if cause is not None and str(cause).strip():
        extra = _one_line(str(cause))
        if extra and extra not in msg and "Config search path" not in extra:
            msg = f"{msg}; {extra}"
    return msg or type(exc).__name__


def _user_errors() -> tuple[type[BaseException], ...]:
    from hydra.errors import HydraException, MissingConfigException, OverrideParseException
    from omegaconf.errors import OmegaConfBaseException

    from s3sim.config import ConfigError
    from s3sim.io import DataError

    return (ConfigError, DataError, HydraException, MissingConfigException,
            OverrideParseException, OmegaConfBaseException)


def _task(cfg: Any) -> Any:
    """The Hydra task: one job (single run or one job of a multirun)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from s3sim.experiments.job import run_experiment

    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    if not multirun:
        from s3sim.config import ConfigError
        from s3sim.experiments.job import job_configs

        try:  # fail fast, before the job directory is written, with one line
            job_configs(cfg)
        except ConfigError as exc:
            if os.environ.get("S3SIM_FULL_ERROR"):
                raise
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            sys.exit(2)
    if cfg.get("study") is not None:  # experiment=calibration / sensitivity
        from s3sim.calibration.hydra_study import run_study

        _STATE["study"] = record = run_study(cfg)
        return record
    if multirun:
        return run_experiment(cfg, raise_errors=False)
    user_errors = ("ConfigError", "DataError", "OutputError")
    try:
        record = run_experiment(cfg, raise_errors=True)
    except Exception as exc:
        if os.environ.get("S3SIM_FULL_ERROR") or type(exc).__name__ not in user_errors:
            raise
        from hydra.core.hydra_config import HydraConfig

        where = HydraConfig.get().runtime.output_dir
        print(f"{PROG}: error: {' '.join(str(exc).split())} (recorded in "
              f"{where}/FAILED.json)", file=sys.stderr)
        sys.exit(2)
    _STATE["single_run"] = record
    return record


def _report_command(argv: list[str]) -> int:
    import argparse

    from s3sim.experiments.sweep import gather_or_fail

    parser = argparse.ArgumentParser(
        prog=f"{PROG} report",
        description="Gather a sweep directory into sweep.parquet / effects.parquet and write "
                    "report.md with figures (what a multirun does at its end).")
    parser.add_argument("sweep_dir", type=Path)
    parser.add_argument("--all-jobs", action="store_true",
                        help="include every job directory, not only the last sweep's")
    args = parser.parse_args(argv)
    if not args.sweep_dir.is_dir():
        parser.error(f"{args.sweep_dir} is not a directory")
    summary = gather_or_fail(args.sweep_dir, only_last_sweep=not args.all_jobs)
    if summary.error is not None and not summary.jobs:
        print(f"{PROG} report: error: {summary.error}", file=sys.stderr)
        return 2
    print(summary.message())
    return 0 if summary.ok else 1


def _interrupted() -> int:
    print(f"{PROG}: interrupted; finished jobs keep their DONE.json and are reused when you "
          "rerun the same command", file=sys.stderr)
    return 130


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``s3sim`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ["S3SIM_MAIN_PID"] = str(os.getpid())  # workers exit when this process dies
    if argv[:1] == ["report"]:
        try:
            sys.exit(_report_command(argv[1:]))
        except KeyboardInterrupt:
            sys.exit(_interrupted())
    import warnings

    # loky replaces a worker whose memory grew after a large job; harmless, and noisy
    warnings.filterwarnings("ignore", message="A worker stopped while some jobs were given")

    import hydra

    from s3sim.experiments.job import CONFIG_DIR

    full_error = bool(os.environ.get("HYDRA_FULL_ERROR"))
    if full_error:
        os.environ["S3SIM_FULL_ERROR"] = "1"
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us instead of Hydra's printer
    app = hydra.main(config_path=str(CONFIG_DIR), config_name="config",
                     version_base="1.3")(_task)
    sys.argv = [PROG, *argv]
    _STATE.clear()
    from s3sim.experiments.sweep import LAST_SUMMARY

    LAST_SUMMARY.clear()
    try:
        app()
    except _user_errors() as exc:
        if full_error:
            raise
        print(f"{PROG}: error: {format_error(exc)}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:
        if full_error:
            raise
        from s3sim.io import describe_os_error

        print(f"{PROG}: error: {describe_os_error(exc)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        if full_error:
            raise
        sys.exit(_interrupted())
    finally:
        if not full_error:
            os.environ.pop("HYDRA_FULL_ERROR", None)
    if (study := _STATE.get("study")) is not None:
        print(f"{PROG}: {study['message']}")
        return
    sweep = LAST_SUMMARY[0] if LAST_SUMMARY else None
    if sweep is not None:
        print(sweep.message())
        if not sweep.ok:
            sys.exit(1)
    single = _STATE.get("single_run")
    if single is not None:
        where = Path(single["job_dir"]).relative_to(Path.cwd(), walk_up=True)
        print(f"{PROG}: {single['status']}: {len(single.get('seeds', []))} seed(s) in "
              f"{single.get('elapsed_s', 0):.1f} s -> {where}/result")


if __name__ == "__main__":
    main()
