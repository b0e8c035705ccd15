"""Words for readers: policy names, metric labels with units, and the report glossary.

One place for what a reader sees, so the tables, the figures and the glossary of
``report.md`` cannot drift apart. Column names in the CSV and Parquet tables stay the
machine names (``smart_specialisation``, ``additional_entries``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METRICS", "POLICY_LABELS", "Metric", "glossary_markdown", "metric_label",
           "param_label", "policy_label"]

POLICY_LABELS: dict[str, str] = {
    "none": "No policy (baseline)",
    "generic_subsidy": "Generic subsidy",
    "smart_specialisation": "Smart specialisation",
    "smart_specialisation_designed": "Smart specialisation as designed",
    "smart_specialisation_practised": "Smart specialisation as practised",
    "picking_winners": "Picking winners",
    "research_funding": "Research funding",
    "oracle": "Oracle (upper bound of targeting)",
}

_PARAM_LABELS: dict[str, str] = {
    "budget_share": "budget (share of initial regional output per year)",
    "budget": "budget (output units per year)",
    "governance_noise": "governance noise (SD of the EDP signal)",
    "capture": "capture by incumbents (0-1)",
}


def policy_label(arm: str) -> str:
    """Human-readable name of a policy arm (``"smart_specialisation budget_share=0.02"``).

    Examples
    --------
    >>> policy_label("smart_specialisation budget_share=0.02")
    'Smart specialisation (budget_share=0.02)'
    >>> policy_label("my_rule")
    'My rule'
    """
    base, _, rest = str(arm).partition(" ")
    label = POLICY_LABELS.get(base, base.replace("_", " ").capitalize())
    return f"{label} ({rest.replace(' ', ', ')})" if rest else label


def param_label(param: str) -> str:
    """Axis label of a swept parameter (``policy.budget_share`` -> words and unit)."""
    key = param.split(".")[-1]
    return _PARAM_LABELS.get(key, key.replace("_", " "))


@dataclass(frozen=True)
class Metric:
    """A reported quantity: short label, unit, and a one-paragraph definition."""

    label: str
    unit: str
    definition: str

    @property
    def axis(self) -> str:
        """``label (unit)`` for an axis."""
        return f"{self.label} ({self.unit})"


METRICS: dict[str, Metric] = {
    "additional_entries": Metric(
        "additional entries", "new specialisations per region",
        "New specialisations (products in which the region reaches RCA >= 1 that it did not "
        "have) summed over the whole run under the policy, minus the same count in the "
        "baseline run on the same seed. Positive = the policy made the region diversify "
        "more."),
    "additional_diversity": Metric(
        "additional diversity", "products per region",
        "Number of products with RCA >= 1 in the final year, policy minus baseline (entries "
        "net of exits)."),
    "additional_mean_pci": Metric(
        "additional mean PCI", "PCI units",
        "Mean product complexity (PCI) of the region's specialisations in the final year, "
        "policy minus baseline. PCI is on the scale where ECI has mean 0 and standard "
        "deviation 1 across regions; 0.1 is a tenth of that spread."),
    "additional_eci": Metric(
        "additional ECI", "ECI units (SD across regions)",
        "Economic complexity index in the final year, policy minus baseline."),
    "output_gain": Metric(
        "output gain", "output units per year",
        "Regional output in the final year, policy minus baseline."),
    "employment_gain": Metric(
        "employment gain", "labour units",
        "Regional employment in the final year, policy minus baseline (employment = firm "
        "output times the product's labour intensity, docs/model.md)."),
    "budget_spent": Metric(
        "budget spent", "output units over the run",
        "Public money the policy actually paid out in the region, summed over the run."),
    "deadweight": Metric(
        "deadweight", "share, 0-1",
        "Share of the subsidised new specialisations that the baseline run on the same seed "
        "also gained at some point: support for what would have happened anyway "
        "(Lenihan 2004). 0 = every subsidised entry was additional; 1 = none was."),
    "related_share": Metric(
        "related share", "share, 0-1",
        "Share of the policy run's new specialisations whose relatedness density was above "
        "the region's median among the products it lacked."),
    "complex_share": Metric(
        "complex share", "share, 0-1",
        "Share of the policy run's new specialisations with PCI above the median PCI of the "
        "product space."),
    "cost_per_entry": Metric(
        "cost per additional entry", "output units per entry",
        "Total budget spent divided by total additional entries, summed over the regions of "
        "the group and over seeds (a ratio of totals, not a mean of ratios; "
        "s3sim.experiments.evaluation.cost_per_entry). Lower is better."),
    "net_benefit": Metric(
        "net benefit", "output units per region (present value)",
        "Valued output gain minus additional private attempt costs, plus the firms' "
        "idiosyncratic value of the attempts they chose, minus public spending times 1.3 "
        "(the marginal cost of public funds, 0.3), discounted at 3 % a year over the run, "
        "against the baseline on the same seed (s3sim.experiments.welfare). Output is "
        "valued at the owners' margin (the share that makes a success worth what its "
        "owner expects, success_value) plus the wages of inputs that would otherwise be "
        "idle, at the shadow wage of each region's simulated labour market."),
    "net_benefit_5pct": Metric(
        "net benefit (5 %)", "output units per region (present value)",
        "The net benefit discounted at 5 % a year."),
    "net_benefit_full_employment": Metric(
        "net benefit, full employment", "output units per region (present value)",
        "The net benefit with every input valued at its market price: only the owners' "
        "margin of additional output counts as a gain."),
    "net_benefit_idle_inputs": Metric(
        "net benefit, idle inputs", "output units per region (present value)",
        "The net benefit when the inputs behind additional output would otherwise be idle: "
        "all of it counts as a gain (an upper bound)."),
    "share_spent": Metric(
        "share of budget spent", "share, 0-1",
        "Money the instrument spent over the money it had; the rest is unspent and shown, "
        "never counted as spending."),
    "established_gain": Metric(
        "additional established specialisations", "specialisations per region",
        "New specialisations whose RCA rose from below 0.5 to at least 1, held it 3 years "
        "and reached 0.1 % of the region's output, policy minus baseline."),
    "mvpf": Metric(
        "MVPF", "ratio",
        "Marginal value of public funds (Hendren & Sprung-Keyser 2020): the discounted "
        "output gain net of private costs per unit of net public cost (spending minus 30 % "
        "of additional output returning as taxes); ratio of totals over seeds and regions "
        "with a seed-bootstrap interval; 'inf' when the policy pays for itself."),
    "diversity": Metric("diversity", "products with RCA >= 1",
                        "Number of products in which the region has RCA >= 1."),
    "mean_pci": Metric("mean PCI of specialisations", "PCI units",
                       "Mean PCI of the products in which the region has RCA >= 1."),
    "eci": Metric("ECI", "SD across regions", "Economic complexity index of the region."),
    "output": Metric("output", "output units per year", "Regional output in the year."),
    "employment": Metric("employment", "labour units", "Regional employment."),
}

SHARE_METRICS: frozenset[str] = frozenset({"deadweight", "related_share", "complex_share",
                                          "share_spent"})


def metric_label(key: str, unit: bool = True) -> str:
    """Label of a metric, with its unit in brackets by default."""
    m = METRICS.get(key)
    if m is None:
        return key.replace("_", " ")
    return m.axis if unit else m.label


def glossary_markdown(n_seeds: int | None = None) -> list[str]:
    """The report's "What the numbers mean" section (Markdown lines)."""
    seeds = f"{n_seeds} seeds" if n_seeds else "the seeds"
    md = ["## What the numbers mean", "",
          "**Effects are paired differences.** Each policy run is compared with the baseline "
          "run (no policy) on the same seed, i.e. the same simulated world with the same "
          "random draws (common random numbers). A positive effect means more under the "
          "policy than without it.", "",
          "**Output units.** Output, budgets and costs are measured in units of the yearly "
          "output of a mean firm at the start of the run (the mean initial firm produces 1 "
          "unit a year). A budget share of 0.01 gives each region a yearly budget of 1 % of "
          "its initial output.", "",
          "**Intervals.** `mean [low, high]` is the mean over the seeds and its 95 % "
          f"confidence interval across {seeds} (Student t; regions of a seed are averaged "
          "first because they interact through the world market). Shares (deadweight, "
          "related and complex shares) have their interval clipped to [0, 1]. The cost per "
          "additional entry has a seed-bootstrap interval instead. Intervals measure "
          "simulation noise only, not uncertainty about the model or the data; with enough "
          "seeds any difference excludes zero, so read the size of an effect, not only its "
          "star.", "",
          "**Symbols.** `*` = the interval excludes zero. `-` = not defined: a cost per "
          "entry when the policy added no entries on balance, a deadweight when it "
          "subsidised no entry, an interval with fewer than two seeds. `inf` = the upper "
          "bound is unbounded because some resamples of the seeds add no entries.", "",
          "**Region types.** Leading, intermediate and lagging regions differ in their "
          "initial portfolio (diversity and complexity); when the run starts from data they "
          "are the ECI terciles of the data's locations.", "",
          "| quantity | unit | definition |", "|---|---|---|"]
    for key in ("additional_entries", "additional_diversity", "additional_mean_pci",
                "output_gain", "budget_spent", "deadweight", "cost_per_entry",
                "related_share", "complex_share", "net_benefit", "net_benefit_5pct",
                "net_benefit_full_employment", "net_benefit_idle_inputs", "share_spent",
                "established_gain", "mvpf"):
        m = METRICS[key]
        md.append(f"| {m.label} | {m.unit} | {m.definition} |")
    md.append("")
    return md
