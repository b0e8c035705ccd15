"""Figures of a sweep report (matplotlib, no pyplot state: safe in workers and tests).

Every function takes tidy frames (see :mod:`s3sim.experiments.sweep`), draws one PNG per
context (a combination of non-policy swept parameters, e.g. a scenario) and returns
the paths written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats as _stats

__all__ = [
    "REGION_TYPES",
    "cost_per_entry_figure",
    "effect_vs_parameter_figure",
    "forest_figure",
    "maps_figure",
    "trajectories_figure",
]

REGION_TYPES: tuple[str, ...] = ("leading", "intermediate", "lagging")
TYPE_COLORS = {"leading": "#0072B2", "intermediate": "#009E73", "lagging": "#D55E00",
               "all": "#000000"}
POLICY_COLORS = {"none": "#444444", "generic_subsidy": "#E69F00",
                 "smart_specialisation": "#0072B2", "picking_winners": "#CC79A7",
                 "research_funding": "#009E73"}
LABELS = {
    "diversity": "diversity (products with RCA >= 1)",
    "mean_pci": "mean PCI of specialisations",
    "eci": "ECI",
    "output": "output",
    "employment": "employment",
    "additional_entries": "additional entries",
    "additional_diversity": "additional diversity (final year)",
    "additional_mean_pci": "additional mean PCI (final year)",
    "output_gain": "output gained (final year)",
    "deadweight": "deadweight share",
    "cost_per_entry": "budget spent per additional entry",
}


def _save(fig: Figure, path: Path, dpi: int = 100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
    return keep.strip("_") or "all"


def _arm_color(arm: str, arms: Sequence[str]) -> str:
    base = arm.split(" ")[0]
    if base in POLICY_COLORS and sum(a.split(" ")[0] == base for a in arms) == 1:
        return POLICY_COLORS[base]
    palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9",
               "#882255", "#999933", "#44AA99", "#332288", "#DDCC77", "#444444"]
    return palette[list(arms).index(arm) % len(palette)]


def seed_band(df: pd.DataFrame, value: str, by: Sequence[str],
              confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval across seeds of per-seed means of ``value`` within ``by``."""
    per_seed = df.groupby([*by, "seed"], observed=True)[value].mean()
    g = per_seed.groupby(list(by), observed=True)
    out = g.agg(["mean", "std", "count"]).reset_index()
    tq = _stats.t.ppf(0.5 + confidence / 2, np.maximum(out["count"] - 1, 1))
    half = np.where(out["count"] > 1, tq * out["std"] / np.sqrt(out["count"]), np.nan)
    out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    return out


