"""Disruptions resolved to rows, lanes and windows: what the engine applies.

The scenario module turns a scenario file's selectors (and, per replication,
its random and chained events) into these plain records; the engine reads
nothing else about the scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)`` in days."""

    start: float
    end: float

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end

    @property
    def empty(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class Closure:
    """Node ``row`` is closed in ``window``: a hub handles nothing, a DC ships and receives
    nothing, a store sells and receives nothing, a supplier ships nothing."""

    row: int
    window: Window


@dataclass(frozen=True)
class LaneClosure:
    """Lane ``lane`` carries nothing in ``window``."""

    lane: int
    window: Window


@dataclass(frozen=True)
class TimeChange:
    """Durations starting in ``window`` become
    ``max(0, (mean + (duration - mean) * variability) * multiply + add_days)``."""

    window: Window
    multiply: float = 1.0
    add_days: float = 0.0
    variability: float = 1.0


@dataclass(frozen=True)
class FuelChange:
    """The fuel share of the cost of legs departing in ``window`` is scaled by ``factor``."""

    window: Window
    factor: float


@dataclass(frozen=True)
class CostChange:
    """The whole cost of legs departing in ``window`` is scaled by ``factor``."""

    window: Window
    factor: float


@dataclass(frozen=True)
class CapacityChange:
    """Capacity drops to ``fraction`` in ``window``, then recovers over ``recovery_days``.

    ``recovery``: ``step`` (back at once), ``linear`` (straight line), or
    ``exponential`` (the gap closes by 95% over ``recovery_days``).
    """

    window: Window
    fraction: float
    recovery: str = "step"
    recovery_days: float = 0.0

    def factor(self, t: float) -> float:
        if t < self.window.start:
            return 1.0
        if t < self.window.end:
            return self.fraction
        after = t - self.window.end
        if self.recovery == "step" or self.recovery_days <= 0:
            return 1.0
        gap = 1.0 - self.fraction
        if self.recovery == "linear":
            return 1.0 - gap * max(0.0, 1.0 - after / self.recovery_days)
        return 1.0 - gap * math.exp(-3.0 * after / self.recovery_days)


@dataclass(frozen=True)
class DemandChange:
    """Customer demand of stores ``rows`` for SKUs ``skus`` (None = all) is multiplied by
    ``multiply`` in ``window``, then by ``dip_multiply`` for ``dip_days`` (pull-forward dip)."""

    window: Window
    rows: tuple[int, ...]
    skus: np.ndarray | None
    multiply: float
    dip_multiply: float = 1.0
    dip_days: float = 0.0

    def factor(self, day: float) -> float:
        if self.window.contains(day):
            return self.multiply
        if self.window.end <= day < self.window.end + self.dip_days:
            return self.dip_multiply
        return 1.0


@dataclass(frozen=True)
class InventoryLoss:
    """At ``time``, ``fraction`` of node ``row``'s on-hand (SKUs ``skus``, None = all) is
    destroyed, or held until ``release`` when it is given."""

    row: int
    time: float
    fraction: float
    skus: np.ndarray | None = None
    release: float | None = None


@dataclass
class Disruptions:
    """Everything a variant changes, by node row and lane index, with concrete windows."""

    closures: list[Closure] = field(default_factory=list)
    lane_closures: list[LaneClosure] = field(default_factory=list)
    transit: dict[int, list[TimeChange]] = field(default_factory=dict)        # lane -> changes
    processing: dict[int, list[TimeChange]] = field(default_factory=dict)     # supplier row -> changes
    fuel: dict[int, list[FuelChange]] = field(default_factory=dict)           # lane -> changes
    cost: dict[int, list[CostChange]] = field(default_factory=dict)           # lane -> changes
    node_capacity: dict[int, list[CapacityChange]] = field(default_factory=dict)
    lane_capacity: dict[int, list[CapacityChange]] = field(default_factory=dict)
    demand: list[DemandChange] = field(default_factory=list)
    inventory: list[InventoryLoss] = field(default_factory=list)
    reroute: str = "wait"  # wait | cheapest | fastest

    @property
    def empty(self) -> bool:
        return not (self.closures or self.lane_closures or self.transit or self.processing or self.fuel
                    or self.cost or self.node_capacity or self.lane_capacity or self.demand or self.inventory)

    def windows(self) -> list[tuple[float, float]]:
        """Every disruption window (for before/during/after comparisons)."""
        out = [(c.window.start, c.window.end) for c in self.closures + self.lane_closures]
        for group in (self.transit, self.processing, self.fuel, self.cost, self.node_capacity,
                      self.lane_capacity):
            out += [(c.window.start, c.window.end) for changes in group.values() for c in changes]
        out += [(d.window.start, d.window.end + d.dip_days) for d in self.demand]
        out += [(i.time, i.release if i.release is not None else i.time + 1) for i in self.inventory]
        return out


def changed_duration(base: float, t: float, changes: list[TimeChange], mean: float) -> float:
    """``base`` after every change whose window contains departure time ``t``."""
    for change in changes:
        if change.window.contains(t):
            base = max(0.0, (mean + (base - mean) * change.variability) * change.multiply + change.add_days)
    return base


def fuel_factor(t: float, changes: list[FuelChange]) -> float:
    """Product of the fuel price factors in force at time ``t``."""
    factor = 1.0
    for change in changes:
        if change.window.contains(t):
            factor *= change.factor
    return factor


def cost_factor(t: float, changes: list[CostChange]) -> float:
    """Product of the transport cost factors in force at time ``t``."""
    factor = 1.0
    for change in changes:
        if change.window.contains(t):
            factor *= change.factor
    return factor


def capacity_factor(t: float, changes: list[CapacityChange]) -> float:
    """Product of the capacity factors in force at time ``t``."""
    factor = 1.0
    for change in changes:
        factor *= change.factor(t)
    return factor
