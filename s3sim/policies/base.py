"""The interface every policy instrument implements.

Once a year, before firms act, the model gives the policy each region's budget and
asks for a :class:`PolicyPlan`: the co-financing rate offered for diversification
attempts into each (region, product), the funding of each research body, and the
current priority domains. The model then pays research funding, grants subsidies
attempt by attempt while money remains, and reports back what happened
(:meth:`Policy.observe`), so instruments can monitor and revise.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from s3sim.config import PolicyConfig

if TYPE_CHECKING:
    from s3sim.model import S3Model

__all__ = ["Policy", "PolicyPlan", "StepOutcome", "share_among"]


@dataclass
class PolicyPlan:
    """What a policy offers in one year.

    Attributes
    ----------
    subsidy_rate : ndarray (R, P)
        Share of an attempt's cost co-financed for attempts into (region, product).
    research_funding : ndarray (B,)
        Funding per research body; per region it must not exceed the region's budget.
    priorities : dict[int, ndarray]
        Priority products per region (empty arrays for instruments without priorities).
    venture_weights : ndarray (R, P) or None
        If given, money left after subsidies builds state-led ventures (``venture_cost``
        each) in products drawn with these weights.
    """

    subsidy_rate: np.ndarray
    research_funding: np.ndarray
    priorities: dict[int, np.ndarray] = field(default_factory=dict)
    venture_weights: np.ndarray | None = None


@dataclass
class StepOutcome:
    """What happened in a year, reported to the policy after the firms acted.

    Attributes
    ----------
    entry_region, entry_product : ndarray of int
        (region, product) of every successful diversification or entrant this year.
    entry_subsidised : ndarray of bool
        Whether each of those entries was subsidised.
    """

    entry_region: np.ndarray
    entry_product: np.ndarray
    entry_subsidised: np.ndarray


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

    def reset(self, model: S3Model) -> None:  # noqa: B027 - optional hook
        """Prepare for a new run (called once when the model is built)."""

    @abstractmethod
    def plan(self, model: S3Model, budget: np.ndarray) -> PolicyPlan:
        """Decide this year's subsidy rates, research funding and priorities.

        Parameters
        ----------
        model : S3Model
            The model, read-only: its state at the start of the year.
        budget : ndarray (R,)
            Money each region's government may spend this year.
        """

    def observe(self, model: S3Model, outcome: StepOutcome) -> None:  # noqa: B027
        """Learn from the year's entries (monitoring); the default ignores them."""

    def _empty_plan(self, model: S3Model) -> PolicyPlan:
        return PolicyPlan(
            subsidy_rate=np.zeros((model.n_regions, model.n_products)),
            research_funding=np.zeros(model.research.n_bodies),
        )
