"""What a policy sees and what it decides: :class:`Observation` in, :class:`PolicyPlan` out.

The engine builds a read-only :class:`Observation` of the economy at the start of each
year (after the world market has moved); a policy instrument
(:mod:`s3sim.policies`) answers with a :class:`PolicyPlan`; :func:`s3sim.engine.step.step`
executes it. Policies never touch the engine's state.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from s3sim.engine.space_arrays import SpaceArrays
from s3sim.engine.state import EconomyState
from s3sim.space.product_space import ProductSpace

if TYPE_CHECKING:
    from s3sim.engine.valuation import SocialValue

__all__ = ["Observation", "PolicyPlan", "StepOutcome", "available_budget", "informants",
           "observe"]


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
    public_input_money : ndarray (R,) or None
        Money for public inputs (bought in whole units of ``public_input_cost``).
    public_input_domains : ndarray (R, K) or None
        How each region splits its public inputs across product-space clusters; None
        (or an all-zero row) buys the horizontal input.
    grant_value : ndarray (R, P) or None
        The social value the instrument puts on a success in each (region, product).
        When given, applications are ranked by the expected welfare gain of granting them
        per unit of money (:func:`s3sim.engine.valuation.grant_gain`, which uses the
        model's hidden state) and those without a gain are refused: the oracle. None:
        first come, first served.
    grant_mcpf : float
        Marginal cost of public funds used in that ranking.
    """

    subsidy_rate: np.ndarray
    research_funding: np.ndarray
    priorities: dict[int, np.ndarray] = field(default_factory=dict)
    venture_weights: np.ndarray | None = None
    public_input_money: np.ndarray | None = None
    public_input_domains: np.ndarray | None = None
    grant_value: np.ndarray | None = None
    grant_mcpf: float = 0.3


@dataclass(frozen=True)
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


def _frozen(x: np.ndarray) -> np.ndarray:
    view = np.asarray(x).view()
    view.flags.writeable = False
    return view


def informants(state: EconomyState, min_proximity: float) -> np.ndarray:
    """Local informants per region and product for an entrepreneurial discovery.

    Informants are the firms and research bodies of a region active in a product
    within ``min_proximity`` of the product (or in the product itself):
    ``I_rp = sum_q (firms_rq + bodies_rq) [phi_qp >= min_proximity or q = p]``.
    """
    active = state.firms.count_matrix(state.n_regions, state.n_products)
    np.add.at(active, (state.research.region, state.research.domain), 1.0)
    # counts times a 0/1 matrix: sums of integers, exact in any order, so the sparse
    # product equals the dense one bit for bit
    return np.asarray(active @ _near(state.space, min_proximity))


_NEAR: dict[tuple[int, float], sp.csc_array] = {}


def _near(space: SpaceArrays, min_proximity: float) -> sp.csc_array:
    """``[phi_qp >= min_proximity or q = p]`` as a sparse matrix, cached per space."""
    key = (id(space), float(min_proximity))
    near = _NEAR.get(key)
    if near is None:
        dense = space.proximity >= min_proximity
        np.fill_diagonal(dense, True)
        near = _NEAR[key] = sp.csc_array(dense.astype(float))
        weakref.finalize(space, _NEAR.pop, key, None)
    return near


@dataclass(frozen=True)
class Observation:
    """A read-only view of the economy for a policy, at the start of year ``step``.

    Attributes
    ----------
    step : int
        The year being planned (1 for the first year; 0 at construction).
    n_regions, n_products, n_bodies : int
    product_space : ProductSpace
    pci : ndarray (P,)
    density, presence, output, rca : ndarray (R, P)
        As measured at the end of the previous year.
    growth : ndarray (P,)
        Smoothed world-demand growth (the market signal an entrepreneur knows).
    suitability : ndarray (R, P)
        Latent suitability (only an entrepreneurial discovery may reveal it).
    research_region, research_domain : ndarray of int (B,)
        Home region and knowledge domain of each research body.
    rng : numpy.random.Generator
        The policy's own random stream (noisy signals).
    """

    step: int
    n_regions: int
    n_products: int
    n_bodies: int
    product_space: ProductSpace
    pci: np.ndarray
    density: np.ndarray
    presence: np.ndarray
    output: np.ndarray
    rca: np.ndarray
    growth: np.ndarray
    suitability: np.ndarray
    research_region: np.ndarray
    research_domain: np.ndarray
    region_types: np.ndarray
    rca_held: np.ndarray
    imitation: np.ndarray
    budget: np.ndarray
    rng: np.random.Generator
    _state: EconomyState = field(repr=False, compare=False)

    def informants(self, min_proximity: float) -> np.ndarray:
        """Informants per (region, product) (see :func:`informants`)."""
        return informants(self._state, min_proximity)

    def social_value(self, rate: float = 0.03,
                     input_cost_share: float | None = None) -> SocialValue:
        """The social value of one success in every (region, product), by channel.

        Hidden state: for the ``oracle`` instrument and selection rule only
        (:func:`s3sim.engine.valuation.social_value_of_success`).
        """
        from s3sim.engine.valuation import social_value_of_success, success_value_of

        success = success_value_of(self._state, (rate,))
        return social_value_of_success(self._state, success, rate, input_cost_share)

    def success_probability(self) -> np.ndarray:
        """True success probability of an unsubsidised attempt in every (region, product).

        Hidden state (latent suitability included; research spillovers left out): for the
        ``oracle`` selection rule only.
        """
        cfg = self._state.config
        logit = (cfg.success_base + cfg.success_density * self.density
                 - cfg.success_complexity * self._state.space.pci_z[None, :]
                 + self.suitability)
        return 0.5 * (1.0 + np.tanh(0.5 * logit))


def available_budget(state: EconomyState) -> np.ndarray:
    """The year's budget per region: zero once a programme of ``programme_years`` has ended."""
    years = state.policy_config.programme_years
    if years is not None and state.step > years:
        return np.zeros_like(state.budget)
    return state.budget.copy()


def observe(state: EconomyState) -> Observation:
    """The policy's read-only view of ``state``."""
    m = state.measured
    return Observation(
        step=state.step, n_regions=state.n_regions, n_products=state.n_products,
        n_bodies=state.research.n_bodies, product_space=state.product_space,
        pci=state.space.pci, density=_frozen(m.density), presence=_frozen(m.presence),
        output=_frozen(m.output), rca=_frozen(m.rca),
        growth=_frozen(state.market.smoothed_growth), suitability=_frozen(state.suitability),
        research_region=_frozen(state.research.region),
        research_domain=_frozen(state.research.domain),
        region_types=_frozen(state.region_types), rca_held=_frozen(state.established.held),
        imitation=_frozen(state.discovery.imitation), budget=_frozen(available_budget(state)),
        rng=state.streams.policy,
        _state=state,
    )
