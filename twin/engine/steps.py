"""The steps of a day, as array operations on a :class:`~twin.engine.state.State`.

Order of a day at every node: receipts, then demand served (stores) or
orders filled (upstream, older orders first, each shared proportionally when
short), then review and order, then costs on end-of-day stock.

A closed node receives nothing (deliveries wait at its door), ships and sells
nothing (its customers' demand is lost; orders it holds wait), and orders
nothing.
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
    """Make usable every shipment due today; deliveries to a closed node wait a day."""
    today = state.today["received_units"]
    links = state.model.links
    waiting = []
    for link_index, units in state.receipts.pop(day, []):
        row = links[link_index].child
        if state.closed[row]:
            waiting.append((link_index, units))
            continue
        state.on_hand[row] += units
        state.in_transit[row] -= units
        state.in_transit_link[link_index] -= units
        state.on_order[row] -= units
        today[row] += units.sum()
    if waiting:
        state.receipts.setdefault(day + 1, []).extend(waiting)


def serve_customers(state: State, rows: slice, demand: np.ndarray, day: int) -> None:
    """Stores: clear backorders from stock, then serve today's demand (closed stores sell nothing)."""
    m = state.model
    on_hand = state.on_hand[rows]
    backorders = state.backorders[rows]
    open_rows = (state.closed[rows] == 0)[:, None]
    sold = np.where(open_rows, np.minimum(on_hand, backorders), 0.0)
    on_hand -= sold
    backorders -= sold
    filled = np.where(open_rows, np.minimum(on_hand, demand), 0.0)
    on_hand -= filled
    unmet = demand - filled
    lost_rows = m.lost_sales[rows][:, None] | ~open_rows
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
    index: np.ndarray     # (m,) link indices
    children: np.ndarray  # (m,) child rows

    @property
    def distinct_children(self) -> bool:
        return len(set(self.children.tolist())) == len(self.children)


def source_plans(model: Model) -> dict[int, SourcePlan]:
    """One :class:`SourcePlan` per node that other nodes order from."""
    by_source: dict[int, list[SupplyLink]] = {}
    for link in model.links:
        by_source.setdefault(link.source, []).append(link)
    return {row: SourcePlan(row, links, np.array([lk.index for lk in links]),
                            np.array([lk.child for lk in links]))
            for row, links in by_source.items()}


Ship = Callable[[SupplyLink, np.ndarray, int], None]


def _add_rows(target: np.ndarray, plan: SourcePlan, values: np.ndarray) -> None:
    if plan.distinct_children:
        target[plan.children] += values
    else:
        np.add.at(target, plan.children, values)


