r"""Coordination and complementarity: a new activity needs co-located related capability.

A firm in product q of region r is viable only when enough related capability is
present locally — suppliers, skills, infrastructure — or provided publicly (Rodrik 2004:
coordination externalities; Hausmann & Hidalgo 2011: capabilities are complements).
The growth of every firm carries the term

.. math::

    \gamma_V \,\bigl(S(L_{rq} + \psi P_{rq}) - 1\bigr), \qquad
    S(x) = \frac{x^h}{x^h + L_0^h},

where :math:`L_{rq} = \sum_p \phi_{qp} X_{rp}` is the region's output in products
related to q (its own product included, :math:`\phi_{qq} = 1`), :math:`P_{rq}` the
public input serving q in r, :math:`\psi` its strength in output-unit equivalents,
:math:`L_0` the critical mass and :math:`h = 4` the steepness of the S-curve.
:math:`\gamma_V` = ``viability_strength`` (0 = off: no term).

Public inputs are stocks that depreciate at rate :math:`\delta_G` and are bought in
indivisible units of fixed cost :math:`F_G`: a domain-specific input :math:`G_{rk}`
serves the products of one product-space cluster k, a horizontal input :math:`H_r`
(general skills, absorptive capacity) serves all, diluted across the :math:`K` clusters
by the rivalry exponent :math:`\eta\in[0,1]`:

.. math:: P_{rq} = G_{r,k(q)} + H_r / K^{\eta}.

:math:`\eta = 0` makes the horizontal input a pure public good that serves every domain
in full (the case for the generic instrument); :math:`\eta = 1` spreads it evenly (the
same money does the same in total, so concentrating it can only help where it tips a
domain over its critical mass — the case for S3). Both sides are representable.

References
----------
.. [1] Rodrik, D. (2004). Industrial policy for the twenty-first century. CEPR DP 4767.
.. [2] Hausmann, R. & Hidalgo, C. A. (2011). The network structure of economic output.
   Journal of Economic Growth 16(4), 309-342.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["STEEPNESS", "PublicInputs", "related_output", "viability"]

STEEPNESS = 4.0
"""Hill exponent h of the viability S-curve."""


def related_output(output: np.ndarray, proximity: np.ndarray) -> np.ndarray:
    r"""``L_rq = sum_p X_rp phi_pq`` with ``phi_qq = 1`` (R x P).

    Examples
    --------
    >>> phi = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> related_output(np.array([[2.0, 0.0]]), phi)
    array([[2., 1.]])
    """
    return output @ proximity + output * (1.0 - np.diagonal(proximity))[None, :]


def viability(capability: np.ndarray, threshold: float) -> np.ndarray:
    r"""S-shaped viability ``x**h / (x**h + L0**h)`` in [0, 1]; 1 everywhere when ``L0 = 0``.

    Examples
    --------
    >>> viability(np.array([0.0, 1.0, 2.0]), 1.0)
    array([0.        , 0.5       , 0.94117647])
    """
    if threshold <= 0:
        return np.ones_like(capability, dtype=float)
    x = np.maximum(capability, 0.0) / threshold
    xh = x**STEEPNESS
    return xh / (xh + 1.0)


@dataclass
class PublicInputs:
    r"""Stocks of public inputs: domain-specific (R x K) and horizontal (R,).

    Attributes
    ----------
    domain : ndarray (R, K)
        Domain-specific input per region and product-space cluster.
    horizontal : ndarray (R,)
        Horizontal input per region.
    unit_cost, depreciation, rivalry : float
        :math:`F_G`, :math:`\delta_G`, :math:`\eta`.
    """

    domain: np.ndarray
    horizontal: np.ndarray
    unit_cost: float
    depreciation: float
    rivalry: float
    fund: np.ndarray | None = None

    @classmethod
    def empty(cls, n_regions: int, n_clusters: int, unit_cost: float, depreciation: float,
              rivalry: float) -> PublicInputs:
        """No public inputs yet."""
        return cls(np.zeros((n_regions, n_clusters)), np.zeros(n_regions), unit_cost,
                   depreciation, rivalry, np.zeros(n_regions))

    def invest(self, money: np.ndarray, domain_weights: np.ndarray | None) -> np.ndarray:
        """Depreciate, commit ``money`` to each region's input fund, buy whole units from it.

        Units are indivisible (``unit_cost`` each): money committed in a year is kept in
        the region's fund until it covers a unit, as an agency saves up for a technical
        centre. Returns the money committed this year (what the budget pays). A unit
        bought with ``domain_weights`` (R x K) goes to the cluster with the largest
        remaining claim (largest remainder across the region's units); ``None`` or an
        all-zero row buys the horizontal input.
        """
        self.domain *= 1.0 - self.depreciation
        self.horizontal *= 1.0 - self.depreciation
        committed = np.maximum(np.asarray(money, dtype=float), 0.0)
        if self.fund is None:
            self.fund = np.zeros(committed.size)
        self.fund = self.fund + committed
        units = np.floor(self.fund / self.unit_cost + 1e-9).astype(np.int64)
        self.fund = self.fund - units * self.unit_cost
        spent = committed
        if domain_weights is None:
            self.horizontal += units
            return spent
        weights = np.asarray(domain_weights, dtype=float)
        totals = weights.sum(axis=1)
        for r in np.flatnonzero(units > 0):
            if totals[r] <= 0:
                self.horizontal[r] += units[r]
                continue
            quota = units[r] * weights[r] / totals[r]
            counts = np.floor(quota)
            rest = int(units[r] - counts.sum())
            if rest:
                counts[np.argsort(-(quota - counts), kind="stable")[:rest]] += 1
            self.domain[r] += counts
        return spent

    def serving(self, cluster: np.ndarray) -> np.ndarray:
        """``P_rq = G_{r,k(q)} + H_r / K**eta`` for every region and product (R x P)."""
        n_clusters = self.domain.shape[1]
        share = n_clusters ** -self.rivalry if n_clusters else 1.0
        return self.domain[:, cluster] + (self.horizontal * share)[:, None]
