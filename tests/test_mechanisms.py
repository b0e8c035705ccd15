"""The market failures behind the policy question: each mechanism's behaviour (docs/model.md 7.9).

With every mechanism off the engine reproduces the outputs recorded before they existed
(``test_engine_reference.py``); here each mechanism, switched on, does what its equation
says, and the limit cases of the ``when_s3_wins`` study come out as they must.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from s3sim.config import ConfigError, ModelConfig, PolicyConfig
from s3sim.engine.build import build_state
from s3sim.engine.coordination import PublicInputs, related_output, viability
from s3sim.engine.discovery import DiscoveryState, go_probability, reveal
from s3sim.engine.draws import draw_year
from s3sim.engine.growth import grow_and_exit, market_share, viability_of
from s3sim.experiments.simulation import run_simulation
from s3sim.experiments.welfare import WelfareParameters, paired_welfare, system_welfare
from s3sim.model import S3Model
from s3sim.scenarios import SCENARIOS

SMALL = SCENARIOS["synthetic_small"].replace(steps=12)
DECIDING = dict(decision_sharpness=2.0, hidden_suitability=1.0, suitability_correlation=0.5,
                success_subsidy=0.0)


def _totals(config: ModelConfig, policy: PolicyConfig | None = None, seeds=(0, 1)) -> pd.Series:
    result = run_simulation(config, policy or PolicyConfig("none"), list(seeds))
    return result.regions[result.regions.step > 0][
        ["discoveries", "established", "private_cost", "firm_entries", "budget_spent",
         "admin_spent", "public_input_spent", "output"]].sum()


# --------------------------------------------------------------- self-discovery
def test_belief_is_truth_where_revealed_and_a_shrunk_mean_elsewhere():
    xi = np.array([[1.0, -2.0], [3.0, 0.5], [0.0, 0.0]])
    known = np.array([[True, False], [True, False], [False, False]])
    state = DiscoveryState.start(xi, known, correlation=0.5, imitation=np.zeros(2))
    # region 2 has revealed nothing; product 0 revealed by two regions (mean 2):
    # weight n rho / (1 + (n - 1) rho) = 1 / 1.5
    belief = state.belief(np.array([0, 2, 2]), np.array([0, 0, 1]))
    np.testing.assert_allclose(belief, [1.0, 2.0 / 1.5, 0.0])
    newly = reveal(state, np.array([2, 2, 0]), np.array([1, 1, 0]))
    assert newly.tolist() == [True, False, False]  # counted once; (0, 0) was known
    assert state.revealed[2, 1] and state.revealed_count[1] == 1
    assert state.belief(np.array([2]), np.array([1]))[0] == 0.0  # its own truth


def test_uncorrelated_suitability_teaches_nothing():
    state = DiscoveryState.start(np.array([[2.0], [1.0]]), np.array([[True], [False]]),
                                 correlation=0.0, imitation=np.zeros(1))
    assert state.belief(np.array([1]), np.array([0]))[0] == 0.0


def test_go_probability_rises_as_a_grant_lowers_the_cost_borne():
    # expected value 0.6 against a cost of 1.2 borne in full, half, or not at all
    p = go_probability(np.full(3, 0.6), np.array([1.2, 0.6, 0.0]), np.full(3, 1.2),
                       sharpness=2.0)
    assert p[0] < p[1] < p[2] < 1.0
    np.testing.assert_allclose(p[1], 0.5)  # value equals the cost borne: indifferent
    # without a grant it is the ratio form logistic(k (pi V / c - 1))
    np.testing.assert_allclose(p[0], 1.0 / (1.0 + np.exp(-2.0 * (0.6 / 1.2 - 1.0))))


def test_discovery_cost_is_paid_by_pioneers_and_deters_them():
    free = _totals(SMALL.replace(**DECIDING))
    costly = _totals(SMALL.replace(**DECIDING, discovery_cost=2.0))
    assert costly["discoveries"] < 0.8 * free["discoveries"]


def test_faster_imitation_lowers_laissez_faire_discovery_and_brings_followers():
    slow = _totals(SMALL.replace(**DECIDING, imitation_speed=0.0))
    fast = _totals(SMALL.replace(**DECIDING, imitation_speed=0.6))
    assert fast["discoveries"] < slow["discoveries"]  # pioneers expect to keep less
    assert fast["firm_entries"] > slow["firm_entries"]  # followers imitate successes


def test_followers_come_only_after_a_pioneer_succeeds():
    from s3sim.engine.discovery import followers

    state = DiscoveryState.start(np.zeros((2, 3)), np.zeros((2, 3), dtype=bool), 0.0,
                                 imitation=np.array([0.5, 0.5, 0.0]))
    state.discovered[1, 0] = 4
    state.discovered[0, 2] = 4  # no imitation in product 2
    u = np.full((3, 2, 3), 0.1, dtype=np.float32)
    r, q, _ = followers(state, step=5, horizon=10, uniforms=u)
    assert list(zip(r.tolist(), q.tolist(), strict=True)) == [(1, 0)] * 3
    assert followers(state, step=4, horizon=10, uniforms=u)[0].size == 0  # same year
    assert followers(state, step=15, horizon=10, uniforms=u)[0].size == 0  # wave over


def test_imitation_spread_is_mean_preserving_and_differs_by_cluster():
    state = build_state(SMALL.replace(imitation_speed=0.2, imitation_spread=1.0),
                        PolicyConfig(), seed=3)
    iota = state.discovery.imitation
    cluster = state.product_space.cluster
    by_cluster = pd.Series(iota).groupby(cluster).first()
    assert by_cluster.nunique() > 1
    assert pd.Series(iota).groupby(cluster).nunique().max() == 1  # one speed per cluster


# --------------------------------------------------------------- coordination
def test_related_output_and_viability_hand_cases():
    phi = np.array([[1.0, 0.5], [0.5, 1.0]])
    np.testing.assert_allclose(related_output(np.array([[2.0, 0.0]]), phi), [[2.0, 1.0]])
    np.testing.assert_allclose(viability(np.array([0.0, 1.0]), 1.0), [0.0, 0.5])
    np.testing.assert_allclose(viability(np.array([0.0, 1.0]), 0.0), [1.0, 1.0])


def test_a_domain_input_raises_viability_in_its_domain_only():
    config = SMALL.replace(viability_strength=0.5, critical_mass_threshold=40.0,
                           public_input_strength=5.0)
    state = build_state(config, PolicyConfig(), seed=0)
    before = viability_of(state)
    spent = state.public_inputs.invest(np.full(state.n_regions, 4.0),
                                       np.eye(state.public_inputs.domain.shape[1])[[0] * 8])
    assert spent.tolist() == [4.0] * 8
    assert state.public_inputs.domain[:, 0].tolist() == [4.0] * 8
    after = viability_of(state)
    in_domain = state.product_space.cluster == 0
    assert (after[:, in_domain] > before[:, in_domain]).all()
    np.testing.assert_array_equal(after[:, ~in_domain], before[:, ~in_domain])


def test_horizontal_input_is_diluted_by_rivalry():
    for rivalry, expected in ((0.0, 4.0), (1.0, 1.0)):
        inputs = PublicInputs.empty(1, 4, unit_cost=1.0, depreciation=0.0, rivalry=rivalry)
        inputs.invest(np.array([4.0]), None)
        np.testing.assert_allclose(inputs.serving(np.array([0, 3])), [[expected, expected]])


def test_public_inputs_are_indivisible_saved_up_for_and_depreciate():
    inputs = PublicInputs.empty(2, 2, unit_cost=1.5, depreciation=0.5, rivalry=1.0)
    spent = inputs.invest(np.array([2.0, 1.0]), np.array([[1.0, 0.0], [1.0, 1.0]]))
    assert spent.tolist() == [2.0, 1.0]  # committed to the regions' input funds
    assert inputs.domain.sum(axis=1).tolist() == [1.0, 0.0]  # 1.0 buys no unit of 1.5 ...
    inputs.invest(np.array([0.0, 1.0]), np.array([[1.0, 0.0], [1.0, 1.0]]))
    assert inputs.domain[0, 0] == 0.5  # depreciated
    assert inputs.domain[1].sum() == 1.0  # ... but two years' savings do
    np.testing.assert_allclose(inputs.fund, [0.5, 0.5])


def test_growth_rises_s_shaped_with_related_local_output():
    config = SMALL.replace(viability_strength=0.5, critical_mass_threshold=30.0)
    state = build_state(config, PolicyConfig(), seed=0)
    draws = draw_year(state.streams, state.firms.capacity, state.entrant_region.size)
    with_cm = grow_and_exit(state, draws)
    state.config = SMALL
    without = grow_and_exit(state, draws)
    live = with_cm.slots
    f = state.firms
    capability = related_output(state.measured.output, state.space.proximity)[
        f.region[live], f.product[live]]
    penalty = np.log(with_cm.size / without.size)
    low, high = capability < 15.0, capability > 60.0
    assert low.any() and high.any()
    assert penalty[low].mean() < penalty[high].mean() < 0.0
    assert penalty[high].mean() > -0.05  # well above the critical mass: nearly viable
    assert with_cm.exiting.sum() > without.exiting.sum()


# --------------------------------------------------------------- competition, costs
def test_competition_ties_the_regions_market_shares_to_world_demand():
    def share_drift(config: ModelConfig) -> float:
        model = S3Model(config, rng=0).run(15)
        share = market_share(model.state.measured.output, model.state.market.demand)
        return float(np.abs(np.log(share / model.state.initial_market_share)).mean())

    assert share_drift(SMALL.replace(market_competition=1.0)) < share_drift(SMALL)


def test_administrative_costs_are_spent_and_recorded():
    policy = PolicyConfig("generic_subsidy", budget_share=0.01, admin_grant_rate=0.1)
    result = run_simulation(SMALL, policy, [0])
    r = result.regions[result.regions.step > 0]
    assert r["admin_spent"].sum() > 0
    assert (r["budget_spent"] <= r["budget_spent"] + r["budget_unspent"] + 1e-9).all()
    s3 = PolicyConfig("smart_specialisation", budget_share=0.01, admin_fixed_share=0.05)
    r3 = run_simulation(SMALL, s3, [0]).regions
    r3 = r3[r3.step > 0]
    budget = r3["budget_spent"] + r3["budget_unspent"]
    assert (r3["admin_spent"] >= 0.05 * budget - 1e-12).all()


def test_support_stops_after_the_programme():
    policy = PolicyConfig("generic_subsidy", budget_share=0.01, programme_years=5)
    r = run_simulation(SMALL, policy, [0]).regions
    assert r[r.step.between(1, 5)]["budget_spent"].sum() > 0
    assert r[r.step > 5]["budget_spent"].sum() == 0
    assert r[r.step > 5]["budget_unspent"].sum() == 0


def test_shares_of_one_budget_cannot_exceed_it():
    with pytest.raises(ConfigError, match="must be <= 1"):
        PolicyConfig("smart_specialisation", research_share=0.5, public_input_share=0.4,
                     admin_fixed_share=0.2)


# --------------------------------------------------------------- priorities
def test_oracle_priorities_sit_in_the_externality_domain():
    # the only externality: imitation in cluster 1 (no relatedness spillover in growth,
    # no crowding or congestion, full-employment valuation)
    config = SMALL.replace(**DECIDING, imitation_speed=0.5, externality_domain=1,
                           growth_density=0.0, growth_crowding=0.0, growth_congestion=0.0)
    model = S3Model(config, PolicyConfig("smart_specialisation", budget_share=0.01,
                                         selection_rule="oracle",
                                         valuation_input_cost_share=0.8), rng=0)
    model.step()
    cluster = model.product_space.cluster
    chosen = np.concatenate(list(model.priorities.values()))
    random = S3Model(config, PolicyConfig("smart_specialisation", budget_share=0.01,
                                          selection_rule="random"), rng=0)
    random.step()
    drawn = np.concatenate(list(random.priorities.values()))
    assert (cluster[chosen] == 1).mean() > 0.6
    assert (cluster[chosen] == 1).mean() > 3 * (cluster[drawn] == 1).mean()


def test_priority_domains_group_related_products():
    policy = PolicyConfig("smart_specialisation", budget_share=0.01, n_priorities=2,
                          priority_breadth=4)
    model = S3Model(SMALL, policy, rng=0)
    model.step()
    phi = model.product_space.proximity
    for products in model.priorities.values():
        assert len(products) == 8
        seed, members = products[0], products[1:4]
        others = np.setdiff1d(np.arange(phi.shape[0]), products)
        assert phi[seed, members].min() >= np.median(phi[seed, others])


def test_graduated_priorities_are_dropped():
    policy = PolicyConfig("smart_specialisation", budget_share=0.01, graduation_years=1,
                          revision_interval=100, capture=1.0)  # capture: pick what is held
    model = S3Model(SMALL, policy, rng=0)
    model.step()
    first = {r: set(p.tolist()) for r, p in model.priorities.items()}
    model.step()
    held = model.state.established.held
    for region, products in model.priorities.items():
        assert (held[region, products] < 1).all() or len(products) == 0
        assert set(products.tolist()) <= first[region]


# --------------------------------------------------------------- outcomes
def test_a_pure_transfer_costs_the_excess_burden():
    base = pd.DataFrame({"seed": 0, "step": [0, 1], "region": 0, "region_type": "x",
                         "output": 5.0, "budget_spent": 0.0, "private_cost": [0.0, 1.0]})
    grant = base.assign(budget_spent=[0.0, 1.0], private_cost=[0.0, 0.0])
    w = paired_welfare(grant, base, WelfareParameters((0.0,), mcpf=0.3, tax_rate=0.0,
                                                      input_cost_share=0.0))
    assert w["net_benefit_0pct"].iloc[0] == pytest.approx(-0.3)


def test_self_financing_policy_has_infinite_mvpf():
    base = pd.DataFrame({"seed": 0, "step": [0, 1], "region": [0, 0], "region_type": "x",
                         "output": [5.0, 5.0], "budget_spent": 0.0})
    pol = base.assign(output=[5.0, 10.0], budget_spent=[0.0, 1.0])
    w = paired_welfare(pol, base, WelfareParameters((0.0,), tax_rate=0.5, input_cost_share=0.0))
    assert np.isinf(w["mvpf"].iloc[0])
    assert system_welfare(w)["net_benefit_0pct"].iloc[0] == pytest.approx(5.0 - 1.3)


def test_established_specialisations_ignore_crossings_that_do_not_hold():
    r = run_simulation(SMALL, PolicyConfig("none"), [0]).regions
    assert r["established"].sum() < r["entries"].sum()


# --------------------------------------------------------------- limit cases
def test_full_coverage_smart_specialisation_equals_the_generic_subsidy():
    config = SMALL.replace(**DECIDING, discovery_cost=1.0, imitation_speed=0.25)
    common = dict(budget_share=0.01, attempt_response=0.0)
    generic = run_simulation(config, PolicyConfig("generic_subsidy", **common), [0, 1])
    s3 = run_simulation(config, PolicyConfig(
        "smart_specialisation", n_priorities=10**6, research_share=0.0, min_entries_to_keep=0,
        **common), [0, 1])
    cols = ["output", "budget_spent", "private_cost", "established", "firm_entries"]
    pd.testing.assert_frame_equal(generic.regions[cols], s3.regions[cols])


def test_a_demand_shock_to_one_cluster_costs_output_and_is_measured():
    from s3sim.experiments.welfare import resilience

    config = SMALL.replace(steps=10, shock_cluster=0, shock_year=4, shock_size=2.0)
    shocked = run_simulation(config, PolicyConfig("none"), [0]).regions
    calm = run_simulation(config.replace(shock_cluster=None), PolicyConfig("none"), [0]).regions
    assert shocked[shocked.step < 4]["output"].equals(calm[calm.step < 4]["output"])
    hit, none = resilience(shocked, 4), resilience(calm, 4)
    assert hit["output_lost"].iloc[0] > none["output_lost"].iloc[0]


# ------------------------------------------------ known answers of when_s3_wins (small)
def _failures_economy() -> ModelConfig:
    failures = SCENARIOS["market_failures"]
    keys = ("hidden_suitability", "suitability_correlation", "decision_sharpness",
            "success_value", "discovery_cost", "imitation_speed", "imitation_spread",
            "viability_strength", "critical_mass_threshold", "public_input_strength",
            "market_competition", "success_subsidy")
    return SCENARIOS["synthetic_small"].replace(
        steps=15, **{k: getattr(failures, k) for k in keys})


_COMMON = dict(budget_share=0.01, attempt_response=0.0)
_DESIGNED = dict(n_priorities=4, priority_breadth=5, graduation_years=3, research_share=0.2,
                 public_input_share=0.2, admin_fixed_share=0.05, admin_grant_rate=0.1)


def _s3_minus_generic(config: ModelConfig, rule: str, omega: float,
                      **s3_changes: float) -> pd.Series:
    seeds = [0, 1, 2]
    generic = run_simulation(config, PolicyConfig("generic_subsidy", admin_grant_rate=0.03,
                                                  **_COMMON), seeds).regions
    design = {**_DESIGNED, **s3_changes}
    s3 = run_simulation(config, PolicyConfig("smart_specialisation", selection_rule=rule,
                                             **design, **_COMMON), seeds).regions
    params = WelfareParameters(input_cost_share=omega)
    return paired_welfare(s3, generic, params).groupby("seed")["net_benefit_3pct"].mean()


def test_uniform_externality_without_information_favours_the_generic_subsidy():
    # where subsidised diversification pays (omega 0), random priorities lose
    assert (_s3_minus_generic(_failures_economy(), "random", 0.0) < 0).all()


@pytest.mark.parametrize("omega", [0.0, 0.8])
def test_an_oracle_targeting_the_one_domain_with_the_externality_beats_the_generic(omega):
    # subsidies only: with 20 % of the budget on domain public inputs the oracle loses
    # (the inputs cost more than the survival they buy; experiments/when_s3_wins)
    config = _failures_economy().replace(externality_domain=0, imitation_spread=0.0,
                                         imitation_speed=0.5, discovery_cost=2.0)
    assert _s3_minus_generic(config, "oracle", omega, public_input_share=0.0).mean() > 0
