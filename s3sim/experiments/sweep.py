"""Gathering a multirun: one tidy table, paired policy effects, failures and a report.

A sweep directory (``results/<experiment>/`` by default) holds one directory per
Hydra job (see :mod:`s3sim.experiments.job`), ``sweep.json`` (the id of the latest
multirun, written when it starts) and, after :func:`build_sweep_report`::

    sweep.parquet     one row per job x seed x step x region: the model's ``regions``
                      table plus ``job``, ``scenario`` and every swept parameter
    jobs.csv          one row per job: status, error, elapsed seconds, parameters
    effects.parquet   one row per (policy job, seed, region): paired policy-minus-
                      baseline effects (:func:`s3sim.experiments.evaluation.paired_effects`)
    effects_summary.csv
                      mean effect and 95 % CI across seeds per job and region type
    report.md, figures/*.png

Pairing: each job whose policy is not ``none`` is compared with the ``none`` job that
has the same value of every swept parameter outside ``policy.*`` (same scenario,
product space and seeds), so both ran on the same seeds with common random numbers.

Integrity (docs/reliability.md): the sweep folder carries ``.s3sim-output.json``
(tool, version, SHA-256 of every gathered file it wrote); a folder holding files
s3sim did not write is refused before anything runs. Gathering verifies each job's
result files against the checksums in its ``DONE.json`` (a mismatch makes the job
``failed``), removes the previous gathered tables first (so a failed gathering never
leaves stale ones), and raises :class:`SweepError` with one line when the sweep
cannot be gathered at all.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback

from s3sim.experiments.job import (
    CONFIG_FILE,
    DONE_FILE,
    FAILED_FILE,
    RESULT_DIR,
    SWEEP_FILE,
    verify_result,
)
from s3sim.io import (
    OWNER_MARKER,
    DataError,
    OutputError,
    file_digest,
    read_owner_marker,
    write_owner_marker,
)

__all__ = [
    "LAST_SUMMARY",
    "Job",
    "SweepCallback",
    "SweepError",
    "SweepSummary",
    "build_sweep_report",
    "compute_effects",
    "find_jobs",
    "gather",
    "read_light",
]

log = logging.getLogger(__name__)

#: Summary of the last sweep gathered in this process (read by the ``s3sim`` app).
LAST_SUMMARY: list[SweepSummary] = []

#: Parameters that never count as "swept" (bookkeeping).
_IGNORED_PARAMS = ("name", "progress", "skip_completed", "report.")
#: Files in a sweep folder that s3sim itself keeps (not gathered outputs).
_BOOKKEEPING = (SWEEP_FILE, "multirun.yaml", OWNER_MARKER)
TOOL = "s3sim"


class SweepError(DataError):
    """A sweep folder cannot be gathered; the message is one line with the fix."""


@dataclass
class Job:
    """One job directory of a sweep and what became of it."""

    path: Path
    status: str
    """``done``, ``failed`` or ``incomplete`` (no marker: killed or still running)."""
    params: dict[str, Any] = field(default_factory=dict)
    """The job's configuration flattened to dotted keys (``policy.name`` ...)."""
    overrides: dict[str, str] = field(default_factory=dict)
    """The job's overrides (``scenario=cohesion``, ``policy.budget_share=0.02`` ...)."""
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The directory name (Hydra's ``override_dirname`` of the job)."""
        return self.path.name

    @property
    def result_dir(self) -> Path:
        """Where the job's tables are."""
        return self.path / RESULT_DIR


@dataclass
class SweepSummary:
    """What :func:`build_sweep_report` found and wrote."""

    sweep_dir: Path
    jobs: list[Job]
    report: Path | None = None
    tables: dict[str, Path] = field(default_factory=dict)
    reused: int = 0
    error: str | None = None
    """Why gathering or reporting failed (then the exit status is non-zero)."""

    @property
    def n_failed(self) -> int:
        """Failed or incomplete jobs."""
        return sum(j.status != "done" for j in self.jobs)

    @property
    def ok(self) -> bool:
        """Every job done and the gathering succeeded."""
        return self.n_failed == 0 and self.error is None

    def message(self) -> str:
        """A few lines for the terminal: counts, failures and where the report is."""
        done = sum(j.status == "done" for j in self.jobs)
        lines = [f"s3sim: sweep {self.sweep_dir}: {len(self.jobs)} job(s), {done} done"
                 + (f" ({self.reused} reused from an earlier run)" if self.reused else "")
                 + f", {self.n_failed} failed"]
        for j in self.jobs:
            if j.status != "done":
                err = j.record.get("error", "no completion marker (killed or still running)")
                lines.append(f"  FAILED {j.name}: {err}")
        if self.report is not None:
            lines.append(f"s3sim: report: {self.report}")
        if self.error is not None:
            lines.append(f"s3sim: error: {self.error}")
        return "\n".join(lines)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, f"{key}."))
        elif isinstance(v, list):
            out[key] = json.dumps(v)
        else:
            out[key] = v
    return out


