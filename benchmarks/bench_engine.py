"""Benchmark the engine under its Mesa facade, beside a bare-numpy reference, in one run.

Usage::

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_engine.py [--quick] [--profile]

Measurements (issue 9 targets; one process):

1. ``import s3sim.model`` time;
2. default seed-run: Atlas HS92, 20 regions, 5,000 firms, 30 years,
   ``smart_specialisation``: construction + run per seed once the product space (and
   its derived arrays) are cached in the process; median over seeds;
3. 100,000 initial firms, default configuration (``agent_objects="on_demand"`` and the
   default ``"all"``), firm-steps per second once warm (step 1 excluded), beside a
   bare-numpy run of similar dynamics (attempts with kernel-sampled targets, lognormal
   growth, exit, entry into free slots, regional output) on the same machine;
4. peak traced memory (tracemalloc) per living firm during the 100k run.

A firm-step is one living firm for one year. CPU times (``time.process_time``) are
printed beside wall times: on a shared machine they are the stable comparison.
``--profile`` prints the top cProfile entries of the 100k on-demand run.

``--scale`` measures how CPU time per firm-step and peak traced memory grow with the
number of firms (10k, 30k, 100k; 20 regions, Atlas), regions (20, 60, 180; 20,000
firms) and products (synthetic spaces of 150, 400, 865; 20 regions, 20,000 firms),
and fits the exponent ``b`` of ``cost ~ size^b`` on each axis (least squares on logs).
``--big FIRMS REGIONS YEARS`` times one large run (e.g. ``--big 1000000 20 50`` or
``--big 5000 300 30``): CPU and wall per year, living firms, peak traced memory of
the first ``--big-memory-years`` years (tracemalloc slows the run, so it is measured
apart).
"""

from __future__ import annotations

import argparse
import time

T0 = time.perf_counter()
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from s3sim.config import ModelConfig, PolicyConfig  # noqa: E402
from s3sim.model import S3Model, build_product_space  # noqa: E402

T_IMPORT = time.perf_counter() - T0
SMART = PolicyConfig(name="smart_specialisation")


def seed_run(seeds: int) -> dict[str, float]:
    """Median construction + 30-year run of the default scenario under smart specialisation."""
    config = ModelConfig(steps=30)
    build_product_space("atlas")
    S3Model(config, SMART, rng=0).run(1)  # warm the product-space caches
    times, cpu = [], []
    for seed in range(1, seeds + 1):
        t, c = time.perf_counter(), time.process_time()
        S3Model(config, SMART, rng=seed).run()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {"median_s": statistics.median(times), "min_s": min(times),
            "cpu_s": statistics.median(cpu)}


def large_run(steps: int, agent_objects: str, profile: bool = False) -> dict[str, float]:
    """Firm-steps per second of 100k initial firms once warm (after step 1)."""
    config = ModelConfig(n_firms=100_000, steps=steps, agent_objects=agent_objects)
    model = S3Model(config, rng=0)
    model.step()
    prof = cProfile.Profile() if profile else None
    firm_steps, t, c = 0, time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    for _ in range(steps - 1):
        firm_steps += model.firms.n_alive
        model.step()
    elapsed = time.perf_counter() - t
    cpu = time.process_time() - c
    if prof:
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(18)
        print(out.getvalue())
    return {"rate": firm_steps / elapsed, "cpu_rate": firm_steps / cpu,
            "ms_per_step": 1e3 * elapsed / (steps - 1), "firms_end": model.firms.n_alive}


