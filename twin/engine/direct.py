"""Shipments over one lane that nothing can block, handled in bulk.

Most shipments go from a DC to a store over a single lane: no hub on the way,
no capacity, no closure of that lane in the variant, no expediting. Such a
shipment's whole journey is known when it is filled — departure (after any
supplier processing), transit time (the lane's draw for the departure day,
changed by any lead-time shock), arrival, cost — so all of a source's
shipments of the day are handled as arrays instead of one salabim event per
leg. Everything else (hub routes, lanes that may close or fill up, rerouting,
expediting) goes leg by leg through the carrier. Both give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from twin.disruptions import Disruptions, changed_duration, cost_factor, fuel_factor
from twin.engine.state import State
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
        for link in m.links:
            if len(link.lanes) != 1:
                continue
            j = link.lanes[0]
            self.lane[link.index] = j
            if math.isinf(m.lanes[j].capacity) and j not in blocked and np.isnan(m.expedite_below[link.child]):
                self.eligible[link.index] = True
        lanes = m.lanes
        self.fixed = np.array([ln.cost_per_shipment for ln in lanes])
        km = np.array([0.0 if np.isnan(ln.distance_km) else ln.distance_km for ln in lanes])
        self.per_unit = np.array([ln.cost_per_unit for ln in lanes]) + np.array([ln.cost_per_unit_km for ln in lanes]) * km
        self.per_kg = np.array([ln.cost_per_kg_km for ln in lanes]) * km
        self.mean = np.array([ln.transit.mean for ln in lanes])
        self.supplier = np.array([k == "supplier" for k in m.kinds])
        self.lane_source = np.array([ln.source for ln in lanes], dtype=np.int64)

    def ship(self, links: np.ndarray, starts: np.ndarray, ends: np.ndarray, cols: np.ndarray, qty: np.ndarray,
             day: int) -> None:
        """Ship segment ``i`` (``cols[starts[i]:ends[i]]``, ``qty[...]``) over link ``links[i]``, filled on ``day``."""
        m, st, sh, dz = self.model, self.state, self.shipper, self.disruptions
        n = len(links)
        seg = np.repeat(np.arange(n), ends - starts)
        units = np.add.reduceat(qty, starts)
        entry_kg = qty * m.weight_kg[cols]
        weight = np.add.reduceat(entry_kg, starts)
        child, source, lane = st.link_child[links], st.link_source[links], self.lane[links]
        # Purchase: units leaving a supplier, charged to the receiving node when filled.
        from_supplier = self.supplier[source]
        if from_supplier.any():
            buy = np.where(from_supplier[seg], qty * m.unit_cost[cols], 0.0)
            st.today["purchase_cost_usd"] += np.bincount(child[seg], weights=buy, minlength=m.n_nodes)
            st.sku_today["purchase_cost_usd"] += np.bincount(cols, weights=buy, minlength=m.n_skus)
        # Departure after any supplier processing, transit by the lane's draw for that day.
        depart = np.full(n, float(day))
        for src in np.unique(source[from_supplier]) if from_supplier.any() else ():
            if src in sh.processing:
                sel = source == src
                base = sh._draw(sh.processing[src], day)
                changes = dz.processing.get(src)
                if changes:
                    base = changed_duration(base, day, changes, m.processing[src].mean)
                depart[sel] += base
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
        if (weight > 0).all():
            share = entry_kg / weight[seg]
        else:
            safe = np.where(weight > 0, weight, 1.0)
            share = np.where(weight[seg] > 0, entry_kg / safe[seg], qty / units[seg])
        today = live & (np.floor(depart + 1e-9) <= day)
        if today.any():  # (every leg, in the common case: no masks then)
            legs, on = (slice(None), slice(None)) if today.all() else (today, today[seg])
            st.today["transport_cost_usd"] += np.bincount(child[legs], weights=cost[legs], minlength=m.n_nodes)
            st.sku_today["transport_cost_usd"] += np.bincount(cols[on], weights=(cost[seg] * share)[on],
                                                              minlength=m.n_skus)
        log = sh.log
        first = len(log["cost_usd"])
        ids = np.arange(sh.next_id, sh.next_id + n)
        sh.next_id += n
        for i in np.flatnonzero(live & ~today):  # supplier shipments leaving on a later day
            a, b = starts[i], ends[i]
            st.charge_transport(float(day), depart[i], int(child[i]), float(cost[i]), cols[a:b], share[a:b])
        live_idx = np.flatnonzero(live)
        charged = self.fixed[lane[live_idx]] != 0  # legs that share a fixed charge per lane and day
        if charged.any():
            i = live_idx[charged]
            st.add_fixed_legs(np.floor(depart[i] + 1e-9).astype(np.int64), 2 * lane[i], self.fixed[lane[i]] * factor[i],
                              first + np.flatnonzero(charged), child[i], np.where(weight[i] > 0, weight[i], units[i]),
                              starts[i], ends[i], cols, share)
        log["shipment_id"].extend(ids[live_idx].tolist())
        log["leg"].extend([0] * len(live_idx))
        log["link"].extend(links[live_idx].tolist())
        log["from_row"].extend(self.lane_source[lane[live_idx]].tolist())
        log["to_row"].extend(child[live_idx].tolist())
        log["lane"].extend(lane[live_idx].tolist())
        log["depart_time"].extend(depart[live_idx].tolist())
        log["arrive_time"].extend(arrive[live_idx].tolist())
        log["units"].extend(units[live_idx].tolist())
        log["weight_kg"].extend(weight[live_idx].tolist())
        log["cost_usd"].extend(cost[live_idx].tolist())
        log["rerouted"].extend([False] * len(live_idx))
        log["expedited"].extend([False] * len(live_idx))
        # Receipts: usable from ceil(arrival), never before the day after shipping.
        usable = np.maximum(np.ceil(arrive - 1e-9), day + 1).astype(np.int64)
        days = np.unique(usable[live])
        for d in days:
            on = slice(None) if len(days) == 1 and live.all() else (live & (usable == d))[seg]
            st.add_receipt(int(d), links[seg[on]], cols[on], qty[on])
