"""S3Model: construction, outputs, Mesa agents, determinism and bad parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from s3sim.agents import Firm, ResearchBody
from s3sim.config import POLICY_NAMES, SELECTION_RULES, ConfigError, ModelConfig, PolicyConfig
from s3sim.model import S3Model
from s3sim.scenarios import get_scenario

SMALL = get_scenario("synthetic_small").replace(steps=8)
ATLAS_SMALL = ModelConfig(n_regions=6, n_firms=1200, n_research_bodies=30, steps=5)

REGION_COLUMNS = {
    "seed": "int64", "step": "int64", "region": "int64", "policy": "object",
    "diversity": "int64", "eci": "float64", "mean_pci": "float64", "output": "float64",
    "employment": "float64", "n_firms": "int64", "n_research_bodies": "int64",
    "entries": "int64", "exits": "int64", "related_entries": "int64",
    "budget_spent": "float64",
}
PRESENCE_COLUMNS = {"seed": "int64", "step": "int64", "region": "int64", "product": "int64"}
ENTRY_COLUMNS = {
    "seed": "int64", "step": "int64", "region": "int64", "product": "int64",
    "density": "float64", "pci": "float64", "subsidised": "bool",
}


def tables(model: S3Model) -> dict[str, pd.DataFrame]:
    rec = model.recorder
    return {"regions": rec.regions_frame(), "presence": rec.presence_frame(),
            "entries": rec.entries_frame(), "priorities": rec.priorities_frame()}


@pytest.fixture(scope="module")
def synthetic_run() -> S3Model:
    return S3Model(SMALL, rng=3).run()


@pytest.fixture(scope="module")
def atlas_run() -> S3Model:
    return S3Model(ATLAS_SMALL, rng=5).run()


# ----------------------------------------------------------------- runs and tables
@pytest.mark.parametrize("which", ["synthetic_run", "atlas_run"])
def test_runs_and_records_every_step(which: str, request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(which)
    hist = model.history_frame()
    assert model.steps == model.config.steps
    assert sorted(hist["step"].unique()) == list(range(model.config.steps + 1))
    assert len(hist) == (model.config.steps + 1) * model.n_regions
    # something happens: entries and positive output
    assert hist["entries"].sum() > 0
    assert (hist["output"] > 0).all()
    assert hist["diversity"].between(0, model.n_products).all()


def test_atlas_space_is_the_real_hs92(atlas_run: S3Model) -> None:
    assert atlas_run.n_products == 865
    codes = set(atlas_run.recorder.presence_frame()["product_code"])
    assert all(len(c) == 4 and c.isdigit() for c in codes)


@pytest.mark.parametrize(("table", "columns"), [
    ("regions", REGION_COLUMNS), ("presence", PRESENCE_COLUMNS), ("entries", ENTRY_COLUMNS),
])
def test_tables_have_documented_columns_and_dtypes(
    synthetic_run: S3Model, table: str, columns: dict[str, str], tmp_path
) -> None:
    df = tables(synthetic_run)[table]
    missing = set(columns) - set(df.columns)
    assert not missing, f"{table} lacks {missing}"
    for col, dtype in columns.items():
        assert str(df[col].dtype) == dtype, (table, col, df[col].dtype)
    # loads back in pandas through parquet unchanged
    path = tmp_path / f"{table}.parquet"
    df.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(path), df)


def test_history_frame_is_regions_table(synthetic_run: S3Model) -> None:
    pd.testing.assert_frame_equal(synthetic_run.history_frame(),
                                  synthetic_run.recorder.regions_frame())


def test_regions_table_is_consistent_with_presence_and_firms(synthetic_run: S3Model) -> None:
    t = tables(synthetic_run)
    reg, pres = t["regions"], t["presence"]
    diversity = pres.groupby(["step", "region"]).size()
    merged = reg.set_index(["step", "region"])["diversity"]
    assert (merged == diversity.reindex(merged.index, fill_value=0)).all()
    last = reg[reg["step"] == reg["step"].max()].sort_values("region")
    f = synthetic_run.firms
    alive = np.bincount(f.region[f.alive], minlength=synthetic_run.n_regions)
    np.testing.assert_array_equal(last["n_firms"].to_numpy(), alive)
    np.testing.assert_allclose(last["output"].to_numpy(),
                               synthetic_run.output_matrix.sum(axis=1))
    # entries per step = pairs that gained RCA, from the presence table
    sets = {s: set(zip(g["region"], g["product"], strict=True))
            for s, g in pres.groupby("step")}
    for s in range(1, synthetic_run.config.steps + 1):
        gained = sets[s] - sets[s - 1]
        assert reg.loc[reg["step"] == s, "entries"].sum() == len(gained)


# -------------------------------------------------------------------- Mesa agents
def test_firm_agents_track_living_firms_through_entry_and_exit() -> None:
    model = S3Model(SMALL, rng=11)
    total_entries = total_exits = 0
    for _ in range(5):
        before = set(model.agents_by_type[Firm])
        model.step()
        after = set(model.agents_by_type[Firm])
        total_entries += len(after - before)
        total_exits += len(before - after)
        assert len(model.agents_by_type[Firm]) == model.firms.n_alive
        slots = sorted(a.slot for a in model.agents_by_type[Firm])
        assert slots == np.flatnonzero(model.firms.alive).tolist()
    hist = model.history_frame()
    assert total_entries == hist["firm_entries"].sum() > 0
    assert total_exits == hist["firm_exits"].sum() > 0


def test_firm_attributes_read_their_slot(synthetic_run: S3Model) -> None:
    f = synthetic_run.firms
    for slot in np.flatnonzero(f.alive)[:: max(1, f.n_alive // 50)]:
        agent = synthetic_run.firm_agent(int(slot))
        assert isinstance(agent, Firm) and agent.slot == slot
        assert agent.region == f.region[slot]
        assert agent.product == f.product[slot]
        assert agent.size == f.size[slot]
        assert agent.subsidised == f.subsidised[slot]
        assert agent.product_code == synthetic_run.product_space.codes[f.product[slot]]
    # the view follows the arrays
    slot = int(np.flatnonzero(f.alive)[0])
    agent = synthetic_run.firm_agent(slot)
    old = f.size[slot]
    f.size[slot] = 123.5
    try:
        assert agent.size == 123.5
    finally:
        f.size[slot] = old


def test_firm_cell_is_its_product_on_the_network() -> None:
    model = S3Model(SMALL.replace(steps=1), rng=2)
    agent = model.firms_in(0)[0]
    cell = agent.cell
    assert cell is model.cell_of(agent.product)
    assert len(list(cell.neighborhood)) >= 0


def test_research_bodies_and_partners(synthetic_run: S3Model) -> None:
    bodies = list(synthetic_run.agents_by_type[ResearchBody])
    assert len(bodies) == synthetic_run.config.n_research_bodies
    n_partners = 0
    for b in bodies:
        assert b.region == synthetic_run.research.region[b.index]
        assert b.domain == synthetic_run.research.domain[b.index]
        for p in b.partners:
            n_partners += 1
            assert synthetic_run.research.region[p] != b.region
    assert n_partners > 0


# ------------------------------------------------------------------ determinism
def test_same_seed_gives_identical_tables() -> None:
    a = tables(S3Model(SMALL, "smart_specialisation", rng=7).run())
    b = tables(S3Model(SMALL, "smart_specialisation", rng=7).run())
    for name in a:
        assert a[name].equals(b[name]), name


def test_different_seeds_differ(synthetic_run: S3Model) -> None:
    other = S3Model(SMALL, rng=4).run()
    a, b = tables(synthetic_run), tables(other)
    assert not a["regions"].drop(columns="seed").equals(b["regions"].drop(columns="seed"))
    assert not a["entries"].drop(columns="seed").equals(b["entries"].drop(columns="seed"))


def test_market_stream_unaffected_by_policy() -> None:
    """Common random numbers: world demand follows the same path under any policy."""
    policy = PolicyConfig("smart_specialisation", budget=5.0)
    base = S3Model(SMALL, rng=9)
    treated = S3Model(SMALL, policy, rng=9)
    diverged = False
    for _ in range(6):
        base.step()
        treated.step()
        np.testing.assert_array_equal(base.market.log_demand, treated.market.log_demand)
        diverged |= not np.array_equal(base.firms.size, treated.firms.size)
    assert diverged, "the policy should change the firms, else the check is vacuous"


# ---------------------------------------------------------------- bad parameters
@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"n_firms": -5}, "n_firms must be >= 1"),
    ({"n_research_bodies": -1}, "n_research_bodies must be >= 0"),
    ({"n_regions": 0}, "n_regions must be >= 1"),
    ({"steps": -1}, "steps must be >= 0"),
    ({"attempt_rate": 1.5}, "attempt_rate must be <= 1"),
    ({"exit_hazard": -0.1}, "exit_hazard must be >= 0"),
    ({"absorptive_threshold": 2.0}, "absorptive_threshold must be <= 1"),
    ({"region_mix": (0.5, 0.5, 0.5)}, "region_mix .* summing to 1"),
    ({"region_mix": (0.5, 0.5)}, "region_mix"),
    ({"product_space": "moon"}, "unknown product_space 'moon'; allowed: atlas, synthetic"),
    ({"n_firms": 2.5}, "n_firms must be a whole number"),
])
def test_bad_model_parameters_fail_clearly(kwargs: dict, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        ModelConfig(**kwargs)


def test_unknown_policy_and_rule_list_allowed_values() -> None:
    with pytest.raises(ConfigError) as err:
        S3Model(SMALL, "cathedral")
    for name in POLICY_NAMES:
        assert name in str(err.value)
    with pytest.raises(ConfigError) as err:
        PolicyConfig("smart_specialisation", selection_rule="dartboard")
    for rule in SELECTION_RULES:
        assert rule in str(err.value)


def test_portfolio_larger_than_space_fails_at_construction() -> None:
    cfg = SMALL.replace(portfolio_leading=500)
    with pytest.raises(ConfigError, match="do not fit a product space of 150"):
        S3Model(cfg, rng=0)


def test_fewer_firms_than_regions_fails() -> None:
    with pytest.raises(ConfigError, match=r"n_firms \(5\) must be at least n_regions \(8\)"):
        S3Model(SMALL.replace(n_firms=5), rng=0)


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed_fails(seed: object) -> None:
    with pytest.raises(ConfigError, match="non-negative integer"):
        S3Model(SMALL, rng=seed)  # type: ignore[arg-type]


def test_replace_rejects_unknown_parameter() -> None:
    with pytest.raises(ConfigError, match=r"unknown ModelConfig parameter.*n_firmz.*allowed"):
        SMALL.replace(n_firmz=3)


def test_localisation_economies_favour_firms_in_specialised_products() -> None:
    """The optional localisation term raises the growth of firms where the region has RCA."""
    base_cfg = get_scenario("synthetic_small")

    def relative_size(localisation: float) -> float:
        model = S3Model(base_cfg.replace(localisation=localisation), rng=5)
        f = model.firms
        specialised = model.presence[f.region, f.product] & f.alive
        before = f.size.copy()
        model.step()
        survivors = f.alive & (f.born == 0)
        growth = np.log(f.size[survivors] / before[survivors])
        return growth[specialised[survivors]].mean() - growth[~specialised[survivors]].mean()

    assert relative_size(0.3) > relative_size(0.0) + 0.2


def test_critical_mass_helps_pioneers_in_new_products_grow() -> None:
    """The optional critical-mass term raises growth where several firms share a product
    the region has no RCA in yet, and leaves specialised products alone."""
    base_cfg = get_scenario("synthetic_small")

    def growth_by_group(critical_mass: float) -> tuple[float, float]:
        model = S3Model(base_cfg.replace(critical_mass=critical_mass), rng=5)
        f = model.firms
        counts = f.count_matrix(model.n_regions, model.n_products)[f.region, f.product]
        pioneers = f.alive & ~model.presence[f.region, f.product] & (counts >= 2)
        specialised = f.alive & model.presence[f.region, f.product]
        before = f.size.copy()
        model.step()
        survivors = f.alive & (f.born == 0)
        growth = np.log(np.where(survivors, f.size, 1.0) / np.where(survivors, before, 1.0))
        return growth[pioneers & survivors].mean(), growth[specialised & survivors].mean()

    pioneers_off, specialised_off = growth_by_group(0.0)
    pioneers_on, specialised_on = growth_by_group(0.3)
    assert pioneers_on > pioneers_off + 0.1
    assert abs(specialised_on - specialised_off) < 0.05


def test_lazy_agents_replace_firms_whose_slot_was_reused() -> None:
    model = S3Model(SMALL, rng=12)
    agents = {a.slot: a for a in model.agents_by_type[Firm]}
    model.run(4)
    now = {a.slot: a for a in model.agents_by_type[Firm]}
    reused = [s for s in now if s in agents and model.firms.born[s] > 0
              and now[s] is not agents[s]]
    assert reused, "some initial firm's slot should host an entrant after four years"
    for slot in reused:
        assert now[slot].region == model.firms.region[slot]
        assert agents[slot].model is model and agents[slot] not in model.agents
    survivors = [s for s in now if s in agents and model.firms.born[s] == 0]
    assert all(now[s] is agents[s] for s in survivors)


def test_mesa_datacollector_interface_reads_the_recorded_tables():
    model = S3Model(get_scenario("synthetic_small"), rng=0)
    model.run(3)
    dc = model.datacollector
    per_step = dc.get_model_vars_dataframe()
    assert list(per_step.index) == [0, 1, 2, 3]
    regions = model.history_frame()
    assert per_step.loc[3, "output"] == pytest.approx(regions[regions.step == 3].output.sum())
    assert len(dc.get_agent_vars_dataframe()) == 4 * model.n_regions
    assert not dc.get_table_dataframe("presence").empty
    with pytest.raises(KeyError, match="tables: regions"):
        dc.get_table_dataframe("firms")
