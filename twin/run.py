"""``twin run``: a scenario file in, a finished report folder out.

This is the Python API behind the CLI::

    from twin.run import run_scenario
    report = run_scenario("scenarios/teaching-hub-closure.yaml", out="reports/demo", workers=2)
    report.comparison.query("level == 'network' and period == 'horizon'")
"""

from __future__ import annotations

import datetime as dt
import platform
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

import twin
from twin.reports import compare, tables
from twin.reports.writer import atomic_folder, check_folder, write_json, write_parquet
from twin.resilience import Thresholds, resilience_table
from twin.runplan import Plan, check_memory, default_workers, execute
from twin.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from twin.animation.options import AnimationOptions


@dataclass
class Report:
    """A finished run: where it was written and its main tables."""

    path: Path
    scenario: Scenario
    manifest: dict
    network: pd.DataFrame
    comparison: pd.DataFrame
    comparison_daily: pd.DataFrame
    resilience: pd.DataFrame


def _engine_seconds(plan: Plan, results) -> dict:
    """Simulation seconds per replication (mean over replications), in total and by part of the day."""
    same = plan.representatives()
    parts: dict[str, float] = {}
    total, runs = 0.0, 0
    for by_variant in results:
        for i, result in enumerate(by_variant):
            if same[i] != i:
                continue  # a variant certain to equal another was not simulated again
            runs += 1
            total += result.seconds
            for name, seconds in (result.timings or {}).items():
                parts[name] = parts.get(name, 0.0) + seconds
    n = max(1, len(results))
    return {"simulations": runs, "per_replication": round(total / n, 3),
            "by_part_per_replication": {k: round(v / n, 3) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])}}


def _animate(folder: Path, scenario: Scenario, options, workers: int) -> dict:
    """Render ``flows.mp4`` into the (temporary) report folder; what was rendered, for the manifest."""
    from twin.animation import render_animation
    from twin.animation.options import DEFAULT_NAME
    result = render_animation(folder, folder / DEFAULT_NAME, options, workers=1 if workers == 1 else None,
                              scenario=scenario)
    return {"file": DEFAULT_NAME, "variant": options.variant, "replication": options.replication,
            "days": [result.first_day, result.last_day], "frames": result.frames, "fps": result.fps,
            "frames_per_day": result.frames_per_day, "size": [result.width, result.height],
            "seconds": result.seconds}


