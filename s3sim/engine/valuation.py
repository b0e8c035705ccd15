r"""One valuation: what a success is worth to its owner and to society, from the agents' own terms.

The net-benefit code (:mod:`s3sim.experiments.welfare`) and the oracle instrument
(:mod:`s3sim.policies.oracle`) value outcomes with the quantities defined here, built
from what the agents themselves use. Equations: ``docs/model.md`` 7.10.

The owners' margin
    A successful entrant produces an output stream :math:`x_a` (output units per year,
    :math:`a` years after entry). Its owner values the success at :math:`V_0`
    (``success_value``). With :math:`Q_\delta = E[\sum_{a\ge0}(1+\delta)^{-a}x_a]` the
    expected present value of that stream at the social discount rate
    :math:`\delta`, measured on the laissez-faire economy (:func:`measure_success_value`),
    the owners' margin is :math:`\mu = V_0/Q_\delta`: the share of output that is rent
    when the rents of a success are worth exactly what its owner expects. The rest,
    :math:`1-\mu`, pays the inputs (labour).
The shadow wage
    Inputs drawn from idle labour cost society little, those of a fully employed region
    their market value (Del Bo, Fiorio & Florio 2011; the European Commission's
    cost-benefit guide uses :math:`w^*/w = 1 - u`). With the region's employment
    :math:`E_r` and labour force :math:`L_r` simulated, idle labour is
    :math:`u_r = \max(0, 1 - E_r/L_r)` and the shadow-wage factor :math:`s_r = 1-u_r`.
    The social value of one unit of additional output is the *valued share*
    :math:`\mu + (1-\mu)(1-s_r)`; a user's fixed opportunity cost of inputs
    :math:`\omega` (a share of output) replaces it by :math:`1-\omega`.
The social value of one success (first order)
    .. math::

        SV_{rq} = \underbrace{V_q}_{\text{owner}}
                + \underbrace{V_0 - V_q}_{\text{followers' rents}}
                + \underbrace{(v_r - \mu) Q}_{\text{labour surplus}}
                + C_{rq} + K_{rq} - N_{rq} - U_{rq} - M_{q},

    :math:`V_q` the owner's rent after imitation (:func:`~s3sim.engine.discovery.private_value`),
    :math:`v_r` the valued share; :math:`C` the coordination gain (the entrant's output
    raises related firms' viability), :math:`K` the relatedness spillover (a new
    specialisation raises the density, hence the growth, of related firms), :math:`N`
    crowding of the firms already in (r, q), :math:`U` labour-market congestion and
    :math:`M` lost world-market share of every producer of q
    (:func:`social_value_of_success`). A yearly growth impulse :math:`g` to firms of
    output :math:`X` is worth :math:`v X g F` per unit of the entrant's output, with
    :math:`F = 1/(1 - (1-\beta_s)/(1+\delta))` the present value of an impulse that
    decays with the mean reversion of log size :math:`\beta_s` (``growth_size``).
    Effects on the success of later attempts are not in :math:`SV` (they are in the
    simulated net benefit).

References
----------
.. [1] Del Bo, C., Fiorio, C. & Florio, M. (2011). Shadow wages for the EU regions.
   Fiscal Studies 32(1), 109-143.
.. [2] European Commission (2014). Guide to Cost-Benefit Analysis of Investment Projects.
.. [3] Small, K. A. & Rosen, H. S. (1981). Applied welfare economics with discrete choice
   models. Econometrica 49(1), 105-130.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from s3sim.config import ModelConfig, PolicyConfig
from s3sim.engine.coordination import STEEPNESS, related_output
from s3sim.engine.discovery import private_value
from s3sim.engine.diversification import Attempts, perceived_value, success_logit
from s3sim.engine.state import EconomyState
from s3sim.space.product_space import ProductSpace

__all__ = [
    "REFERENCE_SEEDS",
    "SocialValue",
    "SuccessValue",
    "displacement",
    "grant_gain",
    "impulse_factor",
    "measure_success_value",
    "shadow_wage_factor",
    "social_value_of_success",
    "success_value_of",
    "valued_share",
]

REFERENCE_SEEDS: tuple[int, ...] = (0, 1, 2, 3)
"""Seeds of the laissez-faire runs that measure :math:`Q` (fixed: one value per economy)."""
_YEARS = 50
_COHORT_YEARS = 10
_VERSION = 1  # bump when the measurement changes (invalidates the disk cache)


@dataclass(frozen=True)
class SuccessValue:
    r"""What a successful entrant's output is worth, measured on the laissez-faire economy.

    Attributes
    ----------
    output_pv : dict[float, float]
        :math:`Q_\delta`: expected present value at rate :math:`\delta` of a successful
        entrant's output over its life (output units).
    alive_pv : dict[float, float]
        Expected present value of its years alive.
    private_value : float
        :math:`V_0`, what a success is worth to its owner without imitation.
    entrants : int
        Entrants the measurement followed.

    Examples
    --------
    >>> v = SuccessValue({0.03: 10.0}, {0.03: 15.0}, 2.0, 100)
    >>> v.rent_margin(0.03)
    0.2
    """

    output_pv: dict[float, float]
    alive_pv: dict[float, float]
    private_value: float
    entrants: int

    def rent_margin(self, rate: float) -> float:
        r"""The owners' margin :math:`\mu = \min(1, V_0 / Q_\delta)`."""
        q = self._at(self.output_pv, rate)
        return float(min(1.0, self.private_value / q)) if q > 0 else 1.0

    def output(self, rate: float) -> float:
        r""":math:`Q_\delta`."""
        return self._at(self.output_pv, rate)

    def alive(self, rate: float) -> float:
        """Present value of the years alive at ``rate``."""
        return self._at(self.alive_pv, rate)

    @staticmethod
    def _at(table: dict[float, float], rate: float) -> float:
        for key, value in table.items():
            if abs(float(key) - rate) < 1e-12:
                return float(value)
        raise KeyError(f"no measurement at discount rate {rate:g}; measured: "
                       f"{', '.join(f'{float(k):g}' for k in table)}")


