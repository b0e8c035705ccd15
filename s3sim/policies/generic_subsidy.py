"""``generic_subsidy``: horizontal, sector-neutral co-financing of diversification attempts.

The government co-finances a share (``subsidy_rate``) of the cost of any firm's
diversification attempt, whatever the target, first come first served until the
region's budget is spent, like an R&D tax credit or a generic innovation voucher
(OECD 2010, *The Innovation Policy Mix*). It does not choose: the market and the
firms' own relatedness-driven search decide where the money goes. With
``public_input_share > 0`` that share buys a horizontal public input (general skills,
absorptive capacity) that serves every domain (``docs/model.md`` 7.9).
"""

from __future__ import annotations

import numpy as np

from s3sim.policies.base import Observation, Policy, PolicyPlan

__all__ = ["GenericSubsidy"]


class GenericSubsidy(Policy):
    """Co-finance every attempt at ``subsidy_rate`` while the budget lasts."""

    name = "generic_subsidy"

    def plan(self, obs: Observation, budget: np.ndarray) -> PolicyPlan:
        """The same rate for every product in every region with money."""
        plan = self._empty_plan(obs)
        has_money = budget > 0
        plan.subsidy_rate[has_money, :] = self.config.subsidy_rate
        self._buy_public_inputs(plan, obs, budget, None)  # horizontal: serves every domain
        return plan
