"""Orders between nodes: placing them on supply links, and filling them at the source.

Orders are kept per supply link, so a node may order some SKUs from one
source and others from another, and switch to an alternate source while its
source is closed. A source holds its orders as triples (link, SKU, units):
today's new orders and the backlog of older ones. At scale a store orders a
few percent of the assortment on a given day, so filling works on those
triples only; the result equals the dense rule: older orders first, and when
a SKU is short, each request of that SKU gets its proportional share (whole
units by largest remainder, ties to the earlier link).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from twin.engine.state import State, ranges, run_starts
from twin.model import Model, SupplyLink

Ship = Callable[[SupplyLink, np.ndarray, np.ndarray, int], None]  # link, SKU columns, units, day


class Dispatch:
    """Where filled orders go: in bulk over direct lanes, or leg by leg through the carrier."""

    def __init__(self, one: Ship, many=None, eligible: np.ndarray | None = None):
        self.one, self.many, self.eligible = one, many, eligible

_EMPTY_I = np.zeros(0, dtype=np.int64)
_EMPTY_F = np.zeros(0)


@dataclass
class Orders:
    """Orders as triples: position of the link in its source's plan, SKU column, units."""

    pos: np.ndarray = field(default_factory=lambda: _EMPTY_I)
    col: np.ndarray = field(default_factory=lambda: _EMPTY_I)
    qty: np.ndarray = field(default_factory=lambda: _EMPTY_F)

    def __len__(self) -> int:
        return len(self.qty)


@dataclass
class SourcePlan:
    """The links a source row fills each day, with the orders placed on them."""

    row: int
    links: list[SupplyLink]
    index: np.ndarray     # (m,) link indices
    children: np.ndarray  # (m,) child rows
    backlog: Orders = field(default_factory=Orders)
    new: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    def take_new(self, width: int) -> tuple[Orders, np.ndarray]:
        """Today's orders (one triple per link and SKU), emptied, with their keys (see :func:`_merge`)."""
        if not self.new:
            return Orders(), _EMPTY_I
        if len(self.new) == 1:
            (pos, col, qty), = self.new
        else:
            pos = np.concatenate([p for p, _, _ in self.new])
            col = np.concatenate([c for _, c, _ in self.new])
            qty = np.concatenate([q for _, _, q in self.new])
        self.new.clear()
        return _merge(pos, col, qty, width)


def _merge(pos: np.ndarray, col: np.ndarray, qty: np.ndarray, width: int) -> tuple[Orders, np.ndarray]:
    """Triples sorted by (link position, SKU), duplicates summed, with their keys ``pos * width + col``.

    ``width`` is more than any SKU column (the number of SKUs), so the keys sort as the triples.
    """
    if len(pos) == 0:
        return Orders(), _EMPTY_I
    key = pos.astype(np.int64, copy=False) * width + col
    if bool((key[1:] > key[:-1]).all()):  # already sorted and distinct (orders as placed)
        return Orders(pos, col, qty), key
    order = np.argsort(key, kind="stable")
    key, pos, col, qty = key[order], pos[order], col[order], qty[order]
    first = np.concatenate([[True], key[1:] != key[:-1]])
    if first.all():
        return Orders(pos, col, qty), key
    starts = np.flatnonzero(first)
    return Orders(pos[starts], col[starts], np.add.reduceat(qty, starts)), key[starts]


