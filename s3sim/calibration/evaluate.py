"""One evaluation of a parameter set: run the common seeds, compute the moments.

Common random numbers: every evaluation of a study runs the same seeds, so two
parameter sets differ only through the parameters, not through luck.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from s3sim.calibration.moments import BURN_IN, WINDOW, compute_moments
from s3sim.calibration.parameters import ParameterSpace
from s3sim.calibration.targets import Targets
from s3sim.config import ModelConfig, PolicyConfig

__all__ = ["CalibrationProblem", "Evaluation"]

PENALTY = 1e12
"""Loss of a parameter set whose moments are undefined or whose run failed."""


@dataclass(frozen=True)
class Evaluation:
    """Moments of one parameter set over the common seeds."""

    values: dict[str, float]
    per_seed: pd.DataFrame
    """Index ``seed``, one column per moment."""
    loss: float
    implausibility: pd.Series
    error: str | None = None

    @property
    def means(self) -> pd.Series:
        """Seed mean of each moment."""
        return self.per_seed.mean()

    @property
    def sds(self) -> pd.Series:
        """Seed standard deviation of each moment (ddof = 1)."""
        return self.per_seed.std(ddof=1) if len(self.per_seed) > 1 else \
            self.per_seed.mean() * 0.0

    @property
    def max_implausibility(self) -> float:
        r""":math:`\max_k I_k`."""
        return float(self.implausibility.max())

    def attrs(self) -> dict[str, Any]:
        """JSON-able summary stored with an Optuna trial."""
        clean = lambda s: {k: (None if not np.isfinite(v) else float(v))  # noqa: E731
                           for k, v in s.items()}
        return {"mean": clean(self.means), "sd": clean(self.sds),
                "implausibility": clean(self.implausibility),
                "max_implausibility": (float(self.max_implausibility)
                                       if np.isfinite(self.max_implausibility) else None),
                "error": self.error}


@dataclass(frozen=True)
class CalibrationProblem:
    """What a calibration fits: base configs, parameters, targets and common seeds."""

    model: ModelConfig
    policy: PolicyConfig
    space: ParameterSpace
    targets: Targets
    seeds: tuple[int, ...]
    burn_in: int = BURN_IN
    window: int = WINDOW
    weights: pd.Series | None = field(default=None, compare=False)
    """:math:`w_k = 1/\\hat\\sigma^2_k` (set by :meth:`with_weights`)."""

    def base_values(self) -> dict[str, float]:
        """The base configs' values of the parameters (the reference point)."""
        out = {}
        for p in self.space.parameters:
            base = self.model if p.group == "scenario" else self.policy
            out[p.name] = float(getattr(base, p.field))
        return out

    def simulate_moments(self, values: dict[str, float]) -> pd.DataFrame:
        """Moments per seed at ``values``."""
        from s3sim.experiments.simulation import run_simulation

        model, policy = self.space.apply(values, self.model, self.policy)
        result = run_simulation(model, policy, self.seeds)
        return compute_moments(result, self.targets.moments, burn_in=self.burn_in,
                               window=self.window)

    def with_weights(self, per_seed: pd.DataFrame) -> CalibrationProblem:
        """Fix the weighting matrix from the seed variances of a reference evaluation.

        Moments with zero or undefined variance get the median weight of the others.
        """
        var = per_seed.var(ddof=1)
        ok = var[(var > 0) & np.isfinite(var)]
        fill = float(np.median(1.0 / ok)) if len(ok) else 1.0
        w = (1.0 / var).where((var > 0) & np.isfinite(var), fill)
        return CalibrationProblem(self.model, self.policy, self.space, self.targets,
                                  self.seeds, self.burn_in, self.window, w)

    def evaluate(self, values: dict[str, float]) -> Evaluation:
        """Run the seeds at ``values``; SMM loss and implausibilities."""
        if self.weights is None:
            raise RuntimeError("set the weighting matrix first (with_weights)")
        try:
            per_seed = self.simulate_moments(values)
            error = None
        except Exception as exc:  # a parameter set the model cannot run
            per_seed = pd.DataFrame([{m: np.nan for m in self.targets.moments}])
            error = f"{type(exc).__name__}: {exc}"
        return self.score(values, per_seed, error)

    def score(self, values: dict[str, float], per_seed: pd.DataFrame,
              error: str | None = None) -> Evaluation:
        """Loss and implausibilities of moments already simulated at ``values``."""
        if self.weights is None:
            raise RuntimeError("set the weighting matrix first (with_weights)")
        ev_means = per_seed.mean()
        sds = per_seed.std(ddof=1) if len(per_seed) > 1 else ev_means * 0.0
        loss = self.targets.loss(ev_means, self.weights)
        imp = self.targets.implausibility(ev_means, sds, len(per_seed))
        return Evaluation(dict(values), per_seed, min(loss, PENALTY), imp, error)