def _job_params(path: Path) -> dict[str, Any]:
    from omegaconf import OmegaConf

    for cand in (path / RESULT_DIR / CONFIG_FILE, path / ".hydra" / "config.yaml"):
        if cand.exists():
            try:
                conf = OmegaConf.load(cand)
                plain = OmegaConf.to_container(conf, resolve=False)
            except Exception:  # an unreadable config must not stop the gathering
                continue
            assert isinstance(plain, dict)
            plain.pop("hydra", None)
            return _flatten(plain)
    return {}


def find_jobs(sweep_dir: str | Path, only_last_sweep: bool = True) -> list[Job]:
    """The job directories of a sweep and their status.

    Parameters
    ----------
    sweep_dir : path
        A multirun's sweep directory.
    only_last_sweep : bool, default True
        Keep only the jobs of the latest multirun started in ``sweep_dir`` (as recorded
        in ``sweep.json``), so a directory reused by another command does not mix
        results. Jobs without any marker count if Hydra touched them after that start.

    Raises
    ------
    SweepError
        If ``sweep.json`` is unreadable, or names a sweep that none of the job folders
        ran in (it was rewritten or copied from elsewhere).

    Notes
    -----
    A job with a ``DONE.json`` whose result files do not match its checksums
    (:func:`s3sim.experiments.job.verify_result`) is reported ``failed``.
    """
    root = Path(sweep_dir)
    info = None
    if only_last_sweep and (root / SWEEP_FILE).exists():
        info = _read_json(root / SWEEP_FILE)
        if not isinstance(info, dict) or not isinstance(info.get("id"), str):
            raise SweepError(
                f"'{root / SWEEP_FILE}' is not a valid sweep record; rerun the sweep, or "
                f"gather every job folder with `s3sim report {root} --all-jobs`")
    sweep_id = info.get("id") if info else None
    started = info.get("started_epoch", 0.0) if info else 0.0
    jobs, skipped = [], 0
    for path in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not ((path / ".hydra").is_dir() or (path / DONE_FILE).exists()
                or (path / FAILED_FILE).exists()):
            continue
        done = _read_json(path / DONE_FILE)
        failed = _read_json(path / FAILED_FILE)
        if done is not None and (path / RESULT_DIR).is_dir():
            status, record = "done", done
        elif failed is not None:
            status, record = "failed", failed
        else:
            status, record = "incomplete", {}
        if sweep_id is not None:
            if record:
                if sweep_id not in record.get("sweep_ids", []):
                    skipped += 1
                    continue
            elif not (path / ".hydra").is_dir() or (path / ".hydra").stat().st_mtime < started:
                skipped += 1
                continue
        if status == "done":
            problem = verify_result(path, record)
            if problem is not None:
                status = "failed"
                record = {**record, "error": f"{problem}; rerun the sweep to recompute it"}
        jobs.append(Job(path=path, status=status, params=_job_params(path),
                        overrides=_job_overrides(path), record=record))
    if sweep_id is not None and not jobs and skipped:
        raise SweepError(
            f"'{root / SWEEP_FILE}' names sweep {sweep_id[:8]}, which none of the {skipped} "
            f"job folder(s) ran in (was sweep.json replaced?); rerun the sweep, or gather "
            f"every job folder with `s3sim report {root} --all-jobs`")
    return jobs


def _job_overrides(path: Path) -> dict[str, str]:
    """The job's command-line/sweep overrides (``.hydra/overrides.yaml``) as key -> value."""
    from omegaconf import OmegaConf

    f = path / ".hydra" / "overrides.yaml"
    out: dict[str, str] = {}
    if not f.exists():
        return out
    try:
        items = OmegaConf.to_container(OmegaConf.load(f))
    except Exception:  # unreadable: treat as no overrides
        return out
    for item in items or []:  # type: ignore[union-attr]
        key, sep, value = str(item).partition("=")
        if sep:
            out[key.lstrip("+~")] = value
    return out


