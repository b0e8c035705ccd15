"""Opportunity figures for one location: density-vs-PCI scatter and product-space map.

Figures are drawn with :class:`matplotlib.figure.Figure` directly (no pyplot
state), so they are safe to produce in worker processes and tests.

The product-space map uses the real Atlas HS92 layout (``atlas-common-data``)
when the products are HS92 4-digit codes that the Atlas mostly knows (see
:func:`product_space_layout`); otherwise it draws a seeded spring layout of the
maximum spanning tree of the proximity matrix (Hidalgo et al. 2007's backbone).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

__all__ = [
    "ATLAS_MIN_SHARE",
    "ProductSpaceLayout",
    "atlas_hs92_names",
    "hs4_code",
    "plot_opportunity_scatter",
    "plot_product_space_map",
    "product_space_layout",
]

ATLAS_MIN_SHARE = 0.8
"""Share of products that must be Atlas HS92 4-digit codes to use the Atlas layout."""

_HS4 = re.compile(r"^\d{1,4}$")
_QUADRANT_COLOURS = {
    "high relatedness / high complexity": "#1b7837",
    "high relatedness / low complexity": "#7fbf7b",
    "low relatedness / high complexity": "#af8dc3",
    "low relatedness / low complexity": "#bbbbbb",
}


@dataclass
class ProductSpaceLayout:
    """Node positions and edges of a product-space drawing.

    Attributes
    ----------
    positions : dict
        Product code (as given in the data) -> (x, y). Products without a
        position are not drawn.
    edges : list of tuple
        Pairs of product codes to draw as links.
    source : str
        ``"atlas-hs92"`` or ``"spring-mst"``.
    names : dict
        Product code -> name, when known (Atlas HS92 only).
    background_points : numpy.ndarray, shape (n, 2)
        Positions of products drawn faintly behind the data (the whole Atlas
        product space when its layout is used).
    background_segments : list
        Links drawn faintly behind the data, as ((x0, y0), (x1, y1)) pairs.
    """

    positions: dict[str, tuple[float, float]]
    edges: list[tuple[str, str]]
    source: str
    names: dict[str, str] = field(default_factory=dict)
    background_points: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    background_segments: list[tuple[tuple[float, float], tuple[float, float]]] = field(
        default_factory=list
    )


def hs4_code(code: str) -> str | None:
    """Normalise a product label to a 4-digit HS code, or None if it is not one.

    Examples
    --------
    >>> hs4_code("101"), hs4_code(" 8703 "), hs4_code("IND-01")
    ('0101', '8703', None)
    """
    code = str(code).strip()
    return code.zfill(4) if _HS4.match(code) else None


@functools.lru_cache(maxsize=1)
def _load_atlas() -> tuple[dict[str, tuple[float, float]], dict[str, str], list[tuple[str, str]]]:
    """Atlas HS92 4-digit positions, names and edges keyed by HS code (cached; read-only).

    Read from :meth:`s3sim.space.product_space.ProductSpace.atlas`, the one place that loads
    the Atlas product space.
    """
    from s3sim.space.product_space import ProductSpace

    ps = ProductSpace.atlas()
    codes = [str(c) for c in ps.codes]
    pos = {c: (float(x), float(y)) for c, (x, y) in zip(codes, ps.xy, strict=True)}
    names = dict(zip(codes, (str(n) for n in ps.names), strict=True))
    edges = sorted({tuple(sorted((codes[a], codes[b]))) for a, b in ps.edges})
    return pos, names, edges


def atlas_hs92_names(products: list[str]) -> dict[str, str]:
    """Atlas short names for products that are HS92 4-digit codes (others omitted)."""
    try:
        _, names, _ = _load_atlas()
    except Exception:
        return {}
    out = {}
    for p in products:
        code = hs4_code(p)
        if code is not None and code in names:
            out[p] = names[code]
    return out


def _atlas_layout(products: list[str]) -> ProductSpaceLayout | None:
    """Atlas layout if at least ATLAS_MIN_SHARE of the products are Atlas HS92 codes."""
    hs = {p: hs4_code(p) for p in products}
    if not products or sum(c is not None for c in hs.values()) < ATLAS_MIN_SHARE * len(products):
        return None
    try:
        pos, names, edges = _load_atlas()
    except Exception:
        return None
    known = {p: c for p, c in hs.items() if c is not None and c in pos}
    if len(known) < ATLAS_MIN_SHARE * len(products):
        return None
    back = {c: p for p, c in known.items()}
    return ProductSpaceLayout(
        positions={p: pos[c] for p, c in known.items()},
        edges=[(back[a], back[b]) for a, b in edges if a in back and b in back],
        source="atlas-hs92",
        names={p: names[c] for p, c in known.items()},
        background_points=np.array(list(pos.values()), dtype=float),
        background_segments=[(pos[a], pos[b]) for a, b in edges],
    )


def _spring_layout(products: list[str], phi: np.ndarray, seed: int) -> ProductSpaceLayout:
    """Seeded spring layout of the maximum spanning tree of the proximity matrix."""
    g = nx.Graph()
    g.add_nodes_from(products)
    iu, ju = np.nonzero(np.triu(phi, k=1))
    g.add_weighted_edges_from(
        (products[i], products[j], float(phi[i, j])) for i, j in zip(iu, ju, strict=True)
    )
    tree = nx.maximum_spanning_tree(g, weight="weight")
    pos = nx.spring_layout(tree, seed=seed, iterations=100)
    return ProductSpaceLayout(
        positions={p: (float(x), float(y)) for p, (x, y) in pos.items()},
        edges=[(str(a), str(b)) for a, b in tree.edges()],
        source="spring-mst",
    )


def product_space_layout(
    products: list[str], phi: np.ndarray, *, seed: int = 0
) -> ProductSpaceLayout:
    """Choose and build the product-space layout for a set of products.

    Parameters
    ----------
    products : list of str
        Product labels in matrix order.
    phi : numpy.ndarray, shape (n_products, n_products)
        Proximity matrix (used only for the fallback layout).
    seed : int, default 0
        Seed of the spring layout.

    Returns
    -------
    ProductSpaceLayout
        The Atlas HS92 layout (positions, edges and names from
        ``atlas-common-data``) when at least :data:`ATLAS_MIN_SHARE` of the
        products are 4-digit HS codes present in it (codes with fewer digits
        are zero-padded, so ``101`` matches ``0101``); else a spring layout of
        the maximum spanning tree of ``phi``.
    """
    return _atlas_layout(products) or _spring_layout(products, phi, seed)


def _save(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Save a figure as a 200-dpi PNG (print quality)."""
    fig.savefig(path, dpi=200, bbox_inches="tight")


