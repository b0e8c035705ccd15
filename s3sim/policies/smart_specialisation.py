"""``smart_specialisation``: Foray's S3, with an entrepreneurial discovery process.

Every ``revision_interval`` years each region's government (re)selects
``n_priorities`` priority products with a selection rule
(:mod:`s3sim.policies.selection`). In between, it

* co-finances diversification attempts into priority products at ``subsidy_rate``
  (firms and entrepreneurs are drawn to them: the model's target response), and
* gives ``research_share`` of the budget to research bodies whose domain lies in a
  priority domain (proximity to a priority >= 0.5, or the priority itself); money
  that finds no such body returns to the subsidy pot.

Monitoring and revision (Foray 2015; European Commission RIS3 guide, 2012): at each
revision a priority that produced fewer than ``min_entries_to_keep`` entries since
the last revision is dropped (and cannot be chosen again at once); successful
priorities are kept and the freed places are filled with the best-scoring
candidates. Governance quality, capture, herding and absorptive capacity are the
failure modes (parameters ``signal_noise``, ``capture``, ``herding`` and the
model's ``absorptive_threshold``).
"""

from __future__ import annotations

import numpy as np

from s3sim.policies.base import Observation, Policy, PolicyPlan, StepOutcome, share_among
from s3sim.policies.selection import SelectionInputs, priority_scores
from s3sim.space.metrics import cog as complexity_outlook_gain

__all__ = ["DOMAIN_PROXIMITY", "INFORMANT_PROXIMITY", "SmartSpecialisation"]

DOMAIN_PROXIMITY = 0.5
"""A research body works in a priority domain when its domain's proximity to a
priority product is at least this (Hidalgo 2007's strong links start near 0.5)."""
INFORMANT_PROXIMITY = 0.4
"""Firms and research bodies inform the EDP about products this close to their own."""


def _domains(score: np.ndarray, proximity: np.ndarray, present: np.ndarray, size: int,
             breadth: int) -> np.ndarray:
    """Priority domains: each best-scoring product with its ``breadth - 1`` closest products.

    Domains are built in score order from products not yet chosen (and, for the
    neighbours, not already specialised in), until ``size`` products are chosen.
    """
    chosen: list[int] = []
    taken = np.isneginf(score).copy()
    for seed in np.argsort(-score, kind="stable"):
        if len(chosen) >= size:
            break
        if taken[seed]:
            continue
        near = np.argsort(-proximity[seed], kind="stable")
        near = near[(near != seed) & ~taken[near] & ~present[near]][: breadth - 1]
        members = [int(seed), *near.tolist()][: size - len(chosen)]
        chosen += members
        taken[members] = True
    return np.asarray(chosen, dtype=int)