def _union(a: Orders, b: Orders, key_a: np.ndarray, key_b: np.ndarray) -> Orders:
    """The triples of ``a`` and ``b`` (each sorted by ``key`` and distinct) in key order, equal keys summed.

    When one side is empty, the other is returned as it is (not copied).
    """
    if not len(key_a):
        return b
    if not len(key_b):
        return a
    at = np.searchsorted(key_b, key_a)  # where each key of ``a`` falls among the keys of ``b``
    inside = at < len(key_b)
    same = np.zeros(len(key_a), dtype=bool)
    same[inside] = key_b[at[inside]] == key_a[inside]
    extra = np.flatnonzero(~same)
    if not len(extra):  # every key of ``a`` is among those of ``b``
        qty = np.array(b.qty, dtype=np.float64)
        qty[at] += a.qty
        return Orders(b.pos, b.col, qty)
    # Each extra key of ``a`` goes before the key of ``b`` it was found at, after the extra keys
    # before it; ``b`` fills the other places in order (a mask copy: much faster than a scatter).
    size = len(key_b) + len(extra)
    to_extra = at[extra] + np.arange(len(extra))
    from_b = np.ones(size, dtype=bool)
    from_b[to_extra] = False
    pos, col, qty = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64), np.empty(size)
    pos[from_b], col[from_b], qty[from_b] = b.pos, b.col, b.qty
    pos[to_extra], col[to_extra], qty[to_extra] = a.pos[extra], a.col[extra], a.qty[extra]
    matched = np.flatnonzero(same)
    if len(matched):  # a matched key of ``a`` sits where its key of ``b`` went: moved by the extras before it
        qty[at[matched] + np.cumsum(~same)[matched]] += a.qty[matched]
    return Orders(pos, col, qty)


def source_plans(model: Model) -> dict[int, SourcePlan]:
    """One :class:`SourcePlan` per node that other nodes order from."""
    by_source: dict[int, list[SupplyLink]] = {}
    for link in model.links:
        by_source.setdefault(link.source, []).append(link)
    return {row: SourcePlan(row, links, np.array([lk.index for lk in links]), np.array([lk.child for lk in links]))
            for row, links in by_source.items()}


class Ordering:
    """Places orders on the first open source of each SKU group of the ordering node."""

    def __init__(self, model: Model, plans: dict[int, SourcePlan]):
        self.model = model
        self.plans = plans
        self.groups = model.groups
        self.position = np.zeros(len(model.links), dtype=np.int64)  # link -> position in its source's plan
        self.link_source = np.array([link.source for link in model.links], dtype=np.int64)
        for plan in plans.values():
            self.position[plan.index] = np.arange(len(plan.index))
        # Fast path: nodes with one group and one link (no category split, no alternates).
        self.simple_link = np.full(model.n_nodes, -1, dtype=np.int64)
        for row, groups in self.groups.items():
            if len(groups) == 1 and len(groups[0].links) == 1 and groups[0].skus.all():
                self.simple_link[row] = groups[0].links[0]
        self.group_of = {}  # row -> (K,) index of the group each SKU belongs to (-1: none)
        for row, groups in self.groups.items():
            if self.simple_link[row] >= 0:
                continue
            owner = np.full(model.n_skus, -1, dtype=np.int64)
            for g, group in enumerate(groups):
                owner[group.skus] = g
            self.group_of[row] = owner
        self._tables: dict[tuple, np.ndarray] = {}  # (row, link of each group) -> link of each SKU

    def _add(self, links: np.ndarray, cols: np.ndarray, q: np.ndarray) -> None:
        if not len(links):
            return
        sources = self.link_source[links]
        first, last = int(sources.min()), int(sources.max())
        if first == last:
            self.plans[first].new.append((self.position[links], cols, q))
            return
        # A stable sort keeps each source's orders in the order they were placed; on a small
        # integer type numpy sorts by radix, in linear time.
        order = np.argsort((sources - first).astype(np.int16 if last - first < 2**15 else np.int64), kind="stable")
        counts = np.bincount(sources - first, minlength=last - first + 1)
        links, cols, q = links[order], cols[order], q[order]
        pos = self.position[links]
        end = 0
        for src, count in enumerate(counts.tolist(), start=first):
            if count:
                begin, end = end, end + count
                self.plans[src].new.append((pos[begin:end], cols[begin:end], q[begin:end]))

    def place(self, state: State, rows: np.ndarray, cols: np.ndarray, q: np.ndarray) -> None:
        """Order ``q`` units of SKU ``cols`` for node ``rows`` (element-wise; pairs distinct)."""
        simple = self.simple_link[rows]
        if (simple >= 0).all() and not state.closed[self.link_source[simple]].any():
            self._add(simple, cols, q)
            return
        starts = run_starts(rows)  # one run per node when rows are ascending (as reviews place them)
        ends = np.append(starts[1:], len(rows))
        links = np.empty(len(rows), dtype=np.int64)
        for a, b in zip(starts.tolist(), ends.tolist()):
            links[a:b] = self._links_of(state, int(rows[a]))[cols[a:b]]
        if len(links) and links.min() < 0:
            raise RuntimeError("an order was placed for a SKU the node has no source for")
        self._add(links, cols, q)

    def _links_of(self, state: State, row: int) -> np.ndarray:
        """The link each SKU of ``row`` is ordered over today: its group's first open source (-1: none)."""
        picks = []
        for group in self.groups.get(row, ()):
            pick = group.links[0]
            for link in group.links:
                if state.closed[self.link_source[link]] == 0:
                    pick = link
                    break
            picks.append(pick)
        key = (row, tuple(picks))
        table = self._tables.get(key)
        if table is None:
            owner = self.group_of.get(row)
            if owner is None:
                table = np.full(self.model.n_skus, picks[0] if picks else -1, dtype=np.int64)
            else:
                table = np.where(owner >= 0, np.array(picks + [-1], dtype=np.int64)[owner], -1)
            self._tables[key] = table
        return table


