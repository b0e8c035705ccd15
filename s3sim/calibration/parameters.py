"""Uncertain parameters and their bounds, read from configuration (never hard-coded).

A parameter is addressed as ``scenario.<ModelConfig field>`` or
``policy.<PolicyConfig field>`` (the ``policy.`` ones apply to every policy arm of a
sensitivity study). Any field that exists now or later (issue 10's mechanisms) can be
listed in a config file without touching this code::

Parameters
----------
      scenario.attempt_rate: {low: 0.03, high: 0.3}
      scenario.success_base: {low: -4.0, high: -1.0}
      policy.signal_noise: {low: 0.0, high: 1.5}

Integer fields are rounded; ``log: true`` samples on a log scale (Optuna only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from s3sim.config import ConfigError, ModelConfig, PolicyConfig

__all__ = ["Parameter", "ParameterSpace"]

_GROUPS = {"scenario": ModelConfig, "policy": PolicyConfig}


@dataclass(frozen=True)
class Parameter:
    """One uncertain parameter: ``group.field`` and its bounds."""

    name: str
    low: float
    high: float
    log: bool = False

    @property
    def group(self) -> str:
        """``scenario`` or ``policy``."""
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str:
        """The ModelConfig / PolicyConfig field."""
        return self.name.split(".", 1)[1]


@dataclass(frozen=True)
class ParameterSpace:
    """An ordered set of parameters (the order of SALib's problem and of the samples)."""

    parameters: tuple[Parameter, ...]

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any], where: str = "parameters") -> ParameterSpace:
        """Build from ``{name: {low, high[, log]}}``; one-line errors name the entry."""
        if not spec:
            raise ConfigError(f"{where} is empty: list at least one parameter with low/high")
        params = []
        for name, bounds in spec.items():
            group, _, fname = str(name).partition(".")
            if group not in _GROUPS or not fname:
                raise ConfigError(f"{where}.{name}: name it scenario.<field> or policy.<field>")
            known = {f.name for f in dataclasses.fields(_GROUPS[group])}
            if fname not in known:
                raise ConfigError(f"{where}.{name}: {_GROUPS[group].__name__} has no field "
                                  f"{fname!r}")
            try:
                low, high = float(bounds["low"]), float(bounds["high"])
            except (KeyError, TypeError, ValueError):
                raise ConfigError(f"{where}.{name}: give numeric low and high, got {bounds!r}"
                                  ) from None
            if not low < high:
                raise ConfigError(f"{where}.{name}: low must be < high, got {low}, {high}")
            log = bool(bounds.get("log", False)) if isinstance(bounds, Mapping) else False
            if log and low <= 0:
                raise ConfigError(f"{where}.{name}: log scale needs low > 0, got {low}")
            params.append(Parameter(str(name), low, high, log))
        return cls(tuple(params))

    @property
    def names(self) -> list[str]:
        """Parameter names in order."""
        return [p.name for p in self.parameters]

    @property
    def bounds(self) -> list[list[float]]:
        """``[[low, high], ...]`` in order (SALib's ``bounds``)."""
        return [[p.low, p.high] for p in self.parameters]

    def scaled(self, factor: float) -> ParameterSpace:
        """Bounds widened (factor > 1) or narrowed (< 1) around their centres.

        Examples
        --------
        >>> s = ParameterSpace((Parameter("scenario.attempt_rate", 0.1, 0.3),))
        >>> s.scaled(1.5).bounds
        [[0.05, 0.35]]
        """
        out = []
        for p in self.parameters:
            c, h = (p.low + p.high) / 2, (p.high - p.low) / 2 * factor
            out.append(dataclasses.replace(p, low=round(c - h, 12), high=round(c + h, 12)))
        return ParameterSpace(tuple(out))

    def clipped_to_valid(self, model: ModelConfig, policy: PolicyConfig) -> ParameterSpace:
        """Bounds clipped to values the configs accept (e.g. a probability in [0, 1])."""
        out = []
        for p in self.parameters:
            low, high = p.low, p.high
            for _ in range(60):
                try:
                    self._apply_one(p, low, model, policy)
                    break
                except ConfigError:
                    low = low + (high - low) / 8
            for _ in range(60):
                try:
                    self._apply_one(p, high, model, policy)
                    break
                except ConfigError:
                    high = high - (high - low) / 8
            out.append(dataclasses.replace(p, low=low, high=high))
        return ParameterSpace(tuple(out))

    def validate(self, model: ModelConfig, policy: PolicyConfig) -> None:
        """Raise :class:`ConfigError` (one line naming the parameter) if a bound is invalid."""
        for p in self.parameters:
            for v in (p.low, p.high):
                try:
                    self._apply_one(p, v, model, policy)
                except ConfigError as exc:
                    raise ConfigError(f"parameters.{p.name}: bound {v} is not allowed ({exc})"
                                      ) from None

    @staticmethod
    def _apply_one(p: Parameter, value: float, model: ModelConfig,
                   policy: PolicyConfig) -> None:
        base = model if p.group == "scenario" else policy
        current = getattr(base, p.field)
        v = round(value) if isinstance(current, int) and not isinstance(current, bool) \
            else float(value)
        base.replace(**{p.field: v})

    def apply(self, values: Sequence[float] | Mapping[str, float], model: ModelConfig,
              policy: PolicyConfig | None = None) -> tuple[ModelConfig, PolicyConfig | None]:
        """The configs with the parameters set to ``values`` (validated by the configs)."""
        if not isinstance(values, Mapping):
            values = dict(zip(self.names, np.asarray(values, dtype=float).tolist(),
                              strict=True))
        changes: dict[str, dict[str, Any]] = {"scenario": {}, "policy": {}}
        for p in self.parameters:
            base = model if p.group == "scenario" else policy
            if base is None:
                continue
            current = getattr(base, p.field)
            v = values[p.name]
            if isinstance(current, int) and not isinstance(current, bool):
                v = round(v)
            changes[p.group][p.field] = v
        new_model = model.replace(**changes["scenario"]) if changes["scenario"] else model
        new_policy = policy
        if policy is not None and changes["policy"]:
            new_policy = policy.replace(**changes["policy"])
        return new_model, new_policy
