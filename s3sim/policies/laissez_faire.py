"""``none``: the laissez-faire baseline. Spends nothing; firms and research bodies act alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from s3sim.policies.base import Policy, PolicyPlan

if TYPE_CHECKING:
    from s3sim.model import S3Model

__all__ = ["NoPolicy"]


class NoPolicy(Policy):
    """The baseline: no subsidies, no research funding, no priorities."""

    name = "none"

    def plan(self, model: S3Model, budget: np.ndarray) -> PolicyPlan:
        """Offer nothing."""
        return self._empty_plan(model)