def default_out(name: str, root: Path = Path("reports")) -> Path:
    """``reports/<scenario>-<UTC timestamp>``."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"
    return root / f"{safe}-{stamp}"


def run_scenario(path: str | Path, out: str | Path | None = None, replications: int | None = None,
                 seed: int | None = None, workers: int | None = None, overwrite: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 scenario: Scenario | None = None, settings: list[str] | tuple[str, ...] = (),
                 dask: bool = False, scheduler: str | None = None, resume: bool = False,
                 animation: AnimationOptions | None = None, review: bool = True,
                 on_day: Callable[[int, int], None] | None = None,
                 on_phase: Callable[[str], None] | None = None) -> Report:
    """Validate, simulate baseline and scenario, and write the report folder.

    Parameters
    ----------
    path : scenario file.
    out : report folder (default ``reports/<scenario>-<timestamp>``).
    replications, seed : override the scenario file's values.
    workers : local worker processes (default: the machine's cores).
    overwrite : replace ``out`` if it exists.
    progress : called as ``progress(done, total)`` after each replication.
    on_day : called as ``on_day(days, days_per_replication)`` as each simulated day closes,
        with the days of the current replication so far, when replications run in this
        process (one worker; never with Dask).
    on_phase : called with ``"simulating"`` and then ``"writing report"`` as the run moves on.
    settings : ``key.path=value`` overrides (highest precedence), as ``--set`` on the command line.
    dask, scheduler : run replications as tasks on a local Dask cluster (``dask``) or on the
        cluster at ``scheduler`` (``tcp://host:port``).
    resume : keep finished replications in ``<out>.partial`` and skip those already there
        (to continue an interrupted run; needs ``out``).
    animation : when given, also render ``flows.mp4`` into the report (see :mod:`twin.animation`).
    review : also write the review page (``review.html``, ``review.md``).

    Raises
    ------
    twin.problems.ProblemList
        If the scenario or its network is invalid (nothing is written).
    """
    if resume and out is None:
        raise ValueError("resume needs out: the folder of the interrupted run")
    started = time.perf_counter()
    scenario = scenario or load_scenario(path, settings)
    spec = scenario.spec
    reps = replications if replications is not None else spec.replications
    root_seed = seed if seed is not None else spec.seed
    workers = workers if workers is not None else default_workers()
    plan = Plan(variants=scenario.variants, horizon_days=spec.horizon_days, warmup_days=spec.warmup_days,
                seed=root_seed, replications=reps)
    check_memory(plan, scenario.model.n_nodes, scenario.horizon_origin)
    out_path = Path(out) if out is not None else default_out(spec.name)
    check_folder(out_path, overwrite, resume)  # before the work: an existing folder, or a place not writable

    done = 0

    def tick(_: int) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, reps)

    stage = out_path.parent / f"{out_path.name}.partial" if (resume or dask or scheduler) else None
    per_replication = plan.simulated_days()
    days = (lambda done_days: on_day(done_days, per_replication)) if on_day else None
    if dask or scheduler:
        from twin import distributed
        if on_phase:
            on_phase(f"connecting to the Dask cluster at {scheduler}" if scheduler else "starting a local Dask cluster")
        results = distributed.execute(plan, workers, scheduler=scheduler, stage=stage, resume=resume, on_done=tick,
                                      on_client=(lambda _client: on_phase("simulating")) if on_phase else None)
    else:
        if on_phase:
            on_phase("simulating")
        results = execute(plan, workers=workers, on_done=tick, stage=stage, resume=resume, on_day=days)
    if on_phase:
        on_phase("writing report")
    model = scenario.model
    H, W = spec.horizon_days, spec.warmup_days
    frames = report_tables(scenario, results, H, W, root_seed, Thresholds.of(spec))

    provenance = {
        "twin_version": twin.__version__, "scenario": spec.name, "seed": root_seed, "replications": reps,
        "horizon_days": H, "warmup_days": W, "inputs": scenario.input_hashes,
    }
    manifest = {
        **provenance,
        "kind": "run",
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "scenario_file": str(scenario.path),
        "network": model.name,
        "network_file": model.source_file,
        "description": spec.description,
        "variants": scenario.variant_names,
        "sweep": ({"key": scenario.sweep_key, "values": scenario.sweep_values} if scenario.sweep_key else None),
        "settings": list(settings),
        "changes": scenario.changes,
        "disruptions_applied": scenario.applied,
        "scenario_as_applied": spec.model_dump(mode="json", by_alias=True),
        "resilience_thresholds": spec.resilience.model_dump(),
        "workers": workers,
        "nodes": model.n_nodes, "skus": model.n_skus, "lanes": len(model.lanes),
        "whole_units": model.integral,
        "python": platform.python_version(), "platform": platform.platform(),
        "nodes_info": nodes_info(model),
        "execution": ("dask " + (scheduler or f"local cluster of {workers} workers")
                      if (dask or scheduler) else f"{workers} local worker processes"),
        "engine_seconds": _engine_seconds(plan, results),
        "tables": {},
    }
    extra = (lambda folder: {"animation": _animate(folder, scenario, animation, workers)}) if animation else None
    write_report(out_path, frames, provenance, manifest, started, overwrite=overwrite, review=review, extra=extra)
    if stage is not None:
        import shutil
        shutil.rmtree(stage, ignore_errors=True)
    return Report(out_path, scenario, manifest, frames["network.parquet"], frames["comparison.parquet"],
                  frames["comparison_daily.parquet"], frames["resilience.parquet"])


def nodes_info(model) -> list[dict]:
    """Id, kind, city and location of every node (for the review page's map)."""
    out = []
    for row, node in enumerate(model.node_ids):
        lat, lon = (float(x) for x in model.location[row])
        out.append({"id": node, "kind": model.kinds[row], "city": model.cities[row],
                    "lat": lat if np.isfinite(lat) else None, "lon": lon if np.isfinite(lon) else None})
    return out


def report_tables(scenario: Scenario, results, horizon_days: int, warmup_days: int, seed: int,
                  thresholds: Thresholds | None = None) -> dict[str, pd.DataFrame]:
    """Every table of a report folder (``docs/reports.md``), by file name."""
    runs = tables.Runs(scenario, results, horizon_days, warmup_days)
    return {
        "daily.parquet": tables.daily_table(runs), "nodes.parquet": tables.node_table(runs),
        "network.parquet": tables.network_table(runs), "skus.parquet": tables.sku_table(runs),
        "comparison.parquet": compare.comparison_table(runs),
        "comparison_daily.parquet": compare.comparison_daily_table(runs),
        "resilience.parquet": resilience_table(runs, seed, thresholds),
        "flows.parquet": tables.flows_table(runs),
    }


def write_report(out_path: Path, frames: dict[str, pd.DataFrame], provenance: dict, manifest: dict,
                 started: float, overwrite: bool = False, review: bool = True,
                 extra: Callable[[Path], dict] | None = None) -> None:
    """Write the tables, ``manifest.json`` and (with ``review``) the review page, atomically.

    ``extra(folder)``, when given, writes more files into the (temporary) folder and returns
    entries to add to the manifest (the animation).
    """
    with atomic_folder(out_path, overwrite=overwrite) as tmp:
        # Two tables at a time: Arrow encodes and compresses without holding the interpreter.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="twin-parquet") as pool:
            list(pool.map(lambda item: write_parquet(item[1], tmp / item[0], provenance), frames.items()))
        for name, frame in frames.items():
            manifest["tables"][name] = {"rows": int(len(frame)), "columns": list(frame.columns)}
        manifest["wall_seconds"] = round(time.perf_counter() - started, 3)
        write_json(manifest, tmp / "manifest.json")
        if extra is not None:
            manifest.update(extra(tmp))
            manifest["wall_seconds"] = round(time.perf_counter() - started, 3)
            write_json(manifest, tmp / "manifest.json")
        if review:
            from twin.review import write_review
            write_review(tmp)
