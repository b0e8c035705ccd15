"""Peak memory of :func:`s3sim.io.load_trade_table` on a 7-million-row long table.

Writes a synthetic panel (1,000 locations x 1,000 HS4-like codes x 7 years, codes as
integers so they must be normalised, values lognormal) as Parquet and as CSV, then
loads each in a fresh process and reports the peak resident memory above the
process's baseline (after imports; peak = ``VmHWM``) next to the loaded table's
in-memory size (``DataFrame.memory_usage(deep=True)``)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_load_memory.py [--rows-scale 1.0]

The result is quoted in docs/reliability.md (issue 12 asks for at most ~3x).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = r"""
import json, sys, time
import pandas, pyarrow, numpy, pyarrow.parquet, pyarrow.csv, pyarrow.compute
from s3sim.io import load_trade_table
def status(key):  # VmHWM, not ru_maxrss: ru_maxrss survives exec (the parent's peak)
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'):
            return int(line.split()[1]) * 1024
base = status('VmRSS')
t = time.perf_counter()
df = load_trade_table(sys.argv[1])
elapsed = time.perf_counter() - t
peak = status('VmHWM')
print(json.dumps({"rows": len(df), "table_bytes": int(df.memory_usage(deep=True).sum()),
                  "baseline_rss": base, "peak_rss": peak, "seconds": elapsed}))
"""


def make_table(n_loc: int, n_prod: int, years: int, seed: int = 0) -> pd.DataFrame:
    """A dense long panel with integer product codes (leading zeros lost)."""
    rng = np.random.default_rng(seed)
    codes = np.sort(rng.choice(np.arange(101, 9999), n_prod, replace=False))
    n = n_loc * n_prod * years
    return pd.DataFrame({
        "location": pd.Categorical.from_codes(
            np.tile(np.repeat(np.arange(n_loc), n_prod), years),
            [f"Region {i:04d}" for i in range(n_loc)]).astype(str),
        "product": np.tile(codes, n_loc * years),
        "year": np.repeat(np.arange(2015, 2015 + years), n_loc * n_prod),
        "value": np.round(rng.lognormal(3, 2, n), 2),
    })


def measure(path: Path) -> dict[str, float]:
    """Load ``path`` in a fresh interpreter and return its memory figures."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                         text=True, check=True)
    res = json.loads(out.stdout)
    res["peak_over_baseline"] = res["peak_rss"] - res["baseline_rss"]
    res["ratio"] = res["peak_over_baseline"] / res["table_bytes"]
    return res


def main() -> None:
    """Write the panel, measure Parquet and CSV loading, print one line each."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--locations", type=int, default=1000)
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--years", type=int, default=7)
    ap.add_argument("--csv", action="store_true", help="also measure a CSV copy (slower)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        df = make_table(args.locations, args.products, args.years)
        files = [Path(tmp) / "panel.parquet"]
        df.to_parquet(files[0], index=False)
        if args.csv:
            files.append(Path(tmp) / "panel.csv")
            df.to_csv(files[1], index=False)
        del df
        for f in files:
            r = measure(f)
            mb = 1024 ** 2
            print(f"{f.suffix[1:]:8s} rows={r['rows']:,} file={f.stat().st_size / mb:.0f} MB "
                  f"table={r['table_bytes'] / mb:.0f} MB peak-over-baseline="
                  f"{r['peak_over_baseline'] / mb:.0f} MB ratio={r['ratio']:.2f} "
                  f"time={r['seconds']:.1f} s")


if __name__ == "__main__":
    main()
