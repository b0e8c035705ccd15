"""Growth and exit of incumbent firms.

``log s' = log s + g0 + g_m (gbar_q - mean gbar) + g_d d_rq - g_c log n_rq
+ l M_rq + m log n_rq (1 - M_rq) - g_s log s - g_t T_r + sd eps`` and a firm exits
when ``s' < exit_size`` or with probability ``exit_hazard`` (``docs/model.md``,
Sub-models: growth and exit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s3sim.engine.draws import YearDraws
from s3sim.engine.state import EconomyState

__all__ = ["Growth", "grow_and_exit"]


@dataclass(frozen=True)
class Growth:
    """The result of a year's growth for the living firms.

    Attributes
    ----------
    slots : ndarray of int
        Slots of the firms alive at the start of the year.
    size : ndarray
        Their new sizes.
    exiting : ndarray of bool
        Which of them exit.
    labour_force : ndarray (R,)
        The regions' labour force after this year's growth.
    """

    slots: np.ndarray
    size: np.ndarray
    exiting: np.ndarray
    labour_force: np.ndarray


def grow_and_exit(state: EconomyState, draws: YearDraws) -> Growth:
    """Grow every living firm and decide which exit (the state is not changed)."""
    cfg = state.config
    f = state.firms
    density, presence = state.measured.density, state.measured.presence
    live = np.flatnonzero(f.alive)
    reg, prod = f.region[live], f.product[live]
    log_crowd = np.log(f.count_matrix(state.n_regions, state.n_products)[reg, prod])
    smoothed = state.market.smoothed_growth
    labour_force = state.labour_force * (1.0 + cfg.labour_growth)
    tightness = np.log(np.maximum(state.measured.employment, 1e-12) / labour_force)
    present = presence[reg, prod]
    growth = (cfg.growth_base + cfg.growth_market * (smoothed - smoothed.mean())[prod]
              + cfg.growth_density * density[reg, prod]
              - cfg.growth_crowding * log_crowd
              + cfg.localisation * present
              + cfg.critical_mass * log_crowd * ~present
              - cfg.growth_size * np.log(f.size[live])
              - cfg.growth_congestion * tightness[reg]
              + cfg.growth_sd * draws.growth[live])
    size = f.size[live] * np.exp(growth)
    exiting = (size < cfg.exit_size) | (draws.exit[live] < cfg.exit_hazard)
    return Growth(slots=live, size=size, exiting=exiting, labour_force=labour_force)
