"""``S3Model``: the Mesa face of the engine (:mod:`s3sim.engine`).

The economy lives in an :class:`~s3sim.engine.state.EconomyState` of numpy arrays and
advances one year per :meth:`S3Model.step` through :func:`s3sim.engine.step.step`.
This class adds what Mesa users expect: a ``mesa.Model`` with ``Firm`` and
``ResearchBody`` agents, a product-space ``Network``, the recorder's tables, and
inspection queries. Firm agents are views on firm slots, materialised lazily when
``model.agents``, ``agents_by_type``, ``firms_in`` or ``firm_agent`` is read: users see
one agent per living firm, and a run nobody inspects pays no per-agent Mesa bookkeeping.
Equations: ``docs/model.md``; code layout: ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from s3sim.agents import Firm, ResearchBody
from s3sim.blas import one_blas_thread
from s3sim.config import ConfigError, ModelConfig, PolicyConfig
from s3sim.datacollector import RecorderDataCollector
from s3sim.engine.build import build_product_space, build_state
from s3sim.engine.observation import StepOutcome, observe
from s3sim.engine.step import StepResult, start_year, step
from s3sim.policies import Policy, make_policy
from s3sim.recorder import Recorder
from s3sim.space.product_space import ProductSpace

__all__ = ["S3Model", "build_product_space"]

"""The matrices are small: one BLAS thread per process is fastest (and lets parallel
sweeps use one process per core without oversubscription)."""

_STATE_VIEWS = {  # model attribute -> where it lives in the engine state
    **{name: name for name in (
        "firms", "research", "market", "suitability", "budget", "labour_force", "streams",
        "region_names", "region_types", "n_regions", "n_products", "potential_entrants",
        "product_space")},
    "presence": "measured.presence", "density": "measured.density", "rca": "measured.rca",
    "output_matrix": "measured.output", "regional_employment": "measured.employment",
}


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
        The seed: all randomness flows from it through independent streams
        (:class:`~s3sim.engine.rng.RandomStreams`).

    Attributes
    ----------
    state : s3sim.engine.state.EconomyState
        The engine state. ``firms``, ``research``, ``market``, ``presence``, ``density``,
        ``rca``, ``output_matrix``, ``regional_employment``, ``budget``, ... read it.
    priorities : dict[int, ndarray]
        Current priority products per region.
    last_entries : ndarray (k, 2)
        (region, product) pairs that gained RCA in the last step.
    last_result : StepResult or None
        Everything the last year changed.
    """

    def __init__(self, config: ModelConfig | None = None,
                 policy: PolicyConfig | Policy | str | None = None, *,
                 product_space: ProductSpace | None = None, rng: int | None = None) -> None:
        if rng is not None and (isinstance(rng, bool) or not isinstance(rng, int | np.integer)
                                or rng < 0):
            raise ConfigError(f"rng (the seed) must be a non-negative integer, got {rng!r}")
        self.config = config if config is not None else ModelConfig()
        self.policy = policy if isinstance(policy, Policy) else make_policy(
            PolicyConfig() if policy is None else policy)
        self.policy_config = self.policy.config
        with one_blas_thread():
            self.state = build_state(self.config, self.policy_config,
                                     None if rng is None else int(rng), product_space)
        super().__init__(rng=self.state.streams.seed)
        self.seed = self.state.streams.seed
        self._space = None
        self._firm_agents = np.empty(0, dtype=object)  # slot -> Firm agent or None
        self._agent_born = np.empty(0, dtype=np.int32)  # the agent's firm's entry year
        self.research_agents = [ResearchBody(self, j) for j in range(self.research.n_bodies)]
        self.recorder = Recorder(self.state, self.policy.name)
        self.datacollector = RecorderDataCollector(self.recorder)  # Mesa's interface
        self.policy.reset(observe(self.state))
        self.priorities: dict[int, np.ndarray] = dict(self.policy.priorities)
        self.last_entries = np.empty((0, 2), dtype=int)
        self.last_result: StepResult | None = None
        self.recorder.record_step(None, self.priorities)

    def __getattr__(self, name: str) -> Any:
        path = _STATE_VIEWS.get(name)
        if path is None or "state" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value: Any = self.state
        for part in path.split("."):
            value = getattr(value, part)
        return value

    # ------------------------------------------------------------------- step
    def step(self) -> None:
        """Advance the economy by one year."""
        self.last_result = None  # last year's draws are freed before this year's are made
        with one_blas_thread():
            obs = start_year(self.state)
            plan = self.policy.plan(obs, obs.budget.copy())
            self.priorities = {r: np.asarray(p, dtype=int) for r, p in plan.priorities.items()}
            result = step(self.state, plan, self.policy.name)
            self.last_result = result
            self.last_entries = np.argwhere(result.gained)
            self.recorder.record_step(result, self.priorities)
            self.policy.observe(StepOutcome(result.entry_region, result.entry_product,
                                            result.entry_subsidised))

    def run(self, steps: int | None = None) -> S3Model:
        """Run ``steps`` years (default ``config.steps``) and return the model."""
        with one_blas_thread():
            for _ in range(self.config.steps if steps is None else steps):
                self.step()
        return self

    # ----------------------------------------------------------- Mesa agents
    def _sync_agents(self) -> np.ndarray:
        """Remove agents of exited firms; create the missing ones if ``agent_objects="all"``."""
        f, agents = self.firms, self._firm_agents
        if agents.size < f.capacity:
            grown = np.empty(f.capacity, dtype=object)
            grown[: agents.size] = agents
            self._firm_agents = agents = grown
            self._agent_born = np.resize(self._agent_born, f.capacity)
        has = np.not_equal(agents, None)
        stale = has & (~f.alive | (self._agent_born != f.born))  # exited (slot maybe reused)
        for agent in agents[stale].tolist():
            agent.remove()
        agents[stale] = None
        if self.config.agent_objects == "all":
            for slot in np.flatnonzero(f.alive & (~has | stale)).tolist():
                agents[slot] = Firm(self, slot)
            self._agent_born[f.alive] = f.born[f.alive]
        return agents

    @property
    def agents(self) -> Any:
        """All Mesa agents: one ``Firm`` per living firm and every ``ResearchBody``."""
        self._sync_agents()
        return self._all_agents

    @property
    def agents_by_type(self) -> dict[type, Any]:
        """Mesa's agent sets by type (``Firm``, ``ResearchBody``), up to date."""
        self._sync_agents()
        return self._agents_by_type

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
        agents = self._sync_agents()
        if agents[slot] is None:
            agents[slot] = Firm(self, slot)
            self._agent_born[slot] = self.firms.born[slot]
        return agents[slot]

    def firms_in(self, region: int, product: int | None = None) -> list[Firm]:
        """Living firms of a region (optionally producing ``product``), as agents."""
        f = self.firms
        mask = f.alive & (f.region == region)
        if product is not None:
            mask &= f.product == product
        self._sync_agents()
        return [self.firm_agent(s) for s in np.flatnonzero(mask)]

    def history_frame(self) -> pd.DataFrame:
        """One row per (step, region) recorded so far (see ``docs/model.md``, Outputs)."""
        return self.recorder.regions_frame()
