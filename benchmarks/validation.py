"""Run every validation case at a long horizon and regenerate ``docs/validation.md``.

    python -m benchmarks.validation            # 200,000 counted days per case (make validation)
    python -m benchmarks.validation --days 20000 --out /tmp/validation.md --cases bs-poisson hub-little

Each case is an ordinary network + scenario file run by ``twin.run.run_scenario``;
the cases, the theory and the statistics live in ``tests/validation/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import twin  # noqa: E402
from tests.validation import cases as C  # noqa: E402
from tests.validation import harness as H  # noqa: E402
from benchmarks.machine import one_line  # noqa: E402

DEFAULT_DAYS = 200_000


def _fmt(x: float | None, digits: int = 6) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and math.isnan(x):
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-3:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def _pct(x: float) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    return f"{100 * x:+.3f}%"


def _verdict(r: H.Result) -> str:
    if not r.passed:
        return "**FAIL**"
    if r.accepted is False:
        return "**FAIL** (acceptance)"
    return "pass"


def _error_cell(r: H.Result) -> str:
    if r.kind == "fill_rate":
        return f"{100 * r.error:+.3f} pp"
    if r.expected == 0:
        return _fmt(r.error, 3)
    return _pct(r.rel_error)


def _tolerance_cell(r: H.Result) -> str:
    if r.kind == "fill_rate":
        out = f"±{100 * r.tolerance:.3f} pp"
    elif r.expected:
        out = f"±{100 * r.tolerance / abs(r.expected):.3g}%"
    else:
        out = f"±{_fmt(r.tolerance, 3)}"
    return out


def _acceptance_cell(r: H.Result) -> str:
    if r.acceptance is None:
        return "–"
    if r.kind == "fill_rate":
        return f"±{100 * r.acceptance:.1f} pp"
    if r.kind == "exact":
        return "exact (1e-9)"
    return f"±{100 * r.acceptance / abs(r.expected):.0f}%" if r.expected else _fmt(r.acceptance, 3)


CONVENTIONS = """\
## Conventions: how textbook models map to the twin

* **Time**: one period = one day. Order of a day at every node: receipts →
  demand served (stores) / orders filled (upstream: older orders first) →
  review and order → costs on the end-of-day stock.
* **Lead time**: an order placed at the end of day *t* over a route whose
  deterministic lead time is *L* (supplier `lead_time_days` + lane
  `transit_days` + hub `handling_days`, at least 1) is usable from day
  *t + L*. A base-stock level therefore protects *L* days of demand.
  * Snyder & Shen chapter 4 (periodic review, order placed before the
    period's demand, costs on ending inventory, demand over *L + 1* periods):
    **twin L = textbook L + 1**. Example 4.3 with *L = 0* is twin *L = 1*,
    with *L = 4* twin *L = 5*; Example 4.7 (zero lead time) is twin *L = 1*.
  * Snyder & Shen chapter 6 serial systems (Clark–Scarf / Chen–Zheng, echelon
    lead-time demand over *L* periods): **twin L = textbook L**.
  * Continuous-review (r, Q) formulas with lead-time demand Poisson(λL)
    (Snyder & Shen eq. 5.48) give the holding and shortage cost of the twin's
    daily-reviewed `sQ` policy with twin *L*. The order-line rate is not λ/Q
    but (1/Q)·Σ_{k=1..Q} P(D ≥ k), because a day's demand may cross the
    reorder point by more than one unit (one line of several Q).
* **Policies**: `base_stock` level S; `sS` orders S − IP when IP ≤ s (the
  Zheng–Federgruen convention); `sQ` orders the smallest multiple of Q that
  lifts IP above s (r = s); `order_up_to` targets P × forecast + safety stock
  with P = L + review_days − 1, which is the *L* of Chen et al.'s bullwhip
  formulas.
* **Costs**: holding on end-of-day on-hand, backorder cost on end-of-day
  backorders, lost-sale penalty per lost unit, order cost per order line,
  pipeline holding on end-of-day units in transit to a node at the shipping
  node's holding cost (the supplier's `holding_cost_per_unit_day` for the
  first stage, set to 0 where the theory ignores that pipeline — Example 6.1).
  SKU `unit_cost` is 0 in every case so purchase cost stays out of the totals.
* **Serial systems**: echelon base-stock levels S₁ ≤ S₂ ≤ S₃ run as
  installation levels S₁, S₂ − S₁, S₃ − S₂ (equivalent for serial systems).
  Local holding h′ = (7, 4, 2) are echelon rates (3, 2, 2). The expected
  cost Σ h′ⱼ E[on hand at j] + Σ h′ⱼ₊₁ Lⱼ μ + p E[B₁] equals the Chen–Zheng
  form Σ hⱼ E[INⱼ] + (p + h′₁) E[B₁] (checked in the tests).
