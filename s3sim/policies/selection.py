"""Selection rules for smart-specialisation priorities, and their failure modes.

A rule turns what the government knows about each (region, product) into a score;
the ``n_priorities`` best-scoring products become the region's priority domains.
The inputs are standardised per region (``z``) over the products the region could
prioritise. Four rules are offered (``selection_rule``):

``edp`` (entrepreneurial discovery process; Foray 2015, *Smart Specialization*)
    ``w_d z(d) + w_c z(PCI) + w_m z(market growth) + w_g z(COG)``, observed through
    signals revealed by the region's own firms and research bodies: the noise on a
    product's score shrinks with the number of local informants active in related
    products, ``sd = signal_noise / sqrt(1 + informants)``. Entrepreneurs know their
    markets, so the EDP sees market growth; the rules below use statistics only.
``balland_quadrant`` (Balland, Boschma, Crespo & Rigby 2019, *Regional Studies*)
    Products with relatedness density and complexity both above the region's
    medians come first (bonus of 10), ranked by ``z(d) + z(PCI)``; the rest follow.
``atlas_score`` (Hausmann et al. 2014, the Atlas's "balanced portfolio")
    ``0.5 z(d) + 0.25 z(PCI) + 0.25 z(COG)``.
``strategic_bets`` (the Atlas's "long jumps")
    ``0.2 z(d) + 0.4 z(PCI) + 0.4 z(COG)``, favouring complex, well-connected
    products even when far from current capabilities.

``random`` (a control: no information)
    A standard-normal draw per product: priorities unrelated to any advantage.
``oracle`` (a control: perfect information)
    ``z(pi_rq (SV_rq - V_q))``: the expected externality of an attempt, the true success
    probability (latent suitability included) times the gap between the social and the
    private value of a success (:func:`s3sim.engine.valuation.social_value_of_success`,
    in the valuation of ``valuation_*``) — seen without noise.

Statistical rules see the truth through ``signal_noise`` without the informant
discount. ``signal_noise_lagging`` and ``capture_lagging`` set governance quality
separately in lagging regions. Failure modes, applied to every rule:

capture (``c`` in [0, 1])
    Incumbents lobby for what they already do: the score becomes
    ``(1 - c) score + c z(log(1 + output_rq))`` and the novelty requirement (a penalty
    of ``3 (1 - c)`` standard deviations on products the region already has with
    RCA) fades, so priorities converge on existing specialisations as ``c -> 1``.
herding (``h`` in [0, 1], "me-too" priorities)
    ``(1 - h) score + h z(share of other regions prioritising the product)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s3sim.config import PolicyConfig
from s3sim.space.metrics import related_mask, zscore

__all__ = ["SelectionInputs", "priority_scores"]

_NOVELTY_PENALTY = 3.0
_QUADRANT_BONUS = 10.0


@dataclass
class SelectionInputs:
    """What the government observes when (re)selecting priorities (arrays R x P or P)."""

    density: np.ndarray
    presence: np.ndarray
    output: np.ndarray
    cog: np.ndarray
    pci: np.ndarray
    growth: np.ndarray
    informants: np.ndarray
    popularity: np.ndarray
    noise: np.ndarray
    suitability: np.ndarray | None = None
    imitation: np.ndarray | None = None
    region_types: np.ndarray | None = None
    externality: np.ndarray | None = None
    """Expected externality of an attempt per (region, product) (the oracle rule's truth)."""


def _truth(config: PolicyConfig, inputs: SelectionInputs) -> np.ndarray:
    z_d = zscore(inputs.density)
    z_c = np.broadcast_to(zscore(inputs.pci[None, :]), z_d.shape)
    z_g = zscore(inputs.cog)
    rule = config.selection_rule
    if rule == "edp":
        z_m = np.broadcast_to(zscore(inputs.growth[None, :]), z_d.shape)
        score = (config.weight_density * z_d + config.weight_complexity * z_c
                 + config.weight_growth * z_m + config.weight_cog * z_g)
        if inputs.suitability is not None and config.weight_discovery > 0:
            score = score + config.weight_discovery * zscore(inputs.suitability)
        return score
    if rule == "balland_quadrant":
        high_d = related_mask(inputs.density, inputs.presence)
        high_c = inputs.pci[None, :] > np.median(inputs.pci)
        return z_d + z_c + _QUADRANT_BONUS * (high_d & high_c)
    if rule == "atlas_score":
        return 0.5 * z_d + 0.25 * z_c + 0.25 * z_g
    if rule == "strategic_bets":
        return 0.2 * z_d + 0.4 * z_c + 0.4 * z_g
    if rule == "random":
        return np.array(inputs.noise, dtype=float)
    if rule == "oracle":
        if inputs.externality is None:
            raise ValueError("the oracle rule needs SelectionInputs.externality")
        return zscore(inputs.externality)
    raise ValueError(f"unknown selection_rule {rule!r}")  # guarded by PolicyConfig


def priority_scores(config: PolicyConfig, inputs: SelectionInputs) -> np.ndarray:
    """Perceived score of every (region, product); higher is prioritised first.

    Parameters
    ----------
    config : PolicyConfig
        ``selection_rule``, weights, ``signal_noise``, ``capture``, ``herding``.
    inputs : SelectionInputs
        Observed state; ``noise`` is a standard-normal (R, P) draw from the policy
        stream, so every rule consumes the same random numbers.

    Returns
    -------
    ndarray (R, P)
    """
    score = _truth(config, inputs)
    noise = _by_region(config.signal_noise, config.signal_noise_lagging, inputs)
    if config.selection_rule == "edp":
        noise_sd = noise / np.sqrt(1.0 + inputs.informants)
    else:
        noise_sd = noise
    if config.selection_rule not in ("random", "oracle"):
        score = score + noise_sd * inputs.noise
    c = _by_region(config.capture, config.capture_lagging, inputs)
    if np.any(c > 0):
        score = (1.0 - c) * score + c * zscore(np.log1p(inputs.output))
    score = score - _NOVELTY_PENALTY * (1.0 - c) * inputs.presence
    h = config.herding
    if h > 0:
        score = (1.0 - h) * score + h * zscore(inputs.popularity)
    return score


def _by_region(value: float, lagging: float | None, inputs: SelectionInputs) -> np.ndarray:
    """A governance parameter per region (R, 1): ``lagging`` in lagging regions if set."""
    n_regions = inputs.density.shape[0]
    out = np.full((n_regions, 1), float(value))
    if lagging is not None and inputs.region_types is not None:
        out[np.asarray(inputs.region_types) == "lagging"] = float(lagging)
    return out
