"""Plain-language help for every control and metric of the cockpit.

The texts are short on purpose (they appear as tooltips and in the glossary card);
``docs/metrics.md``, ``docs/model.md`` and ``docs/policies.md`` give the equations
and sources.
"""

from __future__ import annotations

__all__ = ["CONTROLS", "METRICS", "POLICY_LABELS", "policy_label"]

#: Human-readable instrument names.
POLICY_LABELS: dict[str, str] = {
    "none": "No policy (baseline)",
    "generic_subsidy": "Generic subsidy",
    "smart_specialisation": "Smart specialisation",
    "picking_winners": "Picking winners",
    "research_funding": "Research funding",
}


def policy_label(name: str) -> str:
    """Human-readable name of an instrument.

    >>> policy_label("smart_specialisation")
    'Smart specialisation'
    """
    return POLICY_LABELS.get(name, name.replace("_", " ").capitalize())


#: Help text of each control, keyed by the control's name.
CONTROLS: dict[str, str] = {
    "scenario": (
        "The regional economy to start from: a generated set of leading, intermediate and "
        "lagging regions placed on the real (Atlas HS92) product space, or your own data."
    ),
    "data_path": (
        "Your long-format table with columns location, product, year, value (CSV or "
        "Parquet). Every location becomes a region; its products with RCA >= 1 in the "
        "latest year are its starting portfolio; regions are typed by ECI terciles."
    ),
    "region": (
        "The region the map, the charts and the table follow (yours, when you start from "
        "data). Switching it does not restart the runs."
    ),
    "instruments": (
        "The policy instruments to compare. Each runs on the same seed as a run without "
        "policy (the baseline), so their differences are the instruments' effects alone."
    ),
    "budget_share": (
        "Yearly budget of every instrument in every region, as a share of the region's "
        "initial output (the command line's policy.budget_share; default 1 %)."
    ),
    "signal_noise": (
        "Governance quality: noise on the scores the priority-setting process perceives "
        "(0 = it sees the true relatedness, complexity and growth of every product)."
    ),
    "capture": (
        "Capture by incumbents (0-1): weight of the region's existing specialisations in "
        "its priorities; 1 = priorities simply confirm what is already there."
    ),
    "absorptive_threshold": (
        "Relatedness density a region needs around a product before it can absorb the "
        "research bodies' knowledge spillovers there (lagging regions use a higher one)."
    ),
    "seed": (
        "Seed of the live runs: the same seed gives exactly the same years. All runs "
        "share it (common random numbers)."
    ),
    "band_seeds": (
        "Seeds for the bands: the comparison is repeated on this many seeds in the "
        "background; the band is the mean and its 90 % confidence interval."
    ),
    "map_run": "Which run the product-space map shows for the chosen region.",
    "apply": "Build the runs with these settings (year 0) and start the bands.",
    "step": "Simulate one more year in every run.",
    "play": "Simulate year after year until the horizon (or until you pause).",
}

#: Help text of each metric, keyed by a short name.
METRICS: dict[str, str] = {
    "RCA": (
        "Revealed comparative advantage (Balassa): the product's share in the region's "
        "output divided by its share in world trade. RCA >= 1: the region is specialised "
        "in it (it 'has' the product)."
    ),
    "diversity": "Diversity: the number of products in which the region has RCA >= 1.",
    "entry": "New entry: a product in which the region gains RCA >= 1 this year.",
    "density": (
        "Relatedness density: how much of what a product needs the region already has, "
        "the share of the product's proximity to products with RCA in the region (0-1)."
    ),
    "PCI": (
        "Product complexity index (Hidalgo & Hausmann): how sophisticated a product is, "
        "from which places export it; standardised, higher = more complex."
    ),
    "ECI": (
        "Economic complexity index of a region: the complexity of its portfolio, "
        "standardised over the regions of a run (so not compared between runs)."
    ),
    "mean PCI": "Mean PCI of the region's products with RCA: the sophistication of its mix.",
    "priority domains": (
        "Products an instrument currently prioritises in the region (smart specialisation "
        "chooses them in an entrepreneurial discovery process; picking winners by score)."
    ),
    "additional": (
        "Additional = policy run minus the baseline on the same seed: what the instrument "
        "changed, year by year."
    ),
    "cost per additional entry": (
        "Budget spent divided by the additional entries (output units per entry); "
        "undefined when the instrument added none."
    ),
    "deadweight": (
        "Support for what would have happened anyway: subsidised entries that the "
        "baseline (no policy, same seed) also made. The evaluation report measures it."
    ),
    "capture": CONTROLS["capture"],
    "absorptive threshold": CONTROLS["absorptive_threshold"],
    "band": (
        "Shaded band: mean over the finished seeds and its 90 % confidence interval "
        "(Student t). The line is the live seed."
    ),
    "output units": (
        "Output and budgets are in the model's output units (a firm of size 1 produces "
        "1 unit a year)."
    ),
}
