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
)

__all__ = [
    "LAST_SUMMARY",
    "Job",
    "SweepCallback",
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

    @property
    def n_failed(self) -> int:
        """Failed or incomplete jobs."""
        return sum(j.status != "done" for j in self.jobs)

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
    """
    root = Path(sweep_dir)
    info = _read_json(root / SWEEP_FILE) if only_last_sweep else None
    sweep_id = info.get("id") if info else None
    started = info.get("started_epoch", 0.0) if info else 0.0
    jobs = []
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
                    continue
            elif (path / ".hydra").stat().st_mtime < started:
                continue
        jobs.append(Job(path=path, status=status, params=_job_params(path),
                        overrides=_job_overrides(path), record=record))
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
    """A swept parameter's value for ``job`` (numbers as numbers)."""
    if key == "scenario" and key not in job.overrides:
        return job.params.get("scenario.name")
    value = job.overrides.get(key)
    if value is None:
        value = job.params.get(key, job.params.get(f"{key}.name"))
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value


def gather(jobs: list[Job], params: list[str]) -> pd.DataFrame:
    """One tidy table of every done job's ``regions`` rows plus the swept parameters."""
    frames = []
    for job in jobs:
        if job.status != "done":
            continue
        df = pd.read_parquet(job.result_dir / "regions.parquet")
        df.insert(0, "job", job.name)
        for key in params:
            if key != "policy":  # the regions table already has a ``policy`` column
                df[key] = param_value(job, key)
        frames.append(df)
    if not frames:
        return pd.DataFrame()
    return pd.concat([f for f in frames if not f.empty], ignore_index=True)


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


def build_sweep_report(sweep_dir: str | Path, only_last_sweep: bool = True,
                       report: bool = True) -> SweepSummary:
    """Gather a sweep, compute paired effects and write the report.

    Never raises for a failed job: failures are listed in ``jobs.csv``, in the report
    and in the returned summary.
    """
    root = Path(sweep_dir).absolute()
    jobs = find_jobs(root, only_last_sweep=only_last_sweep)
    summary = SweepSummary(sweep_dir=root, jobs=jobs)
    info = _read_json(root / SWEEP_FILE) or {}
    started = info.get("started_epoch")
    if started is not None:
        summary.reused = sum(1 for j in jobs if j.status == "done"
                             and j.record.get("finished_epoch", started) < started)
    if not jobs:
        return summary
    params = swept_parameters(jobs)
    summary.tables["jobs"] = _write_table(jobs_table(jobs, params), root / "jobs.csv")
    tidy = gather(jobs, params)
    if tidy.empty:
        return summary
    summary.tables["sweep"] = _write_table(tidy, root / "sweep.parquet")
    kind = next((j.params.get("report.kind") for j in jobs if j.params.get("report.kind")),
                "policies")
    summary.tables.update(_phase_tables(root, jobs))
    effects, problems = compute_effects(jobs, params)
    if not effects.empty:
        summary.tables["effects"] = _write_table(effects, root / "effects.parquet")
    if report:
        from s3sim.report import write_report

        summary.report = write_report(root, kind=kind, tidy=tidy, effects=effects,
                                      jobs=jobs, params=params, problems=problems)
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
    from s3sim.experiments.phase import write_phase_tables

    results = {(int(param_value(j, "phase.cell")), str(j.params.get("policy.name"))):
               pd.read_parquet(j.result_dir / "regions.parquet") for j in done}
    written = write_phase_tables(root, phase, results)
    return {p.stem: p for p in written if p.suffix == ".csv"}


class SweepCallback(Callback):
    """Hydra callback: mark the start of a multirun; gather and report at its end.

    Registered in ``s3sim/conf/hydra/default.yaml`` (``hydra.callbacks``).
    """

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        """Write ``sweep.json`` with a fresh sweep id (jobs record it in their marker)."""
        from s3sim.experiments.job import _write_json

        root = Path(config.hydra.sweep.dir).absolute()
        root.mkdir(parents=True, exist_ok=True)
        _write_json(root / SWEEP_FILE, {
            "id": uuid.uuid4().hex,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "started_epoch": time.time(),
            "overrides": list(config.hydra.overrides.task),
        })

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        """Gather the sweep's jobs, compute effects, write the report."""
        from omegaconf import OmegaConf

        root = Path(config.hydra.sweep.dir).absolute()
        try:
            enabled = bool(OmegaConf.select(config, "report.enabled", default=True))
            summary = build_sweep_report(root, report=enabled)
        except Exception as exc:  # the jobs' results stay on disk; say what went wrong
            log.exception("gathering the sweep in %s failed", root)
            print(f"s3sim: the sweep ran but gathering/reporting failed: {exc}; "
                  f"retry with `s3sim report {root}`")
            return
        LAST_SUMMARY[:] = [summary]
