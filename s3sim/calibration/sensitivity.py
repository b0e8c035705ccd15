r"""Global sensitivity of the policy answer: Morris screening, then Sobol indices (SALib).

The question is whether smart specialisation beats the generic subsidy on equal
budgets. For a parameter set :math:`\theta` the outcome *o* is

.. math:: \Delta_o(\theta) = \frac{1}{S R}\sum_{s, r}
          \big[o^{S3}_{sr}(\theta) - o^{GS}_{sr}(\theta)\big],

the difference of the two arms' paired effects (each against the laissez-faire
baseline on the same seed, :func:`s3sim.experiments.evaluation.paired_effects`),
averaged over regions *r* and the common seeds *s*. Outcomes are effect columns
(``additional_entries``, ``output_gain``, ...); the list is configuration, and
``optional_outcomes`` are used whenever the effects table has them (issue 10 adds
``net_benefit`` and others), so new outcomes need no code change.

Steps (Saltelli et al. 2008, *Global Sensitivity Analysis: The Primer*):

1. Morris elementary effects (:func:`SALib.sample.morris.sample`, ``r`` trajectories,
   4 levels) over every uncertain parameter; :math:`\mu^*` ranks them.
2. Parameters whose :math:`\mu^*` reaches ``screen_threshold`` times the largest
   :math:`\mu^*` of some outcome go on to Sobol (at least ``min_sobol``, at most
   ``max_sobol``); the others stay at their base values.
3. Sobol first-order and total indices with Saltelli's sampling
   (:func:`SALib.sample.sobol.sample`, ``N (k + 2)`` sets, no second order) and
   :func:`SALib.analyze.sobol.analyze` with a fixed, non-zero bootstrap seed (stored in
   ``problem.json``; SALib ignores a seed of 0), so anyone can recompute ``sobol.csv``
   from ``samples.csv`` and ``outputs.csv``.
4. The share of parameter sets in which smart specialisation wins
   (:math:`\Delta_o > 0`), over the plausible set of a calibration when one is given,
   and over uniform Sobol samples of the bounds, of the bounds widened by 50 % and of
   the bounds narrowed by 50 % (around their centres, clipped to valid values).

Parameter sets are spread over worker processes in chunks (``chunk`` sets per task),
never one task per set.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from s3sim.calibration.parameters import ParameterSpace
from s3sim.config import ConfigError, ModelConfig, PolicyConfig
from s3sim.io import atomic_write

__all__ = ["PolicyQuestion", "SensitivityOutcome", "evaluate_sets", "run_sensitivity",
           "salib_problem", "sobol_table"]

log = logging.getLogger(__name__)


def salib_problem(space: ParameterSpace) -> dict[str, Any]:
    """SALib's problem dictionary (``num_vars``, ``names``, ``bounds``)."""
    return {"num_vars": len(space.parameters), "names": space.names, "bounds": space.bounds}


@dataclass(frozen=True)
class PolicyQuestion:
    """Treatment vs comparator on equal budgets, on common seeds, for some outcomes."""

    model: ModelConfig
    treatment: PolicyConfig
    comparator: PolicyConfig
    seeds: tuple[int, ...]
    outcomes: tuple[str, ...] = ("additional_entries", "output_gain")
    optional_outcomes: tuple[str, ...] = ()
    baseline: PolicyConfig = field(default_factory=PolicyConfig)

    def outcome_names(self, available: Sequence[str]) -> list[str]:
        """Configured outcomes plus the optional ones the effects table has."""
        missing = [o for o in self.outcomes if o not in available]
        if missing:
            raise ConfigError(f"sensitivity outcomes {', '.join(missing)} are not effect "
                              f"columns; available: {', '.join(available)}")
        return [*self.outcomes, *[o for o in self.optional_outcomes
                                  if o in available and o not in self.outcomes]]

    def evaluate(self, space: ParameterSpace, values: Sequence[float]) -> dict[str, float]:
        r""":math:`\Delta_o` for every outcome at one parameter set (seed and region mean)."""
        from s3sim.experiments.evaluation import paired_effects
        from s3sim.experiments.simulation import run_simulation

        model, treat = space.apply(values, self.model, self.treatment)
        _, comp = space.apply(values, self.model, self.comparator)
        _, base = space.apply(values, self.model, self.baseline)
        assert treat is not None and comp is not None and base is not None
        b = run_simulation(model, base, self.seeds)
        et = paired_effects(run_simulation(model, treat, self.seeds), b)
        ec = paired_effects(run_simulation(model, comp, self.seeds), b)
        names = self.outcome_names([c for c in et.columns
                                    if pd.api.types.is_numeric_dtype(et[c])])
        keys = ["seed", "region"]
        diff = (et.set_index(keys)[names].astype(float)
                - ec.set_index(keys)[names].astype(float))
        # seed is the replication: average regions within a seed, then seeds
        return {n: float(diff[n].groupby(level="seed").mean().mean()) for n in names}


