r"""``oracle``: funds exactly the attempts whose grant raises welfare, seen with the hidden state.

The upper bound of any targeting rule. Each year, for every (region, product), the
oracle computes the social value of one success (:mod:`s3sim.engine.valuation`:
the owner's rent, followers' rents, the surplus of otherwise idle labour, coordination,
relatedness spillovers, minus crowding, congestion and lost market share) with the
model's hidden state (the latent suitability, imitation speeds, viability), in the
valuation set by ``valuation_input_cost_share``, ``valuation_mcpf`` and
``valuation_discount``. It offers ``subsidy_rate`` for the products where a success has
a positive social value, and grants an application only if the grant's expected welfare
gain is positive — for a firm deciding on value, only when the success is worth more to
society than to its owner by more than the cost of the public money — best gain per
unit of money first
(:func:`s3sim.engine.valuation.grant_gain`: it knows each firm's decision rule, not its
idiosyncratic draw). Smart specialisation as designed and as practised are measured
as shares of the oracle's gain.
"""

from __future__ import annotations

import numpy as np

from s3sim.policies.base import Observation, Policy, PolicyPlan

__all__ = ["Oracle"]


class Oracle(Policy):
    """Grants ranked by their expected welfare gain, with the model's hidden state."""

    name = "oracle"

    def plan(self, obs: Observation, budget: np.ndarray) -> PolicyPlan:
        """Offer the rate where a success has a positive social value; rank the grants."""
        plan = self._empty_plan(obs)
        has_money = budget > 0
        if not has_money.any():
            return plan
        cfg = self.config
        value = obs.social_value(cfg.valuation_discount, cfg.valuation_input_cost_share)
        worth = has_money[:, None] & (value.total > 0)
        plan.subsidy_rate[worth] = cfg.subsidy_rate
        plan.grant_value = value.total
        plan.grant_mcpf = cfg.valuation_mcpf
        self.priorities = {r: np.flatnonzero(worth[r]) for r in range(obs.n_regions)}
        return plan