def plot_opportunity_scatter(
    path: str | os.PathLike[str],
    location: str,
    density: np.ndarray,
    pci: np.ndarray,
    quadrant: np.ndarray,
    density_split: float,
    pci_split: float,
    *,
    labels: list[str] | None = None,
    n_labels: int = 5,
) -> None:
    """Scatter of a location's absent products: relatedness density vs PCI.

    Parameters
    ----------
    path : str or os.PathLike
        PNG file to write.
    location : str
        Location name for the title.
    density, pci : numpy.ndarray, shape (n,)
        Density and PCI of the products the location does not have.
    quadrant : numpy.ndarray of str, shape (n,)
        Quadrant label of each product (colours the points).
    density_split, pci_split : float
        Medians that define the quadrants (drawn as dashed lines).
    labels : list of str, optional
        Product labels, in the same order; the first ``n_labels`` are
        annotated (pass them sorted by rank).
    n_labels : int, default 5
        How many labels to draw.
    """
    fig = Figure(figsize=(7, 5.5))
    ax = fig.add_subplot()
    for name, colour in _QUADRANT_COLOURS.items():
        sel = quadrant == name
        if sel.any():
            ax.scatter(density[sel], pci[sel], s=14, c=colour, label=f"{name} ({sel.sum()})",
                       edgecolors="none", alpha=0.85)
    ax.axvline(density_split, color="0.3", ls="--", lw=0.8)
    ax.axhline(pci_split, color="0.3", ls="--", lw=0.8)
    for i, text in enumerate((labels or [])[:n_labels]):
        ax.annotate(text, (density[i], pci[i]), fontsize=6, xytext=(3, 3),
                    textcoords="offset points")
    ax.set_xlabel("Relatedness density (share of related capabilities present)")
    ax.set_ylabel("Product complexity index (PCI)")
    ax.set_title(f"{location}: diversification opportunities (products without RCA)")
    ax.legend(fontsize=7, loc="best", title="quadrant (Balland et al. 2019)", title_fontsize=7)
    _save(fig, path)


def plot_product_space_map(
    path: str | os.PathLike[str],
    location: str,
    layout: ProductSpaceLayout,
    products: list[str],
    mcp: np.ndarray,
    pci: np.ndarray,
) -> None:
    """Draw the product space with the location's specialisations highlighted.

    Parameters
    ----------
    path : str or os.PathLike
        PNG file to write.
    location : str
        Location name for the title.
    layout : ProductSpaceLayout
        Positions and edges, see :func:`product_space_layout`.
    products : list of str
        Product labels in the order of ``mcp`` and ``pci``.
    mcp : numpy.ndarray, shape (n_products,)
        Presence (RCA >= threshold) of the location.
    pci : numpy.ndarray, shape (n_products,)
        Product complexity, colours the specialised products.
    """
    pos = layout.positions
    fig = Figure(figsize=(8, 6.5))
    ax = fig.add_subplot()
    if layout.background_segments:
        ax.add_collection(LineCollection(layout.background_segments, colors="0.92",
                                         linewidths=0.3, zorder=0))
    if len(layout.background_points):
        ax.scatter(layout.background_points[:, 0], layout.background_points[:, 1], s=3,
                   c="0.93", edgecolors="none", zorder=0)
    segs = [(pos[a], pos[b]) for a, b in layout.edges if a in pos and b in pos]
    ax.add_collection(LineCollection(segs, colors="0.75", linewidths=0.5, zorder=1))
    idx = [i for i, p in enumerate(products) if p in pos]
    xy = np.array([pos[products[i]] for i in idx]).reshape(-1, 2)
    has = np.asarray(mcp)[idx] > 0
    ax.scatter(xy[~has, 0], xy[~has, 1], s=10, c="0.65", edgecolors="none", zorder=2,
               label="in the data, no RCA")
    sc = ax.scatter(xy[has, 0], xy[has, 1], s=30, c=np.asarray(pci)[idx][has], cmap="viridis",
                    edgecolors="k", linewidths=0.3, zorder=3, label="RCA >= threshold")
    if has.any():
        fig.colorbar(sc, ax=ax, shrink=0.7, label="PCI of specialised products")
    ax.autoscale()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    src = "Atlas HS92 layout" if layout.source == "atlas-hs92" else "spring layout of the MST"
    ax.set_title(f"{location}: {int(has.sum())} specialisations on the product space ({src})")
    ax.legend(fontsize=7, loc="lower right")
    _save(fig, path)
