"""``S3Model``: regions, firms and research bodies diversifying across the product space.

The model owns the state as numpy arrays (firms, research bodies, world market) and
advances it one year per :meth:`S3Model.step` with vectorised operations; Mesa
agents (:mod:`s3sim.agents`) are created and removed only for firms that enter and
exit. The full description, with every equation and its source, is the ODD
protocol in ``docs/model.md``. Step order:

1. the world market moves (:class:`~s3sim.engine.market.WorldMarket`);
2. the policy plans: subsidy rates, research funding, priorities
   (:mod:`s3sim.policies`);
3. research bodies update knowledge; spillovers reach firms where absorbable;
4. incumbent firms and local entrepreneurs attempt diversifications (target choice
   by relatedness and market signal, subsidies granted while the budget lasts,
   success by relatedness density, knowledge and complexity);
5. incumbents grow or shrink, small and unlucky ones exit, successful attempts
   become new firms;
6. regional output -> RCA -> presence -> relatedness density, diversity, ECI, mean
   PCI are measured (:mod:`s3sim.space.metrics`) and recorded; the policy observes.
"""

from __future__ import annotations

import functools
from typing import Any

import mesa
import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from s3sim.agents import Firm, ResearchBody
from s3sim.config import ConfigError, ModelConfig, PolicyConfig
from s3sim.engine.firms import FirmPopulation
from s3sim.engine.market import WorldMarket
from s3sim.engine.regions import allocate, assign_region_types, grow_portfolio
from s3sim.engine.research import ResearchSystem
from s3sim.engine.rng import RandomStreams
from s3sim.policies import Policy, PolicyPlan, StepOutcome, make_policy
from s3sim.recorder import Recorder
from s3sim.space import metrics
from s3sim.space.product_space import ProductSpace

__all__ = ["S3Model", "build_product_space"]

WORLD_TO_REGIONS = 20.0
"""The rest of the world is this many times the simulated regions' initial output:
the regions are small open economies whose RCA is measured against world trade."""
ENTRANT_ATTEMPT_PROBABILITY = 0.5
"""Probability that a potential local entrepreneur attempts to start a firm in a year."""
LABOUR_PCI_ELASTICITY = 0.3
"""Employment per unit of output falls by this factor per standard deviation of PCI
(complex products are made with more knowledge per worker; Hausmann et al. 2014)."""


_BLAS = ThreadpoolController()
"""The matrices here are small: one BLAS thread per process is fastest (and lets
parallel sweeps use one process per core without oversubscription)."""


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


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _sample_rows(cdf_flat: np.ndarray, rows: np.ndarray, u: np.ndarray, width: int) -> np.ndarray:
    """Draw one column per row from row-wise CDFs stored flat with a row offset.

    ``cdf_flat[r * width + j] = r + CDF_r(j)`` is increasing, so a single
    ``searchsorted`` samples every row at once (inverse-transform sampling).
    """
    pos = np.searchsorted(cdf_flat, rows + u, side="right")
    return np.minimum(pos - rows * width, width - 1)


def _sample_kernel_rows(base: np.ndarray, market: np.ndarray, source: np.ndarray,
                        u: np.ndarray) -> np.ndarray:
    """One column per draw with weights ``base[source, q] * market[q]``.

    Only the CDFs of the rows actually needed are built.
    """
    rows, inverse = np.unique(source, return_inverse=True)
    return _sample_rows(_row_cdf(base[rows] * market), inverse, u, base.shape[1])