def _chunk(question: PolicyQuestion, space: ParameterSpace,
           rows: np.ndarray) -> list[dict[str, float]]:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    return [question.evaluate(space, r) for r in rows]


def evaluate_sets(question: PolicyQuestion, space: ParameterSpace, samples: np.ndarray, *,
                  n_jobs: int = 1, chunk: int = 8, progress: bool = True,
                  desc: str = "parameter sets") -> pd.DataFrame:
    """Outcomes for every row of ``samples`` (in order), chunks spread over workers."""
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    samples = np.atleast_2d(samples)
    starts = list(range(0, len(samples), max(chunk, 1)))
    tasks = [delayed(_chunk)(question, space, samples[s:s + chunk]) for s in starts]
    results: dict[int, list[dict[str, float]]] = {}
    bar = tqdm(total=len(samples), desc=desc, unit="set", disable=not progress)
    runner = Parallel(n_jobs=n_jobs, return_as="generator")
    for s, res in zip(starts, runner(tasks), strict=True):
        results[s] = res
        bar.update(len(res))
    bar.close()
    rows = [r for s in starts for r in results[s]]
    return pd.DataFrame(rows)


def sobol_table(problem: dict[str, Any], outputs: pd.DataFrame, *, seed: int,
                num_resamples: int = 100) -> pd.DataFrame:
    """``outcome, parameter, S1, S1_conf, ST, ST_conf`` from SALib's Sobol analysis.

    ``seed`` must be non-zero: SALib 1.6 ignores a zero seed and then bootstraps from
    NumPy's global random state, so the confidence intervals would not be reproducible.
    """
    if not seed:
        raise ValueError("sobol_table needs a non-zero bootstrap seed (SALib ignores 0)")
    from SALib.analyze import sobol

    rows = []
    for outcome in outputs.columns:
        y = outputs[outcome].to_numpy(float)
        if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
            for name in problem["names"]:
                rows.append({"outcome": outcome, "parameter": name, "S1": np.nan,
                             "S1_conf": np.nan, "ST": np.nan, "ST_conf": np.nan})
            continue
        res = sobol.analyze(problem, y, calc_second_order=False,
                            num_resamples=num_resamples, seed=seed)
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": outcome, "parameter": name, "S1": res["S1"][i],
                         "S1_conf": res["S1_conf"][i], "ST": res["ST"][i],
                         "ST_conf": res["ST_conf"][i]})
    return pd.DataFrame(rows)


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    with atomic_write(path) as tmp:
        df.to_csv(tmp, index=False)
    return path


@dataclass
class SensitivityOutcome:
    """Tables and files of a sensitivity study."""

    morris: pd.DataFrame
    sobol: pd.DataFrame
    win_shares: pd.DataFrame
    selected: list[str]
    files: dict[str, Path]
    n_sets: int
    seconds: float

    def message(self) -> str:
        """A short summary for the terminal."""
        return (f"sensitivity: {self.n_sets} parameter sets in {self.seconds:.0f} s; Sobol over "
                f"{', '.join(self.selected)} -> {self.files['sobol'].parent}")


def _fix_others(space: ParameterSpace, keep: list[str],
                base: dict[str, float]) -> tuple[ParameterSpace, dict[str, float]]:
    sub = ParameterSpace(tuple(p for p in space.parameters if p.name in keep))
    fixed = {n: base[n] for n in space.names if n not in keep}
    return sub, fixed


def _full_rows(space: ParameterSpace, sub: ParameterSpace, fixed: dict[str, float],
               x: np.ndarray) -> np.ndarray:
    """Rows over every parameter of ``space`` from rows over ``sub`` plus fixed values."""
    cols = []
    for n in space.names:
        cols.append(x[:, sub.names.index(n)] if n in sub.names else
                    np.full(len(x), fixed[n]))
    return np.column_stack(cols)


