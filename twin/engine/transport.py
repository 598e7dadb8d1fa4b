"""Shipments: units of some SKUs moving leg by leg along a path of lanes.

A shipment carries the SKU columns it holds and their units (sparse: at scale
a store's daily delivery holds a few hundred of tens of thousands of SKUs).

A shipment leaves its source (after the supplier's processing time), travels
each lane of its path, waits and is handled at each hub, and becomes usable
at its destination on day ``ceil(arrival)`` (stock arriving during a day is
usable the next day unless it arrives at the day's start; never before the
day after it was shipped).

A leg departs when its lane is open and has room: otherwise it waits at the
lane's start. In a scenario with ``reroute`` set, a shipment whose path ahead
is blocked (a closed lane or hub) at a departure takes the best open path to
its destination instead (cheapest or fastest), paying that path's real cost
and time. Every leg is logged for the flow report.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from twin.disruptions import Disruptions, capacity_factor, changed_duration, cost_factor, fuel_factor
from twin.engine.state import State
from twin.model import Model, SupplyLink


class Leg:
    """A shipment about to travel, or travelling, lane ``path[index]``."""

    __slots__ = ("shipment", "index", "link", "path", "cols", "units", "depart", "arrive", "ship_day",
                 "rerouted", "expedited")

    def __init__(self, shipment: int, link: SupplyLink, cols: np.ndarray, units: np.ndarray, depart: float,
                 ship_day: int, expedited: bool = False):
        self.shipment = shipment
        self.index = 0
        self.link = link
        self.path: list[int] = list(link.lanes)
        self.cols = cols     # SKU columns carried
        self.units = units   # units of each
        self.depart = depart
        self.arrive = math.inf
        self.ship_day = ship_day
        self.rerouted = False
        self.expedited = expedited

    @property
    def lane(self) -> int:
        return self.path[self.index]

    @property
    def is_last(self) -> bool:
        return self.index == len(self.path) - 1

    def split(self, units: np.ndarray) -> "Leg":
        """A copy carrying ``units`` of this leg's columns (the rest stays with this leg)."""
        going = units > 0
        other = Leg(self.shipment, self.link, self.cols[going], units[going], self.depart, self.ship_day,
                    self.expedited)
        other.index, other.path, other.rerouted = self.index, list(self.path), self.rerouted
        rest = self.units - units
        keep = rest > 0
        self.cols, self.units = self.cols[keep], rest[keep]
        return other


FLOW_COLUMNS = ("shipment_id", "leg", "link", "from_row", "to_row", "lane", "depart_time", "arrive_time",
                "units", "weight_kg", "cost_usd", "rerouted", "expedited")