def _sample_subsidised(base: np.ndarray, market: np.ndarray, sigma: np.ndarray,
                       source: np.ndarray, region: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Targets drawn with weight ``base[source, q] * market[q] * sigma[region, q]``.

    Only the columns subsidised somewhere are materialised (a few for targeted
    instruments, all for a horizontal subsidy).
    """
    if source.size == 0:
        return source.astype(np.int64)
    cols = np.flatnonzero(sigma.any(axis=0))
    weights = base[np.ix_(source, cols)] * (market[cols] * sigma[np.ix_(region, cols)])
    idx = _sample_rows(_row_cdf(weights), np.arange(source.size), u, cols.size)
    return cols[idx]


def _row_cdf(weights: np.ndarray) -> np.ndarray:
    """Flat, offset row CDFs of a non-negative weight matrix (see :func:`_sample_rows`)."""
    totals = weights.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    cdf = np.cumsum(weights, axis=1) / totals
    cdf += np.arange(weights.shape[0])[:, None]
    return cdf.ravel()


class S3Model(mesa.Model):
    """Regional diversification on a product space under a policy instrument.

    Parameters
    ----------
    config : ModelConfig, optional
        The regional economy (default: the "default" scenario).
    policy : PolicyConfig or Policy or str, optional
        The policy instrument (default: ``"none"``, the laissez-faire baseline).
    product_space : ProductSpace, optional
        Overrides ``config.product_space``.
    rng : int, optional
        The seed. All randomness flows from it through independent streams
        (:class:`~s3sim.engine.rng.RandomStreams`); the same config, policy and seed give
        identical results.

    Attributes
    ----------
    firms : FirmPopulation
        Firm state arrays.
    research : ResearchSystem
        Research-body state arrays and collaboration network.
    market : WorldMarket
        World demand per product.
    presence, density, rca, output_matrix : ndarray (R, P)
        Current specialisation (RCA >= 1), relatedness density, RCA and output.
    last_entries : ndarray (k, 2)
        (region, product) pairs that gained RCA in the last step.
    priorities : dict[int, ndarray]
        Current priority products per region (smart specialisation, picking winners).
    """

    def __init__(
        self,
        config: ModelConfig | None = None,
        policy: PolicyConfig | Policy | str | None = None,
        *,
        product_space: ProductSpace | None = None,
        rng: int | None = None,
    ) -> None:
        if rng is not None and (isinstance(rng, bool) or not isinstance(rng, int | np.integer)
                                or rng < 0):
            raise ConfigError(f"rng (the seed) must be a non-negative integer, got {rng!r}")
        self.streams = RandomStreams.from_seed(None if rng is None else int(rng))
        super().__init__(rng=self.streams.seed)
        self.seed = self.streams.seed
        self.config = config if config is not None else ModelConfig()
        self.policy = self._make_policy(policy)
        self.policy_config = self.policy.config
        initial = None
        if self.config.initial_data is not None:
            from s3sim.engine.initial_data import load_initial_state

            initial = load_initial_state(self.config, product_space)
            product_space = initial.product_space
        self.product_space = product_space or build_product_space(
            self.config.product_space, self.config.synthetic_products
        )
        ps = self.product_space
        self._proximity = np.asarray(ps.proximity, dtype=float)
        self._pci_z = _zscore(np.asarray(ps.pci, dtype=float))
        self._labour = np.exp(-LABOUR_PCI_ELASTICITY * self._pci_z)
        self._target_kernel = self._proximity ** self.config.target_relatedness
        np.fill_diagonal(self._target_kernel, 0.0)
        self._space = None

        if initial is not None:
            self.region_names = list(initial.region_names)
            self.region_types = np.asarray(initial.region_types)
            portfolios = initial.portfolios
            firm_weights = initial.firm_weights
        else:
            self.region_types = assign_region_types(self.config.n_regions, self.config.region_mix)
            self.region_names = [f"{t[:3].upper()}-{i:02d}"
                                 for i, t in enumerate(self.region_types)]
            portfolios = self._initial_portfolios()
            firm_weights = self._type_weights()
        self.n_regions = len(self.region_names)
        self.n_products = ps.n_products
        self._validate_sizes(portfolios)
        self._init_firms(portfolios, firm_weights)
        self._init_research(portfolios, firm_weights)
        self.market = WorldMarket(ps.world_exports, ps.pci, self.config, self.streams.market)
        # latent suitability: drawn from its own stream so every other draw is unchanged
        xi = self.streams.suitability.standard_normal((self.n_regions, self.n_products))
        self.suitability = self.config.hidden_suitability * xi
        self._absorb_threshold = np.where(
            self.region_types == "lagging",
            self.config.absorptive_threshold_lagging,
            self.config.absorptive_threshold,
        )

        self.output_matrix = self.firms.output_matrix(self.n_regions, self.n_products)
        self._world_scale = WORLD_TO_REGIONS * self.output_matrix.sum() / self.market.demand.sum()
        with _BLAS.limit(limits=1, user_api="blas"):
            self._measure()
        self.budget = self._budgets()
        self.labour_force = self.regional_employment.copy()
        self.recorder = Recorder(self)
        self.policy.reset(self)
        self.priorities: dict[int, np.ndarray] = dict(self.policy.priorities)
        self.last_entries = np.empty((0, 2), dtype=int)
        self.recorder.record_step(self._empty_step_stats())

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _make_policy(policy: PolicyConfig | Policy | str | None) -> Policy:
        if policy is None:
            return make_policy(PolicyConfig())
        if isinstance(policy, Policy):
            return policy
        return make_policy(policy)

    def _type_weights(self) -> np.ndarray:
        size = {"leading": self.config.size_leading,
                "intermediate": self.config.size_intermediate, "lagging": 1.0}
        return np.array([size[t] for t in self.region_types])

    def _initial_portfolios(self) -> list[np.ndarray]:
        sizes = {"leading": self.config.portfolio_leading,
                 "intermediate": self.config.portfolio_intermediate,
                 "lagging": self.config.portfolio_lagging}
        # grow_portfolio caps a portfolio at the space's size, so check the request here
        largest = max(sizes[t] for t in self.region_types)
        if largest > self.product_space.n_products:
            raise ConfigError(
                f"initial portfolios of {largest} products do not fit a product space of "
                f"{self.product_space.n_products} products; lower portfolio_leading or use a "
                "larger space"
            )
        return [grow_portfolio(self.product_space, sizes[t], t, self.streams.init)
                for t in self.region_types]

    def _validate_sizes(self, portfolios: list[np.ndarray]) -> None:
        largest = max(len(p) for p in portfolios)
        if largest > self.n_products:
            raise ConfigError(
                f"initial portfolios of {largest} products do not fit a product space of "
                f"{self.n_products} products; lower portfolio_leading or use a larger space"
            )
        if self.config.n_firms < self.n_regions:
            raise ConfigError(
                f"n_firms ({self.config.n_firms}) must be at least n_regions "
                f"({self.n_regions}): every region needs a firm"
            )

    def _init_firms(self, portfolios: list[np.ndarray], weights: np.ndarray) -> None:
        rng = self.streams.init
        counts = allocate(self.config.n_firms, weights)
        capacity = int(np.ceil(self.config.capacity_factor * self.config.n_firms))
        self.firms = FirmPopulation(capacity)
        market_weight = np.sqrt(np.asarray(self.product_space.world_exports, dtype=float) + 1.0)
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
        product = np.concatenate(products)
        # viable firms (above exit_size) with mean size 1 and a lognormal upper tail
        floor = min(self.config.exit_size, 0.9)
        size = floor + (1.0 - floor) * rng.lognormal(mean=-0.5, sigma=1.0, size=region.size)
        slots = self.firms.add(region, product, size, step=0)
        self._firm_agents = np.empty(self.firms.capacity, dtype=object)
        self._create_firm_agents(slots)
        self.potential_entrants = np.maximum(
            1, np.ceil(self.config.entrant_rate * counts).astype(np.int64)
        )
        self._entrant_region = np.repeat(np.arange(len(portfolios)), self.potential_entrants)

    def _init_research(self, portfolios: list[np.ndarray], weights: np.ndarray) -> None:
        rng = self.streams.research
        counts = allocate(self.config.n_research_bodies, weights)
        region = np.repeat(np.arange(len(portfolios)), counts)
        domain = np.empty(region.size, dtype=np.int64)
        start = 0
        for portfolio, n in zip(portfolios, counts, strict=True):
            w = np.exp(self._pci_z[portfolio])
            domain[start:start + n] = rng.choice(portfolio, size=n, p=w / w.sum())
            start += n
        self.research = ResearchSystem(region, domain, self._proximity, self.config, rng)
        self.research_agents = [ResearchBody(self, j) for j in range(self.research.n_bodies)]

    def _budgets(self) -> np.ndarray:
        """Yearly budget per region, fixed at the start so all instruments get the same."""
        cfg = self.policy_config
        if cfg.budget_share is not None:
            return cfg.budget_share * self.output_matrix.sum(axis=1)
        return np.full(self.n_regions, float(cfg.budget))

    def _create_firm_agents(self, slots: np.ndarray) -> None:
        if self.config.agent_objects == "on_demand":
            return
        agents = self._firm_agents
        for slot in slots.tolist():
            agents[slot] = Firm(self, slot)

    # ---------------------------------------------------------------- queries
    @property
    def space(self) -> Any:
        """The product space as a :class:`mesa.discrete_space.Network` (built on first use)."""
        if self._space is None:
            from mesa.discrete_space import Network

            ps = self.product_space
            layout = {code: tuple(xy) for code, xy in zip(ps.codes, ps.xy, strict=True)}
            self._space = Network(ps.graph, random=self.random, layout=layout)
        return self._space

    def cell_of(self, product: int) -> Any:
        """The Network cell of the product with index ``product``."""
        return self.space[self.product_space.codes[product]]

    def firm_agent(self, slot: int) -> Firm:
        """The Mesa agent of the living firm in ``slot`` (created now if on demand)."""
        if not self.firms.alive[slot]:
            raise KeyError(f"no living firm in slot {slot}")
        agent = self._firm_agents[slot]
        if agent is None:
            agent = self._firm_agents[slot] = Firm(self, slot)
        return agent

    def firms_in(self, region: int, product: int | None = None) -> list[Firm]:
        """Living firms of a region (optionally producing ``product``), as agents."""
        f = self.firms
        mask = f.alive & (f.region == region)
        if product is not None:
            mask &= f.product == product
        return [self.firm_agent(s) for s in np.flatnonzero(mask)]

    def informants(self, min_proximity: float) -> np.ndarray:
        """Count local informants per region and product for an entrepreneurial discovery.

        Informants are the firms and research bodies of a region active in a product
        within ``min_proximity`` of the product (or in the product itself).
        """
        near = (self._proximity >= min_proximity).astype(float)
        np.fill_diagonal(near, 1.0)
        active = self.firms.count_matrix(self.n_regions, self.n_products)
        np.add.at(active, (self.research.region, self.research.domain), 1.0)
        return active @ near

    def history_frame(self) -> pd.DataFrame:
        """One row per (step, region) recorded so far (see ``docs/model.md``, Outputs)."""
        return self.recorder.regions_frame()

    # ------------------------------------------------------------------- step
    def step(self) -> None:
        """Advance the economy by one year."""
        with _BLAS.limit(limits=1, user_api="blas"):
            self._step()

    def _step(self) -> None:
        step = self.steps
        self.market.step()
        plan = self.policy.plan(self, self.budget.copy())
        self.priorities = {r: np.asarray(p, dtype=int) for r, p in plan.priorities.items()}
        research_spent = np.bincount(self.research.region, weights=plan.research_funding,
                                     minlength=self.n_regions)
        if np.any(research_spent > self.budget * (1 + 1e-9) + 1e-12):
            raise RuntimeError(f"policy {self.policy.name!r} overspent on research funding")
        self.research.step(plan.research_funding)
        spill = self.research.spillovers(self._proximity, self.n_regions)
        absorbed = spill * (self.density >= self._absorb_threshold[:, None])

        sigma = np.clip(plan.subsidy_rate, 0.0, 1.0)
        attempts = self._attempts(sigma)
        remaining = self.budget - research_spent
        granted_rate, subsidy_spent = self._grant_subsidies(attempts, sigma, remaining)
        funded = ~attempts["induced"] | (granted_rate > 0)  # induced only if paid for
        attempts = {k: v[funded] for k, v in attempts.items()}
        granted_rate = granted_rate[funded]
        success = self._successes(attempts, granted_rate, absorbed)
        v_region, v_product, venture_spent = self._ventures(
            plan, remaining - subsidy_spent, absorbed)

        exits = self._grow_and_exit()
        new_region = np.concatenate([attempts["region"][success], v_region])
        new_product = np.concatenate([attempts["product"][success], v_product])
        new_subsidised = np.concatenate([granted_rate[success] > 0,
                                         np.ones(v_region.size, dtype=bool)])
        sizes = np.concatenate([np.full(int(success.sum()), self.config.entry_size),
                                np.full(v_region.size, self.policy_config.venture_cost)])
        slots = self.firms.add(new_region, new_product, sizes, step, new_subsidised)
        subsidy_spent = subsidy_spent + venture_spent
        if self._firm_agents.size < self.firms.capacity:
            grown = np.empty(self.firms.capacity, dtype=object)
            grown[: self._firm_agents.size] = self._firm_agents
            self._firm_agents = grown
        self._create_firm_agents(slots)

        density_before = self.density
        presence_before = self.presence
        self.output_matrix = self.firms.output_matrix(self.n_regions, self.n_products)
        self._measure()
        gained = self.presence & ~presence_before
        lost = presence_before & ~self.presence
        self.last_entries = np.argwhere(gained)
        spent = research_spent + subsidy_spent
        stats = {
            "gained": gained,
            "lost": lost,
            "density_before": density_before,
            "presence_before": presence_before,
            "budget_spent": spent,
            "budget_unspent": self.budget - spent,
            "firm_entry_region": new_region,
            "firm_entry_product": new_product,
            "firm_entry_subsidised": new_subsidised,
            "firm_exit_region": exits,
        }
        self.recorder.record_step(stats)
        self.policy.observe(self, StepOutcome(new_region, new_product, new_subsidised))

    def _attempts(self, sigma: np.ndarray) -> dict[str, np.ndarray]:
        """Diversification attempts of incumbents and local entrepreneurs this year.

        *Natural* attempts are those firms make without any policy: the same draws,
        targets and decisions as in the baseline run on the same seed. A subsidy on
        offer adds *induced* attempts, towards subsidised targets only, in proportion
        to how much of a firm's relatedness kernel is subsidised (``attempt_response``).
        """
        cfg, pol = self.config, self.policy_config
        f = self.firms
        cap, n_p = f.capacity, self.n_products
        # fixed-size single-precision draws per slot: common random numbers, 32 B a slot
        u_attempt, u_target, u_success, u_order, u_induce, u_ind_target = (
            self.streams.firms.random((6, cap), dtype=np.float32))
        self._u_exit = self.streams.firms.random(cap, dtype=np.float32)
        self._eps_growth = self.streams.firms.standard_normal(cap, dtype=np.float32)
        er_all = self._entrant_region
        ue = self.streams.entrants.random((6, er_all.size), dtype=np.float32)

        market = np.exp(cfg.target_market * self.market.signal())
        base = self._target_kernel  # the kernel K_pq is base[p, q] * market[q]
        # bigger firms have the resources for more attempts: rate x min(1, size); a
        # tight regional labour market deters new activities (entry congestion)
        deterrence = np.exp(-cfg.entry_congestion * self._labour_tightness())
        rate = np.where(f.alive, cfg.attempt_rate * np.minimum(f.size, 1.0), 0.0)
        rate *= deterrence[f.region]
        e_weights = (self.density + 0.01) ** cfg.target_relatedness * market[None, :]

        nat = np.flatnonzero(u_attempt < rate)
        nat_target = _sample_kernel_rows(base, market, f.product[nat], u_target[nat])
        e_prob = ENTRANT_ATTEMPT_PROBABILITY * deterrence[er_all]
        e_nat = np.flatnonzero(ue[0] < e_prob)
        e_target = _sample_rows(_row_cdf(e_weights), er_all[e_nat], ue[1][e_nat], n_p)
        parts = [
            (f.region[nat], nat_target, cfg.attempt_cost * f.size[nat], u_success[nat],
             u_order[nat], False),
            (er_all[e_nat], e_target, np.full(e_nat.size, cfg.attempt_cost), ue[2][e_nat],
             ue[3][e_nat], False),
        ]
        if sigma.any():
            lam = pol.attempt_response
            live = np.flatnonzero(f.alive)
            exposure = (base @ (market[:, None] * sigma.T)) / np.maximum(
                base @ market, 1e-300)[:, None]
            share = exposure[f.product[live], f.region[live]]
            ind = live[u_induce[live] < rate[live] * lam * share]
            ind_target = _sample_subsidised(base, market, sigma, f.product[ind],
                                            f.region[ind], u_ind_target[ind])
            e_exposure = (e_weights * sigma).sum(axis=1) / e_weights.sum(axis=1)
            e_ind = np.flatnonzero(ue[4] < e_prob * lam * e_exposure[er_all])
            e_ind_target = _sample_rows(_row_cdf(e_weights * sigma), er_all[e_ind],
                                        ue[5][e_ind], n_p)
            parts += [
                (f.region[ind], ind_target, cfg.attempt_cost * f.size[ind], u_success[ind],
                 u_order[ind], True),
                (er_all[e_ind], e_ind_target, np.full(e_ind.size, cfg.attempt_cost),
                 ue[2][e_ind], ue[3][e_ind], True),
            ]
        return {
            "region": np.concatenate([p[0] for p in parts]).astype(np.int64),
            "product": np.concatenate([p[1] for p in parts]).astype(np.int64),
            "cost": np.concatenate([p[2] for p in parts]),
            "u_success": np.concatenate([p[3] for p in parts]),
            "order": np.concatenate([p[4] for p in parts]),
            "induced": np.concatenate([np.full(len(p[0]), p[5]) for p in parts]),
        }

    def _grant_subsidies(
        self, attempts: dict[str, np.ndarray], sigma: np.ndarray, remaining: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Co-finance attempts in a random order while each region's budget lasts."""
        region = attempts["region"]
        request = sigma[region, attempts["product"]] * attempts["cost"]
        granted_rate = np.zeros(region.size)
        spent = np.zeros(self.n_regions)
        if not request.any():
            return granted_rate, spent
        order = np.lexsort((attempts["order"], region))
        req_sorted = request[order]
        reg_sorted = region[order]
        cum = np.cumsum(req_sorted)
        group_start = np.searchsorted(reg_sorted, np.arange(self.n_regions))
        offset = np.concatenate([[0.0], cum])[group_start]
        within = cum - offset[reg_sorted]
        # cumulative requests only grow, so after the first request that does not fit,
        # none of the region's later requests fits either: first come, first served
        ok = (req_sorted > 0) & (within <= remaining[reg_sorted] + 1e-12)
        granted_sorted = np.where(ok, req_sorted, 0.0)
        spent = np.bincount(reg_sorted, weights=granted_sorted, minlength=self.n_regions)
        granted_rate[order[ok]] = sigma[region, attempts["product"]][order[ok]]
        return granted_rate, spent

    def _ventures(self, plan: PolicyPlan, money: np.ndarray, absorbed: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """State-led ventures: money left after subsidies builds plants in target products.

        Each venture costs ``venture_cost``; its target is drawn with the plan's
        ``venture_weights`` and it succeeds with the same law as a private attempt,
        fully publicly financed (subsidy rate 1). Draws come from the policy stream.

        Returns
        -------
        region, product : ndarray
            Successful ventures: new firms whose yearly output equals the venture's cost
            (a capital-output ratio of one).
        spent : ndarray (R,)
        """
        empty = np.empty(0, dtype=np.int64)
        spent = np.zeros(self.n_regions)
        weights = plan.venture_weights
        if weights is None or not weights.any():
            return empty, empty, spent
        cost = self.policy_config.venture_cost
        has_target = weights.sum(axis=1) > 0
        count = np.where(has_target, np.floor(np.maximum(money, 0.0) / cost + 1e-9), 0)
        count = count.astype(np.int64)
        region = np.repeat(np.arange(self.n_regions), count)
        if region.size == 0:
            return empty, empty, spent
        u = self.streams.policy.random((2, region.size))
        product = _sample_rows(_row_cdf(weights), region, u[0], self.n_products)
        ventures = {"region": region, "product": product.astype(np.int64), "u_success": u[1]}
        success = self._successes(ventures, np.ones(region.size), absorbed)
        spent = count * cost
        return region[success], product[success].astype(np.int64), spent.astype(float)

    def _successes(self, attempts: dict[str, np.ndarray], granted_rate: np.ndarray,
                   absorbed: np.ndarray) -> np.ndarray:
        """Success of each attempt: a logistic in density, knowledge, complexity, subsidy."""
        cfg = self.config
        r, q = attempts["region"], attempts["product"]
        logit = (cfg.success_base + cfg.success_density * self.density[r, q]
                 + cfg.success_knowledge * absorbed[r, q]
                 - cfg.success_complexity * self._pci_z[q]
                 + self.suitability[r, q]
                 + cfg.success_subsidy * granted_rate)
        return attempts["u_success"] < _logistic(logit)

    def _labour_tightness(self) -> np.ndarray:
        """``log(E_r / L_r)``: regional employment relative to the labour force."""
        return np.log(np.maximum(self.regional_employment, 1e-12) / self.labour_force)

    def _grow_and_exit(self) -> np.ndarray:
        """Grow incumbents; remove firms that shrink below ``exit_size`` or exit at random.

        Returns the regions of the exiting firms.
        """
        cfg = self.config
        f = self.firms
        live = np.flatnonzero(f.alive)
        reg, prod = f.region[live], f.product[live]
        crowd = self.firms.count_matrix(self.n_regions, self.n_products)[reg, prod]
        g_market = self.market.smoothed_growth - self.market.smoothed_growth.mean()
        self.labour_force = self.labour_force * (1.0 + cfg.labour_growth)
        tightness = self._labour_tightness()
        growth = (cfg.growth_base + cfg.growth_market * g_market[prod]
                  + cfg.growth_density * self.density[reg, prod]
                  - cfg.growth_crowding * np.log(crowd)
                  + cfg.localisation * self.presence[reg, prod]
                  + cfg.critical_mass * np.log(crowd) * ~self.presence[reg, prod]
                  - cfg.growth_size * np.log(f.size[live])
                  - cfg.growth_congestion * tightness[reg]
                  + cfg.growth_sd * self._eps_growth[live])
        f.size[live] *= np.exp(growth)
        exit_mask = (f.size[live] < cfg.exit_size) | (self._u_exit[live] < cfg.exit_hazard)
        leaving = live[exit_mask]
        agents = self._firm_agents
        for slot in leaving[np.not_equal(agents[leaving], None)].tolist():
            agents[slot].remove()
        agents[leaving] = None
        f.remove(leaving)
        return reg[exit_mask]

    def _measure(self) -> None:
        """Regional output -> RCA (against the world) -> presence -> density."""
        world = self.market.demand * getattr(self, "_world_scale", 1.0)
        stacked = np.vstack([self.output_matrix, world[None, :]])
        self.rca = metrics.rca(stacked)[: self.n_regions]
        self.presence = self.rca >= 1.0
        self.density = metrics.density(self.presence, self._proximity)
        self.regional_employment = self.employment()

    def _empty_step_stats(self) -> dict[str, Any]:
        zeros = np.zeros((self.n_regions, self.n_products), dtype=bool)
        empty = np.empty(0, dtype=np.int64)
        return {
            "gained": zeros, "lost": zeros, "density_before": self.density,
            "presence_before": self.presence, "budget_spent": np.zeros(self.n_regions),
            "budget_unspent": np.zeros(self.n_regions), "firm_entry_region": empty,
            "firm_entry_product": empty, "firm_entry_subsidised": np.empty(0, dtype=bool),
            "firm_exit_region": empty,
        }

    def employment(self) -> np.ndarray:
        """Employment per region: output times the labour intensity of each product."""
        f = self.firms
        return np.bincount(f.region, weights=f.size * self._labour[f.product],
                           minlength=self.n_regions)

    def run(self, steps: int | None = None) -> S3Model:
        """Run ``steps`` years (default ``config.steps``) and return the model."""
        for _ in range(self.config.steps if steps is None else steps):
            self.step()
        return self
