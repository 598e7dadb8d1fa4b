"""Stock, orders and the day's counters of one simulated variant, as arrays.

Rows are nodes, columns SKUs. The quantities follow the units of every
order from the moment it is placed to the moment it is usable:

* ``owed[l]``       units ordered over supply link ``l`` that its source has not shipped;
* ``owed_new[l]``   the part of ``owed[l]`` placed today (filled after older orders);
* ``in_transit[c]`` units shipped towards node ``c`` and not yet received (hubs included);
* ``on_order[c]``   units node ``c`` has ordered over all its links and not received;
* ``backorders[n]`` units ``n`` owes: customers (stores) or downstream nodes;
* ``held[n]``       units of ``n`` under a quality hold (not usable, released later).

``closed`` and ``lane_closed`` count the closures in force on each node and lane.
"""

from __future__ import annotations

import numpy as np

from twin.model import Model

#: Per node per day counters (one value per node, reset every day).
DAY_COUNTERS = (
    "demand_units", "filled_from_stock_units", "sold_units", "lost_units", "orders_placed",
    "ordered_units", "received_units", "shipped_units", "revenue_usd", "purchase_cost_usd",
    "lost_sale_cost_usd", "ordering_cost_usd", "transport_cost_usd", "lost_margin_usd", "destroyed_units",
)

#: Per node end-of-day levels and costs, computed by the bookkeeper.
DAY_LEVELS = (
    "on_hand_units", "in_transit_units", "backorder_units", "held_units", "holding_cost_usd",
    "pipeline_holding_cost_usd", "backorder_cost_usd",
)

#: Per SKU sums over the KPI days (after the warm-up), over all nodes.
SKU_TOTALS = (
    "demand_units", "filled_from_stock_units", "sold_units", "lost_units", "on_hand_unit_days",
    "in_transit_unit_days", "backorder_unit_days", "revenue_usd", "purchase_cost_usd",
    "holding_cost_usd", "pipeline_holding_cost_usd", "backorder_cost_usd", "lost_sale_cost_usd",
    "ordering_cost_usd", "transport_cost_usd", "lost_margin_usd",
)


class State:
    """Arrays of one run; the engine's steps read and update them in place."""

    def __init__(self, model: Model, horizon_days: int, warmup_days: int):
        n, k = model.n_nodes, model.n_skus
        n_links = len(model.links)
        self.model = model
        self.horizon = horizon_days
        self.warmup = warmup_days
        self.on_hand = model.initial_on_hand.copy()
        self.backorders = np.zeros((n, k))
        self.owed = np.zeros((n_links, k))
        self.owed_new = np.zeros((n_links, k))
        self.held = np.zeros((n, k))
        self.closed = np.zeros(n, dtype=np.int64)
        self.lane_closed = np.zeros(len(model.lanes), dtype=np.int64)
        self.in_transit = np.zeros((n, k))
        self.on_order = np.zeros((n, k))
        self.hub_stock = np.zeros(n)  # units waiting in each hub (hub rows only)
        # Units in transit over each link, and the holding rate of its source (pipeline holding).
        self.in_transit_link = np.zeros((n_links, k))
        self.link_rate = np.array([model.holding[link.source] for link in model.links]).reshape(n_links, k)
        self.link_child = np.array([link.child for link in model.links], dtype=np.int64)
        self.one_link_per_child = len(set(self.link_child.tolist())) == n_links
        self.today = {name: np.zeros(n) for name in DAY_COUNTERS}
        self.daily = {name: np.zeros((horizon_days, n)) for name in DAY_COUNTERS + DAY_LEVELS}
        self.sku = {name: np.zeros(k) for name in SKU_TOTALS}
        self.sku_today = {name: np.zeros(k) for name in ("purchase_cost_usd", "transport_cost_usd",
                                                          "ordering_cost_usd")}
        self.receipts: dict[int, list[tuple[int, np.ndarray]]] = {}  # day -> [(link, units)]
        # Transport costs of legs departing on a later day: day -> [(node row, cost, SKU shares)].
        self.later_costs: dict[int, list[tuple[int, float, np.ndarray]]] = {}
        # Legs that left each lane on each day: (lane, day, expedited) -> fixed charge and legs.
        self.lane_days: dict[tuple[int, int, bool], dict] = {}

    def counting(self, day: int) -> bool:
        """Whether ``day`` counts towards KPIs (after the warm-up)."""
        return day >= self.warmup

    def close_day(self, day: int) -> None:
        """End-of-day costs on stock, then record the day (the bookkeeper's job)."""
        m = self.model
        holding = self.on_hand * m.holding
        pipeline_links = self.in_transit_link * self.link_rate
        pipeline = np.zeros_like(self.on_hand)
        if self.one_link_per_child:
            pipeline[self.link_child] = pipeline_links
        else:
            np.add.at(pipeline, self.link_child, pipeline_links)
        backorder = self.backorders * m.backorder_cost
        rec = self.daily
        rec["on_hand_units"][day] = self.on_hand.sum(axis=1) + self.hub_stock
        rec["in_transit_units"][day] = self.in_transit.sum(axis=1)
        rec["backorder_units"][day] = self.backorders.sum(axis=1)
        rec["held_units"][day] = self.held.sum(axis=1)
        rec["holding_cost_usd"][day] = holding.sum(axis=1)
        rec["pipeline_holding_cost_usd"][day] = pipeline.sum(axis=1)
        rec["backorder_cost_usd"][day] = backorder.sum(axis=1)
        for name, values in self.today.items():
            rec[name][day] = values
            values[:] = 0.0
        if self.counting(day):
            sku = self.sku
            sku["on_hand_unit_days"] += self.on_hand.sum(axis=0)
            sku["in_transit_unit_days"] += self.in_transit.sum(axis=0)
            sku["backorder_unit_days"] += self.backorders.sum(axis=0)
            sku["holding_cost_usd"] += holding.sum(axis=0)
            sku["pipeline_holding_cost_usd"] += pipeline.sum(axis=0)
            sku["backorder_cost_usd"] += backorder.sum(axis=0)
            for name, values in self.sku_today.items():
                sku[name] += values
        for values in self.sku_today.values():
            values[:] = 0.0

    def charge_transport(self, now: float, depart: float, row: int, cost: float, share: np.ndarray) -> None:
        """Charge a leg's cost to ``row`` on the day it departs (now, or a later day)."""
        day = int(np.floor(depart + 1e-9))
        if day <= int(np.floor(now + 1e-9)):
            self.today["transport_cost_usd"][row] += cost
            self.sku_today["transport_cost_usd"] += cost * share
        else:
            self.later_costs.setdefault(day, []).append((row, cost, share))

    def start_day(self, day: int) -> None:
        """Charge the costs of legs departing today that were planned on earlier days."""
        for row, cost, share in self.later_costs.pop(day, ()):
            self.today["transport_cost_usd"][row] += cost
            self.sku_today["transport_cost_usd"] += cost * share

    def is_open(self, row: int) -> bool:
        return self.closed[row] == 0

    def add_receipt(self, day: int, link: int, units: np.ndarray) -> None:
        """Units of ``link`` that become usable at its destination on ``day``."""
        self.receipts.setdefault(day, []).append((link, units))