class Shipper:
    """Decides how legs travel: transit times, costs, waits at closed or full lanes, reroutes."""

    def __init__(self, state: State, disruptions: Disruptions, transit: np.ndarray,
                 processing: dict[int, np.ndarray], uniforms: np.ndarray, now=lambda: 0.0):
        self.state = state
        self.model: Model = state.model
        self.disruptions = disruptions
        self.transit = transit          # (lanes, days) base transit time by departure day
        self.uniforms = uniforms        # (lanes, days) the uniforms behind them (for expedited times)
        self.processing = processing    # supplier row -> (days,) processing time by order day
        self.now = now                  # the simulation clock
        self.next_id = 0
        self.log: dict[str, list] = {name: [] for name in FLOW_COLUMNS}
        self.lane_room_day = np.full(len(self.model.lanes), -1, dtype=np.int64)
        self.lane_room = np.zeros(len(self.model.lanes))

    # -- shipments ---------------------------------------------------------------------------
    def _draw(self, table: np.ndarray, t: float) -> float:
        return float(table[min(int(t), table.shape[-1] - 1)])

    def first_leg(self, link: SupplyLink, cols: np.ndarray, units: np.ndarray, day: int) -> Leg:
        """A shipment filled on ``day`` by ``link.source``, ready to depart after processing."""
        depart = float(day)
        if link.source in self.processing:
            base = self._draw(self.processing[link.source], day)
            changes = self.disruptions.processing.get(link.source)
            if changes:
                base = changed_duration(base, day, changes, self.model.processing[link.source].mean)
            depart += base
        m = self.model
        if m.kinds[link.source] == "supplier":
            purchase = units * m.unit_cost[cols]
            self.state.today["purchase_cost_usd"][link.child] += purchase.sum()
            self.state.sku_today["purchase_cost_usd"][cols] += purchase
        threshold = m.expedite_below[link.child]
        expedited = False
        if not np.isnan(threshold):
            rate = m.daily_demand_units[link.child]
            depth = self.state.on_hand[link.child].sum() / rate if rate > 0 else math.inf
            expedited = depth < threshold
        leg = Leg(self.next_id, link, cols, units, depart, day, expedited)
        self.next_id += 1
        return leg

    # -- departures ----------------------------------------------------------------------------
    def blocked(self, leg: Leg) -> bool:
        """Whether a lane or hub on the rest of the leg's path is closed now."""
        st, lanes = self.state, self.model.lanes
        for j in leg.path[leg.index:]:
            if st.lane_closed[j]:
                return True
            target = lanes[j].target
            if j != leg.path[-1] and st.closed[target]:
                return True
        return False

    def reroute(self, leg: Leg) -> bool:
        """Give ``leg`` the best open path from where it is; False if there is none."""
        m, st = self.model, self.state
        here = m.lanes[leg.lane].source
        goal = leg.link.child
        graph = m.graph
        ids = m.node_ids
        allowed = {ids[here], ids[goal]} | {ids[r] for r in m.hub_rows if not st.closed[r]}
        weight_units, weight_kg = float(leg.units.sum()), float((leg.units * m.weight_kg[leg.cols]).sum())

        def open_edge(a, b):
            return not st.lane_closed[graph.edges[a, b]["index"]]

        view = nx.subgraph_view(graph, filter_node=lambda n: n in allowed, filter_edge=open_edge)
        if self.disruptions.reroute == "cheapest":
            def weight(a, b, data):
                return m.lanes[data["index"]].cost_usd(weight_units, weight_kg) + 1e-9
        else:
            weight = "route_days"
        try:
            nodes = nx.shortest_path(view, ids[here], ids[goal], weight=weight)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return False
        lanes = [graph.edges[nodes[k], nodes[k + 1]]["index"] for k in range(len(nodes) - 1)]
        if lanes != leg.path[leg.index:]:
            leg.path = leg.path[:leg.index] + lanes
            leg.rerouted = True
        return True

    def room(self, lane_index: int, t: float) -> float:
        """Units the lane can still take on the day of ``t``."""
        lane = self.model.lanes[lane_index]
        if math.isinf(lane.capacity):
            return math.inf
        day = int(math.floor(t + 1e-9))
        if self.lane_room_day[lane_index] != day:
            self.lane_room_day[lane_index] = day
            changes = self.disruptions.lane_capacity.get(lane_index)
            factor = capacity_factor(day, changes) if changes else 1.0
            self.lane_room[lane_index] = lane.capacity * factor
        return float(self.lane_room[lane_index])

    def launch(self, leg: Leg, t: float) -> None:
        """Send ``leg`` on its lane now (time ``t``): draw its transit, charge and log it."""
        m = self.model
        lane_index = leg.lane
        lane = m.lanes[lane_index]
        leg.depart = t
        if leg.expedited and lane.expedite_transit is not None:
            from twin.sampling import duration_from_uniform
            u = self._draw(self.uniforms[lane_index], t)
            base = float(duration_from_uniform(lane.expedite_transit.as_dict(), np.array([u]))[0])
            mean = lane.expedite_transit.mean
            multiplier = lane.expedite_cost_multiplier
        else:
            base = self._draw(self.transit[lane_index], t)
            mean = lane.transit.mean
            multiplier = 1.0
        changes = self.disruptions.transit.get(lane_index)
        transit = changed_duration(base, t, changes, mean) if changes else base
        leg.arrive = t + transit
        total = float(leg.units.sum())
        weights = leg.units * m.weight_kg[leg.cols]
        weight = float(weights.sum())
        factor = multiplier
        fuel = self.disruptions.fuel.get(lane_index)
        if fuel:
            factor *= 1.0 + lane.fuel_share * (fuel_factor(t, fuel) - 1.0)
        whole = self.disruptions.cost.get(lane_index)
        if whole:
            factor *= cost_factor(t, whole)
        cost = lane.variable_cost_usd(total, weight) * factor
        share = weights / weight if weight > 0 else leg.units / total
        if cost:
            self.state.charge_transport(self.now(), t, leg.link.child, cost, leg.cols, share)
        if lane.cost_per_shipment:
            # Legs leaving a lane on the same day travel together: one fixed charge per lane,
            # day and mode (expedited or not), shared by weight when the day closes.
            mode = int(bool(leg.expedited and lane.expedite_transit is not None))
            self.state.add_fixed_leg(int(math.floor(t + 1e-9)), 2 * lane_index + mode, lane.cost_per_shipment * factor,
                                     len(self.log["cost_usd"]), leg.link.child, weight if weight > 0 else total,
                                     leg.cols, share)
        if not math.isinf(lane.capacity):
            self.lane_room[lane_index] -= total
        log = self.log
        log["shipment_id"].append(leg.shipment)
        log["leg"].append(leg.index)
        log["link"].append(leg.link.index)
        log["from_row"].append(lane.source)
        log["to_row"].append(lane.target)
        log["lane"].append(lane_index)
        log["depart_time"].append(t)
        log["arrive_time"].append(leg.arrive)
        log["units"].append(total)
        log["weight_kg"].append(weight)
        log["cost_usd"].append(cost)
        log["rerouted"].append(leg.rerouted)
        log["expedited"].append(leg.expedited and lane.expedite_transit is not None)

    def usable_day(self, leg: Leg) -> int:
        """Day from which the units of a final leg can be used at the destination."""
        return max(math.ceil(leg.arrive - 1e-9), leg.ship_day + 1)

    def share_fixed_costs(self, day: int) -> None:
        """Split the fixed charge of each lane used on ``day`` over its legs, by weight."""
        self.state.share_fixed_costs(day, self.log["cost_usd"])

    def flows(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(values) for name, values in self.log.items()}
