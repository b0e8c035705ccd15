"""Phase diagrams: where smart specialisation beats a generic subsidy, cell by cell.

A phase study (``experiment=when_s3_wins``) declares, under ``phase`` in its config,
named *grids* (each the Cartesian product of a few swept parameters) and named *limit
cases* (a set of overrides each). Every grid point and limit case is a *cell*; Hydra
sweeps ``phase.cell`` (an index) x ``policy`` so cells run as ordinary jobs on any
launcher, resume like any sweep, and each job holds the overrides of its cell. After the
sweep, :func:`write_phase_tables` pairs the two instruments of every cell on the same
seeds and writes

``phase.csv``
    a row per grid point and metric: a column per swept parameter (``NaN`` where the
    grid does not sweep it), ``grid``, ``metric``, ``mean``, ``ci_low``, ``ci_high``,
    ``n_seeds``, ``min_effect`` and ``verdict``;
``limit_cases.csv``
    ``case, metric, mean, ci_low, ci_high, n_seeds, min_effect, verdict`` for the
    known-answer cases (``phase.limit_cases``);
``cases.csv``
    the same for other named cases (``phase.cases``, e.g. S3 as designed and as
    practised).

Every metric is smart specialisation's minus the generic subsidy's, per region and
averaged over regions within a seed (:mod:`s3sim.experiments.welfare`); the seed is the
replication. Metrics: ``net_benefit`` (at 3 %; also ``net_benefit_3pct`` and
``net_benefit_5pct``), ``net_benefit_full_employment`` (the same with the opportunity
cost of inputs ``omega = 0.8``), ``output_gain_pv``, ``private_cost_pv``, ``spent_pv``,
``established_gain``, ``output_gain_final``, ``employment_gain_final``, ``divergence``,
``net_benefit_per_unit_spent`` and ``net_benefit_full_employment_per_unit_spent`` (each
instrument's net benefit against laissez-faire per unit of money it spent, when the cell
ran the baseline)
and, in cells with a demand shock, ``output_lost`` and ``years_to_recover``. ``verdict``
is ``s3`` or ``generic`` only if the mean difference exceeds the minimum effect stated
in advance (``phase.min_effect_share`` times the money the two instruments spent per
region, on average) *and* the 95 % interval excludes zero; otherwise ``none``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from s3sim.config import ConfigError

__all__ = ["Cell", "apply_cell", "phase_cells", "phase_frames", "verdict",
           "write_phase_tables"]

CASE_GROUPS = ("limit_cases", "cases")
BASELINE = "none"
FULL_EMPLOYMENT_INPUT_COST = 0.8
"""``omega`` of ``net_benefit_full_employment``: in a fully employed economy only the
owners' margin of additional output (20 %, the share consistent with a success being
worth ``success_value`` to its owner) is a net gain; the inputs behind the rest would
have produced elsewhere."""
TREATMENT = "smart_specialisation"
CONTROL = "generic_subsidy"
_GROUPS = ("scenario", "policy")


@dataclass(frozen=True)
class Cell:
    """One grid point or limit case.

    Attributes
    ----------
    index : int
        Position in the study's cell list (the value of ``phase.cell``).
    grid : str
        Grid name, or ``"limit_cases"``.
    name : str
        Readable name, e.g. ``imitation_speed=0.25,discovery_cost=1`` or a case name.
    values : dict
        Swept parameter (short name) -> value, for the grid's columns in ``phase.csv``.
    overrides : dict
        ``"scenario.<field>"``/``"policy.<field>"`` -> value.
    """

    index: int
    grid: str
    name: str
    values: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)


def _check_key(key: str, where: str) -> None:
    group = key.split(".", 1)[0]
    if group not in _GROUPS or "." not in key:
        raise ConfigError(f"{where}: {key!r} must be 'scenario.<parameter>' or "
                          "'policy.<parameter>'")


def phase_cells(phase: Mapping[str, Any]) -> list[Cell]:
    """Enumerate the cells of a phase study: grids in order, then limit cases.

    Examples
    --------
    >>> cells = phase_cells({"grids": {"g": {"scenario.a": [0, 1], "policy.b": ["x"]}},
    ...                      "limit_cases": {"c": {"policy.b": "y"}}})
    >>> [(c.index, c.grid, c.name) for c in cells]
    [(0, 'g', 'a=0,b=x'), (1, 'g', 'a=1,b=x'), (2, 'limit_cases', 'c')]
    """
    cells: list[Cell] = []
    for grid, axes in (phase.get("grids") or {}).items():
        keys = list(axes)
        for key in keys:
            _check_key(key, f"phase.grids.{grid}")
            if not isinstance(axes[key], list | tuple) or not axes[key]:
                raise ConfigError(f"phase.grids.{grid}.{key} must be a non-empty list")
        for combo in itertools.product(*(axes[k] for k in keys)):
            short = {k.split(".", 1)[1]: v for k, v in zip(keys, combo, strict=True)}
            cells.append(Cell(len(cells), str(grid),
                              ",".join(f"{k}={v}" for k, v in short.items()), short,
                              dict(zip(keys, combo, strict=True))))
    for group in CASE_GROUPS:
        for case, overrides in (phase.get(group) or {}).items():
            for key in overrides:
                _check_key(key, f"phase.{group}.{case}")
            cells.append(Cell(len(cells), group, str(case), {}, dict(overrides)))
    return cells


def apply_cell(scenario: dict[str, Any], policy: dict[str, Any],
               phase: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply the overrides of the cell ``phase.cell`` (if any) to plain config mappings."""
    if not phase or phase.get("cell") is None:
        return scenario, policy
    cells = phase_cells(phase)
    index = phase["cell"]
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cells):
        raise ConfigError(f"phase.cell must be a whole number in [0, {len(cells) - 1}] "
                          f"(this study has {len(cells)} cells), got {index!r}")
    groups = {"scenario": dict(scenario), "policy": dict(policy)}
    for key, value in cells[index].overrides.items():
        group, name = key.split(".", 1)
        groups[group][name] = value
    return groups["scenario"], groups["policy"]


