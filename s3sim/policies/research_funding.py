"""``research_funding``: science push. The whole budget goes to the region's research bodies.

Each region's budget is shared equally among its research bodies, raising their
knowledge and so the spillovers to firms in related products (the linear model of
innovation; Bush 1945; criticised by Kline & Rosenberg 1986). Regions without a
research body cannot spend (recorded as unspent budget).
"""

from __future__ import annotations

import numpy as np

from s3sim.policies.base import Observation, Policy, PolicyPlan, share_among

__all__ = ["ResearchFunding"]


class ResearchFunding(Policy):
    """All money to research bodies, shared equally within each region."""

    name = "research_funding"

    def plan(self, obs: Observation, budget: np.ndarray) -> PolicyPlan:
        """Fund every research body of the region equally; no subsidies."""
        plan = self._empty_plan(obs)
        eligible = np.ones(obs.n_bodies, dtype=bool)
        plan.research_funding = share_among(budget, obs.research_region, eligible,
                                            obs.n_regions)
        return plan
