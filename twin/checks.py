"""Named consistency checks of a network file.

Each check takes the validated file (and its YAML document for line numbers)
and returns problems that say what is wrong and how to fix it. They run
after the schema has accepted the file; :func:`raw_lane_references` also
runs when it has not, so that a file with several kinds of mistakes gets
them all reported at once.
"""

from __future__ import annotations

from collections import Counter

from twin.problems import Problem
from twin.schema.network import NetworkFile
from twin.yamlio import YamlDocument

STOCKING = ("dc", "store")


def raw_lane_references(doc: YamlDocument) -> list[Problem]:
    """Lanes naming nodes that do not exist, read from the raw file."""
    data = doc.data if isinstance(doc.data, dict) else {}
    nodes = data.get("nodes") if isinstance(data.get("nodes"), list) else []
    ids = {n.get("id") for n in nodes if isinstance(n, dict)}
    problems = []
    lanes = data.get("lanes") if isinstance(data.get("lanes"), list) else []
    for j, lane in enumerate(lanes):
        if not isinstance(lane, dict):
            continue
        for end in ("from", "to"):
            name = lane.get(end)
            if isinstance(name, str) and name not in ids:
                problems.append(doc.problem(("lanes", j, end), _unknown_node(name, ids)))
    return problems


def _unknown_node(name: str, ids) -> str:
    import difflib
    close = difflib.get_close_matches(name, [i for i in ids if isinstance(i, str)], n=1)
    hint = f"did you mean '{close[0]}'?" if close else "add the node to 'nodes' or fix the id"
    return f"unknown node '{name}'; {hint}"


def duplicate_ids(spec: NetworkFile, doc: YamlDocument) -> list[Problem]:
    """Node ids must be unique (SKU ids are checked where the catalogue is read)."""
    problems = []
    counts = Counter(n.id for n in spec.nodes)
    for i, node in enumerate(spec.nodes):
        if counts[node.id] > 1:
            problems.append(doc.problem(("nodes", i, "id"),
                                        f"node id '{node.id}' is used {counts[node.id]} times; ids must be unique"))
    return problems


def lane_ends(spec: NetworkFile, doc: YamlDocument) -> list[Problem]:
    """Lanes must join two different, existing nodes, once per pair and mode."""
    ids = {n.id for n in spec.nodes}
    problems = []
    seen: dict[tuple, int] = {}
    for j, lane in enumerate(spec.lanes):
        for end, name in (("from", lane.from_), ("to", lane.to)):
            if name not in ids:
                problems.append(doc.problem(("lanes", j, end), _unknown_node(name, ids)))
        if lane.from_ == lane.to:
            problems.append(doc.problem(("lanes", j, "to"),
                                        f"lane from '{lane.from_}' to itself; remove it"))
        key = (lane.from_, lane.to)
        if key in seen:
            problems.append(doc.problem(("lanes", j, "from"),
                                        f"a second lane from '{lane.from_}' to '{lane.to}' (first on line "
                                        f"{doc.line_of(('lanes', seen[key]))}); keep one lane per pair of nodes"))
        seen.setdefault(key, j)
    return problems


def fields_by_kind(spec: NetworkFile, doc: YamlDocument) -> list[Problem]:
    """Each field belongs to the node kinds that use it."""
    rules = {
        "demand": ("store",),
        "policy": STOCKING,
        "source": STOCKING,
        "initial_on_hand": STOCKING,
        "lead_time_days": ("supplier",),
        "capacity_units_per_day": ("supplier", "hub", "dc"),
        "alternate_sources": STOCKING,
        "expedite_below_days_of_supply": STOCKING,
        "unmet_demand": STOCKING,
    }
    problems = []
    for i, node in enumerate(spec.nodes):
        for name, kinds in rules.items():
            if getattr(node, name) is not None and node.kind not in kinds:
                problems.append(doc.problem(
                    ("nodes", i, name),
                    f"'{name}' is not used by a {node.kind} (only by: {', '.join(kinds)}); remove it"))
        if node.handling_days and node.kind != "hub":
            problems.append(doc.problem(("nodes", i, "handling_days"),
                                        f"'handling_days' is only used by hubs; remove it from {node.kind} '{node.id}'"))
        if node.kind == "store" and node.demand is None:
            problems.append(doc.problem(("nodes", i), f"store '{node.id}' has no 'demand'; add e.g. "
                                                      "'demand: {dist: poisson, mean: 5}'"))
    return problems


def locations_for_distances(spec: NetworkFile, doc: YamlDocument) -> list[Problem]:
    """Lanes with per-km costs need a distance: given, or computed from both ends' locations."""
    located = {n.id for n in spec.nodes if n.location is not None}
    problems = []
    for j, lane in enumerate(spec.lanes):
        per_km = lane.cost_per_kg_km > 0 or lane.cost_per_unit_km > 0
        if per_km and lane.distance_km is None and not {lane.from_, lane.to} <= located:
            problems.append(doc.problem(
                ("lanes", j), f"lane {lane.from_} -> {lane.to} has per-km costs but no distance; "
                              "add 'distance_km' or a 'location: [lat, lon]' to both nodes"))
    return problems


ALL_CHECKS = (duplicate_ids, lane_ends, fields_by_kind, locations_for_distances)


def run_all(spec: NetworkFile, doc: YamlDocument, skip=()) -> list[Problem]:
    """Run every check of this module (but those in ``skip``); graph checks run while the model is built."""
    problems: list[Problem] = []
    for check in ALL_CHECKS:
        if check not in skip:
            problems.extend(check(spec, doc))
    return problems