def bare_numpy(n_firms: int, steps: int, n_regions: int = 20) -> float:
    """Firm-steps/s of a bare-numpy economy with the engine's main per-firm operations."""
    rng = np.random.default_rng(0)
    ps = build_product_space("atlas")
    n_p = ps.n_products
    kernel = np.asarray(ps.proximity, dtype=float) ** 2
    np.fill_diagonal(kernel, 0.0)
    cdf = np.cumsum(kernel, axis=1)
    cdf = (cdf / cdf[:, -1:] + np.arange(n_p)[:, None]).ravel()
    cap = 3 * n_firms
    alive = np.zeros(cap, bool)
    alive[:n_firms] = True
    region = rng.integers(0, n_regions, cap).astype(np.int32)
    product = rng.integers(0, n_p, cap).astype(np.int32)
    size = np.where(alive, rng.lognormal(-0.5, 1.0, cap), 0.0)
    firm_steps, t = 0, time.process_time()
    for _ in range(steps):
        live = np.flatnonzero(alive)
        firm_steps += live.size
        u = rng.random((3, live.size), dtype=np.float32)
        att = live[u[0] < 0.1 * np.minimum(size[live], 1.0)]
        target = np.searchsorted(cdf, product[att] + u[1][: att.size]) - product[att] * n_p
        ok = u[2][: att.size] < 0.3
        g = -0.02 - 0.05 * np.log(size[live]) + 0.2 * rng.standard_normal(live.size)
        size[live] *= np.exp(g)
        out = live[(size[live] < 0.1) | (u[2] < 0.05)]
        alive[out], size[out] = False, 0.0
        free = np.flatnonzero(~alive)[: int(ok.sum())]
        alive[free], region[free] = True, region[att[ok]][: free.size]
        product[free], size[free] = np.minimum(target[ok], n_p - 1)[: free.size], 0.3
        np.bincount(region[live].astype(np.int64) * n_p + product[live], weights=size[live],
                    minlength=n_regions * n_p)
    return firm_steps / (time.process_time() - t)


def memory_per_firm(steps: int) -> float:
    """Peak traced bytes during a 100k on-demand run, per living firm at the peak."""
    config = ModelConfig(n_firms=100_000, steps=steps, agent_objects="on_demand")
    build_product_space("atlas")
    tracemalloc.start()
    model = S3Model(config, rng=0)
    tracemalloc.reset_peak()
    peak_firms = model.firms.n_alive
    for _ in range(steps):
        model.step()
        peak_firms = max(peak_firms, model.firms.n_alive)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / peak_firms


def scale_point(n_firms: int, n_regions: int, steps: int,
                n_products: int | None = None) -> dict[str, float]:
    """CPU seconds per year, per firm-step, and peak traced bytes of one configuration."""
    kwargs: dict = {"n_firms": n_firms, "n_regions": n_regions, "steps": steps,
                    "agent_objects": "on_demand"}
    if n_products is not None:  # portfolios scaled with the space (defaults are for 865)
        base = ModelConfig()
        share = n_products / 865
        kwargs.update(product_space="synthetic", synthetic_products=n_products,
                      portfolio_leading=round(base.portfolio_leading * share),
                      portfolio_intermediate=round(base.portfolio_intermediate * share),
                      portfolio_lagging=round(base.portfolio_lagging * share))
    config = ModelConfig(**kwargs)
    c = time.process_time()
    model = S3Model(config, rng=0)
    build_cpu = time.process_time() - c
    model.step()  # warm
    firm_steps, c, t = 0, time.process_time(), time.perf_counter()
    for _ in range(steps - 1):
        firm_steps += model.firms.n_alive
        model.step()
    cpu, wall = time.process_time() - c, time.perf_counter() - t
    tracemalloc.start()
    model = S3Model(config.replace(steps=3), rng=0)
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    peak_firms = 0
    for _ in range(3):
        model.step()
        peak_firms = max(peak_firms, model.firms.n_alive)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"build_cpu_s": build_cpu, "cpu_per_year": cpu / (steps - 1),
            "wall_per_year": wall / (steps - 1), "cpu_per_firm_step": cpu / firm_steps,
            "peak_bytes": float(peak), "step_bytes": float(peak - base),
            "bytes_per_firm": peak / peak_firms}


def _exponent(sizes: list[int], values: list[float]) -> float:
    return float(np.polyfit(np.log(sizes), np.log(values), 1)[0])


