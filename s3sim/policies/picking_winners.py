"""``picking_winners``: top-down targeting of the most complex products.

Every region's government subsidises attempts into the ``n_priorities`` products with
the highest PCI of the product space, whatever the region can do: the "cathedral in
the desert" that smart specialisation was designed to avoid (Foray, David & Hall
2009; Hausmann & Rodrik 2006 on the information problem of industrial policy).
The targets are fixed and never revised. Money that subsidies do not absorb is spent
on state-led ventures in the winners (``venture_cost`` each, a plant that succeeds or
fails like any attempt, with the region's capabilities): the cathedral itself.
"""

from __future__ import annotations

import numpy as np

from s3sim.policies.base import Observation, Policy, PolicyPlan

__all__ = ["PickingWinners"]


class PickingWinners(Policy):
    """Subsidise attempts into the most complex products; build ventures with the rest."""

    name = "picking_winners"

    def reset(self, obs: Observation) -> None:
        """Choose the national champions once: the highest-PCI products."""
        n = min(self.config.n_priorities, obs.n_products)
        winners = np.argsort(-obs.pci, kind="stable")[:n]
        self.priorities = {r: winners.copy() for r in range(obs.n_regions)}

    def plan(self, obs: Observation, budget: np.ndarray) -> PolicyPlan:
        """Offer ``subsidy_rate`` for attempts into the winners, in regions with money."""
        plan = self._empty_plan(obs)
        for region, products in self.priorities.items():
            if budget[region] > 0:
                plan.subsidy_rate[region, products] = self.config.subsidy_rate
        plan.priorities = self.priorities
        plan.venture_weights = np.zeros_like(plan.subsidy_rate)
        for region, products in self.priorities.items():
            if budget[region] > 0:
                plan.venture_weights[region, products] = 1.0
        self._buy_public_inputs(plan, obs, budget, self.priorities)
        return plan
