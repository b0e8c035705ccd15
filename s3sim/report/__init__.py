"""Sweep reports: ``report.md`` with figures and tables of paired policy effects.

:func:`write_report` is called at the end of a multirun (:mod:`s3sim.experiments.sweep`) or by
``s3sim report <sweep_dir>``. Effects are policy minus ``none`` on the same seeds;
intervals are Student t across seeds (:mod:`s3sim.stats`), the seed being the
independent replication (regions of a seed are averaged first).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from s3sim.report import figures
from s3sim.report.labels import SHARE_METRICS, glossary_markdown, policy_label
from s3sim.report.markdown import fmt, fmt_ci, table
from s3sim.stats import ratio_interval, summarize

__all__ = ["HEADLINE_METRICS", "add_labels", "cost_summary", "effect_summary",
           "region_effects", "write_report"]

log = logging.getLogger(__name__)

HEADLINE_METRICS: tuple[str, ...] = (
    "additional_entries", "additional_diversity", "additional_mean_pci", "additional_eci",
    "output_gain", "budget_spent", "deadweight", "related_share", "complex_share",
    "net_benefit", "net_benefit_5pct", "net_benefit_full_employment",
    "net_benefit_idle_inputs", "established_gain", "share_spent", "spent_pv",
)
_WELFARE_METRICS: tuple[tuple[str, str], ...] = (
    ("net_benefit", "net benefit (shadow wage, 3 %)"),
    ("net_benefit_5pct", "net benefit (5 %)"),
    ("net_benefit_full_employment", "net benefit, full employment"),
    ("net_benefit_idle_inputs", "net benefit, idle inputs"),
    ("established_gain", "add. established"),
    ("budget_spent", "spent"),
    ("share_spent", "share of budget spent"),
)


def _col(key: str) -> str:
    return key


def add_labels(df: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """Add ``context`` (non-policy swept values) and ``arm`` (policy + its swept values)."""
    df = df.copy()
    ctx_cols = [k for k in params if not k.startswith("policy") and k in df]
    arm_cols = [k for k in params if k.startswith("policy.") and k in df]
    context = pd.Series("", index=df.index, dtype=object)
    for c in ctx_cols:
        part = df[c].astype(str) if c == "scenario" else c.split(".")[-1] + "=" + df[c].astype(str)
        context = context.where(context == "", context + " ") + part
    df["context"] = context.where(context != "", "all")
    arm = df["policy"].astype(str)
    for c in arm_cols:
        extra = " " + c.split(".")[-1] + "=" + df[c].astype(str)
        arm = arm + extra.where(df["policy"].astype(str) != "none", "")
    df["arm"] = arm
    return df


def _stringify(df: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    df = df.copy()
    for k in params:
        c = _col(k)
        if c in df and c != "policy":
            df[c] = df[c].astype(str)
    return add_labels(df, params)


def effect_summary(effects: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """Mean effect and 95 % CI across seeds per context, arm and region type (and all)."""
    eff = _stringify(effects, params)
    both = pd.concat([eff, eff.assign(region_type="all")], ignore_index=True)
    keep = [c for c in (_col(k) for k in params) if c in both and c != "policy"]
    by = ["context", "arm", "policy", *[c for c in keep if c != "context"], "region_type"]
    by = list(dict.fromkeys(by))
    return summarize(both, HEADLINE_METRICS, by=by)


def cost_summary(effects: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """Budget spent per additional entry per context, arm and region type (and all).

    :func:`s3sim.experiments.evaluation.cost_per_entry` (ratio of totals over seeds,
    seed-bootstrap 95 % CI): the same definition and numbers as the Python API's
    :func:`~s3sim.experiments.evaluation.summarize_effects`.
    """
    from s3sim.experiments.evaluation import cost_per_entry

    eff = _stringify(effects, params)
    both = pd.concat([eff, eff.assign(region_type="all")], ignore_index=True)
    return cost_per_entry(both, by=["context", "arm", "region_type"])


def _maps(jobs: list[Any], tidy: pd.DataFrame, figdir: Path, context: str,
          ctx_jobs: set[str]) -> list[Path]:
    """One map figure per policy arm: a lagging and a leading region, over all seeds."""
    from s3sim.space.product_space import ProductSpace

    out = []
    for job in jobs:
        if job.status != "done" or job.name not in ctx_jobs:
            continue
        if job.params.get("policy.name") == "none":
            continue
        rdir = job.result_dir
        try:
            ps = ProductSpace.load(rdir / "product_space.parquet")
            regions = pd.read_parquet(rdir / "regions.parquet",
                                      columns=["seed", "step", "region", "region_type",
                                               "region_name"])
            seed = int(regions["seed"].min())
            n_seeds = int(regions["seed"].nunique())
            first = regions[(regions["seed"] == seed) & (regions["step"] == 0)]
            entries = pd.read_parquet(rdir / "entries.parquet",
                                      columns=["seed", "region", "product", "event",
                                               "subsidised"])
            presence = pd.read_parquet(rdir / "presence.parquet",
                                       filters=[("seed", "==", seed), ("step", "==", 0)])
        except Exception as exc:  # a map must not break the report
            log.warning("no map for %s: %s", job.name, exc)
            continue
        sub_all = entries[(entries["event"] == "specialisation") & entries["subsidised"]]
        panels = []
        for rtype in ("lagging", "leading"):
            cand = first[first["region_type"] == rtype]
            if cand.empty:
                continue
            r = int(cand["region"].iloc[0])
            name = str(cand["region_name"].iloc[0])
            held = presence.loc[presence["region"] == r, "product"].to_numpy()
            sub = sub_all[sub_all["region"] == r].drop_duplicates(["seed", "product"])
            share = np.bincount(sub["product"].to_numpy(), minlength=ps.n_products) / n_seeds
            panels.append({"ps": ps, "highlight": list(ps.codes[held]), "entry_share": share,
                           "title": f"{rtype} region {name}\n{len(held)} initial "
                                    f"specialisations (seed {seed}); subsidised entries into "
                                    f"{int((share > 0).sum())} products over {n_seeds} seeds"})
        if panels:
            arm = str(tidy.loc[tidy["job"] == job.name, "arm"].iloc[0])
            out.append(figures.maps_figure(
                panels, figdir / f"map_{figures._slug(context)}_{figures._slug(arm)}.png",
                f"{context} / {policy_label(arm)}", n_seeds=n_seeds))
    return out


def _figure_md(path: Path, alt: str) -> list[str]:
    """Markdown embedding a PNG figure, with a link to its SVG twin."""
    svg = path.with_suffix(".svg")
    link = f" ([SVG](figures/{svg.name}))" if svg.exists() else ""
    return [f"![{alt}](figures/{path.name}){link}", ""]


def _ci_cell(m: pd.DataFrame, metric: str) -> str:
    """``mean [low, high]`` of ``metric`` from a summary indexed by metric; shares clipped."""
    if metric not in m.index:
        return "-"
    mean, lo, hi = (float(v) for v in m.loc[metric, ["mean", "ci_low", "ci_high"]])
    if metric in SHARE_METRICS:
        lo, hi = (float(np.clip(v, 0.0, 1.0)) if np.isfinite(v) else v for v in (lo, hi))
    return fmt_ci(mean, lo, hi)


_TABLE_METRICS: tuple[tuple[str, str], ...] = (
    ("additional_entries", "add. entries"),
    ("additional_diversity", "add. diversity"),
    ("additional_mean_pci", "add. mean PCI"),
    ("output_gain", "output gain"),
    ("deadweight", "deadweight"),
)


def region_effects(effects: pd.DataFrame, params: list[str]) -> tuple[pd.DataFrame,
                                                                       pd.DataFrame]:
    """Effects per named region: mean and 95 % CI across seeds, and cost per entry.

    Returns the :func:`s3sim.stats.summarize` frame (``context, arm, region_name,
    region_type, metric, mean, ci_low, ci_high, sd, n_seeds``) and the
    :func:`~s3sim.experiments.evaluation.cost_per_entry` frame by the same keys.
    """
    from s3sim.experiments.evaluation import cost_per_entry

    eff = _stringify(effects, params)
    by = ["context", "arm", "region_name", "region_type"]
    return (summarize(eff, HEADLINE_METRICS, by=by),
            cost_per_entry(eff, by=by))


def _verdict(mean: float, lo: float, hi: float, n_seeds: int) -> str:
    if not np.isfinite(mean):
        return "not defined"
    if mean == 0 and lo == 0 and hi == 0:
        return f"no change in any of the {n_seeds} seeds"
    if np.isfinite(lo) and lo > 0:
        return f"above zero in the 95 % interval over {n_seeds} seeds"
    if np.isfinite(hi) and hi < 0:
        return f"below zero in the 95 % interval over {n_seeds} seeds"
    return f"not distinguishable from zero with {n_seeds} seeds"


def _region_section(summary: pd.DataFrame, cost: pd.DataFrame, steps: int) -> list[str]:
    """The "your region" section: one table and plain-words lines per region."""
    md = ["## Your region: effects per region", "",
          "The run starts from your data, so every region below is one of your locations. "
          "Each table pairs the policy with the baseline run on the same seeds for that "
          "region alone (mean over seeds, 95 % t interval across seeds; cost per additional "
          "entry: ratio of totals with a seed-bootstrap interval). Units and symbols: see "
          "*What the numbers mean*. Table: `effects_by_region.csv`.", ""]
    multi_ctx = summary["context"].nunique() > 1
    order = {"leading": 0, "intermediate": 1, "lagging": 2}
    regions = (summary[["region_name", "region_type"]].drop_duplicates()
               .assign(_o=lambda d: d["region_type"].map(order))
               .sort_values(["region_name"]))
    for _, reg in regions.iterrows():
        name, rtype = reg["region_name"], reg["region_type"]
        s = summary[summary["region_name"] == name]
        c = cost[cost["region_name"] == name]
        md += [f"### {name} ({rtype})", ""]
        rows, words = [], []
        for (ctx, arm), grp in s.groupby(["context", "arm"], sort=True):
            m = grp.set_index("metric")
            row = {"context": ctx} if multi_ctx else {}
            row["policy"] = policy_label(arm)
            for metric, head in _TABLE_METRICS:
                row[head] = _ci_cell(m, metric)
            cc = c[(c["context"] == ctx) & (c["arm"] == arm)]
            row["cost / add. entry"] = (fmt_ci(*cc[["mean", "ci_low", "ci_high"]].iloc[0],
                                               star=False) if not cc.empty else "-")
            rows.append(row)
            if "additional_entries" in m.index:
                mean, lo, hi, n = (m.loc["additional_entries", k]
                                   for k in ("mean", "ci_low", "ci_high", "n_seeds"))
                cost_txt = (f", at {fmt(cc['mean'].iloc[0])} output units per additional "
                            "entry" if not cc.empty and np.isfinite(cc["mean"].iloc[0])
                            else "")
                where = f" ({ctx})" if multi_ctx else ""
                words.append(f"- **{policy_label(arm)}**{where}: {fmt(mean)} additional "
                             f"specialisations over {steps} years (95 % CI {fmt(lo)} to "
                             f"{fmt(hi)}): {_verdict(mean, lo, hi, int(n))}{cost_txt}.")
        md += [table(pd.DataFrame(rows)), "", *words, ""]
    return md


def _welfare_table(effects: pd.DataFrame, params: list[str], summary: pd.DataFrame,
                   ctx: str) -> list[str]:
    """Net benefit, established specialisations and MVPF of each arm (all regions)."""
    if "net_benefit" not in set(summary["metric"]):
        return []
    eff = _stringify(effects, params)
    eff = eff[eff["context"] == ctx]
    rows = []
    for arm, grp in summary[summary["region_type"] == "all"].groupby("arm", sort=True):
        m = grp.set_index("metric")
        row = {"policy": policy_label(arm)}
        for metric, head in _WELFARE_METRICS:
            row[head] = _ci_cell(m, metric)
        parts = eff[eff["arm"] == arm].groupby("seed")[["mvpf_numerator",
                                                         "mvpf_denominator"]].sum()
        if parts.empty:
            row["MVPF"] = "-"
        else:
            den = parts["mvpf_denominator"].sum()
            row["MVPF"] = ("inf (pays for itself)" if den <= 0 < parts["mvpf_numerator"].sum()
                           else fmt_ci(*ratio_interval(parts["mvpf_numerator"],
                                                        parts["mvpf_denominator"]), star=False))
        rows.append(row)
    return ["Full costs and benefits, all regions (per region; output units; "
            "*What the numbers mean*):", "", table(pd.DataFrame(rows)), ""]


def _display(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _from_data(effects: pd.DataFrame, jobs: list[Any]) -> bool:
    """Whether the run starts from the user's data (the ``from_data`` scenario)."""
    if "scenario" in effects and (effects["scenario"].astype(str) == "from_data").any():
        return True
    return any(str(j.params.get("scenario.name", j.params.get("scenario", ""))) == "from_data"
               for j in jobs)


