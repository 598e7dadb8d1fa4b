"""The steps of a day, as array operations on a :class:`~twin.engine.state.State`.

Order of a day at every node: receipts, then demand served (stores) or
orders filled (upstream, older orders first, each shared proportionally when
short), then review and order, then costs on end-of-day stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from twin.allocation import allocate
from twin.engine.state import State
from twin.model import Model, SupplyLink
from twin.policy import order_quantity


def receive(state: State, day: int) -> None:
    """Make usable every shipment due today."""
    today = state.today["received_units"]
    for row, units in state.receipts.pop(day, []):
        state.on_hand[row] += units
        state.in_transit[row] -= units
        state.on_order[row] -= units
        today[row] += units.sum()


def serve_customers(state: State, rows: slice, demand: np.ndarray, day: int) -> None:
    """Stores: clear backorders from stock, then serve today's demand."""
    m = state.model
    on_hand = state.on_hand[rows]
    backorders = state.backorders[rows]
    sold = np.minimum(on_hand, backorders)  # zero where nothing is backordered
    on_hand -= sold
    backorders -= sold
    filled = np.minimum(on_hand, demand)
    on_hand -= filled
    unmet = demand - filled
    lost_rows = m.lost_sales[rows][:, None]
    lost = np.where(lost_rows, unmet, 0.0)
    backorders += np.where(lost_rows, 0.0, unmet)
    sold += filled
    t = state.today
    t["demand_units"][rows] += demand.sum(axis=1)
    t["filled_from_stock_units"][rows] += filled.sum(axis=1)
    t["sold_units"][rows] += sold.sum(axis=1)
    t["lost_units"][rows] += lost.sum(axis=1)
    revenue = sold * m.price
    penalty = lost * m.lost_sale_cost[rows]
    margin = lost * (m.price - m.unit_cost)
    t["revenue_usd"][rows] += revenue.sum(axis=1)
    t["lost_margin_usd"][rows] += margin.sum(axis=1)
    t["lost_sale_cost_usd"][rows] += penalty.sum(axis=1)
    if state.counting(day):
        s = state.sku
        s["demand_units"] += demand.sum(axis=0)
        s["filled_from_stock_units"] += filled.sum(axis=0)
        s["sold_units"] += sold.sum(axis=0)
        s["lost_units"] += lost.sum(axis=0)
        s["revenue_usd"] += revenue.sum(axis=0)
        s["lost_sale_cost_usd"] += penalty.sum(axis=0)
        s["lost_margin_usd"] += margin.sum(axis=0)


@dataclass
class SourcePlan:
    """The links a source row fills each day, stacked for array work."""

    row: int
    links: list[SupplyLink]
    children: np.ndarray  # (m,) child rows
    masks: np.ndarray     # (m, K) bool: SKUs each child orders here


def source_plans(model: Model) -> dict[int, SourcePlan]:
    """One :class:`SourcePlan` per node that other nodes order from."""
    by_source: dict[int, list[SupplyLink]] = {}
    for link in model.links:
        by_source.setdefault(link.source, []).append(link)
    return {row: SourcePlan(row, links, np.array([lk.child for lk in links]),
                            np.array([lk.skus for lk in links]))
            for row, links in by_source.items()}


Ship = Callable[[SupplyLink, np.ndarray, int], None]