def swept_parameters(jobs: Iterable[Job]) -> list[str]:
    """Override keys whose value differs between jobs (``scenario``, ``policy.budget`` ...).

    Always starts with ``scenario`` (the scenario name) so every table says which
    economy a row belongs to; ``policy`` is the regions table's own column.
    """
    jobs = list(jobs)
    keys = sorted({k for j in jobs for k in j.overrides})
    varying = [k for k in keys
               if not k.startswith(_IGNORED_PARAMS) and k not in ("experiment", "hydra/launcher")
               and not k.startswith("hydra.")
               and len({j.overrides.get(k) for j in jobs}) > 1]
    if "scenario" not in varying:
        varying.insert(0, "scenario")
    return varying


def param_value(job: Job, key: str) -> Any:
    """A swept parameter's value for ``job`` (numbers as numbers).

    A ``none`` (baseline) job has no policy parameters: it is shared by every grid
    point of ``policy.*`` (see :func:`s3sim.experiments.job.job_identity`).
    """
    if key.startswith("policy.") and job.params.get("policy.name") == "none":
        return None
    if key == "scenario" and key not in job.overrides:
        return job.params.get("scenario.name")
    value = job.overrides.get(key)
    if value is None:
        value = job.params.get(key, job.params.get(f"{key}.name"))
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value


def policy_arm(job: Job) -> str:
    """The policy arm of a job: its policy preset when one was chosen by name.

    Presets of the same instrument (``smart_specialisation`` and
    ``smart_specialisation_designed``) are different arms of a comparison.
    """
    preset = job.overrides.get("policy")
    name = job.params.get("policy.name")
    return str(preset) if preset and "=" not in str(preset) else str(name)


def gather(jobs: list[Job], params: list[str]) -> pd.DataFrame:
    """One tidy table of every done job's ``regions`` rows plus the swept parameters.

    A done job whose table cannot be read is marked ``failed`` (with the reason) and
    left out, instead of stopping the whole gathering.
    """
    frames = []
    for job in jobs:
        if job.status != "done":
            continue
        try:
            df = pd.read_parquet(job.result_dir / "regions.parquet")
        except Exception as exc:  # corrupt table behind a marker without checksums
            job.status = "failed"
            job.record = {**job.record, "error": f"'{RESULT_DIR}/regions.parquet' is "
                          f"unreadable ({type(exc).__name__}); rerun the sweep to recompute it"}
            continue
        df.insert(0, "job", job.name)
        frames.append(df)
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    tidy = pd.concat(frames, ignore_index=True)
    by_name = {j.name: j for j in jobs}
    tidy["policy"] = tidy["job"].map({n: policy_arm(j) for n, j in by_name.items()}).fillna(
        tidy["policy"])
    for key in params:
        if key != "policy":  # the regions table already has a ``policy`` column
            values = {name: param_value(job, key) for name, job in by_name.items()}
            tidy[key] = tidy["job"].map(values)
    return tidy


def read_light(path: Path) -> Any:
    """A :class:`~s3sim.experiments.simulation.SimulationResult` without the presence table."""
    from s3sim.experiments.simulation import METADATA_FILE, PRODUCT_SPACE_FILE, SimulationResult
    from s3sim.space.product_space import ProductSpace

    return SimulationResult(
        regions=pd.read_parquet(path / "regions.parquet"),
        presence=pd.DataFrame(),
        entries=pd.read_parquet(path / "entries.parquet"),
        priorities=pd.DataFrame(),
        product_space=ProductSpace.load(path / PRODUCT_SPACE_FILE),
        metadata=json.loads((path / METADATA_FILE).read_text()),
    )