def shadow_wage_factor(employment: np.ndarray, labour_force: np.ndarray) -> np.ndarray:
    r"""``w*/w = 1 - u`` with idle labour ``u = max(0, 1 - E/L)``.

    Examples
    --------
    >>> shadow_wage_factor(np.array([0.9, 1.2]), np.array([1.0, 1.0]))
    array([0.9, 1. ])
    """
    ratio = np.asarray(employment, dtype=float) / np.asarray(labour_force, dtype=float)
    return np.clip(ratio, 0.0, 1.0)


def valued_share(rent_margin: float, shadow: np.ndarray | float,
                 input_cost_share: float | None = None) -> np.ndarray:
    r"""Share of additional output that is a social gain: :math:`\mu + (1-\mu)(1-s)`.

    With a fixed opportunity cost of inputs :math:`\omega` (``input_cost_share``) it is
    :math:`1-\omega` instead.

    Examples
    --------
    >>> valued_share(0.2, np.array([1.0, 0.5])).round(6).tolist()
    [0.2, 0.6]
    >>> float(valued_share(0.2, 1.0, input_cost_share=0.0))
    1.0
    """
    shadow = np.asarray(shadow, dtype=float)
    if input_cost_share is not None:
        return np.full(shadow.shape, 1.0 - float(input_cost_share))
    return rent_margin + (1.0 - rent_margin) * (1.0 - shadow)


def impulse_factor(growth_size: float, rate: float) -> float:
    r"""Present value of a unit growth impulse to log size, ``1 / (1 - (1 - b_s)/(1 + d))``.

    Examples
    --------
    >>> round(impulse_factor(0.2, 0.03), 3)
    4.478
    """
    persistence = (1.0 - growth_size) / (1.0 + rate)
    return float(1.0 / (1.0 - persistence)) if persistence < 1.0 else float("inf")


def displacement(k: float) -> float:
    r"""Share of an entrant's output others lose through a self-correcting penalty: ``k/(1+k)``.

    Congestion (``growth_congestion`` :math:`\gamma_L` on labour tightness) and competition
    for world demand (``market_competition`` :math:`\gamma_C` on market share) penalise
    the growth of other firms in proportion to the entrant's share of employment or of
    the market; as they shrink, the penalty eases. With :math:`k = \gamma F` the
    others' output falls by :math:`k/(1+k)` of the entrant's (``F`` the impulse factor).

    Examples
    --------
    >>> displacement(1.0)
    0.5
    """
    return float(k / (1.0 + k))


# ----------------------------------------------------------------- measuring Q
def _fingerprint(config: ModelConfig, product_space: ProductSpace, rates: tuple[float, ...]
                 ) -> str:
    fields = dataclasses.asdict(config)
    for name in ("steps", "agent_objects"):  # do not change the economy
        fields.pop(name, None)
    digest = hashlib.sha256(json.dumps(
        {"config": fields, "rates": rates, "seeds": REFERENCE_SEEDS, "years": _YEARS,
         "cohorts": _COHORT_YEARS, "version": _VERSION}, sort_keys=True, default=str
    ).encode())
    digest.update(np.ascontiguousarray(product_space.proximity, dtype=float).tobytes())
    digest.update(np.ascontiguousarray(product_space.pci, dtype=float).tobytes())
    return digest.hexdigest()[:24]


