"""Paired evaluation of a policy against the laissez-faire baseline on the same seeds.

Both runs share every random draw the policy does not affect (common random numbers,
:mod:`s3sim.engine.rng`), so the difference of a policy run and its baseline on the same
seed is the policy's effect in that simulated world, with far less noise than a
comparison of independent runs. :func:`paired_effects` gives one row per
(seed, region); :func:`summarize_effects` averages them with 95 % confidence
intervals across seeds.

Definitions (per region, over the whole run):

additional_entries
    new specialisations (RCA gained) under the policy minus under the baseline.
additional_diversity, additional_mean_pci, additional_eci, output_gain,
employment_gain
    final-year differences.
budget_spent, budget_unspent
    totals over the run (policy run).
cost_per_additional_entry
    per (seed, region): ``budget_spent / additional_entries`` when the policy added
    entries, else NaN. Summaries over several regions and seeds do **not** average these
    ratios: they use :func:`cost_per_entry` (ratio of totals, seed bootstrap), the one
    definition shared by :func:`summarize_effects` and the sweep report.
subsidised_entries
    new specialisations with a subsidised firm in the product (policy run).
deadweight
    share of subsidised specialisations (region, product) that the baseline run on
    the same seed also gained at some step: support for what would have happened
    anyway (Lenihan 2004 on deadweight in subsidy evaluation).
related_share, complex_share
    share of the policy run's new specialisations that are related (density above
    the region's median among absent products) or complex (PCI above the median PCI
    of the product space).
share_spent
    share of the money available that the policy spent (budget_spent over budget_spent
    plus budget_unspent).
net_benefit, net_benefit_5pct, net_benefit_full_employment, net_benefit_idle_inputs
    discounted valued output gain minus additional private attempt costs plus the
    firms' idiosyncratic value minus public spending at the marginal cost of public
    funds (:mod:`s3sim.experiments.welfare`), at 3 % and 5 % with inputs at the shadow
    wage of each region's labour market, and at 3 % at full employment (inputs at their
    market value: only the owners' margin of additional output counts) and with idle
    inputs (all of it counts).
spent_pv
    public spending over the paired baseline, present value at 3 %.
mvpf_numerator, mvpf_denominator
    the parts of the marginal value of public funds (Hendren & Sprung-Keyser 2020); a
    group's MVPF is the ratio of their totals.
established_gain
    additional *established* new specialisations (RCA from below 0.5 to at least 1, held
    3 years, with 0.1 % of the region's output).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from s3sim.experiments.simulation import SimulationResult
from s3sim.stats import ratio_interval, t_interval

__all__ = ["EFFECT_COLUMNS", "cost_per_entry", "paired_effects", "summarize_effects"]

EFFECT_COLUMNS: tuple[str, ...] = (
    "additional_entries", "additional_diversity", "additional_mean_pci", "additional_eci",
    "output_gain", "employment_gain", "budget_spent", "budget_unspent", "share_spent",
    "cost_per_additional_entry", "subsidised_entries", "deadweight", "related_share",
    "complex_share", "net_benefit", "net_benefit_5pct", "net_benefit_full_employment",
    "net_benefit_idle_inputs", "mvpf_numerator", "mvpf_denominator", "spent_pv",
    "established_gain",
)
_KEYS = ["seed", "region"]


def _final(regions: pd.DataFrame) -> pd.DataFrame:
    last = regions["step"].max()
    return regions[regions["step"] == last].set_index(_KEYS)


def paired_effects(policy: SimulationResult, baseline: SimulationResult) -> pd.DataFrame:
    """Policy-minus-baseline effects per (seed, region).

    Parameters
    ----------
    policy, baseline : SimulationResult
        Runs of the same scenario on the same seeds; ``baseline`` normally with the
        ``none`` policy.

    Returns
    -------
    pandas.DataFrame
        Columns ``seed, region, region_name, region_type, policy`` and
        :data:`EFFECT_COLUMNS`.

    Raises
    ------
    ValueError
        If the two results do not cover the same seeds, regions and steps.
    """
    p, b = policy.regions, baseline.regions
    for col in ("seed", "region", "step"):
        if set(p[col].unique()) != set(b[col].unique()):
            raise ValueError(
                f"policy and baseline runs differ in {col}: pair runs of the same scenario "
                "on the same seeds and number of steps"
            )
    pf, bf = _final(p), _final(b)
    totals_p = p.groupby(_KEYS)[["entries", "budget_spent", "budget_unspent",
                                 "subsidised_entries", "related_entries"]].sum()
    totals_b = b.groupby(_KEYS)[["entries"]].sum()
    out = pd.DataFrame(index=pf.index)
    out["region_name"] = pf["region_name"]
    out["region_type"] = pf["region_type"]
    out["policy"] = pf["policy"]
    out["additional_entries"] = totals_p["entries"] - totals_b["entries"]
    out["additional_diversity"] = pf["diversity"] - bf["diversity"]
    out["additional_mean_pci"] = pf["mean_pci"] - bf["mean_pci"]
    out["additional_eci"] = pf["eci"] - bf["eci"]
    out["output_gain"] = pf["output"] - bf["output"]
    out["employment_gain"] = pf["employment"] - bf["employment"]
    out["budget_spent"] = totals_p["budget_spent"]
    out["budget_unspent"] = totals_p["budget_unspent"]
    available = totals_p["budget_spent"] + totals_p["budget_unspent"]
    out["share_spent"] = totals_p["budget_spent"] / available.where(available > 0)
    out["cost_per_additional_entry"] = np.where(
        out["additional_entries"] > 0,
        out["budget_spent"] / out["additional_entries"].where(out["additional_entries"] > 0),
        np.nan,
    )
    out["subsidised_entries"] = totals_p["subsidised_entries"]
    out["deadweight"] = _deadweight(policy.entries, baseline.entries).reindex(out.index)
    out["related_share"] = totals_p["related_entries"] / totals_p["entries"].where(
        totals_p["entries"] > 0)
    out["complex_share"] = _complex_share(policy).reindex(out.index)
    from s3sim.experiments.welfare import success_value_of_result

    out = out.join(_welfare(p, b, success_value_of_result(baseline)))
    return out.reset_index()


def _welfare(policy: pd.DataFrame, baseline: pd.DataFrame, success: Any) -> pd.DataFrame:
    """Net benefit at the three valuations, MVPF parts, established specialisations."""
    from s3sim.experiments.welfare import VALUATIONS, paired_welfare

    valued = {name: paired_welfare(policy, baseline, params, success).set_index(_KEYS)
              for name, params in VALUATIONS.items()}
    shadow = valued["shadow_wage"]
    out = pd.DataFrame({
        "net_benefit": shadow["net_benefit_3pct"],
        "net_benefit_5pct": shadow["net_benefit_5pct"],
        "net_benefit_full_employment": valued["full_employment"]["net_benefit_3pct"],
        "net_benefit_idle_inputs": valued["idle_inputs"]["net_benefit_3pct"],
        "mvpf_numerator": shadow["mvpf_numerator"],
        "mvpf_denominator": shadow["mvpf_denominator"],
        "spent_pv": shadow["spent_pv"],
    })
    if "established_gain" in shadow:
        out["established_gain"] = shadow["established_gain"]
    return out


def _specialisations(entries: pd.DataFrame) -> pd.DataFrame:
    return entries[entries["event"] == "specialisation"]


def _deadweight(policy_entries: pd.DataFrame, baseline_entries: pd.DataFrame) -> pd.Series:
    subsidised = _specialisations(policy_entries)
    subsidised = subsidised[subsidised["subsidised"]]
    if subsidised.empty:
        return pd.Series(np.nan, index=pd.MultiIndex.from_arrays([[], []], names=_KEYS),
                         dtype=float)
    base = _specialisations(baseline_entries)[["seed", "region", "product"]].drop_duplicates()
    base["in_baseline"] = True
    merged = subsidised.merge(base, on=["seed", "region", "product"], how="left")
    merged["in_baseline"] = merged["in_baseline"].astype("boolean").fillna(False).astype(bool)
    return merged.groupby(_KEYS)["in_baseline"].mean()


def _complex_share(result: SimulationResult) -> pd.Series:
    spec = _specialisations(result.entries)
    median_pci = float(np.median(result.product_space.pci))
    return (spec["pci"] > median_pci).groupby([spec["seed"], spec["region"]]).mean()


def cost_per_entry(effects: pd.DataFrame, by: tuple[str, ...] | list[str] = ("policy",),
                   confidence: float = 0.95, n_boot: int = 2000,
                   seed: int = 0) -> pd.DataFrame:
    r"""Cost per additional entry of each group: ratio of totals with a seed bootstrap.

    The one definition of cost-effectiveness in s3sim (the Python API and the sweep
    report both call it). For a group ``g`` (e.g. a policy and a region type), with
    :math:`B_{gs}` the budget spent and :math:`E_{gs}` the additional entries summed over
    the group's regions on seed ``s``,

    .. math::

        C_g = \frac{\sum_s B_{gs}}{\sum_s E_{gs}}

    in output units per additional entry (an output unit is the yearly output of a mean
    initial firm). The 95 % interval resamples seeds with their (B, E) pairs
    (:func:`s3sim.stats.ratio_interval`). A mean of per-region ratios would drop the
    regions and seeds that added nothing and overstate cost-effectiveness; it can also
    be negative. ``C_g`` is NaN ("-" in reports) when the policy added no entries on
    balance (:math:`\sum_s E_{gs} \le 0`); the upper bound is ``inf`` when resampled
    seeds add none.

    Parameters
    ----------
    effects : pandas.DataFrame
        :func:`paired_effects` rows (``seed``, ``budget_spent``, ``additional_entries``
        and the ``by`` columns).
    by : sequence of str
        Grouping columns.
    confidence, n_boot, seed
        Interval level, bootstrap resamples, bootstrap seed.

    Returns
    -------
    pandas.DataFrame
        ``*by, mean, ci_low, ci_high, budget_spent, additional_entries, n_seeds``, where
        ``budget_spent`` and ``additional_entries`` are the group's means per seed.

    Examples
    --------
    >>> df = pd.DataFrame({"policy": "s3", "seed": [0, 0, 1, 1], "budget_spent": 1.0,
    ...                    "additional_entries": [2, -1, 0, 3]})
    >>> float(cost_per_entry(df)["mean"].iloc[0])  # 4 spent / 4 added
    1.0
    """
    by = list(by)
    per_seed = effects.groupby([*by, "seed"], dropna=False)[
        ["budget_spent", "additional_entries"]].sum().reset_index()
    rows = []
    for key, grp in per_seed.groupby(by, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        est, lo, hi = ratio_interval(grp["budget_spent"], grp["additional_entries"],
                                     confidence=confidence, n_boot=n_boot, seed=seed)
        rows.append({**dict(zip(by, key, strict=True)), "mean": est, "ci_low": lo,
                     "ci_high": hi, "budget_spent": float(grp["budget_spent"].mean()),
                     "additional_entries": float(grp["additional_entries"].mean()),
                     "n_seeds": len(grp)})
    return pd.DataFrame(rows)


def summarize_effects(
    effects: pd.DataFrame,
    by: tuple[str, ...] = ("policy", "region_type"),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean effect with a t-based confidence interval across seeds.

    Effects are first averaged over the regions of each seed within each group (the
    seed is the independent replication), then summarised across seeds with a Student-t
    interval (:func:`s3sim.stats.t_interval`). The cost per additional entry is the
    exception: it is the ratio of totals of :func:`cost_per_entry` with its seed-bootstrap
    interval (``sd`` is NaN for it: a ratio of totals has no per-seed spread), exactly the
    numbers of the sweep report.

    Returns
    -------
    pandas.DataFrame
        One row per group and metric: ``metric, mean, ci_low, ci_high, sd, n_seeds``.
    """
    group_cols = list(by)
    metrics = [c for c in EFFECT_COLUMNS if c in effects and c != "cost_per_additional_entry"]
    per_seed = effects.groupby([*group_cols, "seed"])[metrics].mean().reset_index()
    long = per_seed.melt(id_vars=[*group_cols, "seed"], var_name="metric", value_name="value")
    long = long.dropna(subset=["value"])

    def _summary(values: pd.Series) -> pd.Series:
        mean, low, high = t_interval(values.to_numpy(), confidence)
        sd = values.std(ddof=1) if values.size > 1 else np.nan
        return pd.Series({"mean": mean, "ci_low": low, "ci_high": high, "sd": sd,
                          "n_seeds": values.size})

    out = long.groupby([*group_cols, "metric"])["value"].apply(_summary).unstack()
    out = out.reset_index()
    if {"budget_spent", "additional_entries"} <= set(effects.columns):
        cost = cost_per_entry(effects, by=group_cols, confidence=confidence)
        cost = cost.dropna(subset=["mean"]).assign(metric="cost_per_additional_entry",
                                                   sd=np.nan)
        out = pd.concat([out, cost[[*group_cols, "metric", "mean", "ci_low", "ci_high", "sd",
                                    "n_seeds"]]], ignore_index=True)
        out = out.sort_values([*group_cols, "metric"], kind="mergesort", ignore_index=True)
    out["n_seeds"] = out["n_seeds"].astype(int)
    return out
