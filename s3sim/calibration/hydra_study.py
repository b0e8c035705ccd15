"""``s3sim -m experiment=calibration|sensitivity``: a study node in the composed config.

An experiment file sets ``study.kind`` (``calibration`` or ``sensitivity``) and the
study's options; the Hydra app (:mod:`s3sim.cli.run`) hands such a config to
:func:`run_study` instead of running one simulation job. The base scenario, product
space, seeds (``seed``/``replications``/``seeds``) and, for calibration, the policy come
from the usual groups, so ``scenario=cohesion`` or ``replications=4`` work as anywhere.

The study folder is ``<hydra.sweep.dir>/study`` (``results/<name>/study``): a sub-folder,
so that the sweep folder's integrity check (:func:`s3sim.experiments.sweep.check_sweep_folder`,
which owns the top-level files and ``figures/``) leaves it alone. Rerunning the same
command resumes a calibration (finished trials are kept) and overwrites the tables of a
sensitivity study.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from s3sim.config import ConfigError, policy_config_from_mapping

__all__ = ["run_study", "study_dir"]

log = logging.getLogger(__name__)


STUDY_SUBDIR = "study"


def study_dir(cfg: Any) -> Path:
    """The study folder: ``<sweep dir>/study`` (``results/<name>/study`` outside Hydra)."""
    try:
        from hydra.core.hydra_config import HydraConfig

        root = Path(HydraConfig.get().sweep.dir)
    except (ImportError, ValueError):
        root = Path("results", str(cfg.get("name", "study")))
    return (root / STUDY_SUBDIR).absolute()


def _plain(node: Any) -> Any:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(node, resolve=True) if node is not None else None


def _choice(group: str) -> str | None:
    """The option chosen for a config group in the running Hydra app, if any."""
    try:
        from hydra.core.hydra_config import HydraConfig

        return str(HydraConfig.get().runtime.choices.get(group))
    except (ImportError, ValueError):
        return None


def _n_jobs(value: Any) -> int:
    n = int(value)
    return (os.cpu_count() or 1) if n == -1 else max(n, 1)


def run_study(cfg: Any, out_dir: str | Path | None = None) -> dict[str, Any]:
    """Run the calibration or sensitivity study described by ``cfg.study``.

    Returns
    -------
    dict
        ``status``, ``kind``, ``study_dir``, ``message``.
    """
    from s3sim.calibration.parameters import ParameterSpace
    from s3sim.experiments.job import job_configs

    study = cfg.study
    kind = str(study.get("kind"))
    model, policy, seeds = job_configs(cfg)
    out = Path(out_dir) if out_dir is not None else study_dir(cfg)
    space = ParameterSpace.from_mapping(_plain(study.parameters), where="study.parameters")
    progress = bool(cfg.get("progress", True))
    if kind == "calibration":
        from s3sim.calibration.calibrate import run_calibration
        from s3sim.calibration.evaluate import CalibrationProblem
        from s3sim.calibration.targets import load_targets

        space.validate(model, policy)
        try:
            targets = load_targets(study.get("targets_file"),
                                   only=_plain(study.get("targets")))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        problem = CalibrationProblem(model, policy, space, targets, tuple(seeds),
                                     burn_in=int(study.get("burn_in", 5)),
                                     window=int(study.get("window", 5)))
        res = run_calibration(problem, out, n_trials=int(study.n_trials),
                              n_design=int(study.n_design), sampler=str(study.sampler),
                              sampler_seed=int(study.get("sampler_seed", 0)),
                              n_jobs=_n_jobs(study.get("n_jobs", 1)),
                              storage=study.get("storage"), name=str(cfg.get("name")),
                              progress=progress, recover=bool(study.get("recover", True)),
                              pairs=_plain(study.get("pairs")) or [],
                              product_space_option=_choice("product_space"))
        return {"status": "done", "kind": kind, "study_dir": str(out),
                "message": res.message()}
    if kind == "sensitivity":
        from s3sim.calibration.sensitivity import PolicyQuestion, run_sensitivity

        arms = _plain(study.arms)
        try:
            treatment = policy_config_from_mapping(arms["treatment"])
            comparator = policy_config_from_mapping(arms["comparator"])
        except (KeyError, TypeError):
            raise ConfigError("study.arms needs treatment and comparator policy mappings"
                              ) from None
        except ConfigError as exc:
            raise ConfigError(f"study.arms: {exc}") from None
        question = PolicyQuestion(model, treatment, comparator, tuple(seeds),
                                  tuple(study.outcomes),
                                  tuple(study.get("optional_outcomes") or ()))
        plausible = study.get("plausible_set")
        if plausible:
            from hydra.utils import to_absolute_path

            plausible = to_absolute_path(str(plausible))
        res = run_sensitivity(
            question, space, out, morris_trajectories=int(study.morris_trajectories),
            screen_threshold=float(study.screen_threshold), min_sobol=int(study.min_sobol),
            max_sobol=int(study.max_sobol), sobol_n=int(study.sobol_n),
            share_points=int(study.share_points),
            bound_factors=tuple(float(f) for f in study.bound_factors),
            plausible_set=plausible, seed=int(study.get("seed", 0)),
            n_jobs=_n_jobs(study.get("n_jobs", 1)), chunk=int(study.get("chunk", 8)),
            progress=progress)
        return {"status": "done", "kind": kind, "study_dir": str(out),
                "message": res.message()}
    raise ConfigError(f"study.kind must be calibration or sensitivity, got {kind!r}")
