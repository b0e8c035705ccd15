"""Policy instruments, one module each, behind :class:`~s3sim.policies.base.Policy`.

``make_policy(config)`` builds the instrument named by ``config.name``.
"""

from __future__ import annotations

from s3sim.config import POLICY_NAMES, ConfigError, PolicyConfig
from s3sim.policies.base import Policy, PolicyPlan, StepOutcome
from s3sim.policies.generic_subsidy import GenericSubsidy
from s3sim.policies.laissez_faire import NoPolicy
from s3sim.policies.oracle import Oracle
from s3sim.policies.picking_winners import PickingWinners
from s3sim.policies.research_funding import ResearchFunding
from s3sim.policies.smart_specialisation import SmartSpecialisation

__all__ = ["POLICIES", "Policy", "PolicyPlan", "StepOutcome", "make_policy"]

POLICIES: dict[str, type[Policy]] = {
    cls.name: cls
    for cls in (NoPolicy, GenericSubsidy, SmartSpecialisation, PickingWinners, ResearchFunding,
                Oracle)
}
assert tuple(POLICIES) == POLICY_NAMES


def make_policy(config: PolicyConfig | str) -> Policy:
    """Build the instrument named by ``config.name`` (or by the string ``config``)."""
    if isinstance(config, str):
        config = PolicyConfig(name=config)
    try:
        return POLICIES[config.name](config)
    except KeyError:
        raise ConfigError(
            f"unknown policy {config.name!r}; allowed: {', '.join(POLICIES)}"
        ) from None
