"""Regions: development levels and initial capability portfolios on the product space.

Leading regions start in the dense, complex core of the product space; lagging
regions on its periphery with few, simple, weakly related products (Hidalgo et al.
2007; Hausmann et al. 2014). Portfolios are grown by relatedness from a few seed
products, so each region's capabilities are coherent, as in real data.
"""

from __future__ import annotations

import weakref

import numpy as np

from s3sim.engine.kernels import sum_rows
from s3sim.space.product_space import ProductSpace

__all__ = ["REGION_TYPES", "allocate", "assign_region_types", "coreness", "grow_portfolio"]

REGION_TYPES: tuple[str, ...] = ("leading", "intermediate", "lagging")

# Tilt of seed and growth choices towards the core (+) or the periphery (-), in
# standard deviations of coreness: calibrated so that leading portfolios have a
# mean PCI about one standard deviation above lagging ones.
_CORE_TILT = {"leading": 1.0, "intermediate": 0.0, "lagging": -1.0}


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` items into integer counts proportional to ``weights``.

    Uses the largest-remainder (Hamilton) method, so counts sum exactly to ``total``
    and the allocation is deterministic.
    """
    weights = np.asarray(weights, dtype=float)
    quota = total * weights / weights.sum()
    counts = np.floor(quota).astype(np.int64)
    remainder = total - counts.sum()
    if remainder:
        order = np.argsort(-(quota - counts), kind="stable")
        counts[order[:remainder]] += 1
    return counts


def assign_region_types(n_regions: int, mix: tuple[float, float, float]) -> np.ndarray:
    """Region types, leading first, in the proportions of ``mix`` (largest remainder)."""
    counts = allocate(n_regions, np.asarray(mix))
    return np.repeat(np.array(REGION_TYPES), counts)


def coreness(ps: ProductSpace) -> np.ndarray:
    """Standardised mean of weighted degree and PCI: high in the complex, dense core.

    ``z((z(weighted degree) + z(PCI)) / 2)``; runs keep it with the space's other
    derived arrays (:attr:`~s3sim.engine.space_arrays.SpaceArrays.coreness`).
    """
    from s3sim.engine.space_arrays import coreness_of

    return coreness_of(np.asarray(ps.proximity, dtype=float), np.asarray(ps.pci, dtype=float))


def grow_portfolio(
    ps: ProductSpace,
    size: int,
    region_type: str,
    rng: np.random.Generator,
    *,
    n_seeds: int = 3,
    batches: int = 10,
    core: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of ``size`` products grown by relatedness from a few seed products.

    Seeds are drawn with weights ``exp(tilt * coreness)``; the portfolio then grows in
    ``batches`` rounds, each adding products with weight
    ``(density + 0.01)**2 * exp(tilt * coreness)``, where density is the relatedness
    density of the candidate to the products already held. ``core`` is the space's
    coreness when the caller has it (computed otherwise).
    """
    n = ps.n_products
    size = min(size, n)
    tilt = np.exp(_CORE_TILT[region_type] * (coreness(ps) if core is None else core))
    held = np.zeros(n, dtype=bool)
    seeds = rng.choice(n, size=min(n_seeds, size), replace=False, p=tilt / tilt.sum())
    held[seeds] = True
    col_sum = _column_sums(ps)
    proximity = np.ascontiguousarray(ps.proximity, dtype=float)
    per_batch = max(1, int(np.ceil((size - held.sum()) / batches)))
    while held.sum() < size:
        density = sum_rows(proximity, np.flatnonzero(held)) / col_sum
        weight = (density + 0.01) ** 2 * tilt
        weight[held] = 0.0
        k = int(min(per_batch, size - held.sum(), np.count_nonzero(weight)))
        picks = rng.choice(n, size=k, replace=False, p=weight / weight.sum())
        held[picks] = True
    return np.flatnonzero(held)


_COLUMN_SUMS: dict[int, np.ndarray] = {}


def _column_sums(ps: ProductSpace) -> np.ndarray:
    """Column sums of the proximity matrix (0 replaced by 1), cached per space."""
    cached = _COLUMN_SUMS.get(id(ps))
    if cached is None:
        cached = ps.proximity.sum(axis=0)
        cached[cached == 0] = 1.0
        cached.flags.writeable = False
        _COLUMN_SUMS[id(ps)] = cached
        weakref.finalize(ps, _COLUMN_SUMS.pop, id(ps), None)
    return cached
