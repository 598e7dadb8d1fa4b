"""Run validation cases through the twin's ordinary path and compare with theory.

For each case: write ``network.yaml`` and ``scenario.yaml`` into a folder, run
:func:`twin.run.run_scenario` (one replication, the ``baseline`` variant is
read), read the Parquet report and measure every check.

Point estimates come from ``nodes.parquet`` (the published KPIs); their
standard errors come from the same quantities per day in ``daily.parquet``
by the method of batch means: the counted days are cut into ``b``
consecutive batches (``b = clamp(days // 200, 25, 100)``, so batches are at
least 200 days, long against every case's autocorrelation), and the standard
error is the standard deviation of the batch means over ``sqrt(b)``. Ratios
are linearised (fill rate: residuals ``filled - R x demand``) or batched
(bullwhip: the ratio of variances within each batch).

The tolerance of a check is ``t x SE`` plus the numerical error of the
theory plus ``|expected| / n`` (the resolution of an ``n``-day average),
where ``t`` is the Student-t quantile with ``b - 1`` degrees of freedom whose
two-sided tail equals that of ``Z = 4`` normal deviations (6.3e-5): the SE is
itself estimated from ``b`` batch means. A check with no sampling error
(deterministic demand, identities) uses a relative tolerance of 1e-9.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import yaml

from .cases import EXACT_REL_TOL, Case, Check

#: Number of standard errors a statistical check may be off by.
Z = 4.0
#: Acceptance bounds of the issue at the long horizon, by kind of check.
ACCEPT_REL = {"cost": 0.01, "on_hand": 0.01}
ACCEPT_ABS = {"fill_rate": 0.002}

_DAILY_COLUMNS = ["day", "node", "on_hand_units", "in_transit_units", "backorder_units", "demand_units",
                  "filled_from_stock_units", "lost_units", "orders_placed", "ordered_units",
                  "holding_cost_usd", "pipeline_holding_cost_usd", "backorder_cost_usd", "lost_sale_cost_usd",
                  "ordering_cost_usd", "purchase_cost_usd", "transport_cost_usd"]
_COST_COLUMNS = ("purchase_cost_usd", "holding_cost_usd", "pipeline_holding_cost_usd", "backorder_cost_usd",
                 "lost_sale_cost_usd", "ordering_cost_usd", "transport_cost_usd")


@dataclass
class Result:
    """One check of one run."""

    case: str
    label: str
    measure: str
    kind: str
    expected: float
    value: float
    se: float
    tolerance: float
    passed: bool
    acceptance: float | None = None   # the bound (absolute), long horizon only
    accepted: bool | None = None

    @property
    def error(self) -> float:
        return self.value - self.expected

    @property
    def rel_error(self) -> float:
        return self.error / abs(self.expected) if self.expected else float("nan")


@dataclass
class CaseRun:
    """Every check of one case, with the run's facts."""

    case: str
    title: str
    source: str
    days: int
    warmup_days: int
    seed: int
    seconds: float
    results: list[Result] = field(default_factory=list)
    error: str | None = None
    cpu_seconds: float = 0.0  # CPU time of the process that ran the case (insensitive to other load)

    @property
    def passed(self) -> bool:
        return self.error is None and all(r.passed and r.accepted is not False for r in self.results)


def case_seed(name: str) -> int:
    """A fixed seed per case (stable across runs and machines)."""
    return zlib.crc32(name.encode()) % 100_000


def counted_days(case: Case, days: int) -> int:
    """Days after the warm-up: ``days`` rounded up to whole cycles of a deterministic case."""
    cycle = int(case.params.get("cycle_days", 1))
    return cycle * math.ceil(days / cycle)


