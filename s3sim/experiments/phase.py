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

Every instrument runs at several budget levels (``policy.budget_share``); the baseline,
run once per cell, is zero money. Metrics are smart specialisation's minus the generic
subsidy's, per region and averaged over regions within a seed
(:mod:`s3sim.experiments.welfare`); the seed is the replication. At **equal budget**
(``nominal_budget_share``): ``net_benefit`` (3 %, inputs at the shadow wage),
``net_benefit_full_employment``, ``net_benefit_idle_inputs``, ``net_benefit_5pct``; at
**equal spending** (each curve read at the money both instruments spent,
:mod:`s3sim.experiments.spending`): ``net_benefit_equal_spending`` (and its
``_full_employment`` and ``_idle_inputs`` variants) and ``equal_spending`` (that money);
``oracle_minus_generic*`` (the oracle at equal spending) and ``s3_share_of_oracle*`` (S3's
net benefit over the oracle's at the money both spent, where the oracle's is positive);
``spent_share_s3``, ``spent_share_generic``, ``spent_share_oracle`` (share of the budget
spent); ``output_gain_pv``, ``private_cost_pv``, ``idiosyncratic_value_pv``, ``spent_pv``,
``established_gain``, ``output_gain_final``, ``employment_gain_final``, ``divergence``
and, in cells with a demand shock, ``output_lost`` and ``years_to_recover``. ``verdict``
is ``s3`` or ``generic`` only if the mean difference exceeds the minimum effect stated in
advance (``phase.min_effect_share`` times the money spent per region: the mean of the two
instruments' at equal budget, the common amount at equal spending) *and* the 95 %
interval excludes zero; otherwise ``none``. ``dose_response.csv`` holds every
instrument's money spent, share spent and net benefits per budget level;
``winners.csv`` one row per cell: the winner at equal spending with its margin and
interval, the winner at equal budget, and the share of its budget each instrument spent.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from s3sim.config import ConfigError

__all__ = ["Cell", "apply_cell", "phase_cells", "phase_frames", "verdict", "winners_table",
           "write_phase_tables"]

CASE_GROUPS = ("limit_cases", "cases")
BASELINE = "none"
TREATMENT = "smart_specialisation"
CONTROL = "generic_subsidy"
ORACLE = "oracle"
ARMS = (TREATMENT, CONTROL, ORACLE)
NOMINAL_BUDGET_SHARE = 0.01
"""The budget share of the equal-budget comparison (1 % of initial output a year)."""
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


def _per_seed_nb(policy: pd.DataFrame, baseline: pd.DataFrame, success: Any
                 ) -> pd.DataFrame:
    """Per-seed means over regions of the policy's paired welfare at every valuation."""
    from s3sim.experiments.welfare import VALUATIONS, paired_welfare

    out = None
    for name, params in VALUATIONS.items():
        w = paired_welfare(policy, baseline, params, success).groupby("seed").mean(
            numeric_only=True)
        if out is None:
            out = w.drop(columns=[c for c in ("region",) if c in w.columns]).copy()
        out[f"nb_{name}"] = w["net_benefit_3pct"]
    assert out is not None
    avail = policy.groupby("seed")[["budget_spent", "budget_unspent"]].sum()
    total = avail["budget_spent"] + avail["budget_unspent"]
    out["spent_share"] = avail["budget_spent"] / total.where(total > 0)
    return out


def phase_frames(results: Mapping[tuple[int, str, float | None], pd.DataFrame],
                 cells: list[Cell], min_effect_share: float,
                 successes: Mapping[int, Any], nominal: float = NOMINAL_BUDGET_SHARE,
                 ) -> dict[str, pd.DataFrame]:
    """Build the ``phase``, ``limit_cases``, ``cases`` and ``dose_response`` tables.

    Parameters
    ----------
    results : mapping (cell index, policy name, budget share) -> regions DataFrame
        The baseline's budget share is None.
    cells : list of Cell
    min_effect_share : float
        Minimum effect as a share of the money spent per region, stated in advance.
    successes : mapping cell index -> SuccessValue
        Each cell's measured value of a success (:mod:`s3sim.engine.valuation`).
    nominal : float
        The budget share of the equal-budget comparison.
    """
    from s3sim.experiments.spending import at_spending, equal_spending, spending_curve
    from s3sim.experiments.welfare import divergence, resilience
    from s3sim.stats import t_interval

    grid_rows: list[dict[str, Any]] = []
    case_rows: dict[str, list[dict[str, Any]]] = {g: [] for g in CASE_GROUPS}
    dose_rows: list[dict[str, Any]] = []
    swept = sorted({k for c in cells for k in c.values})
    for cell in cells:
        base = results.get((cell.index, BASELINE, None))
        if base is None:
            continue
        success = successes[cell.index]
        arms: dict[str, dict[float, pd.DataFrame]] = {}
        for (index, name, level), frame in results.items():
            if index == cell.index and name in ARMS and level is not None:
                arms.setdefault(name, {})[float(level)] = _per_seed_nb(frame, base, success)
        if nominal not in arms.get(TREATMENT, {}) or nominal not in arms.get(CONTROL, {}):
            continue
        for name, levels in arms.items():
            for level, per_seed in sorted(levels.items()):
                for column in ("spent_pv", "spent_share", *(f"nb_{v}" for v in _VALUED)):
                    mean, low, high = t_interval(per_seed[column].to_numpy())
                    dose_rows.append({"case": cell.name, "grid": cell.grid, "policy": name,
                                      "budget_share": level, "metric": column, "mean": mean,
                                      "ci_low": low, "ci_high": high,
                                      "n_seeds": int(per_seed[column].notna().sum())})
        treat, ctrl = arms[TREATMENT][nominal], arms[CONTROL][nominal]
        metrics: dict[str, pd.Series] = {}
        for valuation in _VALUED:
            col = f"nb_{valuation}"
            metrics[_metric_name("net_benefit", valuation)] = treat[col] - ctrl[col]
        metrics["net_benefit_5pct"] = treat["net_benefit_5pct"] - ctrl["net_benefit_5pct"]
        for valuation in _VALUED:
            col = f"nb_{valuation}"
            curves = {name: spending_curve(levels, col) for name, levels in arms.items()}
            diff, level = equal_spending(curves[TREATMENT], curves[CONTROL],
                                         treat["spent_pv"], ctrl["spent_pv"])
            metrics[_metric_name("net_benefit_equal_spending", valuation)] = diff
            if valuation == "shadow_wage":
                metrics["equal_spending"] = level
            if ORACLE in curves and nominal in arms[ORACLE]:
                oracle = arms[ORACLE][nominal]
                metrics[_metric_name("oracle_minus_generic", valuation)] = equal_spending(
                    curves[ORACLE], curves[CONTROL], oracle["spent_pv"], ctrl["spent_pv"])[0]
                at = pd.concat([treat["spent_pv"], oracle["spent_pv"]], axis=1).min(axis=1)
                metrics[_metric_name("s3_share_of_oracle", valuation)] = _share(
                    at_spending(curves[TREATMENT], at), at_spending(curves[ORACLE], at))
        for name, short in ((TREATMENT, "s3"), (CONTROL, "generic"), (ORACLE, "oracle")):
            if name in arms and nominal in arms[name]:
                metrics[f"spent_share_{short}"] = arms[name][nominal]["spent_share"]
        for extra in ("output_gain_pv", "private_cost_pv", "idiosyncratic_value_pv",
                      "spent_pv", "established_gain", "output_gain_final",
                      "employment_gain_final"):
            if extra in treat and extra in ctrl:
                metrics[extra] = treat[extra] - ctrl[extra]
        frame_t = results[(cell.index, TREATMENT, nominal)]
        frame_c = results[(cell.index, CONTROL, nominal)]
        metrics["divergence"] = divergence(frame_t) - divergence(frame_c)
        shock = cell.overrides.get("scenario.shock_year", 10)
        if cell.overrides.get("scenario.shock_cluster") is not None:
            hit_t, hit_c = resilience(frame_t, int(shock)), resilience(frame_c, int(shock))
            metrics["output_lost"] = hit_t["output_lost"] - hit_c["output_lost"]
            metrics["years_to_recover"] = hit_t["years_to_recover"] - hit_c["years_to_recover"]
        money = float(0.5 * (treat["spent_pv"].mean() + ctrl["spent_pv"].mean()))
        for metric, values in metrics.items():
            if values.empty:
                continue
            mean, low, high = t_interval(values.to_numpy())
            if metric.startswith("net_benefit_equal_spending"):
                floor = min_effect_share * float(metrics["equal_spending"].mean())
            elif metric.startswith("net_benefit"):
                floor = min_effect_share * money
            else:
                floor = np.nan
            row = {"metric": metric, "mean": mean, "ci_low": low, "ci_high": high,
                   "n_seeds": int(values.notna().sum()), "min_effect": floor,
                   "verdict": verdict(mean, low, high, floor)
                   if metric.startswith("net_benefit") else ""}
            if cell.grid in CASE_GROUPS:
                case_rows[cell.grid].append({"case": cell.name, **row})
            else:
                grid_rows.append({**{k: cell.values.get(k, np.nan) for k in swept},
                                  "grid": cell.grid, "cell": cell.name, **row})
    frames = {"phase": pd.DataFrame(grid_rows),
              **{g: pd.DataFrame(rows) for g, rows in case_rows.items()},
              "dose_response": pd.DataFrame(dose_rows)}
    frames["winners"] = winners_table(frames)
    return frames


_WINNER = {"s3": "smart specialisation", "generic": "generic subsidy",
           "none": "no decisive difference"}


def winners_table(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per cell: the winner at equal spending and at equal budget, with margins.

    Columns: ``grid, cell, winner_equal_spending, margin, margin_ci_low, margin_ci_high``
    (smart specialisation minus generic at equal spending, shadow wage, per region),
    ``equal_spending`` (the money both spent), ``winner_equal_budget``,
    ``margin_equal_budget``, ``spent_share_s3``, ``spent_share_generic``,
    ``spent_share_oracle`` and ``s3_share_of_oracle``.
    """
    rows = []
    parts = [frames["phase"].assign(name=frames["phase"].get("cell"))
             if not frames["phase"].empty else pd.DataFrame()]
    parts += [frames[g].assign(grid=g, name=frames[g]["case"]) for g in CASE_GROUPS
              if g in frames and not frames[g].empty]
    long = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(
        not p.empty for p in parts) else pd.DataFrame()
    if long.empty:
        return pd.DataFrame()
    for (grid, name), grp in long.groupby(["grid", "name"], sort=False):
        m = grp.set_index("metric")

        def get(metric: str, col: str = "mean", m: pd.DataFrame = m) -> Any:
            return m.at[metric, col] if metric in m.index else np.nan

        rows.append({
            "grid": grid, "cell": name,
            "winner_equal_spending": _WINNER.get(get("net_benefit_equal_spending", "verdict"),
                                                 "-"),
            "margin": get("net_benefit_equal_spending"),
            "margin_ci_low": get("net_benefit_equal_spending", "ci_low"),
            "margin_ci_high": get("net_benefit_equal_spending", "ci_high"),
            "equal_spending": get("equal_spending"),
            "winner_equal_budget": _WINNER.get(get("net_benefit", "verdict"), "-"),
            "margin_equal_budget": get("net_benefit"),
            "spent_share_s3": get("spent_share_s3"),
            "spent_share_generic": get("spent_share_generic"),
            "spent_share_oracle": get("spent_share_oracle"),
            "s3_share_of_oracle": get("s3_share_of_oracle"),
        })
    return pd.DataFrame(rows)


_VALUED = ("shadow_wage", "full_employment", "idle_inputs")


def _metric_name(stem: str, valuation: str) -> str:
    return stem if valuation == "shadow_wage" else f"{stem}_{valuation}"


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """``part / whole`` per seed where the whole (the oracle's gain) is positive."""
    return part / whole.where(whole > 0)


def write_phase_tables(sweep_dir: str | Path, phase: Mapping[str, Any],
                       results: Mapping[tuple[int, str, float | None], pd.DataFrame],
                       successes: Mapping[int, Any]) -> list[Path]:
    """Write the phase, limit-case, case and dose-response tables and the figures."""
    from s3sim.io import atomic_write

    sweep_dir = Path(sweep_dir)
    cells = phase_cells(phase)
    frames = phase_frames(results, cells, float(phase.get("min_effect_share", 0.05)),
                          successes, float(phase.get("nominal_budget_share",
                                                     NOMINAL_BUDGET_SHARE)))
    written = []
    for name, frame in frames.items():
        if frame.empty and name != "phase":
            continue
        path = sweep_dir / f"{name}.csv"
        with atomic_write(path) as tmp:
            frame.to_csv(tmp, index=False)
        written.append(path)
    grid = frames["phase"]
    from s3sim.viz.phase import draw_dose_response, draw_phase_diagrams

    if not grid.empty:
        written += draw_phase_diagrams(grid, sweep_dir / "figures")
    if not frames["dose_response"].empty:
        written += draw_dose_response(frames["dose_response"], sweep_dir / "figures")
    return written
