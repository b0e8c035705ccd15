"""``research_funding``: science push. The whole budget goes to the region's research bodies.

Each region's budget is shared equally among its research bodies, raising their
knowledge and so the spillovers to firms in related products (the linear model of
innovation; Bush 1945; criticised by Kline & Rosenberg 1986). Regions without a
research body cannot spend (recorded as unspent budget).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from s3sim.policies.base import Policy, PolicyPlan, share_among

if TYPE_CHECKING:
    from s3sim.model import S3Model

__all__ = ["ResearchFunding"]


class ResearchFunding(Policy):
    """All money to research bodies, shared equally within each region."""

    name = "research_funding"

    def plan(self, model: S3Model, budget: np.ndarray) -> PolicyPlan:
        """Fund every research body of the region equally; no subsidies."""
        plan = self._empty_plan(model)
        research = model.research
        eligible = np.ones(research.n_bodies, dtype=bool)
        plan.research_funding = share_among(budget, research.region, eligible, model.n_regions)
        return plan
