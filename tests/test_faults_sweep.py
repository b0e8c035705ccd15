"""Fault injection, sweeps: job identity, completion markers, gathering, interrupts.

Each test reproduces a case of issue 12 as a new user would (through the ``s3sim``
command) and checks the promise of docs/reliability.md that it backs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from s3sim.experiments.job import DONE_FILE, RESULT_DIR, job_dirname, job_identity
from s3sim.io import OWNER_MARKER

SMALL = ["scenario=synthetic_small", "scenario.steps=3", "replications=2", "progress=false",
         "hydra/launcher=basic"]
EXCLUDE = ["experiment", "name", "progress", "skip_completed", "report.enabled"]


def s3sim(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, "-m", "s3sim.cli.run", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def no_traceback(res: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in res.stderr and "Traceback" not in res.stdout


def error_lines(res: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in res.stderr.splitlines() if "error:" in ln]


GRID = ("policy=none,generic_subsidy", "policy.budget_share=0.01,0.02", "report.enabled=false")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A budget grid: none and generic_subsidy at two budget shares."""
    tmp = tmp_path_factory.mktemp("faults")
    res = s3sim("-m", *SMALL, "hydra.sweep.dir=sweep", *GRID, cwd=tmp)
    assert res.returncode == 0, res.stderr[-3000:]
    return tmp / "sweep"


def copy_sweep(sweep: Path, tmp_path: Path) -> Path:
    shutil.copytree(sweep, tmp_path / "sweep")
    return tmp_path / "sweep"


# --- job identity -------------------------------------------------------------------------

def test_job_folder_names_are_unique_short_and_keep_a_readable_prefix():
    a = job_dirname(job_identity(["product_space.initial_data=data/a_b.csv"], EXCLUDE, "none"))
    b = job_dirname(job_identity(["product_space.initial_data=data/a/b.csv"], EXCLUDE, "none"))
    assert (a != b and a.startswith("policy=none,product_space.initial_data=data_a_b.csv-")) \
        or a.startswith("product_space.initial_data=data_a_b.csv-")
    long = [f"scenario.param_{i}={'x' * 40}" for i in range(30)]
    name = job_dirname(job_identity(long, EXCLUDE, "generic_subsidy"))
    assert len(name.encode()) < 140 and "/" not in name
    assert name != job_dirname(job_identity([*long[:-1], "scenario.param_29=y"], EXCLUDE,
                                            "generic_subsidy"))


def test_baseline_identity_ignores_valid_policy_parameters_only():
    base = job_identity(["policy=none", "policy.budget_share=0.01"], EXCLUDE, "none")
    assert base == job_identity(["policy=none", "policy.budget_share=0.04"], EXCLUDE, "none")
    assert base != job_identity(["policy=generic_subsidy", "policy.budget_share=0.01"], EXCLUDE,
                                "generic_subsidy")
    bad = job_identity(["policy=none", "policy.budget=-1"], EXCLUDE, "none")
    assert "policy.budget=-1" in bad  # an invalid value fails in a folder of its own


def test_baseline_runs_once_per_configuration_and_pairs_every_budget(sweep):
    folders = sorted(p.name for p in sweep.iterdir() if (p / DONE_FILE).exists())
    assert len(folders) == 3 and sum(f.startswith("policy=none") for f in folders) == 1
    effects = pd.read_parquet(sweep / "effects.parquet")
    assert sorted(effects["policy.budget_share"].unique()) == [0.01, 0.02]
    assert effects["baseline_job"].nunique() == 1
    tidy = pd.read_parquet(sweep / "sweep.parquet")
    assert tidy.loc[tidy["policy"] == "none", "policy.budget_share"].isna().all()


