"""Confidence intervals for paired policy effects across seeds.

The independent replication is the seed: a policy run and its baseline share a
seed (common random numbers), so the paired difference per seed is one
observation, and regions of the same seed are averaged first (they interact
through the world market and are not independent).

Two intervals are offered:

* Student t: ``mean +/- t_{1-a/2, n-1} * sd / sqrt(n)``; exact for normal
  differences, good for n >= 20 under mild skew.
* Percentile bootstrap (Efron & Tibshirani 1993, ch. 13): quantiles of the mean
  over ``n_boot`` resamples of the seeds with replacement; no normality
  assumption, slightly too narrow for small n. Seeded, so reports are reproducible.
"""

from __future__ import annotations

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
    """Mean and Student-t confidence interval.

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
    half = float(_stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


def bootstrap_interval(values: ArrayLike, confidence: float = 0.95, n_boot: int = 2000,
                       seed: int = 0) -> tuple[float, float, float]:
    """Mean and percentile-bootstrap confidence interval (seeded, reproducible).

    Examples
    --------
    >>> m, lo, hi = bootstrap_interval([0.0, 0.0, 1.0, 1.0], n_boot=500)
    >>> m, 0.0 <= lo <= m <= hi <= 1.0
    (0.5, True)
    """
    x, mean = _non_nan(values)
    n = x.size
    if n < 2:
        return mean, np.nan, np.nan
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    a = (1 - confidence) / 2
    lo, hi = np.quantile(means, [a, 1 - a])
    return mean, float(lo), float(hi)


def ratio_interval(numerator: ArrayLike, denominator: ArrayLike, confidence: float = 0.95,
                   n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Ratio of means ``sum(num) / sum(den)`` with a seed-bootstrap percentile interval.

    One (numerator, denominator) pair per replication, resampled together. Used for the
    cost per additional entry (budget spent / additional entries): unlike the mean of
    per-seed ratios it stays stable when a seed adds almost nothing. Resamples whose
    denominator is <= 0 count as an infinite ratio; the estimate is NaN when the total
    denominator is <= 0.

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
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num.size, size=(n_boot, num.size))
    n_sum, d_sum = num[idx].sum(axis=1), den[idx].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(d_sum > 0, n_sum / np.where(d_sum > 0, d_sum, 1.0), np.inf)
    ratios.sort()
    a = (1 - confidence) / 2
    lo = ratios[int(np.floor(a * (n_boot - 1)))]
    hi = ratios[int(np.ceil((1 - a) * (n_boot - 1)))]
    return est, float(lo), float(hi)


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