def _share_room(room: float, old: np.ndarray, new: np.ndarray, integral: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cut the units to ship down to ``room`` units in all: older orders first."""
    room_old = min(room, float(old.sum()))
    cut_old = allocate(np.array([room_old]), old.reshape(-1, 1), integral).reshape(old.shape)
    room_new = min(room - float(cut_old.sum()), float(new.sum()))
    cut_new = allocate(np.array([max(room_new, 0.0)]), new.reshape(-1, 1), integral).reshape(new.shape)
    return cut_old, cut_new


def fill_orders(state: State, plan: SourcePlan, day: int, ship: Ship,
                capacity_units: float = np.inf, unlimited_stock: bool = False) -> np.ndarray:
    """Fill the orders ``plan.row`` holds: older ones first, each group shared proportionally.

    ``capacity_units`` caps the units shipped today over all SKUs and links.
    Returns the units newly ordered today per SKU (the node's observed demand).
    """
    m = state.model
    src, links = plan.row, plan.index
    owed = state.owed[links]
    new = state.owed_new[links]
    old = owed - new
    t = state.today
    observed = new.sum(axis=0)
    t["demand_units"][src] += new.sum()
    if state.closed[src]:
        state.owed_new[links] = 0.0  # today's orders wait, as older orders now
        state.backorders[src] = owed.sum(axis=0)
        return observed
    integral = m.integral
    if unlimited_stock:
        ship_old, ship_new = old, new
    else:
        available = state.on_hand[src]
        ship_old = allocate(available, old, integral)
        ship_new = allocate(available - ship_old.sum(axis=0), new, integral)
    if np.isfinite(capacity_units) and ship_old.sum() + ship_new.sum() > capacity_units:
        ship_old, ship_new = _share_room(capacity_units, ship_old, ship_new, integral)
    shipped = ship_old + ship_new
    state.owed[links] = owed - shipped
    state.owed_new[links] = 0.0
    total = shipped.sum(axis=0)
    if not unlimited_stock:
        state.on_hand[src] -= total
    t["filled_from_stock_units"][src] += ship_new.sum()
    t["shipped_units"][src] += total.sum()
    if unlimited_stock:
        t["received_units"][src] += total.sum()  # suppliers make what they ship
    if m.lost_sales[src]:
        cancelled = owed - shipped
        state.owed[links] = 0.0
        _add_rows(state.on_order, plan, -cancelled)
        t["lost_units"][src] += (new - ship_new).sum()
        state.backorders[src] = 0.0
    else:
        state.backorders[src] = state.owed[links].sum(axis=0)
    state.in_transit_link[links] += shipped
    _add_rows(state.in_transit, plan, shipped)
    per_link = shipped.sum(axis=1)
    for i in np.flatnonzero(per_link > 0):
        ship(plan.links[i], shipped[i], day)
    return observed


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


class Ordering:
    """Places each node's orders on the first open source of each of its SKU groups."""

    def __init__(self, model: Model):
        self.model = model
        self.groups = model.groups
        # Fast path: nodes with one group and one link (no category split, no alternates).
        self.simple_link = np.full(model.n_nodes, -1, dtype=np.int64)
        self.simple_source = np.zeros(model.n_nodes, dtype=np.int64)
        for row, groups in self.groups.items():
            if len(groups) == 1 and len(groups[0].links) == 1 and groups[0].skus.all():
                self.simple_link[row] = groups[0].links[0]
                self.simple_source[row] = model.links[groups[0].links[0]].source

    def place(self, state: State, rows: slice, q: np.ndarray) -> None:
        links = self.model.links
        simple = self.simple_link[rows]
        if (simple >= 0).all() and not state.closed[self.simple_source[rows]].any():
            state.owed[simple] += q
            state.owed_new[simple] += q
            return
        for i, row in enumerate(range(rows.start, rows.stop)):
            if not q[i].any():
                continue
            for group in self.groups.get(row, ()):
                chosen = group.links[0]
                for link in group.links:
                    if state.closed[links[link].source] == 0:
                        chosen = link
                        break
                part = q[i] if group.skus.all() else np.where(group.skus, q[i], 0.0)
                state.owed[chosen] += part
                state.owed_new[chosen] += part


def review(state: State, rows: slice, day: int, forecasts: Forecasts, protection: np.ndarray,
           ordering: Ordering) -> None:
    """Review the inventory position of ``rows`` and place orders with their sources."""
    m = state.model
    reviewing = ((day % m.review_days[rows]) == 0) & (state.closed[rows] == 0)
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
    ordering.place(state, rows, q)
    state.on_order[rows] += q
    lines = (q > 0).sum(axis=1)
    t = state.today
    t["orders_placed"][rows] += lines
    t["ordered_units"][rows] += q.sum(axis=1)
    cost = lines * m.order_cost[rows]
    t["ordering_cost_usd"][rows] += cost
    if cost.any():
        state.sku_today["ordering_cost_usd"] += ((q > 0) * m.order_cost[rows][:, None]).sum(axis=0)


def lose_inventory(state: State, row: int, fraction: float, skus: np.ndarray | None, hold: bool) -> np.ndarray:
    """Remove ``fraction`` of ``row``'s on-hand (whole units rounded down): destroyed or held."""
    on_hand = state.on_hand[row]
    amount = on_hand * fraction
    if skus is not None:
        amount = np.where(skus, amount, 0.0)
    if state.model.integral:
        amount = np.floor(amount + 1e-9)
    on_hand -= amount
    if hold:
        state.held[row] += amount
    else:
        state.today["destroyed_units"][row] += amount.sum()
    return amount


def release_held(state: State, row: int, amount: np.ndarray) -> None:
    """Return units held for quality to the usable stock of ``row``."""
    amount = np.minimum(amount, state.held[row])
    state.held[row] -= amount
    state.on_hand[row] += amount
