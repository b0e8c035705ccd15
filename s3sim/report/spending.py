"""The report's "money actually spent" section: dose-response curves and equal spending.

When a sweep runs the instruments at several budget levels (``policy.budget_share``),
every instrument's net benefit is read against the money it actually spent
(:mod:`s3sim.experiments.spending`): a table of the curves, unspent money shown beside
each level, a comparison with the generic subsidy at equal spending, and a figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from s3sim.experiments.spending import equal_spending, spending_curve
from s3sim.report.labels import policy_label
from s3sim.report.markdown import fmt_ci, table
from s3sim.stats import t_interval

__all__ = ["LEVEL", "VALUED", "per_seed_levels", "spending_section"]

LEVEL = "policy.budget_share"
VALUED: tuple[tuple[str, str], ...] = (
    ("net_benefit", "shadow wage"),
    ("net_benefit_full_employment", "full employment"),
    ("net_benefit_idle_inputs", "idle inputs"),
)
_CONTROL = "generic_subsidy"


def per_seed_levels(effects: pd.DataFrame) -> pd.DataFrame:
    """Per (context, policy, budget level, seed): means over regions of money and outcomes."""
    cols = ["spent_pv", "share_spent", "budget_unspent", *(v for v, _ in VALUED)]
    cols = [c for c in cols if c in effects]
    frame = effects.assign(level=pd.to_numeric(effects[LEVEL], errors="coerce"))
    return frame.groupby(["context", "policy", "level", "seed"])[cols].mean().reset_index()


def _ci(values: pd.Series) -> str:
    return fmt_ci(*t_interval(values.to_numpy()), star=False)


def spending_section(effects: pd.DataFrame, figdir: Path, nominal: float = 0.01
                     ) -> list[str]:
    """Markdown lines (and ``figures/dose_response_<context>.png|svg``) of the section."""
    if LEVEL not in effects or "spent_pv" not in effects:
        return []
    levels = per_seed_levels(effects)
    if levels["level"].nunique() < 2:
        return []
    md = ["## Against money actually spent", "",
          "Each instrument at every budget level: money actually spent (present value at "
          "3 %, per region), the share of the budget it spent, and its net benefit at the "
          "three valuations (mean [95 % CI] over seeds). Zero money is the baseline. "
          "Comparisons at equal spending read each instrument's curve at the money the "
          f"generic subsidy and the instrument both spent at the nominal budget "
          f"({nominal:g} of initial output a year), interpolating linearly between levels "
          "(`s3sim.experiments.spending`).", ""]
    for context, ctx_rows in levels.groupby("context", sort=True):
        rows = []
        for (policy, level), grp in ctx_rows.groupby(["policy", "level"], sort=True):
            row = {"policy": policy_label(policy), "budget share": f"{level:g}",
                   "spent": _ci(grp["spent_pv"]),
                   "share spent": _ci(grp["share_spent"]) if "share_spent" in grp else "-"}
            for col, head in VALUED:
                if col in grp:
                    row[f"net benefit, {head}"] = _ci(grp[col])
            rows.append(row)
        md += [f"### {context}: dose-response", "", table(pd.DataFrame(rows)), ""]
        md += _equal_spending_table(ctx_rows, nominal)
        path = _figure(ctx_rows, figdir / f"dose_response_{_slug(str(context))}.png",
                       str(context))
        md += [f"![dose-response {context}]({path.parent.name}/{path.name}) "
               f"([SVG]({path.parent.name}/{path.with_suffix('.svg').name}))", ""]
    return md


def _equal_spending_table(rows: pd.DataFrame, nominal: float) -> list[str]:
    control = rows[rows["policy"] == _CONTROL]
    if control.empty or not np.isclose(control["level"], nominal).any():
        return []
    out = []
    for policy, grp in rows[rows["policy"] != _CONTROL].groupby("policy", sort=True):
        if not np.isclose(grp["level"], nominal).any():
            continue
        row = {"policy": policy_label(policy)}
        for col, head in VALUED:
            if col not in grp:
                continue
            curve_p = spending_curve(_by_level(grp, col), col)
            curve_c = spending_curve(_by_level(control, col), col)
            spent_p = _at_level(grp, nominal, "spent_pv")
            spent_c = _at_level(control, nominal, "spent_pv")
            diff, level = equal_spending(curve_p, curve_c, spent_p, spent_c)
            row[f"minus generic, {head}"] = _ci(diff)
            if col == "net_benefit":
                row["at spending"] = _ci(level)
        out.append(row)
    if not out:
        return []
    return ["Net benefit minus the generic subsidy's **at equal spending** (per region, "
            "output units; `at spending`: the money both spent):", "",
            table(pd.DataFrame(out)), ""]


def _by_level(rows: pd.DataFrame, col: str) -> dict[float, pd.DataFrame]:
    return {float(level): grp[["seed", "spent_pv", col]]
            for level, grp in rows.groupby("level", sort=True)}


def _at_level(rows: pd.DataFrame, level: float, col: str) -> pd.Series:
    pick = rows[np.isclose(rows["level"], level)]
    return pick.set_index("seed")[col]


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_") or "all"


def _figure(rows: pd.DataFrame, path: Path, context: str) -> Path:
    fig = Figure(figsize=(4.0 * len(VALUED), 3.4), layout="constrained")
    axes = fig.subplots(1, len(VALUED), squeeze=False)[0]
    for ax, (col, head) in zip(axes, VALUED, strict=True):
        if col not in rows:
            continue
        for policy, grp in rows.groupby("policy", sort=True):
            stats = grp.groupby("level").agg(
                x=("spent_pv", "mean"), y=(col, "mean"),
                ylo=(col, lambda v: t_interval(v.to_numpy())[1]),
                yhi=(col, lambda v: t_interval(v.to_numpy())[2])).reset_index()
            x = np.concatenate([[0.0], stats["x"].to_numpy()])
            y = np.concatenate([[0.0], stats["y"].to_numpy()])
            line, = ax.plot(x, y, marker="o", ms=3, lw=1.2, label=policy_label(policy))
            ax.fill_between(stats["x"], stats["ylo"].fillna(stats["y"]),
                            stats["yhi"].fillna(stats["y"]), color=line.get_color(),
                            alpha=0.15, lw=0)
        ax.axhline(0.0, color="0.5", lw=0.6)
        ax.set_xlabel("money spent per region (present value, output units)")
        ax.set_ylabel("net benefit per region (output units)")
        ax.set_title(head, fontsize=9)
    axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"{context}: net benefit against money actually spent "
                 "(budget levels; bands: 95 % CI over seeds)", fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=200)
    fig.savefig(path.with_suffix(".svg"))
    return path
