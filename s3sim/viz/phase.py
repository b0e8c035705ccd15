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

__all__ = ["dose_response_figure", "draw_dose_response", "draw_phase_diagrams",
           "phase_figure"]

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
                                                    "net_benefit_equal_spending",
                                                    "net_benefit_full_employment",
                                                    "net_benefit_equal_spending_full_employment"),
                        ) -> list[Path]:
    """Write one phase diagram per grid and metric as PNG (200 dpi) and SVG.

    Files: ``phase_<grid>.png`` for ``net_benefit`` (equal budgets) and
    ``phase_<grid>_<suffix>.png`` for the others (``net_benefit_equal_spending`` ->
    ``_equal_spending``, ``net_benefit_full_employment`` -> ``_full_employment``).
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


_ARM_STYLE = {"generic_subsidy": ("Generic subsidy", "tab:orange", "o"),
              "smart_specialisation": ("Smart specialisation", "tab:blue", "s"),
              "oracle": ("Oracle (upper bound)", "tab:green", "^")}
_VALUATION_LABEL = {"nb_shadow_wage": "inputs at the shadow wage",
                    "nb_full_employment": "full employment",
                    "nb_idle_inputs": "idle inputs"}


def dose_response_figure(dose: pd.DataFrame, case: str,
                         valuations: tuple[str, ...] = ("nb_shadow_wage", "nb_full_employment",
                                                        "nb_idle_inputs")) -> Figure:
    """Net benefit against money actually spent, one panel per valuation, for one cell.

    Each instrument's points are its budget levels (mean over seeds, 95 % interval as
    error bars on both axes), joined through the origin (zero money is the baseline).
    """
    rows = dose[dose["case"] == case]
    fig = Figure(figsize=(4.0 * len(valuations), 3.4), layout="constrained")
    axes = fig.subplots(1, len(valuations), squeeze=False)[0]
    for ax, metric in zip(axes, valuations, strict=True):
        for policy, (label, color, marker) in _ARM_STYLE.items():
            spent = rows[(rows["policy"] == policy) & (rows["metric"] == "spent_pv")]
            value = rows[(rows["policy"] == policy) & (rows["metric"] == metric)]
            if spent.empty or value.empty:
                continue
            both = spent.merge(value, on="budget_share", suffixes=("_x", "_y")).sort_values(
                "budget_share")
            x = np.concatenate([[0.0], both["mean_x"].to_numpy()])
            y = np.concatenate([[0.0], both["mean_y"].to_numpy()])
            ax.plot(x, y, color=color, lw=1.2, label=label)
            ax.errorbar(both["mean_x"], both["mean_y"],
                        xerr=_half(both, "x"), yerr=_half(both, "y"),
                        fmt=marker, color=color, ms=4, capsize=2, lw=0.8)
        ax.axhline(0.0, color="0.5", lw=0.6)
        ax.set_xlabel("money spent per region (present value, output units)")
        ax.set_ylabel("net benefit per region (output units)")
        ax.set_title(_VALUATION_LABEL.get(metric, metric), fontsize=9)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"{case}: net benefit against money actually spent "
                 "(budget levels, 95 % CI over seeds)", fontsize=9)
    return fig


def _half(frame: pd.DataFrame, axis: str) -> np.ndarray:
    """Asymmetric error bars from ``ci_low``/``ci_high`` (zero where undefined)."""
    mean = frame[f"mean_{axis}"].to_numpy()
    low = np.nan_to_num(mean - frame[f"ci_low_{axis}"].to_numpy())
    high = np.nan_to_num(frame[f"ci_high_{axis}"].to_numpy() - mean)
    return np.vstack([np.maximum(low, 0.0), np.maximum(high, 0.0)])


def draw_dose_response(dose: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Write ``dose_response_<case>.png|svg`` for every limit case and named case."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    cases = dose[dose["grid"].isin(["limit_cases", "cases"])]["case"].unique()
    for case in cases:
        fig = dose_response_figure(dose, case)
        for suffix, kwargs in ((".png", {"dpi": 200}), (".svg", {})):
            path = out / f"dose_response_{case}{suffix}"
            fig.savefig(path, **kwargs)
            written.append(path)
    return written
