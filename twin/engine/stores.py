"""The store tier's day, done only where something happens.

At scale most store x SKU positions see no demand on a given day. The
inventory position ``on hand + on order - backorders`` changes only when
demand is served or lost-to-backorder, when an upstream node cancels orders,
or when stock is destroyed or held; receipts and backorder clearing move
units between terms without changing it. So a position needs a review only
after one of those events: positions are marked *dirty* when they happen and
reviewed (and cleaned) on their node's next review day. Backorders can be
cleared only where stock arrived, so clearing runs on the positions that
received goods. The result equals reviewing and clearing every position every
day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.engine.demand import DayDemand
from twin.engine.orders import Ordering
from twin.engine.state import State, run_starts
from twin.policy import BATCH, UP_TO, order_quantity

#: Positions whose stock serving reads and writes back together (about 16,000): their cache lines
#: stay in cache in between, which a day's hundreds of thousands of positions at once do not
#: (measured at 25M positions: serving 8% faster; the review, chunked the same way, was slower).
CHUNK = 1 << 14


def clear_backorders(state: State) -> None:
    """Serve backordered customers from stock that arrived (positions marked by receipts)."""
    block = state.stores
    if block is None or not block.any_arrived:
        return
    block.any_arrived = False
    flat = np.flatnonzero(block.clear_mask)
    block.clear_mask[flat] = False
    rows, cols = block.rows_cols(flat)
    open_rows = state.closed[rows] == 0
    oh, bo = block.flat(state.on_hand), block.flat(state.backorders)
    on_hand, backorders = oh[flat], bo[flat]
    sold = np.where(open_rows, np.minimum(on_hand, backorders), 0.0)
    keep = sold > 0
    if not keep.any():
        return
    flat, rows, cols, sold = flat[keep], rows[keep], cols[keep], sold[keep]
    oh[flat] = on_hand[keep] - sold
    bo[flat] = backorders[keep] - sold
    state.stock_changed({"on_hand": -1}, rows, cols, sold)
    m = state.model
    revenue = sold * m.price[cols]
    n = state.model.n_nodes
    state.today["sold_units"] += np.bincount(rows, weights=sold, minlength=n)
    state.today["revenue_usd"] += np.bincount(rows, weights=revenue, minlength=n)
    if state.counting(state.day):
        k = m.n_skus
        state.sku["sold_units"] += np.bincount(cols, weights=sold, minlength=k)
        state.sku["revenue_usd"] += np.bincount(cols, weights=revenue, minlength=k)


@dataclass
class Served:
    """Positions whose inventory position fell while serving, handed straight to the day's review."""

    flat: np.ndarray     # ascending flat positions of the store block
    on_hand: np.ndarray  # their on-hand after serving
    rows: np.ndarray     # their node rows
    cols: np.ndarray     # their SKU columns


def hand_over(state: State, day: int) -> bool:
    """Whether serving can hand its positions straight to the review that follows it today.

    True when every store reviews today (none closed) and no position was marked since the
    last review: the positions that fell while serving are then exactly the ones to review.
    """
    block, m = state.stores, state.model
    a, b = block.start, block.stop
    return (block.candidates is not None and not block.candidates and not (day % m.review_days[a:b]).any()
            and not state.closed[a:b].any())


def serve_customers(state: State, today: DayDemand, day: int, handing_over: bool = False) -> Served | None:
    """Serve the day's demand (closed stores sell nothing).

    Most positions are served in full; what is lost or backordered is worked out on the few
    positions that run short. The positions whose inventory position fell are marked dirty, or,
    with ``handing_over`` (see :func:`hand_over`), returned for the review instead.
    """
    block = state.stores
    m = state.model
    flat, demand, rows, cols = today.flat, today.units, today.rows, today.cols
    closed = state.closed[block.start:block.stop]
    any_closed = bool(closed.any())
    oh = block.flat(state.on_hand)
    filled = np.empty(len(flat), np.result_type(oh.dtype, demand.dtype))
    after = np.empty(len(flat), oh.dtype)
    for a in range(0, len(flat), CHUNK):
        at, b = flat[a:a + CHUNK], slice(a, a + CHUNK)
        on_hand = oh[at]
        np.minimum(on_hand, demand[b], out=filled[b])
        if any_closed:
            filled[b][closed[rows[b] - block.start] > 0] = 0.0
        after[b] = on_hand - filled[b]
        oh[at] = after[b]
    unmet = demand - filled
    short = np.flatnonzero(unmet)
    fell = filled > 0  # the inventory position fell: review these positions
    short_rows, short_cols = rows[short], cols[short]
    lost = unmet[short]
    if not block.loses_all and short.size:
        owing = ~m.lost_sales[short_rows] & (state.closed[short_rows] == 0)
        owed = np.where(owing, lost, 0.0)
        lost = lost - owed
        if owed.any():
            block.flat(state.backorders)[flat[short]] += owed
            fell[short] |= owed > 0
    served = Served(flat[fell], after[fell], rows[fell], cols[fell]) if handing_over else None
    if served is None:
        block.mark(flat[fell])
    revenue = today.value  # at full price where the demand is served in full (filled = demand there)
    if short.size:
        revenue = revenue.copy()
        revenue[short] = filled[short] * m.price[short_cols]
    # Per node: ``flat`` is ascending, so each node's positions are one run.
    starts = today.starts
    present = rows[starts]
    t = state.today
    t["demand_units"][present] += today.node_units
    sold = np.add.reduceat(filled, starts)
    t["filled_from_stock_units"][present] += sold
    t["sold_units"][present] += sold
    t["revenue_usd"][present] += np.add.reduceat(revenue, starts)
    penalty = lost * block.take(m.lost_sale_cost, flat[short], short_rows, short_cols)
    margin = lost * (m.price[short_cols] - m.unit_cost[short_cols])
    n = m.n_nodes
    t["lost_units"] += np.bincount(short_rows, weights=lost, minlength=n)
    t["lost_margin_usd"] += np.bincount(short_rows, weights=margin, minlength=n)
    t["lost_sale_cost_usd"] += np.bincount(short_rows, weights=penalty, minlength=n)
    k, counting = m.n_skus, state.counting(day)
    by_sku = None
    if counting or state.totals is not None:
        if m.integral:  # whole units: the sums are exact, so the demand less what ran short is exact too
            by_sku = today.sku_units - np.bincount(short_cols, weights=unmet[short], minlength=k)
        else:
            by_sku = np.bincount(cols, weights=filled, minlength=k)
    if state.totals is not None:
        state.totals.add({"on_hand": -1}, rows, cols, filled, by_sku=by_sku, starts=starts, run_sums=sold)
    if counting:  # per SKU over the KPI days
        sku = state.sku
        sku["demand_units"] += today.sku_units
        sku["filled_from_stock_units"] += by_sku
        sku["sold_units"] += by_sku
        sku["revenue_usd"] += np.bincount(cols, weights=revenue, minlength=k)
        sku["lost_units"] += np.bincount(short_cols, weights=lost, minlength=k)
        sku["lost_margin_usd"] += np.bincount(short_cols, weights=margin, minlength=k)
        sku["lost_sale_cost_usd"] += np.bincount(short_cols, weights=penalty, minlength=k)
    return served