def scale(steps: int) -> None:
    """Print cost against firms, regions and products, with fitted exponents."""
    axes = {
        "firms": [(n, dict(n_firms=n, n_regions=20)) for n in (10_000, 30_000, 100_000)],
        "regions": [(r, dict(n_firms=20_000, n_regions=r)) for r in (20, 60, 180)],
        "products": [(p, dict(n_firms=20_000, n_regions=20, n_products=p))
                     for p in (150, 400, 865)],
    }
    for axis, points in axes.items():
        rows = []
        for size, kw in points:
            r = scale_point(steps=steps, **kw)
            rows.append((size, r))
            print(f"  {axis}={size}: {1e3 * r['cpu_per_year']:.1f} ms CPU/year "
                  f"({1e3 * r['wall_per_year']:.1f} wall), "
                  f"{1e9 * r['cpu_per_firm_step']:.0f} ns CPU per firm-step, "
                  f"build {r['build_cpu_s']:.2f} s CPU, peak traced "
                  f"{r['peak_bytes'] / 1e6:.1f} MB ({r['bytes_per_firm']:.0f} B per firm)",
                  flush=True)
        sizes = [s for s, _ in rows]
        cpu_b = _exponent(sizes, [r["cpu_per_year"] for _, r in rows])
        mem_b = _exponent(sizes, [r["peak_bytes"] for _, r in rows])
        print(f"{axis}: CPU/year ~ size^{cpu_b:.2f}, peak memory ~ size^{mem_b:.2f}", flush=True)


def big_run(n_firms: int, n_regions: int, years: int, memory_years: int) -> None:
    """Time one large run year by year; peak traced memory over its first years."""
    config = ModelConfig(n_firms=n_firms, n_regions=n_regions, steps=years,
                         agent_objects="on_demand")
    c, t = time.process_time(), time.perf_counter()
    model = S3Model(config, rng=0)
    print(f"build: {time.process_time() - c:.2f} s CPU, {time.perf_counter() - t:.2f} s wall",
          flush=True)
    firm_steps, c0, t0 = 0, time.process_time(), time.perf_counter()
    for year in range(1, years + 1):
        firm_steps += model.firms.n_alive
        model.step()
        if year % 5 == 0 or year == years:
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            print(f"year {year}: {model.firms.n_alive} firms, {cpu:.1f} s CPU, {wall:.1f} s "
                  f"wall so far; {firm_steps / cpu / 1e6:.2f} M firm-steps per CPU s",
                  flush=True)
    del model
    tracemalloc.start()
    model = S3Model(config.replace(steps=memory_years), rng=0)
    peak_firms = 0
    for _ in range(memory_years):
        model.step()
        peak_firms = max(peak_firms, model.firms.n_alive)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced memory over {memory_years} years (construction included): "
          f"{peak / 1e6:.0f} MB, {peak / peak_firms:.0f} B per living firm", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and steps")
    parser.add_argument("--profile", action="store_true", help="cProfile the 100k run")
    parser.add_argument("--scale", action="store_true",
                        help="cost against firms, regions, products (fitted exponents)")
    parser.add_argument("--big", nargs=3, type=int, metavar=("FIRMS", "REGIONS", "YEARS"),
                        help="time one large run")
    parser.add_argument("--big-memory-years", type=int, default=3)
    args = parser.parse_args()
    if args.scale:
        scale(6 if args.quick else 10)
        return
    if args.big:
        big_run(*args.big, memory_years=args.big_memory_years)
        return
    seeds, steps = (3, 6) if args.quick else (10, 15)
    print(f"import s3sim.model: {T_IMPORT:.2f} s")
    r = seed_run(seeds)
    print(f"default seed-run (Atlas, 20 regions, 5,000 firms, 30 years, smart_specialisation;"
          f" construction included): median {r['median_s']:.3f} s wall, best {r['min_s']:.3f} s,"
          f" median CPU {r['cpu_s']:.3f} s")
    bare = bare_numpy(100_000, steps)
    print(f"bare numpy, 100k initial firms: {bare / 1e6:.1f} M firm-steps per CPU second")
    for agents in ("on_demand", "all"):
        big = large_run(steps, agents, profile=args.profile and agents == "on_demand")
        print(f"100k initial firms, agent_objects={agents}: {big['rate'] / 1e6:.2f} M "
              f"firm-steps/s wall, {big['cpu_rate'] / 1e6:.2f} M per CPU second once warm "
              f"({big['ms_per_step']:.0f} ms/step, {big['firms_end']} firms at the end; "
              f"1/{bare / big['cpu_rate']:.0f} of bare numpy in CPU time)")
    print(f"peak traced memory per living firm (100k, on demand): "
          f"{memory_per_firm(steps):.0f} B")


if __name__ == "__main__":
    main()
