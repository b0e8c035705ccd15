"""What a user or packager finds around the code: licence, citation, command-line help."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_license_is_the_apache_text_declared_in_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"]["text"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    assert len(text.splitlines()) > 190  # the full text, not a pointer to it


def test_citation_cff_matches_the_package():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == meta["version"] and cff["license"] == "Apache-2.0"
    assert cff["type"] == "software" and cff["title"].startswith("s3sim")
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    assert all(ref["doi"].startswith("10.") for ref in cff["references"])


def test_help_lists_the_main_parameters():
    res = subprocess.run([sys.executable, "-m", "s3sim.cli.run", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for key in ("replications=", "scenario.steps=", "policy.budget_share=",
                "policy.signal_noise=", "product_space.initial_data=", "hydra/launcher="):
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(key))
        assert len(line.split(maxsplit=1)) == 2, line  # a one-line description follows
    assert "== Configuration groups ==" in out and "smart_specialisation" in out