def _uniform(space: ParameterSpace, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    m = int(2 ** np.ceil(np.log2(max(n, 1))))
    unit = qmc.Sobol(d=len(space.parameters), scramble=True, seed=seed).random(m)
    return qmc.scale(unit, [p.low for p in space.parameters],
                     [p.high for p in space.parameters])


def _clip_valid(space: ParameterSpace, question: PolicyQuestion) -> ParameterSpace:
    """Bounds moved inside the values the configs accept (e.g. probabilities in [0, 1]).

    A bound the configs reject is replaced by the nearest accepted value found by
    bisection towards the bounds' centre (assumed valid).
    """
    import dataclasses

    def ok(p: Any, v: float) -> bool:
        try:
            ParameterSpace((p,)).apply([v], question.model, question.treatment)
        except ConfigError:
            return False
        return True

    out = []
    for p in space.parameters:
        centre = (p.low + p.high) / 2
        new = []
        for v in (p.low, p.high):
            if not ok(p, v):
                bad, good = v, centre
                for _ in range(50):
                    mid = (bad + good) / 2
                    bad, good = (bad, mid) if ok(p, mid) else (mid, good)
                v = good
            new.append(v)
        out.append(dataclasses.replace(p, low=new[0], high=new[1]))
    return ParameterSpace(tuple(out))


def run_sensitivity(question: PolicyQuestion, space: ParameterSpace, out_dir: str | Path, *,
                    morris_trajectories: int = 4, morris_levels: int = 4,
                    screen_threshold: float = 0.1, min_sobol: int = 2, max_sobol: int = 6,
                    sobol_n: int = 16, share_points: int = 32, bound_factors: Sequence[float]
                    = (1.5, 0.5), plausible_set: str | Path | None = None, seed: int = 0,
                    n_jobs: int = 1, chunk: int = 8, progress: bool = True,
                    num_resamples: int = 100) -> SensitivityOutcome:
    """Run Morris, Sobol and the win shares; write every table into ``out_dir``.

    Files: ``morris_problem.json``, ``morris_samples.csv``, ``morris_outputs.csv``,
    ``morris.csv``; ``problem.json``, ``samples.csv``, ``outputs.csv``, ``sobol.csv``
    (the Sobol step, in SALib's sample order); ``win_shares.csv``; ``summary.json``.
    """
    import time

    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    start = time.perf_counter()
    # SALib's analyze() ignores a seed of 0 (``if seed:``) and then draws its bootstrap
    # from NumPy's global state: always pass a non-zero bootstrap seed
    boot = seed + 1
    out = Path(out_dir).absolute()
    out.mkdir(parents=True, exist_ok=True)
    space.validate(question.model, question.treatment)
    base = {}
    for p in space.parameters:
        obj = question.model if p.group == "scenario" else question.treatment
        base[p.name] = float(getattr(obj, p.field))
    kw = {"n_jobs": n_jobs, "chunk": chunk, "progress": progress}
    files: dict[str, Path] = {}
    n_sets = 0

    # ---- 1. Morris screening over every parameter
    mp = salib_problem(space)
    xm = morris_sample.sample(mp, N=morris_trajectories, num_levels=morris_levels, seed=seed)
    ym = evaluate_sets(question, space, xm, desc="Morris screening", **kw)
    n_sets += len(xm)
    with atomic_write(out / "morris_problem.json") as tmp:
        tmp.write_text(json.dumps(mp, indent=2))
    files["morris_samples"] = _write_csv(pd.DataFrame(xm, columns=mp["names"]),
                                         out / "morris_samples.csv")
    files["morris_outputs"] = _write_csv(ym, out / "morris_outputs.csv")
    mrows = []
    for outcome in ym.columns:
        res = morris_analyze.analyze(mp, xm, ym[outcome].to_numpy(float),
                                     num_levels=morris_levels, seed=boot,
                                     num_resamples=num_resamples)
        for i, name in enumerate(mp["names"]):
            mrows.append({"outcome": outcome, "parameter": name, "mu": res["mu"][i],
                          "mu_star": res["mu_star"][i], "sigma": res["sigma"][i],
                          "mu_star_conf": res["mu_star_conf"][i]})
    morris = pd.DataFrame(mrows)
    files["morris"] = _write_csv(morris, out / "morris.csv")

    # ---- 2. screening: who matters for some outcome
    rel = morris.assign(rel=morris["mu_star"] / morris.groupby("outcome")["mu_star"]
                        .transform("max"))
    score = rel.groupby("parameter")["rel"].max().reindex(space.names).fillna(0)
    order = score.sort_values(ascending=False)
    selected = [n for n in order.index if order[n] >= screen_threshold][:max_sobol]
    for n in order.index:
        if len(selected) >= min(min_sobol, len(space.names)):
            break
        if n not in selected:
            selected.append(n)
    selected = [n for n in space.names if n in selected]

    # ---- 3. Sobol over the selected parameters (the others at their base values)
    sub, fixed = _fix_others(space, selected, base)
    sp = salib_problem(sub)
    xs = sobol_sample.sample(sp, sobol_n, calc_second_order=False, seed=seed)
    ys = evaluate_sets(question, space, _full_rows(space, sub, fixed, xs), desc="Sobol", **kw)
    n_sets += len(xs)
    with atomic_write(out / "problem.json") as tmp:
        tmp.write_text(json.dumps({**sp, "fixed": fixed, "calc_second_order": False,
                                   "seed": boot, "sample_seed": seed,
                                   "num_resamples": num_resamples, "N": sobol_n}, indent=2))
    files["problem"] = out / "problem.json"
    files["samples"] = _write_csv(pd.DataFrame(xs, columns=sp["names"]), out / "samples.csv")
    files["outputs"] = _write_csv(ys, out / "outputs.csv")
    sob = sobol_table(sp, ys, seed=boot, num_resamples=num_resamples)
    files["sobol"] = _write_csv(sob, out / "sobol.csv")

    # ---- 4. where does smart specialisation win?
    shares = []
    k = len(sp["names"]) + 2
    ab = np.concatenate([np.arange(0, len(xs), k), np.arange(k - 1, len(xs), k)])
    shares.append(_share_rows("Sobol A/B sample within the bounds (selected parameters "
                              "varied, others at base)", 1.0, ys.iloc[ab]))
    for factor in bound_factors:
        scaled = _clip_valid(space.scaled(factor), question)
        x = _uniform(scaled, share_points, seed + 1)
        y = evaluate_sets(question, scaled, x, desc=f"bounds x{factor:g}", **kw)
        n_sets += len(x)
        _write_csv(pd.concat([pd.DataFrame(x, columns=scaled.names), y], axis=1),
                   out / f"share_samples_x{factor:g}.csv")
        shares.append(_share_rows(f"uniform over every parameter, bounds x{factor:g}",
                                  factor, y))
    if plausible_set is not None:
        x, names = _plausible_rows(space, Path(plausible_set), share_points, seed + 2)
        y = evaluate_sets(question, space, x, desc="plausible set", **kw)
        n_sets += len(x)
        _write_csv(pd.concat([pd.DataFrame(x, columns=space.names), y], axis=1),
                   out / "share_samples_plausible.csv")
        shares.append(_share_rows(f"calibrated plausible set ({', '.join(names)} from it; "
                                  "other parameters uniform in their bounds)", 1.0, y))
    win = pd.concat(shares, ignore_index=True)
    files["win_shares"] = _write_csv(win, out / "win_shares.csv")
    seconds = time.perf_counter() - start
    with atomic_write(out / "summary.json") as tmp:
        tmp.write_text(json.dumps({
            "n_parameter_sets": n_sets, "seconds": seconds,
            "sets_per_hour": n_sets / seconds * 3600, "n_jobs": n_jobs,
            "seeds": list(question.seeds), "selected_for_sobol": selected,
            "morris_score": score.to_dict(), "outcomes": list(ys.columns),
        }, indent=2))
    files["summary"] = out / "summary.json"
    return SensitivityOutcome(morris, sob, win, selected, files, n_sets, seconds)


def _share_rows(sample: str, factor: float, y: pd.DataFrame) -> pd.DataFrame:
    from scipy.stats import binomtest

    rows = []
    for o in y.columns:
        v = y[o].to_numpy(float)
        v = v[np.isfinite(v)]
        wins = int((v > 0).sum())
        ci = binomtest(wins, len(v)).proportion_ci() if len(v) else None
        rows.append({"sample": sample, "bound_factor": factor, "outcome": o, "n_sets": len(v),
                     "win_share": wins / len(v) if len(v) else np.nan,
                     "ci_low": ci.low if ci else np.nan, "ci_high": ci.high if ci else np.nan,
                     "mean_difference": float(v.mean()) if len(v) else np.nan})
    return pd.DataFrame(rows)


def _plausible_rows(space: ParameterSpace, path: Path, n: int,
                    seed: int) -> tuple[np.ndarray, list[str]]:
    """Rows: plausible points (their parameters) + uniform draws for the rest."""
    if not path.exists():
        raise ConfigError(f"plausible_set: file not found: '{path}'; run the calibration "
                          "first (plausible_set.csv in its folder) or set it to null")
    ps = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    shared = [n_ for n_ in space.names if n_ in ps.columns]
    if ps.empty or not shared:
        raise ConfigError(f"plausible_set {path}: empty or shares no parameter with the "
                          "sensitivity study")
    rng = np.random.default_rng(seed)
    pick = ps.iloc[rng.choice(len(ps), size=min(n, len(ps)), replace=False)]
    rows = np.column_stack([
        pick[name].to_numpy(float) if name in shared
        else rng.uniform(p.low, p.high, size=len(pick))
        for name, p in zip(space.names, space.parameters, strict=True)])
    return rows, shared
