r"""Empirical targets (``s3sim/data/targets.csv``) and the distance of simulated moments to them.

A target has a ``kind``:

``value``
    an empirical number with a standard uncertainty :math:`\sigma^{obs}_k`.
``sign``
    only the sign of a coefficient is matched (``value`` is +1 or -1); the source's
    units (patents, industries) differ from the model's products.

Only rows with ``use == "fit"`` whose moment s3sim can compute enter the calibration;
the others document what the data say and why the model cannot (yet) be held to them.

Simulated method of moments (SMM). With :math:`\bar m_k(\theta)` the mean of moment *k*
over the *S* common seeds and :math:`e_k = \bar m_k - z_k` (for a sign target,
:math:`e_k = \max(0, -s_k \bar m_k)`: zero when the sign is right), the loss is

.. math:: L(\theta) = \sum_k w_k\, e_k^2, \qquad w_k = 1 / \hat\sigma^2_k,

a diagonal weighting matrix with :math:`\hat\sigma^2_k` the variance of moment *k*
across seeds at a reference parameter set (fixed for the whole study, so that the
optimiser cannot lower the loss by making moments noisier).

History matching (Vernon, Goldstein & Bower 2010). The implausibility of moment *k* is

.. math:: I_k(\theta) = \frac{|e_k|}{\sqrt{(\sigma^{obs}_k)^2 + \sigma^2_k(\theta) / S}},

with :math:`\sigma^2_k(\theta)` the seed variance at :math:`\theta`; a parameter set is
*plausible* when :math:`\max_k I_k \le 3` (Pukelsheim's three-sigma rule). For sign
targets :math:`\sigma^{obs}_k = 0`.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from s3sim.calibration.moments import MOMENTS

__all__ = [
    "IMPLAUSIBILITY_CUTOFF",
    "TARGETS_FILE",
    "Targets",
    "load_targets",
]

TARGETS_FILE = Path(str(files("s3sim") / "data" / "targets.csv"))
IMPLAUSIBILITY_CUTOFF = 3.0
_COLUMNS = ("target_id", "moment", "kind", "value", "uncertainty", "unit", "definition",
            "source", "status", "use")


@dataclass(frozen=True)
class Targets:
    """The fitted targets: moment names, kinds, values and observational SDs."""

    table: pd.DataFrame
    """The rows of ``targets.csv`` that are fitted (``use == "fit"``)."""

    @property
    def moments(self) -> list[str]:
        """Moment names, in file order."""
        return list(self.table["moment"])

    def errors(self, means: pd.Series) -> pd.Series:
        """:math:`e_k`: signed distance of the simulated means to the targets."""
        t = self.table.set_index("moment")
        m = means.reindex(t.index).astype(float)
        err = m - t["value"].astype(float)
        sign = t["kind"] == "sign"
        s = t.loc[sign, "value"].astype(float)
        err[sign] = np.maximum(0.0, -s * m[sign])
        return err

    def loss(self, means: pd.Series, weights: pd.Series) -> float:
        r"""SMM loss :math:`\sum_k w_k e_k^2` (inf when a moment is undefined)."""
        e = self.errors(means)
        w = weights.reindex(e.index).astype(float)
        val = float((w * e**2).sum(min_count=len(e)))
        return val if np.isfinite(val) else float("inf")

    def implausibility(self, means: pd.Series, seed_sd: pd.Series, n_seeds: int) -> pd.Series:
        """:math:`I_k` per moment (inf when a moment is undefined)."""
        t = self.table.set_index("moment")
        obs = t["uncertainty"].astype(float).fillna(0.0)
        var = obs**2 + seed_sd.reindex(t.index).astype(float).fillna(0.0) ** 2 / n_seeds
        e = self.errors(means).abs()
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(e == 0, 0.0, e / np.sqrt(var))
        out = pd.Series(out, index=t.index, dtype=float)
        return out.fillna(np.inf)

    def tolerance(self) -> pd.Series:
        """Half-width of the acceptance band: 3 observational SDs (sign: the sign)."""
        t = self.table.set_index("moment")
        return 3 * t["uncertainty"].astype(float)


def load_targets(path: str | Path | None = None, *, use: str = "fit",
                 only: list[str] | None = None) -> Targets:
    """Read ``targets.csv`` and keep the rows to fit.

    Parameters
    ----------
    path : path, optional
        Default: the file shipped with s3sim (:data:`TARGETS_FILE`).
    use : str
        Keep rows with this ``use`` value.
    only : list of str, optional
        Keep only these ``target_id`` (e.g. from the calibration config).

    Raises
    ------
    ValueError
        One line naming the file and the problem (missing column, unknown moment,
        a fitted value target without uncertainty).
    """
    path = Path(path) if path is not None else TARGETS_FILE
    try:
        df = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as exc:
        raise ValueError(f"targets file {path}: cannot read it ({exc})") from None
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"targets file {path}: missing column(s) {', '.join(missing)}")
    bad_status = sorted(set(df["status"]) - {"checked", "recalled"})
    if bad_status:
        raise ValueError(f"targets file {path}: status must be checked or recalled, got "
                         f"{', '.join(map(str, bad_status))}")
    sel = df[df["use"] == use]
    if only is not None:
        unknown = sorted(set(only) - set(df["target_id"]))
        if unknown:
            raise ValueError(f"targets file {path}: unknown target_id(s) {', '.join(unknown)}; "
                             f"known: {', '.join(df['target_id'])}")
        sel = sel[sel["target_id"].isin(only)]
    unknown_m = sorted(set(sel["moment"]) - set(MOMENTS))
    if unknown_m:
        raise ValueError(f"targets file {path}: moment(s) {', '.join(unknown_m)} have no "
                         "function in s3sim.calibration.moments.MOMENTS; set their use to "
                         "not_computable or add the function")
    values = sel[sel["kind"] == "value"]
    if values["uncertainty"].isna().any():
        bad = ", ".join(values.loc[values["uncertainty"].isna(), "target_id"])
        raise ValueError(f"targets file {path}: fitted value target(s) {bad} need an "
                         "uncertainty")
    if sel.empty:
        raise ValueError(f"targets file {path}: no target with use == {use!r}")
    return Targets(sel.reset_index(drop=True))
