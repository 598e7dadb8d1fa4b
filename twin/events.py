"""A scenario's disruptions with their targets resolved, realised per replication.

Targets (selectors) are resolved once against the model; timing is resolved
per replication: random starts (``start_window``), chances (``probability``)
and chains (``after``) draw from the replication's own events stream, two
uniforms per disruption in file order whatever happens, so the draws of one
disruption never depend on another's and never touch the demand or
lead-time streams.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from twin import disruptions as dz
from twin.model import Model
from twin.problems import Problem
from twin.schema import scenario as sc
from twin.yamlio import YamlDocument

Apply = Callable[[dz.Disruptions, dz.Window], None]


@dataclass
class PlannedEvent:
    """One disruption: its resolved targets (``apply``) and its timing (from the file)."""

    spec: sc._Event
    apply: Apply
    record: dict


@dataclass
class EventPlan:
    """Every disruption of a variant, ready to be realised for a replication."""

    events: list[PlannedEvent] = field(default_factory=list)
    reroute: str = "wait"

    def realize(self, rng: np.random.Generator | None) -> dz.Disruptions:
        """Concrete disruptions for one replication (``rng``: its events stream)."""
        out = dz.Disruptions(reroute=self.reroute)
        if not self.events:
            return out
        u = rng.random((len(self.events), 2)) if rng is not None else np.zeros((len(self.events), 2))
        ends: dict[str, float | None] = {}
        for i in _order(self.events):
            event = self.events[i]
            t = event.spec
            occurs = bool(u[i, 0] < t.probability)
            if t.after is not None:
                parent_end = ends.get(t.after)
                occurs = occurs and parent_end is not None and math.isfinite(parent_end)
                start = (parent_end + t.delay_days) if occurs else math.inf
            elif t.start_window is not None:
                a, b = t.start_window
                start = a + u[i, 1] * (b - a)
            else:
                start = t.start_day
            length = _length(t)
            end = math.inf if length is None else start + length
            ends[t.name] = end if occurs else None
            if occurs:
                event.apply(out, dz.Window(float(start), float(end)))
        return out

    @property
    def records(self) -> list[dict]:
        return [e.record for e in self.events]

    def fixed_windows(self) -> list[tuple[float, float]]:
        """Windows of the disruptions certain to happen at a fixed time (for before/during/after)."""
        fixed = [e for e in self.events if e.spec.start_day is not None and e.spec.probability >= 1.0]
        if not fixed:
            return []
        plan = EventPlan(fixed, self.reroute)
        return plan.realize(None).windows()


def _length(t: sc._Event) -> float | None:
    if isinstance(t, sc.SupplierFailure):
        return t.requalification_days
    if isinstance(t, sc.InventoryLoss) and t.mode == "destroy":
        return 0.0
    return t.length()


def _order(events: list[PlannedEvent]) -> list[int]:
    """Events in an order where every ``after`` comes after the event it names."""
    names = {e.spec.name: i for i, e in enumerate(events) if e.spec.name}
    done: list[int] = []
    seen: set[int] = set()

    def visit(i: int) -> None:
        if i in seen:
            return
        seen.add(i)
        parent = events[i].spec.after
        if parent in names:
            visit(names[parent])
        done.append(i)

    for i in range(len(events)):
        visit(i)
    return done


# -- target resolution ---------------------------------------------------------------------------

def _nodes(model: Model, selector: sc.NodeSelector) -> list[int]:
    rows = []
    for r, node in enumerate(model.node_ids):
        if selector.ids is not None and node not in selector.ids:
            continue
        if selector.kind is not None and model.kinds[r] != selector.kind:
            continue
        if selector.tag is not None and selector.tag not in model.tags[r]:
            continue
        if selector.region is not None and model.regions[r] != selector.region:
            continue
        rows.append(r)
    return rows


def _lanes(model: Model, selector: sc.LaneSelector | None, modes: list[str] | None = None) -> list[int]:
    out = []
    for lane in model.lanes:
        if selector is not None:
            if selector.from_ is not None and model.node_ids[lane.source] != selector.from_:
                continue
            if selector.to is not None and model.node_ids[lane.target] != selector.to:
                continue
            if selector.mode is not None and lane.mode != selector.mode:
                continue
        if modes is not None and lane.mode not in modes:
            continue
        out.append(lane.index)
    return out


def _skus(model: Model, selector: sc.SkuSelector | None) -> np.ndarray | None:
    if selector is None:
        return None
    mask = np.ones(model.n_skus, dtype=bool)
    if selector.ids is not None:
        mask &= np.isin(np.array(model.sku_ids), selector.ids)
    if selector.segment is not None:
        mask &= np.array([s == selector.segment for s in model.segment])
    if selector.category is not None:
        mask &= np.array([c == selector.category for c in model.category])
    return mask


def lane_name(model: Model, j: int) -> str:
    lane = model.lanes[j]
    return f"{model.node_ids[lane.source]}->{model.node_ids[lane.target]}"


class _Resolver:
    def __init__(self, model: Model, doc: YamlDocument):
        self.model, self.doc = model, doc
        self.problems: list[Problem] = []

    def fail(self, loc: tuple, message: str) -> None:
        self.problems.append(self.doc.problem(loc, message))

    def node_rows(self, loc: tuple, node: str | None, nodes: sc.NodeSelector | None, key: str = "node",
                  kinds: tuple[str, ...] | None = None, what: str = "node") -> list[int]:
        m = self.model
        if node is not None:
            if node not in m.node_ids:
                self.fail(loc + (key,), f"unknown node '{node}'; check the network's node ids")
                return []
            rows = [m.row(node)]
        elif nodes is not None:
            for name in nodes.ids or ():
                if name not in m.node_ids:
                    self.fail(loc + ("nodes", "ids"), f"unknown node '{name}'; check the network's node ids")
            rows = _nodes(m, nodes)
            if not rows:
                self.fail(loc + ("nodes",), f"the selector matches no {what}; check ids/kind/tag/region")
                return []
        else:
            return []
        if kinds is not None:
            wrong = [m.node_ids[r] for r in rows if m.kinds[r] not in kinds]
            if wrong:
                self.fail(loc + ((key,) if node is not None else ("nodes",)),
                          f"{', '.join(wrong[:5])} {'is' if len(wrong) == 1 else 'are'} not a {what} "
                          f"({' or '.join(kinds)})")
                return []
        return rows

    def lane_indices(self, loc: tuple, selector: sc.LaneSelector | None, modes: list[str] | None = None,
                     required: bool = True) -> list[int]:
        m = self.model
        if selector is not None:
            for key, value in (("from", selector.from_), ("to", selector.to)):
                if value is not None and value not in m.node_ids:
                    self.fail(loc + ("lanes", key), f"unknown node '{value}'; check the network's node ids")
                    return []
        lanes = _lanes(m, selector, modes)
        if not lanes and required:
            self.fail(loc + (("lanes",) if selector is not None else ()),
                      "no lane matches; check 'lanes: {from, to, mode}' and 'modes'")
        return lanes


def plan_events(spec: sc.ScenarioFile, doc: YamlDocument, model: Model) -> tuple[EventPlan, list[Problem]]:
    """Resolve every disruption's targets against ``model``; problems are located in ``doc``."""
    r = _Resolver(model, doc)
    plan = EventPlan(reroute=spec.reroute)
    names = [d.name for d in spec.disruptions if d.name]
    seen: set[str] = set()
    for i, d in enumerate(spec.disruptions):
        if d.name:
            if d.name in seen:
                r.fail(("disruptions", i, "name"), f"two disruptions are named '{d.name}'; names must be unique")
            seen.add(d.name)
        if d.after is not None and d.after not in names:
            r.fail(("disruptions", i, "after"), f"no disruption is named '{d.after}' (names: {', '.join(names) or 'none'})")
        if d.start_day is not None and d.start_day >= spec.horizon_days:
            r.fail(("disruptions", i, "start_day"), f"starts on day {d.start_day:g}, after the horizon "
                                                    f"({spec.horizon_days} days); move it or lengthen 'horizon_days'")
    if _has_cycle(spec.disruptions):
        r.fail(("disruptions",), "disruptions chained with 'after' form a loop; break it")
    for i, d in enumerate(spec.disruptions):
        event = _resolve(r, i, d)
        if event is not None:
            plan.events.append(event)
    return plan, r.problems