def review(state: State, day: int, ordering: Ordering, forecasts, protection: np.ndarray,
           served: Served | None = None) -> None:
    """Review the dirty positions of stores whose review day it is; order where IP <= s.

    ``served``: the positions serving handed over when :func:`hand_over` held (every store
    reviews today and nothing else is dirty): they are reviewed as they are, unmarked.
    """
    dynamic_rows = [r for r in forecasts.state if state.stores.start <= r < state.stores.stop]
    block = state.stores
    m = state.model
    a, b = block.start, block.stop
    reviewing = ((day % m.review_days[a:b]) == 0) & (state.closed[a:b] == 0)
    for r in dynamic_rows:  # forecast-driven targets move every day: review the whole row
        if reviewing[r - a]:
            block.mark_rows(r - a, r - a + 1)
    if not reviewing.any():
        return
    on_hand = None
    if served is not None:
        flat, on_hand = served.flat, served.on_hand
    elif reviewing.all():
        flat = block.dirty_positions()
        block.reviewed_all()
    else:
        rows_due = np.flatnonzero(reviewing)
        view = block.dirty.reshape(b - a, block.k)[rows_due]
        r_idx, c_idx = np.nonzero(view)
        flat = rows_due[r_idx] * block.k + c_idx
    if flat.size == 0:
        return
    rows, cols = (served.rows, served.cols) if served is not None else block.rows_cols(flat)
    if on_hand is None:
        block.dirty[flat] = False
        on_hand = block.take(state.on_hand, flat, rows, cols)
    on_order = block.take(state.on_order, flat, rows, cols)
    ip = on_hand + on_order
    if not block.loses_all:  # stores that lose unmet demand owe nothing
        ip -= block.take(state.backorders, flat, rows, cols)
    s, S = block.limits(flat)
    if dynamic_rows:
        s, S = _targets(state, forecasts, protection, rows, cols, s, S)
    if (m.rule[a:b] == BATCH).any():
        q = order_quantity(ip, s, S, m.Q[rows, cols], m.rule[rows])
    else:
        q = order_quantity(ip, s, S, 0.0, UP_TO)
    ordered = np.flatnonzero(q > 0)
    if not ordered.size:
        return
    flat, rows, cols, q = flat[ordered], rows[ordered], cols[ordered], q[ordered]
    ordering.place(state, rows, cols, q)
    block.flat(state.on_order)[flat] = on_order[ordered] + q  # known: written without reading it again
    t = state.today
    starts = run_starts(rows)  # rows ascending: one run each
    present = rows[starts]
    lines = np.diff(np.append(starts, len(rows))).astype(np.float64)
    t["orders_placed"][present] += lines
    ordered_units = np.add.reduceat(q, starts)
    t["ordered_units"][present] += ordered_units
    if state.totals is not None:
        state.totals.add({"on_order": 1}, rows, cols, q, starts=starts, run_sums=ordered_units)
    cost = lines * m.order_cost[present]
    if cost.any():
        t["ordering_cost_usd"][present] += cost
        state.sku_today["ordering_cost_usd"] += np.bincount(cols, weights=m.order_cost[rows], minlength=m.n_skus)


def _targets(state: State, forecasts, protection: np.ndarray, rows, cols, s, S):
    """Order-up-to targets (protection x forecast + safety stock) where the row is forecast-driven."""
    m = state.model
    s, S = s.copy(), S.copy()
    for r in forecasts.state:
        sel = rows == r
        if sel.any():
            c = cols[sel]
            target = protection[r, c] * forecasts.value(r)[c] + m.safety_stock[r, c]
            if m.integral:
                target = np.round(target)
            s[sel] = target
            S[sel] = target
    return s, S
