"""The engine's sub-models, each alone: construction, draws, attempts, subsidies,
success, ventures, growth and exit, measurement, the observation and the step."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from s3sim.config import PolicyConfig
from s3sim.engine.build import build_product_space, build_state
from s3sim.engine.diversification import Attempts, attempts, grant_subsidies, successes
from s3sim.engine.draws import draw_year
from s3sim.engine.growth import grow_and_exit
from s3sim.engine.measure import measure
from s3sim.engine.observation import PolicyPlan, observe
from s3sim.engine.space_arrays import space_arrays
from s3sim.engine.step import start_year, step
from s3sim.scenarios import get_scenario
from s3sim.space import metrics

SMALL = get_scenario("synthetic_small")


def _state(seed: int = 1, policy: PolicyConfig | None = None):
    return build_state(SMALL, policy or PolicyConfig(), seed)


def _empty_plan(state) -> PolicyPlan:
    return PolicyPlan(np.zeros((state.n_regions, state.n_products)),
                      np.zeros(state.research.n_bodies))


def test_engine_imports_no_mesa_hydra_or_matplotlib() -> None:
    code = ("import sys, s3sim.engine.step, s3sim.engine.build, s3sim.recorder, "
            "s3sim.policies; print(sorted(m for m in ('mesa', 'hydra', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_space_arrays_are_shared_and_read_only() -> None:
    ps = build_product_space("synthetic", SMALL.synthetic_products)
    a, b = space_arrays(ps, 2.0), space_arrays(ps, 2.0)
    assert a is b
    assert space_arrays(ps, 1.0) is not a
    assert not a.proximity.flags.writeable
    np.testing.assert_array_equal(np.diag(a.target_kernel), 0.0)
    np.testing.assert_allclose(a.pci_z.mean(), 0.0, atol=1e-12)
    assert _state(1).space is _state(2).space  # one copy for every seed


def test_build_is_deterministic_and_measured() -> None:
    s1, s2 = _state(4), _state(4)
    np.testing.assert_array_equal(s1.firms.size, s2.firms.size)
    assert s1.step == 0 and s1.firms.n_alive == SMALL.n_firms
    m = s1.measured
    np.testing.assert_allclose(m.output.sum(), s1.firms.size.sum())
    np.testing.assert_array_equal(m.presence, m.rca >= 1.0)
    np.testing.assert_allclose(m.density, metrics.density(m.presence, s1.space.proximity))


def test_draws_depend_on_capacity_only_not_on_policy() -> None:
    a = draw_year(_state(5).streams, 100, 7)
    b = draw_year(_state(5, PolicyConfig(name="generic_subsidy")).streams, 100, 7)
    np.testing.assert_array_equal(a.attempt, b.attempt)
    np.testing.assert_array_equal(a.entrant, b.entrant)
    assert a.attempt.dtype == np.float32 and a.entrant.shape == (6, 7)


def test_induced_attempts_only_towards_subsidised_products() -> None:
    state = _state(6)
    draws = draw_year(state.streams, state.firms.capacity, state.entrant_region.size)
    sigma = np.zeros((state.n_regions, state.n_products))
    natural = attempts(state, sigma, draws)
    assert not natural.induced.any()
    sigma[:, :5] = 0.5
    offered = attempts(state, sigma, draws)
    # the natural attempts are unchanged by the offer (common random numbers)
    np.testing.assert_array_equal(offered.product[~offered.induced], natural.product)
    assert offered.induced.any()
    assert np.all(offered.product[offered.induced] < 5)


def test_subsidies_first_come_first_served_within_budget() -> None:
    att = Attempts(region=np.array([0, 0, 0, 1]), product=np.array([0, 1, 2, 0]),
                   cost=np.array([1.0, 1.0, 1.0, 1.0]), u_success=np.zeros(4),
                   order=np.array([0.3, 0.1, 0.2, 0.5]), induced=np.zeros(4, dtype=bool),
                   pioneer=np.zeros(4, dtype=bool))
    sigma = np.full((2, 3), 0.5)
    granted, spent = grant_subsidies(att, sigma, remaining=np.array([1.0, 0.0]))
    # region 0 can pay two requests of 0.5: the two earliest in the queue (orders 0.1, 0.2)
    np.testing.assert_array_equal(granted, [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(spent, [1.0, 0.0])


def test_success_rises_with_density_and_subsidy() -> None:
    state = _state(7)
    r, q = np.zeros(2, dtype=int), np.array([0, 0])
    u = np.full(2, 0.5)
    absorbed = np.zeros((state.n_regions, state.n_products))
    state.config = state.config.replace(success_subsidy=50.0)
    ok = successes(state, r, q, u, np.array([0.0, 1.0]), absorbed)
    assert ok[1] >= ok[0] and ok[1]


def test_grow_and_exit_returns_changes_without_touching_state() -> None:
    state = _state(8)
    size_before = state.firms.size.copy()
    draws = draw_year(state.streams, state.firms.capacity, state.entrant_region.size)
    g = grow_and_exit(state, draws)
    np.testing.assert_array_equal(state.firms.size, size_before)
    np.testing.assert_array_equal(g.slots, np.flatnonzero(state.firms.alive))
    cfg = state.config
    expected_exit = (g.size < cfg.exit_size) | (draws.exit[g.slots] < cfg.exit_hazard)
    np.testing.assert_array_equal(g.exiting, expected_exit)
    np.testing.assert_allclose(g.labour_force, state.labour_force * (1 + cfg.labour_growth))


def test_observation_is_read_only() -> None:
    obs = observe(_state(9))
    with pytest.raises(ValueError):
        obs.density[0, 0] = 1.0
    assert obs.informants(0.4).shape == (obs.n_regions, obs.n_products)


def test_step_accounts_for_every_firm() -> None:
    state = _state(10)
    n0 = state.firms.n_alive
    start_year(state)
    result = step(state, _empty_plan(state))
    assert result.step == state.step == 1
    assert state.firms.n_alive == n0 - result.exit_slots.size + result.entry_slots.size
    assert np.all(state.firms.alive[result.entry_slots])
    np.testing.assert_array_equal(result.gained, state.measured.presence
                                  & ~result.presence_before)
    again = measure(state.firms, state.market.demand * state.world_scale, state.space,
                    state.n_regions)
    np.testing.assert_array_equal(again.presence, state.measured.presence)
    np.testing.assert_array_equal(result.budget_spent, 0.0)


def test_eci_from_small_matrix_agrees_with_full_svd() -> None:
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(200):
        n_r, n_p = int(rng.integers(2, 30)), int(rng.integers(3, 300))
        m = (rng.random((n_r, n_p)) < rng.uniform(0.05, 0.6)).astype(float)
        try:
            full = metrics.eci_pci(m)[0]
        except ValueError:
            with pytest.raises(ValueError):
                metrics.eci(m)
            continue
        valid = m[np.ix_(m.sum(1) > 0, m.sum(0) > 0)]
        a = valid / np.sqrt(valid.sum(1))[:, None] / np.sqrt(valid.sum(0))[None, :]
        s = np.linalg.svd(a, compute_uv=False)
        if min(s[0] - s[1], s[1] - s[2] if s.size > 2 else 1.0) < 1e-6:
            continue  # second eigenvector not unique: both are valid choices
        np.testing.assert_allclose(metrics.eci(m), full, atol=1e-10, equal_nan=True)
        checked += 1
    assert checked > 100