def fill_orders(state: State, plan: SourcePlan, day: int, ship: Ship,
                capacity_units: float = np.inf, unlimited_stock: bool = False) -> np.ndarray:
    """Fill the orders ``plan.row`` holds: older ones first, each group shared proportionally.

    Returns the units newly ordered today per SKU (the node's observed demand).
    """
    m = state.model
    src, kids, masks = plan.row, plan.children, plan.masks
    owed = state.owed[kids] * masks
    new = state.owed_new[kids] * masks
    old = owed - new
    if unlimited_stock:
        available = np.full(m.n_skus, np.inf)
    else:
        available = state.on_hand[src].copy()
    integral = m.integral
    if np.isfinite(capacity_units):
        # A capacity in units per day shares room over all SKUs and children, older orders first.
        room_old = min(capacity_units, old.sum())
        ship_old = allocate(np.array([room_old]), old.reshape(-1, 1), integral).reshape(old.shape)
        room_new = min(capacity_units - ship_old.sum(), new.sum())
        ship_new = allocate(np.array([room_new]), new.reshape(-1, 1), integral).reshape(new.shape)
    else:
        ship_old = allocate(available, old, integral)
        ship_new = allocate(available - ship_old.sum(axis=0), new, integral)
    shipped = ship_old + ship_new
    state.owed[kids] -= shipped
    remaining_new = new - ship_new
    state.owed_new[kids] = np.where(masks, 0.0, state.owed_new[kids])
    total = shipped.sum(axis=0)
    if not unlimited_stock:
        state.on_hand[src] -= total
    t = state.today
    t["demand_units"][src] += new.sum()
    t["filled_from_stock_units"][src] += ship_new.sum()
    t["shipped_units"][src] += total.sum()
    if unlimited_stock:
        t["received_units"][src] += total.sum()  # suppliers make what they ship
    if m.lost_sales[src]:
        cancelled = (owed - shipped)
        state.owed[kids] -= cancelled
        state.on_order[kids] -= cancelled
        t["lost_units"][src] += remaining_new.sum()
        state.backorders[src] = 0.0
    else:
        state.backorders[src] = (state.owed[kids] * masks).sum(axis=0)
    state.in_transit[kids] += shipped
    per_child = shipped.sum(axis=1)
    for i in np.flatnonzero(per_child > 0):
        ship(plan.links[i], shipped[i], day)
    return new.sum(axis=0)


class Forecasts:
    """Daily demand forecasts of the order-up-to nodes (moving average or exponential smoothing)."""

    def __init__(self, model: Model):
        self.model = model
        self.state: dict[int, dict] = {}
        for row, spec in enumerate(model.forecast):
            if spec is None:
                continue
            mean = model.mean_demand[row].copy()
            if spec["method"] == "moving_average":
                window = np.tile(mean, (spec["window_days"], 1))
                self.state[row] = {"spec": spec, "window": window, "sum": window.sum(axis=0), "pos": 0,
                                   "value": mean}
            else:
                self.state[row] = {"spec": spec, "value": mean}

    def observe(self, row: int, demand: np.ndarray) -> None:
        """Update the forecast of ``row`` with a day's observed demand."""
        st = self.state[row]
        spec = st["spec"]
        if spec["method"] == "moving_average":
            p = spec["window_days"]
            st["sum"] += demand - st["window"][st["pos"]]
            st["window"][st["pos"]] = demand
            st["pos"] = (st["pos"] + 1) % p
            st["value"] = st["sum"] / p
        else:
            a = spec["alpha"]
            st["value"] = a * demand + (1.0 - a) * st["value"]

    def value(self, row: int) -> np.ndarray:
        return self.state[row]["value"]


def review(state: State, rows: slice, day: int, forecasts: Forecasts,
           protection: np.ndarray) -> None:
    """Review the inventory position of ``rows`` and place orders with their sources."""
    m = state.model
    reviewing = (day % m.review_days[rows]) == 0
    if not reviewing.any():
        return
    s, S = m.s[rows], m.S[rows]
    dynamic = [r for r in range(rows.start, rows.stop) if r in forecasts.state]
    if dynamic:
        s, S = s.copy(), S.copy()
        for r in dynamic:
            target = protection[r] * forecasts.value(r) + m.safety_stock[r]
            if m.integral:
                target = np.round(target)
            s[r - rows.start] = target
            S[r - rows.start] = target
    ip = state.on_hand[rows] + state.on_order[rows] - state.backorders[rows]
    q = order_quantity(ip, s, S, m.Q[rows], m.rule[rows][:, None])
    q *= reviewing[:, None]
    state.owed[rows] += q
    state.owed_new[rows] += q
    state.on_order[rows] += q
    lines = (q > 0).sum(axis=1)
    t = state.today
    t["orders_placed"][rows] += lines
    t["ordered_units"][rows] += q.sum(axis=1)
    cost = lines * m.order_cost[rows]
    t["ordering_cost_usd"][rows] += cost
    if cost.any():
        state.sku_today["ordering_cost_usd"] += ((q > 0) * m.order_cost[rows][:, None]).sum(axis=0)
