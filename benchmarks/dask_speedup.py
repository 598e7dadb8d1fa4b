"""Dask speed-up: 200 replications of a small scenario on a local Dask cluster of 1 worker vs 2 workers.

    .venv/bin/python -m benchmarks.dask_speedup [--scenario scenarios/teaching-hub-closure.yaml]
                                                [--replications 200] [--workers 1,2] [--repeats 1]
                                                [--no-end-to-end] [--pool]

Up to three measurements per worker count, one after the other:

* ``twin.distributed.execute`` (the Dask part of ``twin run --dask``): start a
  local cluster of N single-threaded worker processes, scatter the plan, run
  every replication (all its variants) as a task, gather, close the cluster.
  Its wall time is split into cluster start-up (until the client is connected),
  compute (until the last replication is back) and shut-down.
* with ``--pool``, twin's own process pool (``twin.runplan.execute``, no Dask) on
  the same replications: what the machine itself gives, measured in the same
  window (this VM's speed moves between runs minutes apart).
* ``twin.run.run_scenario(..., dask=True, workers=N)``: the same plus loading
  the scenario, staging finished replications to Parquet, and building and
  writing the whole report: everything ``twin run --dask`` does.

Speed-up = time with 1 worker / time with 2 workers, for the whole wall time
(start-up included) and for the compute phase alone, for each repeat (its runs
follow each other, in one window of this VM's speed, which drifts over minutes;
every other repeat runs the counts in reverse order), and the median over
repeats. The per-replication
results of every run are compared, to show the worker count changes nothing.
Prints and writes ``benchmarks/results/dask-speedup.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from benchmarks.machine import cpu_model

HERE = Path(__file__).resolve().parent



def fingerprint(results) -> np.ndarray:
    """Units sold by every variant of every replication (to check runs agree)."""
    return np.array([[v.daily["sold_units"].sum() for v in by_variant] for by_variant in results])


def time_execute(plan, workers: int) -> dict:
    from twin import distributed

    marks = {}
    load = os.getloadavg()
    started = time.perf_counter()
    results = distributed.execute(plan, workers,
                                  on_client=lambda client: marks.setdefault("up", time.perf_counter()),
                                  on_done=lambda r: marks.__setitem__("last", time.perf_counter()))
    ended = time.perf_counter()
    return {"workers": workers, "load_average_before": [round(x, 2) for x in load],
            "wall_seconds": round(ended - started, 2),
            "cluster_start_seconds": round(marks["up"] - started, 2),
            "compute_seconds": round(marks["last"] - marks["up"], 2),
            "shutdown_seconds": round(ended - marks["last"], 2),
            "_fingerprint": fingerprint(results)}


def time_pool(plan, workers: int) -> dict:
    """The same replications in twin's own process pool (no Dask): what the machine itself gives."""
    from twin.runplan import execute

    load = os.getloadavg()
    started = time.perf_counter()
    results = execute(plan, workers=workers)
    return {"workers": workers, "load_average_before": [round(x, 2) for x in load],
            "wall_seconds": round(time.perf_counter() - started, 2), "_fingerprint": fingerprint(results)}


