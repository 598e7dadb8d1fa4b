"""Replications as tasks on a Dask cluster: a local one on this machine's cores, or an existing one.

Every replication (all its variants and sweep points) is one task. Finished
replications stream into the run's staging dataset (:mod:`twin.stage`) as
they complete, in whatever order; a worker that dies mid-task has its task
rerun by the scheduler, and since each replication is keyed and written whole,
none is lost or counted twice. With ``resume``, replications already in the
staging dataset are not run again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from twin import __version__
from twin import stage as staging
from twin.problems import ClusterError
from twin.runplan import Plan, Results, run_replication


#: Dask settings of the local cluster. A replication is a long task (a second or more) and every
#: replication is ready at once, so the scheduler sends them all to the workers (no root-task
#: queuing: a worker starts its next replication without waiting for the scheduler's reply), and
#: the workers' statistical profiler, which samples every thread's stack every 10 ms, is off.
#: Each worker's event loop also wakes every 20 ms to check it is not blocked, and every 0.5 s to
#: sample the machine's load; each wake takes the interpreter lock from the replication running
#: beside it (and, with every core busy, the core). Once a second and every 5 s are plenty here:
#: 100 replications of the teaching scenario on 2 workers, 35.0-35.8 -> 31.8-33.2 s (3 pairs).
LOCAL_CLUSTER_CONFIG = {
    "distributed.scheduler.worker-saturation": float("inf"),
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


def connect(address: str):
    """A client of the existing cluster at ``address``, checked: reachable, with workers that run this twin.

    Waits for the connection and for a first worker as long as Dask's
    ``distributed.comm.timeouts.connect`` (30 s unless configured).
    """
    import dask
    from dask.distributed import Client

    timeout = dask.config.get("distributed.comm.timeouts.connect")
    start_workers = f"`dask worker {address}` in an environment where twin is installed"
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({exc}); start one with `dask scheduler` "
                           f"and its workers with {start_workers}, or leave out --scheduler to run on a local "
                           "cluster") from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise ClusterError(f"the Dask cluster at {address} has no workers (waited {timeout}); start them "
                               f"with {start_workers}") from None
        # A function pickled by value (not by reference to this module), so workers without twin can answer.
        versions = client.run(lambda: __import__("twin").__version__, on_error="return")
        problems = version_problems(versions)
        if problems:
            raise ClusterError(f"the Dask cluster at {address} cannot run this twin: " + "; ".join(problems))
    except BaseException:
        client.close()
        raise
    return client


def version_problems(versions: dict) -> list[str]:
    """What is wrong with the twin each worker runs (``versions``: worker address -> version or the error)."""
    problems = []
    for worker, version in sorted(versions.items()):
        if isinstance(version, BaseException):
            problems.append(f"worker {worker} cannot import twin ({type(version).__name__}: {version}); "
                            f"install twin {__version__} in the workers' environment")
        elif version != __version__:
            problems.append(f"worker {worker} runs twin {version}, this is twin {__version__}; "
                            "install the same version on every worker (results would not be comparable)")
    return problems


def local_cluster(workers: int):
    """A local Dask cluster of ``workers`` single-threaded worker processes."""
    import dask
    from dask.distributed import LocalCluster
    # Dask's own log stays quiet below CRITICAL: a replication's error reaches the caller through its
    # future, a dead worker's task is rerun, and at shut-down a worker whose heartbeat meets the
    # closing scheduler logs an ERROR with a traceback (once in 36 cluster runs on 2026-12-02) that
    # means nothing once every replication is back.
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                            silence_logs=logging.CRITICAL)


def execute(plan: Plan, workers: int, scheduler: str | None = None, stage: Path | None = None,
            resume: bool = False, on_done: Callable[[int], None] | None = None,
            on_client: Callable[[object], None] | None = None) -> Results:
    """Run every replication of ``plan`` on Dask; returns results indexed by replication.

    ``on_client(client)`` is called once the cluster is up (tests use it to kill a worker).
    """
    from dask.distributed import Client, as_completed

    done = staging.reload(stage, plan.replications, resume, on_done)
    todo = [r for r in range(plan.replications) if r not in done]
    if todo:
        cluster = None if scheduler else local_cluster(workers)
        client = connect(scheduler) if scheduler else Client(cluster)
        try:
            if on_client:
                on_client(client)
            shared = client.scatter(plan, broadcast=True, hash=False)
            futures = {client.submit(run_replication, shared, r, key=f"twin-replication-{r}", pure=False,
                                     retries=3): r for r in todo}
            for future in as_completed(futures):
                r = futures[future]
                results = future.result()
                if stage is not None:
                    staging.save(stage, r, results)
                done[r] = results
                if on_done:
                    on_done(r)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return [done[r] for r in range(plan.replications)]
