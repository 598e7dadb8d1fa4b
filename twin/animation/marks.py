"""Disruptions as marks on the map: which node or lane is closed or disrupted, and exactly when.

The windows come from the replication being replayed: random and chained
events are drawn as the run drew them
(``Scenario.disruptions(variant, point, replication)``). When the scenario
file cannot be loaded any more, the fixed-time events recorded in the
manifest (``disruptions_applied``) are used instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from twin import disruptions as dz
from twin.model import Model

CLOSED, DISRUPTED = "closed", "disrupted"
_CLOSING_TYPES = {"node_closure", "hub_closure", "supplier_failure", "lane_closure"}


@dataclass(frozen=True)
class Mark:
    """A node (``lane`` None) or lane (``node`` = its start, ``lane`` = its end) marked in ``[start, end)``."""

    state: str              # CLOSED or DISRUPTED
    node: str
    lane: str | None
    start: float
    end: float
    what: str               # e.g. "closed", "capacity 40%", "lead time x2"

    def active(self, t: float) -> bool:
        return self.start <= t < self.end

    @property
    def label(self) -> str:
        target = f"{self.node}->{self.lane}" if self.lane else self.node
        return f"{target} {self.what}"


def _lane_ends(model: Model, j: int) -> tuple[str, str]:
    lane = model.lanes[j]
    return model.node_ids[lane.source], model.node_ids[lane.target]


def marks_from_disruptions(model: Model, d: dz.Disruptions) -> list[Mark]:
    """Every node and lane a replication's concrete disruptions touch, with its window."""
    ids = model.node_ids
    out = [Mark(CLOSED, ids[c.row], None, c.window.start, c.window.end, "closed") for c in d.closures]
    out += [Mark(CLOSED, *_lane_ends(model, c.lane), c.window.start, c.window.end, "closed")
            for c in d.lane_closures]
    for row, changes in d.node_capacity.items():
        out += [Mark(DISRUPTED, ids[row], None, c.window.start, c.window.end, f"capacity {c.fraction:.0%}")
                for c in changes]
    for j, changes in d.lane_capacity.items():
        out += [Mark(DISRUPTED, *_lane_ends(model, j), c.window.start, c.window.end, f"capacity {c.fraction:.0%}")
                for c in changes]
    for j, changes in d.transit.items():
        out += [Mark(DISRUPTED, *_lane_ends(model, j), c.window.start, c.window.end, _time_label(c))
                for c in changes]
    for row, changes in d.processing.items():
        out += [Mark(DISRUPTED, ids[row], None, c.window.start, c.window.end, _time_label(c)) for c in changes]
    for j, changes in d.fuel.items():
        out += [Mark(DISRUPTED, *_lane_ends(model, j), c.window.start, c.window.end,
                     f"fuel {100 * (c.factor - 1):+.0f}%") for c in changes]
    for j, changes in d.cost.items():
        out += [Mark(DISRUPTED, *_lane_ends(model, j), c.window.start, c.window.end,
                     f"cost {100 * (c.factor - 1):+.0f}%") for c in changes]
    for c in d.demand:
        out += [Mark(DISRUPTED, ids[row], None, c.window.start, c.window.end + c.dip_days,
                     f"demand x{c.multiply:g}") for row in c.rows]
    for c in d.inventory:
        end = c.release if c.release is not None else math.floor(c.time) + 1.0
        out += [Mark(DISRUPTED, ids[c.row], None, c.time, end,
                     f"{'held' if c.release is not None else 'lost'} {c.fraction:.0%} of stock")]
    return out


def _time_label(change: dz.TimeChange) -> str:
    parts = []
    if change.multiply != 1.0:
        parts.append(f"x{change.multiply:g}")
    if change.add_days:
        parts.append(f"{change.add_days:+g} d")
    return "lead time " + (" ".join(parts) if parts else "more variable")


def marks_from_records(records: list[dict]) -> list[Mark]:
    """Marks of the fixed-time events in a manifest's ``disruptions_applied`` (the fallback).

    Random (``start_window``, ``probability`` < 1) and chained (``after``) events
    cannot be placed without the scenario file and are left out.
    """
    out: list[Mark] = []
    for record in records:
        if record.get("start_day") is None or record.get("after") or record.get("probability", 1.0) < 1.0:
            continue
        start = float(record["start_day"])
        length = record.get("length_days")
        end = math.inf if length is None else start + float(length)
        closing = record.get("type") in _CLOSING_TYPES
        state, what = (CLOSED, "closed") if closing else (DISRUPTED, str(record.get("type", "")).replace("_", " "))
        if not closing and end <= start:  # an instant event (destroyed stock): mark its day
            end = math.floor(start) + 1.0
        for target in record.get("targets", []):
            node, _, lane = target.partition("->")
            out.append(Mark(state, node, lane or None, start, end, what))
    return out
