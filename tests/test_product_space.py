"""Tests for s3sim.space.product_space and s3sim.viz.product_space_map."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from s3sim.space import metrics
from s3sim.space.product_space import (
    PUBLISHED_CDF,
    ProductSpace,
    backbone_edges,
    calibrate_beta,
    proximity_diagnostics,
)

TOL = 0.03  # +-3 percentage points on the published distribution


@pytest.fixture(scope="module")
def atlas() -> ProductSpace:
    return ProductSpace.atlas()


@pytest.fixture(scope="module")
def atlas_diag(atlas: ProductSpace) -> dict[str, float]:
    return proximity_diagnostics(atlas)


# --------------------------------------------------------------------------- atlas


def test_atlas_shape_and_attributes(atlas: ProductSpace) -> None:
    assert atlas.source == "atlas"
    assert atlas.n_products == 865 == len(atlas)
    assert len(atlas.cluster_names) == 8
    assert set(atlas.cluster.tolist()) == set(range(8))
    assert atlas.codes.dtype.kind == "U" and all(len(c) == 4 for c in atlas.codes)
    assert atlas.codes[atlas.index_of("0101")] == "0101"  # leading zeros kept
    assert atlas.xy.shape == (865, 2) and np.isfinite(atlas.xy).all()
    assert np.isfinite(atlas.pci).all() and (atlas.world_exports > 0).all()
    g = atlas.graph
    assert g.number_of_nodes() == 865 and g.number_of_edges() == 2158
    assert nx.is_connected(g)
    node = g.nodes["8703"]
    assert set(node) == {
        "code",
        "name",
        "cluster",
        "cluster_name",
        "pci",
        "world_exports",
        "x",
        "y",
    }
    assert node["cluster_name"] == atlas.cluster_names[node["cluster"]]
    u, v, data = next(iter(g.edges(data=True)))
    assert data["proximity"] == atlas.proximity[atlas.index_of(u), atlas.index_of(v)]
    assert atlas.metadata["proximity"]["beta_a"] > 0


def test_atlas_proximity_matrix_valid(atlas: ProductSpace) -> None:
    phi = atlas.proximity
    assert phi.dtype == np.float64 and phi.shape == (865, 865)
    assert np.array_equal(phi, phi.T)
    assert np.all(np.diag(phi) == 0)
    assert phi.min() >= 0 and phi.max() <= 1
    assert not phi.flags.writeable
    with pytest.raises(ValueError):
        phi[0, 1] = 0.5
    with pytest.raises(AttributeError):
        atlas.source = "x"  # type: ignore[misc]


def test_atlas_published_distribution(atlas_diag: dict[str, float]) -> None:
    assert abs(atlas_diag["share_below_0.1"] - PUBLISHED_CDF[0.1]) <= TOL
    assert abs(atlas_diag["share_below_0.2"] - PUBLISHED_CDF[0.2]) <= TOL


def test_atlas_backbone_edges_are_strong(atlas_diag: dict[str, float]) -> None:
    assert atlas_diag["mean_backbone"] > 2 * atlas_diag["mean_non_backbone"]
    assert atlas_diag["share_backbone_ge_0.55"] > 0.5
    assert atlas_diag["mst_share_in_backbone"] == 1.0
    assert atlas_diag["mean_within_cluster"] > atlas_diag["mean_across_cluster"]


def test_atlas_core_is_complex(atlas_diag: dict[str, float]) -> None:
    # Hidalgo et al. (2007): the densely connected core holds the complex products
    assert atlas_diag["pearson_wdegree_pci"] > 0.2
    assert atlas_diag["spearman_wdegree_pci"] > 0.2


def test_atlas_is_cached_in_memory() -> None:
    assert ProductSpace.atlas() is ProductSpace.atlas()


def test_atlas_disk_cache_round_trip(atlas: ProductSpace, tmp_path, monkeypatch) -> None:
    from s3sim.space import product_space as mod

    monkeypatch.setenv("S3SIM_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("S3SIM_NO_CACHE", raising=False)
    mod._atlas_cached.cache_clear()
    try:
        built = ProductSpace.atlas()
        assert list(tmp_path.glob("atlas_hs92_*.parquet"))
        mod._atlas_cached.cache_clear()

        def no_derivation(*args, **kwargs):
            raise AssertionError("the disk cache should make re-deriving unnecessary")

        monkeypatch.setattr(mod, "derive_proximity", no_derivation)
        loaded = ProductSpace.atlas()
        assert loaded == built == atlas
    finally:
        mod._atlas_cached.cache_clear()


def test_calibrate_beta_hits_points() -> None:
    from scipy import stats

    a, b = calibrate_beta()
    for x, f in PUBLISHED_CDF.items():
        assert stats.beta.cdf(x, a, b) == pytest.approx(f, abs=1e-9)


# ----------------------------------------------------------------------- synthetic


def test_synthetic_deterministic_and_seeded() -> None:
    a = ProductSpace.synthetic(n_products=60, n_clusters=3, seed=7)
    b = ProductSpace.synthetic(n_products=60, n_clusters=3, seed=7)
    c = ProductSpace.synthetic(n_products=60, n_clusters=3, seed=8)
    assert a == b
    assert nx.utils.graphs_equal(a.graph, b.graph)
    assert not np.array_equal(a.proximity, c.proximity)
    assert not np.array_equal(a.xy, c.xy)


def test_synthetic_structure() -> None:
    ps = ProductSpace.synthetic(n_products=200, n_clusters=6, core_share=0.3, mean_degree=4.0)
    assert ps.source == "synthetic" and ps.n_products == 200
    assert len(ps.cluster_names) == 6
    assert ps.graph.number_of_edges() == 400
    assert nx.is_connected(ps.graph)
    d = proximity_diagnostics(ps)
    assert abs(d["share_below_0.1"] - 0.32) <= TOL and abs(d["share_below_0.2"] - 0.65) <= TOL
    assert d["mean_within_cluster"] > d["mean_across_cluster"]
    assert d["pearson_wdegree_pci"] > 0.3
    core = np.array(ps.metadata["core"])
    periphery = np.setdiff1d(np.arange(200), core)
    assert ps.pci[core].mean() > ps.pci[periphery].mean()
    assert ps.weighted_degree()[core].mean() > ps.weighted_degree()[periphery].mean()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_products": 10, "n_clusters": 6}, "n_products"),
        ({"n_products": 1.5}, "n_products"),
        ({"n_clusters": 0}, "n_clusters"),
        ({"core_share": 0.0}, "core_share"),
        ({"core_share": 1.2}, "core_share"),
        ({"mean_degree": 1.0}, "mean_degree"),
        ({"n_products": 20, "n_clusters": 2, "mean_degree": 25}, "mean_degree"),
        ({"noise": -1}, "noise"),
        ({"seed": "a"}, "seed"),
    ],
)
def test_synthetic_validation(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ProductSpace.synthetic(**kwargs)


def test_from_name() -> None:
    ps = ProductSpace.from_name("synthetic", n_products=30, n_clusters=3)
    assert ps.n_products == 30
    assert ProductSpace.from_name("Atlas").n_products == 865
    with pytest.raises(ValueError, match="allowed: atlas, synthetic"):
        ProductSpace.from_name("nope")


# ---------------------------------------------------------------------- from_trade


def _trade_table(codes: list[str], seed: int = 0, n_loc: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.lognormal(3.0, 1.5, size=(n_loc, len(codes)))
    rows = [
        {"location": f"R{r:02d}", "product": c, "year": y, "value": float(X[r, k] * (1 + y - 2020))}
        for r in range(n_loc)
        for k, c in enumerate(codes)
        for y in (2020, 2021)
    ]
    return pd.DataFrame(rows)


def test_from_trade_matches_metrics_hand_made() -> None:
    # 4 locations x 3 products; presence is easy to read off
    X = np.array([[10.0, 0, 1], [8, 2, 0], [0, 9, 1], [1, 1, 8]])
    df = pd.DataFrame(
        [
            {"location": f"L{r}", "product": f"P{p}", "value": X[r, p]}
            for r in range(4)
            for p in range(3)
        ]
    )
    ps = ProductSpace.from_trade(df)
    expected = metrics.proximity(metrics.presence(metrics.rca(X)))
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_array_equal(ps.proximity, expected)
    assert list(ps.codes) == ["P0", "P1", "P2"]
    np.testing.assert_allclose(ps.world_exports, X.sum(axis=0))
    _, pci = metrics.eci_pci(metrics.presence(metrics.rca(X)))
    np.testing.assert_array_equal(ps.pci, pci)
    assert ps.source == "trade" and ps.metadata["year"] is None


def test_from_trade_backbone_and_year() -> None:
    codes = [f"X{i}" for i in range(15)]
    df = _trade_table(codes).rename(columns={"location": "loc", "value": "val"})
    ps = ProductSpace.from_trade(
        df, location_col="loc", value_col="val", year=2020, backbone_threshold=0.6
    )
    sub = df[df.year == 2020].pivot_table(
        index="loc", columns="product", values="val", aggfunc="sum"
    )[codes]
    X = sub.to_numpy()
    order = np.argsort(codes)  # from_trade sorts codes
    expected = metrics.proximity(metrics.presence(metrics.rca(X)))[np.ix_(order, order)]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(ps.proximity, expected)
    # backbone = maximum spanning tree + links >= threshold
    assert {tuple(e) for e in backbone_edges(expected, 0.6).tolist()} == {
        tuple(e) for e in ps.edges.tolist()
    }
    iu = np.triu_indices(15, 1)
    strong = set(zip(*(a[expected[iu] >= 0.6] for a in iu), strict=True))
    assert strong <= {tuple(e) for e in ps.edges.tolist()}
    assert ps.metadata["year"] == 2020 and ps.metadata["community_detection"]
    assert ps.metadata["layout"].startswith("spring")
    assert ProductSpace.from_trade(df, location_col="loc", value_col="val").metadata["year"] == 2021
    with pytest.raises(ValueError, match="year 1999"):
        ProductSpace.from_trade(df, location_col="loc", value_col="val", year=1999)
    with pytest.raises(ValueError, match="missing column"):
        ProductSpace.from_trade(df)


def test_from_trade_uses_atlas_for_hs92(atlas: ProductSpace) -> None:
    codes = ["0101", "0102", "8703", "2709", "6109", "8471", "3004", "0901"]
    ps = ProductSpace.from_trade(_trade_table(codes, seed=3))
    for code in codes:
        i, j = ps.index_of(code), atlas.index_of(code)
        assert ps.names[i] == atlas.names[j]
        assert ps.cluster[i] == atlas.cluster[j]
        np.testing.assert_array_equal(ps.xy[i], atlas.xy[j])
    assert ps.metadata["layout"] == "atlas"
    assert not ps.metadata["community_detection"]


# ---------------------------------------------------------------------- save / load


@pytest.mark.parametrize("which", ["atlas", "synthetic", "trade"])
def test_save_load_round_trip(which: str, atlas: ProductSpace, tmp_path) -> None:
    if which == "atlas":
        ps = atlas
    elif which == "synthetic":
        ps = ProductSpace.synthetic(n_products=40, n_clusters=4, seed=2)
    else:
        ps = ProductSpace.from_trade(_trade_table([f"X{i}" for i in range(10)]))
    path = ps.save(tmp_path / "space.parquet")
    assert [p.name for p in tmp_path.iterdir()] == ["space.parquet"]  # no temp leftovers
    back = ProductSpace.load(path)
    assert back == ps
    assert np.array_equal(back.proximity, ps.proximity)
    assert np.array_equal(back.codes, ps.codes)
    assert back.metadata == ps.metadata and back.cluster_names == ps.cluster_names
    assert nx.utils.graphs_equal(back.graph, ps.graph)
    assert not back.proximity.flags.writeable


def test_load_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        ProductSpace.load(tmp_path / "missing.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(ValueError, match="not a valid s3sim product-space file"):
        ProductSpace.load(bad)
    other = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(other)
    with pytest.raises(ValueError, match="not a valid s3sim product-space file"):
        ProductSpace.load(other)


def test_to_graphml(tmp_path) -> None:
    ps = ProductSpace.synthetic(n_products=20, n_clusters=2)
    path = ps.to_graphml(tmp_path / "g.graphml")
    g = nx.read_graphml(path)
    assert g.number_of_nodes() == 20 and g.number_of_edges() == ps.graph.number_of_edges()
    assert g.nodes["S00"]["cluster_name"] == ps.cluster_names[int(ps.cluster[0])]


def test_subset_and_index_of() -> None:
    ps = ProductSpace.synthetic(n_products=30, n_clusters=3)
    sub = ps.subset(["S05", "S01", "S10"])
    assert list(sub.codes) == ["S05", "S01", "S10"]
    assert sub.proximity[0, 1] == ps.proximity[5, 1]
    with pytest.raises(KeyError, match="unknown product code"):
        ps.index_of("nope")


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="symmetric"):
        ProductSpace(
            ["a", "b"],
            ["a", "b"],
            [0, 0],
            {0: "c"},
            [0, 0],
            [1, 1],
            np.zeros((2, 2)),
            [[0, 0.5], [0.1, 0]],
            [],
            source="synthetic",
        )
    with pytest.raises(ValueError, match="unique"):
        ProductSpace(
            ["a", "a"],
            ["a", "b"],
            [0, 0],
            {0: "c"},
            [0, 0],
            [1, 1],
            np.zeros((2, 2)),
            np.zeros((2, 2)),
            [],
            source="synthetic",
        )


# --------------------------------------------------------------------------- plots


def test_draw_product_space(atlas: ProductSpace, tmp_path) -> None:
    from matplotlib.figure import Figure

    from s3sim.viz.product_space_map import draw_product_space, plot_proximity_distribution

    ax = draw_product_space(
        atlas, highlight=["8703", "8471", "0901"], marked=["8703"], label_marked=True, title="test"
    )
    assert ax.get_legend() is not None
    ax.figure.savefig(tmp_path / "map.png")
    fig = Figure()
    draw_product_space(
        ProductSpace.synthetic(n_products=30, n_clusters=3), ax=fig.add_subplot(), node_color="pci"
    )
    fig = plot_proximity_distribution(atlas)
    fig.savefig(tmp_path / "cdf.png")
    assert (tmp_path / "cdf.png").stat().st_size > 1000
