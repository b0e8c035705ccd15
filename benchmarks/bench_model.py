"""Benchmark S3Model: run time, firm-steps per second and memory per firm.

Usage::

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_model.py [--quick] [--profile]

Three measurements (targets from issue 3, one process on this 2-core machine):

1. the default scenario (Atlas HS92, 20 regions, 5,000 firms, 200 research bodies,
   50 steps): model construction and run time, with and without the imports and the
   first product-space build; target <= 1 s excluding them;
2. 100,000 firms, 50 steps: wall time and firm-steps per second once warm (the
   first step excluded); target <= 10 s, >= 10 M firm-steps/s; with a Mesa agent
   per living firm (``agent_objects="all"``, the default) and with agents created
   on demand (``agent_objects="on_demand"``);
3. memory per firm: bytes of the firm arrays per slot and per living firm, the
   size of a Mesa ``Firm`` agent (object and ``__dict__``) and of its entries in
   Mesa's registries, and the tracemalloc peak of a run divided by the firms;
   target <= 200 bytes per firm beyond Mesa's agent object.

A firm-step is one living firm for one year (the sum over steps of the number of
firms alive at the start of each step). ``--quick`` uses fewer repeats and steps.
"""

from __future__ import annotations

import argparse
import time

T_START = time.perf_counter()
import cProfile  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
import tracemalloc  # noqa: E402

from s3sim.agents import Firm  # noqa: E402
from s3sim.config import ModelConfig  # noqa: E402
from s3sim.model import S3Model, build_product_space  # noqa: E402

T_IMPORTS = time.perf_counter() - T_START

TARGET_DEFAULT_S = 1.0
TARGET_LARGE_S = 10.0
TARGET_BYTES = 200.0
_FIRM_ARRAYS = ("alive", "region", "product", "size", "born", "subsidised")


def timed_run(config: ModelConfig, seed: int = 0) -> dict[str, float]:
    """Construct and run a model; time both and count firm-steps (warm = after step 1)."""
    t0 = time.perf_counter()
    model = S3Model(config, rng=seed)
    t1 = time.perf_counter()
    firm_steps = warm_firm_steps = 0
    t_first = None
    for i in range(config.steps):
        n = model.firms.n_alive
        model.step()
        firm_steps += n
        if i == 0:
            t_first = time.perf_counter()
        else:
            warm_firm_steps += n
    t2 = time.perf_counter()
    warm_time = t2 - (t_first if t_first is not None else t1)
    return {
        "construct": t1 - t0, "run": t2 - t1, "total": t2 - t0, "firm_steps": firm_steps,
        "rate": firm_steps / (t2 - t1) if t2 > t1 else float("nan"),
        "warm_rate": warm_firm_steps / warm_time if warm_time > 0 else float("nan"),
        "final_firms": model.firms.n_alive,
    }


def best_of(config: ModelConfig, repeats: int) -> dict[str, float]:
    runs = [timed_run(config, seed=s) for s in range(repeats)]
    return min(runs, key=lambda r: r["total"])


def memory(config: ModelConfig) -> dict[str, float]:
    """Bytes per firm: arrays, Mesa agent objects and tracemalloc peak over a run."""
    model = S3Model(config, rng=0)
    f = model.firms
    arrays = sum(getattr(f, n).nbytes for n in _FIRM_ARRAYS)
    arrays += model._firm_agents.nbytes  # the slot -> agent reference
    per_slot = arrays / f.capacity
    agent = next(iter(model.agents_by_type[Firm]))
    obj, dct = sys.getsizeof(agent), sys.getsizeof(agent.__dict__)

    # Mesa's own cost of one more agent: the object, its __dict__ and registry entries
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    extra = [Firm(model, 0) for _ in range(10_000)]
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()
    mesa_per_agent = sum(s.size_diff for s in snap.compare_to(base, "filename")) / len(extra)
    for a in extra:
        a.remove()
    del extra, snap, base
    del model
    gc.collect()

    # peak memory of a whole run (construction included), divided by firms; the
    # marginal cost per firm is the slope between two population sizes (the product
    # space and the (R, P) and (P, P) work matrices are a fixed cost, not per firm)
    peak, peak_firms, arrays_end, alive_end = _traced_run(config)
    big = config.replace(n_firms=10 * config.n_firms)
    peak_big, peak_firms_big, _, _ = _traced_run(big)
    slope = (peak_big - peak) / (peak_firms_big - peak_firms)
    return {
        "per_slot": per_slot, "per_living": arrays_end / max(alive_end, 1),
        "agent_object": obj, "agent_dict": dct, "mesa_per_agent": mesa_per_agent,
        "peak_per_firm": peak / peak_firms, "peak_firms": peak_firms,
        "marginal_per_firm": slope, "marginal_beyond_agents": slope - mesa_per_agent,
        "big_firms": peak_firms_big,
    }


