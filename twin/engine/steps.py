"""The steps of a day, as array operations on a :class:`~twin.engine.state.State`.

Order of a day at every node: receipts, then demand served (stores, see
:mod:`twin.engine.stores`) or orders filled (upstream, see
:mod:`twin.engine.orders`), then review and order, then costs on end-of-day
stock. This module holds receipts, the review of DC tiers, forecasts and
stock losses.

A closed node receives nothing (deliveries wait at its door), ships and sells
nothing (its customers' demand is lost; orders it holds wait), and orders
nothing.
"""

from __future__ import annotations

import numpy as np

from twin.engine.orders import Ordering
from twin.engine.state import State
from twin.model import Model
from twin.policy import order_quantity


def receive(state: State, day: int) -> None:
    """Make usable every shipment due today; deliveries to a closed node wait a day."""
    today = state.today["received_units"]
    links = state.model.links
    waiting = []
    for link_index, cols, units in state.receipts.pop(day, []):
        if isinstance(link_index, np.ndarray):
            _receive_batch(state, day, link_index, cols, units, waiting)
            continue
        row = links[link_index].child
        if state.closed[row]:
            waiting.append((link_index, cols, units))
            continue
        on_hand, on_order = state.on_hand[row], state.on_order[row]
        on_hand[cols] += units
        if state.in_transit_link is not None:
            state.in_transit_link[link_index, cols] -= units
        on_order[cols] -= units
        state.row_stock_changed({"on_hand": 1, "on_order": -1}, row, cols, units)
        today[row] += units.sum()
        state.mark_arrived(row, cols)
    if waiting:
        state.receipts.setdefault(day + 1, []).extend(waiting)


def _receive_batch(state: State, day: int, links: np.ndarray, cols: np.ndarray, units: np.ndarray,
                   waiting: list) -> None:
    child = state.link_child[links]
    closed = state.closed[child] > 0
    if closed.any():
        waiting.append((links[closed], cols[closed], units[closed]))
        keep = ~closed
        links, cols, units, child = links[keep], cols[keep], units[keep], child[keep]
    flat = child * state.model.n_skus + cols
    state.scatter(np.add, state.on_hand_flat, flat, units)
    state.scatter(np.subtract, state.on_order_flat, flat, units)
    if state.in_transit_link is not None:
        state.in_transit_link[links, cols] -= units
    received = np.bincount(child, weights=units, minlength=state.model.n_nodes)
    state.today["received_units"] += received
    state.stock_changed({"on_hand": 1, "on_order": -1}, child, cols, units, by_node=received)
    state.mark_arrived_many(child, cols)


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


def review(state: State, rows: slice, day: int, forecasts: Forecasts, protection: np.ndarray,
           ordering: Ordering) -> None:
    """Review every position of ``rows`` (a DC tier) and place orders with their sources."""
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
    r_idx, cols = np.nonzero(q > 0)
    qty = q[r_idx, cols]
    if r_idx.size:
        node_rows = r_idx + rows.start
        ordering.place(state, node_rows, cols, qty)
        state.scatter(np.add, state.on_order_flat, node_rows * m.n_skus + cols, qty)
        state.stock_changed({"on_order": 1}, node_rows, cols, qty)
    n_rows = rows.stop - rows.start
    lines = np.bincount(r_idx, minlength=n_rows)
    t = state.today
    t["orders_placed"][rows] += lines
    t["ordered_units"][rows] += np.bincount(r_idx, weights=qty, minlength=n_rows)
    cost = lines * m.order_cost[rows]
    t["ordering_cost_usd"][rows] += cost
    if cost.any():
        state.sku_today["ordering_cost_usd"] += np.bincount(cols, weights=m.order_cost[rows][r_idx],
                                                            minlength=m.n_skus)


def lose_inventory(state: State, row: int, fraction: float, skus: np.ndarray | None, hold: bool) -> np.ndarray:
    """Remove ``fraction`` of ``row``'s on-hand (whole units rounded down): destroyed or held."""
    on_hand = state.on_hand[row]
    amount = on_hand * fraction
    if skus is not None:
        amount = np.where(skus, amount, 0.0)
    if state.model.integral:
        amount = np.floor(amount + 1e-9)
    on_hand -= amount
    state.row_stock_changed({"on_hand": -1}, row, None, amount)
    if hold:
        state.held[row] += amount
        state.any_held = True
    else:
        state.today["destroyed_units"][row] += amount.sum()
    state.mark_dirty(row, np.flatnonzero(amount > 0))
    return amount


def release_held(state: State, row: int, amount: np.ndarray) -> None:
    """Return units held for quality to the usable stock of ``row``."""
    amount = np.minimum(amount, state.held[row])
    state.held[row] -= amount
    state.on_hand[row] += amount
    state.row_stock_changed({"on_hand": 1}, row, None, amount)
    state.mark_arrived(row, np.flatnonzero(amount > 0))
