"""Disruptions resolved to rows and lanes: what the engine applies.

The scenario module turns a scenario file's selectors into these plain
records; the engine reads nothing else about the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)`` in days."""

    start: float
    end: float

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Closure:
    """Hub ``row`` handles nothing in ``window``."""

    row: int
    window: Window


@dataclass(frozen=True)
class TimeChange:
    """Durations starting in ``window`` become ``max(0, duration * multiply + add_days)``."""

    window: Window
    multiply: float = 1.0
    add_days: float = 0.0


@dataclass(frozen=True)
class FuelChange:
    """The fuel share of the cost of legs departing in ``window`` is scaled by ``factor``."""

    window: Window
    factor: float


@dataclass
class Disruptions:
    """Everything a variant changes, by node row and lane index."""

    closures: list[Closure] = field(default_factory=list)
    transit: dict[int, list[TimeChange]] = field(default_factory=dict)     # lane -> changes
    processing: dict[int, list[TimeChange]] = field(default_factory=dict)  # supplier row -> changes
    fuel: dict[int, list[FuelChange]] = field(default_factory=dict)        # lane -> changes

    @property
    def empty(self) -> bool:
        return not (self.closures or self.transit or self.processing or self.fuel)


def changed_duration(base: float, t: float, changes: list[TimeChange]) -> float:
    """``base`` after every change whose window contains departure time ``t``."""
    for change in changes:
        if change.window.contains(t):
            base = max(0.0, base * change.multiply + change.add_days)
    return base


def fuel_factor(t: float, changes: list[FuelChange]) -> float:
    """Product of the fuel price factors in force at time ``t``."""
    factor = 1.0
    for change in changes:
        if change.window.contains(t):
            factor *= change.factor
    return factor
