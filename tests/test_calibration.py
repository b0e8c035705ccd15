"""Calibration: targets file, moments on hand cases, SMM loss/implausibility, resumption."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml

from s3sim.calibration import moments as mom
from s3sim.calibration.calibrate import make_storage, run_calibration
from s3sim.calibration.evaluate import CalibrationProblem
from s3sim.calibration.parameters import Parameter, ParameterSpace
from s3sim.calibration.targets import TARGETS_FILE, load_targets
from s3sim.config import ConfigError, ModelConfig, PolicyConfig

TINY = ModelConfig(product_space="synthetic", synthetic_products=40, n_regions=4, n_firms=240,
                   n_research_bodies=4, steps=16, portfolio_leading=12,
                   portfolio_intermediate=6, portfolio_lagging=3, agent_objects="on_demand")


# ----------------------------------------------------------------- targets file
def test_targets_file_documents_every_candidate_with_status_and_use():
    df = pd.read_csv(TARGETS_FILE)
    assert set(df["status"]) <= {"checked", "recalled"}
    assert set(df["use"]) <= {"fit", "validation", "held_out", "not_computable"}
    assert df["source"].notna().all() and df["definition"].notna().all()
    # the held-out check is never fitted; recalled numbers are flagged as such
    assert df.set_index("target_id").loc["subsidy_additionality", "use"] == "held_out"
    assert df.set_index("target_id").loc["entry_top_density_quintile", "status"] == "recalled"
    fit = load_targets()
    assert set(fit.moments) <= set(mom.MOMENTS)
    assert (fit.table["use"] == "fit").all()


def test_targets_file_errors_name_the_file_and_the_fix(tmp_path):
    bad = tmp_path / "t.csv"
    pd.read_csv(TARGETS_FILE).drop(columns=["status"]).to_csv(bad, index=False)
    with pytest.raises(ValueError, match=r"t\.csv: missing column\(s\) status"):
        load_targets(bad)
    df = pd.read_csv(TARGETS_FILE)
    df.loc[0, "moment"] = "no_such_moment"
    df.to_csv(bad, index=False)
    with pytest.raises(ValueError, match="no_such_moment have no function"):
        load_targets(bad)


# ----------------------------------------------------------------- moments, hand cases
def _tables(cube: np.ndarray, phi: np.ndarray, pci: np.ndarray, **kw) -> mom.SeedTables:
    t, r, p = np.nonzero(cube)
    presence = pd.DataFrame({"step": t, "region": r, "product": p})
    steps, n_regions = cube.shape[0], cube.shape[1]
    regions = pd.DataFrame({"step": np.repeat(np.arange(steps), n_regions),
                            "region": np.tile(np.arange(n_regions), steps)})
    return mom.SeedTables(regions, presence, phi, pci, **kw)


def test_firm_turnover_hand_case():
    regions = pd.DataFrame({"step": [0, 0, 1, 1, 2, 2], "region": [0, 1] * 3,
                            "n_firms": [50, 50, 60, 40, 80, 40],
                            "firm_entries": [0, 0, 10, 0, 30, 0],
                            "firm_exits": [0, 0, 0, 10, 10, 0]})
    t = mom.SeedTables(regions, pd.DataFrame(columns=["step", "region", "product"]),
                       np.eye(2), np.zeros(2), burn_in=0)
    # year 1: 20 / 100; year 2: 40 / 100
    assert mom.firm_turnover(t) == pytest.approx(0.3)
    t.burn_in = 1
    assert mom.firm_turnover(t) == pytest.approx(0.4)


def test_entry_by_density_quintile_hand_case():
    # 10 products; region 0 holds product 0 at t = 0. Proximity to product 0 falls with
    # the product index, so density ranks the candidates 1 (closest) ... 9.
    n = 10
    phi = np.eye(n)
    phi[0, 1:] = phi[1:, 0] = np.linspace(0.9, 0.1, n - 1)
    cube = np.zeros((2, 1, n), dtype=bool)
    cube[:, 0, 0] = True
    cube[1, 0, [1, 2]] = True      # the two most related candidates enter
    cube[1, 0, 9] = True           # and the least related one
    t = _tables(cube, phi, np.zeros(n), burn_in=0, window=1)
    assert len(t.entry_panel) == 9
    # quintiles of 9 candidates by rank: bottom = {9, 8}, top = {2, 1}
    assert mom.entry_top_density_quintile(t) == pytest.approx(1.0)
    assert mom.entry_bottom_density_quintile(t) == pytest.approx(0.5)


def test_logit_coefficients_recover_signs_and_handle_degenerate_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 2))
    y = rng.random(3000) < 1 / (1 + np.exp(-(-1 + 1.0 * x[:, 0] - 0.7 * x[:, 1])))
    b = mom.logit_coefficients(y, x)
    assert b[1] == pytest.approx(1.0, abs=0.15) and b[2] == pytest.approx(-0.7, abs=0.15)
    assert np.isnan(mom.logit_coefficients(np.zeros(50, bool), x[:50])).all()


def test_exit_density_uses_leave_own_out_density():
    # 4 products in two related pairs (0-1, 2-3). The region holds 0, 1 and 2 at t = 0;
    # product 2 has no related partner held, and it is the one that exits.
    phi = np.array([[1, .8, .1, .1], [.8, 1, .1, .1], [.1, .1, 1, .8], [.1, .1, .8, 1.]])
    cube = np.zeros((2, 1, 4), dtype=bool)
    cube[0, 0, [0, 1, 2]] = True
    cube[1, 0, [0, 1]] = True
    t = _tables(cube, phi, np.zeros(4), burn_in=0, window=1)
    panel = t.exit_panel
    assert panel["exited"].tolist() == [False, False, True]
    # leave-own-out density of product 2: (0.1 + 0.1) / (0.1 + 0.1 + 0.8)
    assert panel["density"].iloc[2] == pytest.approx(0.2)
    assert panel["density"].iloc[0] == pytest.approx((0.8 + 0.1) / 1.0)


def test_compute_moments_one_row_per_seed():
    from s3sim.experiments.simulation import run_simulation

    res = run_simulation(TINY, PolicyConfig(), [3, 4])
    out = mom.compute_moments(res, ["firm_turnover", "entry_top_density_quintile"], burn_in=2)
    assert list(out.index) == [3, 4]
    assert ((out["firm_turnover"] > 0) & (out["firm_turnover"] < 1)).all()
    with pytest.raises(KeyError, match="unknown moment"):
        mom.compute_moments(res, ["nope"])


# ----------------------------------------------------------------- loss, implausibility
def test_loss_and_implausibility_hand_case():
    t = load_targets()
    table = t.table.set_index("moment")
    means = table["value"].astype(float).copy()
    means["firm_turnover"] = 0.30                      # 0.10 above 0.20, obs SD 0.05
    means["dilemma_complexity_coef"] = 0.5             # wrong sign
    sds = pd.Series(0.0, index=means.index)
    sds["firm_turnover"] = 0.1
    w = pd.Series(1.0, index=means.index)
    e = t.errors(means)
    assert e["firm_turnover"] == pytest.approx(0.1)
    assert e["dilemma_complexity_coef"] == pytest.approx(0.5)
    assert e["dilemma_density_coef"] == 0.0           # target value +1 is a sign: met
    assert t.loss(means, w) == pytest.approx(0.1**2 + 0.5**2)
    imp = t.implausibility(means, sds, n_seeds=4)
    assert imp["firm_turnover"] == pytest.approx(0.1 / math.sqrt(0.05**2 + 0.1**2 / 4))
    assert imp["dilemma_complexity_coef"] == np.inf   # wrong sign, no noise
    assert imp["entry_top_density_quintile"] == 0.0


def test_parameter_space_errors_and_scaling():
    with pytest.raises(ConfigError, match="ModelConfig has no field 'nope'"):
        ParameterSpace.from_mapping({"scenario.nope": {"low": 0, "high": 1}})
    with pytest.raises(ConfigError, match="low must be < high"):
        ParameterSpace.from_mapping({"scenario.attempt_rate": {"low": 0.3, "high": 0.1}})
    s = ParameterSpace((Parameter("scenario.attempt_rate", -0.1, 0.3),))
    with pytest.raises(ConfigError, match=r"parameters\.scenario\.attempt_rate: bound -0\.1"):
        s.validate(TINY, PolicyConfig())
    s = ParameterSpace.from_mapping({"scenario.attempt_rate": {"low": 0.1, "high": 0.3},
                                     "policy.n_priorities": {"low": 2, "high": 8}})
    assert s.scaled(0.5).bounds == [[0.15, 0.25], [3.5, 6.5]]
    model, policy = s.apply([0.2, 4.6], TINY, PolicyConfig())
    assert model.attempt_rate == 0.2 and policy.n_priorities == 5


# ----------------------------------------------------------------- the study
def _problem() -> CalibrationProblem:
    space = ParameterSpace.from_mapping({
        "scenario.attempt_rate": {"low": 0.05, "high": 0.25},
        "scenario.success_base": {"low": -3.5, "high": -1.5}})
    return CalibrationProblem(TINY, PolicyConfig(), space,
                              load_targets(only=["firm_turnover",
                                                 "entry_top_density_quintile"]),
                              seeds=(0, 1), burn_in=2, window=3)


def _complete(out: Path, name: str) -> dict[tuple[str, int], tuple]:
    from optuna.trial import TrialState

    store = make_storage(f"sqlite:///{out / 'study.db'}")
    got = {}
    for label in ("explore", "optimise"):
        study = optuna.load_study(study_name=f"{name}-{label}", storage=store)
        for t in study.get_trials(states=(TrialState.COMPLETE,)):
            got[(label, t.number)] = (tuple(sorted(t.params.items())), t.value)
    return got


def test_interrupted_calibration_resumes_without_losing_finished_trials(tmp_path,
                                                                        monkeypatch):
    out = tmp_path / "study"
    calls = {"n": 0}
    real = CalibrationProblem.evaluate

    def dying(self, values):
        calls["n"] += 1
        if calls["n"] == 6:     # 4 design points, the base trial, then 1 optimiser trial
            raise KeyboardInterrupt
        return real(self, values)

    monkeypatch.setattr(CalibrationProblem, "evaluate", dying)
    with pytest.raises(KeyboardInterrupt):
        run_calibration(_problem(), out, n_trials=4, n_design=4, n_jobs=1, progress=False,
                        name="cal")
    before = _complete(out, "cal")
    assert sum(k[0] == "explore" for k in before) == 4
    assert sum(k[0] == "optimise" for k in before) == 2   # the base + one trial

    monkeypatch.setattr(CalibrationProblem, "evaluate", real)
    res = run_calibration(_problem(), out, n_trials=4, n_design=4, n_jobs=1, progress=False,
                          name="cal")
    after = _complete(out, "cal")
    assert all(after[k] == v for k, v in before.items())          # nothing lost or redone
    assert sum(k[0] == "optimise" for k in after) == 4
    assert len(res.trials) == 8
    # the trial killed mid-run is marked failed, not left running
    study = optuna.load_study(study_name="cal-optimise",
                              storage=make_storage(f"sqlite:///{out / 'study.db'}"))
    states = [t.state.name for t in study.trials]
    assert "RUNNING" not in states and states.count("FAIL") == 1

    # outputs
    for f in ("trials.csv", "moments.csv", "plausible_set.csv", "plausible_set.parquet",
              "calibrated.yaml", "summary.json", "figures/convergence.png",
              "figures/convergence.svg", "figures/identification.png",
              "figures/identification.svg"):
        assert (out / f).exists(), f
    m = pd.read_csv(out / "moments.csv")
    assert list(m["moment"]) == ["firm_turnover", "entry_top_density_quintile"]
    assert {"target", "tolerance", "simulated_mean", "seed_sd", "within_tolerance"} <= set(m)
    plaus = pd.read_csv(out / "plausible_set.csv")
    assert (plaus["max_implausibility"] <= 3).all()
    scen = yaml.safe_load((out / "calibrated.yaml").read_text())
    assert scen["name"] == "calibrated"
    assert 0.05 <= scen["attempt_rate"] <= 0.25 and -3.5 <= scen["success_base"] <= -1.5
    assert scen["n_regions"] == 4 and "steps" not in scen

    # a different problem in the same folder is refused, not mixed in
    other = _problem()
    other = CalibrationProblem(other.model, other.policy, other.space, other.targets,
                               seeds=(5, 6), burn_in=2, window=3)
    with pytest.raises(ConfigError, match="another name="):
        run_calibration(other, out, n_trials=4, n_design=4, progress=False, name="cal")


def test_committed_calibrated_scenario_composes():
    from hydra import compose, initialize_config_dir

    from s3sim.experiments.job import CONFIG_DIR, job_configs

    assert (CONFIG_DIR / "scenario" / "calibrated.yaml").exists()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=["scenario=calibrated", "replications=1"])
    model, _, _ = job_configs(cfg)
    raw = yaml.safe_load((CONFIG_DIR / "scenario" / "calibrated.yaml").read_text())
    for key, value in raw.items():
        if key not in ("defaults", "name"):
            assert getattr(model, key) == pytest.approx(value)


@pytest.mark.slow
def test_experiment_calibration_quick_through_hydra(tmp_path):
    from hydra import compose, initialize_config_dir

    from s3sim.calibration.hydra_study import run_study
    from s3sim.experiments.job import CONFIG_DIR

    overrides = ["experiment=calibration_quick", "replications=2", "study.n_design=2",
                 "study.n_trials=2", "study.n_jobs=1", "scenario.n_regions=4",
                 "scenario.n_firms=200", "scenario.steps=12", "progress=false",
                 "study.burn_in=2", "study.window=3"]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    rec = run_study(cfg, out_dir=tmp_path)
    assert rec["status"] == "done" and "calibration: 4 trials" in rec["message"]
    assert (tmp_path / "moments.csv").exists()


def test_cmaes_sampler_with_journal_storage(tmp_path):
    res = run_calibration(_problem(), tmp_path, n_trials=3, n_design=1, sampler="cmaes",
                          n_jobs=1, progress=False, storage=f"journal:{tmp_path / 'j.log'}",
                          name="c")
    assert (tmp_path / "j.log").exists() and not (tmp_path / "study.db").exists()
    assert (res.trials["study"] == "optimise").sum() == 3
    with pytest.raises(ConfigError, match="sampler must be one of tpe, cmaes"):
        run_calibration(_problem(), tmp_path / "x", sampler="nelder-mead", progress=False)
