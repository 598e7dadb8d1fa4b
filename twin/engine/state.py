"""Stock, orders and the day's counters of one simulated variant, as arrays.

Rows are nodes, columns SKUs. The quantities follow the units of every
order from the moment it is placed to the moment it is usable:

* orders not yet shipped are held by their source (see :mod:`twin.engine.orders`);
* ``on_order[c]``   units node ``c`` has ordered over all its links and not received;
* in transit to ``c``: units shipped towards it and not yet received (hubs included), which is
  ``on_order[c]`` less its orders its sources hold unshipped (no array of its own: the
  end-of-day records take it from those two, see :meth:`State.close_day`);
* ``backorders[n]`` units ``n`` owes: customers (stores) or downstream nodes;
* ``held[n]``       units of ``n`` under a quality hold (not usable, released later).

``closed`` and ``lane_closed`` count the closures in force on each node and lane.
"""

from __future__ import annotations

import time

import numpy as np

from twin.blocks import row_blocks
from twin.engine import totals
from twin.model import STORE, Model

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


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions ``starts[i]:ends[i]`` of every segment ``i``, one after the other."""
    lengths = ends - starts
    offsets = np.cumsum(lengths) - lengths  # where each segment begins in the result
    return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))


def _chunk_of(legs: list[tuple]) -> tuple:
    """Single legs of :meth:`State.add_fixed_leg` as one chunk of :meth:`State.add_fixed_legs`."""
    group, fixed, log_row, child, basis, cols, share = zip(*legs)
    lengths = np.array([len(c) for c in cols], dtype=np.int64)
    ends = np.cumsum(lengths)
    return (np.array(group, dtype=np.int64), np.array(fixed, dtype=np.float64), np.array(log_row, dtype=np.int64),
            np.array(child, dtype=np.int64), np.array(basis, dtype=np.float64), ends - lengths, ends,
            np.concatenate(cols), np.concatenate(share))


def rows_cols(flat: np.ndarray, k: int, first_row: int) -> tuple[np.ndarray, np.ndarray]:
    """Node rows and SKU columns of flat positions ``row * k + sku`` of a block starting at ``first_row``."""
    rows, cols = np.divmod(flat, k)
    return rows + first_row, cols


def run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal neighbours begins in ``values`` (e.g. each node's part of ascending positions)."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


class StoreBlock:
    """The contiguous rows of the store tier, with per-position marks (row-major, ``row * K + sku``).

    ``dirty``: the inventory position fell since the position's last review.
    ``clear_mask``: stock arrived where customers may be backordered (``any_arrived``: one is set).

    Besides the ``dirty`` mask the block keeps the arrays of positions marked since the last
    review of every row (``candidates``, a superset of the dirty positions), so that a daily
    review finds its positions without scanning the whole mask. ``candidates`` is None when
    that list is not known (the first day, or after it grew too long).
    """

    def __init__(self, start: int, stop: int, k: int, dirty: np.ndarray, loses_all: bool = True):
        self.start, self.stop, self.k = start, stop, k
        self.loses_all = loses_all  # every store loses unmet demand (none owes its customers)
        self.dirty = dirty
        self.clear_mask = np.zeros((stop - start) * k, dtype=bool)
        self.any_arrived = False
        self.candidates: list[np.ndarray] | None = None
        self._candidate_size = 0

    def mark(self, flat: np.ndarray) -> None:
        """Mark the block's flat positions ``flat`` dirty (their inventory position fell)."""
        self.dirty[flat] = True
        self._remember(flat)

    def mark_arrivals(self, flat: np.ndarray) -> None:
        """Stock arrived at the block's flat positions ``flat``: backordered customers there may be served."""
        self.clear_mask[flat] = True
        self.any_arrived = True

    def mark_rows(self, first: int, last: int) -> None:
        """Mark every position of block rows ``first`` to ``last`` (exclusive) dirty."""
        self.dirty[first * self.k:last * self.k] = True
        self._remember(np.arange(first * self.k, last * self.k))

    def _remember(self, flat: np.ndarray) -> None:
        if self.candidates is None:
            return
        self._candidate_size += len(flat)
        if self._candidate_size > max(len(self.dirty) // 16, 4096):  # scanning the mask is cheaper now
            self.candidates = None
            return
        self.candidates.append(flat)

    def dirty_positions(self) -> np.ndarray:
        """Every dirty flat position, ascending."""
        cand = self.candidates
        if cand is None:
            return np.flatnonzero(self.dirty)
        if not cand:
            return np.zeros(0, dtype=np.int64)
        flat = cand[0]
        if len(cand) > 1 or (len(flat) > 1 and not bool((flat[1:] > flat[:-1]).all())):
            flat = np.unique(np.concatenate(cand))
        return flat[self.dirty[flat]]

    def reviewed_all(self) -> None:
        """Every dirty position was reviewed and cleaned: start a new list of candidates."""
        self.candidates = []
        self._candidate_size = 0

    def keep_limits(self, limits: np.ndarray) -> None:
        """The block's rows of the model's (s, S) pairs (rows, K, 2), read in place: one gather reads both."""
        self._limits = limits.view(np.uint64 if limits.dtype == np.float32 else np.complex128).reshape(-1)
        self._limits_dtype = limits.dtype

    def limits(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The reorder point s and order-up-to level S at the block's flat positions."""
        pair = self._limits[flat].view(self._limits_dtype).reshape(-1, 2)
        return pair[:, 0], pair[:, 1]

    def rows_cols(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Absolute node rows and SKU columns of flat positions."""
        return rows_cols(flat, self.k, self.start)

    def flat(self, array: np.ndarray) -> np.ndarray | None:
        """The block's rows of a node x SKU array as one flat view (None if that would copy)."""
        part = array[self.start:self.stop]
        return part.reshape(-1) if part.flags.c_contiguous else None

    def take(self, array: np.ndarray, flat: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """``array`` at the block's flat positions (fast when the rows are contiguous)."""
        view = self.flat(array)
        return view[flat] if view is not None else array[rows, cols]

    def contains(self, row: int) -> bool:
        return self.start <= row < self.stop


class Timers(dict):
    """Seconds spent in each part of the day (for the scale benchmark's breakdown)."""

    def add(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self[name] = self.get(name, 0.0) + now - started
        return now


class State:
    """Arrays of one run; the engine's steps read and update them in place."""

    def __init__(self, model: Model, horizon_days: int, warmup_days: int):
        n, k = model.n_nodes, model.n_skus
        n_links = len(model.links)
        self.model = model
        self.horizon = horizon_days
        self.warmup = warmup_days
        self.day = 0
        self.timers = Timers()
        stores = [t for t in model.tiers if t.role == STORE]
        self.stores = None
        if stores:
            a, b = stores[0].start, stores[0].stop
            # Day 0 reviews the positions that would order (or are forecast-driven).
            start, s, S = model.initial_on_hand[a:b], model.s[a:b], model.S[a:b]
            batch = (model.rule[a:b] == 1)[:, None]
            dirty = ((start <= s) & ((start < S) | batch)).ravel()
            for r, spec in enumerate(model.forecast[a:b]):
                if spec is not None:
                    dirty[r * k:(r + 1) * k] = True
            self.stores = StoreBlock(a, b, k, dirty, loses_all=bool(model.lost_sales[a:b].all()))
            self.stores.keep_limits(model.limits[a:b])
        dtype = model.dtype
        # Rows that can hold backorders: all but stores that lose unmet demand. A contiguous range
        # becomes a slice, so end-of-day sums read only those rows.
        can_owe = np.flatnonzero(~(np.isin(np.arange(n), self._store_rows(model)) & model.lost_sales))
        contiguous = len(can_owe) and can_owe[-1] - can_owe[0] + 1 == len(can_owe)
        self.owing_rows = slice(int(can_owe[0]), int(can_owe[-1]) + 1) if contiguous else can_owe
        self.any_held = False  # set when stock is first put on a quality hold
        self.on_hand = model.initial_on_hand.astype(dtype)
        self.backorders = np.zeros((n, k), dtype)
        self.held = np.zeros((n, k), dtype)
        self.closed = np.zeros(n, dtype=np.int64)
        self.lane_closed = np.zeros(len(model.lanes), dtype=np.int64)
        self.on_order = np.zeros((n, k), dtype)
        # Flat views (row * K + SKU) for fast scatters at many (node, SKU) positions.
        self.on_hand_flat = self.on_hand.reshape(-1)
        self.on_order_flat = self.on_order.reshape(-1)
        # Units may be added in the arrays' own precision: always in double precision, and in
        # single precision when units are whole (exact there up to 16.7 million).
        self._own_precision = dtype == np.float64 or model.integral
        # Sums over SKUs and over nodes as matrix-vector products (exact for whole units).
        self._ones_k = np.ones(k, dtype)
        self._ones_n = np.ones(n, dtype)
        self.hub_stock = np.zeros(n)  # units waiting in each hub (hub rows only)
        # Pipeline holding is charged at the shipping node's rate. With one holding rate per SKU
        # everywhere (the common case) costs are products with a vector; otherwise the units in
        # transit are also kept per link.
        self.link_child = np.array([link.child for link in model.links], dtype=np.int64)
        self.link_source = np.array([link.source for link in model.links], dtype=np.int64)
        holding = model.holding
        self.uniform_holding = holding[0] if bool((holding == holding[:1]).all()) else None
        self.in_transit_link = np.zeros((n_links, k)) if self.uniform_holding is None else None
        # A large store block keeps its stock totals from the day's changes (see twin.engine.totals).
        self.totals = None
        if (self.stores is not None and model.integral and self.uniform_holding is not None
                and (self.stores.stop - self.stores.start) * k >= totals.MIN_POSITIONS):
            a, b = self.stores.start, self.stores.stop
            self.totals = totals.BlockTotals(a, b, self.uniform_holding, self._stock(),
                                             lambda array: self._totals(array[a:b], self.uniform_holding, True))
        self.any_backorder_cost = bool(model.backorder_cost.any())
        self.plans: list = []  # the sources' order books (twin.engine.orders.SourcePlan), set by the engine
        self.today = {name: np.zeros(n) for name in DAY_COUNTERS}
        self.daily = {name: np.zeros((horizon_days, n)) for name in DAY_COUNTERS + DAY_LEVELS}
        self.sku = {name: np.zeros(k) for name in SKU_TOTALS}
        self.sku_today = {name: np.zeros(k) for name in ("purchase_cost_usd", "transport_cost_usd",
                                                          "ordering_cost_usd")}
        self.receipts: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}  # day -> [(link, cols, units)]
        # Transport costs of legs departing on a later day: day -> [(node row, cost, SKU cols, shares)].
        self.later_costs: dict[int, list[tuple[int, float, np.ndarray, np.ndarray]]] = {}
        # Legs that share a fixed charge per lane, day and mode, by day they leave (see add_fixed_legs).
        self.fixed_legs: dict[int, list[tuple]] = {}

    def release(self) -> None:
        """Drop the node x SKU working arrays once the run is over (the records stay).

        salabim keeps its last environment, and with it the components and this state, alive
        until the next environment is made: without this, a finished run's arrays (600 MB at
        25M positions) would sit beside the report or the next replication's own.
        """
        self.on_hand = self.on_order = self.backorders = self.held = None
        self.on_hand_flat = self.on_order_flat = self.in_transit_link = None
        self.stores = self.totals = None
        self.receipts.clear()
        self.plans = []

    @staticmethod
    def _store_rows(model: Model) -> np.ndarray:
        rows = [np.arange(t.start, t.stop) for t in model.tiers if t.role == STORE]
        return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)

    def _row_sums(self, array: np.ndarray) -> np.ndarray:
        """Sum over SKUs of each node (a BLAS product in whole-unit networks, where it is exact)."""
        return array @ self._ones_k if self.model.integral else array.sum(axis=1)

    def _sku_sums(self, array: np.ndarray) -> np.ndarray:
        """Sum over nodes of each SKU."""
        return self._ones_n[:len(array)] @ array if self.model.integral else array.sum(axis=0)

    def _totals(self, array: np.ndarray, h: np.ndarray | None, counting: bool):
        """Sums over SKUs by node, over nodes by SKU (if ``counting``) and value at rate ``h`` by node.

        In whole-unit networks these are BLAS products (exact for whole units), done on blocks
        of rows small enough to stay in cache, so the array is read from memory once for all three.
        """
        if not self.model.integral:
            return (array.sum(axis=1), array.sum(axis=0) if counting else None,
                    array @ h if h is not None else None)
        n, k = array.shape
        by_node = np.empty(n, array.dtype)
        value = np.empty(n, array.dtype) if h is not None else None
        by_sku = np.zeros(k) if counting else None
        for rows in row_blocks(n, k):
            block = array[rows]
            by_node[rows] = block @ self._ones_k
            if h is not None:
                value[rows] = block @ h
            if counting:
                by_sku += self._ones_n[:len(block)] @ block
        return by_node, by_sku, value

    def _stock(self) -> dict[str, np.ndarray]:
        return {"on_hand": self.on_hand, "on_order": self.on_order}

    def _stock_totals(self, kind: str, h: np.ndarray | None, counting: bool):
        """:meth:`_totals` of on-hand or on-order, the store block's rows from its running totals."""
        array, t = self._stock()[kind], self.totals
        if t is None:
            return self._totals(array, h, counting)
        above = self._totals(array[:t.start], h, counting)
        below = self._totals(array[t.stop:], h, counting)
        by_node = np.concatenate([above[0], t.by_row[kind], below[0]])
        by_sku = above[1] + t.by_sku[kind] + below[1] if counting else None
        value = np.concatenate([above[2], t.value[kind], below[2]])
        return by_node, by_sku, value

    def stock_changed(self, kinds: dict[str, float], rows: np.ndarray, cols: np.ndarray, delta: np.ndarray,
                      by_node: np.ndarray | None = None) -> None:
        """The engine changed ``kinds`` (on-hand, on-order: sign) by ``delta`` at node ``rows``, SKUs ``cols``.

        Every change to on-hand or on-order is reported here, for the running totals of a large
        store block (nothing to do otherwise). ``by_node``: ``delta`` summed by node, if known.
        """
        t = self.totals
        if t is None:
            return
        inside = (rows >= t.start) & (rows < t.stop)
        if not inside.all():
            rows, cols, delta = rows[inside], cols[inside], delta[inside]
        t.add(kinds, rows, cols, delta, by_row=None if by_node is None else by_node[t.start:t.stop])

    def row_stock_changed(self, kinds: dict[str, float], row: int, cols: np.ndarray | None,
                          delta: np.ndarray) -> None:
        """:meth:`stock_changed` for one node: ``delta`` at SKUs ``cols`` (every SKU if None)."""
        t = self.totals
        if t is not None and t.start <= row < t.stop:
            t.add_row(kinds, row, cols, delta)

    def _unshipped(self, counting: bool, h: np.ndarray | None) -> dict[str, np.ndarray | float]:
        """Units ordered and not yet shipped (held by the sources), by ordering node and by SKU.

        With one holding rate per SKU, also their value at that rate by ordering node.
        """
        m = self.model
        children, cols, qty = [], [], []
        for plan in self.plans:
            for pos, col, q in [(plan.backlog.pos, plan.backlog.col, plan.backlog.qty), *plan.new]:
                if len(q):
                    children.append(plan.children[pos])
                    cols.append(col)
                    qty.append(q)
        if not qty:
            return {"by_node": 0.0, "by_sku": 0.0, "value_by_node": 0.0}
        child, col, units = np.concatenate(children), np.concatenate(cols), np.concatenate(qty)
        return {"by_node": np.bincount(child, weights=units, minlength=m.n_nodes),
                "by_sku": np.bincount(col, weights=units, minlength=m.n_skus) if counting else 0.0,
                "value_by_node": (np.bincount(child, weights=units * h[col], minlength=m.n_nodes)
                                  if h is not None else 0.0)}

    def counting(self, day: int) -> bool:
        """Whether ``day`` counts towards KPIs (after the warm-up)."""
        return day >= self.warmup

    def close_day(self, day: int) -> None:
        """End-of-day costs on stock, then record the day (the bookkeeper's job)."""
        m = self.model
        rec = self.daily
        counting = self.counting(day)
        h = self.uniform_holding
        if self.totals is not None and ((day + 1) % totals.CHECK_EVERY == 0 or day == self.horizon - 1):
            self.totals.check(day, self._stock())
        unshipped = self._unshipped(counting, h)
        on_hand, on_hand_sku, on_hand_value = self._stock_totals("on_hand", h, counting)
        on_order, on_order_sku, on_order_value = self._stock_totals("on_order", h, counting)
        transit_sku = on_order_sku - unshipped["by_sku"] if counting else None
        rec["on_hand_units"][day] = on_hand + self.hub_stock
        rec["in_transit_units"][day] = on_order - unshipped["by_node"]
        owing = self.owing_rows
        backorders = self.backorders[owing]
        rec["backorder_units"][day][owing] = self._row_sums(backorders)
        if self.any_held:
            rec["held_units"][day] = self._row_sums(self.held)
        if h is not None:
            rec["holding_cost_usd"][day] = on_hand_value
            rec["pipeline_holding_cost_usd"][day] = on_order_value - unshipped["value_by_node"]
        else:
            rec["holding_cost_usd"][day] = (self.on_hand * m.holding).sum(axis=1)
            per_link = (self.in_transit_link * m.holding[self.link_source]).sum(axis=1)
            rec["pipeline_holding_cost_usd"][day] = np.bincount(self.link_child, weights=per_link,
                                                                minlength=m.n_nodes)
        if self.any_backorder_cost:
            rec["backorder_cost_usd"][day][owing] = (backorders * m.backorder_cost[owing]).sum(axis=1)
        for name, values in self.today.items():
            rec[name][day] = values
            values[:] = 0.0
        if counting:
            sku = self.sku
            sku["on_hand_unit_days"] += on_hand_sku
            sku["in_transit_unit_days"] += transit_sku
            sku["backorder_unit_days"] += self._sku_sums(backorders)
            if h is not None:
                sku["holding_cost_usd"] += h * on_hand_sku
                sku["pipeline_holding_cost_usd"] += h * transit_sku
            else:
                sku["holding_cost_usd"] += (self.on_hand * m.holding).sum(axis=0)
                sku["pipeline_holding_cost_usd"] += (self.in_transit_link * m.holding[self.link_source]).sum(axis=0)
            if self.any_backorder_cost:
                sku["backorder_cost_usd"] += (backorders * m.backorder_cost[owing]).sum(axis=0)
            for name, values in self.sku_today.items():
                sku[name] += values
        for values in self.sku_today.values():
            values[:] = 0.0

    def charge_transport(self, now: float, depart: float, row: int, cost: float, cols: np.ndarray,
                         share: np.ndarray) -> None:
        """Charge a leg's cost to ``row`` (and to SKUs ``cols`` by ``share``) on the day it departs."""
        day = int(np.floor(depart + 1e-9))
        if day <= int(np.floor(now + 1e-9)):
            self.today["transport_cost_usd"][row] += cost
            self.sku_today["transport_cost_usd"][cols] += cost * share
        else:
            self.later_costs.setdefault(day, []).append((row, cost, cols, share))

    def add_fixed_legs(self, days: np.ndarray, groups: np.ndarray, fixed: np.ndarray, log_rows: np.ndarray,
                       child: np.ndarray, basis: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                       cols: np.ndarray, share: np.ndarray) -> None:
        """Legs leaving on ``days`` that share one fixed charge per ``groups`` (lane and mode) and day.

        Per leg: the charge of its group if it is the first leg of the group that day
        (``fixed``), its row in the flow log, its destination row, its share basis (weight, or
        units), and its SKUs and their shares of its cost: ``cols[starts:ends]``,
        ``share[starts:ends]``. The charges are split by :meth:`share_fixed_costs`.
        """
        leaving = np.unique(days).tolist()
        for day in leaving:
            sel = slice(None) if len(leaving) == 1 else np.flatnonzero(days == day)
            self.fixed_legs.setdefault(day, []).append(
                (groups[sel], fixed[sel], log_rows[sel], child[sel], basis[sel], starts[sel], ends[sel], cols, share))

    def add_fixed_leg(self, day: int, group: int, fixed: float, log_row: int, child: int, basis: float,
                      cols: np.ndarray, share: np.ndarray) -> None:
        """:meth:`add_fixed_legs` for one leg (a leg of the carrier)."""
        self.fixed_legs.setdefault(day, []).append((group, fixed, log_row, child, basis, cols, share))

    def share_fixed_costs(self, day: int, cost_log: list) -> None:
        """Split each fixed charge of legs that left on ``day`` over the legs of its lane and mode, by basis.

        The first leg of a group that day sets the group's charge. Each leg's part is added to
        its row of ``cost_log``, to its destination's transport cost and, by the leg's shares,
        to its SKUs'.
        """
        chunks = self.fixed_legs.pop(day, None)
        if not chunks:
            return
        if any(len(c) == 7 for c in chunks):  # each run of single legs becomes one chunk, in order
            merged, singles = [], []
            for c in chunks:
                if len(c) == 7:
                    singles.append(c)
                    continue
                if singles:
                    merged.append(_chunk_of(singles))
                    singles = []
                merged.append(c)
            chunks = merged + ([_chunk_of(singles)] if singles else [])
        groups, fixed, log_rows, child, basis = (np.concatenate([c[i] for c in chunks]) for i in range(5))
        _, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
        total = np.bincount(inverse, weights=basis)[inverse]
        count = np.bincount(inverse)[inverse]
        positive = total > 0
        part = fixed[first][inverse] * np.where(positive, basis / np.where(positive, total, 1.0), 1.0 / count)
        for row, value in zip(log_rows.tolist(), part.tolist()):
            cost_log[row] += value
        np.add.at(self.today["transport_cost_usd"], child, part)
        cols_parts, weight_parts = [], []
        offset = 0
        for _, _, _, _, _, starts, ends, cols, share in chunks:
            n = len(starts)
            lengths = ends - starts
            if n and starts[0] == 0 and ends[-1] == len(cols) and bool((starts[1:] == ends[:-1]).all()):
                entries = slice(None)  # every entry of the chunk, in order (the common case)
            else:
                entries = ranges(starts, ends)
            cols_parts.append(cols[entries])
            weight_parts.append(np.repeat(part[offset:offset + n], lengths) * share[entries])
            offset += n
        self.sku_today["transport_cost_usd"] += np.bincount(np.concatenate(cols_parts),
                                                            weights=np.concatenate(weight_parts),
                                                            minlength=self.model.n_skus)

    def start_day(self, day: int) -> None:
        """Charge the costs of legs departing today that were planned on earlier days."""
        self.day = day
        for row, cost, cols, share in self.later_costs.pop(day, ()):
            self.today["transport_cost_usd"][row] += cost
            self.sku_today["transport_cost_usd"][cols] += cost * share

    def mark_dirty(self, row: int, cols: np.ndarray | None = None) -> None:
        """The inventory position of ``row`` fell at ``cols`` (ascending; all SKUs if None): review it."""
        block = self.stores
        if block is not None and block.contains(row):
            r = row - block.start
            if cols is None:
                block.mark_rows(r, r + 1)
            else:
                block.mark(r * block.k + cols)

    def mark_arrived(self, row: int, cols: np.ndarray) -> None:
        """Stock arrived at ``row`` for ``cols``: backordered customers there may be served."""
        block = self.stores
        if block is not None and block.contains(row) and not self.model.lost_sales[row]:
            block.mark_arrivals((row - block.start) * block.k + cols)

    def is_open(self, row: int) -> bool:
        return self.closed[row] == 0

    def scatter(self, ufunc: np.ufunc, target: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
        """``target[index] = ufunc(target[index], values)`` for distinct ``index`` (``np.add``, ``np.subtract``).

        Done by ``ufunc.at`` in ``target``'s precision where that gives the same numbers (one
        pass, about twice as fast at scale as reading, adding and writing back).
        """
        if self._own_precision:
            ufunc.at(target, index, values.astype(target.dtype, copy=False))
        else:
            target[index] = ufunc(target[index], values)

    def add_receipt(self, day: int, link, cols: np.ndarray, units: np.ndarray) -> None:
        """Units of SKUs ``cols`` over ``link`` that become usable at its destination on ``day``.

        ``link`` may also be an array, one link per entry (many deliveries at once; link and SKU
        pairs distinct).
        """
        self.receipts.setdefault(day, []).append((link, cols, units))

    def mark_arrived_many(self, rows: np.ndarray, cols: np.ndarray) -> None:
        """:meth:`mark_arrived` for many (row, SKU) positions."""
        block = self.stores
        if block is None or block.loses_all:
            return
        sel = (rows >= block.start) & (rows < block.stop) & ~self.model.lost_sales[rows]
        if sel.any():
            block.mark_arrivals((rows[sel] - block.start) * block.k + cols[sel])
