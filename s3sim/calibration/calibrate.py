r"""Calibration by simulated method of moments, with history matching for uncertainty.

Two Optuna studies share one storage (by default ``<out_dir>/study.db``, SQLite):

``<name>-explore``
    a scrambled Sobol design over the parameter bounds (``scipy.stats.qmc``, fixed by
    ``sampler_seed``); every point is evaluated on the common seeds and recorded as a
    complete trial with its ``design_index``. It is the first wave of history
    matching: the *plausible set* is the design points whose implausibility is <= 3 on
    every fitted moment (:mod:`s3sim.calibration.targets`), and its pairwise scatter
    shows which parameters trade off against each other (identification).
``<name>-optimise``
    an optimiser (TPE by default, CMA-ES with ``sampler: cmaes``) minimising the SMM
    loss; its first trial is the base configuration. The best trial of either study is
    the calibrated point.

Trials run in parallel worker processes (joblib, ``n_jobs``). A design point is
written to the storage only once evaluated; an optimiser worker loads the study, asks
for a trial, runs the seeds and tells the loss. So an interrupted calibration resumes
where it stopped: finished trials stay in the storage, missing design points are run,
and an optimiser trial that was running when the process died is marked failed.
A database URL (``postgresql://...``) lets workers on several machines share a
study; ``journal:<file>`` uses Optuna's JournalStorage (a log file shared by
processes, e.g. on NFS).

The weighting matrix :math:`W = \mathrm{diag}(1/\hat\sigma_k^2)` is estimated once, at
the base configuration on the common seeds, and stored with the study.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from s3sim.calibration.evaluate import CalibrationProblem, Evaluation
from s3sim.calibration.targets import IMPLAUSIBILITY_CUTOFF
from s3sim.config import ConfigError

__all__ = ["CalibrationOutcome", "make_storage", "run_calibration"]

log = logging.getLogger(__name__)

SAMPLERS = ("tpe", "cmaes")


def make_storage(url: str) -> Any:
    """An Optuna storage: ``sqlite:///file``, any SQLAlchemy URL, or ``journal:<file>``."""
    import optuna

    if url.startswith("journal:"):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend(url.removeprefix("journal:")))
    return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}}
                                      if url.startswith("sqlite") else {})


def _sampler(kind: str, seed: int, n_done: int) -> Any:
    import optuna

    # a different stream per ask, so that parallel workers do not propose the same point
    s = int(seed) * 1_000_003 + int(n_done)
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=s, n_startup_trials=10, multivariate=True,
                                          constant_liar=True)
    if kind == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=s, n_startup_trials=5,
                                            warn_independent_sampling=False)
    raise ConfigError(f"calibration sampler must be one of {', '.join(SAMPLERS)}, got {kind!r}")


def _distributions(problem: CalibrationProblem) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution

    return {p.name: FloatDistribution(p.low, p.high, log=p.log)
            for p in problem.space.parameters}


def _run_one_trial(storage_url: str, study_name: str, problem: CalibrationProblem,
                   sampler_kind: str, sampler_seed: int) -> tuple[int, float]:
    """Worker: ask the optimiser for one trial, evaluate it on the common seeds, tell."""
    import optuna

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = make_storage(storage_url)
    n_done = len(storage.get_all_trials(storage.get_study_id_from_name(study_name),
                                        deepcopy=False))
    study = optuna.load_study(study_name=study_name, storage=storage,
                              sampler=_sampler(sampler_kind, sampler_seed, n_done))
    trial = study.ask(_distributions(problem))
    ev = problem.evaluate(dict(trial.params))
    for key, value in ev.attrs().items():
        trial.set_user_attr(key, value)
    study.tell(trial, ev.loss)
    return trial.number, ev.loss


def _record(study: Any, problem: CalibrationProblem, ev: Evaluation,
            extra: dict[str, Any]) -> None:
    """Add a finished evaluation to a study as a complete trial (no running state)."""
    import optuna

    study.add_trial(optuna.trial.create_trial(
        params=ev.values, distributions=_distributions(problem), value=ev.loss,
        user_attrs={**ev.attrs(), **extra}))