def write_case(case: Case, folder: Path, days: int, seed: int | None = None) -> Path:
    """Write the case's network and scenario files; return the scenario's path."""
    folder.mkdir(parents=True, exist_ok=True)
    network = folder / "network.yaml"
    network.write_text(yaml.safe_dump(case.network, sort_keys=False))
    scenario = {
        "name": case.name,
        "description": case.title,
        "network": "network.yaml",
        "horizon_days": case.warmup_days + counted_days(case, days),
        "warmup_days": case.warmup_days,
        "replications": 1,
        "seed": case_seed(case.name) if seed is None else seed,
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


# --------------------------------------------------------------------------- statistics

def n_batches(n: int) -> int:
    """Batches for ``n`` days: batches of at least 200 days, 25 to 100 of them."""
    return int(min(100, max(25, n // 200)))


def critical_value(z: float, n: int) -> float:
    """The Student-t quantile (``b - 1`` degrees of freedom, ``b = n_batches(n)``) with the
    two-sided tail probability of ``z`` standard normal deviations: the SE is itself
    estimated from ``b`` batch means."""
    from scipy import special, stats

    alpha = 2.0 * float(special.ndtr(-z))
    return float(stats.t.isf(alpha / 2.0, n_batches(n) - 1))


def batch_means(x: np.ndarray, b: int | None = None) -> np.ndarray:
    """Means of ``b`` consecutive equal batches (the last ``len(x) % b`` values are dropped)."""
    x = np.asarray(x, dtype=float)
    b = n_batches(len(x)) if b is None else b
    m = len(x) // b
    return x[: m * b].reshape(b, m).mean(axis=1)


def batch_se(x: np.ndarray) -> float:
    """Batch-means standard error of the mean of a daily series."""
    means = batch_means(x)
    return float(means.std(ddof=1) / math.sqrt(len(means)))


def ratio_se(num: np.ndarray, den: np.ndarray) -> float:
    """Standard error of ``sum(num) / sum(den)`` (linearised, batch means)."""
    r = num.sum() / den.sum()
    return batch_se(num - r * den) / float(np.mean(den))


def variance_ratio_se(num: np.ndarray, den: np.ndarray) -> float:
    """Standard error of ``var(num) / var(den)`` from the ratios within batches."""
    b = n_batches(len(num))
    m = len(num) // b
    a = num[: m * b].reshape(b, m)
    d = den[: m * b].reshape(b, m)
    ratios = a.var(axis=1, ddof=1) / d.var(axis=1, ddof=1)
    return float(ratios.std(ddof=1) / math.sqrt(b))


# --------------------------------------------------------------------------- measuring

class Report:
    """The baseline tables of a finished run, read back from its Parquet files."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        filt = [("variant", "==", "baseline"), ("replication", "==", 0)]
        nodes = pd.read_parquet(self.folder / "nodes.parquet", filters=filt)
        self.nodes = nodes.set_index(nodes["node"].astype(str))
        daily = pd.read_parquet(self.folder / "daily.parquet", columns=_DAILY_COLUMNS + ["warmup"], filters=filt)
        daily = daily[~daily["warmup"]]
        daily["node"] = daily["node"].astype(str)
        self.daily = {n: g.sort_values("day").reset_index(drop=True) for n, g in daily.groupby("node")}
        self._flows = None

    @property
    def flows(self) -> pd.DataFrame:
        if self._flows is None:
            f = pd.read_parquet(self.folder / "flows.parquet", filters=[("variant", "==", "baseline"),
                                                                         ("replication", "==", 0)])
            for c in ("from", "to"):
                f[c] = f[c].astype(str)
            self._flows = f
        return self._flows

    def days(self, node: str) -> int:
        return int(self.nodes.loc[node, "days"])

    def series(self, node: str, column: str) -> np.ndarray:
        return self.daily[node][column].to_numpy(dtype=float)


def measure(report: Report, check: Check, case: Case, horizon: int, warmup: int) -> tuple[float, float]:
    """(estimate, standard error) of ``check`` from the report."""
    what = check.measure
    nodes = list(check.nodes)
    if what.startswith("cost:"):
        comp = what.split(":", 1)[1]
        cols = list(_COST_COLUMNS) if comp == "total" else [f"{comp}_cost_usd"]
        report_col = "total_cost_usd" if comp == "total" else cols[0]
        value = sum(float(report.nodes.loc[n, report_col]) / report.days(n) for n in nodes)
        series = sum(sum(report.series(n, c) for c in cols) for n in nodes)
        return value, batch_se(series)
    node = nodes[0]
    row = report.nodes.loc[node]
    simple = {"on_hand": ("avg_on_hand_units", "on_hand_units", False),
              "backorders": ("avg_backorder_units", "backorder_units", False),
              "in_transit": ("avg_in_transit_units", "in_transit_units", False),
              "lost": ("lost_units", "lost_units", True),
              "orders": ("orders_placed", "orders_placed", True)}
    if what in simple:
        col, daily_col, per_day = simple[what]
        value = float(row[col]) / (report.days(node) if per_day else 1.0)
        return value, batch_se(report.series(node, daily_col))
    if what == "fill_rate":
        return float(row["fill_rate"]), ratio_se(report.series(node, "filled_from_stock_units"),
                                                  report.series(node, "demand_units"))
    if what == "bullwhip":
        return float(row["bullwhip_ratio"]), variance_ratio_se(report.series(node, "ordered_units"),
                                                                report.series(node, "demand_units"))
    if what == "hub_queue":
        return float(row["avg_on_hand_units"]), batch_se(report.series(node, "on_hand_units"))
    if what in ("hub_little", "hub_arrivals", "hub_identity"):
        return _hub(report, node, what, case, horizon, warmup)
    raise ValueError(f"unknown measure {what!r}")


def _hub_legs(report: Report, hub: str, handling: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Shipments through ``hub``: arrivals (time ``a``, units ``u``), the parts that left
    (units ``v`` that stopped waiting at ``d``), and the units still waiting at the end."""
    f = report.flows
    arr = f[f["to"] == hub].groupby("shipment_id").agg(a=("arrive_time", "first"), u=("units", "sum"))
    dep = f[f["from"] == hub]
    parts = pd.DataFrame({"shipment_id": dep["shipment_id"].to_numpy(),
                          "d": dep["depart_time"].to_numpy() - handling,  # depart = handled + handling_days
                          "v": dep["units"].to_numpy()})
    parts = parts.merge(arr, left_on="shipment_id", right_index=True, how="left")
    left = parts.groupby("shipment_id")["v"].sum().reindex(arr.index, fill_value=0.0)
    return arr, parts, arr["u"] - left


def _day(t: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(t, dtype=float) + 1e-9).astype(np.int64)


def _hub(report: Report, hub: str, what: str, case: Case, horizon: int, warmup: int) -> tuple[float, float]:
    handling = float(case.params.get("handling_days", 0.0))
    arr, parts, rest = _hub_legs(report, hub, handling)
    if what == "hub_arrivals":
        units = np.bincount(_day(arr["a"]), weights=arr["u"].to_numpy(), minlength=horizon + 1)[warmup:horizon]
        return float(units.mean()), batch_se(units)
    if what == "hub_little":
        # lambda x W: unit-days waited by the units arriving on days [warmup, horizon - margin),
        # per day; every such unit has left the hub before the end of the run.
        hi = horizon - 60
        inside = (_day(arr["a"]) >= warmup) & (_day(arr["a"]) < hi)
        if inside.any() and float(rest[inside].abs().max()) > 1e-9:
            raise AssertionError(f"units that arrived at {hub} before day {hi} never left it")
        wait = (parts["v"] * (parts["d"] - parts["a"])).to_numpy()
        per_day = np.bincount(_day(parts["a"]), weights=wait, minlength=horizon + 1)[warmup:hi]
        return float(per_day.mean()), batch_se(per_day)
    # hub_identity: the sum of the counted end-of-day snapshots equals the units x day-ends
    # they waited through. The snapshot of day t is taken at time t+1 before anything else
    # happens then, so a unit that arrives at a and stops waiting at d is in the snapshots
    # of the times t+1 in (a, d] (d = end of run for units still waiting).
    lo, hi = warmup + 1, horizon
    first = np.maximum(_day(parts["a"]) + 1, lo)
    last = np.minimum(_day(parts["d"]), hi)
    crossings = float((parts["v"].to_numpy() * np.maximum(last - first + 1, 0)).sum())
    r_first = np.maximum(_day(arr["a"]) + 1, lo)
    crossings += float((rest.to_numpy() * np.maximum(hi - r_first + 1, 0)).sum())
    return crossings / (horizon - warmup), 0.0


def evaluate(case: Case, folder: Path, days: int, z: float = Z, long_run: bool = False) -> list[Result]:
    """Measure every check of ``case`` in the report at ``folder``."""
    report = Report(folder)
    warmup = case.warmup_days
    horizon = warmup + counted_days(case, days)
    out = []
    for check in case.checks:
        value, se = measure(report, check, case, horizon, warmup)
        expected = check.expected
        if check.measure == "hub_identity":
            expected = float(report.nodes.loc[check.nodes[0], "avg_on_hand_units"])
        n = counted_days(case, days)
        if check.deterministic:
            tol = EXACT_REL_TOL * max(abs(expected), 1.0)
        else:
            # z standard errors + the theory's numerical error + the resolution of an
            # n-day average (a sample without variation has SE 0 but cannot resolve
            # probabilities below 1/n).
            tol = critical_value(z, n) * se + check.theory_rel_err * abs(expected) + abs(expected) / n
        ok = bool(abs(value - expected) <= tol)
        acc_bound, accepted = None, None
        if long_run:
            if check.kind in ACCEPT_REL:
                acc_bound = ACCEPT_REL[check.kind] * abs(expected)
            elif check.kind in ACCEPT_ABS:
                acc_bound = ACCEPT_ABS[check.kind]
            elif check.kind == "exact":
                acc_bound = EXACT_REL_TOL * max(abs(expected), 1.0)
            if acc_bound is not None:
                accepted = bool(abs(value - expected) <= acc_bound)
        out.append(Result(case.name, check.label, check.measure, check.kind, expected, value, se, tol, ok,
                          acc_bound, accepted))
    return out


def run_case(case: Case, workdir: Path, days: int, z: float = Z, long_run: bool = False,
             keep: bool = False, seed: int | None = None) -> CaseRun:
    """Write, run and evaluate one case; ``days`` are counted after the warm-up.

    ``seed`` defaults to :func:`case_seed` of the case's name.
    """
    from twin.run import run_scenario

    folder = Path(workdir) / case.name
    seed = case_seed(case.name) if seed is None else seed
    scenario = write_case(case, folder, days, seed)
    started = time.perf_counter()
    cpu = time.process_time()
    run = CaseRun(case.name, case.title, case.source, counted_days(case, days), case.warmup_days, seed, 0.0)
    try:
        run_scenario(scenario, out=folder / "report", workers=1, overwrite=True)
        run.results = evaluate(case, folder / "report", days, z=z, long_run=long_run)
    except Exception as exc:  # reported per case, the other cases still run
        run.error = f"{type(exc).__name__}: {exc}"
    run.seconds = time.perf_counter() - started
    run.cpu_seconds = time.process_time() - cpu
    if not keep:
        import shutil
        shutil.rmtree(folder / "report", ignore_errors=True)
    return run


def _run_one(args) -> CaseRun:
    case, workdir, days, z, long_run, keep, seed = args
    return run_case(case, workdir, days, z=z, long_run=long_run, keep=keep, seed=seed)


def run_cases(cases: list[Case], workdir: Path, days: int, workers: int | None = None, z: float = Z,
              long_run: bool = False, keep: bool = False,
              on_done: Callable[[CaseRun], None] | None = None, seed_offset: int = 0) -> list[CaseRun]:
    """Run ``cases`` in ``workers`` processes (default: the machine's cores); results in case order.

    ``seed_offset`` is added to every case's seed (to check that nothing depends on a lucky seed).
    """
    workers = workers or max(1, os.cpu_count() or 1)
    jobs = [(c, Path(workdir), days, z, long_run, keep, case_seed(c.name) + seed_offset) for c in cases]
    # Longest first, so that the pool's last job is short.
    order = sorted(range(len(cases)), key=lambda i: -_cost_estimate(cases[i]))
    results: dict[int, CaseRun] = {}
    if workers == 1:
        for i in order:
            results[i] = _run_one(jobs[i])
            if on_done:
                on_done(results[i])
    else:
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(_run_one, jobs[i]): i for i in order}
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                if on_done:
                    on_done(results[i])
    return [results[i] for i in range(len(cases))]


def _cost_estimate(case: Case) -> float:
    """Relative simulation cost of a case (nodes that act each day)."""
    return len(case.network["nodes"]) + 0.5 * len(case.network.get("lanes", []))


def load_average() -> float | None:
    """The 1-minute load average (None where unknown)."""
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):
        return None

