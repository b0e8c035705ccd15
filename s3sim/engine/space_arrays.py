"""Arrays derived from a product space, built once per space and shared across runs.

Every run on the same :class:`~s3sim.space.product_space.ProductSpace` (every seed of a
sweep, every policy of a comparison) reads the same proximity, standardised
complexity, labour intensity, coreness and target kernel; building them costs more
than a year of the default model, so they are cached per space object (and target
exponent) for the life of the process. The arrays are read-only.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from s3sim.space.metrics import zscore
from s3sim.space.product_space import ProductSpace

__all__ = ["LABOUR_PCI_ELASTICITY", "SpaceArrays", "coreness_of", "density", "space_arrays"]

LABOUR_PCI_ELASTICITY = 0.3
"""Employment per unit of output falls by this factor per standard deviation of PCI
(complex products are made with more knowledge per worker; Hausmann et al. 2014)."""


@dataclass(frozen=True)
class SpaceArrays:
    """Read-only arrays of one product space (P products).

    Attributes
    ----------
    proximity : ndarray (P, P)
        ``phi_pq`` (float64).
    pci : ndarray (P,)
        Product complexity index as given by the space.
    pci_z : ndarray (P,)
        ``z(PCI)``, standardised over the space's products.
    labour : ndarray (P,)
        Employment per unit of output, ``exp(-0.3 z(PCI_p))``.
    coreness : ndarray (P,)
        ``z((z(weighted degree) + z(PCI)) / 2)``: high in the complex, dense core.
    target_kernel : ndarray (P, P)
        ``phi_pq ** target_relatedness`` with a zero diagonal: the relatedness part of
        the diversification kernel.
    world_exports : ndarray (P,)
    density_norm : ndarray (P,)
        ``sum_q phi_pq`` (1 where 0): the denominator of relatedness density.
    """

    proximity: np.ndarray
    pci: np.ndarray
    pci_z: np.ndarray
    labour: np.ndarray
    coreness: np.ndarray
    target_kernel: np.ndarray
    world_exports: np.ndarray
    density_norm: np.ndarray

    @property
    def n_products(self) -> int:
        """Number of products."""
        return int(self.pci.size)


def _read_only(x: np.ndarray) -> np.ndarray:
    x.flags.writeable = False
    return x


def coreness_of(proximity: np.ndarray, pci: np.ndarray) -> np.ndarray:
    """Coreness of each product from the proximity matrix and PCI (see :class:`SpaceArrays`)."""
    core = 0.5 * (zscore(proximity.sum(axis=1)) + zscore(pci))
    return zscore(core)


def _density_norm(proximity: np.ndarray) -> np.ndarray:
    row = proximity.sum(axis=1)
    return np.where(row > 0, row, 1.0)


def density(presence: np.ndarray, space: SpaceArrays) -> np.ndarray:
    """Relatedness density :func:`s3sim.space.metrics.density` with the space's cached norm."""
    return (presence.astype(float) @ space.proximity.T) / space.density_norm[np.newaxis, :]


def _build(ps: ProductSpace, target_relatedness: float) -> SpaceArrays:
    proximity = np.array(ps.proximity, dtype=float)
    pci = np.array(ps.pci, dtype=float)
    pci_z = zscore(pci)
    kernel = proximity ** target_relatedness
    np.fill_diagonal(kernel, 0.0)
    return SpaceArrays(
        proximity=_read_only(proximity),
        pci=_read_only(pci),
        pci_z=_read_only(pci_z),
        labour=_read_only(np.exp(-LABOUR_PCI_ELASTICITY * pci_z)),
        coreness=_read_only(coreness_of(proximity, pci)),
        target_kernel=_read_only(kernel),
        world_exports=_read_only(np.array(ps.world_exports, dtype=float)),
        density_norm=_read_only(_density_norm(proximity)),
    )


_CACHE: dict[tuple[int, float], SpaceArrays] = {}


def space_arrays(ps: ProductSpace, target_relatedness: float) -> SpaceArrays:
    """The arrays of ``ps`` (cached per space object and exponent while ``ps`` lives)."""
    key = (id(ps), float(target_relatedness))
    cached = _CACHE.get(key)
    if cached is None:
        cached = _CACHE[key] = _build(ps, target_relatedness)
        weakref.finalize(ps, _CACHE.pop, key, None)
    return cached