def allocate_groups(available: np.ndarray, group: np.ndarray, requests: np.ndarray, tie: np.ndarray,
                    integral: bool) -> np.ndarray:
    """Units shipped to each request when request ``i`` draws on ``available[group[i]]``.

    Short groups are shared in proportion to requests; in whole units the shares
    are rounded down and the units left go one each to the largest remainders
    (ties to the smaller ``tie``). Equals :func:`twin.allocation.allocate`
    column by column.
    """
    n_groups = len(available)
    total = np.bincount(group, weights=requests, minlength=n_groups)
    short = total > available
    if not short.any():
        return requests.copy()
    shipped = requests.copy()
    hit = short[group]
    g, req = group[hit], requests[hit]
    avail = np.maximum(available, 0.0)
    share = req * (avail[g] / total[g])
    if integral:
        base = np.minimum(np.floor(share + 1e-9), req)
        left = np.floor(avail + 1e-9) - np.bincount(g, weights=base, minlength=n_groups)
        remainder = np.where(base < req, share - base, -1.0)
        order = np.lexsort((tie[hit], -remainder, g))
        sorted_g = g[order]
        first = np.concatenate([[True], sorted_g[1:] != sorted_g[:-1]])
        run_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - run_start
        base += (rank < left[g]) & (base < req)
        share = base
    shipped[hit] = share
    return shipped


