"""Research bodies (universities, public labs): knowledge, collaboration, spillovers.

Each research body has a home region, a knowledge domain (a product of the product
space) and a knowledge stock. Knowledge depreciates, is renewed by a base budget
and grows with policy funding. Research bodies collaborate across regions through a
``networkx`` collaboration network whose links favour related domains; a partner's
knowledge adds to a body's effective knowledge. Knowledge spills over to firms of
the same region working on products related to the domain (Jaffe 1989; Audretsch &
Feldman 1996), but only where the region can absorb it: relatedness density above
an absorptive-capacity threshold (Cohen & Levinthal 1990).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp

from s3sim.config import ModelConfig

__all__ = ["ResearchSystem"]


class ResearchSystem:
    """State of all research bodies, as arrays.

    Parameters
    ----------
    region, domain : ndarray of int
        Home region and knowledge domain (product index) of each body.
    proximity : ndarray
        The product space's proximity matrix (P x P).
    config : ModelConfig
        ``knowledge_decay``, ``knowledge_base``, ``research_productivity``,
        ``collaboration_degree``, ``collaboration_weight``.
    rng : numpy.random.Generator
        The research stream (used to draw the collaboration network).
    """

    def __init__(
        self,
        region: np.ndarray,
        domain: np.ndarray,
        proximity: np.ndarray,
        config: ModelConfig,
        rng: np.random.Generator,
    ) -> None:
        self.region = np.asarray(region, dtype=np.int32)
        self.domain = np.asarray(domain, dtype=np.int32)
        n = self.region.size
        self.decay = config.knowledge_decay
        self.base = config.knowledge_base
        self.productivity = config.research_productivity
        self.collaboration_weight = config.collaboration_weight
        # Start at the steady state of the base budget: k* = base / decay.
        steady = self.base / self.decay if self.decay > 0 else 1.0
        self.knowledge = np.full(n, steady, dtype=float)
        self.funding = np.zeros(n, dtype=float)
        self._domain_rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.network = self._collaboration_network(proximity, config.collaboration_degree, rng)
        adjacency = nx.to_scipy_sparse_array(self.network, nodelist=range(n), format="csr")
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
        degree[degree == 0] = 1.0
        self._mixing = sp.diags(1.0 / degree) @ adjacency  # row-normalised partners

    @property
    def n_bodies(self) -> int:
        """Number of research bodies."""
        return int(self.region.size)

    def _collaboration_network(
        self, proximity: np.ndarray, degree: float, rng: np.random.Generator
    ) -> nx.Graph:
        """Cross-region links, each body choosing partners with weight ``phi + 0.01``."""
        n = self.region.size
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        if n < 2:
            return graph
        links_each = max(0, round(degree / 2))
        for j in range(n):
            weight = proximity[self.domain[j], self.domain] + 0.01
            weight[self.region == self.region[j]] = 0.0
            if not weight.any() or links_each == 0:
                continue
            k = min(links_each, int(np.count_nonzero(weight)))
            partners = rng.choice(n, size=k, replace=False, p=weight / weight.sum())
            graph.add_edges_from((j, int(p)) for p in partners)
        return graph

    def step(self, funding: np.ndarray) -> None:
        """Update knowledge: ``k <- (1 - delta) k + base + productivity * funding``."""
        self.funding = np.asarray(funding, dtype=float)
        self.knowledge = (1.0 - self.decay) * self.knowledge + self.base
        self.knowledge += self.productivity * self.funding

    def effective_knowledge(self) -> np.ndarray:
        """Own knowledge plus ``collaboration_weight`` x the mean knowledge of partners."""
        return self.knowledge + self.collaboration_weight * (self._mixing @ self.knowledge)

    def spillovers(self, proximity: np.ndarray, n_regions: int) -> np.ndarray:
        """Knowledge available to each region's firms in each product, in [0, 1).

        ``K_rq = 1 - exp(-sum_{j in r} keff_j * phi(domain_j, q) / k*)`` where ``k*`` is
        the steady-state knowledge of an unfunded body: saturating in the amount of
        related knowledge in the region.
        """
        k_star = self.base / self.decay if self.decay > 0 else 1.0
        weights = self.effective_knowledge() / k_star
        membership = sp.csr_array(
            (weights, (self.region, np.arange(self.n_bodies))),
            shape=(n_regions, self.n_bodies),
        )
        exposure = membership @ self._rows_of_domains(proximity)
        return -np.expm1(-exposure)

    def _rows_of_domains(self, proximity: np.ndarray) -> np.ndarray:
        """``proximity[domain]``, kept while the proximity matrix and the domains are unchanged."""
        cached = self._domain_rows
        if cached is None or cached[0] is not proximity or not np.array_equal(cached[1],
                                                                              self.domain):
            cached = self._domain_rows = (proximity, self.domain.copy(), proximity[self.domain])
        return cached[2]

    def count_by_region(self, n_regions: int) -> np.ndarray:
        """Number of research bodies per region."""
        return np.bincount(self.region, minlength=n_regions)
