"""Replications x variants, run in local worker processes.

Every variant of a replication (baseline, scenario, each mitigation, at each
sweep point) runs on the same random streams (common random numbers).
Replications are independent tasks spread over ``workers`` processes; results
are identical whatever the number of workers. Variants that are certain to be
identical (the baselines of sweep points that do not change the network) are
simulated once.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Callable

from twin.engine import RunResult, simulate, stream
from twin.engine.run import EVENTS
from twin.problems import Problem, ProblemList
from twin.scenario import Variant

Results = list[list[RunResult]]  # [replication][variant]
#: Called in the worker on each variant's result: ``reduce(variant_index, result)`` -> what is sent back.
Reduce = Callable[[int, RunResult], Any]


@dataclass(frozen=True)
class Plan:
    """What to simulate: variants, horizon, warm-up, seed, replications."""

    variants: list[Variant]
    horizon_days: int
    warmup_days: int
    seed: int
    replications: int

    def representatives(self) -> list[int]:
        """For each variant, the index of the first variant certain to give the same result."""
        out = []
        for i, v in enumerate(self.variants):
            same = i
            if not v.events.events:
                for j in range(i):
                    w = self.variants[j]
                    if w.model is v.model and not w.events.events:
                        same = j
                        break
            out.append(same)
        return out

    def simulated_days(self) -> int:
        """Days simulated per replication (variants certain to repeat another are not simulated again)."""
        reps = self.representatives()
        return self.horizon_days * sum(1 for i, same in enumerate(reps) if same == i)


#: Memory a run holds per node-day of its daily records (the replications' results and the report's
#: tables): measured on the US grocery network, 0.98 GB of peak RSS at 0.47 million node-days and
#: 2.55 GB at 1.56 million, about 1.4 KB a node-day above 0.3 GB of Python, libraries and network.
BYTES_PER_NODE_DAY = 1536


def check_memory(plan: Plan, n_nodes: int, origin: tuple[str, int]) -> None:
    """Raise a problem at ``origin`` if the plan's daily records would not fit in this machine's free memory.

    Catches a horizon or a replication count off by a few zeros before it fills the memory; it is
    not a bound on the whole run (the network's own arrays come on top).
    """
    import psutil

    node_days = plan.replications * len(plan.variants) * plan.horizon_days * n_nodes
    need, free = node_days * BYTES_PER_NODE_DAY, psutil.virtual_memory().available
    if need > free:
        raise ProblemList([Problem(*origin, f"the run would hold about {need / 2**30:,.1f} GB of daily records "
                                            f"({plan.replications:,} replications x {len(plan.variants)} variants x "
                                            f"{plan.horizon_days:,} days x {n_nodes:,} nodes), more than the "
                                            f"{free / 2**30:,.1f} GB of memory free; shorten the horizon or run "
                                            "fewer replications")])


def default_workers() -> int:
    """Worker processes used by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)


_PLAN: Plan | None = None
_REDUCE: Reduce | None = None


def _init_worker(plan: Plan, reduce: Reduce | None = None) -> None:
    global _PLAN, _REDUCE
    _PLAN, _REDUCE = plan, reduce


def run_replication(plan: Plan, replication: int, reduce: Reduce | None = None,
                    on_day: Callable[[int], None] | None = None) -> list:
    """Every variant of one replication, on the same random streams (each result passed through ``reduce``).

    ``on_day(days)``, when given, is called as each simulated day closes with the days of this
    replication simulated so far (up to :meth:`Plan.simulated_days`).
    """
    results: list = []
    simulated = 0
    for i, (variant, same) in enumerate(zip(plan.variants, plan.representatives())):
        if same != i:
            results.append(results[same])
            continue
        disruptions = variant.events.realize(stream(plan.seed, replication, EVENTS))
        offset = simulated * plan.horizon_days
        result = simulate(variant.model, plan.horizon_days, plan.warmup_days, disruptions,
                          seed=plan.seed, replication=replication,
                          on_day=None if on_day is None else (lambda day, o=offset: on_day(o + day + 1)))
        simulated += 1
        results.append(reduce(i, result) if reduce is not None else result)
    return results


def _task(replication: int) -> tuple[int, list]:
    assert _PLAN is not None
    return replication, run_replication(_PLAN, replication, _REDUCE)


def execute(plan: Plan, workers: int | None = None, on_done: Callable[[int], None] | None = None,
            stage=None, resume: bool = False, reduce: Reduce | None = None,
            on_day: Callable[[int], None] | None = None) -> Results:
    """Run every replication; returns results indexed by replication, then variant.

    ``on_done(replication)`` is called as each replication finishes (for progress bars), and
    ``on_day(days)`` as each day closes when the replications run in this process (one
    worker): the days of the current replication simulated so far (see :func:`run_replication`).
    With ``stage`` (a folder), finished replications are saved there as they come
    (:mod:`twin.stage`); with ``resume``, those already there are not run again.
    ``reduce(variant_index, result)``, when given, runs in the worker on every result and its
    return value is kept instead (so large searches need not hold every daily record); it
    cannot be combined with ``stage``.
    """
    from twin import stage as staging

    if stage is not None and reduce is not None:
        raise ValueError("execute: reduce cannot be combined with stage (the stage keeps whole results)")
    workers = default_workers() if workers is None else max(1, workers)
    results: list[list[RunResult] | None] = [None] * plan.replications
    for r, result in staging.reload(stage, plan.replications, resume, on_done).items():
        results[r] = result
    todo = [r for r in range(plan.replications) if results[r] is None]

    def finish(r: int, result: list[RunResult]) -> None:
        if stage is not None:
            staging.save(stage, r, result)
        results[r] = result
        if on_done:
            on_done(r)

    workers = min(workers, max(1, len(todo)))
    if workers == 1:
        for r in todo:
            finish(r, run_replication(plan, r, reduce, on_day))
        return results  # type: ignore[return-value]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker, initargs=(plan, reduce)) as pool:
        futures = [pool.submit(_task, r) for r in todo]
        try:
            for future in as_completed(futures):
                r, result = future.result()
                finish(r, result)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return results  # type: ignore[return-value]
