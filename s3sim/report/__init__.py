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
from s3sim.report.markdown import fmt, fmt_ci, table
from s3sim.stats import summarize

__all__ = ["HEADLINE_METRICS", "add_labels", "effect_summary", "write_report"]

log = logging.getLogger(__name__)

HEADLINE_METRICS: tuple[str, ...] = (
    "additional_entries", "additional_diversity", "additional_mean_pci", "additional_eci",
    "output_gain", "budget_spent", "deadweight", "related_share", "complex_share",
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
    """One map figure per policy arm: lagging and leading region of the first seed."""
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
            first = regions[(regions["seed"] == seed) & (regions["step"] == 0)]
            entries = pd.read_parquet(rdir / "entries.parquet", filters=[("seed", "==", seed)])
            presence = pd.read_parquet(rdir / "presence.parquet",
                                       filters=[("seed", "==", seed), ("step", "==", 0)])
        except Exception as exc:  # a map must not break the report
            log.warning("no map for %s: %s", job.name, exc)
            continue
        panels = []
        for rtype in ("lagging", "leading"):
            cand = first[first["region_type"] == rtype]
            if cand.empty:
                continue
            r = int(cand["region"].iloc[0])
            name = str(cand["region_name"].iloc[0])
            held = presence.loc[presence["region"] == r, "product"].to_numpy()
            sub = entries[(entries["region"] == r) & entries["subsidised"]]
            codes = ps.codes
            panels.append({"ps": ps, "highlight": list(codes[held]),
                           "marked": sorted(set(codes[sub["product"].to_numpy()])),
                           "title": f"{rtype} region {name}: {len(held)} initial, "
                                    f"{sub['product'].nunique()} subsidised products"})
        if panels:
            arm = str(tidy.loc[tidy["job"] == job.name, "arm"].iloc[0])
            out.append(figures.maps_figure(
                panels, figdir / f"map_{figures._slug(context)}_{figures._slug(arm)}.png",
                f"{context} / {arm}"))
    return out


def _display(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def write_report(sweep_dir: Path, *, kind: str, tidy: pd.DataFrame, effects: pd.DataFrame,
                 jobs: list[Any], params: list[str], problems: list[str]) -> Path:
    """Write ``effects_summary.csv``, ``figures/*.png`` and ``report.md`` into ``sweep_dir``."""
    from s3sim.io import atomic_write

    sweep_dir = Path(sweep_dir)
    figdir = sweep_dir / "figures"
    figdir.mkdir(exist_ok=True)
    for old in figdir.glob("*.png"):
        old.unlink()
    tidy = _stringify(tidy, params)
    name = next((j.params.get("name") for j in jobs if j.params.get("name")), sweep_dir.name)
    done = [j for j in jobs if j.status == "done"]
    failed = [j for j in jobs if j.status != "done"]
    seeds = sorted(tidy["seed"].unique()) if not tidy.empty else []
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
           f"steps: {int(tidy['step'].max()) if not tidy.empty else '-'}",
           f"- swept parameters: {', '.join(params)}",
           f"- s3sim git commit: `{meta.get('git_commit')}`; model code digest: "
           f"`{meta.get('code_digest')}`; versions: "
           + ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items()),
           "", "Tables: `sweep.parquet` (one row per job x seed x step x region), "
           "`effects.parquet` (one row per policy job x seed x region), "
           "`effects_summary.csv`, `cost_per_entry.csv`, `jobs.csv`.", ""]
    if failed or problems:
        md += ["## Failures", ""]
        md += [f"- **{j.name}** ({j.status}): "
               f"{j.record.get('error', 'no completion marker (killed or still running)')}"
               for j in failed]
        md += [f"- not paired: {p}" for p in problems]
        md.append("")

    summary = pd.DataFrame()
    if not effects.empty:
        summary = effect_summary(effects, params)
        cost = cost_summary(effects, params)
        with atomic_write(sweep_dir / "effects_summary.csv") as tmp:
            summary.to_csv(tmp, index=False)
        with atomic_write(sweep_dir / "cost_per_entry.csv") as tmp:
            cost.to_csv(tmp, index=False)
        md += ["## Paired effects (policy minus `none`, same seeds)", "",
               "Product-space maps (where subsidised entries landed) are drawn for the "
               "`default` scenario (or the first one).", "",
               "Mean across seeds of the regional mean, with a 95 % t interval; `*` marks "
               "intervals that exclude zero. Entries are new specialisations (RCA >= 1 "
               "gained) over the whole run; the others are final-year differences. Cost per "
               "additional entry is total budget spent / total additional entries over the "
               "seeds, with a seed-bootstrap 95 % interval (`inf` when resampled seeds add "
               "no entries; `-` when the policy added none on balance).", ""]
        for ctx in sorted(summary["context"].unique()):
            s = summary[summary["context"] == ctx]
            c = cost[cost["context"] == ctx]
            rows = []
            for (arm, rtype), grp in s.groupby(["arm", "region_type"], sort=True):
                m = grp.set_index("metric")
                cc = c[(c["arm"] == arm) & (c["region_type"] == rtype)]
                row = {"policy": arm, "regions": rtype}
                for metric, head in (("additional_entries", "add. entries"),
                                     ("additional_diversity", "add. diversity"),
                                     ("additional_mean_pci", "add. mean PCI"),
                                     ("output_gain", "output gain"),
                                     ("deadweight", "deadweight")):
                    row[head] = (fmt_ci(*m.loc[metric, ["mean", "ci_low", "ci_high"]])
                                 if metric in m.index else "-")
                row["cost / add. entry"] = (
                    fmt_ci(*cc[["mean", "ci_low", "ci_high"]].iloc[0], star=False)
                    if not cc.empty else "-")
                rows.append(row)
            order = {"leading": 0, "intermediate": 1, "lagging": 2, "all": 3}
            tab = pd.DataFrame(rows)
            tab["_order"] = tab["regions"].map(order)
            tab = tab.sort_values(["_order", "policy"]).drop(columns="_order")
            md += [f"### {ctx}", "", table(tab), ""]

    md += ["## Figures", ""]
    for ctx in sorted(tidy["context"].unique()):
        sub = tidy[tidy["context"] == ctx]
        slug = figures._slug(ctx)
        p = figures.trajectories_figure(sub, figdir / f"trajectories_{slug}.png", ctx)
        md += [f"### {ctx}", "", f"![trajectories {ctx}](figures/{p.name})", ""]
        if not summary.empty and ctx in set(summary["context"]):
            s = summary[summary["context"] == ctx]
            p = figures.forest_figure(s, figdir / f"effects_{slug}.png", ctx)
            md += [f"![effects {ctx}](figures/{p.name})", ""]
            c = cost[cost["context"] == ctx]
            if np.isfinite(c["mean"]).any():
                p = figures.cost_per_entry_figure(c, figdir / f"cost_{slug}.png", ctx)
                md += [f"![cost per entry {ctx}](figures/{p.name})", ""]
        maps_on = all(j.params.get("report.maps", True) for j in done[:1])
        contexts = sorted(tidy["context"].unique())
        map_context = "default" if "default" in contexts else contexts[0]
        if maps_on and kind == "policies" and ctx == map_context:
            for p in _maps(jobs, tidy, figdir, ctx, set(sub["job"])):
                md += [f"![map](figures/{p.name})", ""]
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
                md += [f"### Effect against {c}", "", f"![effect vs {c}](figures/{p.name})", ""]
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
