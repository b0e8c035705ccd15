"""Confidence intervals across seeds: the one home for intervals in s3sim.

The independent replication is the seed: a policy run and its baseline share a
seed (common random numbers), so the paired difference per seed is one
observation, and regions of the same seed are averaged (or summed) first (they
interact through the world market and are not independent).

Intervals come from :mod:`scipy.stats`:

* Student t (:func:`t_interval`, ``scipy.stats.t.interval``):
  ``mean +/- t_{1-a/2, n-1} * sd / sqrt(n)``; exact for normal differences, good
  for n >= 20 under mild skew.
* Percentile bootstrap (:func:`bootstrap_interval`, ``scipy.stats.bootstrap``;
  Efron & Tibshirani 1993, ch. 13): quantiles of the mean over ``n_boot``
  resamples of the seeds with replacement; no normality assumption, slightly too
  narrow for small n. Seeded, so reports are reproducible.
* Ratio of totals with a paired seed bootstrap (:func:`ratio_interval`): the
  cost per additional entry (:func:`s3sim.experiments.evaluation.cost_per_entry`).

References
----------
.. [1] Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap.
   Chapman & Hall, ch. 13 (percentile intervals).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as _stats

__all__ = ["bootstrap_interval", "ratio_interval", "ratio_of_sums", "summarize", "t_interval"]


def _non_nan(values: ArrayLike) -> tuple[np.ndarray, float]:
    """The values without NaNs, and their mean (NaN when none is left)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    return x, float(x.mean()) if x.size else np.nan


def t_interval(values: ArrayLike, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval (``scipy.stats.t.interval``).

    Parameters
    ----------
    values : array_like
        One value per independent replication (NaNs are dropped).
    confidence : float, default 0.95

    Returns
    -------
    mean, low, high : float
        ``low = high = mean`` when all values are equal; NaN bounds when n < 2.

    Examples
    --------
    >>> m, lo, hi = t_interval([1.0, 2.0, 3.0])
    >>> round(m, 3), round(lo, 3), round(hi, 3)
    (2.0, -0.484, 4.484)
    """
    x, mean = _non_nan(values)
    n = x.size
    if n < 2:
        return mean, np.nan, np.nan
    sem = float(_stats.sem(x))
    if sem == 0:
        return mean, mean, mean
    lo, hi = _stats.t.interval(confidence, n - 1, loc=mean, scale=sem)
    return mean, float(lo), float(hi)


def _bootstrap(data: tuple[np.ndarray, ...], statistic, confidence: float, n_boot: int,
               seed: int, paired: bool = False) -> tuple[float, float]:
    """Percentile interval of ``scipy.stats.bootstrap`` (seeded; +inf kept as +inf)."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", _stats.DegenerateDataWarning)
        res = _stats.bootstrap(data, statistic, confidence_level=confidence,
                               n_resamples=n_boot, method="percentile", paired=paired,
                               vectorized=True, rng=np.random.default_rng(seed))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    dist = np.asarray(res.bootstrap_distribution)
    if np.isnan(hi) and np.isposinf(dist).any():  # interpolating between two +inf
        hi = np.inf
    if np.isnan(lo) and np.isposinf(dist).any():
        lo = np.inf
    return lo, hi


def bootstrap_interval(values: ArrayLike, confidence: float = 0.95, n_boot: int = 2000,
                       seed: int = 0) -> tuple[float, float, float]:
    """Mean and percentile-bootstrap confidence interval (``scipy.stats.bootstrap``).

    Seeded through ``numpy.random.default_rng(seed)``, so reports are reproducible.

    Examples
    --------
    >>> m, lo, hi = bootstrap_interval([0.0, 0.0, 1.0, 1.0], n_boot=500)
    >>> m, 0.0 <= lo <= m <= hi <= 1.0
    (0.5, True)
    """
    x, mean = _non_nan(values)
    if x.size < 2:
        return mean, np.nan, np.nan
    if np.all(x == x[0]):
        return mean, mean, mean
    lo, hi = _bootstrap((x,), np.mean, confidence, n_boot, seed)
    return mean, lo, hi


def _ratio_of_totals(num: np.ndarray, den: np.ndarray, axis: int = -1) -> np.ndarray:
    """``sum(num) / sum(den)`` along ``axis``; +inf where ``sum(den) <= 0``."""
    n_sum, d_sum = np.sum(num, axis=axis), np.sum(den, axis=axis)
    return np.where(d_sum > 0, n_sum / np.where(d_sum > 0, d_sum, 1.0), np.inf)


