"""One year of the economy: :func:`start_year`, then the policy plans, then :func:`step`.

Flow of a year (``docs/architecture.md``):

1. :func:`start_year`: the world market moves and the year counter advances; the
   policy gets an :class:`~s3sim.engine.observation.Observation`.
2. :func:`step` executes the policy's plan:
   research bodies are funded and spill knowledge over (absorbed where density is
   high enough); the year's draws are made (:func:`~s3sim.engine.draws.draw_year`);
   attempts (:func:`~s3sim.engine.diversification.attempts`), subsidies
   (:func:`~s3sim.engine.diversification.grant_subsidies`), success
   (:func:`~s3sim.engine.diversification.successes`), ventures
   (:func:`~s3sim.engine.diversification.ventures`); incumbents grow and exit
   (:func:`~s3sim.engine.growth.grow_and_exit`); successful attempts become firms;
   the regions are measured (:func:`~s3sim.engine.measure.measure`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s3sim.engine.discovery import reveal
from s3sim.engine.diversification import apply_and_decide, attempts, successes, ventures
from s3sim.engine.draws import YearDraws, draw_year
from s3sim.engine.growth import grow_and_exit
from s3sim.engine.measure import measure
from s3sim.engine.observation import Observation, PolicyPlan, available_budget, observe
from s3sim.engine.state import EconomyState
from s3sim.engine.valuation import grant_gain

__all__ = ["StepResult", "start_year", "step"]


@dataclass(frozen=True)
class StepResult:
    """What one year changed.

    Attributes
    ----------
    step : int
    gained, lost : ndarray of bool (R, P)
        Pairs that gained / lost RCA >= 1 this year.
    density_before, presence_before : ndarray (R, P)
        Density and presence at the start of the year.
    entry_region, entry_product : ndarray of int
        New firms (successful attempts, then ventures).
    entry_subsidised : ndarray of bool
    entry_slots : ndarray of int
        Slots the new firms took.
    exit_region, exit_slots : ndarray of int
        Firms that exited (their slots are freed).
    research_spent, subsidy_spent : ndarray (R,)
        Money spent on research funding and on subsidies plus ventures (subsidies
        include their per-grant administrative cost).
    public_input_spent, admin_spent : ndarray (R,)
        Money spent on public inputs, and on administration (the fixed cost of running
        the scheme plus the per-grant cost, which is also inside ``subsidy_spent``).
    private_cost : ndarray (R,)
        What firms and entrepreneurs paid themselves for the year's attempts
        (including failed ones and discovery costs), net of grants.
    discoveries : ndarray of int (R,)
        Attempts that were their region's first at a product.
    established : ndarray of int (R,)
        New specialisations that became established this year
        (:mod:`s3sim.engine.established`).
    n_attempts : int
        Attempts made (natural and funded induced ones).
    draws : YearDraws
        The year's firm and entrepreneur draws.
    admin_fixed : ndarray (R,)
        The fixed part of ``admin_spent``.
    applications, grants : ndarray of int (R,)
        Applications for a grant, and grants made (:mod:`s3sim.engine.diversification`).
    idiosyncratic_value : ndarray (R,)
        The firms' idiosyncratic net value of the attempts they made
        (:func:`s3sim.engine.discovery.idiosyncratic_value`; 0 without private decisions).
    """

    step: int
    gained: np.ndarray
    lost: np.ndarray
    density_before: np.ndarray
    presence_before: np.ndarray
    entry_region: np.ndarray
    entry_product: np.ndarray
    entry_subsidised: np.ndarray
    entry_slots: np.ndarray
    exit_region: np.ndarray
    exit_slots: np.ndarray
    research_spent: np.ndarray
    subsidy_spent: np.ndarray
    public_input_spent: np.ndarray
    admin_spent: np.ndarray
    private_cost: np.ndarray
    discoveries: np.ndarray
    established: np.ndarray
    n_attempts: int
    draws: YearDraws

    admin_fixed: np.ndarray
    applications: np.ndarray
    grants: np.ndarray
    idiosyncratic_value: np.ndarray

    @property
    def budget_spent(self) -> np.ndarray:
        """Total spending per region (research, subsidies, ventures, inputs, administration)."""
        return (self.research_spent + self.subsidy_spent + self.public_input_spent
                + self.admin_fixed)


def start_year(state: EconomyState) -> Observation:
    """Advance the year counter and the world market; return the policy's view."""
    state.step += 1
    cfg = state.config
    extra = None
    if cfg.shock_cluster is not None and state.step == cfg.shock_year:
        extra = -cfg.shock_size * (state.product_space.cluster == cfg.shock_cluster)
    state.market.step(extra)
    return observe(state)


def _fund_research(state: EconomyState, funding: np.ndarray, budget: np.ndarray,
                   name: str) -> np.ndarray:
    spent = np.bincount(state.research.region, weights=funding, minlength=state.n_regions)
    if np.any(spent > budget * (1 + 1e-9) + 1e-12):
        raise RuntimeError(f"policy {name!r} overspent on research funding")
    state.research.step(funding)
    return spent


