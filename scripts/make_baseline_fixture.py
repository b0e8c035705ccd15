"""Record the laissez-faire outputs of every named scenario, to keep them bit-identical.

Run once on the commit whose outputs are the reference (380dff8, before grants were
rationed: issue "Money must matter")::

    python scripts/make_baseline_fixture.py

It writes ``tests/data/baseline_reference.parquet``: the ``regions``
table of seeds 3 and 4 under the ``none`` policy for 10 years on every scenario of
:data:`s3sim.scenarios.SCENARIOS`, stacked with ``table``/``scenario`` columns.
``tests/test_money.py`` asserts that the current engine reproduces every recorded column
exactly: a change to how policies spend money must not move the no-policy economy.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from s3sim.config import PolicyConfig
from s3sim.model import S3Model
from s3sim.scenarios import SCENARIOS

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "baseline_reference.parquet"
SEEDS = (3, 4)
STEPS = 10
TABLES = ("regions",)


def baseline_tables() -> pd.DataFrame:
    """The no-policy runs' tables of every named scenario, stacked."""
    frames = []
    for scenario, config in SCENARIOS.items():
        for seed in SEEDS:
            model = S3Model(config.replace(steps=STEPS), PolicyConfig("none"), rng=seed)
            rec = model.run().recorder
            for table in TABLES:
                df = getattr(rec, f"{table}_frame")()
                df.insert(0, "table", table)
                df.insert(1, "scenario", scenario)
                frames.append(df)
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    baseline_tables().to_parquet(OUT, compression="zstd", index=False)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")