def write_report(sweep_dir: Path, *, kind: str, tidy: pd.DataFrame, effects: pd.DataFrame,
                 jobs: list[Any], params: list[str], problems: list[str]) -> Path:
    """Write ``effects_summary.csv``, ``figures/*`` and ``report.md`` into ``sweep_dir``.

    Figures are 200-dpi PNG (embedded) plus SVG (linked). When the run starts from data
    (``scenario=from_data``), a section per region and ``effects_by_region.csv`` answer
    "what happens to my region".
    """
    from s3sim.io import atomic_write

    sweep_dir = Path(sweep_dir)
    figdir = sweep_dir / "figures"
    figdir.mkdir(exist_ok=True)
    for old in (*figdir.glob("*.png"), *figdir.glob("*.svg")):
        old.unlink()
    tidy = _stringify(tidy, params)
    name = next((j.params.get("name") for j in jobs if j.params.get("name")), sweep_dir.name)
    done = [j for j in jobs if j.status == "done"]
    failed = [j for j in jobs if j.status != "done"]
    seeds = sorted(tidy["seed"].unique()) if not tidy.empty else []
    steps = int(tidy["step"].max()) if not tidy.empty else 0
    meta: dict[str, Any] = {}
    if done:
        try:
            meta = json.loads((done[0].result_dir / "metadata.json").read_text())
        except (OSError, ValueError):
            meta = {}

    shown = _display(sweep_dir)
    md: list[str] = [f"# {name}: sweep report", ""]
    md += [f"- sweep directory: `{shown}`",
           f"- written: {time.strftime('%Y-%m-%d %H:%M:%S')}",
           f"- jobs: {len(jobs)} ({len(done)} done, {len(failed)} failed or incomplete)",
           f"- seeds per job: {len(seeds)} ({fmt(min(seeds)) if seeds else '-'}"
           f"..{fmt(max(seeds)) if seeds else '-'}); "
           f"years simulated: {steps if not tidy.empty else '-'}",
           f"- swept parameters: {', '.join(params)}",
           f"- s3sim git commit: `{meta.get('git_commit')}`; model code digest: "
           f"`{meta.get('code_digest')}`; versions: "
           + ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items()),
           "", "Tables: `sweep.parquet` (one row per job x seed x year x region), "
           "`effects.parquet` (one row per policy job x seed x region), "
           "`effects_summary.csv`, `cost_per_entry.csv`, `jobs.csv`. Figures: PNG (200 dpi) "
           "with an SVG twin in `figures/`.", ""]
    if failed or problems:
        md += ["## Failures", ""]
        md += [f"- **{j.name}** ({j.status}): "
               f"{j.record.get('error', 'no completion marker (killed or still running)')}"
               for j in failed]
        md += [f"- not paired: {p}" for p in problems]
        md.append("")
    if not effects.empty:
        md += glossary_markdown(len(seeds))

    summary = pd.DataFrame()
    if not effects.empty:
        summary = effect_summary(effects, params)
        cost = cost_summary(effects, params)
        with atomic_write(sweep_dir / "effects_summary.csv") as tmp:
            summary.to_csv(tmp, index=False)
        with atomic_write(sweep_dir / "cost_per_entry.csv") as tmp:
            cost.to_csv(tmp, index=False)
        md += ["## Paired effects (policy minus no policy, same seeds)", "",
               "Mean over seeds of the regional mean, 95 % interval across seeds; `*` = the "
               "interval excludes zero. Add. entries: new specialisations over the whole "
               f"run ({steps} years), per region; add. diversity (products), add. mean PCI "
               "(PCI units) and output gain (output units per year): final-year "
               "differences; deadweight: share 0-1; cost / add. entry: output units per "
               "additional entry (ratio of totals, seed bootstrap).", ""]
        for ctx in sorted(summary["context"].unique()):
            s = summary[summary["context"] == ctx]
            c = cost[cost["context"] == ctx]
            rows = []
            for (arm, rtype), grp in s.groupby(["arm", "region_type"], sort=True):
                m = grp.set_index("metric")
                cc = c[(c["arm"] == arm) & (c["region_type"] == rtype)]
                row = {"policy": policy_label(arm), "regions": rtype}
                for metric, head in _TABLE_METRICS:
                    row[head] = _ci_cell(m, metric)
                row["cost / add. entry"] = (
                    fmt_ci(*cc[["mean", "ci_low", "ci_high"]].iloc[0], star=False)
                    if not cc.empty else "-")
                rows.append(row)
            order = {"leading": 0, "intermediate": 1, "lagging": 2, "all": 3}
            tab = pd.DataFrame(rows)
            tab["_order"] = tab["regions"].map(order)
            tab = tab.sort_values(["_order", "policy"]).drop(columns="_order")
            md += [f"### {ctx}", "", table(tab), ""]
            md += _welfare_table(effects, params, s, ctx)
        if _from_data(effects, jobs):
            reg_summary, reg_cost = region_effects(effects, params)
            with atomic_write(sweep_dir / "effects_by_region.csv") as tmp:
                reg_summary.to_csv(tmp, index=False)
            md += _region_section(reg_summary, reg_cost, steps)

    if not effects.empty:
        from s3sim.report.spending import spending_section

        md += spending_section(_stringify(effects, params), figdir)
    md += ["## Figures", ""]
    contexts = sorted(tidy["context"].unique())
    map_context = "default" if "default" in contexts else (contexts[0] if contexts else "")
    for ctx in contexts:
        sub = tidy[tidy["context"] == ctx]
        slug = figures._slug(ctx)
        p = figures.trajectories_figure(sub, figdir / f"trajectories_{slug}.png", ctx)
        md += [f"### {ctx}", "", *_figure_md(p, f"trajectories {ctx}")]
        if not summary.empty and ctx in set(summary["context"]):
            s = summary[summary["context"] == ctx]
            p = figures.forest_figure(s, figdir / f"effects_{slug}.png", ctx)
            md += _figure_md(p, f"effects {ctx}")
            c = cost[cost["context"] == ctx]
            if np.isfinite(c["mean"]).any():
                p = figures.cost_per_entry_figure(c, figdir / f"cost_{slug}.png", ctx)
                md += _figure_md(p, f"cost per entry {ctx}")
        maps_on = all(j.params.get("report.maps", True) for j in done[:1])
        if maps_on and kind == "policies" and ctx == map_context:
            if len(contexts) > 1:
                md += [f"Product-space maps are drawn for `{ctx}` only.", ""]
            for p in _maps(jobs, tidy, figdir, ctx, set(sub["job"])):
                md += _figure_md(p, f"product-space map {ctx}")
    if not summary.empty:
        for k in params:
            c = _col(k)
            if k in ("policy", "scenario") or c not in effects:
                continue
            vals = pd.to_numeric(effects[c], errors="coerce")
            if vals.notna().all() and vals.nunique() > 1:
                eff = effects.assign(**{c: vals})
                s = summarize(eff, HEADLINE_METRICS, by=["policy", c, "region_type"])
                p = figures.effect_vs_parameter_figure(
                    s, c, figdir / f"effect_vs_{figures._slug(c)}.png", name)
                md += [f"### Effect against {c}", "", *_figure_md(p, f"effect vs {c}")]
    if kind == "validation":
        from s3sim.report.validation import validation_section

        md += validation_section(sweep_dir, jobs, figdir)
    md += ["## Reading the tables", "", "```python", "import pandas as pd",
           f"runs = pd.read_parquet('{shown}/sweep.parquet')"]
    if not effects.empty:
        md.append(f"effects = pd.read_parquet('{shown}/effects.parquet')")
    md += ["```", ""]
    report = sweep_dir / "report.md"
    with atomic_write(report) as tmp:
        tmp.write_text("\n".join(md))
    return report
