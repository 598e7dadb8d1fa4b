"""The twin against exact theory: every validation case through the ordinary file format and engine.

The default run simulates each case for ``TWIN_VALIDATION_DAYS`` counted days
(5,000 unless set) in two worker processes; tolerances are z = 4 batch-means
standard errors of that run length (as a Student-t bound, see ``harness.py``), so they are wider
than in the 200,000-day runs of ``python -m benchmarks.validation`` that
publish ``docs/validation.md``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import cases as C
from . import harness as H

DAYS = int(os.environ.get("TWIN_VALIDATION_DAYS", "5000"))
SLOW_DAYS = 40_000
CASES = C.default_cases()
NAMES = [c.name for c in CASES]
BY_NAME = {c.name: c for c in CASES}


def _describe(run: H.CaseRun) -> str:
    lines = [f"{run.case} ({run.days} days, seed {run.seed}):"]
    if run.error:
        lines.append(f"  error: {run.error}")
    for r in run.results:
        mark = "ok  " if r.passed else "FAIL"
        lines.append(f"  {mark} {r.label}: expected {r.expected:.6g}, twin {r.value:.6g}, "
                     f"SE {r.se:.3g}, tolerance {r.tolerance:.3g}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, H.CaseRun]:
    workdir = tmp_path_factory.mktemp("validation")
    done = H.run_cases(CASES, workdir, DAYS, workers=min(2, os.cpu_count() or 1))
    return {run.case: run for run in done}


@pytest.mark.parametrize("name", NAMES)
def test_case_matches_theory(runs, name):
    run = runs[name]
    assert run.error is None, _describe(run)
    assert run.results and all(r.passed for r in run.results), _describe(run)


def test_case_files_are_ordinary_files(tmp_path):
    """The generated files pass ``twin validate`` like any user's files."""
    paths = []
    for case in CASES:
        scenario = H.write_case(case, tmp_path / case.name, 100)
        paths += [str(scenario.parent / "network.yaml"), str(scenario)]
    twin = Path(sys.executable).with_name("twin")
    cmd = [str(twin)] if twin.exists() else [sys.executable, "-m", "twin.cli"]
    done = subprocess.run(cmd + ["validate", *paths], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_run_gives_the_same_report(tmp_path):
    """A case run by ``twin run`` (the CLI) passes the same checks as through the Python API."""
    case = BY_NAME["sS-poisson-ex4.7"]
    days = 3000
    scenario = H.write_case(case, tmp_path / case.name, days)
    twin = Path(sys.executable).with_name("twin")
    cmd = [str(twin)] if twin.exists() else [sys.executable, "-m", "twin.cli"]
    out = tmp_path / "report"
    done = subprocess.run(cmd + ["run", str(scenario), "--out", str(out), "--workers", "1", "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    results = H.evaluate(case, out, days)
    bad = [r for r in results if not r.passed]
    assert not bad, bad


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_case_matches_theory_long(tmp_path, name):
    """Each case at 40,000 counted days (make test-slow)."""
    run = H.run_case(BY_NAME[name], tmp_path, SLOW_DAYS)
    assert run.error is None, _describe(run)
    assert all(r.passed for r in run.results), _describe(run)
