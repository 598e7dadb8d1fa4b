"""The salabim components that run time: few, long-lived, doing array work.

Priorities order what happens at the same instant (lower first):

====  ==========================================================
 -1   Bookkeeper closes the previous day (costs on end-of-day stock)
  0   Switches close and reopen nodes and lanes; stock is destroyed or held
  1   Carrier moves legs departing or arriving now
  2   Hubs handle waiting goods
  5   Dock makes today's receipts usable
 10+  Tiers: stores first, then the nodes that supply them, upstream
====  ==========================================================
"""

from __future__ import annotations

import heapq
import math
import time
from collections import deque

import salabim as sim

from twin.allocation import split_amount
from twin.disruptions import capacity_factor
from twin.engine import steps
from twin.engine.state import State
from twin.engine.transport import Leg, Shipper

BOOKKEEPER, SWITCH, CARRIER, HUB, DOCK, TIER = -1, 0, 1, 2, 5, 10
DEPART, ARRIVE = 0, 1


class Carrier(sim.Component):
    """Moves every shipment: departs legs when their lane is open and has room, delivers arrivals."""

    def setup(self, state: State, shipper: Shipper):
        self.state = state
        self.shipper = shipper
        self.events: list[tuple[float, int, int, Leg]] = []
        self.seq = 0
        self.hubs: dict[int, "Hub"] = {}
        self.waiting: dict[int, deque[Leg]] = {}  # closed lane -> legs waiting at its start
        self.wake_at = math.inf

    def _schedule(self, t: float, kind: int, leg: Leg) -> None:
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, kind, leg))
        if t < self.wake_at:
            self.wake_at = t
            self.activate(at=max(t, self.env.now()), priority=CARRIER)

    def depart(self, leg: Leg, t: float) -> None:
        """Schedule ``leg`` to leave the start of its current lane at time ``t``."""
        self._schedule(t, DEPART, leg)

    def process(self):
        timers = self.state.timers
        while True:
            now = self.env.now()
            clock = time.perf_counter()
            while self.events and self.events[0][0] <= now:
                _, _, kind, leg = heapq.heappop(self.events)
                if kind == ARRIVE:
                    self.deliver(leg)
                else:
                    self.try_depart(leg, now)
            timers.add("transport", clock)
            if self.events:
                self.wake_at = self.events[0][0]
                self.hold(till=self.wake_at, priority=CARRIER)
            else:
                self.wake_at = math.inf
                self.passivate()

    def try_depart(self, leg: Leg, now: float) -> None:
        shipper, state = self.shipper, self.state
        if now >= state.horizon:
            return  # the run is over: the goods stay in transit
        if shipper.disruptions.reroute != "wait" and shipper.blocked(leg):
            shipper.reroute(leg)
        lane = leg.lane
        if state.lane_closed[lane]:
            self.waiting.setdefault(lane, deque()).append(leg)
            return
        room = shipper.room(lane, now)
        units = float(leg.units.sum())
        if room < units - 1e-9:
            going = split_amount(leg.units, room, state.model.integral) if room > 1e-9 else None
            if going is not None and going.sum() > 0:
                part = leg.split(going)
                self._launch(part, now)
            self._schedule(math.floor(now + 1e-9) + 1.0, DEPART, leg)  # the rest tries tomorrow
            return
        self._launch(leg, now)

    def _launch(self, leg: Leg, now: float) -> None:
        self.shipper.launch(leg, now)
        self._schedule(leg.arrive, ARRIVE, leg)

    def reopen_lane(self, lane: int) -> None:
        """A lane reopened: the legs waiting at its start try to leave now."""
        waiting = self.waiting.pop(lane, deque())
        now = self.env.now()
        for leg in waiting:
            self._schedule(now, DEPART, leg)

    def deliver(self, leg: Leg) -> None:
        lane = self.state.model.lanes[leg.lane]
        if leg.is_last:
            self.state.add_receipt(self.shipper.usable_day(leg), leg.link.index, leg.cols, leg.units)
        else:
            self.hubs[lane.target].receive(leg)


