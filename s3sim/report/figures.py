"""Figures of a sweep report (matplotlib, no pyplot state: safe in workers and tests).

Every function takes tidy frames (see :mod:`s3sim.experiments.sweep`), draws one figure
per context (a combination of non-policy swept parameters, e.g. a scenario) and writes it
twice: a 200-dpi PNG (embedded in ``report.md``) and an SVG vector file next to it (for
papers). Axes carry labels with units and policies their readable names
(:mod:`s3sim.report.labels`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from s3sim.report.labels import METRICS, metric_label, param_label, policy_label
from s3sim.stats import summarize

__all__ = [
    "DPI",
    "REGION_TYPES",
    "cost_per_entry_figure",
    "effect_vs_parameter_figure",
    "forest_figure",
    "maps_figure",
    "seed_band",
    "trajectories_figure",
]

DPI = 200
REGION_TYPES: tuple[str, ...] = ("leading", "intermediate", "lagging")
TYPE_COLORS = {"leading": "#0072B2", "intermediate": "#009E73", "lagging": "#D55E00",
               "all": "#000000"}
TYPE_LABELS = {"leading": "leading regions", "intermediate": "intermediate regions",
               "lagging": "lagging regions", "all": "all regions"}
POLICY_COLORS = {"none": "#444444", "generic_subsidy": "#E69F00",
                 "smart_specialisation": "#0072B2", "picking_winners": "#CC79A7",
                 "research_funding": "#009E73"}


def _save(fig: Figure, path: Path, dpi: int = DPI) -> Path:
    """Write ``path`` (PNG at ``dpi``) and the same figure as ``path.with_suffix('.svg')``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    fig.savefig(path.with_suffix(".svg"), bbox_inches="tight")
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
    """Mean and t-interval across seeds of per-seed means of ``value`` within ``by``.

    :func:`s3sim.stats.summarize` (the one home for intervals); columns ``*by, mean,
    low, high, n_seeds``.
    """
    s = summarize(df, [value], by=list(by), confidence=confidence)
    return s.rename(columns={"ci_low": "low", "ci_high": "high"})[
        [*by, "mean", "low", "high", "n_seeds"]]


def trajectories_figure(tidy: pd.DataFrame, path: Path, title: str,
                        metrics: Sequence[str] = ("diversity", "mean_pci", "output")) -> Path:
    """Outcome trajectories per policy arm, by region type, with 95 % bands across seeds."""
    arms = sorted(tidy["arm"].unique(), key=lambda a: (a.split(" ")[0] != "none", a))
    types = [t for t in REGION_TYPES if t in set(tidy["region_type"])]
    n_seeds = tidy["seed"].nunique()
    fig = Figure(figsize=(4.2 * len(metrics), 2.9 * len(types) + 0.6))
    axes = fig.subplots(len(types), len(metrics), squeeze=False)
    for j, metric in enumerate(metrics):
        band = seed_band(tidy, metric, ["arm", "region_type", "step"])
        for i, rtype in enumerate(types):
            ax = axes[i, j]
            for arm in arms:
                b = band[(band["arm"] == arm) & (band["region_type"] == rtype)]
                color = _arm_color(arm, arms)
                ax.plot(b["step"], b["mean"], color=color, lw=1.4, label=policy_label(arm))
                ax.fill_between(b["step"], b["low"], b["high"], color=color, alpha=0.18, lw=0)
            ax.set_title(f"{TYPE_LABELS[rtype]}: {metric_label(metric, unit=False)}",
                         fontsize=9)
            ax.set_ylabel(METRICS[metric].unit if metric in METRICS else metric, fontsize=8)
            ax.set_xlabel("year of the run", fontsize=8)
            ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(arms), 4), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"{title}: mean over {n_seeds} seeds of the regional mean; band = 95 % "
                 "t interval across seeds", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _save(fig, path)


def _errorbar(ax, m: float, y: float, lo: float, hi: float, color: str, label: str | None,
              marker: str = "o") -> None:
    """One horizontal error bar; NaN bounds draw the point alone."""
    left = m - lo if np.isfinite(lo) else 0.0
    right = hi - m if np.isfinite(hi) else 0.0
    ax.errorbar(m, y, xerr=[[max(left, 0.0)], [max(right, 0.0)]], fmt=marker, ms=4,
                color=color, capsize=2, label=label)