def _run_design_point(storage_url: str, study_name: str, problem: CalibrationProblem,
                      index: int, values: dict[str, float]) -> tuple[int, float]:
    """Worker: evaluate design point ``index`` and record it (atomic: all or nothing)."""
    import optuna

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ev = problem.evaluate(values)
    study = optuna.load_study(study_name=study_name, storage=make_storage(storage_url))
    _record(study, problem, ev, {"design_index": index})
    return index, ev.loss


def _fingerprint(problem: CalibrationProblem) -> str:
    blob = json.dumps({
        "model": asdict(problem.model), "policy": asdict(problem.policy),
        "space": [asdict(p) for p in problem.space.parameters],
        "targets": problem.targets.table[["target_id", "kind", "value", "uncertainty"]]
        .to_dict("records"),
        "seeds": list(problem.seeds), "burn_in": problem.burn_in, "window": problem.window,
    }, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _recover_interrupted(study: Any) -> int:
    """Mark optimiser trials left RUNNING by a dead process as failed."""
    from optuna.trial import TrialState

    n = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_user_attr(t._trial_id, "interrupted", True)
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        n += 1
    return n


def _run_parallel(tasks: list[Any], n_jobs: int, progress: bool, desc: str) -> None:
    if not tasks:
        return
    from joblib import Parallel
    from tqdm.auto import tqdm

    n = len(tasks)
    runner = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for _ in tqdm(runner(tasks), total=n, desc=desc, unit="trial", disable=not progress):
        pass


@dataclass
class CalibrationOutcome:
    """What a calibration leaves: tables, the point, the plausible set, the files."""

    trials: pd.DataFrame
    best: dict[str, float]
    best_loss: float
    moments: pd.DataFrame
    plausible: pd.DataFrame
    files: dict[str, Path]

    def message(self) -> str:
        """A short summary for the terminal."""
        n_ok = int(self.moments["within_tolerance"].sum())
        return (f"calibration: {len(self.trials)} trials, best loss {self.best_loss:.3g}, "
                f"{n_ok}/{len(self.moments)} moments within tolerance, plausible set "
                f"{len(self.plausible)} of {int((self.trials['study'] == 'explore').sum())} "
                f"design points -> {self.files['moments'].parent}")


def run_calibration(problem: CalibrationProblem, out_dir: str | Path, *, n_trials: int = 50,
                    n_design: int = 64, sampler: str = "tpe", sampler_seed: int = 0,
                    n_jobs: int = 1, storage: str | None = None, name: str = "calibration",
                    progress: bool = True, recover: bool = True,
                    pairs: list[list[str]] | None = None,
                    on_weights: Callable[[pd.Series], None] | None = None,
                    product_space_option: str | None = None) -> CalibrationOutcome:
    """Run (or resume) a calibration and write its outputs into ``out_dir``.

    Parameters
    ----------
    problem : CalibrationProblem
        Base configs, parameters, targets and common seeds (weights are estimated here).
    out_dir : path
        The study folder: ``study.db`` (default storage), tables and figures.
    n_trials : int
        Optimiser trials in total (a resumed study runs only the missing ones).
    n_design : int
        Points of the space-filling design (history matching wave 1); rounded up to a
        power of two (Sobol balance).
    sampler : {"tpe", "cmaes"}
    n_jobs : int
        Worker processes (joblib); ``-1`` = every core.
    storage : str, optional
        Optuna storage URL; default ``sqlite:///<out_dir>/study.db``.
    recover : bool
        Mark trials left running by a dead process as failed. Turn off when other
        machines are working on the same database at the same time.
    pairs : list of [str, str], optional
        Parameter pairs drawn first in the identification figure.
    product_space_option : str, optional
        The ``product_space`` config option, written into ``calibrated.yaml``.

    Returns
    -------
    CalibrationOutcome
    """
    import optuna
    from scipy.stats import qmc

    from s3sim.calibration import report

    if sampler not in SAMPLERS:
        raise ConfigError(f"calibration sampler must be one of {', '.join(SAMPLERS)}, "
                          f"got {sampler!r}")
    out = Path(out_dir).absolute()
    out.mkdir(parents=True, exist_ok=True)
    url = storage or f"sqlite:///{out / 'study.db'}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    store = make_storage(url)
    fp = _fingerprint(problem)
    explore = optuna.create_study(study_name=f"{name}-explore", storage=store,
                                  direction="minimize", load_if_exists=True)
    optimise = optuna.create_study(study_name=f"{name}-optimise", storage=store,
                                   direction="minimize", load_if_exists=True)
    attrs = optimise.user_attrs
    if "fingerprint" in attrs and attrs["fingerprint"] != fp:
        raise ConfigError(
            f"{out}: the study there was run with other parameters, targets, seeds or "
            "scenario; use another name= (or delete the folder) to start a new study")
    reference = None
    if "weights" not in attrs:
        ref = problem.simulate_moments(problem.base_values())
        problem = problem.with_weights(ref)
        reference = problem.score(problem.base_values(), ref)
        optimise.set_user_attr("fingerprint", fp)
        optimise.set_user_attr("weights", {k: float(v) for k, v in problem.weights.items()})
    else:
        problem = CalibrationProblem(problem.model, problem.policy, problem.space,
                                     problem.targets, problem.seeds, problem.burn_in,
                                     problem.window, pd.Series(attrs["weights"], dtype=float))
    if on_weights is not None:
        on_weights(problem.weights)
    from optuna.trial import TrialState

    # ---- wave 1 of history matching: a scrambled Sobol design, evaluated point by point
    m = int(2 ** np.ceil(np.log2(max(n_design, 1))))
    unit = qmc.Sobol(d=len(problem.space.parameters), scramble=True,
                     seed=sampler_seed).random(m)
    lo = np.array([p.low for p in problem.space.parameters])
    hi = np.array([p.high for p in problem.space.parameters])
    design = qmc.scale(unit, lo, hi)
    done_idx = {t.user_attrs.get("design_index") for t in explore.get_trials(
        deepcopy=False, states=(TrialState.COMPLETE,))}
    from joblib import delayed

    tasks = [delayed(_run_design_point)(url, f"{name}-explore", problem, i,
                                        dict(zip(problem.space.names, map(float, row),
                                                 strict=True)))
             for i, row in enumerate(design) if i not in done_idx]
    _run_parallel(tasks, n_jobs, progress, "design (history matching)")

    # ---- the optimiser, starting from the base configuration
    if recover and (n_lost := _recover_interrupted(optimise)):
        log.warning("marked %d optimiser trial(s) interrupted in an earlier session as failed",
                    n_lost)
    if reference is not None:
        _record(optimise, problem, reference, {"base": True})
    done = len(optimise.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    tasks = [delayed(_run_one_trial)(url, f"{name}-optimise", problem, sampler, sampler_seed)
             for _ in range(max(n_trials - done, 0))]
    _run_parallel(tasks, n_jobs, progress, f"optimiser ({sampler})")

    return report.write_outputs(problem, out, explore=optuna.load_study(
        study_name=f"{name}-explore", storage=store), optimise=optuna.load_study(
        study_name=f"{name}-optimise", storage=store), pairs=pairs or [],
        cutoff=IMPLAUSIBILITY_CUTOFF, product_space_option=product_space_option)


def trials_table(study: Any, label: str, names: list[str]) -> pd.DataFrame:
    """One row per complete trial: parameters, loss, moment means/SDs, implausibilities."""
    from optuna.trial import TrialState

    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        row: dict[str, Any] = {"study": label, "trial": t.number, "loss": t.value}
        row.update({n: t.params.get(n, np.nan) for n in names})
        ua = t.user_attrs
        for key in ("mean", "sd", "implausibility"):
            for k, v in (ua.get(key) or {}).items():
                row[f"{key}:{k}"] = np.nan if v is None else v
        mi = ua.get("max_implausibility")
        row["max_implausibility"] = np.inf if mi is None else mi
        row["error"] = ua.get("error")
        if t.datetime_start and t.datetime_complete:
            row["seconds"] = (t.datetime_complete - t.datetime_start).total_seconds()
        rows.append(row)
    return pd.DataFrame(rows)


def evaluation_row(ev: Evaluation) -> dict[str, Any]:
    """A trials-table-like row of an :class:`Evaluation` (tests, ad-hoc checks)."""
    row: dict[str, Any] = {"loss": ev.loss, **ev.values}
    for k, v in ev.means.items():
        row[f"mean:{k}"] = v
    row["max_implausibility"] = ev.max_implausibility
    return row
