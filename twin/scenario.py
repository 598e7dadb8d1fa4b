"""Read a scenario file, load its network, and resolve its disruptions to rows and lanes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from twin.disruptions import Closure, Disruptions, FuelChange, TimeChange, Window
from twin.model import Model
from twin.network import load_network
from twin.problems import Problem, ProblemList
from twin.schema.messages import problems_from_error
from twin.schema.scenario import FuelPrice, HubClosure, LaneSelector, LeadTimeShock, NodeSelector, ScenarioFile
from twin.tables import sha256_of
from twin.yamlio import YamlDocument, load_yaml


@dataclass
class Scenario:
    """A validated scenario with its network and its disruptions resolved."""

    spec: ScenarioFile
    path: Path
    model: Model
    disruptions: Disruptions
    applied: list[dict] = field(default_factory=list)  # one readable record per disruption
    input_hashes: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name


def _nodes_matching(model: Model, selector: NodeSelector) -> list[int]:
    rows = []
    for r, node in enumerate(model.node_ids):
        if selector.kind is not None and model.kinds[r] != selector.kind:
            continue
        if selector.tag is not None and selector.tag not in model.tags[r]:
            continue
        if selector.region is not None and model.regions[r] != selector.region:
            continue
        rows.append(r)
    return rows


def _lanes_matching(model: Model, selector: LaneSelector | None, modes: list[str] | None = None) -> list[int]:
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


def _check_node_ids(model: Model, doc: YamlDocument, loc: tuple, selector: LaneSelector | None,
                    problems: list[Problem]) -> None:
    if selector is None:
        return
    for key, value in (("from", selector.from_), ("to", selector.to)):
        if value is not None and value not in model.node_ids:
            problems.append(doc.problem(loc + (key,), f"unknown node '{value}'; check the network's node ids"))


def resolve(spec: ScenarioFile, doc: YamlDocument, model: Model) -> tuple[Disruptions, list[dict], list[Problem]]:
    """Turn the scenario's disruptions into a :class:`Disruptions` of rows and lanes."""
    problems: list[Problem] = []
    out = Disruptions()
    applied: list[dict] = []
    for i, d in enumerate(spec.disruptions):
        loc = ("disruptions", i)
        window = Window(float(d.start_day), float(d.end))
        if d.start_day >= spec.horizon_days:
            problems.append(doc.problem(loc + ("start_day",), f"starts on day {d.start_day:g}, after the horizon "
                                                              f"({spec.horizon_days} days); move it or lengthen "
                                                              "'horizon_days'"))
        record = {"index": i, "type": d.type, "start_day": d.start_day, "end_day": d.end}
        if isinstance(d, HubClosure):
            if d.node is not None:
                if d.node not in model.node_ids:
                    problems.append(doc.problem(loc + ("node",), f"unknown node '{d.node}'; check the network's ids"))
                    continue
                rows = [model.row(d.node)]
            else:
                rows = _nodes_matching(model, d.nodes)
            not_hubs = [model.node_ids[r] for r in rows if model.kinds[r] != "hub"]
            if not_hubs:
                problems.append(doc.problem(loc + ("node" if d.node else "nodes",),
                                            f"{', '.join(not_hubs)} is not a hub; hub_closure closes hubs "
                                            "(use kind: hub in a selector)"))
                continue
            if not rows:
                problems.append(doc.problem(loc + ("nodes",), "the selector matches no hub; check kind/tag/region"))
                continue
            out.closures.extend(Closure(r, window) for r in rows)
            record["targets"] = [model.node_ids[r] for r in rows]
        elif isinstance(d, FuelPrice):
            _check_node_ids(model, doc, loc + ("lanes",), d.lanes, problems)
            lanes = _lanes_matching(model, d.lanes, d.modes)
            if not lanes:
                problems.append(doc.problem(loc, "no lane matches this fuel_price's 'lanes'/'modes'; check them"))
                continue
            for j in lanes:
                out.fuel.setdefault(j, []).append(FuelChange(window, 1.0 + d.change_pct / 100.0))
            record["targets"] = [_lane_name(model, j) for j in lanes]
            record["change_pct"] = d.change_pct
        elif isinstance(d, LeadTimeShock):
            change = TimeChange(window, d.multiply, d.add_days)
            targets = []
            if d.lanes is not None:
                _check_node_ids(model, doc, loc + ("lanes",), d.lanes, problems)
                lanes = _lanes_matching(model, d.lanes)
                if not lanes:
                    problems.append(doc.problem(loc + ("lanes",), "no lane matches 'lanes'; check from/to/mode"))
                for j in lanes:
                    out.transit.setdefault(j, []).append(change)
                targets += [_lane_name(model, j) for j in lanes]
            if d.supplier is not None:
                if d.supplier not in model.node_ids:
                    problems.append(doc.problem(loc + ("supplier",), f"unknown node '{d.supplier}'"))
                elif model.kinds[model.row(d.supplier)] != "supplier":
                    problems.append(doc.problem(loc + ("supplier",), f"'{d.supplier}' is not a supplier"))
                else:
                    out.processing.setdefault(model.row(d.supplier), []).append(change)
                    targets.append(d.supplier)
            record.update(targets=targets, multiply=d.multiply, add_days=d.add_days)
        applied.append(record)
    return out, applied, problems


def _lane_name(model: Model, j: int) -> str:
    lane = model.lanes[j]
    return f"{model.node_ids[lane.source]}->{model.node_ids[lane.target]}"


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file and its network; raise :class:`ProblemList` on any problem."""
    doc = load_yaml(path)
    try:
        spec = ScenarioFile.model_validate(doc.data)
    except ValidationError as exc:
        problems = problems_from_error(exc, doc, ScenarioFile)
        network = doc.data.get("network") if isinstance(doc.data, dict) else None
        if isinstance(network, str):
            try:
                load_network(doc.path.parent / network)
            except ProblemList as more:
                problems += _network_problems(more, doc, network)
        raise ProblemList(problems) from None
    network_path = Path(spec.network)
    if not network_path.is_absolute():
        network_path = Path(os.path.normpath(doc.path.parent / network_path))
    if not network_path.exists():
        raise ProblemList([doc.problem(("network",), f"network file '{spec.network}' not found (looked for "
                                                     f"{network_path}); the path is relative to the scenario file")])
    model = load_network(network_path)
    disruptions, applied, problems = resolve(spec, doc, model)
    if problems:
        raise ProblemList(problems)
    hashes = {str(doc.path): sha256_of(doc.path), **model.input_hashes}
    return Scenario(spec, doc.path, model, disruptions, applied, hashes)


def _network_problems(error: ProblemList, doc: YamlDocument, network: str) -> list[Problem]:
    missing = [p for p in error.problems if p.line == 0 and "not found" in p.message]
    if missing:
        return [doc.problem(("network",), f"network file '{network}' not found; the path is relative to the "
                                          "scenario file")]
    return list(error.problems)