def forest_figure(summary: pd.DataFrame, path: Path, title: str,
                  metrics: Sequence[str] = ("additional_entries", "additional_diversity",
                                            "additional_mean_pci", "output_gain")) -> Path:
    """Forest plot: paired policy-minus-baseline effects with 95 % CIs, by region type."""
    metrics = [m for m in metrics if m in set(summary["metric"])]
    arms = sorted(summary["arm"].unique())
    types = [t for t in (*REGION_TYPES, "all") if t in set(summary["region_type"])]
    fig = Figure(figsize=(3.6 * len(metrics) + 1.2,
                          0.55 * len(arms) * len(types) / 2 + 2.0))
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
                _errorbar(ax, m, y + offsets[k], lo, hi, TYPE_COLORS[rtype],
                          TYPE_LABELS[rtype] if y == 0 else None)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(metric_label(metric, unit=False), fontsize=9)
        ax.set_xlabel(METRICS[metric].unit if metric in METRICS else metric, fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(arms)), [policy_label(a) for a in arms], fontsize=8)
    axes[0].invert_yaxis()
    axes[-1].legend(fontsize=7, loc="best", title="region type", title_fontsize=7)
    fig.suptitle(f"{title}: policy minus baseline on the same seeds (mean, 95 % CI across "
                 "seeds; 0 = no effect)", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def cost_per_entry_figure(cost: pd.DataFrame, path: Path, title: str) -> Path:
    """Budget spent per additional entry on a log scale (ratio of totals, bootstrap 95 % CI).

    A log axis keeps policies that differ by orders of magnitude readable; an unbounded
    upper limit (resampled seeds that add no entries) is drawn as an arrow to the right
    edge and said so in the note under the figure. Groups without a cost (no additional
    entries on balance) are listed in the note instead of drawn.
    """
    arms = sorted(cost["arm"].unique())
    types = [t for t in (*REGION_TYPES, "all") if t in set(cost["region_type"])]
    fig = Figure(figsize=(8.0, 0.5 * len(arms) * len(types) / 2 + 2.2))
    ax = fig.subplots()
    offsets = np.linspace(-0.27, 0.27, len(types)) if len(types) > 1 else np.zeros(1)
    finite = cost[np.isfinite(cost["mean"]) & (cost["mean"] > 0)]
    bounds = np.r_[finite["mean"], finite["ci_low"], finite["ci_high"]]
    bounds = bounds[np.isfinite(bounds) & (bounds > 0)]
    lo_edge = bounds.min() / 2 if bounds.size else 0.1
    hi_edge = bounds.max() * 2 if bounds.size else 10.0
    missing, unbounded = [], 0
    for k, rtype in enumerate(types):
        for y, arm in enumerate(arms):
            row = cost[(cost["arm"] == arm) & (cost["region_type"] == rtype)]
            if row.empty:
                continue
            m, lo, hi = row[["mean", "ci_low", "ci_high"]].iloc[0]
            yy = y + offsets[k]
            if not (np.isfinite(m) and m > 0):
                missing.append(f"{policy_label(arm)} / {rtype}")
                continue
            lo = lo if np.isfinite(lo) and lo > 0 else m
            _errorbar(ax, m, yy, lo, hi if np.isfinite(hi) else m, TYPE_COLORS[rtype],
                      TYPE_LABELS[rtype] if y == 0 else None, marker="s")
            if not np.isfinite(hi):
                unbounded += 1
                ax.annotate("", xy=(1.0, yy), xycoords=("axes fraction", "data"),
                            xytext=(m, yy), textcoords="data",
                            arrowprops={"arrowstyle": "->", "color": TYPE_COLORS[rtype],
                                        "lw": 0.8})
    ax.set_xscale("log")
    ax.set_xlim(lo_edge, hi_edge)
    ax.set_yticks(range(len(arms)), [policy_label(a) for a in arms], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("output units of budget per additional entry (log scale; lower is better)")
    ax.grid(axis="x", which="both", alpha=0.3)
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7, title="region type", title_fontsize=7)
    ax.set_title(f"{title}: cost per additional entry (total budget / total additional "
                 "entries over seeds; seed-bootstrap 95 % CI)", fontsize=10)
    notes = []
    if unbounded:
        notes.append(f"arrow = upper bound infinite ({unbounded} interval(s): some resampled "
                     "seeds add no entries)")
    if missing:
        notes.append("not drawn (no additional entries on balance): " + "; ".join(missing))
    if notes:
        fig.text(0.01, -0.02, "\n".join(notes), fontsize=7, va="top", wrap=True)
    fig.tight_layout()
    return _save(fig, path)


def effect_vs_parameter_figure(summary: pd.DataFrame, param: str, path: Path, title: str,
                               metrics: Sequence[str] = ("additional_entries",
                                                         "additional_mean_pci")) -> Path:
    """Effect (mean, 95 % CI) against a numeric swept parameter, one line per policy."""
    metrics = [m for m in metrics if m in set(summary["metric"])]
    types = [t for t in REGION_TYPES if t in set(summary["region_type"])]
    fig = Figure(figsize=(3.8 * len(types), 2.9 * len(metrics) + 0.6))
    axes = fig.subplots(len(metrics), len(types), squeeze=False)
    policies = sorted(summary["policy"].unique())
    for i, metric in enumerate(metrics):
        for j, rtype in enumerate(types):
            ax = axes[i, j]
            s = summary[(summary["metric"] == metric) & (summary["region_type"] == rtype)]
            for pol in policies:
                p = s[s["policy"] == pol].sort_values(param)
                color = POLICY_COLORS.get(pol, "k")
                ax.plot(p[param], p["mean"], "o-", color=color, ms=3, lw=1.2,
                        label=policy_label(pol))
                ax.fill_between(p[param].astype(float), p["ci_low"], p["ci_high"],
                                color=color, alpha=0.15, lw=0)
            ax.axhline(0, color="k", lw=0.7)
            ax.set_title(f"{TYPE_LABELS[rtype]}: {metric_label(metric, unit=False)}",
                         fontsize=9)
            ax.set_xlabel(param_label(param), fontsize=8)
            ax.set_ylabel(METRICS[metric].unit if metric in METRICS else metric, fontsize=8)
            ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(policies), 4), fontsize=8,
               frameon=False)
    fig.suptitle(f"{title}: effect against {param_label(param)} (mean over seeds and other "
                 "swept parameters, 95 % CI)", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return _save(fig, path)


def _ring_size(share: np.ndarray) -> np.ndarray:
    """Marker area of a ring for the share of seeds with a subsidised entry."""
    return 12.0 + 150.0 * share


def _ring_colors(share: np.ndarray) -> np.ndarray:
    """Ring colours: rare entries light grey, entries in every seed black."""
    grey = 0.75 * (1.0 - share)
    return np.column_stack([grey, grey, grey, 0.35 + 0.65 * share])


def maps_figure(panels: list[dict], path: Path, title: str, n_seeds: int,
                n_labels: int = 5) -> Path:
    """Product-space maps: initial specialisations and subsidised entries over all seeds.

    ``panels`` holds dicts with ``ps`` (ProductSpace), ``highlight`` (codes of the initial
    specialisations), ``entry_share`` (array of shape (P,): share of the ``n_seeds`` seeds
    in which the region made a subsidised entry into the product) and ``title``. Ring size
    grows with that share; the ``n_labels`` most frequent entries are named. Drawn in rows
    of two (lagging, leading), with one legend for the figure.
    """
    from s3sim.viz.product_space_map import cluster_colors, draw_product_space

    rows = max(1, (len(panels) + 1) // 2)
    fig = Figure(figsize=(12, 4.6 * rows + 1.4))
    axes = fig.subplots(rows, 2, squeeze=False).ravel()
    for ax, panel in zip(axes, panels, strict=False):
        ps = panel["ps"]
        draw_product_space(ps, ax=ax, highlight=panel["highlight"], legend=False)
        ax.set_title(panel["title"], fontsize=9)
        for artist in ax.collections:  # 865 products and their links: raster in the SVG
            artist.set_rasterized(True)
        share = np.asarray(panel["entry_share"], dtype=float)
        hit = np.flatnonzero(share > 0)
        if hit.size:
            order = hit[np.argsort(share[hit], kind="stable")]  # frequent rings on top
            ax.scatter(ps.xy[order, 0], ps.xy[order, 1], s=_ring_size(share[order]),
                       facecolors="none", edgecolors=_ring_colors(share[order]),
                       linewidths=0.5 + 1.0 * share[order], zorder=3)
            top = hit[np.lexsort((-ps.pci[hit], -share[hit]))][:n_labels]
            for k, i in enumerate(top):
                ax.annotate(f"{str(ps.names[i])[:30]} ({ps.codes[i]}, "
                            f"{round(share[i] * n_seeds)}/{n_seeds})",
                            ps.xy[i], xytext=(8, 8 - 16 * (k % 2)), textcoords="offset points",
                            fontsize=7, zorder=5, arrowprops={"arrowstyle": "-", "lw": 0.5},
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "0.6",
                                  "lw": 0.4, "alpha": 0.9})
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    handles: list[Line2D] = []
    if panels:
        ps = panels[0]["ps"]
        colors = cluster_colors(ps)
        for k in sorted(set(ps.cluster.tolist())):
            handles.append(Line2D([], [], ls="", marker="o", ms=7, mfc=colors[k], mec="none",
                                  label=f"initial specialisation: {ps.cluster_names[k]}"))
        handles.append(Line2D([], [], ls="", marker="o", ms=6, mfc="#d9d9d9", mec="none",
                              label="other products"))
        for k in sorted({1, max(1, n_seeds // 2), n_seeds}):
            sh = np.array([k / n_seeds])
            handles.append(Line2D([], [], ls="", marker="o", ms=float(np.sqrt(_ring_size(sh)[0])),
                                  mfc="none", mec=_ring_colors(sh)[0], mew=0.5 + sh[0],
                                  label=f"subsidised entry in {k} of {n_seeds} seeds"))
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7, frameon=False)
    fig.suptitle(f"{title}: where the policy's subsidised entries landed (rings, size = share "
                 f"of {n_seeds} seeds; the most frequent are named); dot size = world exports",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.12 / rows + 0.04, 1, 1))
    return _save(fig, path)
