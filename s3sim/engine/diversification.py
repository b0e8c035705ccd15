r"""Diversification: attempts, the grant protocol, success, and state-led ventures.

Every function takes what it reads and returns what it produces; none changes the
state. Equations and sources: ``docs/model.md`` (7.5, 7.8).

The grant protocol (apply, learn, then decide) is the only way money reaches firms:

1. *Consider.* Incumbents and entrepreneurs consider attempts (:func:`attempts`):
   *natural* ones, which they consider without any policy, and *induced* ones, which
   they consider only because a grant is on offer for the target (``attempt_response``).
2. *Apply.* Every considered attempt whose target is offered a rate
   :math:`\sigma_{rq} > 0` applies, unless it would not go ahead even with the grant.
3. *Learn.* Each region's applications queue (in arrival order, the ``order`` draw, or
   by the instrument's ranking) and are granted while the region's money covers the
   request :math:`\sigma_{rq} c_i (1 + a)` (``a`` the administrative rate); after the
   first request that does not fit, the call is closed.
4. *Decide* on the cost actually borne: a granted attempt goes ahead if
   :math:`u_i < P(\mathrm{go} \mid c_i(1-\sigma_{rq}))`; a refused natural attempt decides
   again at full cost, :math:`u_i < P(\mathrm{go} \mid c_i)` with the same draw (so it
   does exactly what it does without any policy); a refused induced attempt is not made
   (it was considered only because of the grant).

With ``decision_sharpness = 0`` every considered natural attempt goes ahead and
:math:`P(\mathrm{go}) = 1`. A grant nobody receives changes nothing: with no money, or
money too small for one request, every run equals the baseline on the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s3sim.engine.discovery import followers, go_probability, idiosyncratic_value, private_value
from s3sim.engine.draws import YearDraws
from s3sim.engine.sampling import row_cdf, sample_kernel_rows, sample_rows, sample_subsidised
from s3sim.engine.state import EconomyState

__all__ = ["ENTRANT_ATTEMPT_PROBABILITY", "Attempts", "Decisions", "apply_and_decide",
           "attempts", "grant_subsidies", "perceived_value", "success_logit", "successes",
           "ventures"]

ENTRANT_ATTEMPT_PROBABILITY = 0.5
"""Probability that a potential local entrepreneur attempts to start a firm in a year."""


@dataclass(frozen=True)
class Attempts:
    """Diversification attempts of one year (n attempts, parallel arrays).

    Attributes
    ----------
    region, product : ndarray of int64
        Where the attempt happens and the product it targets.
    cost : ndarray
        Cost of the attempt (``attempt_cost`` x firm size for incumbents).
    u_success : ndarray
        Uniform compared with the success probability.
    order : ndarray
        Uniform giving the attempt's place in the region's subsidy queue.
    induced : ndarray of bool
        The attempt exists only because a subsidy is on offer.
    pioneer : ndarray of bool
        The attempt is its region's first at the product (a discovery; it pays
        ``discovery_cost``, included in ``cost``).
    u_go : ndarray or None
        Uniform of the private go/no-go decision (None when firms do not weigh value,
        ``decision_sharpness = 0``).
    """

    region: np.ndarray
    product: np.ndarray
    cost: np.ndarray
    u_success: np.ndarray
    order: np.ndarray
    induced: np.ndarray
    pioneer: np.ndarray
    u_go: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.region.size)

    def subset(self, keep: np.ndarray) -> Attempts:
        """The attempts selected by a boolean mask or index array."""
        return Attempts(self.region[keep], self.product[keep], self.cost[keep],
                        self.u_success[keep], self.order[keep], self.induced[keep],
                        self.pioneer[keep], None if self.u_go is None else self.u_go[keep])


def attempts(state: EconomyState, sigma: np.ndarray, draws: YearDraws) -> Attempts:
    """Diversification attempts that incumbents and local entrepreneurs consider this year.

    *Natural* attempts are those firms make without any policy: the same draws,
    targets and decisions as in the baseline run on the same seed. A subsidy on
    offer (``sigma``, R x P) adds *induced* attempts, towards subsidised targets only,
    in proportion to how much of a firm's kernel is subsidised (``attempt_response``).

    An incumbent attempts with probability ``attempt_rate * min(1, size) * exp(-c T_r)``
    (``T_r`` labour tightness, ``c`` ``entry_congestion``) and draws its target with
    weight ``K_pq = phi_pq^a exp(b s_q)`` (``a`` ``target_relatedness``, ``b``
    ``target_market``, ``s`` the market signal); an entrepreneur with probability
    ``0.5 exp(-c T_r)`` and weight ``(d_rq + 0.01)^a exp(b s_q)``.

    A pioneer (the region's first attempt at q) pays ``discovery_cost`` on top. Whether a
    considered attempt is made is decided by the grant protocol
    (:func:`apply_and_decide`), after the firm learns whether it is granted.
    """
    cfg, lam = state.config, state.policy_config.attempt_response
    f, n_p = state.firms, state.n_products
    density = state.measured.density
    er_all = state.entrant_region
    ue = draws.entrant

    market = np.exp(cfg.target_market * state.market.signal())
    base = state.space.target_kernel  # the kernel K_pq is base[p, q] * market[q]
    deterrence = np.exp(-cfg.entry_congestion * state.labour_tightness())
    live = np.flatnonzero(f.alive)  # empty slots never attempt (their rate is 0)
    rate = cfg.attempt_rate * np.minimum(f.size[live], 1.0)
    rate *= deterrence[f.region[live]]
    e_weights = (density + 0.01) ** cfg.target_relatedness * market[None, :]

    nat = live[draws.attempt[live] < rate]
    nat_target = sample_kernel_rows(base, market, f.product[nat], draws.target[nat])
    e_prob = ENTRANT_ATTEMPT_PROBABILITY * deterrence[er_all]
    e_nat = np.flatnonzero(ue[0] < e_prob)
    e_target = sample_rows(row_cdf(e_weights), er_all[e_nat], ue[1][e_nat], n_p)
    go, e_go = draws.go, draws.entrant_go
    parts = [
        (f.region[nat], nat_target, cfg.attempt_cost * f.size[nat], draws.success[nat],
         draws.order[nat], False, None if go is None else go[0][nat]),
        (er_all[e_nat], e_target, np.full(e_nat.size, cfg.attempt_cost), ue[2][e_nat],
         ue[3][e_nat], False, None if e_go is None else e_go[0][e_nat]),
    ]
    if sigma.any():
        exposure = (base @ (market[:, None] * sigma.T)) / np.maximum(
            base @ market, 1e-300)[:, None]
        share = exposure[f.product[live], f.region[live]]
        ind = live[draws.induce[live] < rate * lam * share]
        ind_target = sample_subsidised(base, market, sigma, f.product[ind], f.region[ind],
                                       draws.induced_target[ind])
        e_exposure = (e_weights * sigma).sum(axis=1) / e_weights.sum(axis=1)
        e_ind = np.flatnonzero(ue[4] < e_prob * lam * e_exposure[er_all])
        e_ind_target = sample_rows(row_cdf(e_weights * sigma), er_all[e_ind], ue[5][e_ind], n_p)
        parts += [
            (f.region[ind], ind_target, cfg.attempt_cost * f.size[ind], draws.success[ind],
             draws.order[ind], True, None if go is None else go[1][ind]),
            (er_all[e_ind], e_ind_target, np.full(e_ind.size, cfg.attempt_cost),
             ue[2][e_ind], ue[3][e_ind], True, None if e_go is None else e_go[1][e_ind]),
        ]
    if draws.follow is not None:
        fr, fq, idx = followers(state.discovery, state.step, cfg.decision_horizon,
                                draws.follow[0])
        flat = draws.follow.reshape(4, -1)
        parts.append((fr, fq, np.full(fr.size, cfg.attempt_cost), flat[1][idx], flat[2][idx],
                      False, flat[3][idx]))
    region = np.concatenate([p[0] for p in parts]).astype(np.int64)
    product = np.concatenate([p[1] for p in parts]).astype(np.int64)
    pioneer = state.discovery.is_pioneer(region, product)
    cost = np.concatenate([p[2] for p in parts])
    if cfg.discovery_cost > 0:
        cost = cost + cfg.discovery_cost * (pioneer & state.discovery.in_domain[product])
    return Attempts(region=region, product=product, cost=cost,
                    u_success=np.concatenate([p[3] for p in parts]),
                    order=np.concatenate([p[4] for p in parts]),
                    induced=np.concatenate([np.full(len(p[0]), p[5]) for p in parts]),
                    pioneer=pioneer,
                    u_go=np.concatenate([p[6] for p in parts])
                    if cfg.decision_sharpness > 0 else None)


def success_logit(state: EconomyState, region: np.ndarray, product: np.ndarray,
                  granted_rate: np.ndarray, absorbed: np.ndarray,
                  suitability: np.ndarray) -> np.ndarray:
    """``b0 + b_d d_rq + b_k K_rq - b_c z(PCI_q) + xi_rq + b_s sigma`` (see :func:`successes`)."""
    cfg = state.config
    r, q = region, product
    return (cfg.success_base + cfg.success_density * state.measured.density[r, q]
            + cfg.success_knowledge * absorbed[r, q]
            - cfg.success_complexity * state.space.pci_z[q]
            + suitability
            + cfg.success_subsidy * granted_rate)


def perceived_value(state: EconomyState, att: Attempts, rate: np.ndarray | float,
                    absorbed: np.ndarray) -> np.ndarray:
    r"""Expected private value :math:`\hat\pi_i V_q` of each attempt, at grant rate ``rate``.

    The firm perceives the success law (:func:`success_logit`) with its region's belief
    :math:`b_{rq}` in place of the latent suitability, and the co-financing rate it would
    receive (which raises success when ``success_subsidy > 0``); it values a success at
    :math:`V_q` (:func:`s3sim.engine.discovery.private_value`).
    """
    cfg = state.config
    rate = np.broadcast_to(np.asarray(rate, dtype=float), att.region.shape)
    belief = state.discovery.belief(att.region, att.product)
    logit = success_logit(state, att.region, att.product, rate, absorbed, belief)
    perceived = 0.5 * (1.0 + np.tanh(0.5 * logit))
    value = private_value(cfg.success_value, cfg.decision_horizon, cfg.private_discount,
                          state.discovery.imitation)[att.product]
    return perceived * value


def grant_subsidies(att: Attempts, sigma: np.ndarray, remaining: np.ndarray,
                    admin_rate: float = 0.0, applicant: np.ndarray | None = None,
                    priority: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Grant the applications of each region in queue order while its money lasts.

    An attempt's request is ``sigma_rq * cost``, and administering it costs
    ``admin_rate`` times that on top. Each region's applications queue by their
    ``order`` draw (first come, first served) or, when ``priority`` is given, by
    decreasing priority (ties by ``order``; applications with ``priority <= 0`` are
    refused); requests are granted until the next one would exceed the region's
    ``remaining`` money, and the call then closes.

    Parameters
    ----------
    att : Attempts
    sigma : ndarray (R, P)
        Rates on offer.
    remaining : ndarray (R,)
        Money each region can still grant.
    admin_rate : float
    applicant : ndarray of bool, optional
        Attempts that apply (default: every attempt with a rate on offer).
    priority : ndarray, optional
        The instrument's ranking of the applications.

    Returns
    -------
    granted_rate : ndarray (n,)
        The co-financing rate each attempt received (0 if none).
    spent : ndarray (R,)
        Grants plus their administrative cost.
    """
    n_regions = remaining.size
    region = att.region
    rate = sigma[region, att.product]
    if priority is not None:
        applicant = priority > 0 if applicant is None else applicant & (priority > 0)
    if applicant is not None:
        rate = np.where(applicant, rate, 0.0)
    request = rate * att.cost
    if admin_rate > 0:
        request = request * (1.0 + admin_rate)
    granted_rate = np.zeros(region.size)
    if not request.any():
        return granted_rate, np.zeros(n_regions)
    if priority is None:
        order = np.lexsort((att.order, region))
    else:
        order = np.lexsort((att.order, -np.asarray(priority, dtype=float), region))
    req_sorted = request[order]
    reg_sorted = region[order]
    cum = np.cumsum(req_sorted)
    group_start = np.searchsorted(reg_sorted, np.arange(n_regions))
    offset = np.concatenate([[0.0], cum])[group_start]
    within = cum - offset[reg_sorted]
    # cumulative requests only grow, so after the first request that does not fit,
    # none of the region's later requests fits either: first come, first served
    ok = (req_sorted > 0) & (within <= remaining[reg_sorted] + 1e-12)
    granted_sorted = np.where(ok, req_sorted, 0.0)
    spent = np.bincount(reg_sorted, weights=granted_sorted, minlength=n_regions)
    granted_rate[order[ok]] = rate[order[ok]]
    return granted_rate, spent


@dataclass(frozen=True)
class Decisions:
    """What the grant protocol decided for the year's considered attempts.

    Attributes
    ----------
    made : Attempts
        The attempts made, in the order they were considered.
    granted_rate : ndarray
        The co-financing rate each made attempt received (0 if none).
    subsidy_spent : ndarray (R,)
        Grants plus their administrative cost.
    applications, grants : ndarray of int (R,)
        Applications for a grant, and applications granted (and used).
    idiosyncratic_value : ndarray (R,)
        Sum over the attempts made of the firms' idiosyncratic net value of attempting
        (:func:`s3sim.engine.discovery.idiosyncratic_value`; 0 without decisions).
    """

    made: Attempts
    granted_rate: np.ndarray
    subsidy_spent: np.ndarray
    applications: np.ndarray
    grants: np.ndarray
    idiosyncratic_value: np.ndarray


def apply_and_decide(state: EconomyState, att: Attempts, sigma: np.ndarray,
                     remaining: np.ndarray, absorbed: np.ndarray, admin_rate: float = 0.0,
                     priority: np.ndarray | None = None) -> Decisions:
    r"""The grant protocol: apply, learn whether granted, then decide on the cost borne.

    With private decisions (``decision_sharpness`` :math:`\kappa_v > 0`) attempt i goes
    ahead at private cost :math:`c'` when :math:`u_i < P(\mathrm{go}\mid c')`,
    :math:`P(\mathrm{go}\mid c') = \mathrm{logistic}(\kappa_v(\hat\pi_i V_q - c')/c_i)`
    (:func:`s3sim.engine.discovery.go_probability`), with :math:`c' = c_i(1-\sigma_{rq})`
    when granted and :math:`c' = c_i` when not. Because :math:`P(\mathrm{go})` falls with
    :math:`c'` and the draw :math:`u_i` is the same, a refused natural attempt does what it
    does without any policy, and a granted one goes ahead at least as often.

    Parameters
    ----------
    state : EconomyState
    att : Attempts
        The considered attempts (:func:`attempts`).
    sigma : ndarray (R, P)
        Rates on offer.
    remaining : ndarray (R,)
        Money left for grants in each region.
    absorbed : ndarray (R, P)
        Knowledge the firms expect to use (research spillovers).
    admin_rate : float
        Administrative cost per unit granted.
    priority : ndarray, optional
        The instrument's ranking of each attempt's application (higher first; none
        granted at ``<= 0``); default first come, first served.
    """
    cfg = state.config
    n_regions = state.n_regions
    offer = sigma[att.region, att.product]
    applies = offer > 0
    k = cfg.decision_sharpness
    if k > 0:
        full = perceived_value(state, att, 0.0, absorbed)
        go_refused = att.u_go < go_probability(full, att.cost, att.cost, k)
        if applies.any():
            helped = perceived_value(state, att, offer, absorbed)
            go_granted = att.u_go < go_probability(helped, att.cost * (1.0 - offer),
                                                   att.cost, k)
        else:
            go_granted = go_refused
    else:
        go_refused = go_granted = np.ones(len(att), dtype=bool)
    go_refused = go_refused & ~att.induced  # induced attempts exist only for a grant
    applicant = applies & go_granted
    rate, spent = grant_subsidies(att, sigma, remaining, admin_rate, applicant, priority)
    granted = rate > 0
    made = np.where(granted, True, go_refused)
    kept = att.subset(made)
    granted_rate = rate[made]
    value = np.zeros(n_regions)
    if k > 0 and kept.u_go is not None and len(kept):
        value = np.bincount(kept.region, weights=idiosyncratic_value(kept.u_go, kept.cost, k),
                            minlength=n_regions)
    return Decisions(
        made=kept, granted_rate=granted_rate, subsidy_spent=spent,
        applications=np.bincount(att.region[applicant], minlength=n_regions),
        grants=np.bincount(att.region[granted], minlength=n_regions),
        idiosyncratic_value=value,
    )


def successes(state: EconomyState, region: np.ndarray, product: np.ndarray,
              u_success: np.ndarray, granted_rate: np.ndarray,
              absorbed: np.ndarray) -> np.ndarray:
    """Success of each attempt: ``u < logistic(logit)``.

    ``logit = b0 + b_d d_rq + b_k K_rq - b_c z(PCI_q) + xi_rq + b_s sigma``
    (``success_base``, ``success_density``, ``success_knowledge`` on absorbed
    knowledge, ``success_complexity``, latent suitability, ``success_subsidy`` on the
    granted co-financing rate).
    """
    logit = success_logit(state, region, product, granted_rate, absorbed,
                          state.suitability[region, product])
    return u_success < 0.5 * (1.0 + np.tanh(0.5 * logit))


def ventures(state: EconomyState, weights: np.ndarray | None, money: np.ndarray,
             absorbed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """State-led ventures: money left after subsidies builds plants in target products.

    Each venture costs ``venture_cost``; its target is drawn with the plan's
    ``venture_weights`` and it succeeds with the same law as a private attempt, fully
    publicly financed (subsidy rate 1). Draws: two uniforms per venture from the
    policy stream.

    Returns
    -------
    region, product : ndarray
        Successful ventures: new firms whose yearly output equals the venture's cost
        (a capital-output ratio of one).
    spent : ndarray (R,)
    """
    n_regions = state.n_regions
    empty = np.empty(0, dtype=np.int64)
    spent = np.zeros(n_regions)
    if weights is None or not weights.any():
        return empty, empty, spent
    cost = state.policy_config.venture_cost
    has_target = weights.sum(axis=1) > 0
    count = np.where(has_target, np.floor(np.maximum(money, 0.0) / cost + 1e-9), 0)
    count = count.astype(np.int64)
    region = np.repeat(np.arange(n_regions), count)
    if region.size == 0:
        return empty, empty, spent
    u = state.streams.policy.random((2, region.size))
    product = sample_rows(row_cdf(weights), region, u[0], state.n_products).astype(np.int64)
    success = successes(state, region, product, u[1], np.ones(region.size), absorbed)
    return region[success], product[success], (count * cost).astype(float)
