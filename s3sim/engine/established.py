r"""Established new specialisations: RCA that rose from low to above one and stayed there.

Counting every crossing of RCA = 1 rewards a single small entrant that tips a thin
cell over the line (in the default economy one entrant of size 0.3 creates a
"specialisation" in most absent products) and counts re-crossings again. A new
specialisation of region r in product p is *established* in year t when

* RCA was below ``established_floor`` (0.5) at some earlier time in the run,
* RCA has been at least 1 for ``established_years`` (3) consecutive years up to t, and
* p holds at least ``established_min_share`` (0.1 %) of the region's output in year t.

Each (r, p) counts at most once per run. The measure is robust to region size (a
share, not a firm count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EstablishedTracker"]


@dataclass
class EstablishedTracker:
    """Per (region, product): was it ever low, how long RCA >= 1 has held, established.

    Examples
    --------
    >>> t = EstablishedTracker.start(np.array([[0.2]]), floor=0.5)
    >>> [int(t.update(np.array([[r]]), np.array([[1.0]]), 2, 0.0)[0]) for r in (1.2, 1.1, 1.3)]
    [0, 1, 0]
    """

    was_low: np.ndarray
    held: np.ndarray
    established: np.ndarray
    floor: float

    @classmethod
    def start(cls, rca: np.ndarray, floor: float) -> EstablishedTracker:
        """Initial state from the year-0 RCA."""
        return cls(was_low=rca < floor, held=np.zeros(rca.shape, dtype=np.int32),
                   established=np.zeros(rca.shape, dtype=bool), floor=floor)

    def update(self, rca: np.ndarray, output: np.ndarray, years: int,
               min_share: float) -> np.ndarray:
        """Advance one year; return the number of newly established specialisations per region."""
        above = rca >= 1.0
        self.held = np.where(above, self.held + 1, 0)
        total = output.sum(axis=1, keepdims=True)
        share = np.divide(output, total, out=np.zeros_like(output), where=total > 0)
        new = (self.was_low & ~self.established & (self.held >= years) & (share >= min_share))
        self.established |= new
        self.was_low |= rca < self.floor
        return new.sum(axis=1)
