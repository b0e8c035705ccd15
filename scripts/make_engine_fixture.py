"""Record the engine's outputs on reference seeds, to check that refactors keep them.

Run once on the commit whose outputs are the reference (606c92e, before the engine
split)::

    python scripts/make_engine_fixture.py

It writes ``tests/data/engine_reference.parquet``: the ``regions``, ``entries`` and
``priorities`` tables of seeds 11 and 12 under every policy for 8 years on the
``default`` scenario and ``synthetic_small``, stacked with a ``table``/``scenario``
column. ``tests/test_engine_reference.py`` asserts that the current engine reproduces
them to 1e-12.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from s3sim.config import PolicyConfig
from s3sim.model import S3Model
from s3sim.scenarios import get_scenario

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "engine_reference.parquet"
SEEDS = (11, 12)
STEPS = 8
SCENARIOS = ("default", "synthetic_small")
POLICIES: dict[str, PolicyConfig] = {
    "none": PolicyConfig(name="none"),
    "generic_subsidy": PolicyConfig(name="generic_subsidy"),
    "smart_specialisation": PolicyConfig(name="smart_specialisation", budget_share=0.01),
    "picking_winners": PolicyConfig(name="picking_winners"),
    "research_funding": PolicyConfig(name="research_funding"),
}
TABLES = ("regions", "entries", "priorities")


def reference_tables() -> pd.DataFrame:
    """All reference runs' tables, stacked (columns absent from a table are NaN)."""
    frames = []
    for scenario in SCENARIOS:
        config = get_scenario(scenario).replace(steps=STEPS)
        for label, policy in POLICIES.items():
            for seed in SEEDS:
                rec = S3Model(config, policy, rng=seed).run().recorder
                for table in TABLES:
                    df = getattr(rec, f"{table}_frame")()
                    df.insert(0, "table", table)
                    df.insert(1, "scenario", scenario)
                    df.insert(2, "run_policy", label)
                    frames.append(df)
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    reference_tables().to_parquet(OUT, compression="zstd", index=False)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")
