"""Simulate one variant of one replication: the engine's whole interface.

Random numbers come from three streams derived from ``(seed, replication)``
with :class:`numpy.random.SeedSequence`: demand, lead times and events.
Baseline and scenario of a replication use the same streams (common random
numbers); the streams never depend on what a variant does, so a scenario
without disruptions reproduces its baseline exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from twin import ledger
from twin.disruptions import Disruptions, capacity_factor
from twin.engine import components as comp
from twin.engine import orders, steps, stores
from twin.engine.demand import DemandSource
from twin.engine.direct import DirectShipping
from twin.engine.state import State
from twin.engine.transport import Shipper
from twin.model import STOCK, STORE, SUPPLIER, Model
from twin.sampling import duration_from_uniform

DEMAND, LEAD_TIME, EVENTS = 0, 1, 2
#: Days of transit draws beyond the horizon (departures delayed past the end reuse the last day's draw).
_TABLE_SLACK_DAYS = 60


def stream(seed: int, replication: int, purpose: int) -> np.random.Generator:
    """The generator of one purpose (demand, lead time, events) of one replication."""
    seq = np.random.SeedSequence(seed, spawn_key=(replication, purpose))
    return np.random.Generator(np.random.PCG64(seq))


@dataclass
class RunResult:
    """What one simulated variant produced."""

    daily: dict[str, np.ndarray]   # metric -> (days, nodes)
    sku: dict[str, np.ndarray]     # metric -> (skus,), summed over KPI days and nodes
    flows: dict[str, np.ndarray]   # shipment legs
    seconds: float
    timings: dict[str, float] | None = None  # seconds per part of the day (see State.timers)


class _Protection:
    """Days of demand an order must cover, per SKU, for the forecast-driven nodes only."""

    def __init__(self, model: Model, rows):
        self.rows = {}
        for r in rows:
            out = np.ones(model.n_skus)
            for link in model.primary_links:
                if link.child == r:
                    out[link.skus] = link.protection_days + model.review_days[r] - 1
            self.rows[r] = out

    def __getitem__(self, key):
        if isinstance(key, tuple):
            r, c = key
            return self.rows[int(r)][c]
        return self.rows[int(key)]


def _protection(model: Model, forecasts) -> _Protection:
    return _Protection(model, list(forecasts.state))


def simulate(model: Model, horizon_days: int, warmup_days: int, disruptions: Disruptions,
             seed: int, replication: int, check_ledger: bool = True,
             on_day: Callable[[int], None] | None = None) -> RunResult:
    """Run one variant of one replication and return its records.

    ``on_day(day)``, when given, is called as each day closes (for progress bars).

    Raises
    ------
    twin.ledger.ConservationError
        If the stock ledger does not balance (never expected; it guards the engine).
    """
    started = time.perf_counter()
    # The first day's demand is drawn on the second core while the run is set up.
    demand = {order: DemandSource(model, tier.rows, stream(seed, replication, DEMAND), disruptions.demand)
              for order, tier in enumerate(model.tiers) if tier.role == STORE}
    for source in demand.values():
        if source.ahead and horizon_days > 0:
            source.prefetch(0)
    try:
        state = State(model, horizon_days, warmup_days)
        lead_rng = stream(seed, replication, LEAD_TIME)
        table_days = horizon_days + _TABLE_SLACK_DAYS
        lane_u = lead_rng.random((len(model.lanes), table_days))
        transit = np.array([duration_from_uniform(lane.transit.as_dict(), lane_u[j])
                            for j, lane in enumerate(model.lanes)]).reshape(len(model.lanes), table_days)
        processing = {row: duration_from_uniform(spec.as_dict(), lead_rng.random(table_days))
                      for row, spec in sorted(model.processing.items())}
        env = comp.environment()
        shipper = Shipper(state, disruptions, transit, processing, lane_u, now=env.now)
        plans = orders.source_plans(model)
        state.plans = list(plans.values())
        forecasts = steps.Forecasts(model)
        protection = _protection(model, forecasts)
        ordering = orders.Ordering(model, plans)

        carrier = comp.Carrier(state=state, shipper=shipper, env=env)
        for row in model.hub_rows:
            carrier.hubs[row] = comp.Hub(state=state, carrier=carrier, row=row, env=env,
                                         capacity_changes=disruptions.node_capacity.get(row, []))
        for closure in disruptions.closures:
            if not closure.window.empty:
                comp.NodeSwitch(state=state, row=closure.row, start=closure.window.start, end=closure.window.end,
                                hub=carrier.hubs.get(closure.row), env=env)
        for closure in disruptions.lane_closures:
            if not closure.window.empty:
                comp.LaneSwitch(state=state, carrier=carrier, lane=closure.lane, start=closure.window.start,
                                end=closure.window.end, env=env)
        for loss in disruptions.inventory:
            if loss.fraction > 0:
                comp.StockEvent(state=state, loss=loss, env=env)

        def one(link, cols, units, day):
            leg = shipper.first_leg(link, cols, units, day)
            carrier.depart(leg, leg.depart)

        direct = DirectShipping(shipper, disruptions)
        ship = orders.Dispatch(one, direct.ship, direct.eligible)

        comp.Dock(state=state, env=env)
        for order, tier in enumerate(model.tiers):
            work = _tier_work(model, tier, state, plans, forecasts, protection, ordering, ship, demand.get(order),
                              disruptions)
            comp.TierCycle(state=state, order=order, work=work, env=env)
        comp.Bookkeeper(state=state, shipper=shipper, on_day=on_day, env=env)
        with _one_blas_thread():
            env.run(till=horizon_days + 0.5)
    finally:  # (each source also stops its thread after its last day)
        for source in demand.values():
            source.close()

    if check_ledger:
        ledger.check(model, state.daily)
    seconds = time.perf_counter() - started
    timings = dict(state.timers)
    timings["engine overhead"] = max(0.0, seconds - sum(timings.values()))
    result = RunResult(daily=state.daily, sku=state.sku, flows=shipper.flows(), seconds=seconds, timings=timings)
    state.release()
    return result


_BLAS = None


def _one_blas_thread():
    """Matrix products in one BLAS thread while the engine runs (restored afterwards).

    The engine's products are memory-bound sums over large arrays: more BLAS threads do them
    hardly faster, and between calls those threads spin on the core the demand draw runs on
    (measured at 25M positions: 10-15% of a simulated day).
    """
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController
        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


def _capacity(model: Model, row: int, day: int, disruptions: Disruptions) -> float:
    changes = disruptions.node_capacity.get(row)
    return float(model.capacity[row]) * (capacity_factor(day, changes) if changes else 1.0)


def _tier_work(model, tier, state, plans, forecasts, protection, ordering, ship, demand, disruptions):
    rows = tier.rows
    timers = state.timers
    sources = [plans[r] for r in range(tier.start, tier.stop) if r in plans]
    dynamic = [r for r in range(tier.start, tier.stop) if r in forecasts.state]

    if tier.role == STORE:
        k = model.n_skus

        def work(day):
            clock = time.perf_counter()
            today = demand.sample_day(day)
            flat, qty = today.flat, today.units
            if demand.ahead and day + 1 < state.horizon:
                demand.prefetch(day + 1)
            elif day + 1 >= state.horizon:
                demand.close()
            clock = timers.add("sampling", clock)
            stores.clear_backorders(state)
            served = stores.serve_customers(state, today, day,
                                            handing_over=not dynamic and stores.hand_over(state, day))
            for r in dynamic:  # the day's demand of each forecast-driven store (flat is ascending)
                base = (r - tier.start) * k
                lo, hi = np.searchsorted(flat, (base, base + k))
                row = np.zeros(k)
                row[flat[lo:hi] - base] = qty[lo:hi]
                forecasts.observe(r, row)
            clock = timers.add("serving", clock)
            stores.review(state, day, ordering, forecasts, protection, served)
            timers.add("policy", clock)
        return work

    if tier.role == STOCK:
        def work(day):
            clock = time.perf_counter()
            for plan in sources:
                observed = orders.fill_orders(state, plan, day, ship,
                                              capacity_units=_capacity(model, plan.row, day, disruptions),
                                              observe=plan.row in forecasts.state)
                if plan.row in forecasts.state:
                    forecasts.observe(plan.row, observed)
            for r in dynamic:
                if r not in plans:
                    forecasts.observe(r, np.zeros(model.n_skus))
            clock = timers.add("filling", clock)
            steps.review(state, rows, day, forecasts, protection, ordering)
            timers.add("policy", clock)
        return work

    assert tier.role == SUPPLIER

    def work(day):
        clock = time.perf_counter()
        for plan in sources:
            orders.fill_orders(state, plan, day, ship, capacity_units=_capacity(model, plan.row, day, disruptions),
                               unlimited_stock=True)
        timers.add("filling", clock)
    return work


__all__ = ["simulate", "RunResult", "stream", "STOCK"]