def _fixed_admin(state: EconomyState, budget: np.ndarray, policy_name: str) -> np.ndarray:
    """The yearly cost of running the scheme: ``admin_fixed_share`` of an active budget."""
    share = state.policy_config.admin_fixed_share
    if share <= 0 or policy_name == "none":
        return np.zeros(state.n_regions)
    return share * budget


def _invest_in_inputs(state: EconomyState, plan: PolicyPlan, money: np.ndarray) -> np.ndarray:
    """Depreciate public inputs and buy new units with the plan's money (capped by ``money``)."""
    asked = plan.public_input_money
    if asked is None:
        if state.config.public_input_strength > 0 or state.public_inputs.horizontal.any() \
                or state.public_inputs.domain.any():
            return state.public_inputs.invest(np.zeros(state.n_regions), None)
        return np.zeros(state.n_regions)
    return state.public_inputs.invest(np.minimum(np.asarray(asked, float), money),
                                      plan.public_input_domains)


def step(state: EconomyState, plan: PolicyPlan, policy_name: str = "policy") -> StepResult:
    """Execute ``plan`` for the year opened by :func:`start_year`; update ``state``.

    Money is used in this order: the fixed administrative cost, research funding,
    public inputs, grants (first come, first served or by the instrument's ranking, each
    with its administrative cost; a firm decides after learning whether it is granted),
    state-led ventures; what is left is returned (unspent).
    """
    cfg, pol = state.config, state.policy_config
    budget = available_budget(state)
    admin_fixed = _fixed_admin(state, budget, policy_name)
    research_spent = _fund_research(state, plan.research_funding, budget - admin_fixed,
                                    policy_name)
    input_spent = _invest_in_inputs(state, plan, budget - admin_fixed - research_spent)
    spill = state.research.spillovers(state.space.proximity, state.n_regions)
    before = state.measured
    absorbed = spill * (before.density >= state.absorb_threshold[:, None])

    sigma = np.clip(plan.subsidy_rate, 0.0, 1.0)
    imitating = cfg.imitation_speed > 0 and cfg.follower_pool > 0
    draws = draw_year(state.streams, state.firms.capacity, state.entrant_region.size,
                      decisions=cfg.decision_sharpness > 0,
                      followers=(cfg.follower_pool, state.n_regions, state.n_products)
                      if imitating else None)
    considered = attempts(state, sigma, draws)
    remaining = budget - admin_fixed - research_spent - input_spent
    priority = None
    if plan.grant_value is not None:
        priority = grant_gain(state, considered, sigma, plan.grant_value, plan.grant_mcpf,
                              absorbed, pol.admin_grant_rate)
    decided = apply_and_decide(state, considered, sigma, remaining, absorbed,
                               pol.admin_grant_rate, priority)
    att, granted, subsidy_spent = decided.made, decided.granted_rate, decided.subsidy_spent
    success = successes(state, att.region, att.product, att.u_success, granted, absorbed)
    private_cost = np.bincount(att.region, weights=att.cost * (1.0 - granted),
                               minlength=state.n_regions)
    discoveries = np.bincount(att.region[att.pioneer], minlength=state.n_regions)
    reveal(state.discovery, att.region, att.product)
    found = att.pioneer & success
    state.discovery.discovered[att.region[found], att.product[found]] = state.step
    v_region, v_product, venture_spent = ventures(
        state, plan.venture_weights, remaining - subsidy_spent, absorbed)
    reveal(state.discovery, v_region, v_product)

    grown = grow_and_exit(state, draws)
    firms = state.firms
    firms.size[grown.slots] = grown.size
    exit_slots = grown.slots[grown.exiting]
    exit_region = firms.region[exit_slots].astype(np.int64)  # before entrants reuse slots
    firms.remove(exit_slots)
    state.labour_force = grown.labour_force

    new_region = np.concatenate([att.region[success], v_region])
    new_product = np.concatenate([att.product[success], v_product])
    new_subsidised = np.concatenate([granted[success] > 0, np.ones(v_region.size, dtype=bool)])
    sizes = np.concatenate([np.full(int(success.sum()), cfg.entry_size),
                            np.full(v_region.size, pol.venture_cost)])
    slots = firms.add(new_region, new_product, sizes, state.step, new_subsidised)

    state.measured = measure(firms, state.market.demand * state.world_scale, state.space,
                             state.n_regions)
    after = state.measured.presence
    established = state.established.update(state.measured.rca, state.measured.output,
                                           cfg.established_years, cfg.established_min_share)
    grant_admin = subsidy_spent * (pol.admin_grant_rate / (1.0 + pol.admin_grant_rate))
    return StepResult(
        step=state.step, gained=after & ~before.presence, lost=before.presence & ~after,
        density_before=before.density, presence_before=before.presence,
        entry_region=new_region, entry_product=new_product, entry_subsidised=new_subsidised,
        entry_slots=slots, exit_region=exit_region,
        exit_slots=exit_slots, research_spent=research_spent,
        subsidy_spent=subsidy_spent + venture_spent, public_input_spent=input_spent,
        admin_spent=admin_fixed + grant_admin, private_cost=private_cost,
        discoveries=discoveries, established=established, n_attempts=len(att), draws=draws,
        admin_fixed=admin_fixed, applications=decided.applications, grants=decided.grants,
        idiosyncratic_value=decided.idiosyncratic_value,
    )