class SmartSpecialisation(Policy):
    """Entrepreneurial discovery, priority domains, concentrated support, monitoring."""

    name = "smart_specialisation"

    def reset(self, obs: Observation) -> None:
        """Start without priorities; the first plan selects them."""
        self.priorities = {}
        self._entries_since_revision = np.zeros((obs.n_regions, obs.n_products), dtype=int)
        self._last_revision: int | None = None
        self._priority_near = obs.product_space.proximity >= DOMAIN_PROXIMITY
        self._body_in_domain = np.zeros(obs.n_bodies, dtype=bool)

    def plan(self, obs: Observation, budget: np.ndarray) -> PolicyPlan:
        """Revise priorities when due, then target subsidies and research funding."""
        step = obs.step
        due = self._last_revision is None or step - self._last_revision >= (
            self.config.revision_interval)
        if due:
            self._revise(obs)
            self._last_revision = step
            self._body_in_domain = self._bodies_in_domain(obs)
        if self.config.graduation_years > 0 and self._graduate(obs):
            self._body_in_domain = self._bodies_in_domain(obs)
        plan = self._empty_plan(obs)
        in_domain = np.zeros((obs.n_regions, obs.n_products), dtype=bool)
        for region, products in self.priorities.items():
            in_domain[region, products] = True
        has_money = budget > 0
        plan.subsidy_rate[in_domain & has_money[:, None]] = self.config.subsidy_rate
        plan.research_funding = share_among(
            self.config.research_share * budget, obs.research_region, self._body_in_domain,
            obs.n_regions,
        )
        plan.priorities = self.priorities
        self._buy_public_inputs(plan, obs, budget, self.priorities)
        return plan

    def _externality(self, obs: Observation) -> np.ndarray:
        """Expected externality of an attempt: true success probability times the gap."""
        cfg = self.config
        value = obs.social_value(cfg.valuation_discount, cfg.valuation_input_cost_share)
        return obs.success_probability() * value.gap

    def _bodies_in_domain(self, obs: Observation) -> np.ndarray:
        """Research bodies whose domain is a priority of their region or near one."""
        body_region, body_domain = obs.research_region, obs.research_domain
        in_domain = np.zeros(obs.n_bodies, dtype=bool)
        for region, products in self.priorities.items():
            mine = body_region == region
            near = self._priority_near[np.ix_(body_domain[mine], products)].any(axis=1)
            near |= np.isin(body_domain[mine], products)
            in_domain[np.flatnonzero(mine)[near]] = True
        return in_domain

    def _graduate(self, obs: Observation) -> bool:
        """Drop priorities the region has held RCA >= 1 in for ``graduation_years`` years.

        Returns whether any priority graduated.
        """
        years, changed = self.config.graduation_years, False
        for region, products in self.priorities.items():
            keep = obs.rca_held[region, products] < years
            if not keep.all():
                self.priorities[region] = products[keep]
                changed = True
        return changed

    def observe(self, outcome: StepOutcome) -> None:
        """Count entries per (region, product) for monitoring."""
        np.add.at(self._entries_since_revision, (outcome.entry_region, outcome.entry_product), 1)

    def _revise(self, obs: Observation) -> None:
        n_regions, n_products = obs.n_regions, obs.n_products
        noise = obs.rng.standard_normal((n_regions, n_products))
        informants = obs.informants(INFORMANT_PROXIMITY)
        popularity = np.zeros((n_regions, n_products))
        counts = np.zeros(n_products)
        for products in self.priorities.values():
            counts[products] += 1
        for region in range(n_regions):
            own = np.zeros(n_products)
            if region in self.priorities:
                own[self.priorities[region]] = 1
            popularity[region] = (counts - own) / max(1, n_regions - 1)
        ps = obs.product_space
        inputs = SelectionInputs(
            density=obs.density,
            presence=obs.presence,
            output=obs.output,
            cog=complexity_outlook_gain(obs.presence, ps.proximity, ps.pci),
            pci=ps.pci,
            growth=obs.growth,
            informants=informants,
            suitability=obs.suitability,
            popularity=popularity,
            noise=noise,
            imitation=obs.imitation,
            region_types=obs.region_types,
            externality=self._externality(obs) if self.config.selection_rule == "oracle"
            else None,
        )
        score = priority_scores(self.config, inputs)
        n = min(self.config.n_priorities, n_products)
        new_priorities: dict[int, np.ndarray] = {}
        for region in range(n_regions):
            keep = np.array([], dtype=int)
            if region in self.priorities and self._last_revision is not None:
                old = self.priorities[region]
                produced = self._entries_since_revision[region, old]
                worked = produced >= self.config.min_entries_to_keep
                keep = old[worked]
                score[region, old[~worked]] = -np.inf  # dropped: not chosen again at once
            score[region, keep] = -np.inf
            breadth = self.config.priority_breadth
            if breadth == 1:
                order = np.argsort(-score[region], kind="stable")
                fill = order[~np.isin(order, keep)][: n - keep.size]
            else:
                fill = _domains(score[region], obs.product_space.proximity, obs.presence[region],
                                n * breadth - keep.size, breadth)
            new_priorities[region] = np.concatenate([keep, fill]).astype(int)
        self.priorities = new_priorities
        self._entries_since_revision[:] = 0
