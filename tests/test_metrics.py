"""Tests for s3sim.space.metrics: hand-computed cases, degenerate data, ecomplexity as oracle."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from s3sim.space import metrics as mt

ecomplexity = pytest.importorskip("ecomplexity")

COLS = {"time": "year", "loc": "loc", "prod": "prod", "val": "val"}


# --------------------------------------------------------------------------- helpers


def random_panel(seed: int, n_loc: int, n_prod: int, years=(2000, 2001), drop=0.2):
    """Long-format panel with nested (capability-like) structure and missing rows."""
    rng = np.random.default_rng(seed)
    locs = [f"R{i:03d}" for i in range(n_loc)]
    prods = [f"{i:04d}" for i in rng.choice(9999, n_prod, replace=False)]
    cap = rng.normal(size=n_loc)
    cx = rng.normal(size=n_prod)
    frames = []
    for y in years:
        X = rng.lognormal(1.0 + 0.7 * np.outer(cap, cx), 1.5)
        X[rng.random(X.shape) < drop] = 0.0
        frames.append(pd.DataFrame({"year": y, "loc": np.repeat(locs, n_prod),
                                    "prod": np.tile(prods, n_loc), "val": X.ravel()}))
    df = pd.concat(frames, ignore_index=True)
    keep = (df["val"] > 0) | (rng.random(len(df)) < 0.5)  # some zero rows simply absent
    return df[keep].reset_index(drop=True)


def matrix(df: pd.DataFrame, year) -> tuple[np.ndarray, list, list]:
    wide = df[df["year"] == year].pivot(index="loc", columns="prod", values="val").fillna(0.0)
    wide = wide.sort_index().sort_index(axis=1)
    return wide.to_numpy(), list(wide.index), list(wide.columns)


def run_ecomplexity(df: pd.DataFrame, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ecomplexity.ecomplexity(df, COLS, check_logsupermodularity=False,
                                       verbose=False, **kw)


def oracle_wide(out: pd.DataFrame, year, col: str, locs, prods) -> np.ndarray:
    sub = out[out["year"] == year]
    wide = sub.pivot(index="loc", columns="prod", values=col)
    return wide.reindex(index=locs, columns=prods).to_numpy(dtype=float)


def assert_close(mine, theirs, name):
    mine = np.asarray(mine, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    assert mine.shape == theirs.shape, name
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs), err_msg=name)
    np.testing.assert_allclose(mine, theirs, atol=1e-6, rtol=0, err_msg=name, equal_nan=True)


# --------------------------------------------------------------------------- hand cases


def test_rca_three_by_three_by_hand():
    X = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=float)
    # RCA = x * total / (row total * column total); total 45, rows 6/15/24, columns 12/15/18
    expected = np.array([
        [45 / 72, 90 / 90, 135 / 108],
        [180 / 180, 225 / 225, 270 / 270],
        [315 / 288, 360 / 360, 405 / 432],
    ])
    np.testing.assert_allclose(mt.rca(X), expected, rtol=1e-12)
    M = mt.presence(mt.rca(X), threshold=1.05)
    np.testing.assert_array_equal(M, [[0, 0, 1], [0, 0, 0], [1, 0, 0]])


def test_rca_zero_rows_and_columns_are_zero():
    X = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, 1.0]])
    r = mt.rca(X)
    assert np.all(np.isfinite(r))
    assert np.all(r[1] == 0) and np.all(r[:, 1] == 0)


@pytest.mark.parametrize("bad, word", [(-1.0, "negative"), (np.nan, "NaN"), (np.inf, "NaN")])
def test_rca_rejects_bad_values(bad, word):
    X = np.ones((3, 3))
    X[1, 2] = bad
    with pytest.raises(ValueError, match=word):
        mt.rca(X)


def test_rca_rejects_non_2d():
    with pytest.raises(ValueError, match="2-D"):
        mt.rca(np.ones(4))


def test_presence_threshold_and_diversity_ubiquity():
    R = np.array([[0.5, 1.0, 2.0], [1.2, 0.99, np.nan]])
    M = mt.presence(R)
    np.testing.assert_array_equal(M, [[0, 1, 1], [1, 0, 0]])
    np.testing.assert_array_equal(mt.presence(R, threshold=1.5), [[0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(mt.diversity(M), [2, 1])
    np.testing.assert_array_equal(mt.ubiquity(M), [1, 1, 1])


def test_proximity_wine_grapes_atlas_example():
    # 17 countries export wine, 24 grapes, 11 both (Atlas of Economic Complexity)
    both, wine_only, grapes_only, neither = 11, 6, 13, 10
    M = np.array([[1, 1]] * both + [[1, 0]] * wine_only + [[0, 1]] * grapes_only
                 + [[0, 0]] * neither)
    assert M[:, 0].sum() == 17 and M[:, 1].sum() == 24
    phi = mt.proximity(M)
    assert phi[0, 1] == pytest.approx(11 / 24)
    assert phi[1, 0] == pytest.approx(11 / 24)
    np.testing.assert_array_equal(np.diag(phi), [1.0, 1.0])


def test_proximity_zero_ubiquity_product_is_zero_not_nan():
    M = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1]])
    phi = mt.proximity(M)
    assert np.all(np.isfinite(phi))
    np.testing.assert_array_equal(phi[1], 0.0)
    np.testing.assert_array_equal(phi[:, 1], 0.0)
    assert phi[0, 2] == pytest.approx(1 / 2)
    np.testing.assert_array_equal(phi, phi.T)


def test_density_by_hand():
    M = np.array([[1, 0, 0], [0, 1, 1]])
    phi = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.0], [0.2, 0.0, 1.0]])
    d = mt.density(M, phi)
    # d_rp = sum_q M_rq phi_pq / sum_q phi_pq  (diagonal included)
    expected = np.array([
        [1.0 / 1.7, 0.5 / 1.5, 0.2 / 1.2],
        [0.7 / 1.7, 1.0 / 1.5, 1.0 / 1.2],
    ])
    np.testing.assert_allclose(d, expected)


def test_density_zero_proximity_row_gives_zero():
    M = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1]])
    d = mt.density(M, mt.proximity(M))
    assert np.all(np.isfinite(d))
    np.testing.assert_array_equal(d[:, 1], 0.0)


def test_density_shape_mismatch():
    with pytest.raises(ValueError, match="phi must have shape"):
        mt.density(np.ones((2, 3)), np.ones((2, 2)))


# --------------------------------------------------------------------------- ECI / PCI


def nested_matrix(n_loc=8, n_prod=10, seed=0):
    rng = np.random.default_rng(seed)
    M = (rng.random((n_loc, n_prod)) < np.linspace(0.2, 0.9, n_loc)[:, None]).astype(int)
    M[:, 0] = 1  # keep everything connected
    M[np.arange(n_prod) % n_loc, np.arange(n_prod)] = 1  # no product with ubiquity 0
    return M


def test_eci_sign_standardisation_and_mean_pci_identity():
    M = nested_matrix()
    eci, pci = mt.eci_pci(M)
    assert np.corrcoef(eci, M.sum(1))[0, 1] > 0
    assert eci.mean() == pytest.approx(0, abs=1e-12)
    assert eci.std() == pytest.approx(1)
    # ECI is the mean PCI of the products a location has (ecomplexity's normalisation)
    np.testing.assert_allclose(eci, (M @ pci) / M.sum(1), atol=1e-10)


def test_eci_single_location_raises():
    with pytest.raises(ValueError, match="at least 2 locations"):
        mt.eci_pci(np.array([[1, 0, 1]]))


def test_eci_only_one_active_location_raises():
    with pytest.raises(ValueError, match="at least 2 locations and 2 products"):
        mt.eci_pci(np.array([[1, 1, 1], [0, 0, 0]]))


def test_eci_zero_diversity_location_and_zero_ubiquity_product_are_nan_only_there():
    M = nested_matrix()
    M2 = np.zeros((M.shape[0] + 1, M.shape[1] + 1), dtype=int)
    M2[1:, :-1] = M  # row 0: location with no RCA; last column: product nobody exports
    eci, pci = mt.eci_pci(M2)
    ref_eci, ref_pci = mt.eci_pci(M)
    assert np.isnan(eci[0]) and np.isnan(pci[-1])
    np.testing.assert_allclose(eci[1:], ref_eci, atol=1e-10)
    np.testing.assert_allclose(pci[:-1], ref_pci, atol=1e-10)


def test_eci_equal_diversity_does_not_give_nan():
    # every location has exactly 2 products: corr(diversity, ECI) is undefined
    M = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1], [1, 0, 1, 0]])
    eci, pci = mt.eci_pci(M)
    assert np.all(np.isfinite(eci)) and np.all(np.isfinite(pci))


def test_complexity_degenerate_everything_finite_where_defined():
    X = np.abs(np.random.default_rng(3).normal(size=(6, 7))) + 0.1
    X[2] = 0.0  # location exporting nothing
    X[:, 4] = 0.0  # product nobody exports
    res = mt.complexity(X)
    assert np.isnan(res.eci[2]) and np.isnan(res.coi[2]) and np.isnan(res.pci[4])
    assert np.sum(np.isnan(res.eci)) == 1 and np.sum(np.isnan(res.pci)) == 1
    for name in ("rca", "proximity", "density", "cog"):
        assert np.all(np.isfinite(getattr(res, name))), name
    np.testing.assert_array_equal(res.density[2], 0.0)


def test_complexity_single_location_raises():
    with pytest.raises(ValueError, match="at least 2 locations"):
        mt.complexity(np.array([[1.0, 2.0, 3.0]]))


def test_coi_cog_zero_where_present_and_standardised():
    M = nested_matrix(12, 15, seed=4)
    phi = mt.proximity(M)
    _, pci = mt.eci_pci(M)
    g = mt.cog(M, phi, pci)
    assert np.all(g[M == 1] == 0)
    c = mt.coi(M, phi, pci)
    assert c.mean() == pytest.approx(0, abs=1e-12) and c.std() == pytest.approx(1)


# --------------------------------------------------------------------------- quadrants, score


def test_quadrant_split_rule():
    d = np.array([[0.1, 0.2, 0.3, 0.4, 0.9]])
    pci = np.array([1.0, -1.0, 2.0, -2.0, 5.0])
    M = np.array([[0, 0, 0, 0, 1]])
    q = mt.relatedness_complexity_quadrant(d, pci, M)
    # density median over absent products = 0.25; PCI median over all = 1.0
    assert list(q[0, :4]) == [
        "low relatedness / low complexity",
        "low relatedness / low complexity",
        "high relatedness / high complexity",
        "high relatedness / low complexity",
    ]
    q2 = mt.relatedness_complexity_quadrant(d, np.array([3.0, 0, 0, 0, 0]))
    assert q2[0, 0] == "low relatedness / high complexity"


def test_opportunity_score_ranks_absent_products():
    d = np.array([[0.9, 0.1, 0.5, 0.2]])
    pci = np.array([1.0, -1.0, 0.0, 0.0])
    g = np.array([[1.0, 0.0, 0.5, 0.0]])
    M = np.array([[0, 0, 0, 1]])
    s = mt.opportunity_score(d, pci, g, M)
    assert np.isnan(s[0, 3])
    assert np.argmax(np.nan_to_num(s[0], nan=-9)) == 0 and np.nanargmin(s[0]) == 1


# --------------------------------------------------------------------------- oracle


@pytest.mark.parametrize(
    "seed, n_loc, n_prod, threshold",
    [(0, 25, 60, 1.0), (1, 40, 150, 1.0), (2, 12, 30, 1.0), (3, 30, 80, 1.3), (4, 60, 40, 0.8)],
)
def test_matches_ecomplexity(seed, n_loc, n_prod, threshold):
    df = random_panel(seed, n_loc, n_prod)
    out = run_ecomplexity(df, rca_mcp_threshold=threshold)
    for year in df["year"].unique():
        X, locs, prods = matrix(df, year)
        res = mt.complexity(X, threshold=threshold)
        assert np.all(res.diversity > 0), "panel must not be degenerate for the oracle"

        def wide(col, _y=year, _l=locs, _p=prods):
            return oracle_wide(out, _y, col, _l, _p)

        assert_close(res.rca, wide("rca"), "rca")
        assert_close(res.mcp, wide("mcp"), "mcp")
        assert_close(res.density, wide("density"), "density")
        assert_close(res.cog, wide("cog"), "cog")
        assert_close(res.diversity, wide("diversity")[:, 0], "diversity")
        assert_close(res.ubiquity, wide("ubiquity")[0], "ubiquity")
        assert_close(res.eci, wide("eci")[:, 0], "eci")
        assert_close(res.pci, wide("pci")[0], "pci")
        assert_close(res.coi, wide("coi")[:, 0], "coi")


def test_proximity_matches_ecomplexity():
    df = random_panel(7, 30, 50, years=(2010,))
    X, _, prods = matrix(df, 2010)
    prox = ecomplexity.proximity(df, COLS)
    theirs = prox.pivot(index="prod_1", columns="prod_2", values="proximity")
    theirs = theirs.reindex(index=prods, columns=prods).to_numpy()
    assert_close(mt.proximity(mt.presence(mt.rca(X))), theirs, "proximity")


def test_degenerate_rows_match_ecomplexity_elsewhere():
    """Zero-total location/product: ecomplexity drops them (NaN); the rest must agree."""
    df = random_panel(11, 20, 40, years=(2005,))
    df.loc[df["loc"] == "R003", "val"] = 0.0
    df.loc[df["prod"] == df["prod"].iloc[0], "val"] = 0.0
    out = run_ecomplexity(df)
    X, locs, prods = matrix(df, 2005)
    res = mt.complexity(X)
    i, j = locs.index("R003"), prods.index(df["prod"].iloc[0])
    rows = np.arange(len(locs)) != i
    cols = np.arange(len(prods)) != j
    assert np.isnan(res.eci[i]) and np.isnan(res.pci[j])
    for name in ("rca", "mcp", "density", "cog"):
        theirs = oracle_wide(out, 2005, name, locs, prods)
        assert np.all(np.isnan(theirs[i])) and np.all(np.isnan(theirs[:, j]))
        assert_close(getattr(res, name)[np.ix_(rows, cols)], theirs[np.ix_(rows, cols)], name)
    for name in ("eci", "coi"):
        theirs = oracle_wide(out, 2005, name, locs, prods)[:, 0 if j else 1]
        assert_close(getattr(res, name)[rows], theirs[rows], name)
    theirs = oracle_wide(out, 2005, "pci", locs, prods)[0 if i else 1]
    assert_close(res.pci[cols], theirs[cols], "pci")


# ------------------------------------------------------------------- larger inputs
# (speed is measured by benchmarks, not asserted in tests)


def test_large_matrix_is_fine():
    rng = np.random.default_rng(1)
    X = rng.lognormal(size=(300, 1200)) * (rng.random((300, 1200)) < 0.5)
    res = mt.complexity(X)
    assert res.eci.shape == (300,) and res.pci.shape == (1200,)
    assert np.all(np.isfinite(res.eci))
    assert np.all((res.density >= 0) & (res.density <= 1))
