"""Scaling curve: engine seconds per simulated day against SKU-locations (stores x SKUs).

    .venv/bin/python -m benchmarks.scaling [--days 60] [--skus-series 1000,2000,5000,10000,20000,50000]
                                           [--stores-series 10,20,50,100,200,500] [--fixed-stores 100]
                                           [--fixed-skus 10000]
    .venv-bench/bin/python -m benchmarks.scaling --plot-only   # redraw the chart from the JSON

Two series of synthetic networks from ``twin generate`` (default 8 DCs, 4 hubs,
20 suppliers; deterministic for a seed; cached under ``benchmarks/.cache``):
SKUs 1k -> 50k at ``--fixed-stores`` stores, and stores 10 -> 500 at
``--fixed-skus`` SKUs. Each point runs in a fresh child process that loads the
network (timed apart, not part of the curve) and simulates its baseline (no
disruptions, one replication, ``--days`` days, no warm-up) with
``twin.engine.simulate``; the time is the engine's own (``RunResult.seconds``,
which includes its stock-ledger check), with its breakdown by part, and the
child's peak RSS. Points are run ``--repeats`` times and the fastest kept.

Seconds per simulated day are fitted by least squares as a + b x SKU-locations
(stores x SKUs) over all points; the fit, its R² and the per-series fits go to
``benchmarks/results/scaling.json``, the chart to ``benchmarks/scaling.png``
(drawn with matplotlib, a twin dependency for the review page's charts).
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
from benchmarks.machine import cpu_model
from benchmarks.networks import synthetic

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "scaling.json"
CHART = HERE / "scaling.png"



def point(path: Path, days: int) -> dict:
    """Child process: load the network and simulate its baseline once."""
    from twin.disruptions import Disruptions
    from twin.engine import simulate
    from twin.network import load_network

    started = time.perf_counter()
    model = load_network(path)
    load = time.perf_counter() - started
    result = simulate(model, days, 0, Disruptions(), seed=1, replication=0)
    return {"load_seconds": round(load, 3), "simulate_seconds": round(result.seconds, 4),
            "by_part_seconds": {k: round(v, 4) for k, v in sorted(result.timings.items(), key=lambda kv: -kv[1])},
            "nodes": model.n_nodes, "node_sku_positions": model.n_nodes * model.n_skus,
            "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)}


def measure(stores: int, skus: int, args) -> dict:
    path = synthetic(stores, skus, args.seed, args.days) / "network.yaml"
    best = None
    for _ in range(args.repeats):
        load = os.getloadavg()
        out = subprocess.run([sys.executable, "-m", "benchmarks.scaling", "--point", str(path), "--days",
                              str(args.days)], check=True, capture_output=True, text=True, cwd=HERE.parent)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["load_average_before"] = [round(x, 2) for x in load]
        if best is None or r["simulate_seconds"] < best["simulate_seconds"]:
            best = r
    n = stores * skus
    best.update({"stores": stores, "skus": skus, "sku_locations": n, "days": args.days,
                 "seconds_per_day": round(best["simulate_seconds"] / args.days, 5),
                 "ns_per_sku_location_day": round(best["simulate_seconds"] / args.days / n * 1e9, 2)})
    print(f"{stores:5d} stores x {skus:6d} SKUs = {n:>10,} SKU-locations: {best['seconds_per_day']:.4f} s/day, "
          f"{best['ns_per_sku_location_day']:7.1f} ns per SKU-location-day (load {best['load_average_before'][0]})",
          flush=True)
    return best


def fit(points: list[dict]) -> dict:
    x = np.array([p["sku_locations"] for p in points], dtype=float)
    y = np.array([p["seconds_per_day"] for p in points])
    b, a = np.polyfit(x, y, 1)
    pred = a + b * x
    r2 = 1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    slope, _ = np.polyfit(np.log(x), np.log(y), 1)
    return {"intercept_seconds_per_day": round(float(a), 5), "seconds_per_day_per_million_sku_locations":
            round(float(b) * 1e6, 5), "r2": round(float(r2), 4), "log_log_slope": round(float(slope), 3),
            "points": len(points)}


def plot(data: dict) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed here (it is not a twin dependency): chart skipped. Draw it with\n"
              "    .venv-bench/bin/python -m benchmarks.scaling --plot-only\n"
              "after setting up the benchmark venv (see benchmarks/requirements-supplynetpy.txt).")
        return False
    series = data["series"]
    f = data["fit_all"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    styles = {"skus": ("o", "tab:blue", f"SKUs vary, {data['parameters']['fixed_stores']} stores"),
              "stores": ("s", "tab:orange", f"stores vary, {data['parameters']['fixed_skus']:,} SKUs")}
    xmax = max(p["sku_locations"] for s in series.values() for p in s)
    for ax, log in zip(axes, (False, True)):
        for name, pts in series.items():
            marker, color, label = styles[name]
            x = np.array([p["sku_locations"] for p in pts]) / 1e6
            y = np.array([p["seconds_per_day"] for p in pts])
            ax.plot(x, y, marker, color=color, label=label, markersize=7, linestyle="none")
        xs = np.linspace(0 if not log else 0.05, xmax / 1e6 * 1.05, 200)
        ax.plot(xs, f["intercept_seconds_per_day"] + f["seconds_per_day_per_million_sku_locations"] * xs, "-",
                color="0.3", lw=1,
                label=(f"fit: {f['intercept_seconds_per_day']:.4f} s + "
                       f"{f['seconds_per_day_per_million_sku_locations']:.4f} s per million  (R² = {f['r2']:.3f})"))
        ax.set_xlabel("SKU-locations (stores × SKUs), millions")
        ax.set_ylabel("engine seconds per simulated day")
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title("log-log")
        else:
            ax.set_xlim(left=0)
            ax.set_ylim(bottom=0)
            ax.set_title(f"twin engine, baseline, {data['parameters']['days']} days, one replication")
        ax.grid(True, alpha=0.3, which="both")
        ax.legend(fontsize=8, loc="upper left")
    m = data["machine"]
    fig.text(0.5, 0.01, f"{m['cpu']}, {m['cores']} cores, Python {m['python']}; {data['date_utc']}",
             ha="center", fontsize=8, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(CHART, dpi=110)
    print(f"chart written to {CHART}")
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--fixed-stores", type=int, default=100)
    ap.add_argument("--fixed-skus", type=int, default=10_000)
    ap.add_argument("--skus-series", default="1000,2000,5000,10000,20000,50000")
    ap.add_argument("--stores-series", default="10,20,50,100,200,500")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plot-only", action="store_true", help="redraw benchmarks/scaling.png from the JSON")
    ap.add_argument("--point", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.point:
        print(json.dumps(point(args.point, args.days)))
        return
    if args.plot_only:
        plot(json.loads(RESULTS.read_text()))
        return

    load_before = os.getloadavg()
    started = time.perf_counter()
    series = {"skus": [measure(args.fixed_stores, int(k), args) for k in args.skus_series.split(",")],
              "stores": [measure(int(s), args.fixed_skus, args) for s in args.stores_series.split(",")]}
    everything = series["skus"] + series["stores"]
    import datetime as dt
    data = {
        "what": ("engine seconds per simulated day (twin.engine.simulate, baseline, one replication, no warm-up) "
                 "on twin-generated networks; load time excluded"),
        "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "parameters": {"days": args.days, "fixed_stores": args.fixed_stores, "fixed_skus": args.fixed_skus,
                       "repeats": args.repeats, "seed": args.seed},
        "fit_all": fit(everything),
        "fit_skus_series": fit(series["skus"]),
        "fit_stores_series": fit(series["stores"]),
        "series": series,
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "platform": platform.platform(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps({k: data[k] for k in ("fit_all", "fit_skus_series", "fit_stores_series")}, indent=2))
    print(f"written to {RESULTS}")
    plot(data)


if __name__ == "__main__":
    main()
