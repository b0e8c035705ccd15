"""Outputs of a calibration: tables, the calibrated scenario and figures.

Files written into the study folder:

``trials.csv``
    every complete trial of both studies (parameters, loss, moment means and seed SDs,
    implausibilities);
``plausible_set.csv`` / ``plausible_set.parquet``
    the design points with implausibility <= 3 on every moment;
``moments.csv``
    at the calibrated point: target, kind, tolerance (3 observational SDs; for sign
    targets the sign), simulated mean and seed SD, implausibility, within tolerance;
``calibrated.yaml``
    the point as a Hydra scenario (copy to ``s3sim/conf/scenario/`` to use it as
    ``scenario=calibrated``);
``summary.json``
    counts, best loss, weights, seeds;
``figures/convergence.{png,svg}``, ``figures/identification.{png,svg}`` (the design,
    pairwise, coloured by implausibility) and ``figures/tradeoffs.{png,svg}`` with
    ``tradeoffs.csv`` (chosen pairs: every trial coloured by loss; Spearman correlation
    of the two parameters among the best quarter of trials, a ridge measure).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from s3sim.calibration.evaluate import PENALTY, CalibrationProblem
from s3sim.config import ModelConfig
from s3sim.io import atomic_write

__all__ = ["moments_table", "scenario_yaml", "write_outputs"]


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    with atomic_write(path) as tmp:
        df.to_csv(tmp, index=False)
    return path


def _save(fig: Figure, base: Path) -> list[Path]:
    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in ("png", "svg"):
        p = base.with_suffix(f".{ext}")
        with atomic_write(p) as tmp:
            fig.savefig(tmp, dpi=110, format=ext)
        out.append(p)
    return out


def moments_table(problem: CalibrationProblem, row: pd.Series, n_seeds: int) -> pd.DataFrame:
    """Target vs simulated moments at one trial (a row of the trials table)."""
    t = problem.targets.table
    out = []
    for _, r in t.iterrows():
        m = r["moment"]
        mean, sd = row.get(f"mean:{m}", np.nan), row.get(f"sd:{m}", np.nan)
        imp = row.get(f"implausibility:{m}", np.nan)
        sign = r["kind"] == "sign"
        out.append({
            "target_id": r["target_id"], "moment": m, "kind": r["kind"],
            "target": ("> 0" if float(r["value"]) > 0 else "< 0") if sign else float(r["value"]),
            "tolerance": "sign" if sign else 3 * float(r["uncertainty"]),
            "simulated_mean": mean, "seed_sd": sd, "n_seeds": n_seeds,
            "implausibility": imp,
            "within_tolerance": bool(np.isfinite(imp) and imp <= 3.0),
            "status": r["status"], "source": r["source"],
        })
    return pd.DataFrame(out)


def scenario_yaml(model: ModelConfig, values: dict[str, float], header: list[str],
                  product_space_option: str | None = None) -> str:
    """A Hydra scenario file: the base scenario's non-default fields plus the point.

    ``product_space_option`` is the ``product_space`` config group option the study used
    (e.g. ``synthetic_small``); by default the model's product space name.
    """
    calibrated = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("scenario.")}
    default = ModelConfig()
    lines = [f"# {h}" for h in header]
    defaults = ["defaults:", "  - /schema/scenario@_here_"]
    # the horizon is a property of the experiment, not of the economy
    ps_fields = ("product_space", "synthetic_products", "initial_data", "initial_year",
                 "steps", "agent_objects")
    option = product_space_option or model.product_space
    if option != default.product_space:
        defaults.append(f"  - override /product_space@_global_.product_space: {option}")
    lines += [*defaults, "  - _self_", "name: calibrated"]
    for f in dataclasses.fields(ModelConfig):
        if f.name in ps_fields:
            continue
        v = calibrated.get(f.name, getattr(model, f.name))
        if f.name in calibrated or v != getattr(default, f.name):
            if isinstance(v, float):
                v = float(f"{v:.4g}")
            if isinstance(v, tuple):
                v = list(v)
            mark = "   # calibrated" if f.name in calibrated else ""
            lines.append(f"{f.name}: {json.dumps(v)}{mark}")
    return "\n".join(lines) + "\n"


def _convergence_figure(trials: pd.DataFrame, path: Path) -> list[Path]:
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for label, marker in (("explore", "."), ("optimise", "o")):
        t = trials[(trials["study"] == label) & (trials["loss"] < PENALTY)].sort_values("trial")
        if t.empty:
            continue
        ax.plot(t["trial"], t["loss"], marker, ms=3, alpha=0.5,
                label=f"{label}: loss of each trial")
        ax.plot(t["trial"], t["loss"].cummin(), "-", lw=1.5, label=f"{label}: best so far")
    ax.set_yscale("log")
    ax.set_xlabel("trial number (within its study)")
    ax.set_ylabel("SMM loss  sum_k w_k e_k^2  (log scale)")
    ax.set_title("Calibration convergence: Sobol design and optimiser", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def _identification_figure(trials: pd.DataFrame, names: list[str], pairs: list[list[str]],
                           best: dict[str, float], path: Path, cutoff: float) -> list[Path]:
    design = trials[trials["study"] == "explore"]
    imp = np.minimum(design["max_implausibility"].to_numpy(float), 3 * cutoff)
    plaus = design["max_implausibility"] <= cutoff
    all_pairs = [[a, b] for i, a in enumerate(names) for b in names[i + 1:]]
    chosen = [p for p in pairs if p[0] in names and p[1] in names] or all_pairs[:1]
    rest = [p for p in all_pairs if p not in chosen and p[::-1] not in chosen]
    panels = chosen + rest
    ncol = min(3, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    fig = Figure(figsize=(4.2 * ncol, 3.6 * nrow))
    axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
    sc = None
    for ax, (a, b) in zip(axes, panels, strict=False):
        sc = ax.scatter(design[a], design[b], c=imp, cmap="viridis_r", s=14, vmin=0,
                        vmax=3 * cutoff)
        ax.scatter(design.loc[plaus, a], design.loc[plaus, b], facecolors="none",
                   edgecolors="red", s=40, lw=1, label=f"plausible (max I <= {cutoff:g})")
        if a in best and b in best:
            ax.plot(best[a], best[b], "k*", ms=12, label="calibrated point")
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="best")
    if sc is not None:
        fig.colorbar(sc, ax=list(axes[:len(panels)]), label="max implausibility (clipped)")
    fig.suptitle("Identification: history-matching design, pairwise (red = plausible)",
                 fontsize=10)
    return _save(fig, path)


def _tradeoff_figure(trials: pd.DataFrame, pairs: list[list[str]], best: dict[str, float],
                     path: Path) -> tuple[list[Path], pd.DataFrame]:
    """Every trial on the chosen pairs, coloured by log10 loss; ridge correlations.

    A ridge of low loss along a line means the moments identify a combination of the
    two parameters, not each one: the Spearman correlation of the two parameters among
    the best quarter of the trials measures it (near 0: no trade-off).
    """
    from scipy.stats import spearmanr

    ok = trials[trials["loss"] < PENALTY]
    good = ok[ok["loss"] <= ok["loss"].quantile(0.25)]
    rows = []
    fig = Figure(figsize=(4.6 * max(len(pairs), 1), 4.0))
    axes = np.atleast_1d(fig.subplots(1, max(len(pairs), 1)))
    for ax, (a, b) in zip(axes, pairs, strict=False):
        sc = ax.scatter(ok[a], ok[b], c=np.log10(ok["loss"]), cmap="viridis", s=16)
        ax.plot(best[a], best[b], "r*", ms=12, label="calibrated point")
        rho = float(spearmanr(good[a], good[b]).statistic) if len(good) > 2 else np.nan
        rows.append({"parameter_a": a, "parameter_b": b, "spearman_best_quarter": rho,
                     "n_best_quarter": len(good)})
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.set_title(f"best quarter of trials: Spearman {rho:+.2f}", fontsize=9)
        ax.grid(alpha=0.3)
        fig.colorbar(sc, ax=ax, label="log10 SMM loss")
    axes[0].legend(fontsize=7)
    fig.suptitle("Pairwise trade-offs: all trials (design + optimiser)", fontsize=10)
    fig.tight_layout()
    return _save(fig, path), pd.DataFrame(rows)


def write_outputs(problem: CalibrationProblem, out: Path, *, explore: Any, optimise: Any,
                  pairs: list[list[str]], cutoff: float,
                  product_space_option: str | None = None) -> Any:
    """Gather both studies and write every output file; returns a CalibrationOutcome."""
    from s3sim.calibration.calibrate import CalibrationOutcome, trials_table

    names = problem.space.names
    trials = pd.concat([trials_table(explore, "explore", names),
                        trials_table(optimise, "optimise", names)], ignore_index=True)
    if trials.empty:
        raise RuntimeError(f"{out}: no complete trial to report")
    files: dict[str, Path] = {}
    files["trials"] = _write_csv(trials, out / "trials.csv")
    design = trials[trials["study"] == "explore"]
    plausible = design[design["max_implausibility"] <= cutoff].reset_index(drop=True)
    files["plausible_csv"] = _write_csv(plausible, out / "plausible_set.csv")
    with atomic_write(out / "plausible_set.parquet") as tmp:
        plausible.to_parquet(tmp, index=False)
    files["plausible_parquet"] = out / "plausible_set.parquet"
    ok = trials[np.isfinite(trials["loss"]) & trials["error"].isna()]
    best_row = (ok if not ok.empty else trials).sort_values("loss").iloc[0]
    best = {n: float(best_row[n]) for n in names}
    moments = moments_table(problem, best_row, len(problem.seeds))
    files["moments"] = _write_csv(moments, out / "moments.csv")
    header = [
        "Calibrated scenario written by s3sim's calibration (s3sim/calibration).",
        f"Best of {len(trials)} trials ({(trials['study'] == 'explore').sum()} Sobol design "
        f"points + {(trials['study'] == 'optimise').sum()} optimiser trials), "
        f"{len(problem.seeds)} common seeds per trial; SMM loss {float(best_row['loss']):.4g}.",
        f"Moments within tolerance: {int(moments['within_tolerance'].sum())} of "
        f"{len(moments)} (see moments.csv next to the study).",
        f"Moments measured on {problem.model.steps}-year runs (burn-in {problem.burn_in}, "
        f"{problem.window}-year windows); steps is left to the experiment.",
    ]
    with atomic_write(out / "calibrated.yaml") as tmp:
        tmp.write_text(scenario_yaml(problem.model, best, header, product_space_option))
    files["scenario"] = out / "calibrated.yaml"
    figs = out / "figures"
    files["convergence"] = _convergence_figure(trials, figs / "convergence")[0]
    files["identification"] = _identification_figure(trials, names, pairs, best,
                                                     figs / "identification", cutoff)[0]
    chosen = [p for p in pairs if p[0] in names and p[1] in names] or \
        [[names[0], names[1]]] if len(names) > 1 else []
    if chosen:
        paths, ridges = _tradeoff_figure(trials, chosen, best, figs / "tradeoffs")
        files["tradeoffs"] = paths[0]
        files["tradeoffs_csv"] = _write_csv(ridges, out / "tradeoffs.csv")
    summary = {
        "n_trials": len(trials), "n_design": int((trials["study"] == "explore").sum()),
        "n_optimiser": int((trials["study"] == "optimise").sum()),
        "n_plausible": len(plausible), "best_loss": float(best_row["loss"]),
        "best_study": str(best_row["study"]), "best": best,
        "weights": {k: float(v) for k, v in problem.weights.items()},
        "seeds": list(problem.seeds), "parameters": problem.space.bounds,
        "parameter_names": names,
        "median_trial_seconds": float(trials["seconds"].median())
        if "seconds" in trials else None,
    }
    with atomic_write(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2))
    files["summary"] = out / "summary.json"
    return CalibrationOutcome(trials, best, float(best_row["loss"]), moments, plausible, files)