* **Normal demand**: the twin sets negative draws to 0; when that has
  probability above 1e-9 the theory convolves the censored normal on a fine
  lattice (σ/500) instead of using normal formulas.
* **Fill rate**: units served from stock on the day of demand ÷ units demanded;
  for a base-stock level S it is 1 − (E[(D_L − S)⁺] − E[(D_{L−1} − S)⁺]) / μ.
* **Little's law at a hub**: `daily.parquet` records the hub's end-of-day
  backlog, taken at time *t + 1* before anything else happens then;
  `flows.parquet` logs each shipment's arrival at the hub and each part's
  departure. Three checks: (1) the sum of the end-of-day snapshots equals
  the units × day-ends they waited through, computed from the flow legs
  alone (an exact sample-path identity, 1e-9); (2) the arrival rate × mean
  wait (flows) and (3) the mean end-of-day backlog (daily) both equal the
  exact stationary mean of the discrete-time queue
  Q_t = max(Q_{t−1} + A_t − C, 0), A_t ~ Poisson(λ). Arrivals are at whole
  days here, so waits are whole days and the snapshot average is the time
  average.
"""

TOLERANCES = """\
## How tolerances are computed

* Every case is one replication of `horizon = warm-up + counted days`; KPIs
  are read from `nodes.parquet` (baseline variant).
* **Standard error** by batch means from `daily.parquet`: the counted days are
  cut into *b* = clamp(days / 200, 25, 100) consecutive batches (at least 200
  days each, long against every case's autocorrelation; the slowest, the hub
  queue at utilisation 0.9, loses about 6% of its variance at 200-day batches
  and none at 2,000) and SE = sd(batch means) / √b. Ratios: fill rate by
  linearisation (batch means of filled − R·demand, divided by mean demand);
  bullwhip ratio from the ratio of variances within each batch; Little's law
  from the daily sum of unit-days waited by that day's arrivals.
* **Tolerance** = t × SE + numerical error of the theory (1e-6 relative for
  values computed on a lattice or by quadrature, otherwise 1e-12) +
  |expected| / n (the resolution of an n-day average). **z = {z:g}**: t is the
  Student-t quantile with b − 1 degrees of freedom whose two-sided tail
  equals that of z normal deviations (6.3e-5 for z = 4; t = {t:.2f} at this
  horizon), because the SE is itself estimated from b batch means.
  A deterministic check (EOQ, identities) must match to 1e-9 relative.
* **Acceptance bounds of the issue** at the long horizon, checked as well:
  1% for cost per day and on-hand checks marked *cost* / *on hand*, 0.2
  percentage points for fill rates, 1e-9 for exact checks. Component costs
  and backorder or lost-unit counts are judged by the statistical tolerance
  only (their standard error alone can exceed 1% at 200,000 days).
* The default test suite (`pytest tests/validation`) runs the same cases at a
  short horizon with the same formula, so its tolerances are wider; nothing
  is tuned per case.
