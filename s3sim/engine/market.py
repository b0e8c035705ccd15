"""World demand per product: the market signals firms respond to.

World demand starts from the Atlas's real world exports per product and follows a
geometric random walk with a product-specific trend. Trends are higher for more
complex products (Hausmann, Hwang & Rodrik 2007: what you export matters; the
Atlas's growth projections rest on the same regularity) and every year brings
independent shocks.
"""

from __future__ import annotations

import numpy as np

from s3sim.config import ModelConfig
from s3sim.space.metrics import zscore

__all__ = ["WorldMarket"]

_SMOOTHING = 1.0 - 0.5 ** (1.0 / 3.0)  # exponential smoothing with a 3-year half-life


class WorldMarket:
    """World demand ``D_p`` with trend growth and yearly shocks.

    ``log D_p(t+1) = log D_p(t) + g_p + e_p(t)``, with
    ``g_p ~ N(mu + beta * z(PCI_p), sd_g)`` drawn once and ``e_p(t) ~ N(0, sd_e)``.

    Parameters
    ----------
    world_exports : ndarray
        Initial world demand per product (USD); zeros are replaced by the smallest
        positive value.
    pci : ndarray
        Product complexity index, used for the trend.
    config : ModelConfig
        ``demand_growth_mean``, ``demand_growth_pci``, ``demand_growth_sd``,
        ``demand_shock_sd``.
    rng : numpy.random.Generator
        The market stream.
    """

    def __init__(
        self,
        world_exports: np.ndarray,
        pci: np.ndarray,
        config: ModelConfig,
        rng: np.random.Generator,
    ) -> None:
        demand = np.asarray(world_exports, dtype=float).copy()
        positive = demand[demand > 0]
        demand[demand <= 0] = positive.min() if positive.size else 1.0
        self.log_demand = np.log(demand)
        self.trend = (
            config.demand_growth_mean
            + config.demand_growth_pci * zscore(np.asarray(pci, dtype=float))
            + config.demand_growth_sd * rng.standard_normal(demand.size)
        )
        self.growth = self.trend.copy()
        self.smoothed_growth = self.trend.copy()
        self._shock_sd = config.demand_shock_sd
        self._rng = rng

    @property
    def demand(self) -> np.ndarray:
        """Current world demand per product (USD)."""
        return np.exp(self.log_demand)

    def step(self, extra: np.ndarray | None = None) -> None:
        """Advance one year: trend plus an independent shock per product.

        ``extra`` (log-points per product) adds a deterministic shock this year, e.g. a
        collapse of demand for one cluster; it enters growth and smoothed growth.
        """
        shocks = self._shock_sd * self._rng.standard_normal(self.log_demand.size)
        self.growth = self.trend + shocks
        if extra is not None:
            self.growth = self.growth + extra
        self.log_demand += self.growth
        self.smoothed_growth += _SMOOTHING * (self.growth - self.smoothed_growth)

    def signal(self) -> np.ndarray:
        """Market attractiveness per product, a standardised score.

        ``s_p = 0.5 z(log D_p) + 0.5 z(smoothed growth_p)``: firms look at both the size
        and the recent growth of a market (smoothed with a 3-year half-life).
        """
        return 0.5 * zscore(self.log_demand) + 0.5 * zscore(self.smoothed_growth)
