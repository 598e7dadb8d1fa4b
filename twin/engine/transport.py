"""Shipments: vectors of units over SKUs moving leg by leg along a supply link's route.

A shipment leaves its source (after the supplier's processing time), travels
each lane of the route, waits and is handled at each hub, and becomes usable
at its destination on day ``ceil(arrival)`` (stock arriving during a day is
usable the next day unless it arrives at the day's start; never before the
day after it was shipped). Every leg is logged for the flow report.
"""

from __future__ import annotations

import math

import numpy as np

from twin.disruptions import Disruptions, changed_duration, fuel_factor
from twin.engine.state import State
from twin.model import Model, SupplyLink


class Leg:
    """One shipment on one lane of its route."""

    __slots__ = ("shipment", "index", "link", "units", "depart", "arrive", "ship_day")

    def __init__(self, shipment: int, index: int, link: SupplyLink, units: np.ndarray,
                 depart: float, arrive: float, ship_day: int):
        self.shipment = shipment
        self.index = index
        self.link = link
        self.units = units
        self.depart = depart
        self.arrive = arrive
        self.ship_day = ship_day

    @property
    def lane(self) -> int:
        return self.link.lanes[self.index]

    @property
    def is_last(self) -> bool:
        return self.index == len(self.link.lanes) - 1


FLOW_COLUMNS = ("shipment_id", "leg", "link", "from_row", "to_row", "depart_time", "arrive_time",
                "units", "weight_kg", "cost_usd")


class Shipper:
    """Creates legs: draws their transit times, charges their costs, logs them."""

    def __init__(self, state: State, disruptions: Disruptions, transit: np.ndarray,
                 processing: dict[int, np.ndarray], now=lambda: 0.0):
        self.state = state
        self.now = now                  # the simulation clock
        self.model: Model = state.model
        self.disruptions = disruptions
        self.transit = transit          # (lanes, days) base transit time by departure day
        self.processing = processing    # supplier row -> (days,) processing time by order day
        self.next_id = 0
        self.log: dict[str, list] = {name: [] for name in FLOW_COLUMNS}
        self.link_index = {id(link): i for i, link in enumerate(self.model.links)}

    def _draw(self, table: np.ndarray, t: float) -> float:
        return float(table[min(int(t), table.shape[-1] - 1)])

    def first_leg(self, link: SupplyLink, units: np.ndarray, day: int) -> Leg:
        """The first leg of a shipment filled on ``day`` by ``link.source``."""
        depart = float(day)
        if link.source in self.processing:
            base = self._draw(self.processing[link.source], day)
            changes = self.disruptions.processing.get(link.source, ())
            depart += changed_duration(base, day, changes) if changes else base
        shipment = self.next_id
        self.next_id += 1
        m = self.model
        if m.kinds[link.source] == "supplier":
            purchase = units * m.unit_cost
            self.state.today["purchase_cost_usd"][link.child] += purchase.sum()
            self.state.sku_today["purchase_cost_usd"] += purchase
        return self.leg(shipment, 0, link, units, depart, day)

    def leg(self, shipment: int, index: int, link: SupplyLink, units: np.ndarray,
            depart: float, ship_day: int) -> Leg:
        """Leg ``index`` of a shipment departing at ``depart``: transit, cost, log."""
        m = self.model
        lane_index = link.lanes[index]
        lane = m.lanes[lane_index]
        base = self._draw(self.transit[lane_index], depart)
        changes = self.disruptions.transit.get(lane_index)
        transit = changed_duration(base, depart, changes) if changes else base
        arrive = depart + transit
        total = float(units.sum())
        weights = units * m.weight_kg
        weight = float(weights.sum())
        cost = lane.cost_usd(total, weight)
        fuel = self.disruptions.fuel.get(lane_index)
        if fuel:
            cost *= 1.0 + lane.fuel_share * (fuel_factor(depart, fuel) - 1.0)
        if cost:
            share = weights / weight if weight > 0 else units / total
            self.state.charge_transport(self.now(), depart, link.child, cost, share)
        log = self.log
        log["shipment_id"].append(shipment)
        log["leg"].append(index)
        log["link"].append(self.link_index[id(link)])
        log["from_row"].append(lane.source)
        log["to_row"].append(lane.target)
        log["depart_time"].append(depart)
        log["arrive_time"].append(arrive)
        log["units"].append(total)
        log["weight_kg"].append(weight)
        log["cost_usd"].append(cost)
        return Leg(shipment, index, link, units, depart, arrive, ship_day)

    def usable_day(self, leg: Leg) -> int:
        """Day from which the units of a final leg can be used at the destination."""
        return max(math.ceil(leg.arrive - 1e-9), leg.ship_day + 1)

    def flows(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(values) for name, values in self.log.items()}
