"""The salabim components that run time: few, long-lived, doing array work.

Priorities order what happens at the same instant (lower first):

====  ==========================================================
 -1   Bookkeeper closes the previous day (costs on end-of-day stock)
  0   Switches open and close hubs
  1   Carrier delivers legs arriving now
  2   Hubs handle waiting goods
  5   Dock makes today's receipts usable
 10+  Tiers: stores first, then the nodes that supply them, upstream
====  ==========================================================
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import salabim as sim

from twin.allocation import split_amount
from twin.engine import steps
from twin.engine.state import State
from twin.engine.transport import Leg, Shipper

BOOKKEEPER, SWITCH, CARRIER, HUB, DOCK, TIER = -1, 0, 1, 2, 5, 10


class Carrier(sim.Component):
    """Moves every leg in flight; delivers each at its arrival time."""

    def setup(self, state: State, shipper: Shipper):
        self.state = state
        self.shipper = shipper
        self.in_flight: list[tuple[float, int, Leg]] = []
        self.seq = 0
        self.hubs: dict[int, "Hub"] = {}
        self.wake_at = math.inf

    def send(self, leg: Leg) -> None:
        self.seq += 1
        heapq.heappush(self.in_flight, (leg.arrive, self.seq, leg))
        if leg.arrive < self.wake_at:
            self.wake_at = leg.arrive
            self.activate(at=max(leg.arrive, self.env.now()), priority=CARRIER)

    def process(self):
        while True:
            now = self.env.now()
            while self.in_flight and self.in_flight[0][0] <= now:
                _, _, leg = heapq.heappop(self.in_flight)
                self.deliver(leg)
            if self.in_flight:
                self.wake_at = self.in_flight[0][0]
                self.hold(till=self.wake_at, priority=CARRIER)
            else:
                self.wake_at = math.inf
                self.passivate()

    def deliver(self, leg: Leg) -> None:
        lane = self.state.model.lanes[leg.lane]
        if leg.is_last:
            self.state.add_receipt(self.shipper.usable_day(leg), lane.target, leg.units)
        else:
            self.hubs[lane.target].receive(leg)


class Hub(sim.Component):
    """A transit hub: handles arriving goods first come first served within a daily capacity."""

    def setup(self, state: State, shipper: Shipper, carrier: Carrier, row: int):
        self.state = state
        self.shipper = shipper
        self.carrier = carrier
        self.row = row
        m = state.model
        self.capacity = float(m.capacity[row])
        self.handling = float(m.handling_days[row])
        self.waiting: deque[Leg] = deque()
        self.closures = 0
        self.room_day = -1
        self.room = self.capacity

    @property
    def is_open(self) -> bool:
        return self.closures == 0

    def close(self) -> None:
        self.closures += 1

    def reopen(self) -> None:
        self.closures -= 1
        if self.is_open and self.waiting:
            self.activate(priority=HUB)

    def receive(self, leg: Leg) -> None:
        self.waiting.append(leg)
        units = float(leg.units.sum())
        self.state.hub_stock[self.row] += units
        self.state.today["received_units"][self.row] += units
        if self.ispassive() and self.is_open:
            self.activate(priority=HUB)

    def process(self):
        integral = self.state.model.integral
        while True:
            if not self.waiting or not self.is_open:
                self.passivate()
                continue
            now = self.env.now()
            day = math.floor(now + 1e-9)
            if day != self.room_day:
                self.room_day, self.room = day, self.capacity
            if self.room <= 1e-9:
                self.hold(till=day + 1, priority=HUB)
                continue
            leg = self.waiting[0]
            going = split_amount(leg.units, self.room, integral)
            moved = float(going.sum())
            if moved >= float(leg.units.sum()) - 1e-12:
                self.waiting.popleft()
            else:
                leg.units = leg.units - going
            if moved <= 0:
                self.hold(till=day + 1, priority=HUB)
                continue
            self.room -= moved
            self.state.hub_stock[self.row] -= moved
            self.state.today["shipped_units"][self.row] += moved
            depart = now + self.handling
            nxt = self.shipper.leg(leg.shipment, leg.index + 1, leg.link, going, depart, leg.ship_day)
            self.carrier.send(nxt)


class Switch(sim.Component):
    """Closes a hub at the start of a closure window and reopens it at its end."""

    def setup(self, hub: Hub, start: float, end: float):
        self.hub, self.start, self.end = hub, start, end

    def process(self):
        self.hold(till=self.start, priority=SWITCH)
        self.hub.close()
        self.hold(till=self.end, priority=SWITCH)
        self.hub.reopen()


class Dock(sim.Component):
    """Makes the units due each day usable, before anything else happens that day."""

    def setup(self, state: State):
        self.state = state

    def process(self):
        for day in range(self.state.horizon):
            self.hold(till=day, priority=DOCK)
            self.state.start_day(day)
            steps.receive(self.state, day)


class TierCycle(sim.Component):
    """The daily cycle of a block of nodes of the same role and depth."""

    def setup(self, state: State, order: int, work):
        self.state = state
        self.order = order  # position of the tier, most downstream first
        self.work = work    # callable(day)

    def process(self):
        for day in range(self.state.horizon):
            self.hold(till=day, priority=TIER + self.order)
            self.work(day)


class Bookkeeper(sim.Component):
    """Closes each day: costs on end-of-day stock, and the day's record."""

    def setup(self, state: State):
        self.state = state

    def process(self):
        for day in range(self.state.horizon):
            self.hold(till=day + 1, priority=BOOKKEEPER)
            self.state.close_day(day)


def environment() -> sim.Environment:
    """A quiet salabim environment: no trace, no animation, global random state untouched."""
    sim.yieldless(True)
    return sim.Environment(trace=False, random_seed="", set_numpy_random_seed=False)
