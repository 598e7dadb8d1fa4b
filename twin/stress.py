"""Node-by-node stress test: time to recover, time to survive and risk exposure.

After Simchi-Levi, Schmidt and Wei (2014, "From superstorms to factory fires",
*Harvard Business Review*; Simchi-Levi et al. 2015, *Interfaces* 45(5)):

* every selected node is **closed in turn for its time to recover** (TTR: the
  node's ``ttr_days`` in the network file, or ``--ttr-days`` for all), starting
  on the first day after the warm-up; the impact of each closure (lost sales,
  lost margin, profit at risk) is paired against the baseline over replications;
* its **time to survive** (TTS) is the longest closure the network absorbs: no
  day's network customer fill rate drops more than ``tts_threshold`` below the
  baseline's (paired, mean over replications), found by bisection over closure
  durations, every duration on the same random numbers;
* its **risk exposure index** is its impact divided by the largest impact of
  any node (the worst node scores 1; a node whose closure costs nothing, 0);
* nodes with TTS < TTR are flagged for mitigation.

The search: the TTR closure is simulated first (it is in the report anyway).
With *t** the first day over the threshold of a closure, every closure that
covers day *t** is over it on that day too (its state is the same until it
reopens), so TTS < *t** - start + 1. If the TTR closure goes over while the
node is still closed, that bounds TTS, and *t** is also the first day over of
a whole-horizon closure. Otherwise the node is closed for the whole horizon:
if no day then exceeds the threshold, the network survives the node's loss for
the whole horizon (TTS = horizon); if the TTR closure survived, TTS >= TTR.
Bisection then narrows the interval to ``resolution_days``, one probe per node
per round. The search assumes a longer closure never hurts less (true up to
the noise of the mean over replications).
"""

from __future__ import annotations

import datetime as dt
import math
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

import twin
from twin import disruptions as dz
from twin.events import EventPlan, PlannedEvent
from twin.model import Model
from twin.network import load_network
from twin.problems import Problem, ProblemList
from twin.reports.columns import STRESS
from twin.reports.writer import check_folder
from twin.resilience import Thresholds, stores_below
from twin.run import default_out, nodes_info, report_tables, write_report
from twin.runplan import Plan, check_memory, default_workers, execute
from twin.scenario import BASELINE, Scenario, Variant
from twin.schema.scenario import NodeClosure, ScenarioFile
from twin.yamlio import load_yaml

KINDS = ("supplier", "hub", "dc", "store")
IMPACTS = ("lost_margin_usd", "profit_at_risk_usd", "lost_sales_units")


@dataclass(frozen=True)
class StressOptions:
    """How to stress a network (the ``twin stress`` options)."""

    kinds: tuple[str, ...] = ("supplier", "hub", "dc")
    ttr_days: float | None = None          # None: each node's ttr_days from the network file
    horizon_days: int = 42                 # days simulated after the warm-up = the longest closure tried
    warmup_days: int = 14
    replications: int = 20
    seed: int = 0
    tts_threshold: float = 0.01            # largest daily network fill-rate drop a closure may cause
    fill_rate_threshold: float = 0.95      # for "stores below threshold"
    impact: str = "lost_margin_usd"
    resolution_days: float = 1.0


@dataclass
class Target:
    """A node to stress and its time to recover."""

    row: int
    node: str
    kind: str
    ttr_days: float
    ttr_from: str


@dataclass
class Search:
    """Bisection state of one node's time to survive: ``lo`` survives, ``hi`` does not."""

    target: Target
    lo: float = 0.0
    hi: float = math.inf
    probes: int = 0
    days_until_loss: float = math.nan
    done: bool = False
    whole_done: bool = False      # the whole-horizon closure is known (probed, or implied by the TTR closure)

    def record(self, days: float, exceeds: bool) -> None:
        self.probes += 1
        if exceeds:
            self.hi = min(self.hi, days)
        else:
            self.lo = max(self.lo, days)

    def next_probe(self, resolution: float) -> float | None:
        """The next closure duration to try, or None when the interval is narrow enough."""
        if self.done or self.hi - self.lo <= resolution + 1e-9:
            self.done = True
            return None
        steps = math.floor((self.hi - self.lo) / resolution / 2.0)
        return self.lo + max(1, steps) * resolution


@dataclass
class StressReport:
    """A finished stress test: where it was written, the ranking and the run tables."""

    path: Path
    stress: pd.DataFrame
    manifest: dict
    frames: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)


