"""Fault injection, inputs: malformed tables and parameters end in a correct result or a
one-line error naming the file/parameter -- never a traceback or a silently wrong answer.

Property tests (Hypothesis) generate small malformed tables and parameter sets; the
named tests below reproduce the cases of issue 12. To add a fault: add a strategy or a
case to the lists and state the promise it backs in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3sim.cli import analyze
from s3sim.config import (
    ConfigError,
    ModelConfig,
    PolicyConfig,
    check_rca_threshold,
    policy_preset,
    validate_parameters,
)
from s3sim.io import DataError, load_trade_table, normalise_product_codes
from s3sim.space.product_space import ProductSpace

#: Small, fast, deterministic: a reviewer's run gives the same examples every time.
FAULTS = settings(max_examples=30, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])

TINY = dict(product_space="synthetic", synthetic_products=20, n_regions=3, n_firms=60,
            n_research_bodies=3, steps=2, portfolio_leading=6, portfolio_intermediate=4,
            portfolio_lagging=2)


def one_line(text: str) -> bool:
    return len(text.strip().splitlines()) == 1 and "Traceback" not in text


# --- tables ---------------------------------------------------------------------------

cells = st.one_of(
    st.sampled_from(["", " ", "NA", "nan", "NaN", "inf", "-1", "1e400", "abc", "0", "7",
                     "0101", "101", "101.0", "2019", "x,y", '"q"', "é"]),
    st.integers(-5, 10_000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
tables = st.lists(st.tuples(cells, cells, cells, cells), min_size=0, max_size=8)


def _write(rows: list[tuple[str, str, str, str]], kind: str, folder: Path,
           header: tuple[str, ...] = ("location", "product", "year", "value")) -> Path:
    df = pd.DataFrame(rows, columns=list(header), dtype=object)
    path = folder / f"t.{kind}"
    if kind == "csv":
        df.to_csv(path, index=False)
    else:
        df.to_parquet(path, index=False)
    return path


@FAULTS
@given(rows=tables, kind=st.sampled_from(["csv", "parquet"]))
def test_malformed_tables_load_or_fail_in_one_line(rows, kind):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(rows, kind, Path(tmp))
        try:
            df = load_trade_table(path)
        except DataError as exc:
            assert one_line(str(exc)) and str(path) in str(exc)
            return
    # accepted: every promise of the loader holds
    assert list(df.columns) == ["location", "product", "year", "value"]
    assert np.isfinite(df["value"]).all() and (df["value"] >= 0).all() and df["value"].gt(0).any()
    assert df["location"].nunique() >= 2
    assert not df.duplicated(["location", "product", "year"]).any()


@FAULTS
@given(rows=tables, threshold=st.sampled_from(["1", "0", "-1", "nan", "inf", "1e308", "0.5"]))
def test_analyze_cli_never_tracebacks(rows, threshold):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(rows, "csv", Path(tmp))
        out = Path(tmp) / "out"
        buf = io.StringIO()
        with contextlib.redirect_stderr(buf), contextlib.redirect_stdout(io.StringIO()):
            code = analyze.main([str(path), "--out", str(out), "--max-figures", "0",
                                 "--rca-threshold", threshold])
        err = buf.getvalue()
        if code == 0:
            assert (out / ".s3sim-output.json").exists()
            assert float(threshold) > 0 and math.isfinite(float(threshold))
        else:
            assert code == 2 and one_line(err) and err.startswith("s3sim-analyze: error:")
            assert not out.exists()  # no half-written output


@pytest.mark.parametrize("codes,expected", [
    (["101", "0101", "8703"], ["0101", "0101", "8703"]),
    (["101.0", "8703.0"], ["0101", "8703"]),
    (["10121", "870321"], ["010121", "870321"]),
    (["A01B", "101"], ["A01B", "0101"]),
    (["1", "101", "870321"], ["1", "101", "870321"]),  # mixed widths: never guessed
])
def test_product_codes_are_normalised_not_guessed(codes, expected):
    out, note = normalise_product_codes(codes)
    assert out.tolist() == expected
    assert (note is None) == (out.tolist() == codes)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_101_and_0101_are_one_product_with_a_note(tmp_path, kind):
    """Issue 12: '101' and '0101' became two products named 'Horses'."""
    df = pd.DataFrame({"location": ["A", "B", "A", "B"], "product": ["101", "0101", "8703", "8703"],
                       "year": 2019, "value": [5.0, 3.0, 1.0, 4.0]})
    if kind == "parquet":  # integer codes in Parquet lose the leading zero
        df["product"] = df["product"].astype(int)
    path = tmp_path / f"t.{kind}"
    df.to_csv(path, index=False) if kind == "csv" else df.to_parquet(path, index=False)
    loaded = load_trade_table(path)
    assert sorted(loaded["product"].unique()) == ["0101", "8703"]
    assert "zero-padded" in loaded.attrs["notes"][0]
    out = tmp_path / "out"
    assert analyze.main([str(path), "--out", str(out), "--max-figures", "0"]) == 0
    products = pd.read_csv(out / "products.csv", dtype={"product": str})
    assert sorted(products["product"]) == ["0101", "8703"]
    space = ProductSpace.from_trade(df.assign(product=df["product"].astype(str)))
    assert sorted(space.codes.tolist()) == ["0101", "8703"]


def test_all_zero_data_is_refused(tmp_path):
    path = tmp_path / "zero.csv"
    pd.DataFrame({"location": ["A", "B"], "product": ["0101", "0102"], "year": 2019,
                  "value": 0}).to_csv(path, index=False)
    with pytest.raises(DataError, match="every value in column 'value' is 0"):
        load_trade_table(path)


@pytest.mark.parametrize("value", [0, -1, math.inf, math.nan, "1"])
def test_rca_threshold_must_be_positive_and_finite(value):
    with pytest.raises(ConfigError, match="rca_threshold"):
        check_rca_threshold(value)
    with pytest.raises(ConfigError):
        ProductSpace.from_trade(pd.DataFrame({"location": ["A", "B"], "product": ["1", "2"],
                                              "value": [1.0, 2.0]}), rca_threshold=value)


# --- parameters -------------------------------------------------------------------------

real_values = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                        st.sampled_from([1e308, -1e308, 0.0, 1.0, 2.0, 0.5, -0.5, 60.0]),
                        st.integers(-3, 10), st.just("1"), st.none(), st.booleans())
model_fields = st.sampled_from(
    ["size_leading", "demand_growth_mean", "demand_growth_pci", "growth_base", "growth_market",
     "labour_growth", "attempt_rate", "success_base", "entry_size", "growth_sd",
     "target_relatedness", "n_firms", "steps", "capacity_factor", "localisation"])
policy_fields = st.sampled_from(["budget", "budget_share", "subsidy_rate", "signal_noise",
                                 "n_priorities", "capture", "venture_cost"])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(changes=st.dictionaries(model_fields, real_values, max_size=3),
       pchanges=st.dictionaries(policy_fields, real_values, max_size=2),
       policy=st.sampled_from(["none", "generic_subsidy", "smart_specialisation"]))
def test_api_parameters_run_cleanly_or_fail_before_running(changes, pchanges, policy):
    """Any parameter set: a ConfigError naming a parameter, or a finite result."""
    from s3sim.experiments.simulation import run_simulation

    try:
        model, pol = validate_parameters({**TINY, **changes}, {"name": policy, **pchanges})
    except ConfigError as exc:
        assert one_line(str(exc))
        assert any(k in str(exc) for k in [*changes, *pchanges, "budget"]), str(exc)
        return
    try:
        result = run_simulation(model, pol, seeds=[0])
    except ConfigError as exc:  # overflow backstop: a clear error, not infinities
        assert "overflowed" in str(exc) and one_line(str(exc))
        return
    num = result.regions.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(num).any()


@pytest.mark.parametrize("field,value", [("size_leading", 1e308), ("demand_growth_mean", math.inf),
                                         ("growth_base", -math.inf), ("n_firms", 2.5),
                                         ("steps", -1), ("region_mix", (1.0, 0.0))])
def test_absurd_model_parameters_are_refused_with_their_name(field, value):
    with pytest.raises(ConfigError, match=field):
        ModelConfig(**{field: value})


def test_numpy_integers_are_accepted_as_seeds_and_counts():
    from s3sim.experiments.simulation import run_simulation

    cfg = ModelConfig(**{**TINY, "n_firms": np.int64(60), "steps": np.int32(2)})
    assert type(cfg.n_firms) is int and type(cfg.steps) is int
    a = run_simulation(cfg, "none", seeds=np.arange(2))
    b = run_simulation(cfg, "none", seeds=[0, 1])
    pd.testing.assert_frame_equal(a.regions, b.regions)
    assert run_simulation(cfg, "none", seeds=np.uint8(3)).metadata["seeds"] == [3]


def test_policy_given_as_a_string_is_its_preset_and_bad_ones_fail_before_any_seed(monkeypatch):
    from s3sim.experiments import simulation

    result = simulation.run_simulation(ModelConfig(**TINY), "generic_subsidy", seeds=[0])
    assert result.metadata["policy"] == vars(policy_preset("generic_subsidy")) or \
        result.metadata["policy"]["budget_share"] == 0.01
    runs = []
    monkeypatch.setattr(simulation, "S3Model", lambda *a, **k: runs.append(1))
    for bad in ("smart_specialization", 3, object()):
        with pytest.raises(ConfigError, match="policy"):
            simulation.run_simulation(ModelConfig(**TINY), bad, seeds=range(5))
    with pytest.raises(ConfigError, match="seeds"):
        simulation.run_simulation(ModelConfig(**TINY), "none", seeds=[0, -1])
    assert runs == []


def test_budget_and_budget_share_together_are_an_error_naming_both():
    with pytest.raises(ConfigError, match=r"budget .* and budget_share .* are both set"):
        PolicyConfig("generic_subsidy", budget=3.0, budget_share=0.01)
    assert PolicyConfig("generic_subsidy", budget=0.0, budget_share=0.01).has_budget


# --- from_data: which product space ---------------------------------------------------------

def test_from_data_states_its_product_space_and_never_falls_back_silently(tmp_path):
    from s3sim.engine.initial_data import choose_product_space, load_initial_state

    atlas = ProductSpace.atlas().codes[:50].tolist()
    space, statement = choose_product_space(atlas, "from_data", "d.csv")
    assert space.source == "atlas" and "50 of 50" in statement
    mixed = atlas[:20] + [f"X{i}" for i in range(30)]
    for requested in ("from_data", "atlas"):
        with pytest.raises(ConfigError, match=r"only 20 of 50 product codes .* no fallback"):
            choose_product_space(mixed, requested, "d.csv")
    with pytest.raises(ConfigError, match="synthetic"):
        choose_product_space(atlas, "synthetic", "d.csv")
    # integer codes in Parquet (leading zeros lost) still mean the Atlas products
    rows = [(f"R{r}", int(c), 2019, float((r * 5 + k) % 7 + 1)) for r in range(4)
            for k, c in enumerate(atlas)]
    path = tmp_path / "int.parquet"
    pd.DataFrame(rows, columns=["location", "product", "year", "value"]).to_parquet(path)
    state = load_initial_state(ModelConfig(product_space="from_data", initial_data=str(path)))
    assert state.product_space.source == "atlas" and state.info["unmatched_products"] == 0
    assert "zero-padded" in state.info["notes"][0]
    assert "Atlas HS92" in state.product_space.metadata["initial_data"]["statement"]