class Hub(sim.Component):
    """A transit hub: handles arriving goods first come first served within a daily capacity."""

    def setup(self, state: State, carrier: Carrier, row: int, capacity_changes):
        self.state = state
        self.carrier = carrier
        self.row = row
        m = state.model
        self.capacity = float(m.capacity[row])
        self.capacity_changes = capacity_changes
        self.handling = float(m.handling_days[row])
        self.waiting: deque[Leg] = deque()
        self.room_day = -1
        self.room = self.capacity

    @property
    def is_open(self) -> bool:
        return self.state.closed[self.row] == 0

    def reopened(self) -> None:
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
            if day >= self.state.horizon:
                self.passivate()  # the run is over
                continue
            if day != self.room_day:
                factor = capacity_factor(day, self.capacity_changes) if self.capacity_changes else 1.0
                self.room_day, self.room = day, self.capacity * factor
            if self.room <= 1e-9:
                self.hold(till=day + 1, priority=HUB)
                continue
            leg = self.waiting[0]
            going = split_amount(leg.units, self.room, integral)
            moved = float(going.sum())
            if moved <= 0:
                self.hold(till=day + 1, priority=HUB)
                continue
            if moved >= float(leg.units.sum()) - 1e-12:
                self.waiting.popleft()
                part = leg
            else:
                part = leg.split(going)
            self.room -= moved
            self.state.hub_stock[self.row] -= moved
            self.state.today["shipped_units"][self.row] += moved
            part.index += 1
            self.carrier.depart(part, now + self.handling)


class NodeSwitch(sim.Component):
    """Closes a node at the start of a window and reopens it at its end."""

    def setup(self, state: State, row: int, start: float, end: float, hub: Hub | None):
        self.state, self.row, self.start, self.end, self.hub = state, row, start, end, hub

    def process(self):
        self.hold(till=self.start, priority=SWITCH)
        self.state.closed[self.row] += 1
        if math.isinf(self.end):
            return
        self.hold(till=self.end, priority=SWITCH)
        self.state.closed[self.row] -= 1
        if self.hub is not None:
            self.hub.reopened()


class LaneSwitch(sim.Component):
    """Closes a lane at the start of a window and reopens it at its end."""

    def setup(self, state: State, carrier: Carrier, lane: int, start: float, end: float):
        self.state, self.carrier, self.lane, self.start, self.end = state, carrier, lane, start, end

    def process(self):
        self.hold(till=self.start, priority=SWITCH)
        self.state.lane_closed[self.lane] += 1
        if math.isinf(self.end):
            return
        self.hold(till=self.end, priority=SWITCH)
        self.state.lane_closed[self.lane] -= 1
        if self.state.lane_closed[self.lane] == 0:
            self.carrier.reopen_lane(self.lane)


class StockEvent(sim.Component):
    """Destroys (fire, flood) or holds (quality hold, released later) part of a node's stock."""

    def setup(self, state: State, loss):
        self.state, self.loss = state, loss

    def process(self):
        loss = self.loss
        self.hold(till=loss.time, priority=SWITCH)
        amount = steps.lose_inventory(self.state, loss.row, loss.fraction, loss.skus, hold=loss.release is not None)
        if loss.release is None:
            return
        self.hold(till=loss.release, priority=SWITCH)
        steps.release_held(self.state, loss.row, amount)


class Dock(sim.Component):
    """Makes the units due each day usable, before anything else happens that day."""

    def setup(self, state: State):
        self.state = state

    def process(self):
        for day in range(self.state.horizon):
            self.hold(till=day, priority=DOCK)
            clock = time.perf_counter()
            self.state.start_day(day)
            steps.receive(self.state, day)
            self.state.timers.add("receipts", clock)


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
    """Closes each day: fixed lane charges, costs on end-of-day stock, and the day's record."""

    def setup(self, state: State, shipper: Shipper, on_day=None):
        self.state = state
        self.shipper = shipper
        self.on_day = on_day  # callable(day) as each day closes, or None

    def process(self):
        for day in range(self.state.horizon):
            self.hold(till=day + 1, priority=BOOKKEEPER)
            clock = time.perf_counter()
            self.shipper.share_fixed_costs(day)
            self.state.close_day(day)
            self.state.timers.add("recording", clock)
            if self.on_day is not None:
                self.on_day(day)


def environment() -> sim.Environment:
    """A quiet salabim environment: no trace, no animation, global random state untouched."""
    sim.yieldless(True)
    return sim.Environment(trace=False, random_seed="", set_numpy_random_seed=False)