def closure_variant(model: Model, node: str, start_day: float, days: float, name: str | None = None) -> Variant:
    """A variant that closes ``node`` for ``days`` from ``start_day`` (the engine's node closure)."""
    row = model.row(node)
    spec = NodeClosure(type="node_closure", name=name, node=node, start_day=start_day, duration_days=days)
    record = {"index": 0, "name": name, "type": "node_closure", "start_day": start_day, "start_window": None,
              "after": None, "length_days": days, "probability": 1.0, "targets": [node]}

    def apply(out: dz.Disruptions, window: dz.Window, row=row) -> None:
        out.closures.append(dz.Closure(row, window))

    return Variant(0, name or f"closed-{node}", model, EventPlan([PlannedEvent(spec, apply, record)]))


def select_targets(model: Model, network_path: Path, options: StressOptions) -> list[Target]:
    """The nodes of the selected kinds with their TTR; every node without one is a located problem."""
    bad_kinds = [k for k in options.kinds if k not in KINDS]
    if bad_kinds:
        raise ProblemList([Problem("--kinds", 0, f"unknown node kind '{bad_kinds[0]}'; use "
                                                 f"{', '.join(KINDS)}")])
    doc = load_yaml(network_path)
    index = {n.get("id"): i for i, n in enumerate(doc.data.get("nodes", [])) if isinstance(n, dict)}
    targets, problems = [], []
    for row, (node, kind) in enumerate(zip(model.node_ids, model.kinds)):
        if kind not in options.kinds:
            continue
        if options.ttr_days is not None:
            ttr, origin = float(options.ttr_days), "--ttr-days"
        elif np.isfinite(model.ttr_days[row]):
            ttr, origin = float(model.ttr_days[row]), "network file"
        else:
            problems.append(doc.problem(("nodes", index.get(node, 0)),
                                        f"{kind} '{node}' has no 'ttr_days' (its time to recover); add it to the "
                                        "node or pass --ttr-days N for every node"))
            continue
        if ttr > options.horizon_days:
            where = (Problem("--ttr-days", 0, "") if origin == "--ttr-days"
                     else doc.problem(("nodes", index.get(node, 0), "ttr_days"), ""))
            problems.append(Problem(where.file, where.line,
                                    f"time to recover of '{node}' ({ttr:g} days) is longer than the stress horizon "
                                    f"({options.horizon_days} days); pass a longer --horizon-days"))
            continue
        targets.append(Target(row, node, kind, ttr, origin))
    if problems:
        raise ProblemList(problems)
    if not targets:
        raise ProblemList([Problem(str(network_path), 1, f"the network has no node of kind "
                                                         f"{', '.join(options.kinds)} to stress")])
    return targets


def network_fill_rate(model: Model, result) -> np.ndarray:
    """Daily customer fill rate of the network (stores), NaN on days without demand."""
    stores = np.array(model.kinds) == "store"
    demand = result.daily["demand_units"][:, stores].sum(axis=1)
    filled = result.daily["filled_from_stock_units"][:, stores].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(demand > 0, filled / demand, np.nan)


class KeepOrSummarise:
    """Worker-side reduction: keep the first ``keep`` variants whole, summarise the others."""

    def __init__(self, model: Model, keep: int):
        self.model, self.keep = model, keep

    def __call__(self, index: int, result):
        if index < self.keep:
            return result
        return network_fill_rate(self.model, result)


def daily_loss(baseline_fill: np.ndarray, probe_fill: np.ndarray) -> np.ndarray:
    """Mean over replications of baseline - probe daily fill rate (days with demand in both)."""
    diff = baseline_fill - probe_fill
    valid = np.isfinite(diff)
    n = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.where(valid, diff, 0.0).sum(axis=0) / np.maximum(n, 1), 0.0)


def first_day_over(loss: np.ndarray, threshold: float, from_day: int) -> int | None:
    """First day on or after ``from_day`` whose loss exceeds ``threshold``."""
    over = np.flatnonzero(loss[from_day:] > threshold + 1e-12)
    return int(from_day + over[0]) if len(over) else None


Progress = Callable[[str, int, int], None]


