"""Benchmark: render the 120-day US hub-closure animation (1280x720, 10 frames per simulated day).

Run from the project folder::

    .venv/bin/python -m benchmarks.animation                 # simulates the report first (2 replications)
    .venv/bin/python -m benchmarks.animation --report DIR    # reuses a report of scenarios/us-hub-closure-48h.yaml

Only the rendering is timed (reading the report, drawing 1,200 frames with
salabim, encoding H.264); the simulation that writes the report is not. It
prints one JSON line with the timing and the machine it ran on (cores, CPU
model, load average before and after: the machine is shared, so a high load
inflates the wall time). Record the result in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from benchmarks.machine import cpu_model, cpu_seconds

SCENARIO = Path("scenarios/us-hub-closure-48h.yaml")
TARGET_SECONDS = 120.0




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=Path, help="an existing report of scenarios/us-hub-closure-48h.yaml")
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: the cores)")
    parser.add_argument("--out", type=Path, default=None, help="where to write the MP4 (default: a temp folder)")
    args = parser.parse_args()

    from twin.animation import AnimationOptions, render_animation
    from twin.run import run_scenario

    with tempfile.TemporaryDirectory(prefix="twin-bench-animation-") as folder:
        report = args.report
        if report is None:
            report = Path(folder) / "report"
            run_scenario(SCENARIO, out=report, replications=2)
        out = args.out or Path(folder) / "flows.mp4"
        options = AnimationOptions(variant="scenario", replication=0, fps=30, frames_per_day=10,
                                   width=1280, height=720)
        load_before = os.getloadavg()
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        result = render_animation(report, out, options, workers=args.workers)
        wall = time.perf_counter() - started
        record = {
            "benchmark": "animation: us-hub-closure-48h, 120 days, 1280x720, 10 frames/day, H.264",
            "frames": result.frames, "workers": result.workers,
            "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu_seconds() - cpu_before, 1),
            "under_target": wall < TARGET_SECONDS, "mp4_bytes": out.stat().st_size,
            "cores": os.cpu_count(), "cpu": cpu_model(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "platform": platform.platform(),
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
