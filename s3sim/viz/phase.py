"""Phase diagrams of a ``when_s3_wins`` study: S3-minus-generic net benefit per grid point.

One heat map per grid (two swept parameters: rows and columns) with the mean paired
difference in each cell, its 95 % interval written inside, and the cell outlined when
the verdict is decisive. Figures are built on :class:`matplotlib.figure.Figure` (no
pyplot state) and written as 200-dpi PNG and SVG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

__all__ = ["draw_phase_diagrams", "phase_figure"]

_LABELS = {
    "imitation_speed": "imitation speed (share of pioneer rent lost per year)",
    "discovery_cost": "discovery cost (mean firm-years of output)",
    "imitation_spread": "spread of the externality across domains (SD of log imitation)",
    "selection_rule": "government information (priority selection)",
    "critical_mass_threshold": "critical mass L0 (related output, output units)",
    "public_input_strength": "public-input strength psi (output units per unit)",
}


def _axes_of(grid: pd.DataFrame) -> list[str]:
    value_cols = [c for c in grid.columns
                  if c not in {"grid", "cell", "metric", "mean", "ci_low", "ci_high",
                               "n_seeds", "min_effect", "verdict"}]
    return [c for c in value_cols if grid[c].notna().any()]


def phase_figure(grid: pd.DataFrame, metric: str = "net_benefit") -> Figure:
    """Heat map of one grid's ``metric`` (rows: first swept parameter, columns: second)."""
    rows = grid[grid["metric"] == metric]
    axes = _axes_of(rows)
    if len(axes) == 1:
        axes = [axes[0], axes[0]]
    y_key, x_key = axes[0], axes[1]
    ys = list(dict.fromkeys(rows[y_key].tolist()))
    xs = list(dict.fromkeys(rows[x_key].tolist()))
    values = np.full((len(ys), len(xs)), np.nan)
    fig = Figure(figsize=(1.9 * len(xs) + 2.6, 1.1 * len(ys) + 1.8), layout="constrained")
    ax = fig.add_subplot()
    text = {}
    for _, r in rows.iterrows():
        i, j = ys.index(r[y_key]), xs.index(r[x_key])
        values[i, j] = r["mean"]
        text[(i, j)] = (f"{_num(r['mean'])}\n[{_num(r['ci_low'])}, {_num(r['ci_high'])}]",
                        r["verdict"])
    finite = values[np.isfinite(values)]
    bound = float(np.abs(finite).max()) if finite.size else 1.0
    bound = bound or 1.0
    image = ax.imshow(values, cmap="RdBu", norm=TwoSlopeNorm(0.0, -bound, bound),
                      aspect="auto")
    for (i, j), (label, decided) in text.items():
        ax.text(j, i, label, ha="center", va="center", fontsize=7,
                fontweight="bold" if decided in ("s3", "generic") else "normal")
        if decided in ("s3", "generic"):
            ax.add_patch(_outline(j, i))
    ax.set_xticks(range(len(xs)), [str(x) for x in xs])
    ax.set_yticks(range(len(ys)), [str(y) for y in ys])
    ax.set_xlabel(_LABELS.get(x_key, x_key))
    ax.set_ylabel(_LABELS.get(y_key, y_key))
    grid_name = rows["grid"].iloc[0] if len(rows) else ""
    ax.set_title(f"{grid_name}: S3 minus generic subsidy, {metric.replace('_', ' ')}\n"
                 "per region, output units, 95 % CI over seeds "
                 "(blue: S3 better; bold, outlined: decisive)", fontsize=9)
    fig.colorbar(image, ax=ax, label="mean paired difference (output units per region)")
    return fig


def _num(value: float) -> str:
    """A compact number for a cell: no exponent for the values phase studies produce."""
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _outline(x: int, y: int):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, lw=2.0, ec="black")


def draw_phase_diagrams(grid: pd.DataFrame, out_dir: str | Path,
                        metrics: tuple[str, ...] = ("net_benefit",
                                                    "net_benefit_full_employment"),
                        ) -> list[Path]:
    """Write one phase diagram per grid and metric as PNG (200 dpi) and SVG.

    Files: ``phase_<grid>.png`` for ``net_benefit`` and ``phase_<grid>_<suffix>.png`` for
    the others (``net_benefit_full_employment`` -> ``_full_employment``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for metric in metrics:
        if metric not in set(grid["metric"]):
            continue
        tail = "" if metric == "net_benefit" else "_" + metric.removeprefix("net_benefit_")
        for name, rows in grid.groupby("grid", sort=False):
            fig = phase_figure(rows, metric)
            for suffix, kwargs in ((".png", {"dpi": 200}), (".svg", {})):
                path = out / f"phase_{name}{tail}{suffix}"
                fig.savefig(path, **kwargs)
                written.append(path)
    return written
