"""Sweep efficiency: does a Hydra multirun on N cores cost little more than (serial time / N)?

Target (issue 5): a 200-run sweep of the default scenario on 2 cores takes at most
1.25 x (sum of single-run times / 2).

1. Serial reference: one process runs the 200 runs (seeds 0..199) one after the other,
   each ``run_simulation`` + ``SimulationResult.write`` (what a run costs: simulate and
   keep the tables), after one untimed warm-up run that loads the product space.
2. The same 200 runs as a multirun with the joblib launcher on ``--cores`` workers:
   ``--layout jobs`` = 10 jobs x 20 seeds (replications inside a job, the recommended
   layout) and/or ``--layout single`` = 200 jobs x 1 seed (worst case: one Hydra job per
   run). Wall time of the whole ``s3sim -m`` command: start-up, composition, workers,
   writing every job directory and gathering ``sweep.parquet`` (no report figures).

Usage::

    python benchmarks/bench_sweep.py                      # default scenario, 20 steps
    python benchmarks/bench_sweep.py --steps 50 --layout jobs single

The machine must be otherwise idle for the wall-time ratio to mean anything (the load
average is printed); the CPU seconds of the sweep (all its processes) against the serial
sum show the overhead independently of other load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def serial_times(runs: int, steps: int, scenario: str) -> list[float]:
    code = f"""
import time, json
from s3sim.config import PolicyConfig
from s3sim.scenarios import get_scenario
import tempfile
from s3sim.experiments.simulation import run_simulation
cfg = get_scenario({scenario!r}).replace(steps={steps})
run_simulation(cfg, PolicyConfig(), seeds=[10_000])  # warm-up: imports, product space
out = []
with tempfile.TemporaryDirectory() as tmp:
    for seed in range({runs}):
        t = time.perf_counter()
        run_simulation(cfg, PolicyConfig(), seeds=[seed]).write(f"{{tmp}}/{{seed}}")
        out.append(time.perf_counter() - t)
print(json.dumps(out))
"""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    import json

    return json.loads(res.stdout.strip().splitlines()[-1])


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def sweep_time(runs: int, steps: int, scenario: str, cores: int, per_job: int,
               workdir: Path) -> tuple[float, float]:
    n_jobs = runs // per_job
    seeds = ",".join(str(i * per_job) for i in range(n_jobs))
    args = [sys.executable, "-m", "s3sim.cli.run", "-m", f"scenario={scenario}",
            f"scenario.steps={steps}", f"seed={seeds}", f"replications={per_job}",
            "progress=false", "report.enabled=false", f"hydra.launcher.n_jobs={cores}",
            f"hydra.sweep.dir={workdir}/sweep_{per_job}", "name=bench"]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    cpu0, t = _children_cpu(), time.perf_counter()
    res = subprocess.run(args, capture_output=True, text=True, env=env, cwd=workdir)
    elapsed, cpu = time.perf_counter() - t, _children_cpu() - cpu0
    if res.returncode != 0:
        raise SystemExit(f"sweep failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return elapsed, cpu


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--scenario", default="default")
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--layout", nargs="+", default=["jobs"], choices=["jobs", "single"])
    args = p.parse_args()
    print(f"load average before: {os.getloadavg()}; cpus: {os.cpu_count()}")
    t0, cpu0 = time.perf_counter(), _children_cpu()
    times = serial_times(args.runs, args.steps, args.scenario)
    serial = sum(times)
    print(f"serial: {args.runs} runs of '{args.scenario}' ({args.steps} steps), simulate + "
          f"write: sum {serial:.1f} s, mean {serial / len(times):.3f} s/run (process: wall "
          f"{time.perf_counter() - t0:.1f} s, CPU {_children_cpu() - cpu0:.1f} s)")
    ideal = serial / args.cores
    with tempfile.TemporaryDirectory() as tmp:
        for layout in args.layout:
            per_job = 20 if layout == "jobs" else 1
            wall, cpu = sweep_time(args.runs, args.steps, args.scenario, args.cores, per_job,
                                   Path(tmp))
            ratio = wall / ideal
            verdict = "OK" if ratio <= 1.25 else "over target"
            print(f"sweep ({args.runs // per_job} jobs x {per_job} seeds, joblib, "
                  f"{args.cores} workers): wall {wall:.1f} s, CPU {cpu:.1f} s "
                  f"(serial sum x {cpu / serial:.2f}); ideal (serial / {args.cores}) "
                  f"{ideal:.1f} s; ratio {ratio:.2f} (target <= 1.25: {verdict})")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
