"""Replications on Dask: same results as local processes, no replication lost or doubled when a
worker dies, and --resume runs only what is missing."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from tests.conftest import SCENARIOS, run_cli
from twin import stage as staging
from twin.runplan import Plan, execute
from twin.scenario import load_scenario

pytest.importorskip("dask.distributed")
from twin import distributed  # noqa: E402


def _plan(replications: int, horizon: int = 60) -> Plan:
    s = load_scenario(SCENARIOS / "us-hub-closure-48h.yaml", [f"horizon_days={horizon}"])
    return Plan(s.variants, horizon, 20, s.spec.seed, replications)


def _same(a, b) -> None:
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        for va, vb in zip(ra, rb):
            for name in va.daily:
                assert np.array_equal(va.daily[name], vb.daily[name]), name


def test_a_worker_killed_mid_sweep_loses_and_doubles_nothing(tmp_path):
    plan = _plan(replications=8)
    reference = execute(plan, workers=1)
    stage = tmp_path / "stage"
    finished: list[int] = []
    killed = threading.Event()

    def kill_one(client):
        def later():
            while not finished:
                time.sleep(0.05)
            pids = client.run(os.getpid)
            os.kill(sorted(pids.values())[0], signal.SIGKILL)
            killed.set()
        threading.Thread(target=later, daemon=True).start()

    results = distributed.execute(plan, workers=2, stage=stage, on_done=finished.append, on_client=kill_one)
    assert killed.is_set()
    assert sorted(finished) == list(range(8))  # each replication reported exactly once
    assert staging.finished(stage) == list(range(8))
    _same(results, reference)
    _same([staging.load(stage, r) for r in range(8)], reference)


def test_resume_runs_only_the_missing_replications(tmp_path):
    plan = _plan(replications=4, horizon=50)
    stage = tmp_path / "stage"
    first = execute(plan, workers=1, stage=stage)
    import shutil
    shutil.rmtree(stage / "replication=2")
    ran: list[int] = []
    # Replications 0, 1 and 3 are read back (reported first); only 2 is simulated again.
    again = execute(plan, workers=1, stage=stage, resume=True, on_done=ran.append)
    assert ran[:3] == [0, 1, 3] and ran[3:] == [2]
    _same(again, first)


def _same_tables(a, b) -> None:
    import pandas as pd

    for name in ("comparison.parquet", "daily.parquet", "flows.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name), check_exact=True)


def test_cli_dask_run_equals_local_run(tmp_path):
    args = ["run", SCENARIOS / "teaching-hub-closure.yaml", "--replications", "4", "--quiet"]
    local = run_cli(*args, "--out", tmp_path / "local", "--workers", "2")
    dask = run_cli(*args, "--out", tmp_path / "dask", "--workers", "2", "--dask")
    assert local.exit_code == 0 and dask.exit_code == 0, dask.output
    _same_tables(tmp_path / "local", tmp_path / "dask")
    assert not (tmp_path / "dask.partial").exists()


def test_local_cluster_settings_reach_scheduler_and_workers():
    """Every replication goes to the workers at once, and the workers do not sample their stacks."""
    import math

    import dask
    from dask.distributed import Client

    def worker_settings():
        return (dask.config.get("distributed.worker.profile.enabled"),
                dask.config.get("distributed.scheduler.worker-saturation"))

    cluster = distributed.local_cluster(1)
    try:
        with Client(cluster) as client:
            saturation = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.WORKER_SATURATION)
            assert math.isinf(saturation)
            for profile, _ in client.run(worker_settings).values():
                assert profile is False
    finally:
        cluster.close()


def test_local_cluster_keeps_dask_errors_off_the_console(capfd):
    """A worker's ERROR log (e.g. a heartbeat that meets the closing scheduler at shut-down) does not
    print a traceback under the run's output; CRITICAL still does."""
    import logging

    from dask.distributed import Client

    def log_on_worker():
        logging.getLogger("distributed.worker").error("probe-error")
        logging.getLogger("distributed.worker").critical("probe-critical")

    cluster = distributed.local_cluster(1)
    try:
        with Client(cluster) as client:
            client.run(log_on_worker)  # logging's stream handler flushes every record
    finally:
        cluster.close()
    err = capfd.readouterr().err
    assert "probe-critical" in err  # the worker's log does reach this console ...
    assert "probe-error" not in err  # ... but not below CRITICAL


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_runs_on_an_existing_cluster_as_it_runs_locally(tmp_path):
    args = ["run", SCENARIOS / "teaching-hub-closure.yaml", "--replications", "3", "--quiet"]
    cluster = distributed.local_cluster(2)  # an existing cluster, as far as `twin run` can tell
    try:
        remote = run_cli(*args, "--out", tmp_path / "remote", "--scheduler", cluster.scheduler_address)
    finally:
        cluster.close()
    local = run_cli(*args, "--out", tmp_path / "local", "--workers", "1")
    assert remote.exit_code == 0 and local.exit_code == 0, remote.output
    _same_tables(tmp_path / "local", tmp_path / "remote")


def test_an_unreachable_scheduler_is_a_clear_error_with_exit_code_2(tmp_path):
    import dask

    address = f"tcp://127.0.0.1:{_free_port()}"
    out = tmp_path / "report"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = run_cli("run", SCENARIOS / "teaching-hub-closure.yaml", "--replications", "2",
                         "--out", out, "--scheduler", address)
    assert result.exit_code == 2, result.output
    assert f"cannot reach the Dask scheduler at {address}" in result.output
    assert "dask scheduler" in result.output and "Traceback" not in result.output
    assert "internal error" not in result.output
    assert not out.exists() and not (tmp_path / "report.partial").exists()


def test_a_cluster_without_workers_is_a_clear_error(tmp_path):
    import dask

    cluster = distributed.local_cluster(0)
    try:
        with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
            result = run_cli("run", SCENARIOS / "teaching-hub-closure.yaml", "--replications", "2",
                             "--out", tmp_path / "report", "--scheduler", cluster.scheduler_address)
    finally:
        cluster.close()
    assert result.exit_code == 2, result.output
    assert "has no workers" in result.output and f"dask worker {cluster.scheduler_address}" in result.output
    assert not (tmp_path / "report").exists()


def test_workers_that_cannot_import_twin_or_run_another_version_are_named():
    from twin import __version__

    problems = distributed.version_problems({"tcp://10.0.0.2:1": ModuleNotFoundError("No module named 'twin'"),
                                             "tcp://10.0.0.3:1": "0.0.1", "tcp://10.0.0.4:1": __version__})
    assert len(problems) == 2
    assert "tcp://10.0.0.2:1 cannot import twin" in problems[0] and f"install twin {__version__}" in problems[0]
    assert "tcp://10.0.0.3:1 runs twin 0.0.1" in problems[1]
    assert distributed.version_problems({"tcp://10.0.0.4:1": __version__}) == []


def test_workers_and_scheduler_together_are_a_usage_error(tmp_path):
    result = run_cli("run", SCENARIOS / "teaching-hub-closure.yaml", "--out", tmp_path / "report",
                     "--scheduler", "tcp://127.0.0.1:1", "--workers", "2")
    assert result.exit_code == 2
    assert "leave out --workers" in result.output and not (tmp_path / "report").exists()