@pytest.mark.slow
def test_two_data_paths_differing_by_a_separator_get_two_jobs(tmp_path):
    """Issue 12: data/a_b.csv and data/a/b.csv mapped to one job folder."""
    from s3sim.space.product_space import ProductSpace

    codes = ProductSpace.atlas().codes[:60]
    (tmp_path / "data" / "a").mkdir(parents=True)
    for i, path in enumerate(["data/a_b.csv", "data/a/b.csv"]):
        rows = [(f"R{r}", c, 2019, float((r * 7 + k * 3 + i) % 11)) for r in range(5)
                for k, c in enumerate(codes)]
        pd.DataFrame(rows, columns=["location", "product", "year", "value"]).to_csv(
            tmp_path / path, index=False)
    res = s3sim("-m", "scenario=from_data", "product_space.initial_data=data/a_b.csv,data/a/b.csv",
                "scenario.steps=1", "replications=1", "progress=false", "hydra/launcher=basic",
                "scenario.n_firms=200", "scenario.n_research_bodies=5", "report.enabled=false",
                "hydra.sweep.dir=sweep", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "2 job(s), 2 done" in res.stdout
    done = [json.loads(p.read_text()) for p in (tmp_path / "sweep").glob(f"*/{DONE_FILE}")]
    assert len(done) == 2 and len({d["config_hash"] for d in done}) == 2


# --- completion markers and gathering ---------------------------------------------------------

def _victim(sweep: Path) -> Path:
    return next(p for p in sorted(sweep.iterdir()) if "policy=generic" in p.name)


def _truncate(root: Path) -> Path:
    victim = _victim(root)
    table = victim / RESULT_DIR / "regions.parquet"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    return victim


def test_truncated_table_behind_done_is_reported_failed(sweep, tmp_path):
    """Issue 12: a truncated job table behind DONE was trusted and the run exited 0."""
    root = copy_sweep(sweep, tmp_path)
    victim = _truncate(root)
    res = s3sim("report", str(root), cwd=tmp_path)
    assert res.returncode == 1 and no_traceback(res)
    assert f"FAILED {victim.name}" in res.stdout and "do not match the checksums" in res.stdout
    tidy = pd.read_parquet(root / "sweep.parquet")
    assert victim.name not in set(tidy["job"])


@pytest.mark.slow
def test_truncated_table_behind_done_is_recomputed_by_a_rerun(sweep, tmp_path):
    root = copy_sweep(sweep, tmp_path)
    _truncate(root)
    res = s3sim("-m", *SMALL, "hydra.sweep.dir=sweep", *GRID, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "recomputing it" in res.stderr + res.stdout
    assert "2 reused from an earlier run" in res.stdout


def test_rewritten_sweep_json_gives_one_line_and_non_zero_exit(sweep, tmp_path):
    root = copy_sweep(sweep, tmp_path)
    (root / "sweep.json").write_text(json.dumps({"id": "0" * 32, "started_epoch": 0}))
    res = s3sim("report", str(root), cwd=tmp_path)
    assert res.returncode == 2 and no_traceback(res)
    assert len(error_lines(res)) == 1 and "--all-jobs" in res.stderr
    (root / "sweep.json").write_text("{not json")
    res = s3sim("report", str(root), cwd=tmp_path)
    assert res.returncode == 2 and no_traceback(res) and "sweep.json" in res.stderr


def test_corrupt_legacy_table_and_failed_gathering_leave_no_stale_tables(sweep, tmp_path):
    """A marker without checksums (older s3sim) and a garbage table: reported, not trusted."""
    root = copy_sweep(sweep, tmp_path)
    for job in root.iterdir():
        if (job / DONE_FILE).exists():
            record = json.loads((job / DONE_FILE).read_text())
            record.pop("files")
            (job / DONE_FILE).write_text(json.dumps(record))
            (job / RESULT_DIR / "regions.parquet").write_bytes(b"garbage")
    assert (root / "sweep.parquet").exists()
    res = s3sim("report", str(root), cwd=tmp_path)
    assert res.returncode == 1 and no_traceback(res)
    assert "unreadable" in res.stdout and "no completed job to gather" in res.stdout
    assert not (root / "sweep.parquet").exists() and not (root / "effects.parquet").exists()
    assert pd.read_csv(root / "jobs.csv")["status"].eq("failed").all()


def test_report_on_a_folder_that_is_not_a_sweep_is_one_line(tmp_path):
    (tmp_path / "notes").mkdir()
    res = s3sim("report", str(tmp_path / "notes"), cwd=tmp_path)
    assert res.returncode == 2 and no_traceback(res) and "not an s3sim sweep folder" in res.stderr


# --- ownership of sweep folders ---------------------------------------------------------------

def test_sweep_into_a_user_folder_is_refused_and_files_are_intact(tmp_path):
    """Issue 12: a sweep deleted the user's figures/*.png and overwrote report.md."""
    mine = tmp_path / "thesis"
    (mine / "figures").mkdir(parents=True)
    (mine / "figures" / "fig1.png").write_bytes(b"\x89PNG mine")
    (mine / "report.md").write_text("# my report")
    res = s3sim("-m", *SMALL, "hydra.sweep.dir=thesis", "policy=none,generic_subsidy",
                cwd=tmp_path)
    assert res.returncode == 2 and no_traceback(res) and len(error_lines(res)) == 1
    assert "was not written by s3sim" in res.stderr
    assert sorted(p.name for p in mine.rglob("*")) == ["fig1.png", "figures", "report.md"]
    assert (mine / "report.md").read_text() == "# my report"


def test_report_never_deletes_a_figure_the_user_added(sweep, tmp_path):
    root = copy_sweep(sweep, tmp_path)
    (root / "figures").mkdir(exist_ok=True)
    (root / "figures" / "mine.png").write_bytes(b"\x89PNG mine")
    (root / "jobs.csv").write_text("edited")
    res = s3sim("report", str(root), cwd=tmp_path)
    assert res.returncode == 2 and no_traceback(res)
    assert "'figures/mine.png'" in res.stderr and "'jobs.csv'" in res.stderr
    assert (root / "figures" / "mine.png").read_bytes() == b"\x89PNG mine"
    assert (root / "jobs.csv").read_text() == "edited"
    marker = json.loads((root / OWNER_MARKER).read_text())
    assert marker["tool"] == "s3sim" and "sweep.parquet" in marker["files"]


def test_sweep_folder_below_a_file_is_one_line(tmp_path):
    (tmp_path / "data.csv").write_text("x")
    res = s3sim("-m", *SMALL, "hydra.sweep.dir=data.csv/sweep", "policy=none", cwd=tmp_path)
    assert res.returncode == 2 and no_traceback(res) and len(error_lines(res)) == 1
    assert "data.csv" in res.stderr


# --- budget rule ----------------------------------------------------------------------------

def test_explicit_budget_zero_spends_nothing(tmp_path):
    """Issue 12: policy=generic_subsidy policy.budget=0 still spent 1 % of output."""
    res = s3sim(*SMALL, "policy=generic_subsidy", "policy.budget=0", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    regions = pd.read_parquet(next((tmp_path / "results").rglob("regions.parquet")))
    assert regions["budget_spent"].sum() == 0 and regions["budget_unspent"].sum() == 0


def test_budget_rule_in_the_hydra_layer():
    """An explicit policy.budget clears the preset's share; both explicit -> error naming both."""
    from s3sim.experiments.job import _budget_rule

    preset = {"name": "generic_subsidy", "budget": 0.0, "budget_share": 0.01}
    assert _budget_rule(preset, ["policy=generic_subsidy", "policy.budget=0"])[
        "budget_share"] is None
    assert _budget_rule(preset, ["policy.budget_share=0.02"])["budget_share"] == 0.01
    from s3sim.config import ConfigError, policy_config_from_mapping

    both = _budget_rule({**preset, "budget": 2.0},
                        ["policy.budget=2", "policy.budget_share=0.01"])
    with pytest.raises(ConfigError, match="both set"):
        policy_config_from_mapping(both)


# --- interrupts and dead parents (slow: they start joblib workers) ------------------------------

def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _start_parallel_sweep(tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.Popen(
        [sys.executable, "-m", "s3sim.cli.run", "-m", "scenario=synthetic_small",
         "scenario.steps=60", "replications=8", "progress=false", "report.enabled=false",
         "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweep.dir=sweep",
         "policy=none,generic_subsidy,smart_specialisation,picking_winners,research_funding"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)


def _wait_for_a_finished_job(tmp_path: Path, proc: subprocess.Popen[str]) -> list[int]:
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.5)
        if list((tmp_path / "sweep").glob(f"*/{DONE_FILE}")) and len(_children(proc.pid)) >= 2:
            return _children(proc.pid)
    proc.kill()
    pytest.fail("no job finished within 120 s")


@pytest.mark.slow
def test_ctrl_c_stops_workers_and_finished_jobs_are_reused(tmp_path):
    proc = _start_parallel_sweep(tmp_path)
    workers = _wait_for_a_finished_job(tmp_path, proc)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err and "interrupted" in err
    time.sleep(2)
    assert not [w for w in workers if _alive(w)]
    finished = {p.parent.name for p in (tmp_path / "sweep").glob(f"*/{DONE_FILE}")}
    res = s3sim("-m", "scenario=synthetic_small", "scenario.steps=60", "replications=8",
                "progress=false", "report.enabled=false", "hydra/launcher=basic",
                "hydra.sweep.dir=sweep",
                "policy=none,generic_subsidy,smart_specialisation,picking_winners,"
                "research_funding", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"{len(finished)} reused from an earlier run" in res.stdout


@pytest.mark.slow
def test_workers_exit_when_the_sweep_process_is_killed(tmp_path):
    proc = _start_parallel_sweep(tmp_path)
    workers = _wait_for_a_finished_job(tmp_path, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.time() + 15
    while time.time() < deadline and [w for w in workers if _alive(w)]:
        time.sleep(0.5)
    alive = [w for w in workers if _alive(w)]
    for w in alive:
        os.kill(w, signal.SIGKILL)
    assert not alive, "joblib workers outlived the killed sweep by 15 s"
