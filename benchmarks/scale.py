"""Scale benchmark: a synthetic retailer of 500 stores x 50,000 SKUs for a year, one replication.

    python -m benchmarks.scale [--stores 500 --skus 50000 --days 365]

Generates the network with ``twin generate`` (deterministic; cached under
``benchmarks/.cache``), runs ``twin run`` on its baseline scenario in a child
process, and records wall time, peak memory (RSS) and the engine's breakdown
of a day by part, next to the array-pass floor measured on this machine: one
pass over stores x SKUs values, and a day's uniform and Poisson draws.
Results go to ``benchmarks/results/scale-<stores>x<skus>.json``; the recorded
numbers are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def floor(n: int) -> dict:
    """Seconds for the primitive array work of a day at ``n`` SKU-locations."""
    rng = np.random.default_rng(0)
    a = np.ones(n, dtype=np.int32)
    b = np.ones(n, dtype=np.int32)
    best = {}
    for name, fn in (("one pass (int32 add in place)", lambda: np.add(a, b, out=a)),
                     ("uniform float32 draws", lambda: rng.random(n, dtype=np.float32)),
                     ("numpy Poisson draws (mean 0.14)", lambda: rng.poisson(0.14, n))):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        best[name] = round(min(times), 4)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stores", type=int, default=500)
    ap.add_argument("--skus", type=int, default=50_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    twin = [sys.executable, "-m", "twin.cli"]
    cache = HERE / ".cache" / f"synthetic-{args.stores}x{args.skus}-s{args.seed}-d{args.days}"
    if not (cache / "network.yaml").exists():
        subprocess.run(twin + ["generate", "--out", str(cache), "--stores", str(args.stores), "--skus",
                               str(args.skus), "--seed", str(args.seed), "--horizon-days", str(args.days),
                               "--overwrite"], check=True)
    out = HERE / ".cache" / "report"
    started = time.perf_counter()
    subprocess.run(twin + ["run", str(cache / "baseline.yaml"), "--out", str(out), "--overwrite", "--quiet",
                           "--workers", "1"], check=True)
    wall = time.perf_counter() - started
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    manifest = json.loads((out / "manifest.json").read_text())
    engine = manifest["engine_seconds"]
    n = args.stores * args.skus
    result = {
        "network": f"{args.stores} stores x {args.skus} SKUs = {n:,} SKU-locations, {args.days} days",
        "wall_seconds_twin_run": round(wall, 1),
        "peak_rss_gb": round(peak_gb, 2),
        "simulation_seconds": engine["per_replication"],
        "simulation_seconds_per_day": round(engine["per_replication"] / args.days, 4),
        "by_part_seconds": engine["by_part_per_replication"],
        "floor_seconds_per_array_operation": floor(n),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "load_average_at_end": os.getloadavg()},
    }
    target = HERE / "results" / f"scale-{args.stores}x{args.skus}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
