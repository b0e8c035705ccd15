"""Phase studies: cells, pairing of the two instruments, pre-stated minimum effect, outputs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from s3sim.config import ConfigError, PolicyConfig
from s3sim.experiments.job import CONFIG_DIR
from s3sim.experiments.phase import (
    CONTROL,
    TREATMENT,
    apply_cell,
    phase_cells,
    phase_frames,
    write_phase_tables,
)
from s3sim.experiments.simulation import run_simulation
from s3sim.experiments.welfare import success_value_of_result
from s3sim.scenarios import SCENARIOS

SMALL = SCENARIOS["synthetic_small"].replace(steps=6)


@pytest.mark.parametrize("name", ["when_s3_wins", "when_s3_wins_quick"])
def test_the_sweep_covers_every_cell_of_the_study(name):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={name}"])
    cells = phase_cells(OmegaConf.to_container(cfg.phase, resolve=True))
    text = (CONFIG_DIR / "experiment" / f"{name}.yaml").read_text()
    stop = int(re.search(r"phase\.cell: range\(0,(\d+)\)", text).group(1))
    assert stop == len(cells)
    assert {c.name for c in cells if c.grid == "limit_cases"} == {
        "full_coverage", "uniform_no_information", "oracle_domain",
        "oracle_domain_with_inputs"}


def test_cells_apply_their_overrides_and_bad_indices_fail_in_one_line():
    phase = {"grids": {"g": {"scenario.imitation_speed": [0.0, 0.5],
                             "policy.selection_rule": ["random"]}}, "cell": 1}
    scenario, policy = apply_cell({"steps": 3}, {"name": "smart_specialisation"}, phase)
    assert scenario == {"steps": 3, "imitation_speed": 0.5}
    assert policy["selection_rule"] == "random"
    with pytest.raises(ConfigError, match=r"phase.cell must be a whole number in \[0, 1\]"):
        apply_cell({}, {}, {**phase, "cell": 2})
    with pytest.raises(ConfigError, match=r"must be 'scenario\.<parameter>'"):
        phase_cells({"grids": {"g": {"imitation_speed": [0.0]}}})


def test_phase_tables_pair_the_instruments_at_equal_budget_and_equal_spending(tmp_path):
    phase = {"grids": {"g": {"scenario.imitation_speed": [0.0]}},
             "limit_cases": {"full_coverage": {}}, "min_effect_share": 0.05}
    common = dict(attempt_response=0.0)
    seeds = [0, 1]
    base = run_simulation(SMALL, PolicyConfig("none"), seeds)
    results = {(0, "none", None): base.regions, (1, "none", None): base.regions}
    for level in (0.0025, 0.01):
        generic = run_simulation(SMALL, PolicyConfig(CONTROL, budget_share=level, **common),
                                 seeds).regions
        s3 = run_simulation(SMALL, PolicyConfig(TREATMENT, budget_share=level, **common),
                            seeds).regions
        full = run_simulation(SMALL, PolicyConfig(
            TREATMENT, n_priorities=10**6, research_share=0, min_entries_to_keep=0,
            budget_share=level, **common), seeds).regions
        results.update({(0, CONTROL, level): generic, (0, TREATMENT, level): s3,
                        (1, CONTROL, level): generic, (1, TREATMENT, level): full})
    success = success_value_of_result(base)
    frames = phase_frames(results, phase_cells(phase), 0.05, {0: success, 1: success})
    grid, limits = frames["phase"], frames["limit_cases"]
    assert {"imitation_speed", "grid", "metric", "mean", "ci_low", "ci_high", "n_seeds",
            "verdict"} <= set(grid.columns)
    assert set(grid["n_seeds"]) == {2}
    net = limits[limits.metric == "net_benefit"].iloc[0]
    assert net["mean"] == 0.0 and net["verdict"] == "none"  # identical instruments
    same = limits[limits.metric.str.startswith("net_benefit")]
    assert (same["mean"].abs() < 1e-9).all()  # at equal budget and at equal spending
    metrics = set(grid["metric"])
    assert {"net_benefit_equal_spending", "equal_spending", "spent_share_s3",
            "spent_share_generic"} <= metrics
    # equal spending is the smaller of the two instruments' spending, per seed
    spent = frames["dose_response"]
    nominal = spent[(spent.metric == "spent_pv") & (spent.budget_share == 0.01)
                    & (spent.grid == "g")].set_index("policy")["mean"]
    level = grid[grid.metric == "equal_spending"]["mean"].iloc[0]
    assert level <= nominal.min() + 1e-9
    winners = frames["winners"].set_index("cell")
    assert winners.loc["full_coverage", "winner_equal_spending"] == "no decisive difference"
    assert winners.loc["full_coverage", "margin"] == 0.0
    assert 0 < winners.loc["imitation_speed=0.0", "spent_share_generic"] <= 1
    written = write_phase_tables(tmp_path, phase, results, {0: success, 1: success})
    names = {p.name for p in written}
    assert {"phase.csv", "limit_cases.csv", "dose_response.csv", "winners.csv", "phase_g.png",
            "phase_g_equal_spending.svg", "dose_response_full_coverage.png"} <= names
    assert np.isfinite(grid[grid.metric == "net_benefit"]["mean"]).all()


@pytest.mark.slow  # a six-job Hydra sweep with its report: ~30 s on a quiet machine
def test_a_phase_sweep_writes_its_tables_and_diagrams_and_can_be_reported_again(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("HYDRA_FULL_ERROR", None)

    def s3sim(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "s3sim.cli.run", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=600)

    small = ["product_space=synthetic", "scenario.n_regions=8", "scenario.n_firms=1500",
             "scenario.n_research_bodies=40", "scenario.portfolio_leading=60",
             "scenario.portfolio_intermediate=30", "scenario.portfolio_lagging=10",
             "scenario.steps=4", "replications=2", "progress=false",
             "hydra/launcher=basic", "hydra.sweep.dir=phase"]
    res = s3sim("-m", "experiment=when_s3_wins_quick", "phase.cell=0,14", *small)
    assert res.returncode == 0, res.stderr[-2000:]
    root = tmp_path / "phase"
    grid = pd.read_csv(root / "phase.csv")
    assert set(grid["cell"]) == {"imitation_speed=0.0,discovery_cost=0.0"}
    limits = pd.read_csv(root / "limit_cases.csv")
    full = limits[(limits.case == "full_coverage") & limits.metric.str.startswith("net_")]
    assert len(full) >= 6  # equal budget and equal spending, three valuations
    assert (full["mean"].abs() < 1e-9).all()  # S3 covering everything is the generic subsidy
    winners = pd.read_csv(root / "winners.csv")
    assert set(winners["cell"]) == {"imitation_speed=0.0,discovery_cost=0.0", "full_coverage"}
    assert (root / "figures" / "phase_imitation.png").exists()
    assert (root / "figures" / "phase_imitation_equal_spending.svg").exists()
    assert (root / "figures" / "dose_response_full_coverage.png").exists()
    again = s3sim("report", str(root))
    assert again.returncode == 0, again.stderr[-2000:]
    assert (root / "figures" / "phase_imitation.svg").exists()
