"""Draw a :class:`~s3sim.space.product_space.ProductSpace`: the map and the proximity distribution.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot
state), so they are safe in worker processes, tests and the dashboard.

Typical uses::

    ps = ProductSpace.atlas()
    ax = draw_product_space(ps)                                   # coloured by cluster
    ax = draw_product_space(ps, highlight=rca_codes, marked=priority_codes)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike, NDArray

from s3sim.space.product_space import PUBLISHED_CDF, ProductSpace

__all__ = [
    "CLUSTER_PALETTE",
    "cluster_colors",
    "draw_product_space",
    "make_docs_figures",
    "plot_proximity_distribution",
]

#: Qualitative palette (Okabe-Ito + extras), colour-blind friendly; cycled by cluster id.
CLUSTER_PALETTE: tuple[str, ...] = (
    "#E69F00",
    "#8C6D31",
    "#56B4E9",
    "#CC79A7",
    "#0072B2",
    "#999933",
    "#D55E00",
    "#009E73",
    "#882255",
    "#44AA99",
    "#332288",
    "#DDCC77",
)

_GREY = "#d9d9d9"


def cluster_colors(ps: ProductSpace) -> dict[int, str]:
    """Colour per cluster id (stable: cluster ``k`` gets palette entry ``k mod 12``)."""
    return {k: CLUSTER_PALETTE[k % len(CLUSTER_PALETTE)] for k in ps.cluster_names}


def _mask(
    ps: ProductSpace, selection: Iterable[str] | ArrayLike | None, label: str
) -> NDArray[np.bool_] | None:
    """Boolean mask over products from codes or a boolean array (``None`` -> ``None``)."""
    if selection is None:
        return None
    arr = np.asarray(list(selection) if not isinstance(selection, np.ndarray) else selection)
    if arr.dtype == bool:
        if arr.shape != (ps.n_products,):
            raise ValueError(f"{label} mask must have shape ({ps.n_products},), got {arr.shape}")
        return arr
    mask = np.zeros(ps.n_products, dtype=bool)
    for code in arr.astype(str).tolist():
        mask[ps.index_of(code)] = True
    return mask


def draw_product_space(
    ps: ProductSpace,
    ax: Axes | None = None,
    highlight: Iterable[str] | ArrayLike | None = None,
    marked: Iterable[str] | ArrayLike | None = None,
    node_color: str | ArrayLike = "cluster",
    node_size: str | float | ArrayLike = "exports",
    *,
    edge_color: str = "#b0b0b0",
    edge_alpha: float = 0.5,
    edge_width: float = 0.4,
    cmap: str = "viridis",
    legend: bool = True,
    label_marked: bool = False,
    title: str | None = None,
) -> Axes:
    """Draw the product space map (backbone links and products at their layout position).

    Parameters
    ----------
    ps : ProductSpace
        The space to draw.
    ax : matplotlib.axes.Axes, optional
        Target axes; default a new 9 x 7 inch figure.
    highlight : iterable of codes or boolean mask, optional
        Products to emphasise (e.g. those a region has RCA in): drawn in
        colour and full size; the others in light grey and smaller.
    marked : iterable of codes or boolean mask, optional
        Products to ring in black (e.g. S3 priority domains), drawn on top.
    node_color : {"cluster", "pci"} or str colour or array_like, default "cluster"
        ``"cluster"`` colours by cluster (with a legend); ``"pci"`` or a
        numeric array of shape (P,) uses ``cmap`` with a colour bar; any other
        string is a single matplotlib colour.
    node_size : "exports" or float or array_like, default "exports"
        ``"exports"`` scales marker area with the square root of world exports.
    edge_color, edge_alpha, edge_width : str, float, float
        Style of backbone links.
    cmap : str, default "viridis"
        Colour map for numeric ``node_color``.
    legend : bool, default True
        Show the cluster legend (and marker legend for highlight / marked).
    label_marked : bool, default False
        Write the short name of each marked product next to it.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        fig = Figure(figsize=(9, 7), layout="constrained")
        ax = fig.add_subplot()
    n = ps.n_products
    xy = ps.xy
    hl = _mask(ps, highlight, "highlight")
    mk = _mask(ps, marked, "marked")

    # sizes
    if isinstance(node_size, str):
        if node_size != "exports":
            raise ValueError(
                f"node_size must be 'exports', a number or an array, got {node_size!r}"
            )
        w = np.sqrt(np.clip(ps.world_exports, 0, None))
        w = w / w.max() if w.max() > 0 else np.ones(n)
        sizes = 6.0 + 90.0 * w
    else:
        sizes = np.broadcast_to(np.asarray(node_size, dtype=float), (n,)).copy()

    # colours
    colorbar_values = None
    handles: list[Line2D] = []
    if isinstance(node_color, str) and node_color == "cluster":
        cc = cluster_colors(ps)
        colors = np.array([to_rgba(cc[int(c)]) for c in ps.cluster])
        present = sorted(set(ps.cluster.tolist()))
        handles = [
            Line2D(
                [], [], ls="", marker="o", ms=7, mfc=cc[k], mec="none", label=ps.cluster_names[k]
            )
            for k in present
        ]
    elif isinstance(node_color, str) and node_color != "pci":
        colors = np.tile(to_rgba(node_color), (n, 1))
    else:
        values = ps.pci if isinstance(node_color, str) else np.asarray(node_color, dtype=float)
        if values.shape != (n,):
            raise ValueError(f"node_color array must have shape ({n},), got {values.shape}")
        finite = values[np.isfinite(values)]
        norm = Normalize(*(np.percentile(finite, [2, 98]) if finite.size else (0, 1)))
        from matplotlib import colormaps

        colors = colormaps[cmap](norm(np.nan_to_num(values, nan=norm.vmin)))
        colorbar_values = (norm, cmap, "PCI" if isinstance(node_color, str) else None)

    if hl is not None:
        colors = colors.copy()
        colors[~hl] = to_rgba(_GREY)
        sizes = np.where(hl, sizes, sizes * 0.6)

    # edges
    if len(ps.edges):
        segs = xy[ps.edges]
        ax.add_collection(
            LineCollection(
                segs, colors=edge_color, linewidths=edge_width, alpha=edge_alpha, zorder=1
            )
        )
    order = np.argsort(hl) if hl is not None else np.arange(n)  # highlighted on top
    ax.scatter(
        xy[order, 0],
        xy[order, 1],
        s=sizes[order],
        c=colors[order],
        linewidths=0.3,
        edgecolors="white",
        zorder=2,
    )
    if mk is not None and mk.any():
        ax.scatter(
            xy[mk, 0],
            xy[mk, 1],
            s=sizes[mk] + 40,
            facecolors="none",
            edgecolors="black",
            linewidths=1.4,
            zorder=3,
        )
        if label_marked:
            for i in np.flatnonzero(mk):
                ax.annotate(
                    str(ps.names[i])[:28],
                    xy[i],
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=7,
                    zorder=4,
                )

    if colorbar_values is not None and ax.figure is not None:
        from matplotlib.cm import ScalarMappable

        norm, cm, label = colorbar_values
        cb = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cm), ax=ax, shrink=0.6)
        if label:
            cb.set_label(label)
    if legend:
        extra = []
        if hl is not None:
            extra.append(
                Line2D(
                    [], [], ls="", marker="o", ms=7, mfc=_GREY, mec="none", label="not highlighted"
                )
            )
        if mk is not None and mk.any():
            extra.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker="o",
                    ms=9,
                    mfc="none",
                    mec="black",
                    mew=1.4,
                    label="marked",
                )
            )
        if handles or extra:
            ax.legend(
                handles=handles + extra,
                loc="upper left",
                bbox_to_anchor=(1.0, 1.0),
                fontsize=8,
                frameon=False,
                title="Cluster" if handles else None,
                title_fontsize=9,
            )
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return ax