def time_run_scenario(path: Path, replications: int, workers: int) -> dict:
    from twin.run import run_scenario

    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="twin-dask-bench-") as folder:
        started = time.perf_counter()
        report = run_scenario(path, out=Path(folder) / "report", replications=replications, workers=workers,
                              dask=True, overwrite=True)
        wall = time.perf_counter() - started
    return {"workers": workers, "load_average_before": [round(x, 2) for x in load], "wall_seconds": round(wall, 2),
            "execution": report.manifest["execution"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=Path("scenarios/teaching-hub-closure.yaml"))
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--workers", default="1,2", help="worker counts to compare, first is the reference")
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs per worker count, interleaved; the speed-up of each repeat is reported, and their median")
    ap.add_argument("--no-end-to-end", action="store_true", help="skip the run_scenario measurement")
    ap.add_argument("--pool", action="store_true",
                    help="also time twin's own process pool (no Dask) on the same replications, as a reference")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "dask-speedup.json")
    args = ap.parse_args()

    import dask.distributed  # noqa: F401  (import cost outside the timings)
    from twin.runplan import Plan
    from twin.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    spec = scenario.spec
    plan = Plan(variants=scenario.variants, horizon_days=spec.horizon_days, warmup_days=spec.warmup_days,
                seed=spec.seed, replications=args.replications)
    counts = [int(w) for w in args.workers.split(",")]
    load_before = os.getloadavg()

    execute_runs = {w: [] for w in counts}
    e2e_runs = {w: [] for w in counts}
    pool_runs = {w: [] for w in counts}
    for repeat in range(args.repeats):
        # Every other repeat runs the worker counts in reverse (1, 2, 2, 1, ...): this VM's speed
        # drifts over minutes, and a drift then favours neither count.
        for w in (counts if repeat % 2 == 0 else counts[::-1]):
            r = time_execute(plan, w)
            execute_runs[w].append(r)
            print(f"execute, {w} worker(s): {r['wall_seconds']} s (start {r['cluster_start_seconds']}, compute "
                  f"{r['compute_seconds']}, shut-down {r['shutdown_seconds']}; load {r['load_average_before'][0]})",
                  flush=True)
            if args.pool:
                r = time_pool(plan, w)
                pool_runs[w].append(r)
                print(f"process pool (no Dask), {w} worker(s): {r['wall_seconds']} s", flush=True)
        if not args.no_end_to_end:
            for w in counts:
                r = time_run_scenario(args.scenario, args.replications, w)
                e2e_runs[w].append(r)
                print(f"run_scenario(dask=True), {w} worker(s): {r['wall_seconds']} s "
                      f"(load {r['load_average_before'][0]})", flush=True)

    prints = [r.pop("_fingerprint") for group in (execute_runs, pool_runs) for runs in group.values() for r in runs]
    identical = all(np.array_equal(prints[0], p) for p in prints[1:])
    best = {w: min(runs, key=lambda r: r["wall_seconds"]) for w, runs in execute_runs.items()}
    ref = counts[0]
    speedup = {}
    for w in counts[1:]:
        # Each repeat's pair of runs ran minutes apart at most, in the same window of host speed.
        paired = [a["wall_seconds"] / b["wall_seconds"] for a, b in zip(execute_runs[ref], execute_runs[w])]
        paired_compute = [a["compute_seconds"] / b["compute_seconds"]
                          for a, b in zip(execute_runs[ref], execute_runs[w])]
        speedup[f"{ref} -> {w} workers"] = {
            "execute, wall, each repeat": [round(x, 2) for x in paired],
            "execute, wall, median of repeats": round(float(np.median(paired)), 2),
            "execute, compute only, median of repeats": round(float(np.median(paired_compute)), 2),
            "execute, wall, best run / best run": round(best[ref]["wall_seconds"] / best[w]["wall_seconds"], 2),
        }
        if args.pool:
            a = min(r["wall_seconds"] for r in pool_runs[ref])
            b = min(r["wall_seconds"] for r in pool_runs[w])
            speedup[f"{ref} -> {w} workers"]["process pool without Dask, wall (reference)"] = round(a / b, 2)
        if not args.no_end_to_end:
            a = min(r["wall_seconds"] for r in e2e_runs[ref])
            b = min(r["wall_seconds"] for r in e2e_runs[w])
            speedup[f"{ref} -> {w} workers"]["run_scenario, wall (everything)"] = round(a / b, 2)
    result = {
        "scenario": str(args.scenario),
        "replications": args.replications,
        "variants_per_replication": len(plan.variants),
        "horizon_days": spec.horizon_days,
        "execute": execute_runs,
        "run_scenario": e2e_runs if not args.no_end_to_end else None,
        "process_pool": pool_runs if args.pool else None,
        "speedup": speedup,
        "results_identical_across_runs": identical,
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
    }
    import dask
    import distributed
    result["versions"] = {"dask": dask.__version__, "distributed": distributed.__version__}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(speedup, indent=2))
    print(f"results identical across runs: {identical}; written to {args.out}")


if __name__ == "__main__":
    main()
