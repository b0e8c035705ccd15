"""Small Markdown helpers for reports (no dependency on ``tabulate``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["fmt", "fmt_ci", "table"]


def fmt(x: object, digits: int = 3) -> str:
    """A number with ``digits`` significant figures; ``-`` for missing."""
    if isinstance(x, float | np.floating) and np.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, float | np.floating):
        return f"{float(x):.{digits}g}"
    return str(x)


def fmt_ci(mean: float, low: float, high: float, digits: int = 3, star: bool = True) -> str:
    """``mean [low, high]``, starred (if ``star``) when the interval excludes zero."""
    if not np.isfinite(mean):
        return "-"
    excludes = (low > 0 or high < 0) if not (np.isnan(low) or np.isnan(high)) else False
    star_text = "*" if star and excludes else ""
    return f"{fmt(mean, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]{star_text}"


def table(df: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """A GitHub-flavoured Markdown table of ``df`` (values through :func:`fmt`)."""
    cols = list(columns or df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in df[cols].iterrows():
        cells = [fmt(v).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
