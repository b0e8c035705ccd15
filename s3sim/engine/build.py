"""Construction of an :class:`~s3sim.engine.state.EconomyState` from a configuration.

Order of the draws (each from its own stream, so the order across streams is free):
initial portfolios and firms (``init``), research bodies and their collaboration
network (``research``), market trends (``market``), latent suitability
(``suitability``).
"""

from __future__ import annotations

import functools

import numpy as np

from s3sim.config import ConfigError, ModelConfig, PolicyConfig
from s3sim.engine.coordination import PublicInputs
from s3sim.engine.discovery import DiscoveryState, imitation_by_product
from s3sim.engine.established import EstablishedTracker
from s3sim.engine.firms import FirmPopulation
from s3sim.engine.growth import market_share
from s3sim.engine.market import WorldMarket
from s3sim.engine.measure import measure
from s3sim.engine.regions import allocate, assign_region_types, grow_portfolio
from s3sim.engine.research import ResearchSystem
from s3sim.engine.rng import RandomStreams
from s3sim.engine.space_arrays import SpaceArrays, space_arrays
from s3sim.engine.state import EconomyState
from s3sim.space.product_space import ProductSpace

__all__ = ["WORLD_TO_REGIONS", "build_product_space", "build_state"]

WORLD_TO_REGIONS = 20.0
"""The rest of the world is this many times the simulated regions' initial output:
the regions are small open economies whose RCA is measured against world trade."""


@functools.lru_cache(maxsize=8)
def build_product_space(name: str, n_products: int = 200) -> ProductSpace:
    """The product space a configuration names (cached: it is immutable).

    Parameters
    ----------
    name : {"atlas", "synthetic"}
        ``"atlas"``: the real HS92 product space; ``"synthetic"``: a seeded
        core-periphery space of ``n_products`` products (seed 0).
    """
    if name == "atlas":
        return ProductSpace.atlas()
    if name == "synthetic":
        return ProductSpace.synthetic(n_products=n_products, seed=0)
    raise ConfigError(
        f"product_space {name!r} cannot be built from a name; allowed: atlas, synthetic "
        "(for 'from_data' pass the ProductSpace or set initial_data)"
    )


def _type_weights(config: ModelConfig, region_types: np.ndarray) -> np.ndarray:
    size = {"leading": config.size_leading, "intermediate": config.size_intermediate,
            "lagging": 1.0}
    return np.array([size[t] for t in region_types])


def _synthetic_portfolios(config: ModelConfig, ps: ProductSpace, space: SpaceArrays,
                          region_types: np.ndarray, rng: np.random.Generator
                          ) -> list[np.ndarray]:
    sizes = {"leading": config.portfolio_leading,
             "intermediate": config.portfolio_intermediate,
             "lagging": config.portfolio_lagging}
    largest = max(sizes[t] for t in region_types)  # grow_portfolio would cap it silently
    if largest > ps.n_products:
        raise ConfigError(
            f"initial portfolios of {largest} products do not fit a product space of "
            f"{ps.n_products} products; lower portfolio_leading or use a larger space"
        )
    return [grow_portfolio(ps, sizes[t], t, rng, core=space.coreness) for t in region_types]


def _validate_sizes(config: ModelConfig, portfolios: list[np.ndarray], n_products: int) -> None:
    largest = max(len(p) for p in portfolios)
    if largest > n_products:
        raise ConfigError(
            f"initial portfolios of {largest} products do not fit a product space of "
            f"{n_products} products; lower portfolio_leading or use a larger space"
        )
    if config.n_firms < len(portfolios):
        raise ConfigError(
            f"n_firms ({config.n_firms}) must be at least n_regions "
            f"({len(portfolios)}): every region needs a firm"
        )


def initial_firms(config: ModelConfig, portfolios: list[np.ndarray], weights: np.ndarray,
                  world_exports: np.ndarray, rng: np.random.Generator) -> FirmPopulation:
    """Firms spread over regions by ``weights`` and over each portfolio by market size.

    Every portfolio product gets a firm first; the rest are drawn with weights
    ``sqrt(world exports + 1)``. Sizes: ``floor + (1 - floor) LogNormal(-0.5, 1)`` with
    ``floor = min(exit_size, 0.9)`` (viable firms with mean size 1).
    """
    counts = allocate(config.n_firms, weights)
    capacity = int(np.ceil(config.capacity_factor * config.n_firms))
    firms = FirmPopulation(capacity)
    market_weight = np.sqrt(world_exports + 1.0)
    regions, products = [], []
    for r, (portfolio, n) in enumerate(zip(portfolios, counts, strict=True)):
        w = market_weight[portfolio] / market_weight[portfolio].sum()
        if n >= portfolio.size:
            extra = rng.choice(portfolio, size=n - portfolio.size, p=w)
            chosen = np.concatenate([portfolio, extra])
        else:
            chosen = rng.choice(portfolio, size=n, replace=False, p=w)
        regions.append(np.full(n, r))
        products.append(chosen)
    region = np.concatenate(regions)
    floor = min(config.exit_size, 0.9)
    size = floor + (1.0 - floor) * rng.lognormal(mean=-0.5, sigma=1.0, size=region.size)
    firms.add(region, np.concatenate(products), size, step=0)
    return firms