def _cache_file(key: str) -> Path | None:
    if os.environ.get("S3SIM_NO_CACHE"):
        return None
    from s3sim.space.product_space import _cache_dir

    return _cache_dir() / "success_value" / f"{key}.json"


_MEMORY: dict[str, SuccessValue] = {}


def measure_success_value(config: ModelConfig, product_space: ProductSpace,
                          rates: tuple[float, ...] = (0.03, 0.05)) -> SuccessValue:
    r"""Measure :math:`Q_\delta` on laissez-faire runs of the economy ``config``.

    Runs the engine without a policy on :data:`REFERENCE_SEEDS` for 50 years and follows
    every firm that enters in years 1-10 to the end: :math:`Q_\delta` is the cohorts'
    discounted output per entrant (output units; the 30-40 years followed hold nearly
    all of it: the exit hazard alone ends 70 % of firms within 30 years). Cached in
    memory and on disk (the product space's cache directory) by the economy's
    parameters and product space; ``steps`` does not enter.
    """
    rates = tuple(sorted({float(r) for r in rates}))
    key = _fingerprint(config, product_space, rates)
    if key in _MEMORY:
        return _MEMORY[key]
    path = _cache_file(key)
    if path is not None and path.is_file():
        try:
            raw = json.loads(path.read_text())
            value = SuccessValue({float(k): float(v) for k, v in raw["output_pv"].items()},
                                 {float(k): float(v) for k, v in raw["alive_pv"].items()},
                                 float(raw["private_value"]), int(raw["entrants"]))
            _MEMORY[key] = value
            return value
        except (ValueError, KeyError, OSError):
            pass  # unreadable cache: measure again
    value = _measure(config, product_space, rates)
    _MEMORY[key] = value
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(dataclasses.asdict(value)))
            tmp.replace(path)
        except OSError:
            pass  # read-only cache directory: the memory cache still works
    return value


def _measure(config: ModelConfig, product_space: ProductSpace,
             rates: tuple[float, ...]) -> SuccessValue:
    from s3sim.engine.build import build_state
    from s3sim.engine.observation import PolicyPlan
    from s3sim.engine.step import start_year, step

    years, cohorts = _YEARS, _COHORT_YEARS
    output = np.zeros((years + 1, cohorts + 1))
    alive = np.zeros((years + 1, cohorts + 1))
    entrants = np.zeros(cohorts + 1)
    for seed in REFERENCE_SEEDS:
        state = build_state(config, PolicyConfig("none"), seed, product_space)
        plan = PolicyPlan(subsidy_rate=np.zeros((state.n_regions, state.n_products)),
                          research_funding=np.zeros(state.research.n_bodies))
        for t in range(1, years + 1):
            start_year(state)
            result = step(state, plan, "none")
            if t <= cohorts:
                entrants[t] += result.entry_region.size
            f = state.firms
            live = f.alive & (f.born >= 1) & (f.born <= cohorts)
            output[t] += np.bincount(f.born[live], weights=f.size[live], minlength=cohorts + 1)
            alive[t] += np.bincount(f.born[live], minlength=cohorts + 1)
    n = float(entrants[1:].sum())
    age = np.arange(years + 1)[:, None] - np.arange(cohorts + 1)[None, :]
    valid = age >= 0
    out_pv, alive_pv = {}, {}
    for rate in rates:
        disc = np.where(valid, (1.0 + rate) ** -np.maximum(age, 0), 0.0)
        out_pv[rate] = float((disc[:, 1:] * output[:, 1:]).sum() / n) if n else 0.0
        alive_pv[rate] = float((disc[:, 1:] * alive[:, 1:]).sum() / n) if n else 0.0
    return SuccessValue(out_pv, alive_pv, float(config.success_value), int(n))


def success_value_of(state: EconomyState, rates: tuple[float, ...] = (0.03, 0.05)
                     ) -> SuccessValue:
    """:func:`measure_success_value` for the economy of ``state``."""
    return measure_success_value(state.config, state.product_space, rates)


