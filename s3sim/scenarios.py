"""Named scenarios: regional economies at different levels of development.

Each scenario is a :class:`~s3sim.config.ModelConfig`; Hydra's ``scenario`` group
mirrors them. ``SCENARIOS[name]`` gives the configuration, :func:`get_scenario`
the same with a clear error for unknown names.
"""

from __future__ import annotations

from s3sim.config import ConfigError, ModelConfig

__all__ = ["SCENARIOS", "get_scenario"]

SCENARIOS: dict[str, ModelConfig] = {
    # A mixed European-style set of regions: a quarter leading, half intermediate,
    # a quarter lagging.
    "default": ModelConfig(),
    # Cohesion-policy setting: few leading regions, many lagging ones.
    "cohesion": ModelConfig(region_mix=(0.15, 0.35, 0.5)),
    # Transition economy: mostly lagging regions with weak absorptive capacity.
    "transition": ModelConfig(
        region_mix=(0.1, 0.3, 0.6),
        absorptive_threshold=0.1,
        absorptive_threshold_lagging=0.2,
        portfolio_lagging=25,
    ),
    # A small, fast economy on a synthetic product space (theory experiments, tests).
    "synthetic_small": ModelConfig(
        product_space="synthetic",
        synthetic_products=150,
        n_regions=8,
        n_firms=1500,
        n_research_bodies=40,
        steps=20,
        portfolio_leading=60,
        portfolio_intermediate=30,
        portfolio_lagging=10,
    ),
    # The default economy with the market failures smart specialisation is meant to
    # correct switched on at the middle of their pre-stated ranges
    # (experiments/when_s3_wins/README.md); subsidies act only through firms' private
    # decisions (success_subsidy 0; studies also set policy.attempt_response 0).
    "market_failures": ModelConfig(**{
        "hidden_suitability": 1.0, "suitability_correlation": 0.5,
        "decision_sharpness": 2.0, "success_value": 2.0, "discovery_cost": 1.0,
        "imitation_speed": 0.25, "imitation_spread": 0.5,
        "viability_strength": 0.3, "critical_mass_threshold": 15.0,
        "public_input_strength": 2.0, "market_competition": 0.2, "success_subsidy": 0.0,
    }),
}


def get_scenario(name: str) -> ModelConfig:
    """Return the scenario called ``name``.

    Raises
    ------
    ConfigError
        If ``name`` is not a known scenario (the message lists the known ones).
    """
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ConfigError(
            f"unknown scenario {name!r}; allowed: {', '.join(SCENARIOS)}"
        ) from None