def _has_cycle(events: list[sc._Event]) -> bool:
    after = {e.name: e.after for e in events if e.name}
    for start in after:
        seen, node = set(), start
        while node in after and after[node] is not None:
            if node in seen:
                return True
            seen.add(node)
            node = after[node]
    return False


def _resolve(r: _Resolver, i: int, d) -> PlannedEvent | None:
    m, loc = r.model, ("disruptions", i)
    record = {"index": i, "name": d.name, "type": d.type, "start_day": d.start_day,
              "start_window": list(d.start_window) if d.start_window else None, "after": d.after,
              "length_days": _length(d), "probability": d.probability}
    n_before = len(r.problems)
    if isinstance(d, (sc.NodeClosure, sc.HubClosure)):
        kinds = ("hub",) if isinstance(d, sc.HubClosure) else None
        rows = r.node_rows(loc, d.node, d.nodes, kinds=kinds, what="hub" if kinds else "node")
        record["targets"] = [m.node_ids[x] for x in rows]

        def apply(out, w, rows=rows):
            out.closures.extend(dz.Closure(x, w) for x in rows)
    elif isinstance(d, sc.SupplierFailure):
        rows = r.node_rows(loc, d.supplier, d.nodes, key="supplier", kinds=("supplier",), what="supplier")
        record["targets"] = [m.node_ids[x] for x in rows]

        def apply(out, w, rows=rows):
            out.closures.extend(dz.Closure(x, w) for x in rows)
    elif isinstance(d, sc.LaneClosure):
        lanes = r.lane_indices(loc, d.lanes)
        record["targets"] = [lane_name(m, j) for j in lanes]

        def apply(out, w, lanes=lanes):
            out.lane_closures.extend(dz.LaneClosure(j, w) for j in lanes)
    elif isinstance(d, sc.CapacityLoss):
        if d.lanes is not None:
            lanes = r.lane_indices(loc, d.lanes)
            unlimited = [lane_name(m, j) for j in lanes if math.isinf(m.lanes[j].capacity)]
            if unlimited:
                r.fail(loc + ("lanes",), f"lane {unlimited[0]} has no capacity to lose; give it "
                                         "'capacity_units_per_day' in the network")
            rows = []
        else:
            lanes = []
            rows = r.node_rows(loc, d.node, d.nodes, kinds=("hub", "supplier", "dc"), what="node with a capacity")
            unlimited = [m.node_ids[x] for x in rows if math.isinf(m.capacity[x])]
            if unlimited:
                r.fail(loc + (("node",) if d.node else ("nodes",)),
                       f"{unlimited[0]} has no capacity to lose; give it 'capacity_units_per_day' in the network")
        record["targets"] = [m.node_ids[x] for x in rows] + [lane_name(m, j) for j in lanes]
        record.update(fraction=d.fraction, recovery=d.recovery, recovery_days=d.recovery_days)

        def apply(out, w, rows=rows, lanes=lanes, d=d):
            change = dz.CapacityChange(w, d.fraction, d.recovery, d.recovery_days)
            for x in rows:
                out.node_capacity.setdefault(x, []).append(change)
            for j in lanes:
                out.lane_capacity.setdefault(j, []).append(change)
    elif isinstance(d, (sc.FuelPrice, sc.TransportCost)):
        lanes = r.lane_indices(loc, d.lanes, d.modes)
        record["targets"] = [lane_name(m, j) for j in lanes]
        record["change_pct"] = d.change_pct
        fuel = isinstance(d, sc.FuelPrice)

        def apply(out, w, lanes=lanes, factor=1.0 + d.change_pct / 100.0, fuel=fuel):
            for j in lanes:
                if fuel:
                    out.fuel.setdefault(j, []).append(dz.FuelChange(w, factor))
                else:
                    out.cost.setdefault(j, []).append(dz.CostChange(w, factor))
    elif isinstance(d, sc.LeadTimeShock):
        lanes = r.lane_indices(loc, d.lanes) if d.lanes is not None else []
        rows = (r.node_rows(loc, d.supplier, None, key="supplier", kinds=("supplier",), what="supplier")
                if d.supplier is not None else [])
        record["targets"] = [lane_name(m, j) for j in lanes] + [m.node_ids[x] for x in rows]
        record.update(multiply=d.multiply, add_days=d.add_days, variability=d.variability)

        def apply(out, w, lanes=lanes, rows=rows, d=d):
            change = dz.TimeChange(w, d.multiply, d.add_days, d.variability)
            for j in lanes:
                out.transit.setdefault(j, []).append(change)
            for x in rows:
                out.processing.setdefault(x, []).append(change)
    elif isinstance(d, sc.DemandShock):
        if d.node is None and d.nodes is None:
            rows = [x for x, k in enumerate(m.kinds) if k == "store"]
        else:
            rows = r.node_rows(loc, d.node, d.nodes, kinds=("store",), what="store")
        skus = _skus(m, d.skus)
        if skus is not None and not skus.any():
            r.fail(loc + ("skus",), "the SKU selector matches no SKU; check ids/segment/category")
        record["targets"] = [m.node_ids[x] for x in rows]
        record.update(multiply=d.multiply, dip=d.dip.model_dump() if d.dip else None,
                      skus=None if skus is None else int(skus.sum()))

        def apply(out, w, rows=tuple(rows), skus=skus, d=d):
            out.demand.append(dz.DemandChange(w, rows, skus, d.multiply,
                                              d.dip.multiply if d.dip else 1.0, d.dip.days if d.dip else 0.0))
    elif isinstance(d, sc.InventoryLoss):
        rows = r.node_rows(loc, d.node, d.nodes, kinds=("dc", "store"), what="stocking node")
        skus = _skus(m, d.skus)
        record["targets"] = [m.node_ids[x] for x in rows]
        record.update(fraction=d.fraction, mode=d.mode)

        def apply(out, w, rows=rows, skus=skus, d=d):
            release = w.end if d.mode == "hold" else None
            out.inventory.extend(dz.InventoryLoss(x, w.start, d.fraction, skus, release) for x in rows)
    else:  # pragma: no cover - the schema admits no other type
        raise TypeError(d.type)
    if len(r.problems) > n_before:
        return None
    return PlannedEvent(d, apply, record)
