"""The interface every policy instrument implements.

Once a year, before firms act, the engine gives the policy a read-only
:class:`~s3sim.engine.observation.Observation` and each region's budget and asks for a
:class:`PolicyPlan`: the co-financing rate offered for diversification attempts into
each (region, product), the funding of each research body, and the current priority
domains. The engine then pays research funding, grants subsidies
attempt by attempt while money remains, and reports back what happened
(:meth:`Policy.observe`), so instruments can monitor and revise.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from s3sim.config import PolicyConfig
from s3sim.engine.observation import Observation, PolicyPlan, StepOutcome

__all__ = ["Observation", "Policy", "PolicyPlan", "StepOutcome", "share_among"]


def share_among(amount: np.ndarray, groups: np.ndarray, eligible: np.ndarray,
                n_groups: int) -> np.ndarray:
    """Split each group's ``amount`` equally among its eligible members.

    Parameters
    ----------
    amount : ndarray (n_groups,)
        Money per group (region).
    groups : ndarray (n,)
        Group of each member (research body).
    eligible : ndarray of bool (n,)
        Members that may receive money.
    n_groups : int
        Number of groups.

    Returns
    -------
    ndarray (n,)
        Money per member; groups without eligible members give nothing.
    """
    count = np.bincount(groups[eligible], minlength=n_groups).astype(float)
    per_member = np.divide(amount, count, out=np.zeros(n_groups), where=count > 0)
    return np.where(eligible, per_member[groups], 0.0)


class Policy(ABC):
    """Base class of policy instruments.

    Parameters
    ----------
    config : PolicyConfig
        The instrument's parameters.
    """

    name: ClassVar[str]

    def __init__(self, config: PolicyConfig) -> None:
        self.config = config
        self.priorities: dict[int, np.ndarray] = {}

    def reset(self, obs: Observation) -> None:  # noqa: B027 - optional hook
        """Prepare for a new run (called once when the model is built)."""

    @abstractmethod
    def plan(self, obs: Observation, budget: np.ndarray) -> PolicyPlan:
        """Decide this year's subsidy rates, research funding and priorities.

        Parameters
        ----------
        obs : Observation
            The economy at the start of the year, read-only
            (:class:`~s3sim.engine.observation.Observation`).
        budget : ndarray (R,)
            Money each region's government may spend this year.
        """

    def observe(self, outcome: StepOutcome) -> None:  # noqa: B027
        """Learn from the year's entries (monitoring); the default ignores them."""

    def _empty_plan(self, obs: Observation) -> PolicyPlan:
        return PolicyPlan(
            subsidy_rate=np.zeros((obs.n_regions, obs.n_products)),
            research_funding=np.zeros(obs.n_bodies),
        )

    def _buy_public_inputs(self, plan: PolicyPlan, obs: Observation, budget: np.ndarray,
                           targets: dict[int, np.ndarray] | None) -> None:
        """Spend ``public_input_share`` of the budget on public inputs.

        ``targets`` (region -> product indices) makes them domain-specific: each
        region's units go to the product-space clusters of its targets, in proportion
        to how many targets each cluster holds; ``None`` buys the horizontal input.
        """
        share = self.config.public_input_share
        if share <= 0:
            return
        plan.public_input_money = share * budget
        if targets is None:
            return
        cluster = obs.product_space.cluster
        weights = np.zeros((obs.n_regions, int(cluster.max()) + 1))
        for region, products in targets.items():
            np.add.at(weights[region], cluster[np.asarray(products, dtype=int)], 1.0)
        plan.public_input_domains = weights