def compute_effects(jobs: list[Job], params: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Paired effects of every policy job against its ``none`` job.

    Returns
    -------
    effects : pandas.DataFrame
        :func:`s3sim.experiments.evaluation.paired_effects` rows plus ``job``, ``baseline_job`` and
        the swept parameters.
    problems : list of str
        Jobs that could not be paired (no baseline, or the baseline failed).
    """
    from s3sim.experiments.evaluation import paired_effects

    done = [j for j in jobs if j.status == "done"]
    context = sorted({k for j in done for k in j.params
                      if not k.startswith(("policy.", "report.", "hydra."))
                      and k not in _IGNORED_PARAMS})

    def key(job: Job) -> str:
        return json.dumps([job.params.get(k) for k in context], default=str)

    baselines: dict[str, Job] = {}
    for j in done:
        if j.params.get("policy.name") == "none":
            baselines.setdefault(key(j), j)
    cache: dict[Path, Any] = {}

    def load(job: Job) -> Any:
        if job.path not in cache:
            cache[job.path] = read_light(job.result_dir)
        return cache[job.path]

    frames, problems = [], []
    for j in done:
        if j.params.get("policy.name") == "none":
            continue
        base = baselines.get(key(j))
        if base is None:
            problems.append(f"{j.name}: no completed 'none' job with the same scenario, "
                            "product space and seeds to pair with")
            continue
        try:
            eff = paired_effects(load(j), load(base))
        except ValueError as exc:
            problems.append(f"{j.name}: {exc}")
            continue
        eff.insert(0, "job", j.name)
        eff.insert(1, "baseline_job", base.name)
        eff["policy"] = policy_arm(j)
        for k in params:
            if k != "policy":
                eff[k] = param_value(j, k)
        frames.append(eff)
        cache.pop(j.path, None)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), problems


def _write_table(df: pd.DataFrame, path: Path) -> Path:
    from s3sim.io import atomic_write

    with atomic_write(path) as tmp:
        if path.suffix == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
    return path


def jobs_table(jobs: list[Job], params: list[str]) -> pd.DataFrame:
    """One row per job: name, status, error, elapsed seconds, seeds and swept parameters."""
    rows = []
    for j in jobs:
        row: dict[str, Any] = {"job": j.name, "status": j.status,
                               "error": j.record.get("error", ""),
                               "elapsed_s": j.record.get("elapsed_s"),
                               "n_seeds": len(j.record.get("seeds", []) or [])}
        row["policy"] = j.params.get("policy.name")
        for k in params:
            if k != "policy":
                row[k] = param_value(j, k)
        rows.append(row)
    return pd.DataFrame(rows)


def _has_job_folders(root: Path) -> bool:
    """Whether ``root`` holds Hydra job folders (``.hydra/``) or s3sim job markers."""
    return any(p.is_dir() and ((p / ".hydra").is_dir() or (p / DONE_FILE).exists()
                               or (p / FAILED_FILE).exists()) for p in root.iterdir())


def _owned_files(root: Path) -> dict[str, str]:
    marker = read_owner_marker(root) or {}
    files = marker.get("files") or {}
    return {str(k): str(v) for k, v in files.items()}


def _gathered_candidates(root: Path) -> list[Path]:
    """Top-level files and everything under ``figures/``: what a report may (re)write."""
    out = [p for p in root.iterdir() if p.is_file() and p.name not in _BOOKKEEPING
           and not p.name.startswith(".")]
    figdir = root / "figures"
    if figdir.is_dir():
        out += [p for p in figdir.rglob("*") if p.is_file()]
    return sorted(out)


def check_sweep_folder(root: Path) -> None:
    """Refuse a sweep folder holding files s3sim did not write where reports go.

    Top-level files and ``figures/`` must be outputs recorded in the folder's marker
    with an unchanged SHA-256 (or s3sim's own ``sweep.json``/``multirun.yaml``); job
    sub-folders are not checked here and user sub-folders are never touched.

    Raises
    ------
    OutputError
        Naming up to three foreign files and what to do.
    """
    owned = _owned_files(root)
    legacy = read_owner_marker(root) is None and ((root / SWEEP_FILE).exists()
                                                  or _has_job_folders(root))
    foreign = []
    for path in _gathered_candidates(root):
        rel = path.relative_to(root).as_posix()
        if legacy and (rel in _LEGACY_OUTPUTS or rel.startswith("figures/")):
            continue  # written by an s3sim without markers (it wrote sweep.json)
        try:
            if owned.get(rel) != file_digest(path):
                foreign.append(rel)
        except OSError:
            foreign.append(rel)
    if foreign:
        shown = ", ".join(f"'{f}'" for f in foreign[:3]) + (" ..." if len(foreign) > 3 else "")
        raise OutputError(
            f"sweep folder '{root}' holds {len(foreign)} file(s) s3sim did not write or that "
            f"changed since ({shown}); nothing was changed: move them away, or choose another "
            "folder (name=... or hydra.sweep.dir=...)")


#: Gathered outputs of s3sim versions that wrote no marker (adopted in legacy folders).
_LEGACY_OUTPUTS = frozenset({"jobs.csv", "sweep.parquet", "effects.parquet",
                             "effects_summary.csv", "cost_per_entry.csv", "report.md"})


def _remove_previous_outputs(root: Path) -> None:
    """Delete the gathered files of the previous gathering (all verified as s3sim's)."""
    for path in _gathered_candidates(root):
        path.unlink()


def _record_outputs(root: Path) -> None:
    """Record every gathered file now in the folder in its marker (tool, version, SHA)."""
    files = {p.relative_to(root).as_posix(): file_digest(p) for p in _gathered_candidates(root)}
    write_owner_marker(root, TOOL, files=files, kind="sweep")


def build_sweep_report(sweep_dir: str | Path, only_last_sweep: bool = True,
                       report: bool = True) -> SweepSummary:
    """Gather a sweep, compute paired effects and write the report.

    Never raises for a failed job: failures are listed in ``jobs.csv``, in the report
    and in the returned summary.

    Raises
    ------
    SweepError, OutputError
        If the folder is not a sweep, holds files s3sim did not write where the
        report goes, or ``sweep.json`` does not match its jobs. Nothing is changed.
    """
    root = Path(sweep_dir).absolute()
    if not root.is_dir():
        raise SweepError(f"'{root}' is not a folder; give the folder of a sweep "
                         "(results/<experiment>)")
    if read_owner_marker(root) is None and not (root / SWEEP_FILE).exists() \
            and not _has_job_folders(root):
        raise SweepError(f"'{root}' is not an s3sim sweep folder (no {OWNER_MARKER}, "
                         f"{SWEEP_FILE} or job folders); give the folder a multirun wrote "
                         "(results/<name>)")
    check_sweep_folder(root)
    jobs = find_jobs(root, only_last_sweep=only_last_sweep)
    summary = SweepSummary(sweep_dir=root, jobs=jobs)
    info = _read_json(root / SWEEP_FILE) or {}
    started = info.get("started_epoch")
    if started is not None:
        summary.reused = sum(1 for j in jobs if j.status == "done"
                             and j.record.get("finished_epoch", started) < started)
    _remove_previous_outputs(root)  # never leave stale tables that look current
    try:
        if not jobs:
            summary.error = (f"no job folders found in '{root}'; run the sweep first "
                             "(s3sim -m ...)")
            return summary
        params = swept_parameters(jobs)
        tidy = gather(jobs, params)  # may mark unreadable jobs failed
        summary.tables["jobs"] = _write_table(jobs_table(jobs, params), root / "jobs.csv")
        if tidy.empty:
            summary.error = "no completed job to gather; see the failures above"
            return summary
        summary.tables["sweep"] = _write_table(tidy, root / "sweep.parquet")
        kind = next((j.params.get("report.kind") for j in jobs if j.params.get("report.kind")),
                    "policies")
        effects, problems = compute_effects(jobs, params)
        if not effects.empty:
            summary.tables["effects"] = _write_table(effects, root / "effects.parquet")
        if report:
            from s3sim.report import write_report

            summary.report = write_report(root, kind=kind, tidy=tidy, effects=effects,
                                          jobs=jobs, params=params, problems=problems)
        # after the report, which clears figures/ before drawing its own
        summary.tables.update(_phase_tables(root, jobs))
    finally:
        _record_outputs(root)
    return summary


def _phase_tables(root: Path, jobs: list[Job]) -> dict[str, Path]:
    """``phase.csv`` and ``limit_cases.csv`` when the sweep is a phase study."""
    from omegaconf import OmegaConf

    done = [j for j in jobs if j.status == "done" and "phase.cell" in j.overrides]
    if not done:
        return {}
    conf = OmegaConf.load(done[0].result_dir / CONFIG_FILE)
    phase = OmegaConf.to_container(conf.phase, resolve=True)
    assert isinstance(phase, dict)
    from s3sim.config import model_config_from_mapping
    from s3sim.engine.valuation import measure_success_value
    from s3sim.experiments.phase import write_phase_tables
    from s3sim.experiments.simulation import METADATA_FILE, PRODUCT_SPACE_FILE
    from s3sim.space.product_space import ProductSpace

    results: dict[tuple[int, str, float | None], pd.DataFrame] = {}
    successes: dict[int, Any] = {}
    for j in done:
        cell = int(param_value(j, "phase.cell"))
        name = str(j.params.get("policy.name"))
        level = None if name == "none" else float(j.params.get("policy.budget_share") or 0.0)
        results[(cell, name, level)] = pd.read_parquet(j.result_dir / "regions.parquet")
        if name == "none" and cell not in successes:
            meta = json.loads((j.result_dir / METADATA_FILE).read_text())
            successes[cell] = measure_success_value(
                model_config_from_mapping(meta["model"]),
                ProductSpace.load(j.result_dir / PRODUCT_SPACE_FILE))
    written = write_phase_tables(root, phase, results, successes)
    return {p.stem: p for p in written if p.suffix == ".csv"}


def gather_or_fail(sweep_dir: str | Path, **kwargs: Any) -> SweepSummary:
    """:func:`build_sweep_report`, turning every failure into ``summary.error``.

    Used at the end of a multirun and by ``s3sim report``: a sweep that could not be
    gathered gives one line and a non-zero exit instead of a traceback.
    """
    root = Path(sweep_dir).absolute()
    try:
        return build_sweep_report(root, **kwargs)
    except Exception as exc:  # the gathering boundary: one line, never a traceback
        from s3sim.io import describe_os_error

        if isinstance(exc, OSError):
            text = describe_os_error(exc)
        elif isinstance(exc, DataError):
            text = " ".join(str(exc).split())
        else:
            text = (f"gathering failed: {type(exc).__name__}: {' '.join(str(exc).split())}; "
                    f"the jobs' results are kept (set HYDRA_FULL_ERROR=1 for details)")
        log.debug("gathering %s failed", root, exc_info=True)
        return SweepSummary(sweep_dir=root, jobs=[], error=text or type(exc).__name__)


class SweepCallback(Callback):
    """Hydra callback: mark the start of a multirun; gather and report at its end.

    Registered in ``s3sim/conf/hydra/default.yaml`` (``hydra.callbacks``).
    """

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        """Check the sweep folder is s3sim's, then write ``sweep.json`` with a fresh id.

        A folder that exists, is not empty and was not written by s3sim (no marker and
        no ``sweep.json``), or whose report files are not s3sim's, is refused with one
        line and exit status 2 before any job runs (Hydra turns exceptions raised in
        callbacks into warnings, so this exits directly).
        """
        import sys

        from s3sim.experiments.job import _write_json
        from s3sim.io import describe_os_error

        root = Path(config.hydra.sweep.dir).absolute()
        try:
            if root.exists() and not root.is_dir():
                raise OutputError(f"sweep folder '{root}' exists and is not a folder; choose "
                                  "another one (name=... or hydra.sweep.dir=...)")
            if root.is_dir() and any(root.iterdir()) and read_owner_marker(root) is None \
                    and not (root / SWEEP_FILE).exists():
                shown = ", ".join(f"'{p.name}'" for p in sorted(root.iterdir())[:3])
                raise OutputError(
                    f"sweep folder '{root}' is not empty and was not written by s3sim "
                    f"({shown}); nothing was changed: choose another folder (name=... or "
                    "hydra.sweep.dir=...) or an empty one")
            if root.is_dir():
                check_sweep_folder(root)
            root.mkdir(parents=True, exist_ok=True)
            _write_json(root / SWEEP_FILE, {
                "id": uuid.uuid4().hex,
                "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "started_epoch": time.time(),
                "overrides": list(config.hydra.overrides.task),
            })
            if read_owner_marker(root) is None:
                write_owner_marker(root, TOOL, files={}, kind="sweep")
        except OutputError as exc:
            print(f"s3sim: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        except OSError as exc:
            print(f"s3sim: error: {describe_os_error(exc, root)}", file=sys.stderr)
            raise SystemExit(2) from None

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        """Gather the sweep's jobs, compute effects, write the report."""
        from omegaconf import OmegaConf

        root = Path(config.hydra.sweep.dir).absolute()
        enabled = bool(OmegaConf.select(config, "report.enabled", default=True))
        summary = gather_or_fail(root, report=enabled)
        if summary.error is not None and not summary.jobs:
            summary.error += f"; the jobs' results are kept: retry with `s3sim report {root}`"
        LAST_SUMMARY[:] = [summary]
