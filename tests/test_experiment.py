"""The Hydra config tree and the job function (composed through Hydra's compose API)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from s3sim.config import POLICY_NAMES, ConfigError, ModelConfig, PolicyConfig
from s3sim.experiments.job import (
    CONFIG_DIR,
    DONE_FILE,
    FAILED_FILE,
    RESULT_DIR,
    derive_seeds,
    job_configs,
    run_experiment,
)
from s3sim.scenarios import SCENARIOS

REPO = Path(__file__).resolve().parents[1]
FAST = ["scenario=synthetic_small", "scenario.steps=3", "replications=2", "progress=false"]
STUDIES = ["compare_policies", "budget_sweep", "governance", "relatedness_strength",
           "validation"]


def make_cfg(*overrides: str):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, "-m", "s3sim.cli.run", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_configs_symlink_points_at_the_package_tree():
    assert (REPO / "configs").resolve() == CONFIG_DIR
    assert (CONFIG_DIR / "config.yaml").exists()


def test_default_config_is_the_default_model_and_baseline():
    model, policy, seeds = job_configs(make_cfg())
    assert model == ModelConfig()
    assert policy == PolicyConfig()
    assert seeds == list(range(20))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_files_mirror_the_named_scenarios(name):
    model, _, _ = job_configs(make_cfg(f"scenario={name}"))
    assert model == SCENARIOS[name]


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_every_policy_composes_and_validates(name):
    _, policy, _ = job_configs(make_cfg(f"policy={name}"))
    assert policy.name == name
    assert policy.has_budget == (name != "none")


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_composes(study):
    cfg = make_cfg(f"experiment={study}")
    assert cfg.name == study
    job_configs(cfg)


def test_seeds_are_derived_deterministically():
    assert derive_seeds(make_cfg("seed=5", "replications=3")) == [5, 6, 7]
    assert derive_seeds(make_cfg("seeds=[9,2]")) == [9, 2]
    with pytest.raises(ConfigError, match="replications"):
        derive_seeds(make_cfg("replications=0"))


@pytest.mark.parametrize(("override", "expected"), [
    ("policy.budgett=1", "budgett"),
    ("policy.selection_rule=xyz", "edp, balland_quadrant, atlas_score, strategic_bets"),
    ("scenario.n_firms=1.5", "scenario.n_firms"),
    ("product_space.name=moon", "atlas, synthetic, from_data"),
])
def test_wrong_override_names_the_key_and_allowed_values(override, expected):
    with pytest.raises(Exception) as info:  # a Hydra or OmegaConf error
        make_cfg(override)
    text = str(info.value) + str(info.value.__cause__)
    assert expected in text


def test_out_of_range_value_is_a_config_error_naming_group_and_key():
    with pytest.raises(ConfigError, match=r"^policy: budget must be >= 0"):
        job_configs(make_cfg("policy=generic_subsidy", "policy.budget=-1"))
    with pytest.raises(ConfigError, match=r"^scenario: region_mix"):
        job_configs(make_cfg("scenario.region_mix=[0.5,0.5,0.5]"))


def test_missing_data_file_is_a_clear_config_error(tmp_path):
    with pytest.raises(ConfigError, match="initial_data is required"):
        job_configs(make_cfg("scenario=from_data"))
    missing = tmp_path / "nope.csv"
    with pytest.raises(ConfigError, match="file not found"):
        job_configs(make_cfg("scenario=from_data", f"product_space.initial_data={missing}"))


def test_run_experiment_writes_a_complete_job_dir(tmp_path):
    cfg = make_cfg(*FAST, "policy=smart_specialisation")
    rec = run_experiment(cfg, out_dir=tmp_path / "job")
    job = tmp_path / "job"
    assert rec["status"] == "done" and rec["seeds"] == [0, 1]
    for name in ("regions", "presence", "entries", "priorities"):
        assert (job / RESULT_DIR / f"{name}.parquet").exists()
    assert (job / RESULT_DIR / "config.yaml").exists()
    meta = json.loads((job / RESULT_DIR / "metadata.json").read_text())
    assert meta["seeds"] == [0, 1] and "versions" in meta and "git_commit" in meta
    assert meta["policy"]["name"] == "smart_specialisation"
    done = json.loads((job / DONE_FILE).read_text())
    assert done["config_hash"] == rec["config_hash"]
    resolved = OmegaConf.load(job / RESULT_DIR / "config.yaml")
    assert resolved.policy.name == "smart_specialisation"
    assert not list(tmp_path.glob(".job.tmp-*"))  # no temporary leftovers


def test_rerun_skips_completed_job_and_reruns_changed_config(tmp_path):
    cfg = make_cfg(*FAST)
    first = run_experiment(cfg, out_dir=tmp_path / "job")
    stamp = (tmp_path / "job" / RESULT_DIR / "regions.parquet").stat().st_mtime_ns
    again = run_experiment(cfg, out_dir=tmp_path / "job")
    assert again["status"] == "skipped"
    assert (tmp_path / "job" / RESULT_DIR / "regions.parquet").stat().st_mtime_ns == stamp
    changed = run_experiment(make_cfg(*FAST, "seed=3"), out_dir=tmp_path / "job")
    assert changed["status"] == "done" and changed["config_hash"] != first["config_hash"]
    assert changed["seeds"] == [3, 4]


def test_rerun_after_a_model_code_change_recomputes(tmp_path, monkeypatch):
    import s3sim.experiments.job

    cfg = make_cfg(*FAST)
    assert run_experiment(cfg, out_dir=tmp_path / "job")["status"] == "done"
    monkeypatch.setattr(s3sim.experiments.job, "code_digest", lambda: "edited-model")
    again = run_experiment(cfg, out_dir=tmp_path / "job")
    assert again["status"] == "done" and again["code_digest"] == "edited-model"


def test_same_config_and_seeds_give_identical_numbers(tmp_path):
    cfg = make_cfg(*FAST, "policy=generic_subsidy")
    run_experiment(cfg, out_dir=tmp_path / "a")
    run_experiment(cfg, out_dir=tmp_path / "b")
    for name in ("regions", "entries", "presence"):
        a = pd.read_parquet(tmp_path / "a" / RESULT_DIR / f"{name}.parquet")
        b = pd.read_parquet(tmp_path / "b" / RESULT_DIR / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b)


def test_failing_job_is_recorded(tmp_path, monkeypatch):
    import s3sim.experiments.simulation

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(s3sim.experiments.simulation, "run_simulation", boom)
    rec = run_experiment(make_cfg(*FAST), out_dir=tmp_path / "job", raise_errors=False)
    assert rec["status"] == "failed" and "simulated crash" in rec["error"]
    failed = json.loads((tmp_path / "job" / FAILED_FILE).read_text())
    assert "RuntimeError: simulated crash" in failed["error"]
    assert not (tmp_path / "job" / DONE_FILE).exists()
    assert not (tmp_path / "job" / RESULT_DIR).exists()
    with pytest.raises(RuntimeError):
        run_experiment(make_cfg(*FAST), out_dir=tmp_path / "job2")


@pytest.mark.parametrize(("args", "expected"), [
    (["policy.budget=-1", "policy=generic_subsidy"], "policy: budget must be >= 0.0, got -1.0"),
    (["policy=foo"], "available options in 'policy': generic_subsidy, none"),
    (["policy.selection_rule=xyz"], "expected one of [edp, balland_quadrant"),
    (["scenario=from_data", "product_space.initial_data=missing.csv"], "file not found"),
])
def test_cli_errors_are_one_line_without_traceback(tmp_path, args, expected):
    res = cli(*args, *FAST[:1], cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("s3sim: error: ")
    assert expected in lines[0]
    assert "Traceback" not in res.stderr
    assert not list(tmp_path.rglob("DONE.json"))


def test_cli_single_run_reports_where_results_are(tmp_path):
    res = cli(*FAST, "name=single", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "-> results/single/runs/" in res.stdout
    assert list((tmp_path / "results" / "single" / "runs").glob("*/DONE.json"))


def test_from_data_scenario_runs_on_the_bundled_example(tmp_path):
    data = REPO / "s3sim" / "data" / "example_regions.csv"
    if not data.exists():
        pytest.skip("no bundled example data")
    cfg = make_cfg("scenario=from_data", f"product_space.initial_data={data}",
                   "policy=smart_specialisation", "scenario.steps=2", "replications=1",
                   "progress=false")
    rec = run_experiment(cfg, out_dir=tmp_path / "job")
    assert rec["status"] == "done"
    regions = pd.read_parquet(tmp_path / "job" / RESULT_DIR / "regions.parquet")
    assert regions["region_name"].nunique() > 1