"""


def render(runs: list[H.CaseRun], days: int, wall: float, workers: int, z: float,
           load: tuple[float | None, float | None] = (None, None)) -> str:
    checks = [r for run in runs for r in run.results]
    cpu = sum(r.cpu_seconds for r in runs)
    loads = ", ".join("n/a" if x is None else f"{x:.1f}" for x in load)
    n_fail = sum(1 for run in runs if not run.passed)
    lines = [
        "# Validation: the twin against exact inventory theory",
        "",
        "Generated by `python -m benchmarks.validation` (`make validation`); do not edit by hand.",
        "Each case is written as an ordinary network and scenario file and run by `twin.run.run_scenario`",
        "(the cases and the theory are in `tests/validation/`). Expected values come from theory or",
        "cited references, never from the twin.",
        "",
        f"* Run: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, twin {twin.__version__}",
        f"* Horizon: {days:,} counted days per case after the warm-up, 1 replication, seeds fixed per case",
        f"* Wall time: {wall / 60:.1f} min with {workers} worker processes; CPU time summed over cases "
        f"{cpu / 60:.1f} min, so about {cpu / 60 / workers:.0f} min on an otherwise idle machine "
        f"(1-minute load average at start and end: {loads}; other work shares this machine)",
        "* Cost per counted day (CPU, both variants the twin always simulates): "
        + "; ".join(f"`{r.case}` {1000 * r.cpu_seconds / max(r.days, 1):.2f} ms" for r in runs
                    if r.case in ("bs-poisson", "serial-ex6.1", "hub-little")),
        f"* Machine: {one_line()}",
        f"* Result: **{len(runs) - n_fail} of {len(runs)} cases pass** "
        f"({sum(1 for r in checks if r.passed and r.accepted is not False)} of {len(checks)} checks), z = {z:g}",
        "",
        "## Summary (one row per case, its headline check)",
        "",
        "| case | source | metric | expected | twin | rel. error | tolerance | result |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        if run.error or not run.results:
            lines.append(f"| `{run.case}` | {run.source} | – | – | – | – | – | **ERROR**: {run.error} |")
            continue
        r = run.results[0]
        verdict = "pass" if run.passed else "**FAIL**"
        lines.append(f"| `{run.case}` | {run.source} | {r.label} | {_fmt(r.expected)} | {_fmt(r.value)} | "
                     f"{_error_cell(r)} | {_tolerance_cell(r)} | {verdict} |")
    lines += ["", CONVENTIONS, TOLERANCES.format(z=z, t=H.critical_value(z, days)), "## Every check", ""]
    for run in runs:
        lines += [f"### `{run.case}`: {run.title}", "",
                  f"Source: {run.source}. Counted days {run.days:,}, warm-up {run.warmup_days}, "
                  f"seed {run.seed}, {run.seconds:.0f} s wall, {run.cpu_seconds:.0f} s CPU.", ""]
        if run.error:
            lines += [f"**ERROR**: `{run.error}`", ""]
            continue
        lines += ["| check | expected | twin | SE | error | tolerance | acceptance | result |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in run.results:
            lines.append(f"| {r.label} | {_fmt(r.expected)} | {_fmt(r.value)} | {_fmt(r.se, 3)} | "
                         f"{_error_cell(r)} | {_tolerance_cell(r)} | {_acceptance_cell(r)} | {_verdict(r)} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _run(args, cases, workers, on_done) -> list[H.CaseRun]:
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return H.run_cases(cases, args.workdir, args.days, workers=workers, z=args.z, long_run=args.days >= DEFAULT_DAYS,
                           keep=True, on_done=on_done)
    with tempfile.TemporaryDirectory(prefix="twin-validation-") as tmp:
        return H.run_cases(cases, Path(tmp), args.days, workers=workers, z=args.z, long_run=args.days >= DEFAULT_DAYS,
                           on_done=on_done)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS,
                        help="counted days per case (default 200,000; the issue's acceptance bounds "
                             "are checked only from 200,000 days)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md", help="Markdown file written")
    parser.add_argument("--cases", nargs="*", default=None, help="only these case names")
    parser.add_argument("--workdir", type=Path, default=None, help="keep case files and reports here")
    parser.add_argument("--z", type=float, default=H.Z, help="standard errors allowed (default 4)")
    args = parser.parse_args(argv)

    cases = C.default_cases()
    if args.cases:
        unknown = set(args.cases) - {c.name for c in cases}
        if unknown:
            parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c.name in args.cases]
    workers = args.workers or max(1, min(len(cases), os.cpu_count() or 1))
    print(f"validation: {len(cases)} cases x {args.days:,} days, {workers} workers", flush=True)
    started = time.perf_counter()
    load_start = H.load_average()
    done = []

    def on_done(run: H.CaseRun) -> None:
        done.append(run)
        elapsed = time.perf_counter() - started
        left = len(cases) - len(done)
        eta = elapsed / len(done) * left
        status = "ok" if run.passed else ("ERROR" if run.error else "FAIL")
        print(f"[{len(done):2d}/{len(cases)}] {run.case:24s} {status:5s} {run.seconds:7.0f} s "
              f"({run.cpu_seconds:4.0f} s CPU)   "
              f"elapsed {elapsed / 60:5.1f} min, about {eta / 60:4.1f} min left", flush=True)
        if run.error:
            print(f"        {run.error}", flush=True)
        for r in run.results:
            if not r.passed or r.accepted is False:
                print(f"        {r.label}: expected {r.expected:.6g}, twin {r.value:.6g} "
                      f"(tolerance {r.tolerance:.3g}, acceptance {r.acceptance})", flush=True)

    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(60.0):
            print(f"        ... {(time.perf_counter() - started) / 60:5.1f} min elapsed, "
                  f"{len(done)}/{len(cases)} cases done", flush=True)

    threading.Thread(target=heartbeat, daemon=True).start()
    try:
        runs = _run(args, cases, workers, on_done)
    finally:
        stop.set()
    wall = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(runs, args.days, wall, workers, args.z, (load_start, H.load_average())))
    failed = [r.case for r in runs if not r.passed]
    print(f"wrote {args.out} in {wall / 60:.1f} min; "
          + (f"FAILED: {', '.join(failed)}" if failed else "every case passed"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
