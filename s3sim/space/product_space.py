r"""The product space: products linked by relatedness (Hidalgo et al. 2007).

:class:`ProductSpace` bundles, in one fixed product order (position ``0..P-1``),
everything the model needs about products: codes, names, clusters, product
complexity (PCI), world exports, a 2-D layout, the dense proximity matrix
:math:`\phi` and a sparse *backbone* graph (for drawing and for Mesa's
``Network`` space). Three sources are offered:

``ProductSpace.atlas()``
    The real Atlas HS92 product space shipped by the Growth Lab's
    ``atlas-common-data`` package (865 HS4 products, 8 clusters, UMAP layout,
    real PCI and world exports, 2,158 backbone links). The package ships no
    proximity weights, so the full matrix is *derived* from the backbone (see
    :func:`derive_proximity` and ``docs/product_space.md``).
``ProductSpace.synthetic(...)``
    A seeded generator with tunable size, clusters and core-periphery structure.
``ProductSpace.from_trade(df)``
    Proximity from a user's location x product table (co-occurrence of RCA,
    :mod:`s3sim.space.metrics`), with the Atlas-style backbone (maximum spanning tree
    plus strong links).

References
----------
.. [1] Hidalgo, C. A., Klinger, B., Barabási, A.-L. & Hausmann, R. (2007). The
   product space conditions the development of nations. Science 317, 482-487.
.. [2] Hausmann, R., Hidalgo, C. A. et al. (2014). The Atlas of Economic
   Complexity. MIT Press.
.. [3] Harvard Growth Lab, ``atlas-common-data`` (Apache-2.0).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, sparse, stats
from scipy.sparse.csgraph import shortest_path

__all__ = [
    "PUBLISHED_CDF",
    "SOURCES",
    "ProductSpace",
    "backbone_edges",
    "calibrate_beta",
    "derive_proximity",
    "proximity_diagnostics",
]

#: Published points of the proximity distribution (Hidalgo et al. 2007):
#: 32 % of the proximities are below 0.1 and 65 % below 0.2.
PUBLISHED_CDF: dict[float, float] = {0.1: 0.32, 0.2: 0.65}

#: Names accepted by :meth:`ProductSpace.from_name`.
SOURCES: tuple[str, ...] = ("atlas", "synthetic")

#: File-format version written by :meth:`ProductSpace.save`.
_FORMAT_VERSION = 1
#: Bump when the Atlas derivation changes (invalidates the on-disk cache).
_DERIVATION_VERSION = 1
_META_KEY = b"s3sim.product_space"

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# ---------------------------------------------------------------------------
# Proximity derivation helpers
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def calibrate_beta(
    cdf_points: tuple[tuple[float, float], ...] = tuple(PUBLISHED_CDF.items()),
) -> tuple[float, float]:
    r"""Beta distribution whose CDF passes through published points.

    Solves :math:`F_{\mathrm{Beta}(a,b)}(x_i) = F_i` for :math:`(a, b)` with
    ``scipy.optimize.least_squares`` on :math:`(\log a, \log b)` (exact for two
    points).

    Parameters
    ----------
    cdf_points : tuple of (x, F) pairs
        Points of the target cumulative distribution, default Hidalgo et al.
        (2007): 32 % of proximities below 0.1 and 65 % below 0.2.

    Returns
    -------
    a, b : float
        Shape parameters of the Beta distribution.
    """
    xs = np.array([p[0] for p in cdf_points], dtype=np.float64)
    fs = np.array([p[1] for p in cdf_points], dtype=np.float64)

    def residuals(theta: FloatArray) -> FloatArray:
        a, b = np.exp(theta)
        return stats.beta.cdf(xs, a, b) - fs

    sol = optimize.least_squares(residuals, x0=np.array([0.5, 2.0]), xtol=1e-14, ftol=1e-14)
    a, b = np.exp(sol.x)
    return float(a), float(b)


def _rank_to_beta(distance: FloatArray, a: float, b: float) -> FloatArray:
    """Map distances to Beta quantiles by rank (shortest distance -> largest value)."""
    n = distance.size
    ranks = stats.rankdata(-distance, method="average")  # largest distance -> rank 1
    return stats.beta.ppf(ranks / (n + 1.0), a, b)


def derive_proximity(
    edges: ArrayLike,
    xy: ArrayLike,
    *,
    edge_length_exponent: float = 0.5,
    length_clip: tuple[float, float] = (0.25, 4.0),
    cdf_points: Mapping[float, float] | None = None,
) -> tuple[FloatArray, dict[str, Any]]:
    r"""Derive a full proximity matrix from an unweighted backbone and its layout.

    The Atlas ships the product-space backbone and layout but no proximity
    weights. We keep the *order* of relatedness the backbone encodes and
    impose the published *distribution* of proximities:

    1. Each backbone edge :math:`e=(p,q)` gets a length
       :math:`\ell_e = \mathrm{clip}(L_e / \tilde L, c_0, c_1)^{\alpha}`, where
       :math:`L_e` is its Euclidean length in the layout and :math:`\tilde L`
       the median edge length. :math:`\alpha = 0` counts hops; :math:`\alpha = 1`
       uses layout lengths; the default :math:`\alpha = 1/2` is a compromise
       (UMAP distances are meaningful locally only).
    2. :math:`D_{pq}` is the shortest-path length between :math:`p` and
       :math:`q` over these edges (Dijkstra).
    3. Proximity is a decreasing function of :math:`D`: with :math:`r_{pq}` the
       rank of :math:`-D_{pq}` among the :math:`N = P(P-1)/2` pairs (average
       rank for ties),

       .. math:: \phi_{pq} = F^{-1}_{\mathrm{Beta}(a,b)}\!\left(\frac{r_{pq}}{N+1}\right),

       where :math:`(a, b)` are calibrated (:func:`calibrate_beta`) so that the
       off-diagonal distribution passes through the published points (32 %
       below 0.1, 65 % below 0.2; Hidalgo et al. 2007).

    Parameters
    ----------
    edges : array_like of int, shape (E, 2)
        Backbone edges as product positions; the graph must be connected.
    xy : array_like, shape (P, 2)
        Layout coordinates.
    edge_length_exponent : float, default 0.5
        :math:`\alpha` above, in [0, 2].
    length_clip : (float, float), default (0.25, 4.0)
        Bounds on :math:`L_e/\tilde L` so near-coincident nodes do not collapse
        the distance.
    cdf_points : mapping, optional
        Target CDF points ``{x: F(x)}``; default :data:`PUBLISHED_CDF`.

    Returns
    -------
    phi : numpy.ndarray, shape (P, P)
        Symmetric, zero diagonal, values in (0, 1).
    params : dict
        The calibrated parameters (JSON-serialisable).

    Raises
    ------
    ValueError
        If the backbone is disconnected or a parameter is out of range.
    """
    e = np.asarray(edges, dtype=np.int64)
    pos = np.asarray(xy, dtype=np.float64)
    n = pos.shape[0]
    if not 0.0 <= edge_length_exponent <= 2.0:
        raise ValueError(f"edge_length_exponent must be in [0, 2], got {edge_length_exponent}")
    length = np.hypot(*(pos[e[:, 0]] - pos[e[:, 1]]).T)
    rel = np.clip(length / np.median(length), *length_clip) ** edge_length_exponent
    adj = sparse.coo_matrix(
        (np.r_[rel, rel], (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n, n)
    ).tocsr()
    dist = shortest_path(adj, method="D", directed=False)
    if not np.isfinite(dist).all():
        raise ValueError("derive_proximity needs a connected backbone; the graph is disconnected")
    points = tuple(sorted((cdf_points or PUBLISHED_CDF).items()))
    a, b = calibrate_beta(points)
    iu = np.triu_indices(n, 1)
    phi = np.zeros((n, n))
    phi[iu] = _rank_to_beta(dist[iu], a, b)
    phi = phi + phi.T
    params = {
        "method": "beta-quantile of backbone shortest-path distance",
        "beta_a": a,
        "beta_b": b,
        "edge_length_exponent": float(edge_length_exponent),
        "length_clip": [float(length_clip[0]), float(length_clip[1])],
        "median_edge_length": float(np.median(length)),
        "cdf_targets": {str(k): float(v) for k, v in points},
    }
    return phi, params


def backbone_edges(phi: ArrayLike, threshold: float = 0.55) -> IntArray:
    r"""Atlas-style backbone: maximum spanning tree plus all links with ``phi >= threshold``.

    Parameters
    ----------
    phi : array_like, shape (P, P)
        Symmetric proximity matrix (diagonal ignored).
    threshold : float, default 0.55
        Hidalgo et al. (2007) drew the maximum spanning tree plus links with
        :math:`\phi \ge 0.55`.

    Returns
    -------
    numpy.ndarray of int, shape (E, 2)
        Edges ``(i, j)`` with ``i < j``, sorted. If ``phi`` is disconnected
        (zero rows) the tree is a spanning forest.
    """
    m = np.asarray(phi, dtype=np.float64)
    n = m.shape[0]
    iu = np.triu_indices(n, 1)
    w = m[iu]
    # maximum spanning tree == minimum spanning tree on (max + 1 - w), positive weights
    keep = w > 0
    cost = sparse.coo_matrix(((w.max() + 1.0 - w)[keep], (iu[0][keep], iu[1][keep])), (n, n))
    tree = sparse.csgraph.minimum_spanning_tree(cost.tocsr()).tocoo()
    rows, cols = tree.row.tolist(), tree.col.tolist()
    pairs = {(min(i, j), max(i, j)) for i, j in zip(rows, cols, strict=True)}
    strong = w >= threshold
    pairs.update(zip(iu[0][strong].tolist(), iu[1][strong].tolist(), strict=True))
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    return np.array(sorted(pairs), dtype=np.int64)


def proximity_diagnostics(ps: ProductSpace) -> dict[str, float]:
    r"""Summary statistics used to validate a proximity matrix against published facts.

    Parameters
    ----------
    ps : ProductSpace

    Returns
    -------
    dict
        ``share_below_0.1``, ``share_below_0.2`` (Hidalgo et al. 2007: 0.32 and
        0.65); ``max``, ``mean``; ``n_pairs_ge_0.55`` and ``n_pairs_ge_0.65``;
        ``share_ge_0.55_in_backbone`` (share of pairs with
        :math:`\phi \ge 0.55` that are backbone edges) and
        ``share_backbone_ge_0.55``; ``mean_backbone`` and ``mean_non_backbone``;
        ``mean_within_cluster`` and ``mean_across_cluster``;
        ``mst_share_in_backbone`` (share of the maximum-spanning-tree edges of
        :math:`\phi` that are backbone edges); ``pearson_wdegree_pci`` and
        ``spearman_wdegree_pci`` (weighted degree :math:`\sum_q \phi_{pq}` vs
        PCI, products with finite PCI).
    """
    n = ps.n_products
    phi = ps.proximity
    iu = np.triu_indices(n, 1)
    w = phi[iu]
    bb = np.zeros((n, n), dtype=bool)
    if len(ps.edges):
        bb[ps.edges[:, 0], ps.edges[:, 1]] = True
    bbu = bb[iu]
    same = (ps.cluster[:, None] == ps.cluster[None, :])[iu]
    strong = w >= 0.55
    tree = backbone_edges(phi, threshold=np.inf)
    wdeg = phi.sum(axis=1)
    ok = np.isfinite(ps.pci)
    return {
        "share_below_0.1": float((w < 0.1).mean()),
        "share_below_0.2": float((w < 0.2).mean()),
        "max": float(w.max()),
        "mean": float(w.mean()),
        "n_pairs": int(w.size),
        "n_pairs_ge_0.55": int(strong.sum()),
        "n_pairs_ge_0.65": int((w >= 0.65).sum()),
        "n_backbone_edges": int(bbu.sum()),
        "share_ge_0.55_in_backbone": float(bbu[strong].mean()) if strong.any() else float("nan"),
        "share_backbone_ge_0.55": float(strong[bbu].mean()) if bbu.any() else float("nan"),
        "mean_backbone": float(w[bbu].mean()) if bbu.any() else float("nan"),
        "mean_non_backbone": float(w[~bbu].mean()),
        "mean_within_cluster": float(w[same].mean()) if same.any() else float("nan"),
        "mean_across_cluster": float(w[~same].mean()) if (~same).any() else float("nan"),
        "mst_share_in_backbone": float(bb[tree[:, 0], tree[:, 1]].mean()),
        "pearson_wdegree_pci": float(np.corrcoef(wdeg[ok], ps.pci[ok])[0, 1]),
        "spearman_wdegree_pci": float(stats.spearmanr(wdeg[ok], ps.pci[ok]).statistic),
    }


# ---------------------------------------------------------------------------
# The class
# ---------------------------------------------------------------------------


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _jsonable(obj: Any) -> Any:
    """Normalise metadata to plain JSON types (so save/load round-trips exactly)."""
    return json.loads(json.dumps(obj, default=_json_default))


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"metadata value of type {type(o).__name__} is not JSON-serialisable")


class ProductSpace:
    """A product space: products, their attributes, proximity and backbone graph.

    Instances are immutable: arrays are read-only and attributes cannot be
    reassigned. Build them with :meth:`atlas`, :meth:`synthetic`,
    :meth:`from_trade`, :meth:`from_name` or :meth:`load`.

    Parameters
    ----------
    codes : array_like of str, shape (P,)
        Unique product codes; their order is the model's product index.
    names : array_like of str, shape (P,)
    cluster : array_like of int, shape (P,)
    cluster_names : mapping of int to str
    pci : array_like of float, shape (P,)
        Product complexity index (NaN allowed for products nobody exports
        competitively in ``from_trade``).
    world_exports : array_like of float, shape (P,)
        World exports in USD (or the user's value unit).
    xy : array_like, shape (P, 2)
        Layout coordinates.
    proximity : array_like, shape (P, P)
        Symmetric, values in [0, 1]; the diagonal is set to 0.
    edges : array_like of int, shape (E, 2)
        Backbone edges as product positions.
    source : {"atlas", "synthetic", "trade"}
    metadata : mapping, optional
        How the space was built (JSON-serialisable).

    Attributes
    ----------
    graph : networkx.Graph
        Nodes are product codes with attributes ``code, name, cluster,
        cluster_name, pci, world_exports, x, y``; edges (the backbone) carry
        ``proximity``. Treat as read-only (it is a frozen graph).
    """

    _frozen: bool = False

    def __init__(
        self,
        codes: ArrayLike,
        names: ArrayLike,
        cluster: ArrayLike,
        cluster_names: Mapping[int, str],
        pci: ArrayLike,
        world_exports: ArrayLike,
        xy: ArrayLike,
        proximity: ArrayLike,
        edges: ArrayLike,
        *,
        source: str,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        codes_a = np.asarray(codes).astype(str)
        n = codes_a.size
        if n < 2:
            raise ValueError(f"a product space needs at least 2 products, got {n}")
        if len(set(codes_a.tolist())) != n:
            raise ValueError("product codes must be unique")
        names_a = np.asarray(names).astype(str)
        cluster_a = np.asarray(cluster, dtype=np.int64)
        pci_a = np.asarray(pci, dtype=np.float64)
        exp_a = np.asarray(world_exports, dtype=np.float64)
        xy_a = np.asarray(xy, dtype=np.float64)
        phi = np.array(proximity, dtype=np.float64)  # copy
        edges_a = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        for label, arr in (
            ("names", names_a),
            ("cluster", cluster_a),
            ("pci", pci_a),
            ("world_exports", exp_a),
        ):
            if arr.shape != (n,):
                raise ValueError(f"{label} must have shape ({n},), got {arr.shape}")
        if xy_a.shape != (n, 2):
            raise ValueError(f"xy must have shape ({n}, 2), got {xy_a.shape}")
        if phi.shape != (n, n):
            raise ValueError(f"proximity must have shape ({n}, {n}), got {phi.shape}")
        np.fill_diagonal(phi, 0.0)
        if not np.isfinite(phi).all() or phi.min() < 0 or phi.max() > 1:
            raise ValueError("proximity values must be finite and in [0, 1]")
        if not np.allclose(phi, phi.T, rtol=0, atol=1e-12):
            raise ValueError("proximity must be symmetric")
        if edges_a.size and (edges_a.min() < 0 or edges_a.max() >= n):
            raise ValueError(f"edges must index products 0..{n - 1}")
        if source not in ("atlas", "synthetic", "trade"):
            raise ValueError(f"source must be 'atlas', 'synthetic' or 'trade', got {source!r}")
        cn = {int(k): str(v) for k, v in cluster_names.items()}
        missing = sorted(set(cluster_a.tolist()) - set(cn))
        if missing:
            raise ValueError(f"cluster_names lacks clusters {missing}")
        # canonical edge list: i < j, unique, sorted
        if edges_a.size:
            edges_a = np.unique(np.sort(edges_a, axis=1), axis=0)
            edges_a = edges_a[edges_a[:, 0] != edges_a[:, 1]]

        self._codes = _readonly(codes_a)
        self._names = _readonly(names_a)
        self._cluster = _readonly(cluster_a)
        self._cluster_names = dict(sorted(cn.items()))
        self._pci = _readonly(pci_a)
        self._world_exports = _readonly(exp_a)
        self._xy = _readonly(xy_a)
        self._proximity = _readonly(phi)
        self._edges = _readonly(edges_a)
        self._source = source
        self._metadata = _jsonable(dict(metadata or {}))
        self._index = {c: i for i, c in enumerate(codes_a.tolist())}
        self._graph = nx.freeze(self._build_graph())
        self._frozen = True

    # -- immutability --------------------------------------------------------
    def __setattr__(self, key: str, value: Any) -> None:
        if self._frozen:
            raise AttributeError(f"ProductSpace is immutable; cannot set {key!r}")
        object.__setattr__(self, key, value)

    def _build_graph(self) -> nx.Graph:
        g = nx.Graph(source=self._source)
        codes = self._codes.tolist()
        for i, code in enumerate(codes):
            c = int(self._cluster[i])
            g.add_node(
                code,
                code=code,
                name=str(self._names[i]),
                cluster=c,
                cluster_name=self._cluster_names[c],
                pci=float(self._pci[i]),
                world_exports=float(self._world_exports[i]),
                x=float(self._xy[i, 0]),
                y=float(self._xy[i, 1]),
            )
        for i, j in self._edges.tolist():
            g.add_edge(codes[i], codes[j], proximity=float(self._proximity[i, j]))
        return g

    # -- array views ---------------------------------------------------------
    @property
    def graph(self) -> nx.Graph:
        """Frozen backbone graph (nodes = codes, edge attribute ``proximity``)."""
        return self._graph

    @property
    def codes(self) -> NDArray[np.str_]:
        """Product codes, shape (P,)."""
        return self._codes

    @property
    def names(self) -> NDArray[np.str_]:
        """Product names, shape (P,)."""
        return self._names

    @property
    def cluster(self) -> IntArray:
        """Cluster id of each product, shape (P,)."""
        return self._cluster

    @property
    def cluster_names(self) -> dict[int, str]:
        """Mapping cluster id -> name (a copy)."""
        return dict(self._cluster_names)

    @property
    def pci(self) -> FloatArray:
        """Product complexity index, shape (P,)."""
        return self._pci

    @property
    def world_exports(self) -> FloatArray:
        """World exports per product, shape (P,)."""
        return self._world_exports

    @property
    def xy(self) -> FloatArray:
        """Layout coordinates, shape (P, 2)."""
        return self._xy

    @property
    def proximity(self) -> FloatArray:
        """Dense read-only proximity matrix, shape (P, P), zero diagonal."""
        return self._proximity

    @property
    def edges(self) -> IntArray:
        """Backbone edges as product positions ``(i, j)``, ``i < j``, shape (E, 2)."""
        return self._edges

    @property
    def n_products(self) -> int:
        """Number of products P."""
        return int(self._codes.size)

    @property
    def source(self) -> str:
        """How the space was built: ``"atlas"``, ``"synthetic"`` or ``"trade"``."""
        return self._source

    @property
    def metadata(self) -> dict[str, Any]:
        """How the space was built and its parameters (a deep copy)."""
        return json.loads(json.dumps(self._metadata))

    def index_of(self, code: str) -> int:
        """Position of product ``code`` in the fixed product order.

        Raises
        ------
        KeyError
            If the code is unknown.
        """
        try:
            return self._index[str(code)]
        except KeyError:
            raise KeyError(f"unknown product code {code!r}") from None

    def weighted_degree(self) -> FloatArray:
        r"""Weighted degree :math:`s_p = \sum_q \phi_{pq}` (centrality in the space)."""
        return self._proximity.sum(axis=1)

    def __len__(self) -> int:
        return self.n_products

    def __repr__(self) -> str:
        return (
            f"ProductSpace(source={self._source!r}, n_products={self.n_products}, "
            f"n_clusters={len(self._cluster_names)}, n_edges={len(self._edges)})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProductSpace):
            return NotImplemented
        return (
            self._source == other._source
            and np.array_equal(self._codes, other._codes)
            and np.array_equal(self._names, other._names)
            and np.array_equal(self._cluster, other._cluster)
            and self._cluster_names == other._cluster_names
            and np.array_equal(self._pci, other._pci, equal_nan=True)
            and np.array_equal(self._world_exports, other._world_exports)
            and np.array_equal(self._xy, other._xy)
            and np.array_equal(self._proximity, other._proximity)
            and np.array_equal(self._edges, other._edges)
            and self._metadata == other._metadata
        )

    __hash__ = None  # type: ignore[assignment]

    # -- subsets -------------------------------------------------------------
    def subset(self, codes: Iterable[str]) -> ProductSpace:
        """Return a product space restricted to ``codes`` (in the given order).

        The backbone keeps the edges among the retained products only and may
        therefore be disconnected.
        """
        idx = np.array([self.index_of(c) for c in codes], dtype=np.int64)
        if len(set(idx.tolist())) != idx.size:
            raise ValueError("subset codes must be unique")
        pos = {int(i): k for k, i in enumerate(idx.tolist())}
        keep = [(pos[i], pos[j]) for i, j in self._edges.tolist() if i in pos and j in pos]
        md = self.metadata
        md["subset_of"] = {"source": self._source, "n_products": self.n_products}
        used = set(self._cluster[idx].tolist())
        return ProductSpace(
            self._codes[idx],
            self._names[idx],
            self._cluster[idx],
            {k: v for k, v in self._cluster_names.items() if k in used},
            self._pci[idx],
            self._world_exports[idx],
            self._xy[idx],
            self._proximity[np.ix_(idx, idx)],
            np.array(keep, dtype=np.int64).reshape(-1, 2),
            source=self._source,
            metadata=md,
        )

    # -- factories -----------------------------------------------------------
    @classmethod
    def from_name(cls, name: str, **kwargs: Any) -> ProductSpace:
        """Build a product space by source name (``"atlas"`` or ``"synthetic"``).

        Parameters
        ----------
        name : str
            One of :data:`SOURCES`.
        **kwargs
            Passed to the factory (e.g. ``n_products`` for ``"synthetic"``).

        Raises
        ------
        ValueError
            For an unknown name (the message lists the allowed ones).
        """
        factories: dict[str, Callable[..., ProductSpace]] = {
            "atlas": cls.atlas,
            "synthetic": cls.synthetic,
        }
        key = str(name).strip().lower()
        if key not in factories:
            raise ValueError(
                f"unknown product space {name!r}; allowed: {', '.join(SOURCES)} "
                "(use ProductSpace.from_trade(df) or ProductSpace.load(path) for data)"
            )
        return factories[key](**kwargs)

    @classmethod
    def atlas(
        cls, *, edge_length_exponent: float = 0.5, use_disk_cache: bool = True
    ) -> ProductSpace:
        """Return the real Atlas HS92 product space (the embedded default).

        Products are the 865 HS4 codes of ``atlas_common_data.load_products('hs92')``
        that have a product-space position; clusters, names and the backbone
        (2,158 links) come from the same package, PCI and world exports from its
        ``data/classification/raw/umap_ps.csv``. The proximity matrix is derived
        with :func:`derive_proximity` (see ``docs/product_space.md``).

        The result is cached in memory and, unless ``use_disk_cache=False`` or
        the environment variable ``S3SIM_NO_CACHE`` is set, as a Parquet file
        under the user cache directory (``$S3SIM_CACHE_DIR``, else
        ``$XDG_CACHE_HOME/s3sim``, else ``~/.cache/s3sim``) keyed by the
        ``atlas-common-data`` version.

        Parameters
        ----------
        edge_length_exponent : float, default 0.5
            See :func:`derive_proximity`.
        use_disk_cache : bool, default True
            Read/write the on-disk cache.
        """
        return _atlas_cached(float(edge_length_exponent), bool(use_disk_cache))

    @classmethod
    def synthetic(
        cls,
        n_products: int = 200,
        n_clusters: int = 6,
        core_share: float = 0.3,
        mean_degree: float = 4.0,
        seed: int = 0,
        *,
        noise: float = 0.25,
        cluster_spread: float = 0.35,
        pci_noise: float = 0.5,
    ) -> ProductSpace:
        r"""Generate a seeded synthetic product space with clusters and a core-periphery structure.

        Products sit in a 2-D latent space: cluster :math:`c` has direction
        :math:`\theta_c = 2\pi c / C` (+ jitter); a product's angle is
        :math:`\theta_c + \mathcal N(0, s)` with ``s = cluster_spread``; core
        products (a share ``core_share``) get radius :math:`U(0, 0.45)`,
        peripheral ones :math:`0.55 + \mathrm{Exp}(0.45)`, so the core is dense
        and shared by all clusters while the periphery is sparse. The latent
        distance, perturbed by multiplicative log-normal noise
        (:math:`\sigma` = ``noise``), is mapped to proximity exactly as for the
        Atlas: the rank-based Beta quantile calibrated to Hidalgo et al.
        (2007), so the proximity distribution is the published one. The
        backbone is the maximum spanning tree plus the strongest remaining
        links up to ``mean_degree * P / 2`` edges. PCI decreases with the
        radius (standardised, plus noise): complex products are in the core.
        World exports are log-normal (median about USD 6 bn, as in the Atlas).

        Parameters
        ----------
        n_products : int, default 200
            P, at least ``2 * n_clusters``.
        n_clusters : int, default 6
            At least 1.
        core_share : float, default 0.3
            Share of products in the core, in (0, 1).
        mean_degree : float, default 4.0
            Mean backbone degree, in [2, P - 1].
        seed : int, default 0
            Seed for ``numpy.random.default_rng`` (the only randomness used).
        noise : float, default 0.25
            Log-normal noise on latent distances, >= 0.
        cluster_spread : float, default 0.35
            Angular spread of a cluster (radians), > 0.
        pci_noise : float, default 0.5
            Gaussian noise added to minus the radius before standardising to PCI
            (0.5 gives a weighted-degree/PCI correlation of about 0.6-0.7; the
            Atlas has 0.4), >= 0.

        Raises
        ------
        ValueError
            Naming the parameter and its allowed range.
        """
        n_products = _check_int("n_products", n_products, 2)
        n_clusters = _check_int("n_clusters", n_clusters, 1)
        if n_products < 2 * n_clusters:
            raise ValueError(
                f"n_products must be >= 2 * n_clusters = {2 * n_clusters}, got {n_products}"
            )
        if not 0.0 < float(core_share) < 1.0:
            raise ValueError(f"core_share must be in (0, 1), got {core_share}")
        if not 2.0 <= float(mean_degree) <= n_products - 1:
            raise ValueError(
                f"mean_degree must be in [2, n_products - 1 = {n_products - 1}], got {mean_degree}"
            )
        if not float(noise) >= 0.0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        if not float(pci_noise) >= 0.0:
            raise ValueError(f"pci_noise must be >= 0, got {pci_noise}")
        if not float(cluster_spread) > 0.0:
            raise ValueError(f"cluster_spread must be > 0, got {cluster_spread}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"seed must be an int, got {seed!r}")

        rng = np.random.default_rng(int(seed))
        n, c = n_products, n_clusters
        cluster = rng.permutation(np.arange(n) % c)
        n_core = max(1, round(core_share * n))
        is_core = np.zeros(n, dtype=bool)
        is_core[rng.choice(n, size=n_core, replace=False)] = True
        centre_angle = 2 * np.pi * np.arange(c) / c + rng.normal(0.0, 0.1, size=c)
        angle = centre_angle[cluster] + rng.normal(0.0, cluster_spread, size=n)
        radius = np.where(
            is_core, rng.uniform(0.0, 0.45, size=n), 0.55 + rng.exponential(0.45, size=n)
        )
        xy = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])

        diff = xy[:, None, :] - xy[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=-1))
        iu = np.triu_indices(n, 1)
        d = dist[iu] * np.exp(noise * rng.normal(size=iu[0].size))
        a, b = calibrate_beta()
        phi = np.zeros((n, n))
        phi[iu] = _rank_to_beta(d, a, b)
        phi = phi + phi.T

        n_edges = round(mean_degree * n / 2)
        tree = backbone_edges(phi, threshold=np.inf)
        in_tree = np.zeros((n, n), dtype=bool)
        in_tree[tree[:, 0], tree[:, 1]] = True
        extra_needed = max(0, n_edges - len(tree))
        order = np.argsort(-phi[iu], kind="stable")
        extra = order[~in_tree[iu][order]][:extra_needed]
        edges = np.vstack([tree, np.column_stack([iu[0][extra], iu[1][extra]])])

        raw = -radius + rng.normal(0.0, pci_noise, size=n)
        pci = (raw - raw.mean()) / raw.std()
        world_exports = np.exp(rng.normal(np.log(6e9), 1.3, size=n))
        width = len(str(n - 1))
        codes = [f"S{i:0{width}d}" for i in range(n)]
        names = [f"Synthetic product {i}" for i in range(n)]
        cluster_names = {k: f"Cluster {k}" for k in range(c)}
        metadata = {
            "builder": "ProductSpace.synthetic",
            "n_products": n,
            "n_clusters": c,
            "core_share": float(core_share),
            "mean_degree": float(mean_degree),
            "seed": int(seed),
            "noise": float(noise),
            "cluster_spread": float(cluster_spread),
            "pci_noise": float(pci_noise),
            "n_core": int(n_core),
            "core": np.flatnonzero(is_core).tolist(),
            "proximity": {"method": "beta-quantile of latent distance", "beta_a": a, "beta_b": b},
        }
        return cls(
            codes,
            names,
            cluster,
            cluster_names,
            pci,
            world_exports,
            xy,
            phi,
            edges,
            source="synthetic",
            metadata=metadata,
        )

    @classmethod
    def from_trade(
        cls,
        df: pd.DataFrame,
        *,
        location_col: str = "location",
        product_col: str = "product",
        year_col: str = "year",
        value_col: str = "value",
        year: int | None = None,
        rca_threshold: float = 1.0,
        backbone_threshold: float = 0.55,
    ) -> ProductSpace:
        r"""Product space from a location x product table (Hidalgo et al. 2007).

        Values are summed per (location, product) for the chosen year; then
        :func:`s3sim.space.metrics.rca`, :func:`~s3sim.space.metrics.presence` (threshold
        ``rca_threshold``) and :func:`~s3sim.space.metrics.proximity`
        (:math:`\phi_{pq} = C_{pq}/\max(k_p, k_q)`; diagonal set to 0 here) give
        the proximity, :func:`~s3sim.space.metrics.eci_pci` the PCI (NaN for products
        no location has RCA in) and column sums the world exports. The backbone
        is the maximum spanning tree plus links with
        :math:`\phi \ge` ``backbone_threshold``.

        When a code is an HS92 4-digit code of the Atlas, its name, cluster and
        layout position are taken from the Atlas; if *all* codes are in the
        Atlas the Atlas layout is used, otherwise ``networkx.spring_layout``
        (seed 0, weight = proximity) on the backbone. Clusters of codes not in
        the Atlas come from ``networkx.community.greedy_modularity_communities``
        on the backbone (weighted by proximity), numbered after the Atlas
        clusters; their names are the code itself and ``"Community k"``.

        Parameters
        ----------
        df : pandas.DataFrame
            Long-format data.
        location_col, product_col, year_col, value_col : str
            Column names. ``year_col`` may be absent if the table has one period.
        year : int, optional
            Year to use; default the latest year in the data.
        rca_threshold : float, default 1.0
            RCA at or above which a location "has" a product (finite, > 0).
        backbone_threshold : float, default 0.55
            Proximity at or above which a link joins the backbone.

        Raises
        ------
        ValueError
            On missing columns, an unknown year, negative or non-numeric values,
            or fewer than two products.
        """
        from s3sim.space import metrics  # local import keeps the module importable alone

        if not isinstance(df, pd.DataFrame):
            raise ValueError(f"from_trade expects a pandas DataFrame, got {type(df).__name__}")
        from s3sim.config import check_rca_threshold

        check_rca_threshold(rca_threshold)
        needed = [location_col, product_col, value_col]
        missing = [col for col in needed if col not in df.columns]
        if missing:
            raise ValueError(f"missing column(s) {missing}; columns are {list(df.columns)}")
        data = df
        used_year: int | None = None
        if year_col in df.columns:
            years = pd.Series(df[year_col]).dropna().unique()
            if year is None:
                used_year = int(max(years))
            elif year in set(years.tolist()):
                used_year = int(year)
            else:
                raise ValueError(f"year {year} not in data; available: {sorted(years.tolist())}")
            data = df[df[year_col] == used_year]
        elif year is not None:
            raise ValueError(f"year={year} given but column {year_col!r} is absent")
        values = pd.to_numeric(data[value_col], errors="coerce")
        if values.isna().any():
            raise ValueError(f"column {value_col!r} has non-numeric or missing values")
        if (values < 0).any():
            raise ValueError(f"column {value_col!r} has negative values")
        from s3sim.io import normalise_product_codes

        uniq = pd.unique(data[product_col].astype(str).str.strip())
        normalised, _ = normalise_product_codes(uniq)  # 101, 101.0 and 0101: one product
        codes_map = dict(zip(uniq, normalised, strict=True))
        data = data.assign(**{
            value_col: values,
            product_col: data[product_col].astype(str).str.strip().map(codes_map),
            location_col: data[location_col].astype(str),
        })
        table = data.pivot_table(
            index=location_col, columns=product_col, values=value_col, aggfunc="sum",
            fill_value=0.0, observed=True,
        )
        table.columns = table.columns.astype(str)
        table = table.sort_index(axis=1)
        if table.shape[1] < 2:
            raise ValueError(f"need at least 2 products, got {table.shape[1]}")
        X = table.to_numpy(dtype=np.float64)
        M = metrics.presence(metrics.rca(X), threshold=rca_threshold)
        phi = np.array(metrics.proximity(M), dtype=np.float64)
        np.fill_diagonal(phi, 0.0)
        _, pci = metrics.eci_pci(M)
        world_exports = X.sum(axis=0)
        codes = table.columns.to_numpy().astype(str)
        n = codes.size
        edges = backbone_edges(phi, threshold=backbone_threshold)

        ref = _atlas_nodes()
        in_atlas = np.isin(codes, ref.index.to_numpy())
        names = np.where(in_atlas, ref.reindex(codes)["name"].fillna("").to_numpy(), codes)
        cluster = np.full(n, -1, dtype=np.int64)
        cluster_names: dict[int, str] = {}
        if in_atlas.any():
            cl = ref.reindex(codes)["cluster"].to_numpy()
            cluster[in_atlas] = cl[in_atlas].astype(np.int64)
            atlas_cn = _atlas_cluster_names()
            cluster_names.update({k: atlas_cn[k] for k in set(cluster[in_atlas].tolist())})
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_weighted_edges_from((int(i), int(j), float(phi[i, j])) for i, j in edges)
        communities_used = False
        if not in_atlas.all():
            communities_used = True
            comms = nx.community.greedy_modularity_communities(g, weight="weight")
            base = 8 if in_atlas.any() else 0
            for k, comm in enumerate(sorted(comms, key=lambda s: min(s))):
                for node in comm:
                    if not in_atlas[node]:
                        cluster[node] = base + k
                        cluster_names[base + k] = f"Community {k}"
        if in_atlas.all():
            xy = ref.reindex(codes)[["x", "y"]].to_numpy(dtype=np.float64)
            layout = "atlas"
        else:
            pos = nx.spring_layout(g, seed=0, weight="weight")
            xy = np.array([pos[i] for i in range(n)], dtype=np.float64)
            layout = "spring_layout(seed=0)"
        metadata = {
            "builder": "ProductSpace.from_trade",
            "year": used_year,
            "n_locations": int(X.shape[0]),
            "rca_threshold": float(rca_threshold),
            "backbone_threshold": float(backbone_threshold),
            "columns": {
                "location": location_col,
                "product": product_col,
                "year": year_col,
                "value": value_col,
            },
            "n_codes_in_atlas": int(in_atlas.sum()),
            "layout": layout,
            "community_detection": communities_used,
            "n_products_without_rca": int(np.isnan(pci).sum()),
        }
        return cls(
            codes,
            names,
            cluster,
            cluster_names,
            pci,
            world_exports,
            xy,
            phi,
            edges,
            source="trade",
            metadata=metadata,
        )

    # -- persistence ---------------------------------------------------------
    def to_table(self) -> pa.Table:
        """Arrow table of nodes (one row per product) with the proximity row as a list column."""
        n = self.n_products
        flat = pa.array(self._proximity.ravel(), type=pa.float64())
        prox = pa.FixedSizeListArray.from_arrays(flat, n)
        table = pa.table(
            {
                "code": pa.array(self._codes.tolist(), pa.string()),
                "name": pa.array(self._names.tolist(), pa.string()),
                "cluster": pa.array(self._cluster, pa.int64()),
                "cluster_name": pa.array(
                    [self._cluster_names[int(c)] for c in self._cluster], pa.string()
                ),
                "pci": pa.array(self._pci, pa.float64()),
                "world_exports": pa.array(self._world_exports, pa.float64()),
                "x": pa.array(self._xy[:, 0], pa.float64()),
                "y": pa.array(self._xy[:, 1], pa.float64()),
                "proximity": prox,
            }
        )
        header = {
            "format_version": _FORMAT_VERSION,
            "source": self._source,
            "cluster_names": {str(k): v for k, v in self._cluster_names.items()},
            "edges": self._edges.tolist(),
            "metadata": self._metadata,
        }
        return table.replace_schema_metadata({_META_KEY: json.dumps(header).encode()})

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the product space to one Parquet file, atomically.

        The file holds one row per product (``code, name, cluster,
        cluster_name, pci, world_exports, x, y`` and the full proximity row)
        and, in the schema metadata, the source, cluster names, backbone edges
        and build metadata. ``ProductSpace.load(path)`` restores an equal object.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        target = Path(path)
        _atomic_write(target, lambda tmp: pq.write_table(self.to_table(), tmp, compression="zstd"))
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ProductSpace:
        """Read a file written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ValueError
            If the file is not a valid s3sim product-space file.
        """
        src = Path(path)
        if not src.is_file():
            raise FileNotFoundError(f"product space file not found: {src}")
        try:
            table = pq.read_table(src)
            raw = (table.schema.metadata or {}).get(_META_KEY)
            if raw is None:
                raise ValueError("no s3sim product-space metadata")
            header = json.loads(raw)
            if header.get("format_version") != _FORMAT_VERSION:
                raise ValueError(f"unsupported format_version {header.get('format_version')!r}")
            n = table.num_rows
            prox_col = table.column("proximity").combine_chunks()
            phi = prox_col.flatten().to_numpy(zero_copy_only=False).reshape(n, n).copy()
            col = {
                name: table.column(name).to_numpy(zero_copy_only=False)
                for name in ("code", "name", "cluster", "pci", "world_exports", "x", "y")
            }
            return cls(
                col["code"].astype(str),
                col["name"].astype(str),
                col["cluster"],
                {int(k): v for k, v in header["cluster_names"].items()},
                col["pci"],
                col["world_exports"],
                np.column_stack([col["x"], col["y"]]),
                phi,
                np.array(header["edges"], dtype=np.int64).reshape(-1, 2),
                source=header["source"],
                metadata=header["metadata"],
            )
        except (OSError, KeyError, TypeError, ValueError, pa.ArrowException) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ValueError(f"not a valid s3sim product-space file: {src} ({msg})") from None

    def to_graphml(self, path: str | os.PathLike[str]) -> Path:
        """Write the backbone graph (node attributes, edge ``proximity``) as GraphML, atomically."""
        target = Path(path)
        g = nx.Graph(self._graph)
        g.graph = {"source": self._source}
        _atomic_write(target, lambda tmp: nx.write_graphml(g, tmp))
        return target


# ---------------------------------------------------------------------------
# Internals
# ---------------------------------------------------------------------------


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _atomic_write(target: Path, writer: Callable[[str], Any]) -> None:
    """Call ``writer(tmp_path)`` on a temporary file next to ``target``, then replace."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        writer(tmp)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _atlas_data_dir() -> Path:
    import atlas_common_data

    return Path(atlas_common_data.__file__).parent / "data"


def _atlas_version() -> str:
    from importlib.metadata import version

    return version("atlas-common-data")


@functools.lru_cache(maxsize=1)
def _atlas_cluster_names() -> dict[int, str]:
    import atlas_common_data

    cl = atlas_common_data.load_product_space_clusters()
    return {int(r.cluster_id): str(r.name_short_en) for r in cl.itertuples()}


@functools.lru_cache(maxsize=1)
def _atlas_nodes() -> pd.DataFrame:
    """Atlas HS92 products with a product-space position, indexed by code, in Atlas order."""
    import atlas_common_data

    prod = atlas_common_data.load_products("hs92")
    prod = prod[prod["product_space_x"].notna() & prod["product_space_y"].notna()]
    umap = pd.read_csv(
        _atlas_data_dir() / "classification" / "raw" / "umap_ps.csv", dtype={"product_code": str}
    )
    umap = umap.set_index("product_code")[["pci", "total_exports"]]
    out = pd.DataFrame(
        {
            "product_id": prod["product_id"].astype(np.int64).to_numpy(),
            "code": prod["code"].astype(str).to_numpy(),
            "name": prod["name_short_en"].astype(str).to_numpy(),
            "cluster": prod["cluster_id"].astype(np.int64).to_numpy(),
            "x": prod["product_space_x"].astype(float).to_numpy(),
            "y": prod["product_space_y"].astype(float).to_numpy(),
        }
    ).set_index("code", drop=False)
    out = out.join(umap, how="left")
    if out[["pci", "total_exports"]].isna().any().any():
        raise ValueError("atlas-common-data: umap_ps.csv lacks PCI/exports for some products")
    return out


def _cache_dir() -> Path:
    env = os.environ.get("S3SIM_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "s3sim"


def _build_atlas(edge_length_exponent: float) -> ProductSpace:
    import atlas_common_data

    nodes = _atlas_nodes()
    pos = {int(pid): i for i, pid in enumerate(nodes["product_id"].tolist())}
    raw = atlas_common_data.load_product_space_edges("hs92")
    src = raw["source"].map(pos)
    dst = raw["target"].map(pos)
    if src.isna().any() or dst.isna().any():
        raise ValueError("atlas-common-data: backbone edge refers to a product without position")
    e = np.sort(np.column_stack([src.to_numpy(np.int64), dst.to_numpy(np.int64)]), axis=1)
    e = np.unique(e[e[:, 0] != e[:, 1]], axis=0)
    xy = nodes[["x", "y"]].to_numpy(dtype=np.float64)
    phi, params = derive_proximity(e, xy, edge_length_exponent=edge_length_exponent)
    metadata = {
        "builder": "ProductSpace.atlas",
        "classification": "hs92",
        "atlas_common_data_version": _atlas_version(),
        "derivation_version": _DERIVATION_VERSION,
        "pci_source": "atlas_common_data/data/classification/raw/umap_ps.csv",
        "proximity": params,
    }
    return ProductSpace(
        nodes["code"].to_numpy(),
        nodes["name"].to_numpy(),
        nodes["cluster"].to_numpy(),
        _atlas_cluster_names(),
        nodes["pci"].to_numpy(),
        nodes["total_exports"].to_numpy(),
        xy,
        phi,
        e,
        source="atlas",
        metadata=metadata,
    )


@functools.lru_cache(maxsize=4)
def _atlas_cached(edge_length_exponent: float, use_disk_cache: bool) -> ProductSpace:
    use_disk = use_disk_cache and not os.environ.get("S3SIM_NO_CACHE")
    path = _cache_dir() / (
        f"atlas_hs92_acd{_atlas_version()}_d{_DERIVATION_VERSION}_a{edge_length_exponent:g}.parquet"
    )
    if use_disk and path.is_file():
        try:
            return ProductSpace.load(path)
        except ValueError:
            pass  # corrupt cache: rebuild below
    ps = _build_atlas(edge_length_exponent)
    if use_disk:
        try:
            ps.save(path)
        except OSError:
            pass  # read-only home etc.: the in-memory cache still works
    return ps