def _traced_run(config: ModelConfig) -> tuple[int, int, int, int]:
    """tracemalloc peak of construction + run, peak living firms, firm-array bytes at the end."""
    gc.collect()
    tracemalloc.start()
    model = S3Model(config, rng=0)
    peak_firms = model.firms.n_alive
    for _ in range(config.steps):
        model.step()
        peak_firms = max(peak_firms, model.firms.n_alive)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    f = model.firms
    arrays = sum(getattr(f, n).nbytes for n in _FIRM_ARRAYS) + model._firm_agents.nbytes
    return peak, peak_firms, arrays, f.n_alive


def profile(config: ModelConfig, top: int = 12) -> str:
    model = S3Model(config, rng=0)
    prof = cProfile.Profile()
    prof.enable()
    model.run()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def row(label: str, value: str, target: str = "", ok: bool | None = None) -> None:
    flag = "" if ok is None else ("ok" if ok else "MISSED")
    print(f"{label:<52} {value:>18} {target:>12} {flag:>7}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and steps")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the runs that miss their target")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    default = ModelConfig()
    large = ModelConfig(n_firms=100_000, steps=10 if args.quick else 50)

    t0 = time.perf_counter()
    build_product_space("atlas")
    t_ps = time.perf_counter() - t0

    print(f"{'measure':<52} {'value':>18} {'target':>12} {'':>7}")
    print("-" * 92)
    row("imports (s3sim.model, mesa, numpy, ...)", f"{T_IMPORTS:.3f} s")
    row("first Atlas product-space build", f"{t_ps:.3f} s")

    d = best_of(default, repeats)
    row("default: construction", f"{d['construct']:.3f} s")
    row("default: run, 50 steps", f"{d['run']:.3f} s")
    row("default: construction + run (imports excluded)", f"{d['total']:.3f} s",
        f"<= {TARGET_DEFAULT_S:g} s", d["total"] <= TARGET_DEFAULT_S)
    row("default: with imports and first product-space build",
        f"{d['total'] + T_IMPORTS + t_ps:.3f} s")
    row("default: firm-steps / s (run)", f"{d['rate'] / 1e6:.2f} M")
    row("default: firms at the end", f"{d['final_firms']:,}")

    g = timed_run(large)
    row(f"100k firms: construction + run, {large.steps} steps", f"{g['total']:.2f} s",
        f"<= {TARGET_LARGE_S * large.steps / 50:g} s",
        g["total"] <= TARGET_LARGE_S * large.steps / 50)
    row("100k firms: construction", f"{g['construct']:.2f} s")
    row("100k firms: firm-steps / s once warm", f"{g['warm_rate'] / 1e6:.2f} M",
        ">= 10 M", g["warm_rate"] >= 10e6)
    row("100k firms: firms at the end", f"{g['final_firms']:,}")
    lazy = large.replace(agent_objects="on_demand")
    h = timed_run(lazy)
    row(f"100k firms, agent_objects=on_demand: {large.steps} steps", f"{h['total']:.2f} s",
        f"<= {TARGET_LARGE_S * large.steps / 50:g} s",
        h["total"] <= TARGET_LARGE_S * large.steps / 50)
    row("100k firms, on_demand: firm-steps / s once warm", f"{h['warm_rate'] / 1e6:.2f} M",
        ">= 10 M", h["warm_rate"] >= 10e6)

    m = memory(default.replace(steps=10 if args.quick else 50))
    row("memory: firm arrays per slot (incl. agent ref)", f"{m['per_slot']:.1f} B")
    row("memory: firm arrays per living firm (end of run)", f"{m['per_living']:.1f} B")
    row("memory: sys.getsizeof(Firm agent)", f"{m['agent_object']} B")
    row("memory: sys.getsizeof(Firm agent.__dict__)", f"{m['agent_dict']} B")
    row("memory: Mesa cost per agent (object+dict+registries)", f"{m['mesa_per_agent']:.0f} B")
    row(f"memory: tracemalloc peak / peak firms ({m['peak_firms']:,})",
        f"{m['peak_per_firm']:.0f} B")
    row(f"memory: marginal peak per firm ({m['peak_firms']:,} -> {m['big_firms']:,})",
        f"{m['marginal_per_firm']:.0f} B")
    row("memory: marginal peak per firm beyond Mesa's agents",
        f"{m['marginal_beyond_agents']:.0f} B", f"<= {TARGET_BYTES:g} B",
        m["marginal_beyond_agents"] <= TARGET_BYTES)

    if args.profile:
        if d["total"] > TARGET_DEFAULT_S:
            print("\n--- cProfile: default scenario, by own time ---")
            print(profile(default))
        if g["total"] > TARGET_LARGE_S * large.steps / 50:
            print("\n--- cProfile: 100k firms, by own time ---")
            print(profile(large))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
