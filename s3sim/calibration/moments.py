r"""Simulated moments: one function per empirical target, computed from the recorded tables.

Every moment function takes the tables of **one seed** (a :class:`SeedTables`) and
returns one number, so that the spread of a moment across seeds (common random
numbers: the same seeds for every parameter set) gives its simulation variance.
The definitions match ``s3sim/data/targets.csv`` (column ``definition``):

``firm_turnover``
    :math:`\overline{(E_t + X_t) / N_{t-1}}` over years after the burn-in, with
    :math:`E_t, X_t` the firm entries and exits of year *t* summed over regions and
    :math:`N_{t-1}` the living firms at the end of the previous year
    (Bartelsman, Scarpetta & Schivardi 2005).
``entry_top_density_quintile``, ``entry_bottom_density_quintile``
    Over non-overlapping windows of ``window`` years, candidates are (region, product)
    pairs without RCA at the window's start; the moment is the share of candidates of
    the top (bottom) quintile of relatedness density
    :math:`d_{rp} = \sum_q M_{rq}\phi_{pq} / \sum_q \phi_{pq}` that have RCA >= 1 at
    the window's end (Hidalgo et al. 2007; Boschma, Minondo & Navarro 2013).
``dilemma_density_coef``, ``dilemma_complexity_coef``
    Coefficients of a logit of that entry on standardised density and standardised PCI
    (Balland, Boschma, Crespo & Rigby 2019).
``exit_density_coef``
    Coefficient of a logit of exit (RCA >= 1 at the start, < 1 at the end of a window)
    on the standardised leave-own-out density
    :math:`\sum_{q \ne p} M_{rq}\phi_{pq} / \sum_{q \ne p}\phi_{pq}`
    (Neffke, Henning & Boschma 2011: unrelated activities exit more, so < 0).

:data:`MOMENTS` maps each name to its function; :func:`compute_moments` evaluates a
list of them for every seed of a :class:`~s3sim.experiments.simulation.SimulationResult`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from s3sim.space import metrics

__all__ = [
    "MOMENTS",
    "SeedTables",
    "compute_moments",
    "dilemma_complexity_coef",
    "dilemma_density_coef",
    "entry_bottom_density_quintile",
    "entry_top_density_quintile",
    "exit_density_coef",
    "firm_turnover",
    "logit_coefficients",
]

BURN_IN = 5
"""Years left out at the start of a run (the initial portfolios are not a steady state)."""
WINDOW = 5
"""Length of the entry/exit windows in years (Hidalgo et al. 2007 use five years)."""


@dataclass
class SeedTables:
    """The recorded tables of one seed, with the product space's proximity and PCI.

    Parameters
    ----------
    regions : pandas.DataFrame
        Rows of the ``regions`` table of one seed.
    presence : pandas.DataFrame
        Rows of the ``presence`` table of the same seed (RCA >= 1 pairs).
    proximity : ndarray, shape (P, P)
    pci : ndarray, shape (P,)
    burn_in, window : int
        See :data:`BURN_IN` and :data:`WINDOW`.
    """

    regions: pd.DataFrame
    presence: pd.DataFrame
    proximity: NDArray[np.float64]
    pci: NDArray[np.float64]
    burn_in: int = BURN_IN
    window: int = WINDOW

    @cached_property
    def cube(self) -> NDArray[np.bool_]:
        """Presence ``M[t, r, p]`` (RCA >= 1) for every recorded step."""
        steps = int(self.regions["step"].max())
        n_regions = int(self.regions["region"].max()) + 1
        m = np.zeros((steps + 1, n_regions, self.proximity.shape[0]), dtype=bool)
        m[self.presence["step"].to_numpy(), self.presence["region"].to_numpy(),
          self.presence["product"].to_numpy()] = True
        return m

    def window_starts(self) -> list[int]:
        """Starts of the non-overlapping windows after the burn-in."""
        last = self.cube.shape[0] - 1
        return list(range(self.burn_in, last - self.window + 1, self.window))

    @cached_property
    def entry_panel(self) -> pd.DataFrame:
        """Candidates (no RCA at a window's start): ``density, pci, entered``."""
        frames = []
        m = self.cube
        for t in self.window_starts():
            dens = metrics.density(m[t], self.proximity)
            r, p = np.nonzero(~m[t])
            frames.append(pd.DataFrame({"density": dens[r, p], "pci": self.pci[p],
                                        "entered": m[t + self.window][r, p]}))
        if not frames:
            return pd.DataFrame({"density": [], "pci": [], "entered": []})
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def exit_panel(self) -> pd.DataFrame:
        """Incumbents (RCA at a window's start): leave-own-out ``density, exited``."""
        frames = []
        m = self.cube
        phi = np.asarray(self.proximity, dtype=float)
        diag = np.diag(phi)
        denom = phi.sum(axis=1) - diag
        denom = np.where(denom > 0, denom, 1.0)
        for t in self.window_starts():
            mt = m[t].astype(float)
            dens = (mt @ phi.T - mt * diag[None, :]) / denom[None, :]
            r, p = np.nonzero(m[t])
            frames.append(pd.DataFrame({"density": dens[r, p],
                                        "exited": ~m[t + self.window][r, p]}))
        if not frames:
            return pd.DataFrame({"density": [], "exited": []})
        return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- moments
def firm_turnover(tables: SeedTables) -> float:
    """Yearly firm turnover: (entries + exits) / firms of the previous year, averaged.

    Examples
    --------
    Two years after a burn-in of 0: 100 firms, then 10 entries and 10 exits (20 %),
    then 100 firms again and 5 + 5 (10 %):

    >>> regions = pd.DataFrame({"step": [0, 1, 2], "region": 0, "n_firms": [100, 100, 100],
    ...                         "firm_entries": [0, 10, 5], "firm_exits": [0, 10, 5]})
    >>> t = SeedTables(regions, pd.DataFrame(columns=["step", "region", "product"]),
    ...                np.eye(2), np.zeros(2), burn_in=0)
    >>> round(firm_turnover(t), 6)
    0.15
    """
    g = tables.regions.groupby("step")[["n_firms", "firm_entries", "firm_exits"]].sum()
    g = g.sort_index()
    prev = g["n_firms"].shift(1)
    rate = (g["firm_entries"] + g["firm_exits"]) / prev.where(prev > 0)
    rate = rate[rate.index > max(tables.burn_in, 0)]
    return float(rate.mean()) if rate.notna().any() else float("nan")


def _quintile_entry(tables: SeedTables, which: int) -> float:
    panel = tables.entry_panel
    if len(panel) < 5:
        return float("nan")
    q = pd.qcut(panel["density"].rank(method="first"), 5, labels=False)
    sel = panel["entered"][q == which]
    return float(sel.mean()) if len(sel) else float("nan")


def entry_top_density_quintile(tables: SeedTables) -> float:
    """Share of top-density-quintile candidates that gain RCA within a window."""
    return _quintile_entry(tables, 4)


def entry_bottom_density_quintile(tables: SeedTables) -> float:
    """Share of bottom-density-quintile candidates that gain RCA within a window."""
    return _quintile_entry(tables, 0)


def logit_coefficients(y: NDArray[np.bool_], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logit coefficients (intercept first) of ``y`` on standardised columns of ``x``.

    Uses :class:`statsmodels.discrete.discrete_model.Logit`; returns NaNs when the
    outcome does not vary or a regressor is constant.
    """
    import statsmodels.api as sm

    y = np.asarray(y, dtype=float)
    x = np.atleast_2d(np.asarray(x, dtype=float).T).T
    sd = x.std(axis=0)
    nan = np.full(x.shape[1] + 1, np.nan)
    if y.size < x.shape[1] + 2 or y.min() == y.max() or np.any(sd == 0):
        return nan
    z = (x - x.mean(axis=0)) / sd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.Logit(y, sm.add_constant(z, has_constant="add")).fit(disp=0,
                                                                          maxiter=100)
        except (np.linalg.LinAlgError, ValueError):
            return nan
    return np.asarray(fit.params, dtype=float)


def _dilemma(tables: SeedTables) -> NDArray[np.float64]:
    panel = tables.entry_panel
    return logit_coefficients(panel["entered"].to_numpy(),
                              panel[["density", "pci"]].to_numpy(float))


def dilemma_density_coef(tables: SeedTables) -> float:
    """Logit coefficient of entry on standardised density (Balland et al. 2019: > 0)."""
    return float(_dilemma(tables)[1])


def dilemma_complexity_coef(tables: SeedTables) -> float:
    """Logit coefficient of entry on standardised PCI (Balland et al. 2019: < 0)."""
    return float(_dilemma(tables)[2])


def exit_density_coef(tables: SeedTables) -> float:
    """Logit coefficient of exit on standardised leave-own-out density (Neffke: < 0)."""
    panel = tables.exit_panel
    return float(logit_coefficients(panel["exited"].to_numpy(),
                                    panel[["density"]].to_numpy(float))[1])


MOMENTS: dict[str, Callable[[SeedTables], float]] = {
    "firm_turnover": firm_turnover,
    "entry_top_density_quintile": entry_top_density_quintile,
    "entry_bottom_density_quintile": entry_bottom_density_quintile,
    "dilemma_density_coef": dilemma_density_coef,
    "dilemma_complexity_coef": dilemma_complexity_coef,
    "exit_density_coef": exit_density_coef,
}
"""Moment name (column ``moment`` of ``targets.csv``) -> function of one seed's tables."""


def compute_moments(result: object, names: Iterable[str], *, burn_in: int = BURN_IN,
                    window: int = WINDOW) -> pd.DataFrame:
    """Every moment in ``names`` for every seed of a simulation result.

    Parameters
    ----------
    result : SimulationResult
        Needs ``regions``, ``presence`` and ``product_space`` (proximity, PCI).
    names : iterable of str
        Keys of :data:`MOMENTS`.

    Returns
    -------
    pandas.DataFrame
        Index ``seed``, one column per moment.
    """
    names = list(names)
    unknown = [n for n in names if n not in MOMENTS]
    if unknown:
        raise KeyError(f"unknown moment(s) {', '.join(unknown)}; known: {', '.join(MOMENTS)}")
    ps = result.product_space  # type: ignore[attr-defined]
    phi = np.asarray(ps.proximity, dtype=float)
    pci = np.asarray(ps.pci, dtype=float)
    regions = result.regions  # type: ignore[attr-defined]
    presence = result.presence  # type: ignore[attr-defined]
    rows = {}
    for seed, reg in regions.groupby("seed"):
        tables = SeedTables(reg, presence[presence["seed"] == seed], phi, pci,
                            burn_in=burn_in, window=window)
        rows[int(seed)] = {n: MOMENTS[n](tables) for n in names}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "seed"
    return out