def trajectories_figure(tidy: pd.DataFrame, path: Path, title: str,
                        metrics: Sequence[str] = ("diversity", "mean_pci", "output")) -> Path:
    """Outcome trajectories per policy arm, by region type, with 95 % bands across seeds."""
    arms = sorted(tidy["arm"].unique(), key=lambda a: (a.split(" ")[0] != "none", a))
    types = [t for t in REGION_TYPES if t in set(tidy["region_type"])]
    fig = Figure(figsize=(4.2 * len(metrics), 2.9 * len(types)))
    axes = fig.subplots(len(types), len(metrics), squeeze=False)
    for j, metric in enumerate(metrics):
        band = seed_band(tidy, metric, ["arm", "region_type", "step"])
        for i, rtype in enumerate(types):
            ax = axes[i, j]
            for arm in arms:
                b = band[(band["arm"] == arm) & (band["region_type"] == rtype)]
                color = _arm_color(arm, arms)
                ax.plot(b["step"], b["mean"], color=color, lw=1.4, label=arm)
                ax.fill_between(b["step"], b["low"], b["high"], color=color, alpha=0.18, lw=0)
            ax.set_title(f"{rtype}: {LABELS.get(metric, metric)}", fontsize=9)
            ax.grid(alpha=0.3)
            if i == len(types) - 1:
                ax.set_xlabel("year")
    axes[0, 0].legend(fontsize=7, loc="best")
    fig.suptitle(f"{title}: mean across seeds of the regional mean, 95 % band", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def forest_figure(summary: pd.DataFrame, path: Path, title: str,
                  metrics: Sequence[str] = ("additional_entries", "additional_diversity",
                                            "additional_mean_pci", "output_gain")) -> Path:
    """Forest plot: paired policy-minus-baseline effects with 95 % CIs, by region type."""
    metrics = [m for m in metrics if m in set(summary["metric"])]
    arms = sorted(summary["arm"].unique())
    types = [t for t in (*REGION_TYPES, "all") if t in set(summary["region_type"])]
    fig = Figure(figsize=(3.6 * len(metrics), 0.55 * len(arms) * len(types) / 2 + 1.6))
    axes = fig.subplots(1, len(metrics), squeeze=False, sharey=True)[0]
    offsets = np.linspace(-0.27, 0.27, len(types)) if len(types) > 1 else np.zeros(1)
    for ax, metric in zip(axes, metrics, strict=True):
        s = summary[summary["metric"] == metric]
        for k, rtype in enumerate(types):
            for y, arm in enumerate(arms):
                row = s[(s["arm"] == arm) & (s["region_type"] == rtype)]
                if row.empty:
                    continue
                m, lo, hi = row[["mean", "ci_low", "ci_high"]].iloc[0]
                yy = y + offsets[k]
                ax.errorbar(m, yy, xerr=[[m - lo if lo == lo else 0], [hi - m if hi == hi else 0]],
                            fmt="o", ms=4, color=TYPE_COLORS[rtype], capsize=2,
                            label=rtype if y == 0 else None)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(LABELS.get(metric, metric), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(arms)), arms, fontsize=8)
    axes[0].invert_yaxis()
    axes[-1].legend(fontsize=7, loc="best", title="region type", title_fontsize=7)
    fig.suptitle(f"{title}: policy minus baseline on the same seeds (mean, 95 % CI)",
                 fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def cost_per_entry_figure(cost: pd.DataFrame, path: Path, title: str) -> Path:
    """Budget spent per additional entry (ratio of sums per seed; mean and 95 % CI)."""
    arms = sorted(cost["arm"].unique())
    types = [t for t in (*REGION_TYPES, "all") if t in set(cost["region_type"])]
    fig = Figure(figsize=(7.5, 0.5 * len(arms) * len(types) / 2 + 1.8))
    ax = fig.subplots()
    offsets = np.linspace(-0.27, 0.27, len(types)) if len(types) > 1 else np.zeros(1)
    for k, rtype in enumerate(types):
        for y, arm in enumerate(arms):
            row = cost[(cost["arm"] == arm) & (cost["region_type"] == rtype)]
            if row.empty or not np.isfinite(row["mean"].iloc[0]):
                continue
            m, lo, hi = row[["mean", "ci_low", "ci_high"]].iloc[0]
            upper = hi if np.isfinite(hi) else None
            err = [[max(m - lo, 0) if np.isfinite(lo) else 0],
                   [max(upper - m, 0) if upper is not None else 0]]
            ax.errorbar(m, y + offsets[k], xerr=err, fmt="s", ms=4, capsize=2,
                        color=TYPE_COLORS[rtype], label=rtype if y == 0 else None)
            if upper is None:  # unbounded interval: arrow to the right edge
                ax.annotate("", xy=(1.0, y + offsets[k]), xycoords=("axes fraction", "data"),
                            xytext=(m, y + offsets[k]), textcoords="data",
                            arrowprops={"arrowstyle": "->", "color": TYPE_COLORS[rtype],
                                        "lw": 0.8})
    ax.set_yticks(range(len(arms)), arms, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("budget spent / additional entries (output units; lower is better)")
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7, title="region type", title_fontsize=7)
    ax.set_title(f"{title}: cost per additional entry (total over seeds, bootstrap 95 % CI)",
                 fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def effect_vs_parameter_figure(summary: pd.DataFrame, param: str, path: Path, title: str,
                               metrics: Sequence[str] = ("additional_entries",
                                                         "additional_mean_pci")) -> Path:
    """Effect (mean, 95 % CI) against a numeric swept parameter, one line per policy."""
    metrics = [m for m in metrics if m in set(summary["metric"])]
    types = [t for t in REGION_TYPES if t in set(summary["region_type"])]
    fig = Figure(figsize=(3.8 * len(types), 2.9 * len(metrics)))
    axes = fig.subplots(len(metrics), len(types), squeeze=False)
    policies = sorted(summary["policy"].unique())
    for i, metric in enumerate(metrics):
        for j, rtype in enumerate(types):
            ax = axes[i, j]
            s = summary[(summary["metric"] == metric) & (summary["region_type"] == rtype)]
            for pol in policies:
                p = s[s["policy"] == pol].sort_values(param)
                color = POLICY_COLORS.get(pol, "k")
                ax.plot(p[param], p["mean"], "o-", color=color, ms=3, lw=1.2, label=pol)
                ax.fill_between(p[param].astype(float), p["ci_low"], p["ci_high"],
                                color=color, alpha=0.15, lw=0)
            ax.axhline(0, color="k", lw=0.7)
            ax.set_title(f"{rtype}: {LABELS.get(metric, metric)}", fontsize=9)
            ax.set_xlabel(param)
            ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{title}: effect against {param} (mean over seeds and other swept "
                 "parameters, 95 % CI)", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def maps_figure(panels: list[dict], path: Path, title: str) -> Path:
    """Product-space maps: a region's initial specialisations and its subsidised entries.

    ``panels`` holds dicts with ``ps`` (ProductSpace), ``highlight`` and ``marked``
    (product codes) and ``title``; drawn in rows of two (lagging, leading).
    """
    from s3sim.viz.product_space_map import draw_product_space

    rows = max(1, (len(panels) + 1) // 2)
    fig = Figure(figsize=(11, 4.8 * rows))
    axes = fig.subplots(rows, 2, squeeze=False).ravel()
    for ax, panel in zip(axes, panels, strict=False):
        draw_product_space(panel["ps"], ax=ax, highlight=panel["highlight"],
                           marked=panel["marked"], legend=False, title=panel["title"])
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    fig.suptitle(f"{title}: coloured = initial specialisations, ringed = products of the "
                 "policy's subsidised entries (first seed)", fontsize=10)
    fig.tight_layout()
    return _save(fig, path, dpi=80)