def run_stress(network: str | Path, out: str | Path | None = None, options: StressOptions = StressOptions(),
               workers: int | None = None, overwrite: bool = False, progress: Progress | None = None,
               review: bool = True) -> StressReport:
    """Stress every selected node of ``network`` and write the report folder.

    Parameters
    ----------
    network : network file.
    out : report folder (default ``reports/stress-<network>-<timestamp>``).
    options : kinds, TTR, horizon, warm-up, replications, seed, threshold, impact measure.
    workers : local worker processes (default: the machine's cores).
    overwrite : replace ``out`` if it exists.
    progress : called as ``progress(phase, done, total)`` after each replication of each phase.
    review : also write the review page.

    Raises
    ------
    twin.problems.ProblemList
        If the network is invalid, a node has no TTR, or an option is out of range (nothing is written).
    """
    started = time.perf_counter()
    network = Path(network)
    if options.impact not in IMPACTS:
        raise ProblemList([Problem("--impact", 0, f"unknown impact '{options.impact}'; use {', '.join(IMPACTS)}")])
    model = load_network(network)
    targets = select_targets(model, network, options)
    workers = workers if workers is not None else default_workers()
    out_path = Path(out) if out is not None else default_out(f"stress-{model.name}")
    check_folder(out_path, overwrite)  # before the work: a folder that exists, or a place that cannot be written
    W, H, R = options.warmup_days, options.horizon_days, options.replications
    total_days = W + H

    def run(variants: list[Variant], keep: int, phase: str):
        plan = Plan(variants=variants, horizon_days=total_days, warmup_days=W, seed=options.seed, replications=R)
        done = 0

        def tick(_: int) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(phase, done, R)

        return execute(plan, workers=workers, on_done=tick, reduce=KeepOrSummarise(model, keep))

    # Phase 1: baseline and every node closed for its TTR (kept whole: the report).
    baseline = Variant(0, BASELINE, model, EventPlan())
    at_ttr = [closure_variant(model, t.node, W, t.ttr_days) for t in targets]
    check_memory(Plan(variants=[baseline, *at_ttr], horizon_days=total_days, warmup_days=W, seed=options.seed,
                      replications=R), model.n_nodes, ("--horizon-days", 0))
    kept = run([baseline, *at_ttr], keep=1 + len(targets), phase="closures at TTR")
    base_fill = np.array([network_fill_rate(model, r[0]) for r in kept])
    searches = [Search(t) for t in targets]
    for k, s in enumerate(searches):
        s.probes = 1
        loss = daily_loss(base_fill, np.array([network_fill_rate(model, r[1 + k]) for r in kept]))
        over = first_day_over(loss, options.tts_threshold, W)
        if over is None:
            s.lo = s.target.ttr_days                 # survives its TTR; the whole-horizon probe bounds it
        elif over < W + s.target.ttr_days:
            # Over while still closed: a whole-horizon closure has the same state until then.
            s.days_until_loss = float(over - W)
            s.hi = min(s.target.ttr_days, float(over - W + 1))
            s.whole_done = True
        else:
            s.hi = s.target.ttr_days                 # over only after reopening

    # Rounds: each node's whole-horizon probe (when its TTR closure did not already give it), then
    # bisection, one probe per unresolved node per round.
    round_no = 0
    while True:
        probes: list[tuple[Search, float, bool]] = []
        for s in searches:
            if not s.whole_done:
                probes.append((s, float(H), True))
            if math.isfinite(s.hi):
                d = s.next_probe(options.resolution_days)
                if d is not None:
                    probes.append((s, d, False))
        if not probes:
            break
        round_no += 1
        variants = [closure_variant(model, s.target.node, W, d, name=f"{'whole' if whole else 'probe'}-"
                                    f"{s.target.node}") for s, d, whole in probes]
        fills = run(variants, keep=0, phase=f"time-to-survive search, round {round_no}")
        for j, (s, d, whole) in enumerate(probes):
            loss = daily_loss(base_fill, np.array([r[j] for r in fills]))
            over = first_day_over(loss, options.tts_threshold, W)
            if not whole:
                s.record(d, over is not None)
                if over is not None and over < W + d:   # over while still closed: tighter bound
                    s.hi = min(s.hi, float(over - W + 1))
                continue
            s.probes += 1
            s.whole_done = True
            if over is None:                         # the network survives losing the node for the horizon
                s.lo, s.hi, s.done = float(H), float(H), True
            else:
                s.days_until_loss = float(over - W)
                s.hi = min(s.hi, float(over - W + 1))

    # Report: a run report whose variants are the TTR closures, plus stress.parquet.
    spec = ScenarioFile(name=f"stress-{model.name}", description=_description(model, targets, options),
                        network=str(network), horizon_days=total_days, warmup_days=W, replications=R,
                        seed=options.seed)
    variants = [baseline, *at_ttr]
    scenario = Scenario(spec, network, variants, input_hashes=dict(model.input_hashes))
    thresholds = Thresholds(fill_rate=options.fill_rate_threshold)
    frames = report_tables(scenario, kept, total_days, W, options.seed, thresholds)
    frames["stress.parquet"] = stress_table(model, searches, frames["resilience.parquet"], options)
    provenance = {"twin_version": twin.__version__, "scenario": spec.name, "seed": options.seed, "replications": R,
                  "horizon_days": total_days, "warmup_days": W, "inputs": scenario.input_hashes}
    manifest = {
        **provenance,
        "kind": "stress",
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "network": model.name,
        "network_file": str(network),
        "description": spec.description,
        "variants": [v.name for v in variants],
        "sweep": None,
        "changes": [],
        "stress": {
            "kinds": list(options.kinds), "closure_start_day": W, "horizon_days_after_warmup": H,
            "tts_threshold": options.tts_threshold, "fill_rate_threshold": options.fill_rate_threshold,
            "impact": options.impact, "resolution_days": options.resolution_days,
            "ttr_days_option": options.ttr_days, "search_rounds": round_no,
            "simulations": R * (1 + sum(s.probes for s in searches)),
        },
        "resilience_thresholds": {"fill_rate_threshold": thresholds.fill_rate,
                                  "days_of_supply_threshold": thresholds.days_of_supply_share,
                                  "recovery_tolerance": thresholds.recovery_tolerance},
        "workers": workers,
        "nodes": model.n_nodes, "skus": model.n_skus, "lanes": len(model.lanes),
        "whole_units": model.integral,
        "python": platform.python_version(), "platform": platform.platform(),
        "nodes_info": nodes_info(model),
        "tables": {},
    }
    write_report(out_path, frames, provenance, manifest, started, overwrite=overwrite, review=review)
    return StressReport(out_path, frames["stress.parquet"], manifest, frames)


