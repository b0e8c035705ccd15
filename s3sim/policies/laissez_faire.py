"""``none``: the laissez-faire baseline. Spends nothing; firms and research bodies act alone."""

from __future__ import annotations

import numpy as np

from s3sim.policies.base import Observation, Policy, PolicyPlan

__all__ = ["NoPolicy"]


class NoPolicy(Policy):
    """The baseline: no subsidies, no research funding, no priorities."""

    name = "none"

    def plan(self, obs: Observation, budget: np.ndarray) -> PolicyPlan:
        """Offer nothing."""
        return self._empty_plan(obs)
