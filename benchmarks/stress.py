"""Benchmark: ``twin stress`` on the US grocery network, every supplier, hub and DC, 20 replications.

Run from the repository root::

    .venv/bin/python -m benchmarks.stress                      # seeds 1 and 2, 20 replications, 2 workers
    .venv/bin/python -m benchmarks.stress --seeds 1 --replications 4

For each seed it runs the stress test exactly as ``twin stress networks/us-grocery.yaml --seed S``
would (defaults otherwise), times it, samples the machine's load average every 5 s (the machine
is shared: other processes inflate the time; the CPU time of the run and its workers, divided by
the workers, estimates the wall time on an idle machine), and prints the ranking. With two seeds it then
compares the top 3 nodes. Results go to ``benchmarks/results/stress-<seed>.json``; the figures
quoted in ``benchmarks/README.md`` come from these files.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from pathlib import Path

from benchmarks.machine import cpu_model, cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
NETWORK = ROOT / "networks" / "us-grocery.yaml"
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> dict:
    """CPU model, cores, memory and software versions."""
    info = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    info["cpu"] = cpu_model()
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gib"] = round(int(mem) / 2**20, 1)
    except OSError:
        pass
    return info


class LoadSampler(threading.Thread):
    """Samples the 1-minute load average every ``every`` seconds until stopped."""

    def __init__(self, every: float = 5.0):
        super().__init__(daemon=True)
        self.every, self.samples, self._stop_event = every, [], threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop_event.wait(self.every)

    def stop(self) -> list[float]:
        self._stop_event.set()
        self.join()
        return self.samples


def run_one(seed: int, replications: int, workers: int, review: bool) -> dict:
    from twin.stress import StressOptions, run_stress

    phases: dict[str, float] = {}
    started = time.perf_counter()

    def progress(phase: str, done: int, total: int) -> None:
        if done == total:
            phases[phase] = round(time.perf_counter() - started, 1)
            print(f"  [{phases[phase]:7.1f} s] {phase}: done", flush=True)

    sampler = LoadSampler()
    sampler.start()
    cpu_before = cpu_seconds()
    out = ROOT / "reports" / f"benchmark-stress-seed{seed}"
    report = run_stress(NETWORK, out=out, options=StressOptions(seed=seed, replications=replications),
                        workers=workers, overwrite=True, progress=progress, review=review)
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before
    load = sampler.stop()
    table = report.stress
    return {
        "seed": seed, "replications": replications, "workers": workers, "review": review,
        "wall_seconds": round(wall, 1), "phases_done_at_seconds": phases,
        "cpu_seconds": round(cpu, 1),
        "idle_machine_estimate_seconds": round(cpu / max(1, min(workers, os.cpu_count() or 1)), 1),
        "load_average_1min": {"mean": round(sum(load) / max(1, len(load)), 2), "max": round(max(load, default=0), 2),
                              "samples": len(load)},
        "simulations": report.manifest["stress"]["simulations"],
        "nodes": len(table),
        "ranking": table[["rank", "node", "risk_exposure_index", "lost_margin_usd", "profit_at_risk_usd",
                          "ttr_days", "tts_days", "mitigate"]].to_dict(orient="records"),
        "report": str(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-review", action="store_true", help="skip the review page")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(f"machine: {info}")
    runs = []
    for seed in args.seeds:
        print(f"seed {seed}: twin stress {NETWORK.name}, {args.replications} replications, "
              f"{args.workers} workers", flush=True)
        result = run_one(seed, args.replications, args.workers, review=not args.no_review)
        result["machine"] = info
        (RESULTS / f"stress-{seed}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(f"  wall {result['wall_seconds']} s (CPU {result['cpu_seconds']} s: about "
              f"{result['idle_machine_estimate_seconds']} s on an idle machine), "
              f"{result['simulations']} simulations, load average "
              f"{result['load_average_1min']['mean']} (max {result['load_average_1min']['max']})")
        for row in result["ranking"]:
            print(f"  {row['rank']:>2} {row['node']:<18} REI {row['risk_exposure_index']:.3f}  lost margin "
                  f"${row['lost_margin_usd']:>10,.0f}  TTR {row['ttr_days']:>4g}  TTS {row['tts_days']:>4g}"
                  f"{'  MITIGATE' if row['mitigate'] else ''}")
        runs.append(result)
    if len(runs) >= 2:
        tops = [[row["node"] for row in r["ranking"][:3]] for r in runs]
        print(f"top 3 by seed: {tops}; stable: {all(t == tops[0] for t in tops)}")


if __name__ == "__main__":
    main()
