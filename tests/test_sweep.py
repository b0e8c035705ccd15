"""Multiruns: gathering, failures, resuming, launchers, reference results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from s3sim.experiments.job import DONE_FILE, FAILED_FILE
from s3sim.experiments.sweep import find_jobs, swept_parameters

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "results" / "reference"
SMALL = ["scenario=synthetic_small", "scenario.steps=4", "replications=3", "progress=false",
         "report.maps=false"]
SORT = ["job", "seed", "step", "region"]


def s3sim(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "RAY_AUTH_MODE": "disabled"}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, "-m", "s3sim.cli.run", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def multirun(tmp: Path, *extra: str, sweep_dir: str = "sweep",
             launcher: str = "basic") -> subprocess.CompletedProcess[str]:
    return s3sim("-m", *SMALL, f"hydra.sweep.dir={sweep_dir}", f"hydra/launcher={launcher}",
                 *extra, cwd=tmp)


@pytest.fixture(scope="module")
def basic_sweep(tmp_path_factory) -> Path:
    """``none`` and ``smart_specialisation`` with the basic launcher (no report figures)."""
    tmp = tmp_path_factory.mktemp("basic")
    res = multirun(tmp, "policy=none,smart_specialisation", "report.enabled=false")
    assert res.returncode == 0, res.stderr[-3000:]
    return tmp / "sweep"


@pytest.fixture(scope="module")
def sweep_with_failure(tmp_path_factory):
    """A 2 x 2 sweep in which the two jobs with a negative budget fail."""
    tmp = tmp_path_factory.mktemp("sweep")
    res = multirun(tmp, "policy=none,generic_subsidy", "policy.budget=2,-1")
    return tmp, res


def test_failing_jobs_are_reported_and_do_not_stop_the_others(sweep_with_failure):
    tmp, res = sweep_with_failure
    assert res.returncode == 1, res.stderr
    assert "4 job(s), 2 done" in res.stdout and "2 failed" in res.stdout
    assert res.stdout.count("FAILED policy.budget=-1") == 2
    assert "budget must be >= 0.0" in res.stdout
    jobs = pd.read_csv(tmp / "sweep" / "jobs.csv")
    assert sorted(jobs["status"]) == ["done", "done", "failed", "failed"]
    failed = jobs[jobs["status"] == "failed"]
    assert failed["error"].str.contains("ConfigError: policy: budget must be >= 0.0").all()
    report = (tmp / "sweep" / "report.md").read_text()
    assert "## Failures" in report and "budget must be >= 0.0" in report
    assert "s3sim: report:" in res.stdout


def test_gathered_table_is_tidy_with_swept_parameters(sweep_with_failure):
    tmp, _ = sweep_with_failure
    tidy = pd.read_parquet(tmp / "sweep" / "sweep.parquet")
    for col in ("job", "seed", "step", "region", "region_type", "policy", "scenario",
                "policy.budget", "diversity", "mean_pci", "output", "entries"):
        assert col in tidy, col
    # 2 done jobs x 3 seeds x 5 steps (0..4) x 8 regions, one row each
    assert len(tidy) == 2 * 3 * 5 * 8
    assert not tidy.duplicated(SORT).any()
    assert set(tidy.loc[tidy["policy"] != "none", "policy.budget"]) == {2}
    # the baseline spends nothing and is shared by every budget level: no policy.budget
    assert tidy.loc[tidy["policy"] == "none", "policy.budget"].isna().all()
    assert set(tidy["scenario"]) == {"synthetic_small"}
    effects = pd.read_parquet(tmp / "sweep" / "effects.parquet")
    assert set(effects["policy"]) == {"generic_subsidy"}
    assert len(effects) == 3 * 8  # seeds x regions
    assert (effects["baseline_job"].str.contains("policy=none")).all()


def test_rerun_skips_completed_jobs(sweep_with_failure):
    tmp, _ = sweep_with_failure
    done_before = {p.parent.name: p.read_text() for p in (tmp / "sweep").glob(f"*/{DONE_FILE}")}
    res = multirun(tmp, "policy=none,generic_subsidy", "policy.budget=2,-1")
    assert res.returncode == 1
    assert "2 reused from an earlier run" in res.stdout
    assert res.stdout.count("skipping completed job") + res.stderr.count(
        "skipping completed job") == 2
    for name, text in done_before.items():
        before, after = json.loads(text), json.loads((tmp / "sweep" / name / DONE_FILE).read_text())
        assert after["finished_epoch"] == before["finished_epoch"]  # not recomputed
        assert len(after["sweep_ids"]) == 2
    assert len(list((tmp / "sweep").glob(f"*/{FAILED_FILE}"))) == 2


def test_interrupted_job_without_marker_is_rerun(basic_sweep, tmp_path):
    shutil.copytree(basic_sweep, tmp_path / "sweep")
    sweep = tmp_path / "sweep"
    victim = next(sweep.glob("policy=smart_specialisation*"))
    (victim / DONE_FILE).unlink()  # as if killed after writing its tables
    res = multirun(tmp_path, "policy=none,smart_specialisation", "report.enabled=false")
    assert res.returncode == 0, res.stderr
    assert "1 reused from an earlier run" in res.stdout
    assert (victim / DONE_FILE).exists()


def test_only_the_last_sweep_is_gathered(basic_sweep, tmp_path):
    shutil.copytree(basic_sweep, tmp_path / "sweep")
    res = multirun(tmp_path, "policy=none,smart_specialisation", "seed=10",
                   "report.enabled=false")
    assert res.returncode == 0, res.stderr
    sweep = tmp_path / "sweep"
    assert len(find_jobs(sweep, only_last_sweep=False)) == 4
    jobs = find_jobs(sweep)
    assert len(jobs) == 2 and all("seed=10" in j.name for j in jobs)
    tidy = pd.read_parquet(sweep / "sweep.parquet")
    assert set(tidy["seed"]) == {10, 11, 12}
    assert swept_parameters(jobs) == ["scenario", "policy"]


def _numbers(sweep: Path) -> pd.DataFrame:
    df = pd.read_parquet(sweep / "sweep.parquet")
    return df.sort_values(SORT).reset_index(drop=True)


ARGS = ("policy=none,smart_specialisation", "report.enabled=false")


def test_joblib_and_basic_launchers_give_identical_numbers(basic_sweep, tmp_path):
    res = multirun(tmp_path, *ARGS, sweep_dir="joblib", launcher="joblib")
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(_numbers(basic_sweep), _numbers(tmp_path / "joblib"))


@pytest.mark.cluster
def test_ray_launcher_gives_identical_numbers(basic_sweep, tmp_path):
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    res = multirun(tmp_path, *ARGS, "+hydra.launcher.ray.init.num_cpus=2",
                   "+hydra.launcher.ray.init.include_dashboard=false",
                   sweep_dir="ray", launcher="ray")
    assert res.returncode == 0, res.stderr[-3000:]
    pd.testing.assert_frame_equal(_numbers(basic_sweep), _numbers(tmp_path / "ray"))


@pytest.mark.cluster
def test_submitit_local_launcher_gives_identical_numbers(basic_sweep, tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    res = multirun(tmp_path, *ARGS, sweep_dir="submitit", launcher="submitit_local")
    assert res.returncode == 0, res.stderr[-3000:]
    pd.testing.assert_frame_equal(_numbers(basic_sweep), _numbers(tmp_path / "submitit"))


def _check_against_reference(tmp: Path, study: str, tables: dict[str, list[str]]) -> None:
    ref = REFERENCE / "check" / study
    args = (ref / "command.txt").read_text().split()
    assert args[0] == "s3sim"
    res = s3sim(*args[1:], "hydra.sweep.dir=rerun", "progress=false", cwd=tmp)
    assert res.returncode == 0, res.stderr[-3000:]
    for name, keys in tables.items():
        new = pd.read_parquet(tmp / "rerun" / name) if name.endswith(".parquet") \
            else pd.read_csv(tmp / "rerun" / name)
        old = pd.read_parquet(ref / name) if name.endswith(".parquet") \
            else pd.read_csv(ref / name)
        if "job" in keys:  # job folder names changed (hash suffix); compare by parameters
            keys = [k for k in ("scenario", "policy") if k in new] + \
                [k for k in keys if k != "job"]
            new, old = new.drop(columns="job"), old.drop(columns="job")
        new = new.sort_values(keys).reset_index(drop=True)
        old = old.sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-9, atol=1e-12)


@pytest.mark.skipif(not (REFERENCE / "check").exists(), reason="no reference results")
def test_reduced_compare_policies_reproduces_the_reference(tmp_path):
    _check_against_reference(tmp_path, "compare_policies", {
        "sweep.parquet": SORT,
        "effects_summary.csv": ["context", "arm", "region_type", "metric"],
    })


@pytest.mark.skipif(not (REFERENCE / "check").exists(), reason="no reference results")
def test_reduced_validation_reproduces_the_reference(tmp_path):
    _check_against_reference(tmp_path, "validation", {
        "validation_quintiles.csv": ["scenario", "quintile"],
        "validation_regression.csv": ["scenario", "term"],
        "validation_diffusion.csv": ["threshold"],
    })


def test_report_command_rebuilds_from_job_dirs(sweep_with_failure, tmp_path):
    src, _ = sweep_with_failure
    copy = tmp_path / "copy"
    shutil.copytree(src / "sweep", copy)
    for f in ("sweep.parquet", "report.md", "jobs.csv"):
        (copy / f).unlink()
    res = s3sim("report", str(copy), cwd=tmp_path)
    assert res.returncode == 1  # the sweep has failed jobs
    assert (copy / "report.md").exists() and (copy / "sweep.parquet").exists()
    a, b = _numbers(src / "sweep"), _numbers(copy)
    assert np.array_equal(a["diversity"], b["diversity"])


def test_sweep_from_a_data_file_path_finds_every_job(tmp_path):
    """An advisor's sweep with a path override: jobs must not nest in path directories."""
    data = REPO / "s3sim" / "data" / "example_regions.csv"
    res = s3sim("-m", "scenario=from_data", f"product_space.initial_data={data}",
                "policy=none,smart_specialisation", "policy.budget_share=0.01",
                "scenario.n_firms=1000", "scenario.steps=3", "replications=2",
                "progress=false", "report.maps=false", "hydra.sweep.dir=advisor",
                "hydra/launcher=basic", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "2 job(s), 2 done, 0 failed" in res.stdout
    jobs = find_jobs(tmp_path / "advisor")
    assert len(jobs) == 2
    assert all(j.path.parent == tmp_path / "advisor" and j.status == "done" for j in jobs)
    summary = pd.read_csv(tmp_path / "advisor" / "effects_summary.csv")
    assert (summary["arm"] == "smart_specialisation").any()
