"""Replications x variants, run in local worker processes.

Each replication runs the baseline (no disruptions) and the scenario with the
same random streams (common random numbers). Replications are independent
tasks, spread over ``workers`` processes; results are identical whatever the
number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable

from twin.disruptions import Disruptions
from twin.engine import RunResult, simulate
from twin.model import Model

BASELINE, SCENARIO = "baseline", "scenario"


@dataclass(frozen=True)
class Plan:
    """What to simulate: a model, its variants' disruptions, horizon, seed, replications."""

    model: Model
    variants: dict[str, Disruptions]
    horizon_days: int
    warmup_days: int
    seed: int
    replications: int


def default_workers() -> int:
    """Worker processes used by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)


_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan


def run_replication(plan: Plan, replication: int) -> dict[str, RunResult]:
    """Every variant of one replication, on the same random streams."""
    return {name: simulate(plan.model, plan.horizon_days, plan.warmup_days, disruptions,
                           seed=plan.seed, replication=replication)
            for name, disruptions in plan.variants.items()}


def _task(replication: int) -> tuple[int, dict[str, RunResult]]:
    assert _PLAN is not None
    return replication, run_replication(_PLAN, replication)


def execute(plan: Plan, workers: int | None = None,
            on_done: Callable[[int], None] | None = None) -> list[dict[str, RunResult]]:
    """Run every replication; returns results indexed by replication.

    ``on_done(replication)`` is called as each replication finishes (for progress bars).
    """
    workers = default_workers() if workers is None else max(1, workers)
    workers = min(workers, plan.replications)
    results: list[dict[str, RunResult] | None] = [None] * plan.replications
    if workers == 1:
        for r in range(plan.replications):
            results[r] = run_replication(plan, r)
            if on_done:
                on_done(r)
        return results  # type: ignore[return-value]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker, initargs=(plan,)) as pool:
        futures = [pool.submit(_task, r) for r in range(plan.replications)]
        try:
            for future in as_completed(futures):
                r, result = future.result()
                results[r] = result
                if on_done:
                    on_done(r)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return results  # type: ignore[return-value]
