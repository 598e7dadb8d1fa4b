"""Scale benchmark: a synthetic retailer of 500 stores x 50,000 SKUs for a year, one replication.

    python -m benchmarks.scale [--stores 500 --skus 50000 --days 365] [--repeats 1]

Generates the network with ``twin generate`` (deterministic; cached under
``benchmarks/.cache``), runs ``twin run`` on its baseline scenario in a child
process, and records wall time, peak memory (RSS) and the engine's breakdown
of a day by part, next to the array-pass floor measured on this machine: one
pass over stores x SKUs values, and a day's uniform and Poisson draws.
The floor of a day is one uniform draw per store x SKU position (the engine
draws exactly that, for common random numbers) plus one pass over them; the
result says how many times that floor a simulated day costs.

Peak RSS is that of the ``twin run`` process alone (``os.wait4``; generating
the network runs in another process). The load average before and after and
the machine are recorded with the numbers: the machine is shared, and a load
above its 2 cores inflates wall times.
With ``--repeats N`` the run is made N times one after the other (this VM's speed
drifts over minutes): every run is recorded and the run of median wall time is
the result. Results go to ``benchmarks/results/scale-<stores>x<skus>.json``; the recorded
numbers are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from benchmarks.machine import cpu_model
from benchmarks.networks import synthetic

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
        for _ in range(5):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        best[name] = round(min(times), 4)
    return best



def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=HERE).stdout.strip()
    except OSError:
        return "unknown"


def one_run(args, twin: list[str], cache: Path) -> dict:
    """One ``twin run`` of the baseline in a child process, with the floor measured right after it."""
    out = HERE / ".cache" / "report"
    load_before = os.getloadavg()
    started = time.perf_counter()
    child = subprocess.Popen(twin + ["run", str(cache / "baseline.yaml"), "--out", str(out), "--overwrite",
                                     "--quiet", "--workers", "1"])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    load_after = os.getloadavg()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"twin run failed with exit code {child.returncode}")
    peak_gb = usage.ru_maxrss / 1024 / 1024  # kB -> GiB; the twin run process (and its children) only
    manifest = json.loads((out / "manifest.json").read_text())
    engine = manifest["engine_seconds"]
    n = args.stores * args.skus
    floors = floor(n)
    per_day = engine["per_replication"] / args.days
    floor_day = floors["uniform float32 draws"] + floors["one pass (int32 add in place)"]
    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "wall_seconds_twin_run": round(wall, 1),
        "wall_seconds_in_manifest": manifest.get("wall_seconds"),
        "cpu_seconds_twin_run": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_gb": round(peak_gb, 2),
        "simulation_seconds": engine["per_replication"],
        "simulation_seconds_per_day": round(per_day, 4),
        "by_part_seconds": engine["by_part_per_replication"],
        "by_part_seconds_per_day": {k: round(v / args.days, 4) for k, v in engine["by_part_per_replication"].items()},
        "floor_seconds_per_array_operation": floors,
        "floor_seconds_per_day (uniform draws + one pass)": round(floor_day, 4),
        "engine_day_over_floor_day": round(per_day / floor_day, 1) if floor_day > 0 else None,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stores", type=int, default=500)
    ap.add_argument("--skus", type=int, default=50_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1,
                    help="Runs one after the other (the host's speed drifts over minutes): all are recorded, "
                         "and the run of median wall time is the result.")
    args = ap.parse_args()
    twin = [sys.executable, "-m", "twin.cli"]
    cache = synthetic(args.stores, args.skus, args.seed, args.days)
    runs = []
    for i in range(max(1, args.repeats)):
        runs.append(one_run(args, twin, cache))
        if args.repeats > 1:
            r = runs[-1]
            print(f"run {i + 1}/{args.repeats}: {r['wall_seconds_twin_run']} s wall, "
                  f"{r['simulation_seconds_per_day']} s a simulated day, floor "
                  f"{r['floor_seconds_per_day (uniform draws + one pass)']} s, {r['peak_rss_gb']} GB", flush=True)
    median = sorted(runs, key=lambda r: r["wall_seconds_twin_run"])[(len(runs) - 1) // 2]
    n = args.stores * args.skus
    result = {
        "network": f"{args.stores} stores x {args.skus} SKUs = {n:,} SKU-locations, {args.days} days",
        "commit": commit(),
        **{k: v for k, v in median.items() if not k.startswith("load_average")},
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                    "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform(),
                    "load_average_before": median["load_average_before"],
                    "load_average_after": median["load_average_after"]},
    }
    if len(runs) > 1:
        result["runs"] = [{k: r[k] for k in ("date_utc", "wall_seconds_twin_run", "simulation_seconds_per_day",
                                             "floor_seconds_per_day (uniform draws + one pass)", "peak_rss_gb")}
                          for r in runs]
    target = HERE / "results" / f"scale-{args.stores}x{args.skus}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
