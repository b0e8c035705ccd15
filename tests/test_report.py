"""Reports, confidence intervals and the validation computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from scipy import stats

from s3sim.experiments.job import CONFIG_DIR, run_experiment
from s3sim.experiments.sweep import build_sweep_report
from s3sim.report import add_labels
from s3sim.report.markdown import fmt_ci, table
from s3sim.report.validation import (
    diffusion_reach,
    diffusion_table,
    entry_regression,
    quintile_table,
)
from s3sim.stats import bootstrap_interval, ratio_of_sums, summarize, t_interval

POLICIES = ("none", "generic_subsidy", "smart_specialisation")


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory) -> Path:
    """Job dirs written by the job function itself (no subprocess): 3 policies."""
    root = tmp_path_factory.mktemp("report") / "study"
    for pol in POLICIES:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose("config", overrides=[
                "scenario=synthetic_small", "scenario.steps=6", "replications=4",
                "progress=false", f"policy={pol}", "name=study"])
        run_experiment(cfg, out_dir=root / f"policy={pol}")
    return root


def test_report_files_are_created(small_sweep):
    summary = build_sweep_report(small_sweep)
    assert summary.n_failed == 0 and len(summary.jobs) == 3
    report = (small_sweep / "report.md").read_text()
    assert report.startswith("# study: sweep report")
    assert "## Paired effects" in report and "### synthetic_small" in report
    figs = {p.name for p in (small_sweep / "figures").glob("*.png")}
    assert "trajectories_synthetic_small.png" in figs
    assert "effects_synthetic_small.png" in figs
    assert "cost_synthetic_small.png" in figs
    assert {"map_synthetic_small_generic_subsidy.png",
            "map_synthetic_small_smart_specialisation.png"} <= figs
    for name in figs:
        assert f"figures/{name}" in report
        assert (small_sweep / "figures" / name).stat().st_size > 5000
        svg = (small_sweep / "figures" / name).with_suffix(".svg")
        assert svg.read_text().lstrip().startswith("<?xml")  # a vector twin of each figure
        assert f"figures/{svg.name}" in report
    for name in ("sweep.parquet", "effects.parquet", "effects_summary.csv",
                 "cost_per_entry.csv", "jobs.csv"):
        assert (small_sweep / name).exists(), name


def test_report_defines_its_metrics_and_uses_readable_names(small_sweep):
    from PIL import Image

    if not (small_sweep / "report.md").exists():
        build_sweep_report(small_sweep)
    report = (small_sweep / "report.md").read_text()
    glossary = report.split("## What the numbers mean")[1].split("\n## ")[0]
    for words in ("output units", "mean initial firm", "deadweight", "additional entries",
                  "cost per additional entry", "`-` = not defined", "`*`", "`inf`"):
        assert words in glossary, words
    assert "| Smart specialisation | lagging |" in report
    assert "| smart_specialisation |" not in report
    png = Image.open(small_sweep / "figures" / "effects_synthetic_small.png")
    assert png.info["dpi"][0] == pytest.approx(200, abs=1)
    svg = (small_sweep / "figures" / "effects_synthetic_small.svg").read_text()
    assert "Smart specialisation" in svg and "PCI units" in svg  # labels with units
    cost_svg = (small_sweep / "figures" / "cost_synthetic_small.svg").read_text()
    assert "log scale" in cost_svg
    # full costs and benefits: net benefit, MVPF, established specialisations
    assert "Full costs and benefits" in report and "MVPF" in report
    assert "net benefit, full employment" in glossary
    # shares are clipped to [0, 1] in the tables
    for line in report.splitlines():
        cells = line.split(" | ")
        if (line.startswith(("| Generic subsidy", "| Smart")) and len(cells) > 6
                and cells[1].strip() in {"leading", "intermediate", "lagging", "all"}):
            dw = cells[6]
            if "[" in dw and "-" not in dw.split("[")[1]:
                lo, hi = (float(v) for v in dw.split("[")[1].split("]")[0].split(", "))
                assert 0.0 <= lo <= hi <= 1.0


def test_maps_show_every_seed_with_a_legend_and_product_names(tmp_path):
    from s3sim.report import figures as rf
    from s3sim.space.product_space import ProductSpace

    ps = ProductSpace.synthetic(n_products=60, seed=1)
    share = np.zeros(ps.n_products)
    share[[3, 7, 11]] = [1.0, 0.5, 0.25]
    panel = {"ps": ps, "highlight": list(ps.codes[:10]), "entry_share": share,
             "title": "lagging region X"}
    path = rf.maps_figure([panel, panel], tmp_path / "map_test.png", "t", n_seeds=4)
    svg = path.with_suffix(".svg").read_text()
    assert "subsidised entry in 4 of 4 seeds" in svg and "other products" in svg
    assert f"{ps.names[3][:30]} ({ps.codes[3]}, 4/4)" in svg  # the most frequent is named
    assert f"({ps.codes[11]}, 1/4)" in svg


def test_effect_summary_uses_seeds_as_replications(small_sweep):
    build_sweep_report(small_sweep, report=True)
    effects = pd.read_parquet(small_sweep / "effects.parquet")
    summary = pd.read_csv(small_sweep / "effects_summary.csv")
    row = summary[(summary["arm"] == "smart_specialisation") & (summary["region_type"] == "all")
                  & (summary["metric"] == "additional_entries")].iloc[0]
    per_seed = effects[effects["policy"] == "smart_specialisation"].groupby("seed")[
        "additional_entries"].mean()
    assert row["n_seeds"] == 4
    assert row["mean"] == pytest.approx(per_seed.mean())
    half = stats.t.ppf(0.975, 3) * per_seed.std(ddof=1) / 2
    assert row["ci_high"] - row["mean"] == pytest.approx(half)


def test_t_interval_matches_scipy():
    x = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    m, lo, hi = t_interval(x)
    ref = stats.t.interval(0.95, 4, loc=x.mean(), scale=stats.sem(x))
    assert (m, lo, hi) == pytest.approx((3.0, *ref))
    assert np.isnan(t_interval([1.0])[1])


def test_bootstrap_interval_is_seeded_and_contains_the_mean():
    x = np.random.default_rng(1).normal(2.0, 1.0, 40)
    a, b = bootstrap_interval(x), bootstrap_interval(x)
    assert a == b
    assert a[1] < a[0] < a[2]
    lo_t, hi_t = t_interval(x)[1:]
    assert a[1] == pytest.approx(lo_t, abs=0.1) and a[2] == pytest.approx(hi_t, abs=0.1)


def test_summarize_and_ratio_of_sums():
    df = pd.DataFrame({"seed": [0, 0, 1, 1], "g": ["a"] * 4, "x": [1.0, 3.0, 5.0, 7.0],
                       "budget": [2.0, 2.0, 3.0, 3.0], "entries": [1, 0, 0, 0]})
    s = summarize(df, ["x"], by=["g"])
    assert s.loc[0, "mean"] == 4.0 and s.loc[0, "n_seeds"] == 2
    r = ratio_of_sums(df, "budget", "entries", by=["seed"])
    assert r.iloc[0, 1] == 4.0 and np.isnan(r.iloc[1, 1])
    with pytest.raises(ValueError, match="method"):
        summarize(df, ["x"], by=["g"], method="jackknife")


def test_summarize_equals_the_t_interval_of_each_group():
    from s3sim.stats import t_interval

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"g": rng.choice(["a", "b", "c"], 300), "seed": rng.integers(0, 6, 300),
                       "x": rng.normal(size=300), "y": 2.0})
    df.loc[df["g"] == "c", "seed"] = 0  # one seed: no interval
    s = summarize(df, ["x", "y"], by=["g"]).set_index(["g", "metric"])
    per = df.groupby(["g", "seed"])[["x", "y"]].mean()
    for (g, metric), row in s.iterrows():
        mean, lo, hi = t_interval(per.loc[g, metric].to_numpy())
        np.testing.assert_allclose([row["mean"], row["ci_low"], row["ci_high"]],
                                   [mean, lo, hi], rtol=1e-12)
    assert s.loc[("a", "y"), "ci_low"] == s.loc[("a", "y"), "ci_high"] == 2.0
    assert np.isnan(s.loc[("c", "x"), "ci_low"])


def test_labels_and_markdown():
    df = pd.DataFrame({"policy": ["none", "generic_subsidy"], "scenario": ["a", "a"],
                       "policy.budget_share": [0.01, 0.02]})
    out = add_labels(df, ["scenario", "policy", "policy.budget_share"])
    assert out["context"].tolist() == ["a", "a"]
    assert out["arm"].tolist() == ["none", "generic_subsidy budget_share=0.02"]
    assert fmt_ci(1.0, 0.5, 1.5) == "1 [0.5, 1.5]*"
    assert fmt_ci(1.0, -0.5, 1.5) == "1 [-0.5, 1.5]"
    assert table(pd.DataFrame({"a": [1], "b": ["x|y"]})).splitlines()[2] == "| 1 | x\\|y |"


def test_diffusion_on_a_toy_space():
    phi = np.array([[1, .6, 0, 0], [.6, 1, .4, 0], [0, .4, 1, .7], [0, 0, .7, 1]])
    start = np.array([[1, 0, 0, 0], [0, 0, 0, 1]], dtype=bool)
    assert diffusion_reach(phi, start, 0.5).tolist() == [0.5, 0.5]
    assert diffusion_reach(phi, start, 0.3).tolist() == [1.0, 1.0]
    assert diffusion_reach(phi, start, 0.3, iterations=1).tolist() == [0.5, 0.5]
    assert diffusion_reach(phi, start, 0.3, iterations=2).tolist() == [0.75, 0.75]
    tab = diffusion_table(phi, [0.3, 0.5, 0.8], {"s": start})
    assert tab["s"].tolist() == [1.0, 0.5, 0.25]


def test_entry_regression_recovers_signs():
    rng = np.random.default_rng(0)
    n = 20000
    panel = pd.DataFrame({"density": rng.uniform(0, 1, n), "pci": rng.normal(0, 1, n)})
    logit = -3 + 4 * panel["density"] - 0.5 * panel["pci"]
    panel["entered"] = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    reg = entry_regression(panel).set_index("term")
    assert reg.loc["density (z)", "logit_coef"] == pytest.approx(4 * panel["density"].std(),
                                                                 rel=0.1)
    assert reg.loc["pci (z)", "logit_coef"] < 0 and reg.loc["pci (z)", "lpm_coef"] < 0
    assert (reg["n_clusters"] == n).all()  # no seed/region columns: one cluster per row
    q = quintile_table(panel)
    assert q["entry_probability"].is_monotonic_increasing
    assert q["n"].sum() == n


def test_atlas_diffusion_has_a_transition():
    from s3sim.space.product_space import ProductSpace

    ps = ProductSpace.atlas()
    start = np.zeros((50, ps.n_products), dtype=bool)
    rng = np.random.default_rng(0)
    for s in range(50):
        start[s, rng.choice(ps.n_products, 20, replace=False)] = True
    low = diffusion_reach(ps.proximity, start, 0.3).mean()
    high = diffusion_reach(ps.proximity, start, 0.8).mean()
    assert low > 0.8 and high < 0.3


def test_cost_per_entry_is_one_definition_for_api_and_report():
    from s3sim.experiments.evaluation import cost_per_entry, summarize_effects
    from s3sim.report import cost_summary

    rng = np.random.default_rng(3)
    rows = []
    for seed in range(8):
        for region in range(6):
            rows.append({"seed": seed, "region": region, "policy": "s3",
                         "region_type": "lagging" if region < 3 else "leading",
                         "budget_spent": rng.uniform(5, 10),
                         "additional_entries": int(rng.integers(-1, 4))})
    eff = pd.DataFrame(rows)
    api = summarize_effects(eff).query("metric == 'cost_per_additional_entry'")
    rep = cost_summary(eff, ["policy"])
    for rtype in ("lagging", "leading"):
        a = api[api["region_type"] == rtype].iloc[0]
        r = rep[(rep["region_type"] == rtype) & (rep["arm"] == "s3")].iloc[0]
        sub = eff[eff["region_type"] == rtype]
        # ratio of totals, not a mean of per-seed or per-region ratios
        assert a["mean"] == pytest.approx(sub["budget_spent"].sum()
                                          / sub["additional_entries"].sum())
        assert (a["mean"], a["ci_low"], a["ci_high"]) == pytest.approx(
            (r["mean"], r["ci_low"], r["ci_high"]))
        assert a["ci_low"] < a["mean"] < a["ci_high"]
    # a policy that adds nothing on balance has no cost per entry ("-")
    none = eff.assign(additional_entries=0)
    assert np.isnan(cost_per_entry(none)["mean"].iloc[0])
    assert "cost_per_additional_entry" not in set(summarize_effects(none)["metric"])


def test_ratio_interval_reaches_infinity_when_resamples_add_nothing():
    from s3sim.stats import ratio_interval

    est, lo, hi = ratio_interval([5.0, 5.0, 5.0, 5.0], [3.0, 0.0, -1.0, 0.0])
    assert est == pytest.approx(10.0) and np.isinf(hi) and lo <= est
    a = ratio_interval([1.0, 2.0, 3.0], [1.0, 1.0, 2.0], seed=4)
    assert a == ratio_interval([1.0, 2.0, 3.0], [1.0, 1.0, 2.0], seed=4)


def test_entry_regression_clusters_by_simulated_region():
    """Region-level shocks shared by all of a region's candidates: the clustered standard
    error is several times the naive one, which would overstate the evidence."""
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    n_seeds, n_regions, n_products = 4, 10, 150
    seed, region = np.meshgrid(np.arange(n_seeds), np.arange(n_regions), indexing="ij")
    seed, region = np.repeat(seed.ravel(), n_products), np.repeat(region.ravel(), n_products)
    shock = rng.normal(0, 1.5, n_seeds * n_regions)[seed * n_regions + region]
    dens_region = rng.uniform(0, 1, n_seeds * n_regions)[seed * n_regions + region]
    panel = pd.DataFrame({"seed": seed, "region": region,
                          "density": dens_region + 0.1 * rng.uniform(size=seed.size),
                          "pci": rng.normal(size=seed.size)})
    p = 1 / (1 + np.exp(-(-2 + 2 * panel["density"] + shock)))
    panel["entered"] = rng.uniform(size=len(panel)) < p
    reg = entry_regression(panel).set_index("term")
    assert (reg["n_clusters"] == n_seeds * n_regions).all()
    x = sm.add_constant(np.column_stack([
        (panel["density"] - panel["density"].mean()) / panel["density"].std(ddof=0),
        (panel["pci"] - panel["pci"].mean()) / panel["pci"].std(ddof=0)]))
    naive = sm.Logit(panel["entered"].to_numpy(float), x).fit(disp=0)
    assert reg.loc["density (z)", "logit_coef"] == pytest.approx(naive.params[1])
    assert reg.loc["density (z)", "logit_se"] > 3 * naive.bse[1]


@pytest.fixture(scope="module")
def data_sweep(tmp_path_factory) -> Path:
    """A run that starts from the example data: 2 policies x 3 seeds x 3 years."""
    data = Path(__file__).parents[1] / "s3sim" / "data" / "example_regions.csv"
    root = tmp_path_factory.mktemp("report") / "mine"
    for pol in ("none", "generic_subsidy"):
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose("config", overrides=[
                "scenario=from_data", f"product_space.initial_data={data}",
                "scenario.n_firms=1000", "scenario.steps=3", "replications=3",
                "progress=false", f"policy={pol}", "policy.budget_share=0.01", "name=mine",
                "report.maps=false"])
        run_experiment(cfg, out_dir=root / f"policy={pol}")
    return root


def test_report_has_a_section_per_region_when_starting_from_data(data_sweep, small_sweep):
    build_sweep_report(data_sweep)
    report = (data_sweep / "report.md").read_text()
    section = report.split("## Your region: effects per region")[1].split("\n## ")[0]
    effects = pd.read_parquet(data_sweep / "effects.parquet")
    names = sorted(effects["region_name"].unique())
    assert len(names) == 20
    for name in names:
        rtype = effects.loc[effects["region_name"] == name, "region_type"].iloc[0]
        assert f"### {name} ({rtype})" in section
    # the numbers are that region's paired effects across seeds, with a t interval
    by_region = pd.read_csv(data_sweep / "effects_by_region.csv")
    first = names[0]
    per_seed = effects[effects["region_name"] == first].set_index("seed")["additional_entries"]
    row = by_region[(by_region["region_name"] == first)
                    & (by_region["metric"] == "additional_entries")].iloc[0]
    m, lo, hi = t_interval(per_seed.to_numpy())
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((m, lo, hi))
    block = section.split(f"### {first} ")[1].split("### ")[0]
    assert f"| Generic subsidy | {fmt_ci(m, lo, hi)} |" in block
    assert "additional specialisations over 3 years (95 % CI" in block
    # generated scenarios have no such section
    if not (small_sweep / "report.md").exists():
        build_sweep_report(small_sweep)
    assert "## Your region" not in (small_sweep / "report.md").read_text()