def _description(model: Model, targets: list[Target], options: StressOptions) -> str:
    return (f"Which of the {len(targets)} {'/'.join(options.kinds)} nodes of {model.name} hurt most when lost for "
            f"their time to recover, and which cannot be lost that long without customers noticing?")


def stress_table(model: Model, searches: list[Search], resilience: pd.DataFrame,
                 options: StressOptions) -> pd.DataFrame:
    """``stress.parquet``: one row per stressed node, ranked by risk exposure."""
    rows = []
    for s in searches:
        t = s.target
        name = f"closed-{t.node}"
        res = resilience[resilience["variant"] == name]
        net = res[res["level"] == "network"].iloc[0]
        affected = stores_below(res)
        row = {"node": t.node, "kind": t.kind, "city": _city(model, t.row), "ttr_days": t.ttr_days,
               "ttr_from": t.ttr_from, "closure_start_day": options.warmup_days,
               "horizon_days": options.horizon_days}
        for metric in IMPACTS:
            for suffix in ("", "_ci95_low", "_ci95_high"):
                row[metric + suffix] = float(net[metric + suffix])
        row["fill_rate_worst_drop"] = float(net["fill_rate_worst_drop"])
        row["stores_below_threshold"] = int(len(affected))
        row["max_extra_days_below"] = float(affected["fill_rate_extra_days_below"].max()) if len(affected) else 0.0
        row["tts_days"] = float(s.lo)
        row["tts_censored"] = bool(s.lo >= options.horizon_days)
        row["days_until_loss"] = s.days_until_loss
        row["tts_probes"] = s.probes
        row["tts_threshold"] = options.tts_threshold
        row["mitigate"] = bool(s.lo < t.ttr_days)
        row["impact"] = max(0.0, float(net[options.impact]))
        rows.append(row)
    table = pd.DataFrame(rows)
    worst = table["impact"].max()
    table["risk_exposure_index"] = table["impact"] / worst if worst > 0 else 0.0
    table["impact_measure"] = options.impact
    table = table.sort_values(["risk_exposure_index", "node"], ascending=[False, True], kind="stable")
    table["rank"] = np.arange(1, len(table) + 1, dtype=np.int32)
    return table[list(STRESS)].reset_index(drop=True)


def _city(model: Model, row: int) -> str:
    return model.cities[row] or ""
