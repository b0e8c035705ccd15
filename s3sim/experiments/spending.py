r"""Outcomes against money actually spent: dose-response curves and equal-spending comparisons.

Equal budgets are not equal spending: an instrument that cannot place its money (smart
specialisation's few priorities attract few applications) is compared with one that
spends it all at a fraction of the cost. Every study therefore runs each instrument at
several budget levels and reads its outcome against the money it actually spent.

Dose-response curve
    For one instrument and one seed, the points :math:`(G_\ell, Y_\ell)` of money spent
    (present value, per region) and outcome (e.g. net benefit) at budget levels
    :math:`\ell`, plus the origin :math:`(0, 0)`: zero money is the baseline on the same
    seed, exactly (``tests/test_money.py``). Between points the curve is linear.
Equal spending
    Two instruments are compared at the money :math:`G^*_s` both actually spent at the
    nominal budget, :math:`G^*_s = \min(G_{A,s}, G_{B,s})` on seed :math:`s`; the one that
    spent more is read off its curve at :math:`G^*_s` (linear interpolation between the
    two levels around it). The difference :math:`Y_A(G^*_s) - Y_B(G^*_s)` is paired by
    seed and summarised across seeds (:mod:`s3sim.stats`). A curve is never extrapolated
    beyond the money it spent at its largest level (NaN instead).

Examples
--------
>>> curve = pd.DataFrame({"seed": [0, 0], "spent": [1.0, 3.0], "value": [2.0, 4.0]})
>>> float(at_spending(curve, pd.Series({0: 2.0})).iloc[0])
3.0
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["at_spending", "equal_spending", "spending_curve"]


def spending_curve(points: Mapping[float, pd.DataFrame], value: str,
                   spent: str = "spent_pv") -> pd.DataFrame:
    """Stack per-seed outcomes of several budget levels into one curve table.

    Parameters
    ----------
    points : mapping budget level -> DataFrame
        Per-seed rows (index or column ``seed``) with the outcome ``value`` and the money
        ``spent`` at that level.
    value, spent : str
        Column names.

    Returns
    -------
    DataFrame
        ``seed, level, spent, value``, sorted by seed and money spent.
    """
    rows = []
    for level, frame in points.items():
        f = frame.reset_index() if "seed" not in frame.columns else frame
        rows.append(pd.DataFrame({"seed": f["seed"].to_numpy(), "level": float(level),
                                  "spent": f[spent].to_numpy(dtype=float),
                                  "value": f[value].to_numpy(dtype=float)}))
    if not rows:
        return pd.DataFrame(columns=["seed", "level", "spent", "value"])
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["seed", "spent", "level"], kind="mergesort", ignore_index=True)


def at_spending(curve: pd.DataFrame, target: pd.Series) -> pd.Series:
    """Each seed's curve read at ``target[seed]`` money (linear, through the origin).

    Parameters
    ----------
    curve : DataFrame
        ``seed, spent, value`` rows (:func:`spending_curve`).
    target : Series
        Money per seed (index: seed).

    Returns
    -------
    Series
        Interpolated outcome per seed; NaN where the target exceeds the most the
        instrument spent on that seed, or the seed has no curve.
    """
    out = {}
    for seed, want in target.items():
        rows = curve[curve["seed"] == seed]
        if rows.empty or not np.isfinite(want):
            out[seed] = np.nan
            continue
        x = np.concatenate([[0.0], rows["spent"].to_numpy(dtype=float)])
        y = np.concatenate([[0.0], rows["value"].to_numpy(dtype=float)])
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        out[seed] = float(np.interp(want, x, y)) if want <= x[-1] + 1e-9 else np.nan
    return pd.Series(out, dtype=float).rename_axis("seed")


def equal_spending(curve_a: pd.DataFrame, curve_b: pd.DataFrame, spent_a: pd.Series,
                   spent_b: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Outcome difference A - B at the money both spent, per seed.

    Parameters
    ----------
    curve_a, curve_b : DataFrame
        The two instruments' curves (:func:`spending_curve`).
    spent_a, spent_b : Series
        Money each spent at the nominal budget, per seed.

    Returns
    -------
    difference : Series
        ``Y_A(G*) - Y_B(G*)`` per seed.
    level : Series
        ``G* = min(G_A, G_B)`` per seed.

    Examples
    --------
    >>> a = pd.DataFrame({"seed": [0, 0], "spent": [1.0, 2.0], "value": [1.0, 1.5]})
    >>> b = pd.DataFrame({"seed": [0, 0], "spent": [2.0, 4.0], "value": [3.0, 5.0]})
    >>> diff, level = equal_spending(a, b, pd.Series({0: 2.0}), pd.Series({0: 4.0}))
    >>> float(diff.iloc[0]), float(level.iloc[0])
    (-1.5, 2.0)
    """
    level = pd.concat([spent_a, spent_b], axis=1).min(axis=1)
    return at_spending(curve_a, level) - at_spending(curve_b, level), level
