"""run_simulation and SimulationResult: multi-seed tables, write/read round trip, atomicity."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from s3sim.config import ConfigError, PolicyConfig
from s3sim.experiments.simulation import TABLES, SimulationResult, run_simulation
from s3sim.scenarios import get_scenario

SMALL = get_scenario("synthetic_small").replace(steps=6)


@pytest.fixture(scope="module")
def result() -> SimulationResult:
    return run_simulation(SMALL, PolicyConfig("smart_specialisation", budget=3.0), seeds=[1, 2])


def test_tables_cover_every_seed_and_step(result: SimulationResult) -> None:
    reg = result.regions
    assert sorted(reg["seed"].unique()) == [1, 2]
    assert len(reg) == 2 * (SMALL.steps + 1) * SMALL.n_regions
    assert set(reg["policy"]) == {"smart_specialisation"}
    for name in TABLES:
        df = getattr(result, name)
        assert isinstance(df, pd.DataFrame) and len(df) > 0, name
        assert sorted(df["seed"].unique()) == [1, 2], name
    assert result.metadata["seeds"] == [1, 2]
    assert result.metadata["model"]["n_firms"] == SMALL.n_firms
    assert result.metadata["policy"]["name"] == "smart_specialisation"
    assert "numpy" in result.metadata["versions"]


def test_write_read_round_trip_is_identical(result: SimulationResult, tmp_path) -> None:
    out = result.write(tmp_path / "run")
    back = SimulationResult.read(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(result, name), check_exact=True)
        assert getattr(back, name).equals(getattr(result, name)), name
    assert json.loads(json.dumps(result.metadata, default=str)) == back.metadata
    assert back.product_space.n_products == result.product_space.n_products
    assert list(back.product_space.codes) == list(result.product_space.codes)


def test_write_is_atomic(result: SimulationResult, tmp_path, monkeypatch) -> None:
    target = tmp_path / "nested" / "run"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(result.entries, "to_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        result.write(target)
    assert not target.exists()
    leftovers = list(tmp_path.rglob("*"))
    assert leftovers == [], leftovers


def test_failed_write_keeps_previous_result(result: SimulationResult, tmp_path,
                                            monkeypatch) -> None:
    target = result.write(tmp_path / "run")
    before = sorted(p.name for p in target.iterdir())
    monkeypatch.setattr(result.presence, "to_parquet",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("interrupted")))
    with pytest.raises(RuntimeError, match="interrupted"):
        result.write(target)
    assert sorted(p.name for p in target.iterdir()) == before
    SimulationResult.read(target)  # still complete
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_read_incomplete_directory_fails_clearly(tmp_path) -> None:
    (tmp_path / "regions.parquet").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"not a complete s3sim result.*presence.parquet"):
        SimulationResult.read(tmp_path)


def test_seeds_are_reproducible_per_seed(result: SimulationResult) -> None:
    again = run_simulation(SMALL, PolicyConfig("smart_specialisation", budget=3.0), seeds=[2])
    mine = result.regions[result.regions["seed"] == 2].reset_index(drop=True)
    assert mine.equals(again.regions)


@pytest.mark.parametrize(("seeds", "pattern"), [
    ([], "seeds is empty"), ([1, 1], "distinct"), ([-3], "non-negative"),
])
def test_bad_seeds_fail(seeds: list[int], pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        run_simulation(SMALL, seeds=seeds)
