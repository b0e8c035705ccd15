"""Write the bundled example data set: simulated regional exports in long format.

The file ``s3sim/data/example_regions.csv`` is what an advisor's own data looks like
(columns ``location, product, year, value``; HS92 4-digit product codes; values in
USD) so that ``s3sim-analyze`` and the ``from_data`` scenario can be tried without
real data. It is **simulated**: the regional output by product of a default-scenario
run of ``S3Model`` (seed 2024) in its years 18-20, scaled to USD. Rerun this script to
regenerate it; the output is deterministic.

Usage::

    python scripts/make_example_data.py [--out s3sim/data/example_regions.csv]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from s3sim.config import ModelConfig
from s3sim.io import atomic_write
from s3sim.model import S3Model

SEED = 2024
YEARS = {18: 2021, 19: 2022, 20: 2023}
USD_PER_UNIT = 2.5e6  # one unit of firm output, in USD
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "s3sim" / "data" / "example_regions.csv"


def simulate() -> pd.DataFrame:
    """Run the model and collect regional output by product for the chosen years."""
    model = S3Model(ModelConfig(steps=max(YEARS)), rng=SEED)
    rows = []
    codes = np.asarray(model.product_space.codes)
    names = [f"Region {chr(ord('A') + r)}" for r in range(model.n_regions)]
    for step in range(1, max(YEARS) + 1):
        model.step()
        if step in YEARS:
            r, p = np.nonzero(model.output_matrix > 0)
            rows.append(pd.DataFrame({
                "location": np.asarray(names)[r],
                "product": codes[p],
                "year": YEARS[step],
                "value": np.round(model.output_matrix[r, p] * USD_PER_UNIT, -3),
            }))
    return pd.concat(rows, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    """Simulate and write the example data set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    df = simulate()
    with atomic_write(args.out) as tmp:
        df.to_csv(tmp, index=False)
    years = ", ".join(str(y) for y in sorted(df["year"].unique()))
    print(f"wrote {len(df):,} rows ({df['location'].nunique()} locations, "
          f"{df['product'].nunique()} products, years {years}) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
