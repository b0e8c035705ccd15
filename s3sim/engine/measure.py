"""Measurement: firms -> regional output -> RCA against the world -> presence -> density.

``X_rp = sum of firm sizes``; ``RCA_rp`` is Balassa's index of the regions stacked on
the rest of the world (world demand ``D_p`` scaled by ``world_scale``); presence is
``RCA >= 1``; density ``d_rp = sum_q M_rq phi_pq / sum_q phi_pq`` (Hidalgo et al.
2007); employment ``E_r = sum_p X_rp exp(-0.3 z(PCI_p))``.
"""

from __future__ import annotations

import numpy as np

from s3sim.engine.firms import FirmPopulation
from s3sim.engine.space_arrays import SpaceArrays, density
from s3sim.engine.state import Measurement
from s3sim.space import metrics

__all__ = ["employment", "measure"]


def employment(firms: FirmPopulation, space: SpaceArrays, n_regions: int) -> np.ndarray:
    """Employment per region: firm output times the labour intensity of its product."""
    live = np.flatnonzero(firms.alive)
    return np.bincount(firms.region[live],
                       weights=firms.size[live] * space.labour[firms.product[live]],
                       minlength=n_regions)


def measure(firms: FirmPopulation, world_demand: np.ndarray, space: SpaceArrays,
            n_regions: int) -> Measurement:
    """Measure the regions' specialisation from the living firms.

    Parameters
    ----------
    firms : FirmPopulation
    world_demand : ndarray (P,)
        Scaled world demand (the rest of the world's output per product).
    space : SpaceArrays
    n_regions : int
    """
    output = firms.output_matrix(n_regions, space.n_products)
    stacked = np.vstack([output, world_demand[None, :]])
    rca = metrics.rca(stacked)[:n_regions]
    presence = rca >= 1.0
    return Measurement(
        output=output, rca=rca, presence=presence,
        density=density(presence, space),
        employment=employment(firms, space, n_regions),
    )
