"""Validation report: the stylized facts a credible model reproduces without being told to.

Three checks, computed from the baseline (``none``) jobs of a sweep:

Principle of relatedness (Hidalgo et al. 2007; Hidalgo et al. 2018)
    Among (region, product) pairs without RCA at the start of a window of
    ``window`` years, the share that has RCA >= 1 at its end, by quintile of the
    relatedness density ``d_rp = sum_q M_rq phi_pq / sum_q phi_pq`` at the start.
    It should rise steeply with density.

Diversification dilemma (Balland, Boschma, Crespo & Rigby 2019)
    A logit and a linear probability model (``statsmodels`` ``Logit`` and ``OLS``) of
    entry on standardised density and standardised PCI, with cluster-robust standard
    errors (Liang & Zeger 1986; Cameron & Miller 2015) clustered by (seed, region): the
    candidate products of one simulated region share its shocks across products and
    windows, so naive standard errors would be far too small. Regions of the same seed
    also interact through the world market; clustering by seed alone would capture that
    but leaves only a handful of clusters. Expected: density raises entry, complexity
    lowers it.

Product-space diffusion threshold (Hidalgo et al. 2007, Fig. 4)
    From a starting set of products, repeatedly add every product whose proximity to
    a product already held is >= ``threshold``. The share of the space eventually
    reached is the share covered by the connected components (of the graph with
    edges ``phi >= threshold``) that contain a starting product. Starting sets: random
    sets of products, and the initial portfolios of a lagging and of a leading region.
    Expected: most of the space is reached at low thresholds and little at high ones,
    with an abrupt transition (Hidalgo et al. locate it between 0.55 and 0.65).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from s3sim.report.markdown import fmt, table

__all__ = [
    "diffusion_reach",
    "diffusion_table",
    "entry_panel",
    "entry_regression",
    "quintile_table",
    "validation_section",
]


def diffusion_reach(proximity: ArrayLike, start: NDArray[np.bool_], threshold: float,
                    iterations: int | None = None) -> NDArray[np.float64]:
    """Share of the product space reached from each starting set.

    Parameters
    ----------
    proximity : array_like, shape (P, P)
        Symmetric proximity matrix ``phi``.
    start : ndarray of bool, shape (S, P)
        One starting set per row.
    threshold : float
        A product is added when its proximity to a held product is >= ``threshold``.
    iterations : int, optional
        Number of diffusion rounds; ``None`` (default) runs to convergence, which is
        the union of the connected components containing the starting products.

    Returns
    -------
    ndarray, shape (S,)
        Share of the ``P`` products held at the end (starting products included).

    Examples
    --------
    A path 0 - 1 - 2 with proximities 0.6 and 0.4 and an isolated product 3:

    >>> phi = np.array([[1, .6, 0, 0], [.6, 1, .4, 0], [0, .4, 1, 0], [0, 0, 0, 1]])
    >>> start = np.array([[True, False, False, False]])
    >>> diffusion_reach(phi, start, 0.5).tolist(), diffusion_reach(phi, start, 0.3).tolist()
    ([0.5], [0.75])
    """
    phi = np.asarray(proximity, dtype=float)
    adj = phi >= threshold
    np.fill_diagonal(adj, False)
    start = np.atleast_2d(np.asarray(start, dtype=bool))
    n_products = phi.shape[0]
    if iterations is None:
        _, labels = connected_components(csr_matrix(adj), directed=False)
        reached = np.zeros_like(start)
        for s in range(start.shape[0]):
            comps = np.unique(labels[start[s]])
            reached[s] = np.isin(labels, comps)
        return reached.sum(axis=1) / n_products
    held = start.astype(np.float32)
    a = adj.astype(np.float32)
    for _ in range(iterations):
        held = np.maximum(held, (held @ a > 0).astype(np.float32))
    return held.sum(axis=1) / n_products


def diffusion_table(proximity: ArrayLike, thresholds: Sequence[float],
                    starts: dict[str, NDArray[np.bool_]]) -> pd.DataFrame:
    """Mean share reached (to convergence) per threshold and kind of starting set."""
    rows = []
    for thr in thresholds:
        row: dict[str, Any] = {"threshold": float(thr)}
        for name, start in starts.items():
            row[name] = float(diffusion_reach(proximity, start, thr).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def entry_panel(presence: pd.DataFrame, regions: pd.DataFrame, proximity: ArrayLike,
                pci: ArrayLike, window: int = 5) -> pd.DataFrame:
    """Candidate (seed, window, region, product) rows with density, PCI and entry.

    Parameters
    ----------
    presence : pandas.DataFrame
        ``seed, step, region, product`` rows with RCA >= 1.
    regions : pandas.DataFrame
        The regions table (for ``region_type`` at step 0).
    window : int
        Years between the start and the end of a window (non-overlapping windows).
    """
    phi = np.asarray(proximity, dtype=float)
    col_sums = phi.sum(axis=0)
    col_sums[col_sums == 0] = 1.0
    pci = np.asarray(pci, dtype=float)
    types = (regions[regions["step"] == regions["step"].min()]
             .drop_duplicates(["seed", "region"]).set_index(["seed", "region"])["region_type"])
    n_products = phi.shape[0]
    frames = []
    for seed, grp in presence.groupby("seed"):
        steps = int(regions.loc[regions["seed"] == seed, "step"].max())
        n_regions = int(regions.loc[regions["seed"] == seed, "region"].max()) + 1
        m = np.zeros((steps + 1, n_regions, n_products), dtype=bool)
        m[grp["step"].to_numpy(), grp["region"].to_numpy(), grp["product"].to_numpy()] = True
        for t in range(0, steps - window + 1, window):
            dens = (m[t].astype(float) @ phi) / col_sums
            r_idx, p_idx = np.nonzero(~m[t])
            frames.append(pd.DataFrame({
                "seed": seed, "start": t, "region": r_idx, "product": p_idx,
                "density": dens[r_idx, p_idx], "pci": pci[p_idx],
                "entered": m[t + window][r_idx, p_idx],
            }))
    panel = pd.concat(frames, ignore_index=True)
    panel["region_type"] = types.reindex(
        pd.MultiIndex.from_arrays([panel["seed"], panel["region"]])).to_numpy()
    return panel


def quintile_table(panel: pd.DataFrame) -> pd.DataFrame:
    """Entry probability by relatedness-density quintile (pooled over the panel)."""
    q = pd.qcut(panel["density"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    g = panel.assign(quintile=q).groupby("quintile", observed=True)
    out = g.agg(density_min=("density", "min"), density_max=("density", "max"),
                n=("entered", "size"), entry_probability=("entered", "mean")).reset_index()
    out["quintile"] = out["quintile"].astype(int)
    return out


def entry_regression(panel: pd.DataFrame) -> pd.DataFrame:
    """Logit and linear probability model of entry on standardised density and PCI.

    ``statsmodels`` ``Logit`` and ``OLS`` with cluster-robust (CR1) standard errors;
    clusters are the (seed, region) pairs when the panel has ``seed`` and ``region``
    columns, otherwise each row (heteroskedasticity-robust, HC1).

    Returns
    -------
    pandas.DataFrame
        ``term, logit_coef, logit_se, lpm_coef, lpm_se, n, n_clusters``.
    """
    import statsmodels.api as sm

    def z(v: pd.Series) -> np.ndarray:
        x = v.to_numpy(float)
        return (x - x.mean()) / x.std()

    x = pd.DataFrame({"intercept": 1.0, "density (z)": z(panel["density"]),
                      "pci (z)": z(panel["pci"])})
    y = panel["entered"].to_numpy(float)
    if {"seed", "region"} <= set(panel.columns):
        groups = panel.groupby(["seed", "region"], sort=False).ngroup().to_numpy()
        cov: dict[str, Any] = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
        n_clusters = int(groups.max()) + 1
    else:
        cov = {"cov_type": "HC1"}
        n_clusters = len(y)
    logit = sm.Logit(y, x).fit(disp=0, **cov)
    ols = sm.OLS(y, x).fit(**cov)
    return pd.DataFrame({"term": list(x.columns), "logit_coef": logit.params.to_numpy(),
                         "logit_se": logit.bse.to_numpy(), "lpm_coef": ols.params.to_numpy(),
                         "lpm_se": ols.bse.to_numpy(), "n": len(y),
                         "n_clusters": n_clusters})


def _figures(quint: pd.DataFrame, diff: pd.DataFrame, figdir: Path) -> list[Path]:
    from s3sim.report.figures import _save

    out = []
    fig = Figure(figsize=(6.5, 3.8))
    ax = fig.subplots()
    for scen, q in quint.groupby("scenario"):
        ax.plot(q["quintile"], 100 * q["entry_probability"], "o-", label=scen)
    ax.set_xlabel("relatedness-density quintile (1 = least related)")
    ax.set_ylabel("entry probability over the window (%)")
    ax.set_title("Principle of relatedness: entry by density quintile (baseline runs)",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.append(_save(fig, figdir / "validation_entry_by_density.png"))

    fig = Figure(figsize=(6.5, 3.8))
    ax = fig.subplots()
    for col in [c for c in diff.columns if c != "threshold"]:
        ax.plot(diff["threshold"], 100 * diff[col], "o-", ms=3, label=col)
    ax.axvspan(0.55, 0.65, color="grey", alpha=0.15, label="Hidalgo et al. 2007: 0.55-0.65")
    ax.set_xlabel("proximity threshold")
    ax.set_ylabel("share of the product space reached (%)")
    ax.set_title("Product-space diffusion from starting sets (to convergence)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.append(_save(fig, figdir / "validation_diffusion.png"))
    return out


def validation_section(sweep_dir: Path, jobs: list[Any], figdir: Path) -> list[str]:
    """Compute the stylized facts from the sweep's ``none`` jobs; Markdown lines.

    Also writes ``validation_quintiles.csv``, ``validation_regression.csv`` and
    ``validation_diffusion.csv`` into ``sweep_dir``.
    """
    from s3sim.io import atomic_write
    from s3sim.space.product_space import ProductSpace

    base = [j for j in jobs if j.status == "done" and j.params.get("policy.name") == "none"]
    if not base:
        return ["## Validation", "", "No completed `none` job: nothing to validate.", ""]
    window = 5
    quints, regs, diff_frames = [], [], []
    for job in base:
        scen = str(job.params.get("scenario.name"))
        rdir = job.result_dir
        ps = ProductSpace.load(rdir / "product_space.parquet")
        regions = pd.read_parquet(rdir / "regions.parquet")
        presence = pd.read_parquet(rdir / "presence.parquet")
        panel = entry_panel(presence, regions, ps.proximity, ps.pci, window=window)
        quints.append(quintile_table(panel).assign(scenario=scen))
        regs.append(entry_regression(panel).assign(scenario=scen))
        if diff_frames:
            continue  # the diffusion experiment depends only on the product space
        thresholds = [float(t) for t in job.params.get("report.thresholds", "[]").strip("[]")
                      .split(",") if t.strip()] or [round(0.5 + 0.01 * i, 2) for i in range(21)]
        n_sets = int(job.params.get("report.diffusion_sets", 200))
        rng = np.random.default_rng(0)
        first = presence[(presence["seed"] == presence["seed"].min()) & (presence["step"] == 0)]
        types = regions[(regions["seed"] == regions["seed"].min()) & (regions["step"] == 0)]
        starts: dict[str, NDArray[np.bool_]] = {}
        for rtype in ("lagging", "leading"):
            ids = types.loc[types["region_type"] == rtype, "region"].to_numpy()
            if ids.size:
                m = np.zeros((ids.size, ps.n_products), dtype=bool)
                for i, r in enumerate(ids):
                    m[i, first.loc[first["region"] == r, "product"].to_numpy()] = True
                starts[f"{rtype} regions' initial portfolios"] = m
        # random sets as large as the smallest (lagging) portfolios
        k = int(min(s.sum(axis=1).mean() for s in starts.values())) if starts else 20
        rand = np.zeros((n_sets, ps.n_products), dtype=bool)
        for s in range(n_sets):
            rand[s, rng.choice(ps.n_products, size=max(k, 1), replace=False)] = True
        starts = {f"random sets of {k} products": rand, **starts}
        diff_frames.append(diffusion_table(ps.proximity, thresholds, starts))
    quint = pd.concat(quints, ignore_index=True)
    reg = pd.concat(regs, ignore_index=True)
    diff = diff_frames[0]
    for name, df in (("validation_quintiles.csv", quint), ("validation_regression.csv", reg),
                     ("validation_diffusion.csv", diff)):
        with atomic_write(sweep_dir / name) as tmp:
            df.to_csv(tmp, index=False)
    figs = _figures(quint, diff, figdir)

    md = ["## Validation: stylized facts", "",
          f"Baseline (`none`) runs; windows of {window} years, non-overlapping; candidates "
          "are (region, product) pairs without RCA at the window's start; entry = RCA >= 1 "
          "at its end.", "", "### Principle of relatedness: entry probability by "
          "relatedness-density quintile", ""]
    wide = quint.pivot(index="quintile", columns="scenario", values="entry_probability")
    wide = (100 * wide).round(2).reset_index()
    wide.columns = ["density quintile", *[f"{c} (%)" for c in wide.columns[1:]]]
    md += [table(wide), "", f"![entry by density](figures/{figs[0].name}) "
           f"([SVG](figures/{figs[0].with_suffix('.svg').name}))", "",
           "### Diversification dilemma: entry on density and complexity", "",
           "Standardised regressors (z-scores over the panel); logit coefficients and "
           "linear-probability-model (LPM) coefficients, each with its cluster-robust "
           "standard error in brackets (statsmodels, clustered by simulated region, i.e. "
           "by (seed, region)). Expected: density > 0, PCI < 0.", ""]
    rows = []
    for _, r in reg.iterrows():
        rows.append({"scenario": r["scenario"], "term": r["term"],
                     "logit": f"{fmt(r['logit_coef'])} ({fmt(r['logit_se'], 2)})",
                     "LPM": f"{fmt(r['lpm_coef'])} ({fmt(r['lpm_se'], 2)})", "n": int(r["n"]),
                     "clusters": int(r["n_clusters"])})
    md += [table(pd.DataFrame(rows)), "",
           "### Product-space diffusion threshold (Hidalgo et al. 2007)", "",
           "Share of the product space reached from each kind of starting set when "
           "diffusion follows only links with proximity >= threshold (to convergence).", ""]
    show = diff.copy()
    for c in show.columns[1:]:
        show[c] = (100 * show[c]).round(1)
    show.columns = ["threshold", *[f"{c} (%)" for c in show.columns[1:]]]
    md += [table(show), "", f"![diffusion](figures/{figs[1].name}) "
           f"([SVG](figures/{figs[1].with_suffix('.svg').name}))", ""]
    return md