def ratio_interval(numerator: ArrayLike, denominator: ArrayLike, confidence: float = 0.95,
                   n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    r"""Ratio of totals ``sum(num) / sum(den)`` with a paired seed-bootstrap interval.

    .. math::

        \hat R = \frac{\sum_s B_s}{\sum_s E_s}

    One (numerator, denominator) pair per replication ``s``, resampled together
    (``scipy.stats.bootstrap(..., paired=True)``, percentile interval). Used for the cost
    per additional entry (budget spent ``B`` / additional entries ``E``): unlike the mean
    of per-seed ratios it stays stable when a seed adds almost nothing. Resamples whose
    denominator is <= 0 count as an infinite ratio (the interval can reach ``inf``); the
    estimate is NaN when the total denominator is <= 0 (the policy added no entries on
    balance).

    Examples
    --------
    >>> ratio_interval([2.0, 4.0], [1.0, 1.0], n_boot=200)[0]
    3.0
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    ok = ~(np.isnan(num) | np.isnan(den))
    num, den = num[ok], den[ok]
    if num.size == 0 or den.sum() <= 0:
        return np.nan, np.nan, np.nan
    est = float(num.sum() / den.sum())
    if num.size < 2:
        return est, np.nan, np.nan
    if np.all(num == num[0]) and np.all(den == den[0]):
        return est, est, est
    lo, hi = _bootstrap((num, den), _ratio_of_totals, confidence, n_boot, seed, paired=True)
    return est, lo, hi


def ratio_of_sums(df: pd.DataFrame, numerator: str, denominator: str,
                  by: Sequence[str]) -> pd.DataFrame:
    """Per-group ratio ``sum(numerator) / sum(denominator)`` (NaN when the sum is <= 0).

    Used for the cost per additional entry of a seed: total budget spent over total
    additional entries, which stays defined when single regions add nothing.
    """
    g = df.groupby(list(by))[[numerator, denominator]].sum()
    den = g[denominator].where(g[denominator] > 0)
    return (g[numerator] / den).rename(f"{numerator}_per_{denominator}").reset_index()


def summarize(effects: pd.DataFrame, metrics: Sequence[str], by: Sequence[str],
              seed_col: str = "seed", confidence: float = 0.95,
              method: str = "t", n_boot: int = 2000) -> pd.DataFrame:
    """Mean effect and confidence interval across seeds, per group and metric.

    Parameters
    ----------
    effects : pandas.DataFrame
        One row per (seed, region, ...), e.g. :func:`s3sim.experiments.evaluation.paired_effects`.
    metrics : sequence of str
        Columns to summarise.
    by : sequence of str
        Grouping columns (e.g. ``("policy", "region_type")``).
    method : {"t", "bootstrap"}
        Interval type (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        ``*by, metric, mean, ci_low, ci_high, sd, n_seeds``.
    """
    if method not in ("t", "bootstrap"):
        raise ValueError(f"method must be 't' or 'bootstrap', got {method!r}")
    by = list(by)
    metrics = [m for m in metrics if m in effects]
    per_seed = effects.groupby([*by, seed_col], dropna=False)[metrics].mean().reset_index()
    if method == "t":
        return _summarize_t(per_seed, metrics, by, confidence)
    rows = []
    for key, grp in per_seed.groupby(by, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        for m in metrics:
            vals = grp[m].to_numpy(dtype=float)
            vals = vals[~np.isnan(vals)]
            if method == "t":
                mean, lo, hi = t_interval(vals, confidence)
            else:
                mean, lo, hi = bootstrap_interval(vals, confidence, n_boot)
            rows.append({**dict(zip(by, key, strict=True)), "metric": m, "mean": mean,
                         "ci_low": lo, "ci_high": hi,
                         "sd": float(vals.std(ddof=1)) if vals.size > 1 else np.nan,
                         "n_seeds": int(vals.size)})
    return pd.DataFrame(rows)


def _summarize_t(per_seed: pd.DataFrame, metrics: list[str], by: list[str],
                 confidence: float) -> pd.DataFrame:
    """:func:`summarize` with Student-t intervals, vectorised over groups and metrics.

    The same numbers as :func:`t_interval` on each group (``mean +/- t_{n-1} sem``, NaN
    bounds for n < 2, a zero-width interval when every value is equal), computed with
    one ``groupby`` instead of a Python loop over groups.
    """
    long = per_seed.melt(id_vars=by, value_vars=metrics, var_name="metric",
                         value_name="value").dropna(subset=["value"])
    if long.empty:
        return pd.DataFrame(columns=[*by, "metric", "mean", "ci_low", "ci_high", "sd",
                                     "n_seeds"])
    g = long.groupby([*by, "metric"], dropna=False, sort=True)["value"]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n_seeds": g.count()})
    n = out["n_seeds"].to_numpy()
    sem = out["sd"].to_numpy() / np.sqrt(np.maximum(n, 1))
    with np.errstate(invalid="ignore"):
        crit = _stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1))
    half = np.where(sem > 0, crit * sem, 0.0)
    mean = out["mean"].to_numpy()
    out["ci_low"] = np.where(n >= 2, mean - half, np.nan)
    out["ci_high"] = np.where(n >= 2, mean + half, np.nan)
    out["n_seeds"] = out["n_seeds"].astype(int)
    out = out.reset_index()
    # the metric order of the loop version: groups sorted, metrics as given
    out["_m"] = out["metric"].map({m: i for i, m in enumerate(metrics)})
    out = out.sort_values([*by, "_m"], kind="mergesort").drop(columns="_m")
    return out[[*by, "metric", "mean", "ci_low", "ci_high", "sd", "n_seeds"]].reset_index(
        drop=True)
