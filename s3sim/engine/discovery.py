r"""Self-discovery: what a region knows about what it could produce, and who pays to learn it.

Hausmann & Rodrik (2003) argue that discovering whether a product can be made profitably
in a place is costly, that the discovery is revealed to everybody by the pioneer's
success or failure, and that followers imitate a success and erode the pioneer's rent:
laissez-faire therefore gives too little discovery. This module holds that mechanism as
plain arrays and pure functions; :mod:`s3sim.engine.step` calls them.

Suitability and beliefs
    Every (region r, product q) has a latent suitability
    :math:`\xi_{rq} = \sigma_\xi(\sqrt{\rho}\,\eta_q + \sqrt{1-\rho}\,\varepsilon_{rq})`
    (``hidden_suitability`` = :math:`\sigma_\xi`, ``suitability_correlation`` =
    :math:`\rho`), added to the success logit of attempts. A region learns
    :math:`\xi_{rq}` exactly once anybody in it has attempted q (success or failure
    reveals it) or already produces q. Before that its belief is the Gaussian posterior
    mean given the :math:`n_q` regions that have revealed q,
    :math:`b_{rq} = \frac{n_q\rho}{1+(n_q-1)\rho}\,\bar\xi_q` (equicorrelated normal
    variables; Bahar, Hausmann & Hidalgo 2014 find that a neighbour's exports raise the
    chance of entering a product by about 65 %: what others reveal is informative).
Private value of an attempt
    A firm (or entrepreneur) that considers an attempt at q proceeds with probability
    :math:`\mathrm{logistic}(\kappa_v(\hat\pi V_q - c') / c)` (:func:`go_probability`), where
    :math:`\hat\pi` is the success probability it perceives (the true law with
    :math:`b_{rq}` in place of :math:`\xi_{rq}`),
    :math:`V_q = V_0\,A(\iota_q)/A(0)` the private value of a success, with
    :math:`A(\iota) = \sum_{t<H} [\beta(1-\iota)]^t`: :math:`V_0` (``success_value``,
    output units) is what a success is worth to its owner when nobody imitates it, and
    imitation at speed :math:`\iota_q` erodes the rent over a horizon of :math:`H`
    years at the firm's discount factor :math:`\beta`; :math:`c` is the attempt's cost:
    the attempt cost plus the discovery cost :math:`c_D` when q is not yet revealed in the
    region, and :math:`c'` the part the firm bears (:math:`c`, less a grant if it
    receives one: :mod:`s3sim.engine.diversification`). :math:`\kappa_v` =
    ``decision_sharpness``; 0 switches the private decision off (every considered attempt
    proceeds, as without this mechanism). The elasticity of attempts to their private
    cost is :math:`-\kappa_v(1-p)\,c'/c` at go probability :math:`p` — the quantity
    Bloom, Griffith & Van Reenen (2002) estimate for R&D (about 0.1 in the short run and
    1 in the long run), which is what calibrates :math:`\kappa_v`.
Spread of the externality across domains
    :math:`\iota_q = \min(1, \bar\iota\,\exp(s_\iota z_{k(q)} - s_\iota^2/2))` with one
    standard-normal :math:`z_k` per product-space cluster k: a mean-preserving spread
    (``imitation_speed`` = :math:`\bar\iota`, ``imitation_spread`` = :math:`s_\iota`).
    The gap between social and private returns is largest where imitation is fastest.

References
----------
.. [1] Hausmann, R. & Rodrik, D. (2003). Economic development as self-discovery.
   Journal of Development Economics 72(2), 603-633.
.. [2] Wagner, R. & Zahler, A. (2015). New exports from emerging markets: do followers
   benefit from pioneers? Journal of Development Economics 114, 203-223.
.. [3] Bahar, D., Hausmann, R. & Hidalgo, C. A. (2014). Neighbors and the evolution of
   the comparative advantage of nations. Journal of International Economics 92(1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s3sim.engine.kernels import first_occurrences

__all__ = [
    "DiscoveryState",
    "followers",
    "go_probability",
    "idiosyncratic_value",
    "imitation_by_product",
    "private_value",
    "reveal",
]


def imitation_by_product(mean: float, spread: float, cluster: np.ndarray,
                         z_cluster: np.ndarray) -> np.ndarray:
    r"""Imitation speed of every product from its cluster's draw.

    ``iota_q = min(1, mean * exp(spread * z_k(q) - spread**2 / 2))``: a mean-preserving
    lognormal spread across clusters.

    Parameters
    ----------
    mean : float
        :math:`\bar\iota`, the mean yearly share of a pioneer's rent lost to followers.
    spread : float
        :math:`s_\iota`, the standard deviation of ``log iota`` across clusters.
    cluster : ndarray of int (P,)
        Cluster of each product (indices into ``z_cluster``).
    z_cluster : ndarray (K,)
        One standard-normal draw per cluster.

    Examples
    --------
    >>> imitation_by_product(0.2, 0.0, np.array([0, 1, 1]), np.array([1.0, -1.0]))
    array([0.2, 0.2, 0.2])
    """
    factor = np.exp(spread * np.asarray(z_cluster, dtype=float) - 0.5 * spread**2)
    return np.minimum(1.0, mean * factor[np.asarray(cluster)])


def private_value(value: float, horizon: int, discount: float,
                  imitation: np.ndarray) -> np.ndarray:
    r"""Private value of a successful attempt per product, :math:`V_q = V_0 A(\iota_q)/A(0)`.

    ``A(iota) = sum_{t<H} (beta (1 - iota))**t`` with ``beta = 1 / (1 + discount)``: the
    share of the unimitated value :math:`V_0` that the owner keeps.

    Examples
    --------
    >>> private_value(2.0, 2, 0.0, np.array([0.0, 1.0]))
    array([2., 1.])
    """
    keep = (1.0 - np.asarray(imitation, dtype=float)) / (1.0 + discount)
    years = np.arange(horizon)[:, None]
    kept = (keep[None, :] ** years).sum(axis=0)
    full = ((1.0 / (1.0 + discount)) ** np.arange(horizon)).sum()
    return value * kept / full


def go_probability(value: np.ndarray, borne: np.ndarray, cost: np.ndarray,
                   sharpness: float) -> np.ndarray:
    r"""Probability that a considered attempt is made at the private cost it bears.

    .. math:: P(\mathrm{go}) = \mathrm{logistic}\bigl(\kappa_v (\hat\pi V - c') / c\bigr)

    with :math:`\hat\pi V` the expected private value (``value``), :math:`c'` the cost
    the firm bears (``borne``: the full cost :math:`c`, or :math:`c(1-\sigma)` with a
    grant) and :math:`\kappa_v` = ``sharpness``. Equivalently (a random-utility model;
    McFadden 1974) the firm attempts when :math:`\hat\pi V - c' + \eta > 0`, where its
    idiosyncratic net value :math:`\eta` is logistic with scale :math:`c/\kappa_v`
    (:func:`idiosyncratic_value`): noise proportional to the size of the project, not
    to the share a grant pays. Without a grant (:math:`c' = c`) this is
    :math:`\mathrm{logistic}(\kappa_v(\hat\pi V/c - 1))`. An attempt that costs
    nothing (:math:`c = 0`) is always made.

    Examples
    --------
    >>> go_probability(np.array([1.0, 1.0, 0.6]), np.array([1.0, 0.5, 1.0]),
    ...                np.array([1.0, 1.0, 0.0]), 4.0)
    array([0.5       , 0.88079708, 1.        ])
    """
    cost = np.asarray(cost, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = sharpness * (value / cost - borne / cost)
    x = np.where(cost > 0, x, np.inf)
    return 0.5 * (1.0 + np.tanh(0.5 * x))


_U_FLOOR = 2.0 ** -26
"""Smallest uniform used in :func:`idiosyncratic_value` (float32 uniforms can be 0)."""


def idiosyncratic_value(u_go: np.ndarray, cost: np.ndarray, sharpness: float) -> np.ndarray:
    r"""The firm's idiosyncratic net value of an attempt, :math:`\eta = (c/\kappa_v)\,logit(1-u)`.

    The go/no-go rule :math:`u < \mathrm{logistic}(\kappa_v(\hat\pi V - c')/c)` is the
    same as :math:`\hat\pi V - c' + \eta > 0` with this :math:`\eta`, a logistic
    variable of scale :math:`c/\kappa_v` (the firm's private information, strategic
    value or taste for the project). Welfare counts it for every attempt made (Small &
    Rosen 1981: welfare in discrete-choice models), so that with no externality the
    firms' own decisions are efficient.

    Examples
    --------
    >>> idiosyncratic_value(np.array([0.5, 0.25]), np.array([1.0, 2.0]), 2.0).round(4)
    array([0.    , 1.0986])
    """
    u = np.clip(np.asarray(u_go, dtype=float), _U_FLOOR, 1.0 - _U_FLOOR)
    return (np.asarray(cost, dtype=float) / sharpness) * np.log((1.0 - u) / u)


@dataclass
class DiscoveryState:
    r"""What each region knows about its suitability, and who revealed what.

    Attributes
    ----------
    suitability : ndarray (R, P)
        The latent :math:`\xi_{rq}` (truth).
    revealed : ndarray of bool (R, P)
        The region knows :math:`\xi_{rq}` (someone there tried q, or made it).
    revealed_count : ndarray of int (P,)
        Number of regions that have revealed q.
    revealed_sum : ndarray (P,)
        Sum of :math:`\xi` over those regions.
    correlation : float
        :math:`\rho`, the correlation of suitability across regions.
    imitation : ndarray (P,)
        Imitation speed per product.
    in_domain : ndarray of bool (P,)
        Products where discovery costs apply (all, unless ``externality_domain`` confines
        the market failures to one cluster).
    discovered : ndarray of int (R, P)
        Year of a pioneer's success in (region, product), -1 if none: followers imitate
        it for ``decision_horizon`` years.
    """

    suitability: np.ndarray
    revealed: np.ndarray
    revealed_count: np.ndarray
    revealed_sum: np.ndarray
    correlation: float
    imitation: np.ndarray
    in_domain: np.ndarray
    discovered: np.ndarray

    @classmethod
    def start(cls, suitability: np.ndarray, known: np.ndarray, correlation: float,
              imitation: np.ndarray, in_domain: np.ndarray | None = None) -> DiscoveryState:
        """Initial knowledge: each region knows its suitability where it already produces."""
        known = np.asarray(known, dtype=bool)
        return cls(
            suitability=suitability,
            revealed=known.copy(),
            revealed_count=known.sum(axis=0).astype(np.int64),
            revealed_sum=np.where(known, suitability, 0.0).sum(axis=0),
            correlation=float(correlation),
            imitation=np.asarray(imitation, dtype=float),
            in_domain=(np.ones(known.shape[1], dtype=bool) if in_domain is None
                       else np.asarray(in_domain, dtype=bool)),
            discovered=np.full(known.shape, -1, dtype=np.int32),
        )

    def belief(self, region: np.ndarray, product: np.ndarray) -> np.ndarray:
        r"""Expected suitability :math:`b_{rq}` of (region, product) pairs.

        The truth where revealed, else the posterior mean given the regions that
        revealed q (0 when nobody has, or when suitability is uncorrelated).
        """
        xi = self.suitability[region, product]
        n = self.revealed_count[product].astype(float)
        rho = self.correlation
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_others = np.where(n > 0, self.revealed_sum[product] / np.maximum(n, 1), 0.0)
        weight = n * rho / (1.0 + (n - 1.0) * rho) if rho > 0 else np.zeros_like(n)
        return np.where(self.revealed[region, product], xi, weight * mean_others)

    def is_pioneer(self, region: np.ndarray, product: np.ndarray) -> np.ndarray:
        """Whether an attempt at (region, product) would be the region's first (a discovery)."""
        return ~self.revealed[region, product]


def followers(state: DiscoveryState, step: int, horizon: int, uniforms: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Follower attempts at recent discoveries this year.

    For ``horizon`` years after a pioneer's success in (r, q), each of the ``k`` potential
    followers (``uniforms`` has shape (k, R, P)) attempts q in r with probability
    :math:`\iota_q`: imitation is what erodes the pioneer's rent (Wagner & Zahler 2015).

    Returns
    -------
    region, product : ndarray of int
    index : ndarray of int
        Flat index into ``uniforms`` of each follower (for its other draws).
    """
    age = step - state.discovered
    active = (state.discovered >= 0) & (age >= 1) & (age <= horizon)
    hit = (uniforms < state.imitation[None, None, :]) & active[None, :, :]
    index = np.flatnonzero(hit)
    _, r, q = np.unravel_index(index, uniforms.shape)
    return r.astype(np.int64), q.astype(np.int64), index


def reveal(state: DiscoveryState, region: np.ndarray, product: np.ndarray) -> np.ndarray:
    """Reveal the suitability of attempted (region, product) pairs; return the newly revealed.

    Returns
    -------
    ndarray of bool
        For each input pair, whether this call revealed it (a discovery).
    """
    cell = np.asarray(region, dtype=np.int64) * state.revealed.shape[1] + product
    unique_cells, first = first_occurrences(cell, state.revealed.size)  # np.unique, no sort
    r, q = np.divmod(unique_cells, state.revealed.shape[1])
    new = ~state.revealed[r, q]
    r, q = r[new], q[new]
    state.revealed[r, q] = True
    np.add.at(state.revealed_count, q, 1)
    np.add.at(state.revealed_sum, q, state.suitability[r, q])
    newly = np.zeros(cell.size, dtype=bool)
    newly[first[new]] = True
    return newly
