"""Fault injection, outputs: s3sim never deletes or overwrites a file it did not write,
and an output location that cannot be written gives one line naming it.

Tests run as root, so permission errors are simulated by paths below a regular file and
by monkeypatching the OS call that would fail (EACCES, ENOSPC, ENAMETOOLONG).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pandas as pd
import pytest

from s3sim.cli import analyze
from s3sim.config import ModelConfig
from s3sim.experiments.simulation import run_simulation
from s3sim.io import OWNER_MARKER, OutputError, atomic_output_dir, read_owner_marker

TINY = ModelConfig(product_space="synthetic", synthetic_products=20, n_regions=3, n_firms=60,
                   n_research_bodies=3, steps=2, portfolio_leading=6,
                   portfolio_intermediate=4, portfolio_lagging=2)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.csv"
    pd.DataFrame({"location": ["A", "A", "B", "B", "C"],
                  "product": ["0101", "0102", "0102", "8703", "0101"], "year": 2019,
                  "value": [5.0, 1.0, 3.0, 4.0, 2.0]}).to_csv(path, index=False)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(argv: list[str], capsys) -> tuple[int, str]:
    code = analyze.main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_analyze_out_dot_with_a_locations_csv_keeps_every_user_file(data, tmp_path, capsys,
                                                                   monkeypatch):
    """Issue 12: `--out .` in a folder holding locations.csv deleted the data and a thesis."""
    (tmp_path / "locations.csv").write_text("my own table")
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "ch1.tex").write_text("precious")
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, err = run([str(data), "--out", "."], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "s3sim did not write" in err and "data.csv" in err
    assert snapshot(tmp_path) == before


def test_analyze_replaces_only_its_own_unchanged_output(data, tmp_path, capsys):
    out = tmp_path / "out"
    assert run([str(data), "--out", str(out), "--max-figures", "0"], capsys)[0] == 0
    marker = read_owner_marker(out)
    assert marker["tool"] == "s3sim-analyze" and "locations.csv" in marker["files"]
    assert run([str(data), "--out", str(out), "--max-figures", "0"], capsys)[0] == 0
    (out / "locations.csv").write_text("edited by the user")  # no longer s3sim's file
    before = snapshot(out)
    code, err = run([str(data), "--out", str(out), "--max-figures", "0"], capsys)
    assert code == 2 and "'locations.csv'" in err
    assert snapshot(out) == before


@pytest.mark.parametrize("make_out", [
    lambda t, d: d / "sub",                     # below a regular file (the data file)
    lambda t, d: t / ("x" * 300),               # name too long
    lambda t, d: d,                             # the data file itself
])
def test_analyze_unwritable_out_is_one_line(data, tmp_path, capsys, make_out):
    before = snapshot(tmp_path)
    code, err = run([str(data), "--out", str(make_out(tmp_path, data))], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--out" in err or "cannot write" in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("err_no", [errno.EACCES, errno.ENOSPC, errno.EROFS])
def test_analyze_os_errors_while_writing_leave_nothing_behind(data, tmp_path, capsys,
                                                              monkeypatch, err_no):
    """Permission denied / disk full / read-only while the output is written."""
    real = os.replace

    def failing(src, dst, *a, **k):
        if str(dst).endswith("out"):
            raise OSError(err_no, os.strerror(err_no), str(dst))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", failing)
    code, err = run([str(data), "--out", str(tmp_path / "out"), "--max-figures", "0"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert os.strerror(err_no) in err and str(tmp_path / "out") in err
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")]


def test_analyze_ctrl_c_leaves_out_unchanged(data, tmp_path, capsys, monkeypatch):
    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(analyze, "_tables", interrupt)
    code, err = run([str(data), "--out", str(tmp_path / "out")], capsys)
    assert code == 130 and "interrupted" in err and not (tmp_path / "out").exists()


def test_simulation_result_write_refuses_a_user_folder(tmp_path):
    result = run_simulation(TINY, "none", seeds=[0])
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("keep me")
    with pytest.raises(OutputError, match=r"notes\.md"):
        result.write(mine)
    assert (mine / "notes.md").read_text() == "keep me"
    result.write(tmp_path / "run")
    result.write(tmp_path / "run")  # its own output: replaced
    assert (tmp_path / "run" / OWNER_MARKER).exists()


def test_atomic_output_dir_below_a_file_names_it(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"), \
            atomic_output_dir(tmp_path / "f" / "a" / "b"):
        pass
