"""The economy's state: plain numpy arrays and the few objects that own them.

:class:`EconomyState` is everything a year of the engine reads and changes; the Mesa
facade (:class:`s3sim.model.S3Model`) holds one and exposes its arrays. Nothing here
knows about Mesa, agents or recording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s3sim.config import ModelConfig, PolicyConfig
from s3sim.engine.coordination import PublicInputs
from s3sim.engine.discovery import DiscoveryState
from s3sim.engine.established import EstablishedTracker
from s3sim.engine.firms import FirmPopulation
from s3sim.engine.market import WorldMarket
from s3sim.engine.research import ResearchSystem
from s3sim.engine.rng import RandomStreams
from s3sim.engine.space_arrays import SpaceArrays
from s3sim.space.product_space import ProductSpace

__all__ = ["EconomyState", "Measurement"]


@dataclass
class Measurement:
    """What the year's firms add up to, per region (R) and product (P).

    Attributes
    ----------
    output : ndarray (R, P)
        ``X_rp``, the summed size of the firms of region r in product p.
    rca : ndarray (R, P)
        Balassa RCA of the regions against world trade.
    presence : ndarray of bool (R, P)
        ``RCA >= 1``.
    density : ndarray (R, P)
        Relatedness density of each region to each product.
    employment : ndarray (R,)
        ``E_r = sum_p X_rp * labour_p``.
    """

    output: np.ndarray
    rca: np.ndarray
    presence: np.ndarray
    density: np.ndarray
    employment: np.ndarray


@dataclass
class EconomyState:
    """The simulated economy at the end of year ``step``.

    Built by :func:`~s3sim.engine.build.build_state`, advanced by
    :func:`~s3sim.engine.step.step`.

    Attributes
    ----------
    config, policy_config : ModelConfig, PolicyConfig
    product_space : ProductSpace
    space : SpaceArrays
        Arrays derived from the product space, shared with every run on it.
    streams : RandomStreams
        The run's random streams.
    step : int
        Years simulated so far (0 after construction).
    region_names : list[str]
    region_types : ndarray of str (R,)
    firms : FirmPopulation
    research : ResearchSystem
    market : WorldMarket
    suitability : ndarray (R, P)
        Latent region-product suitability, ``hidden_suitability * xi``.
    absorb_threshold : ndarray (R,)
        Density a region needs to absorb research spillovers in a product.
    potential_entrants : ndarray of int (R,)
    entrant_region : ndarray of int
        Region of each potential local entrepreneur (repeated ``potential_entrants``).
    world_scale : float
        World demand is scaled so that the rest of the world is ``WORLD_TO_REGIONS``
        times the regions' initial output.
    budget : ndarray (R,)
        Yearly policy budget per region, fixed at the start.
    labour_force : ndarray (R,)
    measured : Measurement
        Output, RCA, presence, density and employment after the last year.
    discovery : DiscoveryState
        What each region knows about its suitability; imitation speeds; the private
        value of a success per product (:mod:`s3sim.engine.discovery`).
    public_inputs : PublicInputs
        Stocks of domain-specific and horizontal public inputs
        (:mod:`s3sim.engine.coordination`).
    established : EstablishedTracker
        Established new specialisations (:mod:`s3sim.engine.established`).
    initial_market_share : ndarray (P,)
        The regions' combined output per product over world demand at step 0 (the
        reference of ``market_competition``).
    """

    config: ModelConfig
    policy_config: PolicyConfig
    product_space: ProductSpace
    space: SpaceArrays
    streams: RandomStreams
    region_names: list[str]
    region_types: np.ndarray
    firms: FirmPopulation
    research: ResearchSystem
    market: WorldMarket
    suitability: np.ndarray
    absorb_threshold: np.ndarray
    potential_entrants: np.ndarray
    entrant_region: np.ndarray
    world_scale: float
    budget: np.ndarray
    labour_force: np.ndarray
    measured: Measurement
    discovery: DiscoveryState
    public_inputs: PublicInputs
    established: EstablishedTracker
    initial_market_share: np.ndarray
    step: int = 0

    @property
    def n_regions(self) -> int:
        """Number of regions R."""
        return len(self.region_names)

    @property
    def n_products(self) -> int:
        """Number of products P."""
        return self.space.n_products

    def labour_tightness(self) -> np.ndarray:
        """``log(E_r / L_r)``: regional employment relative to the labour force."""
        return np.log(np.maximum(self.measured.employment, 1e-12) / self.labour_force)
