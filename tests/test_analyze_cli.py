"""End-to-end tests of the s3sim-analyze command and of s3sim.io."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from s3sim.cli import analyze
from s3sim.io import DataError, atomic_output_dir, atomic_write, load_trade_table, to_matrix
from s3sim.space import metrics as mt

N_LOC, N_PROD, YEARS = 30, 120, (2019, 2020, 2021)


def atlas_codes(n: int, seed: int = 0) -> list[str]:
    acd = pytest.importorskip("atlas_common_data")
    p = acd.load_products("hs92")
    codes = sorted(p.loc[p["product_space_x"].notna(), "code"].astype(str))
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(codes, n, replace=False).tolist())


def make_panel(products: list[str], n_loc: int = N_LOC, years=YEARS, seed: int = 1):
    """Realistic long table: lognormal values, capability x complexity structure, gaps."""
    rng = np.random.default_rng(seed)
    locs = [f"Region {i:02d}" for i in range(n_loc)]
    cap, cx = rng.normal(size=n_loc), rng.normal(size=len(products))
    size = rng.normal(0, 1, n_loc)[:, None]
    frames = []
    for y in years:
        v = rng.lognormal(3 + size + 0.8 * np.outer(cap, cx), 1.2)
        v[rng.random(v.shape) < 0.15] = 0
        frames.append(pd.DataFrame({"location": np.repeat(locs, len(products)),
                                    "product": np.tile(products, n_loc), "year": y,
                                    "value": np.round(v.ravel(), 3)}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel(atlas_codes(N_PROD))


@pytest.fixture(scope="module")
def csv_file(panel, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "trade.csv"
    panel.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def analysed(csv_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "analysis"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = analyze.main([str(csv_file), "--out", str(out), "--max-figures", "2",
                             "--proximity", "data"])
    assert code == 0
    return out, buf.getvalue()


def read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype={"product": str, "product_1": str, "product_2": str})


# --------------------------------------------------------------------------- happy path


def test_outputs_and_columns(analysed):
    out, stdout = analysed
    expected = {
        "locations.csv": ["location", "year", "diversity", "eci", "coi"],
        "products.csv": ["product", "year", "ubiquity", "pci", "name"],
        "location_product.csv": ["location", "product", "year", "value", "rca", "mcp",
                                 "density", "cog"],
        "proximity.csv": ["product_1", "product_2", "proximity"],
        "opportunities.csv": ["location", "product", "density", "pci", "cog", "quadrant",
                              "score", "rank", "name"],
    }
    for name, cols in expected.items():
        assert list(read(out, name).columns) == cols, name
    figs = sorted(p.name for p in (out / "figures").iterdir())
    assert figs == ["Region_00_opportunities.png", "Region_00_product_space.png",
                    "Region_01_opportunities.png", "Region_01_product_space.png"]
    assert all((out / "figures" / f).stat().st_size > 10_000 for f in figs)
    assert "30 locations x 120 products, year 2021" in stdout
    assert "Atlas HS92" in stdout and str(out) in stdout
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_values_match_metrics(analysed, csv_file):
    out, _ = analysed
    df = load_trade_table(csv_file)
    X, locs, prods = to_matrix(df, 2021)
    res = mt.complexity(X)
    loc = read(out, "locations.csv")
    assert list(loc["location"]) == locs and set(loc["year"]) == {2021}
    np.testing.assert_allclose(loc["eci"], res.eci, atol=1e-9)
    np.testing.assert_allclose(loc["coi"], res.coi, atol=1e-9)
    np.testing.assert_array_equal(loc["diversity"], res.diversity)
    prod = read(out, "products.csv")
    assert list(prod["product"]) == prods and prods[0].startswith("0")  # leading zeros kept
    np.testing.assert_allclose(prod["pci"], res.pci, atol=1e-9)
    assert prod["name"].notna().all()
    lp = read(out, "location_product.csv")
    assert len(lp) == len(locs) * len(prods)
    for col in ("rca", "mcp", "density", "cog"):
        np.testing.assert_allclose(lp[col], getattr(res, col).ravel(), atol=1e-9, err_msg=col)
    np.testing.assert_allclose(lp["value"], X.ravel())


def test_values_match_ecomplexity(analysed, panel):
    ecomplexity = pytest.importorskip("ecomplexity")
    out, _ = analysed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ecomplexity.ecomplexity(
            panel[panel["year"] == 2021],
            {"time": "year", "loc": "location", "prod": "product", "val": "value"},
            check_logsupermodularity=False, verbose=False)
    lp = read(out, "location_product.csv").merge(
        ref, on=["location", "product", "year"], suffixes=("", "_ref"))
    assert len(lp) == N_LOC * N_PROD
    for col in ("rca", "mcp", "density", "cog"):
        np.testing.assert_allclose(lp[col], lp[f"{col}_ref"], atol=1e-6, err_msg=col)
    loc = read(out, "locations.csv").merge(
        ref.groupby("location")[["eci", "coi"]].first().reset_index(), on="location")
    np.testing.assert_allclose(loc["eci_x"], loc["eci_y"], atol=1e-6)
    np.testing.assert_allclose(loc["coi_x"], loc["coi_y"], atol=1e-6)


def test_proximity_table(analysed):
    out, _ = analysed
    prox = read(out, "proximity.csv")
    assert (prox["product_1"] < prox["product_2"]).all()
    assert (prox["proximity"] > 0).all() and (prox["proximity"] <= 1).all()
    assert not prox.duplicated(["product_1", "product_2"]).any()


def test_opportunities_table(analysed):
    out, _ = analysed
    opp = read(out, "opportunities.csv")
    lp = read(out, "location_product.csv")
    absent = lp[lp["mcp"] == 0]
    assert len(opp) == len(absent)
    assert set(zip(opp["location"], opp["product"], strict=True)) == set(
        zip(absent["location"], absent["product"], strict=True))
    assert set(opp["quadrant"]) <= set(mt.QUADRANT_LABELS)
    for _, g in opp.groupby("location"):
        assert list(g["rank"]) == list(range(1, len(g) + 1))
        assert g["score"].is_monotonic_decreasing


def test_atlas_proximity_is_the_default_for_hs92_codes(csv_file, analysed, tmp_path, capsys):
    from s3sim.space.product_space import ProductSpace

    out = tmp_path / "atlas"
    assert analyze.main([str(csv_file), "--out", str(out), "--max-figures", "0"]) == 0
    stdout = capsys.readouterr().out
    assert "proximity: Atlas HS92 world product space (default" in stdout
    prox = read(out, "proximity.csv")
    ps = ProductSpace.atlas()
    i, j = ps.index_of(prox.loc[0, "product_1"]), ps.index_of(prox.loc[0, "product_2"])
    assert prox.loc[0, "proximity"] == pytest.approx(ps.proximity[i, j])
    n = N_PROD * (N_PROD - 1) // 2
    assert len(prox) == n  # the derived Atlas proximity is > 0 for every pair
    # density, COG and COI follow the world proximities; ECI/PCI do not depend on them
    df = load_trade_table(csv_file)
    X, _, prods = to_matrix(df, 2021)
    phi, missing = analyze.atlas_proximity(prods)
    assert not missing and np.allclose(np.diag(phi), 1.0)
    res = mt.complexity(X, phi=phi)
    lp = read(out, "location_product.csv")
    np.testing.assert_allclose(lp["density"], res.density.ravel(), atol=1e-9)
    data_lp = read(analysed[0], "location_product.csv")
    assert np.abs(lp["density"] - data_lp["density"]).max() > 0.05
    np.testing.assert_allclose(read(out, "locations.csv")["eci"],
                               read(analysed[0], "locations.csv")["eci"], atol=1e-12)
    # the explicit option gives the same output
    out2 = tmp_path / "atlas2"
    assert analyze.main([str(csv_file), "--out", str(out2), "--max-figures", "0",
                         "--proximity", "atlas"]) == 0
    assert "(--proximity atlas)" in capsys.readouterr().out
    pd.testing.assert_frame_equal(read(out2, "proximity.csv"), prox)


def test_atlas_proximity_refuses_non_hs_codes(tmp_path, capsys):
    src = tmp_path / "ind.csv"
    make_panel([f"IND-{i:02d}" for i in range(12)], n_loc=6, years=(2020,)).to_csv(
        src, index=False)
    out = tmp_path / "o"
    assert analyze.main([str(src), "--out", str(out), "--proximity", "atlas"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "12 of 12 products are not" in err
    assert "'IND-00'" in err and "--proximity data" in err and not out.exists()
    assert analyze.main([str(src), "--out", str(out), "--max-figures", "0"]) == 0
    assert "measured from the data: 12 of 12 products are not Atlas HS92" in (
        capsys.readouterr().out)


def test_density_convention_option(csv_file, analysed, tmp_path, capsys):
    out = tmp_path / "stata"
    assert analyze.main([str(csv_file), "--out", str(out), "--max-figures", "0",
                         "--proximity", "data", "--density-convention", "stata"]) == 0
    assert "density convention: stata" in capsys.readouterr().out
    df = load_trade_table(csv_file)
    X, _, _ = to_matrix(df, 2021)
    res = mt.complexity(X, density_convention="stata")
    lp = read(out, "location_product.csv")
    np.testing.assert_allclose(lp["density"], res.density.ravel(), atol=1e-9)
    py = read(analysed[0], "location_product.csv")
    assert not np.allclose(lp["density"], py["density"])
    np.testing.assert_allclose(lp["cog"], py["cog"], atol=1e-12)  # COG has no density


def test_year_option_and_top(csv_file, tmp_path, capsys):
    out = tmp_path / "y"
    code = analyze.main([str(csv_file), "--out", str(out), "--year", "2019", "--top", "5",
                         "--max-figures", "0"])
    assert code == 0
    assert "year 2019" in capsys.readouterr().out
    assert set(read(out, "locations.csv")["year"]) == {2019}
    opp = read(out, "opportunities.csv")
    assert opp.groupby("location")["rank"].max().max() == 5
    assert not (out / "figures").exists()


def test_custom_columns_and_parquet(panel, tmp_path, capsys):
    src = tmp_path / "trade.parquet"
    panel.rename(columns={"location": "region", "product": "hs4", "year": "t",
                          "value": "exports"}).to_parquet(src)
    out = tmp_path / "o"
    code = analyze.main([str(src), "--out", str(out), "--location-col", "region",
                         "--product-col", "hs4", "--year-col", "t", "--value-col", "exports",
                         "--max-figures", "0"])
    assert code == 0, capsys.readouterr().err
    assert read(out, "products.csv")["product"].str.len().eq(4).all()


def test_non_hs_products_use_spring_layout(tmp_path, capsys):
    src = tmp_path / "ind.csv"
    make_panel([f"IND-{i:02d}" for i in range(25)], n_loc=8, years=(2020,)).to_csv(src,
                                                                                   index=False)
    out = tmp_path / "o"
    assert analyze.main([str(src), "--out", str(out), "--max-figures", "1"]) == 0
    assert "spring layout" in capsys.readouterr().out
    assert (out / "figures" / "Region_00_product_space.png").exists()


def test_rerun_replaces_previous_output(csv_file, tmp_path, capsys):
    out = tmp_path / "again"
    for year in ("2020", "2021"):
        assert analyze.main([str(csv_file), "--out", str(out), "--year", year,
                             "--max-figures", "0"]) == 0
    assert set(read(out, "locations.csv")["year"]) == {2021}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]


# --------------------------------------------------------------------------- bad input


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


GOOD_HEAD = "location,product,year,value\n"
GOOD_ROWS = "A,0101,2020,1\nB,0101,2020,2\nA,0102,2020,3\nB,0102,2020,1\n"

BAD_CASES = {
    "missing_file": (None, "file not found"),
    "empty_file": ("", "is empty"),
    "header_only": (GOOD_HEAD, "no data rows"),
    "misnamed_column": ("region,product,year,value\nA,0101,2020,1\n",
                        "--location-col"),
    "non_numeric": (GOOD_HEAD + GOOD_ROWS + "A,0103,2020,lots\n", "non-numeric"),
    "negative": (GOOD_HEAD + GOOD_ROWS + "A,0103,2020,-4\n", "negative"),
    "nan": (GOOD_HEAD + GOOD_ROWS + "A,0103,2020,\nB,0103,2020,NaN\n", "2 missing/NaN"),
    "duplicates": (GOOD_HEAD + GOOD_ROWS + "A,0101,2020,7\n", "(location, product, year)"),
    "single_location": ("location,product,year,value\nA,0101,2020,1\nA,0102,2020,2\n",
                        "only one location"),
    "bad_year": (GOOD_HEAD + "A,0101,twenty,1\nB,0101,2020,1\n", "non-numeric year"),
    "unreadable": (b"PAR1\x00\x01garbage", "cannot read"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_exit_2_one_line_no_output(case, tmp_path, capsys):
    content, needle = BAD_CASES[case]
    suffix = ".parquet" if case == "unreadable" else ".csv"
    src = tmp_path / f"data{suffix}"
    if isinstance(content, bytes):
        src.write_bytes(content)
    elif content is not None:
        _write(src, content)
    out = tmp_path / "results" / "analysis"
    code = analyze.main([str(src), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("s3sim-analyze: error: ") and needle in lines[0], lines[0]
    assert "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_unknown_year_lists_available(csv_file, tmp_path, capsys):
    out = tmp_path / "o"
    assert analyze.main([str(csv_file), "--out", str(out), "--year", "1999"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("s3sim-analyze: error: year 1999 is not in the data; "
                   "available years: 2019, 2020, 2021")
    assert not out.exists()


def test_refuses_foreign_non_empty_directory(csv_file, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    assert analyze.main([str(csv_file), "--out", str(out)]) == 2
    assert "s3sim did not write ('thesis.tex')" in capsys.readouterr().err
    assert (out / "thesis.tex").read_text() == "precious"


def test_failure_while_writing_leaves_nothing(csv_file, tmp_path, capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device", "figures")

    monkeypatch.setattr(analyze, "_figures", boom)
    out = tmp_path / "o"
    assert analyze.main([str(csv_file), "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_console_script_subprocess(tmp_path):
    script = Path(sys.executable).parent / "s3sim-analyze"
    if not script.exists():
        pytest.skip("console script not installed (pip install -e .)")
    src = _write(tmp_path / "d.csv", GOOD_HEAD + GOOD_ROWS + "C,0101,2020,5\nC,0102,2020,1\n")
    ok = subprocess.run([str(script), str(src), "--out", str(tmp_path / "o"),
                         "--max-figures", "0"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "3 locations x 2 products" in ok.stdout
    bad = subprocess.run([str(script), str(tmp_path / "nope.csv"), "--out",
                          str(tmp_path / "x")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "file not found" in bad.stderr


# --------------------------------------------------------------------------- io helpers


def test_load_trade_table_keeps_leading_zeros_and_types(tmp_path):
    df = load_trade_table(_write(tmp_path / "d.csv", GOOD_HEAD + GOOD_ROWS))
    assert list(df.columns) == ["location", "product", "year", "value"]
    assert df["product"].tolist()[0] == "0101"
    assert df["year"].dtype == np.int64 and df["value"].dtype == np.float64


def test_na_is_a_label_not_missing(tmp_path):
    text = GOOD_HEAD + "NA,0101,2020,1\nZA,0101,2020,2\nNA,0102,2020,3\nZA,0102,2020,1\n"
    df = load_trade_table(_write(tmp_path / "d.csv", text))
    assert sorted(df["location"].unique()) == ["NA", "ZA"]


def test_empty_label_is_rejected(tmp_path):
    with pytest.raises(DataError, match=r"1 empty cell.*'product'"):
        load_trade_table(_write(tmp_path / "d.csv", GOOD_HEAD + GOOD_ROWS + "A,,2020,1\n"))


def test_data_error_is_value_error():
    assert issubclass(DataError, ValueError)


def test_to_matrix_fills_missing_pairs_with_zero(tmp_path):
    df = load_trade_table(_write(tmp_path / "d.csv", GOOD_HEAD + "A,0101,2020,1\nB,0102,2020,2\n"))
    X, locs, prods = to_matrix(df, 2020)
    np.testing.assert_array_equal(X, [[1, 0], [0, 2]])
    assert locs == ["A", "B"] and prods == ["0101", "0102"]
    with pytest.raises(DataError, match="available years: 2020"):
        to_matrix(df, 2000)


def test_atomic_output_dir_success_and_failure(tmp_path):
    target = tmp_path / "a" / "b"
    with pytest.raises(RuntimeError), atomic_output_dir(target) as tmp:
        (tmp / "x.txt").write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_output_dir(target) as tmp:
        (tmp / "x.txt").write_text("done")
    assert (target / "x.txt").read_text() == "done"
    assert sorted(p.name for p in target.parent.iterdir()) == ["b"]


def test_atomic_write(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("new but broken")
        raise RuntimeError
    assert target.read_text() == "old"
    with atomic_write(target) as tmp:
        assert tmp.suffix == ".csv" and tmp.parent == tmp_path
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]
