"""Validated parameters of the regional economy and of the policy instrument.

Both are frozen dataclasses so that a run is fully described by two small, hashable
objects. Validation happens at construction: an impossible value raises
:class:`ConfigError` with one line naming the parameter, the value and what is allowed.
The model never imports Hydra; Hydra's structured configs mirror these fields
(``s3sim/conf``) and are converted with :func:`model_config_from_mapping` /
:func:`policy_config_from_mapping`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "POLICY_NAMES",
    "PRODUCT_SPACE_NAMES",
    "SELECTION_RULES",
    "ConfigError",
    "ModelConfig",
    "PolicyConfig",
    "check_rca_threshold",
    "model_config_from_mapping",
    "policy_config_from_mapping",
    "policy_preset",
    "validate_parameters",
]

POLICY_NAMES: tuple[str, ...] = (
    "none",
    "generic_subsidy",
    "smart_specialisation",
    "picking_winners",
    "research_funding",
    "oracle",
)
SELECTION_RULES: tuple[str, ...] = ("edp", "balland_quadrant", "atlas_score", "strategic_bets",
                                    "random", "oracle")
PRODUCT_SPACE_NAMES: tuple[str, ...] = ("atlas", "synthetic", "from_data")


class ConfigError(ValueError):
    """An impossible or unknown parameter value (the message says which and what is allowed)."""


#: Largest magnitude accepted for any real parameter without a tighter bound: a bound
#: far outside every calibrated value, but small enough that sums, products and
#: exponentials of parameters stay finite in float64 (``exp(MAX_MAGNITUDE)`` overflows,
#: so growth and logit terms have the tighter :data:`MAX_RATE` bound).
MAX_MAGNITUDE = 1e6
#: Largest magnitude of a yearly growth rate, logit coefficient or exponent: ``exp(50)``
#: is 5e21, so a model driven by such terms over a few steps still stays finite.
MAX_RATE = 50.0


def _check_range(name: str, value: float, lo: float | None, hi: float | None,
                 *, limit: float = MAX_MAGNITUDE) -> float:
    """Check that ``value`` is a finite real number in ``[lo, hi]``; return it as a float.

    Without an explicit upper (lower) bound, ``limit`` (``-limit``) applies, so that a
    value such as ``1e308`` or ``inf`` is refused at the boundary rather than
    overflowing inside the model.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ConfigError(f"{name} must be a number, got NaN")
    if math.isinf(value):
        raise ConfigError(f"{name} must be finite, got {value}")
    if lo is not None and value < lo:
        raise ConfigError(f"{name} must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise ConfigError(f"{name} must be <= {hi}, got {value}")
    if hi is None and value > limit:
        raise ConfigError(f"{name} must be <= {limit:g}, got {value:g}")
    if lo is None and value < -limit:
        raise ConfigError(f"{name} must be >= {-limit:g}, got {value:g}")
    return value


def _check_int(name: str, value: int, lo: int, hi: int | None = None) -> int:
    """Check a whole number (Python or numpy integer) in ``[lo, hi]``; return it as int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    value = int(value)
    if value < lo:
        raise ConfigError(f"{name} must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise ConfigError(f"{name} must be <= {hi}, got {value}")
    if hi is None and value > 10**9:
        raise ConfigError(f"{name} must be <= {10**9}, got {value}")
    return value


def check_rca_threshold(value: float, name: str = "rca_threshold") -> float:
    """Validate an RCA presence threshold: finite and > 0 (``M = RCA >= T``).

    With ``T <= 0`` every location "has" every product it exports at all, so
    diversity equals the number of products exported and PCI/ECI degenerate
    (PCI reached 1e17 in the issue's example).

    >>> check_rca_threshold(1)
    1.0
    >>> check_rca_threshold(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    s3sim.config.ConfigError: rca_threshold must be > 0 (presence is RCA >= threshold; ...
    """
    value = _check_range(name, value, 0.0, None)
    if value <= 0:
        raise ConfigError(f"{name} must be > 0 (presence is RCA >= threshold; the usual "
                          f"value is 1), got {value}")
    return value


def _set_real(obj: Any, name: str, lo: float | None, hi: float | None) -> None:
    """Validate a real field of a frozen dataclass and store it as a Python float."""
    object.__setattr__(obj, name, _check_range(name, getattr(obj, name), lo, hi))


def _set_int(obj: Any, name: str, lo: int, hi: int | None) -> None:
    """Validate a whole-number field (numpy integers accepted) and store it as int."""
    object.__setattr__(obj, name, _check_int(name, getattr(obj, name), lo, hi))


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"unknown {name} {value!r}; allowed: {', '.join(allowed)}")


@dataclass(frozen=True)
class ModelConfig:
    """Parameters of the regional economy (everything except the policy).

    Defaults are the "default" scenario; the ODD protocol (``docs/model.md``) gives
    each parameter's meaning, source or calibration rationale.
    """

    # --- world and population -------------------------------------------------
    product_space: str = "atlas"
    """Product space: ``"atlas"`` (real HS92), ``"synthetic"`` or ``"from_data"``."""
    initial_data: str | None = None
    """Long-format trade table (CSV/Parquet: location, product, year, value) whose locations
    become the regions and whose specialisations their initial portfolios."""
    initial_year: int | None = None
    """Year of ``initial_data`` to start from (default: the latest)."""
    synthetic_products: int = 200
    """Number of products of a synthetic product space."""
    n_regions: int = 20
    region_mix: tuple[float, float, float] = (0.25, 0.5, 0.25)
    """Shares of leading, intermediate and lagging regions."""
    n_firms: int = 5000
    n_research_bodies: int = 200
    steps: int = 50
    """Simulated years."""

    # --- initial portfolios (number of products with firms at t = 0) -----------
    portfolio_leading: int = 220
    portfolio_intermediate: int = 110
    portfolio_lagging: int = 35
    size_leading: float = 3.0
    """Relative number of firms of a leading region (intermediate = 1.5, lagging = 1)."""
    size_intermediate: float = 1.6

    # --- market ---------------------------------------------------------------
    demand_growth_mean: float = 0.03
    demand_growth_pci: float = 0.01
    """Extra trend growth of world demand per standard deviation of PCI."""
    demand_growth_sd: float = 0.02
    demand_shock_sd: float = 0.05

    # --- firms ----------------------------------------------------------------
    attempt_rate: float = 0.1
    """Yearly probability that a firm of size >= 1 attempts a diversification (smaller
    firms attempt proportionally less often)."""
    attempt_cost: float = 0.2
    """Cost of one attempt as a share of the attempting firm's yearly output (an
    entrepreneur's attempt costs as much as a firm of size 1's)."""
    target_relatedness: float = 2.0
    """Exponent kappa on proximity when a firm chooses its target."""
    target_market: float = 1.0
    """Exponent nu on the market signal when choosing targets."""
    success_base: float = -2.6
    success_density: float = 6.0
    success_complexity: float = 1.2
    success_knowledge: float = 1.5
    success_subsidy: float = 1.0
    entrant_rate: float = 0.08
    """Potential entrepreneurs per firm and year (their attempts create entrants)."""
    entry_size: float = 0.3
    growth_base: float = 0.0
    growth_market: float = 0.5
    growth_density: float = 0.3
    growth_crowding: float = 0.08
    localisation: float = 0.0
    """Extra yearly growth of firms in a product in which their region has RCA:
    Marshallian localisation economies (specialised suppliers, labour pools), the
    critical-mass argument for concentrating support. 0 (off) in the default
    calibration; see ``docs/model.md`` 7.3."""
    hidden_suitability: float = 0.0
    """Standard deviation of a latent region-product suitability ``xi_rq`` added to the
    success logit of attempts: opportunities that no statistic shows and that only
    local entrepreneurs can reveal to an entrepreneurial discovery process. 0 (off) in
    the default calibration."""
    critical_mass: float = 0.0
    """Growth bonus per unit of ``log(firms in the region's product)`` for firms in a
    product where the region has no RCA yet: co-located pioneers help each other reach
    scale (an emerging cluster). 0 (off) in the default calibration."""
    growth_size: float = 0.2
    """Mean reversion of log firm size (decreasing returns; Evans 1987)."""
    growth_congestion: float = 0.5
    """Growth penalty per unit of log(regional employment / labour force): wages and
    congestion rise as a region outgrows its labour force."""
    entry_congestion: float = 2.0
    """Attempts (and local entrepreneurs) are multiplied by ``exp(-entry_congestion x
    log(E_r / L_r))``: a tight labour market deters new activities, a slack one invites
    them."""
    labour_growth: float = 0.01
    """Yearly growth of every region's labour force."""
    growth_sd: float = 0.15
    exit_size: float = 0.25
    """Firms smaller than this exit."""
    exit_hazard: float = 0.04
    """Exogenous yearly exit probability."""
    agent_objects: str = "all"
    """``"all"``: a Mesa ``Firm`` agent exists for every living firm (created on entry,
    removed on exit). ``"on_demand"``: agent objects are created only when inspected
    (``model.firm_agent``, ``model.firms_in``), for large sweeps where Mesa's per-agent
    bookkeeping would dominate; the dynamics are identical."""
    capacity_factor: float = 3.0
    """Firm array capacity as a multiple of the initial number of firms."""

    # --- research bodies --------------------------------------------------------
    knowledge_decay: float = 0.1
    knowledge_base: float = 0.1
    research_productivity: float = 1.0
    """Knowledge gained per unit of funding."""
    collaboration_degree: float = 4.0
    collaboration_weight: float = 0.3
    absorptive_threshold: float = 0.05
    """Relatedness density below which spillovers cannot be absorbed."""
    absorptive_threshold_lagging: float = 0.1

    # --- market failures (docs/model.md 7.9; every "off" value reproduces the model
    # without them exactly) ---------------------------------------------------------
    suitability_correlation: float = 0.0
    """Correlation rho of latent suitability across regions: what other regions reveal
    about a product is informative (Bahar, Hausmann & Hidalgo 2014). 0: independent."""
    decision_sharpness: float = 0.0
    """Firms weigh an attempt's expected private value against its private cost:
    ``P(go) = logistic(k (pi V / c - 1))`` with ``k`` this value; 0 (off): every
    considered attempt is made."""
    discovery_cost: float = 0.0
    """Extra cost of a pioneer's attempt at a product its region has not tried yet
    (output units); followers do not pay it (Hausmann & Rodrik 2003)."""
    imitation_speed: float = 0.0
    """Mean yearly share of a successful entrant's rent lost to followers."""
    follower_pool: int = 4
    """Potential followers of a discovery: for ``decision_horizon`` years after a pioneer's
    success each of them attempts the product with probability ``imitation_speed`` a
    year (only when ``imitation_speed > 0``)."""
    imitation_spread: float = 0.0
    """SD of log imitation speed across product-space clusters (a mean-preserving spread:
    the gap between private and social returns differs by domain)."""
    externality_domain: int | None = None
    """If set, discovery costs, imitation and the critical mass act only in this
    product-space cluster (the ``oracle_domain`` limit case); None: everywhere."""
    success_value: float = 2.0
    """V0: what a successful new activity is worth to its owner when nobody imitates it
    (output units: mean initial firm-years of output)."""
    decision_horizon: int = 10
    """Years over which a firm values a success."""
    private_discount: float = 0.1
    """Firms' discount rate in the private value of success."""
    viability_strength: float = 0.0
    """Growth penalty per year of a firm whose product lacks co-located related
    capability: ``gamma_V (S(L + psi P) - 1)``; 0 (off)."""
    critical_mass_threshold: float = 0.0
    """L0: related local output (output units) at which viability is one half."""
    public_input_strength: float = 0.0
    """psi: related-output equivalents of one unit of public input."""
    public_input_cost: float = 1.0
    """Fixed cost of one (indivisible) unit of public input, output units."""
    public_input_depreciation: float = 0.1
    """Yearly depreciation of public-input stocks."""
    public_input_rivalry: float = 1.0
    """eta: a horizontal input serves each of the K clusters with ``H / K**eta`` (0: a
    pure public good serving all in full; 1: spread evenly)."""
    market_competition: float = 0.0
    """Growth penalty per unit of log change in the simulated regions' combined share of
    world demand for a product: regions compete for the same markets; 0 (off)."""
    shock_cluster: int | None = None
    """A permanent drop of world demand for every product of this product-space cluster
    in year ``shock_year`` (resilience experiments); None: no shock."""
    shock_year: int = 10
    shock_size: float = 0.5
    """Log-points of world demand the shocked cluster loses (0.5: about -39 %)."""
    established_years: int = 3
    """A new specialisation is *established* when RCA, after being below
    ``established_floor``, reaches 1 and holds for this many consecutive years ..."""
    established_floor: float = 0.5
    established_min_share: float = 0.001
    """... with at least this share of the region's output."""

    def __post_init__(self) -> None:
        _check_choice("product_space", self.product_space, PRODUCT_SPACE_NAMES)
        _check_choice("agent_objects", self.agent_objects, ("all", "on_demand"))
        _set_int(self, "synthetic_products", 20, 100_000)
        if self.product_space == "from_data" and not self.initial_data:
            raise ConfigError("product_space 'from_data' needs initial_data: a trade table path")
        if self.initial_year is not None:
            _set_int(self, "initial_year", -100_000, 100_000)
        _set_int(self, "n_regions", 1, 500)
        _set_int(self, "n_firms", 1, 10_000_000)
        _set_int(self, "n_research_bodies", 0, 10_000_000)
        _set_int(self, "steps", 0, 10_000)
        try:
            mix = tuple(_check_range("region_mix", x, 0.0, 1.0) for x in self.region_mix)
        except TypeError:
            mix = ()
        if len(mix) != 3 or abs(sum(mix) - 1.0) > 1e-9:
            raise ConfigError(
                f"region_mix must be three non-negative shares (leading, intermediate, lagging) "
                f"summing to 1, got {self.region_mix!r}"
            )
        object.__setattr__(self, "region_mix", mix)
        for name in ("portfolio_leading", "portfolio_intermediate", "portfolio_lagging"):
            _set_int(self, name, 1, 100_000)
        for name in ("size_leading", "size_intermediate", "attempt_cost", "entry_size",
                     "exit_size", "target_relatedness", "target_market", "success_density",
                     "success_knowledge", "success_subsidy", "growth_crowding", "growth_size",
                     "growth_congestion", "entry_congestion", "hidden_suitability",
                     "research_productivity", "collaboration_degree", "collaboration_weight",
                     "knowledge_base"):
            _set_real(self, name, 0.0, None)
        for name in ("attempt_rate", "entrant_rate", "exit_hazard", "knowledge_decay",
                     "absorptive_threshold", "absorptive_threshold_lagging"):
            _set_real(self, name, 0.0, 1.0)
        # yearly growth rates: |x| <= 0.5 (a labour force or demand shrinking by half
        # every year is already far outside any calibration; -1 would make it vanish)
        for name in ("demand_growth_mean", "demand_growth_pci", "labour_growth"):
            _set_real(self, name, -0.5, 0.5)
        for name in ("demand_growth_sd", "demand_shock_sd", "growth_sd"):
            _set_real(self, name, 0.0, 1.0)
        # coefficients of logits and log-growth equations: bounded so exp() stays finite
        for name in ("success_base", "success_complexity", "growth_base", "growth_market",
                     "growth_density"):
            _set_real(self, name, -MAX_RATE, MAX_RATE)
        for name in ("localisation", "critical_mass"):
            _set_real(self, name, 0.0, MAX_RATE)
        _set_real(self, "capacity_factor", 1.0, 100.0)
        for name in ("decision_sharpness", "discovery_cost", "imitation_spread", "success_value",
                     "private_discount", "viability_strength", "critical_mass_threshold",
                     "public_input_strength", "market_competition"):
            _set_real(self, name, 0.0, None)
        for name in ("suitability_correlation", "imitation_speed", "public_input_depreciation",
                     "public_input_rivalry", "established_floor", "established_min_share"):
            _set_real(self, name, 0.0, 1.0)
        _set_real(self, "public_input_cost", 1e-9, None)
        _set_int(self, "decision_horizon", 1, 1000)
        _set_int(self, "follower_pool", 0, 100)
        _set_int(self, "established_years", 1, 1000)
        if self.externality_domain is not None:
            _set_int(self, "externality_domain", 0, 10_000_000)
        if self.shock_cluster is not None:
            _set_int(self, "shock_cluster", 0, 10_000_000)
        _set_int(self, "shock_year", 1, 10_000)
        _set_real(self, "shock_size", 0.0, 20.0)

    def replace(self, **changes: Any) -> ModelConfig:
        """Return a copy with ``changes`` applied (validated)."""
        return _replace(self, changes)


@dataclass(frozen=True)
class PolicyConfig:
    """A policy instrument and its parameters; see ``docs/policies.md``.

    Every instrument receives the same budget rule: ``budget`` per region and year
    (absolute, output units) or, when ``budget_share`` is set, that share of the
    region's initial output. Instruments differ only in how they spend it.
    """

    name: str = "none"
    budget: float = 0.0
    budget_share: float | None = None
    subsidy_rate: float = 0.5
    """Share of an attempt's cost that a subsidy co-finances."""
    attempt_response: float = 1.0
    """Induced attempts (towards subsidised targets) per natural attempt, per unit of the
    kernel-weighted subsidy rate on offer (firms respond to cheaper attempts)."""
    venture_cost: float = 0.5
    """Cost of one state-led venture (picking winners spends leftover money on them); a
    successful venture becomes a firm of this size (capital-output ratio of one)."""
    research_share: float = 0.3
    """Share of the budget that smart specialisation gives to research bodies."""

    # --- smart specialisation ---------------------------------------------------
    selection_rule: str = "edp"
    n_priorities: int = 10
    revision_interval: int = 4
    min_entries_to_keep: int = 1
    signal_noise: float = 0.5
    """Governance quality: standard deviation of the noise on perceived scores (0 = perfect)."""
    capture: float = 0.0
    """Capture by incumbents in [0, 1]: weight of existing specialisations in priorities."""
    herding: float = 0.0
    """Me-too herding in [0, 1]: weight of other regions' priorities in a region's choice."""
    weight_density: float = 1.0
    weight_complexity: float = 0.5
    weight_growth: float = 0.5
    weight_cog: float = 0.5
    weight_discovery: float = 1.0
    """EDP only: weight of what local informants reveal about hidden suitability
    (``ModelConfig.hidden_suitability``), observed with the same informant-dependent
    noise as the rest of the score."""

    # --- costs, inputs and programme design (docs/policies.md) -------------------------
    admin_fixed_share: float = 0.0
    """Share of the yearly budget spent on running the scheme (an EDP, calls, monitoring)."""
    admin_grant_rate: float = 0.0
    """Administrative cost per unit of money granted (selective grants cost more to
    administer than a tax-credit-like scheme)."""
    public_input_share: float = 0.0
    """Share of the budget spent on public inputs (domain-specific in priority domains
    for targeted instruments, horizontal for the generic one)."""
    priority_breadth: int = 1
    """Products per priority domain: a selected product plus its ``breadth - 1`` most
    proximate products (1: single products)."""
    graduation_years: int = 0
    """Drop a priority once the region has held RCA >= 1 in it this many consecutive
    years (it has graduated); 0: never."""
    programme_years: int | None = None
    """Support stops after this many years (a programming period); None: never."""
    signal_noise_lagging: float | None = None
    """Governance quality in lagging regions (None: ``signal_noise``)."""
    capture_lagging: float | None = None
    """Capture in lagging regions (None: ``capture``)."""

    # --- the valuation an oracle targets by (docs/model.md 7.10) ------------------------
    valuation_input_cost_share: float | None = None
    """Opportunity cost of the inputs behind additional output, as a share of it, in the
    social value the ``oracle`` instrument and the ``oracle`` selection rule maximise;
    None: the shadow wage of the region's labour market."""
    valuation_mcpf: float = 0.3
    """Marginal cost of public funds in that valuation."""
    valuation_discount: float = 0.03
    """Social discount rate of that valuation."""

    def __post_init__(self) -> None:
        _check_choice("policy", self.name, POLICY_NAMES)
        _check_choice("selection_rule", self.selection_rule, SELECTION_RULES)
        _set_real(self, "budget", 0.0, None)
        if self.budget_share is not None:
            _set_real(self, "budget_share", 0.0, 1.0)
            if self.budget > 0:
                raise ConfigError(
                    f"budget ({self.budget:g} per region and year) and budget_share "
                    f"({self.budget_share:g} of initial output) are both set; set only one "
                    "(budget_share=null to use budget)"
                )
        for name in ("subsidy_rate", "research_share", "capture", "herding"):
            _set_real(self, name, 0.0, 1.0)
        _set_real(self, "venture_cost", 1e-9, None)
        for name in ("attempt_response", "signal_noise", "weight_density", "weight_discovery",
                     "weight_complexity", "weight_growth", "weight_cog"):
            _set_real(self, name, 0.0, None)
        _set_int(self, "n_priorities", 1, 10**9)
        _set_int(self, "revision_interval", 1, 10_000)
        _set_int(self, "min_entries_to_keep", 0, 10**9)
        for name in ("admin_fixed_share", "public_input_share"):
            _set_real(self, name, 0.0, 1.0)
        if self.admin_fixed_share + self.public_input_share + self.research_share > 1.0 + 1e-9 \
                and self.name == "smart_specialisation":
            raise ConfigError(
                "admin_fixed_share + public_input_share + research_share must be <= 1 "
                f"(shares of one budget), got {self.admin_fixed_share} + "
                f"{self.public_input_share} + {self.research_share}")
        _set_real(self, "admin_grant_rate", 0.0, None)
        _set_int(self, "priority_breadth", 1, 10**9)
        _set_int(self, "graduation_years", 0, 10_000)
        if self.programme_years is not None:
            _set_int(self, "programme_years", 0, 10_000)
        if self.signal_noise_lagging is not None:
            _set_real(self, "signal_noise_lagging", 0.0, None)
        if self.capture_lagging is not None:
            _set_real(self, "capture_lagging", 0.0, 1.0)
        if self.valuation_input_cost_share is not None:
            _set_real(self, "valuation_input_cost_share", 0.0, 1.0)
        _set_real(self, "valuation_mcpf", 0.0, 10.0)
        _set_real(self, "valuation_discount", 0.0, 1.0)

    @property
    def has_budget(self) -> bool:
        """Whether the instrument has any money to spend."""
        return self.budget > 0 or bool(self.budget_share)

    def replace(self, **changes: Any) -> PolicyConfig:
        """Return a copy with ``changes`` applied (validated)."""
        return _replace(self, changes)


def _replace[T](obj: T, changes: Mapping[str, Any]) -> T:
    known = {f.name for f in fields(obj)}  # type: ignore[arg-type]
    unknown = sorted(str(k) for k in set(changes) - known)
    if unknown:
        raise ConfigError(
            f"unknown {type(obj).__name__} parameter(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(known))}"
        )
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


def model_config_from_mapping(values: Mapping[str, Any]) -> ModelConfig:
    """Build a :class:`ModelConfig` from a mapping (e.g. a Hydra config); unknown keys fail."""
    values = dict(values)
    if "region_mix" in values:
        values["region_mix"] = tuple(values["region_mix"])
    return _replace(ModelConfig(), values)


def policy_config_from_mapping(values: Mapping[str, Any]) -> PolicyConfig:
    """Build a :class:`PolicyConfig` from a mapping (e.g. a Hydra config); unknown keys fail."""
    return _replace(PolicyConfig(), dict(values))



def policy_preset(name: str) -> PolicyConfig:
    """A policy preset as the ``s3sim`` app composes it (``conf/policy/<name>.yaml``).

    ``policy_preset("generic_subsidy")`` spends ``budget_share = 0.01`` of each region's
    initial output, exactly like ``s3sim policy=generic_subsidy``.
    """
    from pathlib import Path

    import yaml

    folder = Path(__file__).resolve().parent / "conf" / "policy"
    presets = tuple(sorted(p.stem for p in folder.glob("*.yaml")))
    _check_choice("policy", name, presets)

    def load(preset: str, seen: tuple[str, ...]) -> dict[str, Any]:
        # the defaults list of a preset: other presets of the group, then _self_
        # (entries starting with "/" are the schema, i.e. PolicyConfig's defaults)
        own = yaml.safe_load((folder / f"{preset}.yaml").read_text()) or {}
        out: dict[str, Any] = {}
        defaults = own.pop("defaults", None) or ["_self_"]
        if "_self_" not in defaults:
            defaults = [*defaults, "_self_"]
        for entry in defaults:
            if entry == "_self_":
                out.update(own)
            elif isinstance(entry, str) and not entry.startswith("/") and entry not in seen:
                out.update(load(entry, (*seen, entry)))
        return out

    return policy_config_from_mapping(load(name, (name,)))


def validate_parameters(
    model: ModelConfig | Mapping[str, Any] | None = None,
    policy: PolicyConfig | Mapping[str, Any] | str | None = None,
) -> tuple[ModelConfig, PolicyConfig]:
    """The one entry point that turns user input into validated configurations.

    Used by the Python API (:func:`s3sim.experiments.simulation.run_simulation`), the
    Hydra app (:func:`s3sim.experiments.job.job_configs`) and the dashboard, so every
    front end refuses the same values with the same one-line message.

    Parameters
    ----------
    model : ModelConfig or mapping, optional
        The economy (default scenario if omitted); a mapping gives parameter values.
    policy : PolicyConfig, mapping or str, optional
        The instrument (``none`` if omitted); a string is a policy name
        (``"smart_specialisation"``) meaning that policy's preset, as on the command line
        (:func:`policy_preset`); a mapping gives parameter values.

    Returns
    -------
    (ModelConfig, PolicyConfig)

    Raises
    ------
    ConfigError
        One line naming the parameter, the value and what is allowed.

    Examples
    --------
    >>> m, p = validate_parameters({"n_regions": 4}, "generic_subsidy")
    >>> (m.n_regions, p.name)
    (4, 'generic_subsidy')
    """
    if model is None:
        model_cfg = ModelConfig()
    elif isinstance(model, ModelConfig):
        model_cfg = model
    elif isinstance(model, Mapping):
        model_cfg = model_config_from_mapping(model)
    else:
        raise ConfigError(f"config must be a ModelConfig or a mapping of its parameters, "
                          f"got {type(model).__name__}")
    if policy is None:
        policy_cfg = PolicyConfig()
    elif isinstance(policy, PolicyConfig):
        policy_cfg = policy
    elif isinstance(policy, str):
        policy_cfg = policy_preset(policy)
    elif isinstance(policy, Mapping):
        policy_cfg = policy_config_from_mapping(policy)
    else:
        raise ConfigError(f"policy must be a PolicyConfig, a preset name (e.g. "
                          f"{', '.join(POLICY_NAMES)}) or a mapping of its parameters, "
                          f"got {type(policy).__name__}")
    return model_cfg, policy_cfg
