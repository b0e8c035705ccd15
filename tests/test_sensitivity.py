"""Global sensitivity: SALib files that anyone can recompute, outcomes, win shares."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from s3sim.calibration.parameters import ParameterSpace
from s3sim.calibration.sensitivity import (
    PolicyQuestion,
    _clip_valid,
    _share_rows,
    run_sensitivity,
)
from s3sim.config import ConfigError, ModelConfig, PolicyConfig

TINY = ModelConfig(product_space="synthetic", synthetic_products=40, n_regions=4, n_firms=240,
                   n_research_bodies=4, steps=10, portfolio_leading=12,
                   portfolio_intermediate=6, portfolio_lagging=3, agent_objects="on_demand")
S3 = PolicyConfig("smart_specialisation", budget_share=0.01, n_priorities=4)
GS = PolicyConfig("generic_subsidy", budget_share=0.01)


def _question(**kw) -> PolicyQuestion:
    return PolicyQuestion(TINY, S3, GS, seeds=(0,), **kw)


def test_quick_study_writes_salib_files_that_recompute_to_sobol_csv(tmp_path):
    from SALib.analyze import sobol

    space = ParameterSpace.from_mapping({
        "scenario.attempt_rate": {"low": 0.05, "high": 0.25},
        "scenario.success_base": {"low": -3.5, "high": -1.5},
        "policy.subsidy_rate": {"low": 0.2, "high": 0.8}})
    res = run_sensitivity(_question(optional_outcomes=("not_a_column_yet", "budget_spent")), space,
                          tmp_path, morris_trajectories=2, min_sobol=2, max_sobol=2,
                          sobol_n=2, share_points=2, bound_factors=(1.5,), n_jobs=1, chunk=5,
                          progress=False, num_resamples=20)
    problem = json.loads((tmp_path / "problem.json").read_text())
    samples = pd.read_csv(tmp_path / "samples.csv")
    outputs = pd.read_csv(tmp_path / "outputs.csv")
    table = pd.read_csv(tmp_path / "sobol.csv")
    assert list(table.columns) == ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert list(samples.columns) == problem["names"] == res.selected
    assert len(samples) == len(outputs) == 2 * (2 + 2)       # N (k + 2), SALib order
    # budget_spent is an effect column, so the optional outcome is picked up;
    # not_a_column_yet is not, so it is left out rather than failing
    assert list(outputs.columns) == ["additional_entries", "output_gain", "budget_spent"]
    for outcome in outputs.columns:
        y = outputs[outcome].to_numpy(float)
        if np.ptp(y) == 0:
            continue
        ref = sobol.analyze(problem, y, calc_second_order=problem["calc_second_order"],
                            num_resamples=problem["num_resamples"], seed=problem["seed"])
        got = table[table["outcome"] == outcome].set_index("parameter").loc[problem["names"]]
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            np.testing.assert_allclose(got[key].to_numpy(float), ref[key], rtol=1e-12)
    # samples.csv rows, with the fixed parameter at its base value, reproduce outputs.csv
    row = samples.iloc[3]
    values = {**problem["fixed"], **row.to_dict()}
    again = _question(optional_outcomes=("budget_spent",)).evaluate(
        space, [values[n] for n in space.names])
    assert again["additional_entries"] == pytest.approx(outputs.iloc[3]["additional_entries"])
    for f in ("morris.csv", "morris_samples.csv", "morris_outputs.csv", "win_shares.csv",
              "summary.json"):
        assert (tmp_path / f).exists(), f
    win = pd.read_csv(tmp_path / "win_shares.csv")
    assert set(win["bound_factor"]) == {1.0, 1.5}
    assert win["win_share"].between(0, 1).all()


def test_outcomes_are_configurable_and_checked():
    q = _question(outcomes=("additional_entries", "no_such_outcome"))
    with pytest.raises(ConfigError, match="no_such_outcome are not effect columns"):
        q.outcome_names(["additional_entries", "output_gain"])
    q = _question(optional_outcomes=("net_benefit",))
    assert q.outcome_names(["additional_entries", "output_gain", "net_benefit"]) == [
        "additional_entries", "output_gain", "net_benefit"]


def test_treatment_minus_comparator_is_zero_for_identical_arms():
    q = PolicyQuestion(TINY, GS, GS, seeds=(0, 1))
    space = ParameterSpace.from_mapping({"scenario.attempt_rate": {"low": 0.05, "high": 0.2}})
    out = q.evaluate(space, [0.1])
    assert out == {"additional_entries": 0.0, "output_gain": 0.0}


def test_win_share_and_bounds_clipped_to_valid_values():
    y = pd.DataFrame({"additional_entries": [1.0, -2.0, 0.5, 3.0]})
    row = _share_rows("hand", 1.0, y).iloc[0]
    assert row["win_share"] == 0.75 and row["n_sets"] == 4
    assert row["ci_low"] < 0.75 < row["ci_high"]
    space = ParameterSpace.from_mapping({"scenario.exit_hazard": {"low": 0.01, "high": 0.9},
                                         "policy.capture": {"low": 0.0, "high": 0.8}})
    wide = _clip_valid(space.scaled(1.5), _question())
    lo, hi = wide.bounds[0]
    assert 0 <= lo < 0.01 and 0.9 < hi <= 1.0
    assert 0 <= wide.bounds[1][0] and wide.bounds[1][1] <= 1.0
