"""Growth and exit of incumbent firms.

``log s' = log s + g0 + g_m (gbar_q - mean gbar) + g_d d_rq - g_c log n_rq
+ l M_rq + m log n_rq (1 - M_rq) - g_s log s - g_t T_r + sd eps`` and a firm exits
when ``s' < exit_size`` or with probability ``exit_hazard`` (``docs/model.md``,
Sub-models: growth and exit). Two optional market-failure terms (0 = off):
``+ gamma_V (S(L_rq + psi P_rq) - 1)``, the viability of an activity without enough
co-located related capability (:mod:`s3sim.engine.coordination`), and
``- gamma_C (log m_q(t) - log m_q(0))``, competition for world demand: the regions'
combined share ``m_q`` of world demand for q rises, prices and margins fall. A demand
shock (``shock_cluster``) cuts the log size of the cluster's firms by ``shock_size`` in
``shock_year``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s3sim.engine.coordination import related_output, viability
from s3sim.engine.draws import YearDraws
from s3sim.engine.state import EconomyState

__all__ = ["Growth", "grow_and_exit", "market_share", "viability_of"]


def market_share(output: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """The regions' combined output per product relative to world demand, ``m_q``."""
    return np.maximum(output.sum(axis=0), 1e-12) / demand


def viability_of(state: EconomyState) -> np.ndarray:
    """``S(L_rq + psi P_rq)`` for every region and product (1 outside the externality domain)."""
    cfg = state.config
    capability = related_output(state.measured.output, state.space.proximity)
    if cfg.public_input_strength > 0:
        capability = capability + cfg.public_input_strength * state.public_inputs.serving(
            state.product_space.cluster)
    s = viability(capability, cfg.critical_mass_threshold)
    if cfg.externality_domain is not None:
        s = np.where(state.product_space.cluster[None, :] == cfg.externality_domain, s, 1.0)
    return s


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
    live, cell = f.cells(state.n_products)
    reg, prod = f.region[live], f.product[live]
    count = np.bincount(cell, minlength=density.size).reshape(density.shape).astype(float)
    smoothed = state.market.smoothed_growth
    labour_force = state.labour_force * (1.0 + cfg.labour_growth)
    tightness = np.log(np.maximum(state.measured.employment, 1e-12) / labour_force)
    # the terms that depend only on the firm's (region, product) cell are summed once per
    # cell and gathered: the same operations in the same order as per firm (empty cells,
    # whose log count is -inf, are never gathered)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_crowd = np.log(count)
        cell_growth = (cfg.growth_base + cfg.growth_market * (smoothed - smoothed.mean())
                       + cfg.growth_density * density
                       - cfg.growth_crowding * log_crowd
                       + cfg.localisation * presence
                       + cfg.critical_mass * log_crowd * ~presence)
    # in place, term by term: the same operations in the same order, fewer temporaries
    growth = cell_growth.ravel()[cell]
    growth -= cfg.growth_size * np.log(f.size[live])
    growth -= cfg.growth_congestion * tightness[reg]
    growth += cfg.growth_sd * draws.growth[live]
    if cfg.viability_strength > 0:
        growth = growth + cfg.viability_strength * (viability_of(state)[reg, prod] - 1.0)
    if cfg.shock_cluster is not None and state.step == cfg.shock_year:
        # the demand shock cuts the sales of the cluster's firms at once (the market's
        # smoothed growth, which firms also follow, carries it for a few more years)
        growth = growth - cfg.shock_size * (state.product_space.cluster[prod]
                                            == cfg.shock_cluster)
    if cfg.market_competition > 0:
        share = market_share(state.measured.output, state.market.demand)
        change = np.log(share / state.initial_market_share)
        growth = growth - cfg.market_competition * change[prod]
    size = f.size[live] * np.exp(growth)
    exiting = (size < cfg.exit_size) | (draws.exit[live] < cfg.exit_hazard)
    return Growth(slots=live, size=size, exiting=exiting, labour_force=labour_force)