# ------------------------------------------------------- social value per cell
@dataclass(frozen=True)
class SocialValue:
    """The social value of one success in every (region, product), by channel (R x P).

    Every channel is in output units, present value at the social rate; ``total`` is
    their sum and ``gap`` the social minus the private value (the owner's ``owner``).
    """

    owner: np.ndarray
    followers: np.ndarray
    labour: np.ndarray
    coordination: np.ndarray
    spillover: np.ndarray
    crowding: np.ndarray
    congestion: np.ndarray
    competition: np.ndarray

    CHANNELS = ("owner", "followers", "labour", "coordination", "spillover", "crowding",
                "congestion", "competition")

    @property
    def total(self) -> np.ndarray:
        """The social value of a success."""
        return (self.owner + self.followers + self.labour + self.coordination
                + self.spillover - self.crowding - self.congestion - self.competition)

    @property
    def gap(self) -> np.ndarray:
        """Social minus private value (the externality of a success)."""
        return self.total - self.owner


def social_value_of_success(state: EconomyState, success: SuccessValue, rate: float = 0.03,
                            input_cost_share: float | None = None) -> SocialValue:
    r"""First-order social value of one more success in each (region, product) now.

    Channels (module docstring), with :math:`v_r` the valued share, :math:`F` the
    impulse factor and :math:`Q`, :math:`A` the output and alive present values:

    * owner :math:`V_q`; followers :math:`\kappa (V_0 - V_q)`; labour :math:`(v_r - \mu)Q`;
    * coordination :math:`C_{rq} = v_r \gamma_V F Q \sum_p X_{rp} S'(L_{rp}+\psi P_{rp})\phi_{pq}`
      (products in the externality domain);
    * spillover :math:`K_{rq} = v_r \gamma_d F A \sum_p X_{rp}\phi_{pq}/\sum_{q'}\phi_{pq'}`
      when one entrant makes the region specialised in q;
    * crowding :math:`N_{rq} = v_r \gamma_c F A X_{rq}/n_{rq}` for the :math:`n_{rq}`
      firms already in (r, q);
    * congestion :math:`U_{rq} = v_r D(\gamma_L F) Q \ell_q X_r / E_r`
      (``growth_congestion``, labour intensity :math:`\ell_q`, :func:`displacement` D);
    * competition :math:`M_q = v_r D(\gamma_C F) Q` (``market_competition``: every
      producer of q loses share);

    the output the success adds to others (followers, coordination, spillover) is itself
    displaced: those channels carry :math:`\kappa = (1 - D(\gamma_L F))(1 - D(\gamma_C F))`.
    """
    cfg = state.config
    measured = state.measured
    n_r, n_p = state.n_regions, state.n_products
    v0 = float(cfg.success_value)
    mu = success.rent_margin(rate)
    q_pv, a_pv = success.output(rate), success.alive(rate)
    shadow = shadow_wage_factor(measured.employment, state.labour_force)
    share = valued_share(mu, shadow, input_cost_share)[:, None]  # (R, 1)
    factor = impulse_factor(cfg.growth_size, rate)
    owner = np.broadcast_to(private_value(v0, cfg.decision_horizon, cfg.private_discount,
                                          state.discovery.imitation)[None, :], (n_r, n_p))
    zero = np.zeros((n_r, n_p))
    followers = v0 - owner
    labour = np.broadcast_to((share - mu) * q_pv, (n_r, n_p))
    output = measured.output
    phi = state.space.proximity
    coordination = zero
    if cfg.viability_strength > 0 and cfg.critical_mass_threshold > 0:
        capability = related_output(output, phi)
        if cfg.public_input_strength > 0:
            capability = capability + cfg.public_input_strength * state.public_inputs.serving(
                state.product_space.cluster)
        x = np.maximum(capability, 0.0) / cfg.critical_mass_threshold
        slope = STEEPNESS * x ** (STEEPNESS - 1) / (x**STEEPNESS + 1.0) ** 2 \
            / cfg.critical_mass_threshold
        if cfg.externality_domain is not None:
            slope = slope * (state.product_space.cluster[None, :] == cfg.externality_domain)
        coordination = share * cfg.viability_strength * factor * q_pv * (
            (output * slope) @ phi)
    spillover = zero
    if cfg.growth_density > 0:
        flips = _one_entrant_specialises(state)
        related = (output / state.space.density_norm[None, :]) @ phi
        spillover = share * cfg.growth_density * factor * a_pv * related * flips
    counts = state.firms.count_matrix(n_r, n_p)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_firm = np.where(counts > 0, output / np.maximum(counts, 1), 0.0)
    crowding = share * cfg.growth_crowding * factor * a_pv * per_firm
    congestion = zero
    if cfg.growth_congestion > 0:
        employment = np.maximum(measured.employment, 1e-12)
        congestion = share * displacement(cfg.growth_congestion * factor) * q_pv * (
            (output.sum(axis=1) / employment)[:, None] * state.space.labour[None, :])
    competition = zero
    if cfg.market_competition > 0:
        competition = np.broadcast_to(
            share * displacement(cfg.market_competition * factor) * q_pv, (n_r, n_p))
    # the output the entrant adds to others (followers, coordination, spillovers) is itself
    # displaced through the labour market and world demand, like the entrant's own
    keep = (1.0 - displacement(cfg.growth_congestion * factor)) * (
        1.0 - displacement(cfg.market_competition * factor))
    return SocialValue(owner=np.array(owner), followers=keep * np.array(followers),
                       labour=np.array(labour), coordination=keep * np.asarray(coordination),
                       spillover=keep * np.asarray(spillover), crowding=crowding,
                       congestion=np.asarray(congestion),
                       competition=np.array(competition))


