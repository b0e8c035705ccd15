"""Validation report: stylized facts of the simulated economy (filled below)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["validation_section"]


def validation_section(sweep_dir: Path, jobs: list[Any], figdir: Path) -> list[str]:
    """Markdown lines of the validation section."""
    return []
