"""Timings and validation numbers for s3sim.space.product_space (docs/product_space.md).

Run: ``.venv/bin/python benchmarks/bench_product_space.py``. Uses a temporary cache
directory so the "first build" timing is a real cold build.
"""

from __future__ import annotations

import json
import os
import tempfile
import time

import numpy as np
from scipy import stats

os.environ["S3SIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="s3sim-bench-")

from s3sim.space import product_space as mod
from s3sim.space.product_space import ProductSpace, proximity_diagnostics


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def legacy_check(ps: ProductSpace) -> dict[str, float]:
    """Agreement of derived phi with the *legacy* Atlas layout (not used in the derivation)."""
    import atlas_common_data

    prod = atlas_common_data.load_products("hs92").set_index("code")
    leg = prod.loc[list(ps.codes), ["legacy_product_space_x", "legacy_product_space_y"]]
    leg = leg.to_numpy(dtype=float)
    iu = np.triu_indices(ps.n_products, 1)
    d_leg = np.hypot(*(leg[iu[0]] - leg[iu[1]]).T)
    d_new = np.hypot(*(ps.xy[iu[0]] - ps.xy[iu[1]]).T)
    phi = ps.proximity[iu]
    # each product's 5 nearest neighbours in the legacy layout
    full = np.hypot(*(leg[:, None, :] - leg[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(full, np.inf)
    nn = np.argsort(full, axis=1)[:, :5]
    nn_phi = np.take_along_axis(ps.proximity, nn, axis=1).mean()
    return {
        "spearman_phi_vs_minus_legacy_distance": float(stats.spearmanr(phi, -d_leg).statistic),
        "spearman_phi_vs_minus_umap_distance": float(stats.spearmanr(phi, -d_new).statistic),
        "mean_phi_5_nearest_legacy": float(nn_phi),
        "mean_phi_all_pairs": float(phi.mean()),
    }


def main() -> None:
    mod._atlas_cached.cache_clear()
    ps, t_first = timed(ProductSpace.atlas)
    _, t_mem = timed(ProductSpace.atlas)
    mod._atlas_cached.cache_clear()
    _, t_disk = timed(ProductSpace.atlas)
    _, t_nocache = timed(mod._build_atlas, 0.5)
    _, t_syn = timed(ProductSpace.synthetic)
    _, t_syn_big = timed(ProductSpace.synthetic, n_products=1000, n_clusters=10)
    print(
        "timings (s):",
        json.dumps(
            {
                "atlas_first_build_incl_cache_write": round(t_first, 3),
                "atlas_build_no_cache": round(t_nocache, 3),
                "atlas_in_memory": round(t_mem, 6),
                "atlas_from_disk_cache": round(t_disk, 3),
                "synthetic_200": round(t_syn, 3),
                "synthetic_1000": round(t_syn_big, 3),
            }
        ),
    )
    print("calibrated:", json.dumps(ps.metadata["proximity"]))
    for alpha in (0.5, 0.0, 1.0):
        p = ProductSpace.atlas(edge_length_exponent=alpha, use_disk_cache=False)
        d = proximity_diagnostics(p) | legacy_check(p)
        print(f"alpha={alpha}:", json.dumps({k: round(v, 4) for k, v in d.items()}))
    for seed in (0, 1, 2):
        d = proximity_diagnostics(ProductSpace.synthetic(seed=seed))
        print(f"synthetic seed={seed}:", json.dumps({k: round(v, 4) for k, v in d.items()}))


if __name__ == "__main__":
    main()
