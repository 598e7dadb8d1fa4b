"""Shipments whose journey nothing can change, handled in bulk.

Most shipments go from a DC to a store over a single lane: no hub on the way,
no capacity, no closure of that lane in the variant, no expediting. Such a
shipment's whole journey is known when it is filled — departure (after any
supplier processing), transit time (the lane's draw for the departure day,
changed by any lead-time shock), arrival, cost — so all of a source's
shipments of the day are handled as arrays instead of one salabim event per
leg. The same holds for a route through hubs when no lane of it can close or
fill up or has its times or costs changed in the variant, and every hub on it
is uncapacitated and never closes: each hub then sends the goods on as they
arrive, after its handling time. Everything else (lanes and hubs that may
close or fill up, rerouting, expediting) goes leg by leg through the carrier.
Both give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from twin.disruptions import Disruptions, changed_duration, cost_factor, fuel_factor
from twin.engine.state import State, pack_segments
from twin.engine.transport import Shipper


class DirectShipping:
    """Bulk handling of the shipments of links whose route is one unblockable lane."""

    def __init__(self, shipper: Shipper, disruptions: Disruptions):
        self.shipper = shipper
        self.state: State = shipper.state
        m = self.model = shipper.model
        self.disruptions = disruptions
        blocked = {c.lane for c in disruptions.lane_closures} | set(disruptions.lane_capacity)
        n_links = len(m.links)
        self.eligible = np.zeros(n_links, dtype=bool)
        self.lane = np.zeros(n_links, dtype=np.int64)
        changed = set(disruptions.transit) | set(disruptions.fuel) | set(disruptions.cost)
        steady_hubs = {r for r in m.hub_rows if math.isinf(m.capacity[r])} - {c.row for c in disruptions.closures} \
            - set(disruptions.node_capacity)
        longest = max([len(link.lanes) for link in m.links] or [1])
        self.n_lanes = np.array([len(link.lanes) for link in m.links], dtype=np.int64)
        self.path = np.zeros((n_links, longest), dtype=np.int64)  # lanes of each route (padded with its last)
        for link in m.links:
            path = list(link.lanes)
            self.path[link.index] = path + path[-1:] * (longest - len(path))
            if not np.isnan(m.expedite_below[link.child]) or any(
                    not math.isinf(m.lanes[j].capacity) or j in blocked for j in path):
                continue
            if len(path) == 1:
                self.lane[link.index] = path[0]
                self.eligible[link.index] = True
            elif not any(j in changed for j in path) and all(m.lanes[j].target in steady_hubs for j in path[:-1]):
                self.eligible[link.index] = True
        lanes = m.lanes
        self.fixed = np.array([ln.cost_per_shipment for ln in lanes])
        km = np.array([0.0 if np.isnan(ln.distance_km) else ln.distance_km for ln in lanes])
        self.per_unit = np.array([ln.cost_per_unit for ln in lanes]) + np.array([ln.cost_per_unit_km for ln in lanes]) * km
        self.per_kg = np.array([ln.cost_per_kg_km for ln in lanes]) * km
        self.mean = np.array([ln.transit.mean for ln in lanes])
        self.supplier = np.array([k == "supplier" for k in m.kinds])
        self.lane_source = np.array([ln.source for ln in lanes], dtype=np.int64)
        self.lane_target = np.array([ln.target for ln in lanes], dtype=np.int64)

    def ship(self, links: np.ndarray, starts: np.ndarray, ends: np.ndarray, cols: np.ndarray, qty: np.ndarray,
             day: int) -> None:
        """Ship segment ``i`` (``cols[starts[i]:ends[i]]``, ``qty[...]``) over link ``links[i]``, filled on ``day``.

        The segments lie one after the other and cover ``cols`` and ``qty``.
        """
        via_hubs = self.n_lanes[links] > 1
        if not via_hubs.any():
            self._ship_lanes(links, starts, ends, cols, qty, day)
            return
        for sel, ship in ((~via_hubs, self._ship_lanes), (via_hubs, self._ship_paths)):
            if sel.all():
                ship(links, starts, ends, cols, qty, day)
            elif sel.any():
                ship(links[sel], *pack_segments(starts[sel], ends[sel], cols, qty), day)

    def _load(self, links: np.ndarray, starts: np.ndarray, ends: np.ndarray, cols: np.ndarray, qty: np.ndarray,
              day: int):
        """Purchase costs of what leaves suppliers, and each shipment's units, weight and departure time."""
        m, st, sh, dz = self.model, self.state, self.shipper, self.disruptions
        n = len(links)
        seg = np.repeat(np.arange(n), ends - starts)
        units = np.add.reduceat(qty, starts)
        entry_kg = qty * m.weight_kg[cols]
        weight = np.add.reduceat(entry_kg, starts)
        child, source = st.link_child[links], st.link_source[links]
        # Purchase: units leaving a supplier, charged to the receiving node when filled.
        from_supplier = self.supplier[source]
        if from_supplier.any():
            buy = np.where(from_supplier[seg], qty * m.unit_cost[cols], 0.0)
            st.today["purchase_cost_usd"] += np.bincount(child[seg], weights=buy, minlength=m.n_nodes)
            st.sku_today["purchase_cost_usd"] += np.bincount(cols, weights=buy, minlength=m.n_skus)
        # Departure after any supplier processing.
        depart = np.full(n, float(day))
        for src in np.unique(source[from_supplier]) if from_supplier.any() else ():
            if src in sh.processing:
                sel = source == src
                base = sh._draw(sh.processing[src], day)
                changes = dz.processing.get(src)
                if changes:
                    base = changed_duration(base, day, changes, m.processing[src].mean)
                depart[sel] += base
        if (weight > 0).all():
            share = entry_kg / weight[seg]
        else:
            safe = np.where(weight > 0, weight, 1.0)
            share = np.where(weight[seg] > 0, entry_kg / safe[seg], qty / units[seg])
        return seg, units, weight, share, child, depart

    def _charge(self, legs: np.ndarray, day: int, depart: np.ndarray, cost: np.ndarray, child: np.ndarray,
                seg: np.ndarray, starts: np.ndarray, ends: np.ndarray, cols: np.ndarray, share: np.ndarray) -> None:
        """Charge the cost of legs ``legs`` (a mask) to their destination, on the day each departs."""
        m, st = self.model, self.state
        today = legs & (np.floor(depart + 1e-9) <= day)
        if today.any():  # (every leg, in the common case: no masks then)
            sel, on = (slice(None), slice(None)) if today.all() else (today, today[seg])
            st.today["transport_cost_usd"] += np.bincount(child[sel], weights=cost[sel], minlength=m.n_nodes)
            st.sku_today["transport_cost_usd"] += np.bincount(cols[on], weights=(cost[seg] * share)[on],
                                                              minlength=m.n_skus)
        for i in np.flatnonzero(legs & ~today):  # legs leaving on a later day
            a, b = starts[i], ends[i]
            st.charge_transport(float(day), depart[i], int(child[i]), float(cost[i]), cols[a:b], share[a:b])

    def _log(self, legs: np.ndarray, ids: np.ndarray, leg: int, links: np.ndarray, lane: np.ndarray,
             depart: np.ndarray, arrive: np.ndarray, units: np.ndarray, weight: np.ndarray, cost: np.ndarray,
             factor: np.ndarray | None, child: np.ndarray, starts: np.ndarray, ends: np.ndarray, cols: np.ndarray,
             share: np.ndarray) -> None:
        """Log legs ``legs`` (indices) of the shipments, and register those that share a fixed lane charge."""
        log = self.shipper.log
        first = len(log["cost_usd"])
        charged = self.fixed[lane[legs]] != 0  # legs that share a fixed charge per lane and day
        if charged.any():
            i = legs[charged]
            fixed = self.fixed[lane[i]] * (factor[i] if factor is not None else 1.0)
            self.state.add_fixed_legs(np.floor(depart[i] + 1e-9).astype(np.int64), 2 * lane[i], fixed,
                                      first + np.flatnonzero(charged), child[i],
                                      np.where(weight[i] > 0, weight[i], units[i]), starts[i], ends[i], cols, share)
        count = len(legs)
        log["shipment_id"].extend(ids[legs].tolist())
        log["leg"].extend([leg] * count)
        log["link"].extend(links[legs].tolist())
        log["from_row"].extend(self.lane_source[lane[legs]].tolist())
        log["to_row"].extend(self.lane_target[lane[legs]].tolist())
        log["lane"].extend(lane[legs].tolist())
        log["depart_time"].extend(depart[legs].tolist())
        log["arrive_time"].extend(arrive[legs].tolist())
        log["units"].extend(units[legs].tolist())
        log["weight_kg"].extend(weight[legs].tolist())
        log["cost_usd"].extend(cost[legs].tolist())
        log["rerouted"].extend([False] * count)
        log["expedited"].extend([False] * count)

    def _receive(self, live: np.ndarray, seg: np.ndarray, links: np.ndarray, arrive: np.ndarray,
                 cols: np.ndarray, qty: np.ndarray, day: int) -> None:
        """Receipts of the shipments whose last leg left: usable from ceil(arrival), never before the day after shipping."""
        usable = np.maximum(np.ceil(arrive - 1e-9), day + 1).astype(np.int64)
        days = np.unique(usable[live])
        for d in days:
            on = slice(None) if len(days) == 1 and live.all() else (live & (usable == d))[seg]
            self.state.add_receipt(int(d), links[seg[on]], cols[on], qty[on])

    def _ids(self, n: int) -> np.ndarray:
        sh = self.shipper
        ids = np.arange(sh.next_id, sh.next_id + n)
        sh.next_id += n
        return ids

    def _ship_paths(self, links: np.ndarray, starts: np.ndarray, ends: np.ndarray, cols: np.ndarray,
                    qty: np.ndarray, day: int) -> None:
        """Shipments over routes through steady hubs (see the module): every leg worked out at once."""
        m, st, sh = self.model, self.state, self.shipper
        seg, units, weight, share, child, depart = self._load(links, starts, ends, cols, qty, day)
        ids = self._ids(len(links))
        n_lanes, horizon = self.n_lanes[links], st.horizon
        live = depart < horizon  # legs leaving after the end stay in transit, unlogged, as leg by leg
        arrive = depart
        last_arrive, last_live = depart, np.zeros(len(links), dtype=bool)
        for k in range(int(n_lanes.max())):
            lane = self.path[links, k]
            if k:  # the goods reach the hub at the start of this lane and leave after its handling time
                hub = self.lane_source[lane]
                at_day = np.floor(arrive + 1e-9).astype(np.int64)
                handled = live & (n_lanes > k) & (at_day < horizon)
                if handled.any():  # received and sent on that day (shipped on the hub's clock)
                    st.count_at_hubs(day, at_day[handled], hub[handled], units[handled])
                depart = arrive + m.handling_days[hub]
                live = handled & (depart < horizon)
            column = np.minimum(depart.astype(np.int64), sh.transit.shape[1] - 1)
            arrive = depart + sh.transit[lane, column]
            cost = self.per_unit[lane] * units + self.per_kg[lane] * weight
            self._charge(live, day, depart, cost, child, seg, starts, ends, cols, share)
            self._log(np.flatnonzero(live), ids, k, links, lane, depart, arrive, units, weight, cost, None, child,
                      starts, ends, cols, share)
            done = n_lanes == k + 1  # shipments whose last leg this is
            last_arrive = np.where(done, arrive, last_arrive)
            last_live = np.where(done, live, last_live)
        self._receive(last_live, seg, links, last_arrive, cols, qty, day)

    def _ship_lanes(self, links: np.ndarray, starts: np.ndarray, ends: np.ndarray, cols: np.ndarray,
                    qty: np.ndarray, day: int) -> None:
        """Shipments over single lanes."""
        m, st, sh, dz = self.model, self.state, self.shipper, self.disruptions
        n = len(links)
        seg, units, weight, share, child, depart = self._load(links, starts, ends, cols, qty, day)
        lane = self.lane[links]
        # Transit by the lane's draw for the departure day.
        column = np.minimum(depart.astype(np.int64), sh.transit.shape[1] - 1)
        transit = sh.transit[lane, column]
        factor = np.ones(n)
        changed = (dz.transit.keys() | dz.fuel.keys() | dz.cost.keys()) if (dz.transit or dz.fuel or dz.cost) else ()
        for j in (np.intersect1d(np.unique(lane), np.fromiter(changed, dtype=np.int64)) if changed else ()):
            j = int(j)
            changes, fuel, whole = dz.transit.get(j), dz.fuel.get(j), dz.cost.get(j)
            if not (changes or fuel or whole):
                continue
            for i in np.flatnonzero(lane == j):
                if changes:
                    transit[i] = changed_duration(transit[i], depart[i], changes, self.mean[j])
                if fuel:
                    factor[i] *= 1.0 + m.lanes[j].fuel_share * (fuel_factor(depart[i], fuel) - 1.0)
                if whole:
                    factor[i] *= cost_factor(depart[i], whole)
        arrive = depart + transit
        live = depart < st.horizon  # legs leaving after the end stay in transit, unlogged, as leg by leg
        cost = (self.per_unit[lane] * units + self.per_kg[lane] * weight) * factor
        self._charge(live, day, depart, cost, child, seg, starts, ends, cols, share)
        self._log(np.flatnonzero(live), self._ids(n), 0, links, lane, depart, arrive, units, weight, cost, factor,
                  child, starts, ends, cols, share)
        self._receive(live, seg, links, arrive, cols, qty, day)
