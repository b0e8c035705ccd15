"""Firm state as numpy arrays: the vectorised hot path of the model.

Firms live in fixed slots of preallocated arrays (capacity = ``capacity_factor`` x
the initial number of firms). A slot keeps its index while the firm lives, so the
Mesa agent of a firm (:class:`s3sim.agents.Firm`) is a thin view on its slot; new
firms take the lowest free slots. Memory: 22 bytes per slot (region int32,
product int32, size float64, born int32, alive and subsidised bool) plus the
agent reference.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FirmPopulation"]


class FirmPopulation:
    """Arrays of firm state indexed by slot.

    Attributes
    ----------
    alive : ndarray of bool
    region, product, born : ndarray of int32
    size : ndarray of float64
        Output (value added) per year, in units of the mean initial firm.
    subsidised : ndarray of bool
        The firm entered with a subsidy.
    """

    def __init__(self, capacity: int) -> None:
        self.alive = np.zeros(capacity, dtype=bool)
        self.region = np.zeros(capacity, dtype=np.int32)
        self.product = np.zeros(capacity, dtype=np.int32)
        self.size = np.zeros(capacity, dtype=np.float64)
        self.born = np.zeros(capacity, dtype=np.int32)
        self.subsidised = np.zeros(capacity, dtype=bool)

    @property
    def capacity(self) -> int:
        """Number of slots."""
        return self.alive.size

    @property
    def n_alive(self) -> int:
        """Number of living firms."""
        return int(np.count_nonzero(self.alive))

    def add(
        self,
        region: np.ndarray,
        product: np.ndarray,
        size: np.ndarray,
        step: int,
        subsidised: np.ndarray | bool = False,
    ) -> np.ndarray:
        """Place new firms in the lowest free slots (growing the arrays if full).

        Returns
        -------
        ndarray of int
            The slots of the new firms, in input order.
        """
        k = len(region)
        free = np.flatnonzero(~self.alive)
        if free.size < k:
            self._grow(max(self.capacity, k - free.size))
            free = np.flatnonzero(~self.alive)
        slots = free[:k]
        self.alive[slots] = True
        self.region[slots] = region
        self.product[slots] = product
        self.size[slots] = size
        self.born[slots] = step
        self.subsidised[slots] = subsidised
        return slots

    def remove(self, slots: np.ndarray) -> None:
        """Free the slots of exiting firms."""
        self.alive[slots] = False
        self.size[slots] = 0.0
        self.subsidised[slots] = False

    def _grow(self, extra: int) -> None:
        for name in ("alive", "region", "product", "size", "born", "subsidised"):
            old = getattr(self, name)
            setattr(self, name, np.concatenate([old, np.zeros(extra, dtype=old.dtype)]))

    def cells(self, n_products: int) -> tuple[np.ndarray, np.ndarray]:
        """Slots of the living firms (ascending) and their flat cells ``r * P + p``.

        Sums over living slots in slot order equal sums over all slots (empty slots
        have size 0), so per-firm work can be restricted to them exactly.
        """
        live = np.flatnonzero(self.alive)
        return live, self.region[live].astype(np.int64) * n_products + self.product[live]

    def output_matrix(self, n_regions: int, n_products: int) -> np.ndarray:
        """Regional output by product, ``X_rp = sum of sizes of firms in (r, p)``."""
        live, cell = self.cells(n_products)
        flat = np.bincount(cell, weights=self.size[live], minlength=n_regions * n_products)
        return flat.reshape(n_regions, n_products)

    def count_matrix(self, n_regions: int, n_products: int) -> np.ndarray:
        """Number of living firms per region and product (float)."""
        _, cell = self.cells(n_products)
        flat = np.bincount(cell, minlength=n_regions * n_products).astype(float)
        return flat.reshape(n_regions, n_products)