def _cut_to_room(room: float, old: np.ndarray, new: np.ndarray, old_tie: np.ndarray, new_tie: np.ndarray,
                 integral: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cut the units to ship down to ``room`` units in all: older orders first."""
    room_old = min(room, float(old.sum()))
    cut_old = allocate_groups(np.array([room_old]), np.zeros(len(old), dtype=np.int64), old, old_tie, integral)
    room_new = max(min(room - float(cut_old.sum()), float(new.sum())), 0.0)
    cut_new = allocate_groups(np.array([room_new]), np.zeros(len(new), dtype=np.int64), new, new_tie, integral)
    return cut_old, cut_new


def _positive(old: Orders, key_old: np.ndarray, qty_old: np.ndarray,
              new: Orders, key_new: np.ndarray, qty_new: np.ndarray) -> Orders:
    """The union of the old and the new triples, with quantities ``qty_old`` and ``qty_new``, where positive.

    (A triple in both sums its quantities: the same as the union of all, then filtered.)
    """
    a, ka = _where(old, key_old, qty_old > 0, qty_old)
    b, kb = _where(new, key_new, qty_new > 0, qty_new)
    return _union(a, b, ka, kb)


def _where(orders: Orders, key: np.ndarray, mask: np.ndarray, qty: np.ndarray) -> tuple[Orders, np.ndarray]:
    """The triples of ``orders`` where ``mask`` holds, with quantities ``qty``, and their keys."""
    if mask.all():
        return Orders(orders.pos, orders.col, qty), key
    return Orders(orders.pos[mask], orders.col[mask], qty[mask]), key[mask]


def fill_orders(state: State, plan: SourcePlan, day: int, ship: Dispatch, capacity_units: float = np.inf,
                unlimited_stock: bool = False, observe: bool = False) -> np.ndarray | None:
    """Fill the orders ``plan.row`` holds: older ones first, each SKU shared proportionally when short.

    ``capacity_units`` caps the units shipped today over all SKUs and links.
    With ``observe``, returns the units newly ordered today per SKU (the node's
    observed demand, for forecasts).
    """
    m = state.model
    src, k = plan.row, m.n_skus
    old, (new, key_new) = plan.backlog, plan.take_new(k)
    observed = None
    if observe:
        observed = np.zeros(k)
        np.add.at(observed, new.col, new.qty)
    t = state.today
    t["demand_units"][src] += new.qty.sum()
    if len(old) == 0 and len(new) == 0:
        return observed
    # Keys sort the triples by (link position, SKU); as ties of the largest remainder they go to
    # the earlier link, then the lower SKU: the dense rule's order. SKU columns are the groups.
    key_old = old.pos * k + old.col
    if state.closed[src]:
        plan.backlog, _ = _merge(np.concatenate([old.pos, new.pos]), np.concatenate([old.col, new.col]),
                                 np.concatenate([old.qty, new.qty]), k)
        state.backorders[src] = np.bincount(plan.backlog.col, weights=plan.backlog.qty, minlength=k)
        return observed
    integral = m.integral
    if unlimited_stock:
        ship_old, ship_new = old.qty, new.qty
    else:
        available = state.on_hand[src].astype(np.float64)
        ship_old = allocate_groups(available, old.col, old.qty, key_old, integral)
        after = available - np.bincount(old.col, weights=ship_old, minlength=k) if len(old) else available
        ship_new = allocate_groups(after, new.col, new.qty, key_new, integral)
    if np.isfinite(capacity_units) and ship_old.sum() + ship_new.sum() > capacity_units:
        ship_old, ship_new = _cut_to_room(capacity_units, ship_old, ship_new, key_old, key_new, integral)
    shipped_total = np.bincount(new.col, weights=ship_new, minlength=k)
    if len(old):
        shipped_total += np.bincount(old.col, weights=ship_old, minlength=k)
    if not unlimited_stock:
        state.on_hand[src] -= shipped_total
        state.row_stock_changed({"on_hand": -1}, src, None, shipped_total)
    t["filled_from_stock_units"][src] += ship_new.sum()
    t["shipped_units"][src] += shipped_total.sum()
    if unlimited_stock:
        t["received_units"][src] += shipped_total.sum()  # suppliers make what they ship
    left_old, left_new = old.qty - ship_old, new.qty - ship_new
    left = _positive(old, key_old, left_old, new, key_new, left_new)  # what stays on order
    if m.lost_sales[src]:
        children = plan.children[left.pos]
        state.on_order_flat[children * k + left.col] -= left.qty
        state.stock_changed({"on_order": -1}, children, left.col, left.qty)
        for child in np.unique(children):
            state.mark_dirty(int(child), left.col[children == child])
        t["lost_units"][src] += float(left_new.sum())
        state.backorders[src] = 0.0
        plan.backlog = Orders()
    else:
        plan.backlog = left
        state.backorders[src] = np.bincount(left.col, weights=left.qty, minlength=k)
    shipped = _positive(old, key_old, ship_old, new, key_new, ship_new)  # what moves today
    pos, col, qty = shipped.pos, shipped.col, shipped.qty
    if len(qty) == 0:
        return observed
    if state.in_transit_link is not None:
        state.in_transit_link[plan.index[pos], col] += qty
    starts = run_starts(pos)
    ends = np.append(starts[1:], len(pos))
    links = plan.index[pos[starts]]
    bulk = ship.eligible[links] if ship.eligible is not None else np.zeros(len(links), dtype=bool)
    if bulk.all():
        ship.many(links, starts, ends, col, qty, day)
    elif bulk.any():  # the bulk links' segments, packed one after the other
        entries = ranges(starts[bulk], ends[bulk])
        lengths = ends[bulk] - starts[bulk]
        packed_ends = np.cumsum(lengths)
        ship.many(links[bulk], packed_ends - lengths, packed_ends, col[entries], qty[entries], day)
    for a, b in zip(starts[~bulk], ends[~bulk]):
        ship.one(plan.links[int(pos[a])], col[a:b], qty[a:b], day)
    return observed