def initial_research(config: ModelConfig, portfolios: list[np.ndarray], weights: np.ndarray,
                     space: SpaceArrays, rng: np.random.Generator) -> ResearchSystem:
    """Research bodies per region by ``weights``; domains ``~ exp(z(PCI))`` in the portfolio."""
    counts = allocate(config.n_research_bodies, weights)
    region = np.repeat(np.arange(len(portfolios)), counts)
    domain = np.empty(region.size, dtype=np.int64)
    start = 0
    for portfolio, n in zip(portfolios, counts, strict=True):
        w = np.exp(space.pci_z[portfolio])
        domain[start:start + n] = rng.choice(portfolio, size=n, p=w / w.sum())
        start += n
    return ResearchSystem(region, domain, space.proximity, config, rng)


def _budget(policy: PolicyConfig, output: np.ndarray) -> np.ndarray:
    """Yearly budget per region, fixed at the start so all instruments get the same."""
    if policy.budget_share is not None:
        return policy.budget_share * output.sum(axis=1)
    return np.full(output.shape[0], float(policy.budget))


def build_state(config: ModelConfig, policy: PolicyConfig, seed: int | None,
                product_space: ProductSpace | None = None) -> EconomyState:
    """The economy at step 0.

    Parameters
    ----------
    config : ModelConfig
    policy : PolicyConfig
        Only its budget (``budget`` or ``budget_share``), ``attempt_response`` and
        ``venture_cost`` enter the engine.
    seed : int or None
        Root seed of the random streams (None: fresh entropy).
    product_space : ProductSpace, optional
        Overrides ``config.product_space`` (ignored when ``config.initial_data`` is set).
    """
    streams = RandomStreams.from_seed(seed)
    initial = None
    if config.initial_data is not None:
        from s3sim.engine.initial_data import load_initial_state

        initial = load_initial_state(config, product_space)
        product_space = initial.product_space
    ps = product_space or build_product_space(config.product_space, config.synthetic_products)
    space = space_arrays(ps, config.target_relatedness)
    if initial is not None:
        names = list(initial.region_names)
        types = np.asarray(initial.region_types)
        portfolios, weights = initial.portfolios, initial.firm_weights
    else:
        types = assign_region_types(config.n_regions, config.region_mix)
        names = [f"{t[:3].upper()}-{i:02d}" for i, t in enumerate(types)]
        portfolios = _synthetic_portfolios(config, ps, space, types, streams.init)
        weights = _type_weights(config, types)
    n_regions = len(names)
    _validate_sizes(config, portfolios, space.n_products)
    firms = initial_firms(config, portfolios, weights, space.world_exports, streams.init)
    counts = allocate(config.n_firms, weights)
    potential = np.maximum(1, np.ceil(config.entrant_rate * counts).astype(np.int64))
    research = initial_research(config, portfolios, weights, space, streams.research)
    market = WorldMarket(ps.world_exports, ps.pci, config, streams.market)
    # latent suitability: drawn from its own stream so every other draw is unchanged
    xi = streams.suitability.standard_normal((n_regions, space.n_products))
    suitability = config.hidden_suitability * _correlated(xi, config, streams.discovery)
    output = firms.output_matrix(n_regions, space.n_products)
    world_scale = WORLD_TO_REGIONS * output.sum() / market.demand.sum()
    measured = measure(firms, market.demand * world_scale, space, n_regions)
    discovery = _discovery(config, ps, suitability, output > 0, streams.discovery)
    return EconomyState(
        config=config, policy_config=policy, product_space=ps, space=space, streams=streams,
        region_names=names, region_types=types, firms=firms, research=research,
        market=market, suitability=suitability,
        absorb_threshold=np.where(types == "lagging", config.absorptive_threshold_lagging,
                                  config.absorptive_threshold),
        potential_entrants=potential,
        entrant_region=np.repeat(np.arange(n_regions), potential),
        world_scale=world_scale, budget=_budget(policy, measured.output),
        labour_force=measured.employment.copy(), measured=measured, discovery=discovery,
        public_inputs=PublicInputs.empty(
            n_regions, int(ps.cluster.max()) + 1 if ps.n_products else 0,
            config.public_input_cost, config.public_input_depreciation,
            config.public_input_rivalry),
        established=EstablishedTracker.start(measured.rca, config.established_floor),
        initial_market_share=market_share(measured.output, market.demand),
    )


def _correlated(xi: np.ndarray, config: ModelConfig, rng: np.random.Generator) -> np.ndarray:
    """``sqrt(rho) eta_q + sqrt(1 - rho) eps_rq``; ``xi`` itself when ``rho = 0``."""
    rho = config.suitability_correlation
    if rho <= 0:
        return xi
    common = rng.standard_normal(xi.shape[1])
    return np.sqrt(rho) * common[None, :] + np.sqrt(1.0 - rho) * xi


def _discovery(config: ModelConfig, ps: ProductSpace, suitability: np.ndarray,
               known: np.ndarray, rng: np.random.Generator) -> DiscoveryState:
    """Initial knowledge (where regions produce) and imitation speeds by cluster."""
    n_clusters = int(ps.cluster.max()) + 1 if ps.n_products else 0
    z = rng.standard_normal(n_clusters) if config.imitation_spread > 0 else np.zeros(n_clusters)
    imitation = imitation_by_product(config.imitation_speed, config.imitation_spread,
                                     ps.cluster, z)
    in_domain = None
    if config.externality_domain is not None:
        in_domain = ps.cluster == config.externality_domain
        imitation = np.where(in_domain, imitation, 0.0)
    return DiscoveryState.start(suitability, known, config.suitability_correlation, imitation,
                                in_domain)