def verdict(mean: float, low: float, high: float, min_effect: float) -> str:
    """``"s3"``/``"generic"`` if ``|mean| > min_effect`` and the interval excludes 0.

    Examples
    --------
    >>> verdict(2.0, 0.5, 3.5, 1.0), verdict(2.0, -0.5, 4.5, 1.0), verdict(-2, -3, -1, 1)
    ('s3', 'none', 'generic')
    """
    if not np.isfinite(mean) or abs(mean) <= min_effect:
        return "none"
    if low > 0:
        return "s3"
    if high < 0:
        return "generic"
    return "none"


def phase_frames(results: Mapping[tuple[int, str], pd.DataFrame], cells: list[Cell],
                 min_effect_share: float, welfare: Any = None
                 ) -> dict[str, pd.DataFrame]:
    """Build the ``phase``, ``limit_cases`` and ``cases`` tables from the cells' runs.

    Parameters
    ----------
    results : mapping (cell index, policy name) -> regions DataFrame
    cells : list of Cell
    min_effect_share : float
        Minimum effect as a share of the money spent per region (mean of the two
        instruments), stated in advance.
    welfare : WelfareParameters, optional
    """
    from s3sim.experiments.welfare import (
        WelfareParameters,
        divergence,
        paired_welfare,
        resilience,
    )
    from s3sim.stats import t_interval

    params = welfare or WelfareParameters()
    grid_rows: list[dict[str, Any]] = []
    case_rows: dict[str, list[dict[str, Any]]] = {g: [] for g in CASE_GROUPS}
    swept = sorted({k for c in cells for k in c.values})
    for cell in cells:
        treat, ctrl = results.get((cell.index, TREATMENT)), results.get((cell.index, CONTROL))
        if treat is None or ctrl is None:
            continue
        diff = paired_welfare(treat, ctrl, params)
        money = 0.5 * (_spent(treat) + _spent(ctrl))
        per_seed = diff.groupby("seed").mean(numeric_only=True)
        metrics = {"net_benefit": _first_net(per_seed, params)}
        for rate in params.discount_rates:
            col = f"net_benefit_{round(rate * 100, 6):g}pct".replace(".", "_")
            metrics[col] = per_seed[col]
        metrics["output_gain_pv"] = per_seed["output_gain_pv"]
        metrics["private_cost_pv"] = per_seed["private_cost_pv"]
        metrics["spent_pv"] = per_seed["spent_pv"]
        for extra in ("established_gain", "output_gain_final", "employment_gain_final"):
            if extra in per_seed:
                metrics[extra] = per_seed[extra]
        full = paired_welfare(treat, ctrl, dataclasses.replace(
            params, input_cost_share=FULL_EMPLOYMENT_INPUT_COST)).groupby("seed").mean(
            numeric_only=True)
        metrics["net_benefit_full_employment"] = _first_net(full, params)
        base = results.get((cell.index, BASELINE))
        if base is not None:
            metrics["net_benefit_per_unit_spent"] = (_per_unit(treat, base, params)
                                                     - _per_unit(ctrl, base, params))
            full_params = dataclasses.replace(params,
                                              input_cost_share=FULL_EMPLOYMENT_INPUT_COST)
            metrics["net_benefit_full_employment_per_unit_spent"] = (
                _per_unit(treat, base, full_params) - _per_unit(ctrl, base, full_params))
        metrics["divergence"] = divergence(treat) - divergence(ctrl)
        shock = cell.overrides.get("scenario.shock_year", 10)
        if cell.overrides.get("scenario.shock_cluster") is not None:
            hit_t, hit_c = resilience(treat, int(shock)), resilience(ctrl, int(shock))
            metrics["output_lost"] = hit_t["output_lost"] - hit_c["output_lost"]
            metrics["years_to_recover"] = hit_t["years_to_recover"] - hit_c["years_to_recover"]
        min_effect = min_effect_share * float(money)
        for metric, values in metrics.items():
            mean, low, high = t_interval(values.to_numpy())
            if values.empty:
                continue
            # a ratio per unit of money: the minimum effect is the share itself
            floor = min_effect_share if metric.endswith("per_unit_spent") else min_effect
            row = {"metric": metric, "mean": mean, "ci_low": low, "ci_high": high,
                   "n_seeds": int(values.notna().sum()), "min_effect": floor,
                   "verdict": verdict(mean, low, high, floor)
                   if metric.startswith("net_benefit") else ""}
            if cell.grid in CASE_GROUPS:
                case_rows[cell.grid].append({"case": cell.name, **row})
            else:
                grid_rows.append({**{k: cell.values.get(k, np.nan) for k in swept},
                                  "grid": cell.grid, "cell": cell.name, **row})
    return {"phase": pd.DataFrame(grid_rows),
            **{g: pd.DataFrame(rows) for g, rows in case_rows.items()}}