def plot_proximity_distribution(
    ps: ProductSpace,
    fig: Figure | None = None,
    published: Mapping[float, float] = PUBLISHED_CDF,
) -> Figure:
    """Histogram and cumulative distribution of off-diagonal proximities.

    The published points of Hidalgo et al. (2007) (32 % below 0.1, 65 % below
    0.2) are marked on the CDF, together with the model's value at each.

    Parameters
    ----------
    ps : ProductSpace
    fig : matplotlib.figure.Figure, optional
        Figure to draw into (two axes are added); default a new 10 x 4 inch one.
    published : mapping, default :data:`s3sim.space.product_space.PUBLISHED_CDF`
        Points ``{x: F(x)}`` to mark.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if fig is None:
        fig = Figure(figsize=(10, 4), layout="constrained")
    ax_h, ax_c = fig.subplots(1, 2)
    iu = np.triu_indices(ps.n_products, 1)
    phi = ps.proximity[iu]
    ax_h.hist(phi, bins=np.linspace(0, 1, 51), color="#0072B2", alpha=0.85)
    ax_h.axvline(0.55, color="#D55E00", ls="--", lw=1)
    ax_h.text(
        0.56,
        0.95,
        r"$\phi = 0.55$",
        transform=ax_h.get_xaxis_transform(),
        color="#D55E00",
        va="top",
        fontsize=9,
    )
    ax_h.set_xlabel(r"proximity $\phi_{pq}$")
    ax_h.set_ylabel("number of product pairs")
    ax_h.set_title(f"{ps.source}: {phi.size:,} pairs")
    xs = np.sort(phi)
    ax_c.plot(
        xs,
        np.arange(1, xs.size + 1) / xs.size,
        color="#0072B2",
        lw=1.8,
        label=f"{ps.source} (derived)" if ps.source == "atlas" else ps.source,
    )
    for k, (x, f) in enumerate(sorted(published.items())):
        ax_c.plot(
            [x],
            [f],
            marker="o",
            ms=9,
            mfc="none",
            mec="#D55E00",
            mew=2,
            ls="",
            label="Hidalgo et al. (2007)" if k == 0 else None,
        )
        got = float((phi < x).mean())
        ax_c.annotate(
            f"published {f:.0%}\nhere {got:.1%}",
            (x, f),
            xytext=(10, -28),
            textcoords="offset points",
            fontsize=8,
        )
    ax_c.set_xlim(0, 1)
    ax_c.set_ylim(0, 1.01)
    ax_c.set_xlabel(r"proximity $\phi$")
    ax_c.set_ylabel(r"share of pairs with $\phi_{pq} < \phi$")
    ax_c.grid(alpha=0.3)
    ax_c.legend(loc="lower right", frameon=False)
    return fig


def make_docs_figures(
    outdir: str | os.PathLike[str] = "docs/figures", dpi: int = 150
) -> list[Path]:
    """Write ``proximity_distribution.png`` and ``atlas_product_space.png`` for the docs."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    ps = ProductSpace.atlas()
    paths = []
    fig = plot_proximity_distribution(ps)
    paths.append(out / "proximity_distribution.png")
    fig.savefig(paths[-1], dpi=dpi)
    fig = Figure(figsize=(13, 7.5), layout="constrained")
    ax = fig.add_subplot()
    draw_product_space(ps, ax=ax, title="Atlas HS92 product space (865 products, 2,158 links)")
    paths.append(out / "atlas_product_space.png")
    fig.savefig(paths[-1], dpi=dpi)
    return paths


def _main(argv: list[str] | None = None) -> Any:  # pragma: no cover - manual use
    import sys

    args = sys.argv[1:] if argv is None else argv
    for p in make_docs_figures(args[0] if args else "docs/figures"):
        print(p)


if __name__ == "__main__":  # pragma: no cover
    _main()