def _one_entrant_specialises(state: EconomyState) -> np.ndarray:
    """Whether one entrant of ``entry_size`` makes a region specialised (RCA >= 1) in q."""
    cfg = state.config
    output = state.measured.output
    world = state.market.demand * state.world_scale
    e = cfg.entry_size
    region_total = output.sum(axis=1, keepdims=True) + e
    product_total = output.sum(axis=0, keepdims=True) + world[None, :] + e
    grand = output.sum() + world.sum() + e
    rca_after = ((output + e) / region_total) / (product_total / grand)
    return (~state.measured.presence & (rca_after >= 1.0)).astype(float)


# ------------------------------------------------------------ the oracle's grant
def _tail(threshold: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""``P(eta > t)`` and ``E[eta 1{eta > t}]`` for a logistic ``eta`` of scale ``s``."""
    z = threshold / scale
    prob = 0.5 * (1.0 - np.tanh(0.5 * z))  # logistic(-z)
    mean = threshold * prob + scale * np.logaddexp(0.0, -z)
    return prob, mean


def grant_gain(state: EconomyState, att: Attempts, sigma: np.ndarray,
               value: np.ndarray, mcpf: float, absorbed: np.ndarray,
               admin_rate: float = 0.0) -> np.ndarray:
    r"""Expected welfare gain of granting each attempt, per unit of money granted.

    With :math:`S_g = \pi_g SV_{rq}` and :math:`S_0 = \pi_0 SV_{rq}` the expected social
    value of the attempt with and without the grant (true success laws, the latent
    suitability included) and :math:`G = \sigma c(1+a)` the grant,

    .. math::

        \Delta W = E[(S_g - c + \eta)\,1\{\text{go}\mid g\}] - (\lambda + a(1+\lambda))
                   \sigma c\,P(\text{go}\mid g) - E[(S_0 - c + \eta)\,1\{\text{go}\mid 0\}],

    where the firm's idiosyncratic value :math:`\eta` is logistic with scale
    :math:`c/\kappa_v` (:func:`~s3sim.engine.discovery.idiosyncratic_value`) and goes
    ahead when :math:`\hat\pi V - c' + \eta > 0`; the last term is 0 for an induced
    attempt (not made without the grant). Without private decisions every natural
    attempt goes ahead and induced ones only with the grant. Returned as
    :math:`\Delta W / (G\,P(\text{go}\mid g))`: the ranking of the oracle's queue.
    """
    cfg = state.config
    r, q = att.region, att.product
    rate = sigma[r, q]
    cost = att.cost
    xi = state.suitability[r, q]
    pi_g = _logistic(success_logit(state, r, q, rate, absorbed, xi))
    pi_0 = _logistic(success_logit(state, r, q, np.zeros_like(rate), absorbed, xi))
    sv = value[r, q]
    public = (mcpf + admin_rate * (1.0 + mcpf)) * rate * cost
    k = cfg.decision_sharpness
    if k > 0:
        scale = np.maximum(cost, 1e-12) / k
        p_g, e_g = _tail(cost * (1.0 - rate) - perceived_value(state, att, rate, absorbed),
                         scale)
        p_0, e_0 = _tail(cost - perceived_value(state, att, 0.0, absorbed), scale)
        p_0 = np.where(att.induced, 0.0, p_0)
        e_0 = np.where(att.induced, 0.0, e_0)
        gain = (pi_g * sv - cost - public) * p_g + e_g - ((pi_0 * sv - cost) * p_0 + e_0)
    else:
        p_g = np.ones_like(cost)
        gain = np.where(att.induced, pi_g * sv - cost - public, (pi_g - pi_0) * sv - public)
    money = rate * cost * (1.0 + admin_rate) * p_g
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(money > 0, gain / money, 0.0)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))