def _per_unit(policy: pd.DataFrame, baseline: pd.DataFrame, params: Any) -> pd.Series:
    """Net benefit against laissez-faire per unit of money spent, per seed (all regions).

    Comparing instruments on this ratio separates *how well* money is used from *how
    much* of the budget an instrument manages to spend.
    """
    from s3sim.experiments.welfare import paired_welfare, system_welfare

    total = system_welfare(paired_welfare(policy, baseline, params)).set_index("seed")
    net = _first_net(total, params)
    return net / total["spent_pv"].where(total["spent_pv"] > 0)


def _spent(regions: pd.DataFrame) -> float:
    """Mean money spent per region over the run (averaged over seeds)."""
    per = regions.groupby(["seed", "region"])["budget_spent"].sum()
    return float(per.mean()) if len(per) else 0.0


def _first_net(per_seed: pd.DataFrame, params: Any) -> pd.Series:
    rate = params.discount_rates[0]
    return per_seed[f"net_benefit_{round(rate * 100, 6):g}pct".replace(".", "_")]


def write_phase_tables(sweep_dir: str | Path, phase: Mapping[str, Any],
                       results: Mapping[tuple[int, str], pd.DataFrame]) -> list[Path]:
    """Write ``phase.csv`` and ``limit_cases.csv`` (and the phase figures) into the sweep."""
    from s3sim.io import atomic_write

    sweep_dir = Path(sweep_dir)
    cells = phase_cells(phase)
    frames = phase_frames(results, cells, float(phase.get("min_effect_share", 0.05)))
    written = []
    for name, frame in frames.items():
        if frame.empty and name != "phase":
            continue
        path = sweep_dir / f"{name}.csv"
        with atomic_write(path) as tmp:
            frame.to_csv(tmp, index=False)
        written.append(path)
    grid = frames["phase"]
    if not grid.empty:
        from s3sim.viz.phase import draw_phase_diagrams

        written += draw_phase_diagrams(grid, sweep_dir / "figures")
    return written
