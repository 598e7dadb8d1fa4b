"""Read a network file, check it, and build the :class:`~twin.model.Model` the engine runs.

Every problem found is collected and raised together as a
:class:`~twin.problems.ProblemList` of ``file:line: message`` entries.
"""

from __future__ import annotations

import difflib
import itertools
from pathlib import Path

import networkx as nx
import numpy as np
from pydantic import TypeAdapter, ValidationError

from twin import checks, policy as policy_math
from twin.geo import haversine_km
from twin.model import STOCK, STORE, SUPPLIER, DurationSpec, LaneInfo, Model, SupplyGroup, SupplyLink, Tier
from twin.problems import Problem, ProblemList
from twin.schema.messages import describe_value, problems_from_error
from twin.schema.network import NetworkFile, Sku
from twin.tables import SkuValues, TableCache, read_problem, sha256_of
from twin.yamlio import YamlDocument, kind_of, load_yaml

_ROLE_RANK = {STORE: 0, STOCK: 1, SUPPLIER: 2}
#: Above this many node x SKU positions, per position numbers are kept in single precision.
LARGE_SKU_LOCATIONS = 2_000_000


def load_network(path: str | Path) -> Model:
    """Load and validate a network file; raise :class:`ProblemList` on any problem."""
    doc = load_yaml(path)
    if kind_of(doc.data) == "scenario":
        named = doc.data.get("network")
        hint = f" (this one names '{named}')" if isinstance(named, str) else ""
        raise ProblemList([Problem(str(doc.path), 1, f"this is a scenario file, not a network; give the network "
                                                     f"file a scenario names in 'network:'{hint}")])
    try:
        spec = NetworkFile.model_validate(doc.data)
    except ValidationError as exc:
        problems = problems_from_error(exc, doc, NetworkFile) + checks.raw_lane_references(doc)
        raise ProblemList(problems) from None
    return build_model(spec, doc)


def resolve_duration(value, doc: YamlDocument, loc: tuple, cache: TableCache,
                     problems: list[Problem]) -> DurationSpec:
    """A :class:`DurationSpec` from a schema duration (number or distribution)."""
    if isinstance(value, (int, float)):
        return DurationSpec("deterministic", float(value))
    if value.dist == "deterministic":
        return DurationSpec("deterministic", float(value.value))
    if value.dist == "empirical":
        if value.values is not None:
            values = np.asarray(value.values, dtype=np.float64)
        else:
            path = cache.resolve(value.table)
            try:
                frame = cache.load(value.table)
                values = frame[value.column].dropna().to_numpy(dtype=np.float64)
            except FileNotFoundError:
                problems.append(doc.problem(loc + ("table",), f"table '{value.table}' not found (looked for {path})"))
                return DurationSpec("deterministic", 0.0)
            except KeyError:
                problems.append(doc.problem(loc + ("column",), f"table '{value.table}' has no column '{value.column}'"))
                return DurationSpec("deterministic", 0.0)
            except Exception as exc:
                problems.append(doc.problem(loc + ("table",), f"cannot read '{value.table}': {exc}"))
                return DurationSpec("deterministic", 0.0)
            if len(values) == 0 or (values < 0).any():
                problems.append(doc.problem(loc + ("table",), f"'{value.table}' column '{value.column}' "
                                                              "must hold at least one duration, none negative"))
                return DurationSpec("deterministic", 0.0)
        return DurationSpec("empirical", float(values.mean()), float(values.std()), values)
    return DurationSpec(value.dist, float(value.mean), float(value.sd))


_SKU_LIST = TypeAdapter(list[Sku])


def _is_empty(value) -> bool:
    return value.__class__ is float and value != value  # an empty cell (NaN)


def _row_message(err: dict, absent: list[str], unknown: list[str]) -> str | None:
    """What is wrong with one cell of a SKU table row (None: already said once for the column)."""
    column = ".".join(str(x) for x in err["loc"])
    if err["type"] == "missing":
        return None if column in absent else f"column '{column}' is empty; give a value"
    if err["type"] == "extra_forbidden":
        return None if column in unknown else f"unknown column '{column}'"
    return "column " + describe_value(err, column)


def _records(frame) -> list[dict]:
    """The table's rows as dicts for validation, empty cells (NaN) left out and ids as text.

    Built column by column: only the columns with gaps are checked cell by cell.
    """
    columns = {str(c): frame[c].tolist() for c in frame.columns}
    if "id" in columns:
        columns["id"] = [v if _is_empty(v) else str(v) for v in columns["id"]]
    gappy = [str(c) for c in frame.columns if frame[c].isna().any()]
    full = [name for name in columns if name not in gappy]
    records = ([dict(zip(full, row)) for row in zip(*(columns[name] for name in full))] if full
               else [{} for _ in range(len(frame))])
    for name in gappy:
        for record, value in zip(records, columns[name]):
            if not _is_empty(value):
                record[name] = value
    return records


def _read_skus(spec: NetworkFile, doc: YamlDocument, cache: TableCache,
               problems: list[Problem]) -> list[Sku]:
    if not isinstance(spec.skus, str):
        skus = list(spec.skus)
        seen: dict[str, int] = {}
        for i, sku in enumerate(skus):
            if sku.id in seen:
                problems.append(doc.problem(("skus", i, "id"), f"SKU id '{sku.id}' is defined twice; ids must be unique"))
            seen.setdefault(sku.id, i)
        return skus
    path = cache.resolve(spec.skus)
    if not path.exists():
        problems.append(doc.problem(("skus",), f"SKU table '{spec.skus}' not found (looked for {path})"))
        return []
    try:
        frame = cache.load(spec.skus)
    except Exception as exc:
        problems.append(read_problem(path, exc)
                        or doc.problem(("skus",), f"cannot read SKU table '{spec.skus}': {' '.join(str(exc).split())}"))
        return []
    offset = 2 if path.suffix.lower() == ".csv" else 1
    records = _records(frame)
    try:  # the whole table in one call; row by row below only to report each bad row
        skus = _SKU_LIST.validate_python(records)
    except ValidationError:
        pass
    else:
        if len({sku.id for sku in skus}) == len(skus):
            return skus
    # A missing or unknown column is reported once, at the header, not on every row.
    columns = [str(c) for c in frame.columns]
    allowed = list(Sku.model_fields)
    required = [name for name, info in Sku.model_fields.items() if info.is_required()]
    absent = [name for name in required if name not in columns]
    unknown = [c for c in columns if c not in allowed]
    for name in absent:
        problems.append(Problem(str(path), 1, f"no column '{name}'; the SKU table needs columns {', '.join(required)}"))
    for name in unknown:
        close = difflib.get_close_matches(name, allowed, n=1)
        problems.append(Problem(str(path), 1, f"unknown column '{name}'"
                                + (f"; did you mean '{close[0]}'?" if close else "; remove it")
                                + f" (allowed: {', '.join(allowed)})"))
    skus, seen = [], set()
    for i, record in enumerate(records):
        try:
            sku = Sku.model_validate(record)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                message = _row_message(err, absent, unknown)
                if message:
                    problems.append(Problem(str(path), i + offset, message))
            # The row is reported; a stand-in keeps its id and category known, so that tables and
            # sources naming them are not reported as well (the run stops on the problems anyway).
            sku_id, category = record.get("id"), record.get("category", "general")
            if isinstance(sku_id, str) and sku_id and isinstance(category, str) and sku_id not in seen:
                seen.add(sku_id)
                skus.append(Sku.model_construct(id=sku_id, unit_cost=0.0, price=0.0, weight_kg=0.0, segment=None,
                                                category=category))
            continue
        if sku.id in seen:
            problems.append(Problem(str(path), i + offset, f"SKU id '{sku.id}' is defined twice"))
            continue
        seen.add(sku.id)
        skus.append(sku)
    return skus


def _sources(spec: NetworkFile, doc: YamlDocument, graph: nx.DiGraph, kinds: dict[str, str],
             categories: list[str], problems: list[Problem]) -> dict[str, dict[str, str]]:
    """For every stocking node: category -> source node id ('*' = every category)."""
    result: dict[str, dict[str, str]] = {}
    used = set(categories)
    for i, node in enumerate(spec.nodes):
        if node.kind not in checks.STOCKING:
            continue
        loc = ("nodes", i, "source")
        if node.source is None:
            candidates = _upstream_candidates(graph, kinds, node.id)
            if len(candidates) == 1:
                result[node.id] = {"*": candidates[0]}
            else:
                found = f"candidates: {', '.join(sorted(candidates))}" if candidates else "no inbound lane"
                problems.append(doc.problem(("nodes", i), f"{node.kind} '{node.id}' has no 'source' and "
                                                          f"{found}; add 'source: <node id>'"))
            continue
        mapping = {"*": node.source} if isinstance(node.source, str) else dict(node.source)
        for category, source in mapping.items():
            where = loc if isinstance(node.source, str) else loc + (category,)
            if source not in kinds:
                problems.append(doc.problem(where, checks._unknown_node(source, kinds)))
            elif kinds[source] not in ("supplier", "dc"):
                problems.append(doc.problem(where, f"source '{source}' is a {kinds[source]}; "
                                                   "a node orders from a supplier or a dc"))
            elif source == node.id:
                problems.append(doc.problem(where, f"'{node.id}' cannot be its own source"))
            if category != "*" and category not in used:
                problems.append(doc.problem(where, f"no SKU has category '{category}' "
                                                   f"(categories: {', '.join(sorted(used))})"))
        if "*" not in mapping:
            missing = sorted(used - set(mapping))
            if missing:
                problems.append(doc.problem(loc, f"categories {', '.join(missing)} have no source at "
                                                 f"'{node.id}'; add them or a '*': <node> entry"))
        result[node.id] = mapping
    return result


def _alternates(spec: NetworkFile, doc: YamlDocument, kinds: dict[str, str], categories: list[str],
                sources: dict[str, dict[str, str]], problems: list[Problem]) -> dict[str, dict[str, list[str]]]:
    """For every node with ``alternate_sources``: category ('*' = all) -> alternates in order."""
    result: dict[str, dict[str, list[str]]] = {}
    for i, node in enumerate(spec.nodes):
        if node.alternate_sources is None or node.kind not in checks.STOCKING:
            continue
        loc = ("nodes", i, "alternate_sources")
        as_list = isinstance(node.alternate_sources, list)
        mapping = ({"*": list(node.alternate_sources)} if as_list
                   else {c: list(v) for c, v in node.alternate_sources.items()})
        for category, alts in mapping.items():
            if category != "*" and category not in categories:
                problems.append(doc.problem(loc + (category,), f"no SKU has category '{category}'"))
            for k, alt in enumerate(alts):
                where = loc + ((k,) if as_list else (category, k))
                if alt not in kinds:
                    problems.append(doc.problem(where, checks._unknown_node(alt, kinds)))
                elif kinds[alt] not in ("supplier", "dc") or alt == node.id:
                    problems.append(doc.problem(where, f"alternate source '{alt}' must be a supplier or a dc "
                                                       "other than the node itself"))
        result[node.id] = mapping
    return result


def _alternates_for(mapping: dict[str, list[str]] | None, category: str) -> list[str]:
    if not mapping:
        return []
    return list(mapping.get(category, mapping.get("*", [])))


def _upstream_candidates(graph: nx.DiGraph, kinds: dict[str, str], node_id: str) -> list[str]:
    """Non-hub nodes from which ``node_id`` is reachable through hubs only (backup lanes aside)."""
    found, stack, seen = set(), [node_id], {node_id}
    while stack:
        current = stack.pop()
        for pred in graph.predecessors(current):
            if pred in seen or graph.edges[pred, current].get("backup"):
                continue
            seen.add(pred)
            if kinds[pred] == "hub":
                stack.append(pred)
            elif kinds[pred] in ("supplier", "dc"):
                found.add(pred)
    return sorted(found)


def _route(graph: nx.DiGraph, kinds: dict[str, str], source: str, child: str) -> list[str] | None:
    """The quickest path from ``source`` to ``child`` through hubs only, avoiding backup lanes if possible."""
    if not any(kinds.get(n) == "hub" for n in graph.successors(source)):  # only a direct lane can connect them
        return [source, child] if graph.has_edge(source, child) else None
    allowed = {source, child} | {n for n, k in kinds.items() if k == "hub"}
    sub = graph.subgraph(allowed)
    regular = nx.subgraph_view(sub, filter_edge=lambda a, b: not sub.edges[a, b]["backup"])
    for view in (regular, sub):
        try:
            return nx.shortest_path(view, source, child, weight="route_days")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            continue
    return None


def _depths(children: dict[str, set[str]], ids: list[str]) -> dict[str, int]:
    depth: dict[str, int] = {}

    def visit(n: str) -> int:
        if n not in depth:
            kids = children.get(n, set())
            depth[n] = 0 if not kids else 1 + max(visit(c) for c in kids)
        return depth[n]

    for n in ids:
        visit(n)
    return depth


def build_model(spec: NetworkFile, doc: YamlDocument) -> Model:
    """Check a schema-valid network file and turn it into arrays."""
    structural = checks.duplicate_ids(spec, doc) + checks.lane_ends(spec, doc)
    problems: list[Problem] = structural + checks.run_all(spec, doc, skip=(checks.duplicate_ids, checks.lane_ends))
    cache = TableCache(doc.path.parent)
    skus = _read_skus(spec, doc, cache, problems)
    if not skus and not problems:
        problems.append(doc.problem(("skus",), "the network has no SKUs; add at least one"))
    ids = [n.id for n in spec.nodes]
    kinds = {n.id: n.kind for n in spec.nodes}
    if structural or not skus:
        raise ProblemList(problems)

    # The lane graph (for routes and checks).
    graph = nx.DiGraph(name=spec.name)
    for node in spec.nodes:
        graph.add_node(node.id, kind=node.kind)
    node_by_id = {n.id: n for n in spec.nodes}
    lane_transits = []
    for j, lane in enumerate(spec.lanes):
        transit = resolve_duration(lane.transit_days, doc, ("lanes", j, "transit_days"), cache, problems)
        lane_transits.append(transit)
        target = node_by_id[lane.to]
        handling = target.handling_days if target.kind == "hub" else 0.0
        graph.add_edge(lane.from_, lane.to, index=j, route_days=transit.mean + handling + 1e-6, backup=lane.backup)

    categories = sorted({s.category for s in skus})
    sources = _sources(spec, doc, graph, kinds, categories, problems)
    alternates = _alternates(spec, doc, kinds, categories, sources, problems)

    # Routes of every (source, child) pair and the sourcing graph.
    routes: dict[tuple[str, str], list[str]] = {}
    sourcing = nx.DiGraph()
    sourcing.add_nodes_from(ids)
    for i, node in enumerate(spec.nodes):
        candidates = [(s, "source") for s in sources.get(node.id, {}).values()]
        candidates += [(a, "alternate_sources") for alts in alternates.get(node.id, {}).values() for a in alts]
        for source, key in candidates:
            if source not in kinds or kinds[source] not in ("supplier", "dc") or source == node.id:
                continue
            sourcing.add_edge(source, node.id)
            if (source, node.id) not in routes:
                path = _route(graph, kinds, source, node.id)
                if path is None:
                    problems.append(doc.problem(("nodes", i, key) if getattr(node, key) else ("nodes", i),
                                                f"no route from '{source}' to '{node.id}' over lanes "
                                                "(through hubs only); add a lane or change the source"))
                else:
                    routes[(source, node.id)] = path
    # (A topological sort says whether there is a loop at all far faster than listing loops.)
    cycles = [] if nx.is_directed_acyclic_graph(sourcing) else list(itertools.islice(nx.simple_cycles(sourcing), 5))
    for cycle in cycles:
        i = ids.index(cycle[0])
        problems.append(doc.problem(("nodes", i, "source"),
                                    f"sourcing loop {' -> '.join(cycle + [cycle[0]])}; break it"))
    # Every store must be supplied, ultimately, by a supplier.
    if not cycles:
        for i, node in enumerate(spec.nodes):
            if node.kind != "store":
                continue
            ancestors = nx.ancestors(sourcing, node.id)
            if not any(kinds[a] == "supplier" for a in ancestors):
                problems.append(doc.problem(("nodes", i), f"store '{node.id}' has no supply path from any "
                                                          "supplier; give it (or its DC) a source"))
    if cycles:
        raise ProblemList(problems)
    return _arrays(spec, doc, cache, skus, graph, lane_transits, sources, alternates, routes, sourcing,
                   problems)


def _arrays(spec, doc, cache, skus, graph, lane_transits, sources, alternates, routes, sourcing,
            problems: list[Problem]) -> Model:
    """Build the model's arrays; problems found here are added to those already found."""
    sku_index = {s.id: k for k, s in enumerate(skus)}
    n_skus = len(skus)
    unit_cost = np.array([s.unit_cost for s in skus], dtype=np.float64)
    category = [s.category for s in skus]
    children = {u: set(sourcing.successors(u)) for u in sourcing.nodes}
    depth = _depths(children, [n.id for n in spec.nodes])
    role = {n.id: (STORE if n.kind == "store" else STOCK if n.kind == "dc" else SUPPLIER) for n in spec.nodes
            if n.kind != "hub"}
    order = sorted((n for n in spec.nodes if n.kind != "hub"),
                   key=lambda n: (depth[n.id], _ROLE_RANK[role[n.id]]))
    order += [n for n in spec.nodes if n.kind == "hub"]
    node_ids = [n.id for n in order]
    row = {n: r for r, n in enumerate(node_ids)}
    file_index = {n.id: i for i, n in enumerate(spec.nodes)}
    n_nodes = len(order)
    tiers: list[Tier] = []
    for r, node in enumerate(order):
        if node.kind == "hub":
            break
        key = (depth[node.id], role[node.id])
        if tiers and (tiers[-1].depth, tiers[-1].role) == key:
            tiers[-1].stop = r + 1
        else:
            tiers.append(Tier(r, r + 1, key[1], key[0]))

    values = SkuValues(doc, sku_index, cache, problems)
    shape = (n_nodes, n_skus)
    # Large networks keep per node x SKU numbers in single precision (whole units stay exact up
    # to 16.7 million), and values that are the same along a row or a column as broadcast views.
    dtype = np.float32 if n_nodes * n_skus > LARGE_SKU_LOCATIONS else np.float64
    per_sku = lambda value: value is not None and not isinstance(value, (int, float))  # noqa: E731
    holding = np.zeros(shape, dtype) if any(per_sku(n.holding_cost_per_unit_day) or n.holding_cost_per_unit_day
                                            is not None for n in order) else None
    backorder_cost = np.zeros(shape, dtype) if any(per_sku(n.backorder_cost_per_unit_day) for n in order) else None
    lost_sale_cost = np.zeros(shape, dtype) if any(per_sku(n.lost_sale_cost_per_unit) for n in order) else None
    backorder_by_node, lost_sale_by_node = np.zeros(n_nodes), np.zeros(n_nodes)
    order_cost = np.zeros(n_nodes)
    lost_sales = np.zeros(n_nodes, dtype=bool)
    demand_mean = np.zeros(shape, dtype)
    spread = any(n.demand is not None and n.demand.dist in ("normal", "negbin") for n in order)
    demand_sd = np.zeros(shape, dtype) if spread else None
    demand_dist: list[str | None] = [None] * n_nodes
    weekly = np.ones((n_nodes, 7))
    annual_amplitude = np.zeros(n_nodes)
    annual_peak = np.zeros(n_nodes)
    capacity = np.full(n_nodes, np.inf)
    handling = np.zeros(n_nodes)
    location = np.full((n_nodes, 2), np.nan)
    processing: dict[int, DurationSpec] = {}
    integral = True
    default_holding = spec.holding_rate_per_year * unit_cost / 365.0

    for node in order:
        r, i = row[node.id], file_index[node.id]
        loc = ("nodes", i)
        if node.location is not None:
            location[r] = node.location
        if holding is not None:
            holding[r] = (default_holding if node.holding_cost_per_unit_day is None else
                          values.resolve(node.holding_cost_per_unit_day, loc + ("holding_cost_per_unit_day",),
                                         "holding_cost_per_unit_day", node.id, 0.0))
        for name, full, by_node in (("backorder_cost_per_unit_day", backorder_cost, backorder_by_node),
                                    ("lost_sale_cost_per_unit", lost_sale_cost, lost_sale_by_node)):
            value = getattr(node, name)
            if full is not None:
                full[r] = values.resolve(value, loc + (name,), name, node.id, 0.0)
            elif value < 0:
                problems.append(doc.problem(loc + (name,), f"'{name}' must be >= 0 (got {value})"))
            else:
                by_node[r] = value
        order_cost[r] = node.order_cost
        lost_sales[r] = (node.unmet_demand or ("lost" if node.kind == "store" else "backorder")) == "lost"
        if node.capacity_units_per_day is not None:
            capacity[r] = node.capacity_units_per_day
            integral &= float(node.capacity_units_per_day).is_integer()
        handling[r] = node.handling_days
        if node.kind == "supplier":
            spec_time = node.lead_time_days if node.lead_time_days is not None else 0.0
            processing[r] = resolve_duration(spec_time, doc, loc + ("lead_time_days",), cache, problems)
        if node.demand is not None:
            d = node.demand
            demand_dist[r] = d.dist
            mean = values.resolve(d.mean, loc + ("demand", "mean"), "mean", node.id, 0.0).astype(dtype)
            if d.dist == "poisson":
                sd = np.sqrt(mean)
            elif d.dist == "deterministic":
                sd = np.zeros_like(mean)
            else:
                sd = values.resolve(d.sd, loc + ("demand", "sd"), "sd", node.id, 0.0)
            if d.dist == "negbin":
                bad = (mean > 0) & (sd**2 <= mean)
                if bad.any():
                    problems.append(doc.problem(loc + ("demand", "sd"),
                                                f"negbin needs sd^2 > mean (over-dispersion); SKU "
                                                f"'{skus[int(np.flatnonzero(bad)[0])].id}' has sd^2 <= mean; "
                                                "use dist: poisson for such SKUs"))
            if d.dist == "normal" or (d.dist == "deterministic" and not np.allclose(mean * d.scale, np.round(mean * d.scale))):
                integral = False
            demand_mean[r] = mean * d.scale
            if demand_sd is not None:
                demand_sd[r] = sd * (d.scale if d.dist != "poisson" else np.sqrt(d.scale))
            if d.weekly is not None:
                weekly[r] = d.weekly
            annual_amplitude[r] = d.annual_amplitude
            annual_peak[r] = d.annual_peak_day

    # Lanes.
    lanes: list[LaneInfo] = []
    for j, lane in enumerate(spec.lanes):
        a, b = row[lane.from_], row[lane.to]
        if lane.distance_km is not None:
            km = lane.distance_km
        elif not (np.isnan(location[a]).any() or np.isnan(location[b]).any()):
            km = haversine_km(*location[a], *location[b])
        else:
            km = float("nan")
        info = LaneInfo(j, a, b, lane.mode, km, lane_transits[j], lane.cost_per_shipment,
                        lane.cost_per_unit, lane.cost_per_unit_km, lane.cost_per_kg_km, lane.fuel_share)
        if lane.capacity_units_per_day is not None:
            info.capacity = float(lane.capacity_units_per_day)
            integral &= float(lane.capacity_units_per_day).is_integer()
        if lane.expedite is not None:
            info.expedite_transit = resolve_duration(lane.expedite.transit_days, doc,
                                                     ("lanes", j, "expedite", "transit_days"), cache, problems)
            info.expedite_cost_multiplier = lane.expedite.cost_multiplier
        lanes.append(info)

    # Supply links with their routes and lead-time statistics.
    cat_array = np.array(category, dtype=object)
    cat_mask = {cat: cat_array == cat for cat in sorted(set(category))}
    categories = list(cat_mask)
    links: list[SupplyLink] = []
    groups: dict[int, list[SupplyGroup]] = {}
    for node in order:
        mapping = sources.get(node.id)
        if not mapping:
            continue
        # SKUs with the same source and the same alternates are ordered together (a group).
        by_chain: dict[tuple[str, ...], np.ndarray] = {}
        for cat in categories:
            src = mapping.get(cat, mapping.get("*"))
            if src is None:
                continue
            chain = (src, *_alternates_for(alternates.get(node.id), cat))
            by_chain[chain] = by_chain.get(chain, np.zeros(n_skus, bool)) | cat_mask[cat]
        for chain, mask in by_chain.items():
            group = SupplyGroup(mask, [])
            for rank, src in enumerate(chain):
                if (src, node.id) not in routes:
                    continue  # already reported: unknown source or no route
                link = _link(len(links), rank, src, node.id, mask, routes, graph, row, lanes, processing, handling)
                links.append(link)
                group.links.append(link.index)
            if group.links:
                groups.setdefault(row[node.id], []).append(group)

    if holding is None:
        holding = np.broadcast_to(default_holding.astype(dtype), shape)
    backorder_cost = backorder_cost if backorder_cost is not None else np.broadcast_to(
        backorder_by_node.astype(dtype)[:, None], shape)
    lost_sale_cost = lost_sale_cost if lost_sale_cost is not None else np.broadcast_to(
        lost_sale_by_node.astype(dtype)[:, None], shape)

    # Demand seen by every stocking node: own customers, then downstream over primary links, tier by tier.
    avg_factor = weekly.mean(axis=1).astype(dtype)
    mean_demand = demand_mean * avg_factor[:, None]
    all_poisson = demand_sd is None and all(d in (None, "poisson") for d in demand_dist)
    if demand_sd is not None:
        var_demand = (demand_sd * avg_factor[:, None]) ** 2
    elif all_poisson:  # variance = mean everywhere, downstream sums included: the same array
        var_demand = mean_demand
    else:  # Poisson: variance = mean; deterministic: 0
        poisson = np.array([d == "poisson" for d in demand_dist])
        var_demand = np.where(poisson[:, None], mean_demand, dtype(0.0))
    if demand_sd is None:
        demand_sd = np.broadcast_to(np.zeros(1, dtype), shape)
    primary = [link for link in links if link.rank == 0]
    for link in sorted(primary, key=lambda lk: depth[node_ids[lk.child]]):
        mean_demand[link.source] += np.where(link.skus, mean_demand[link.child], 0.0)
        if var_demand is not mean_demand:
            var_demand[link.source] += np.where(link.skus, var_demand[link.child], 0.0)

    # Policies.
    policy_type: list[str | None] = [None] * n_nodes
    review_days = np.ones(n_nodes, dtype=np.int64)
    rule = np.zeros(n_nodes, dtype=np.int64)
    batch = any(n.policy is not None and n.policy.type == "sQ" for n in order)
    dynamic = any(n.policy is not None and n.policy.type == "order_up_to" for n in order)
    # s and S of a position side by side in memory, so the store review reads both in one gather.
    limits = np.zeros(shape + (2,), dtype)
    s_arr, S_arr = limits[..., 0], limits[..., 1]
    Q_arr = np.zeros(shape, dtype) if batch else None
    safety = np.zeros(shape, dtype) if dynamic else None
    forecast: list[dict | None] = [None] * n_nodes
    initial = np.zeros(shape, dtype)
    whole_units = _integral_demand(spec)
    links_of: dict[int, list[SupplyLink]] = {}
    for link in primary:
        links_of.setdefault(link.child, []).append(link)
    for node in order:
        if node.kind not in checks.STOCKING:
            continue
        r, i = row[node.id], file_index[node.id]
        loc = ("nodes", i, "policy")
        pol = node.policy or _default_policy()
        policy_type[r] = pol.type
        review_days[r] = pol.review_days
        given: dict[str, np.ndarray] = {}
        for name in ("level", "s", "S", "Q", "safety_stock"):
            value = getattr(pol, name, None)
            if value is not None:
                given[name] = values.resolve(value, loc + (name,), name, node.id, 0.0,
                                             allow_negative=name in ("s",))
                if not np.allclose(given[name], np.round(given[name])):
                    integral = False
        for link in links_of.get(r, []):
            derived = policy_math.derive(pol, given, mean_demand[r], var_demand[r], link.protection_days,
                                         link.lead_time_var, node.order_cost, holding[r],
                                         integral=whole_units)
            m = slice(None) if link.skus.all() else link.skus
            s_arr[r, m], S_arr[r, m] = derived.s[m], derived.S[m]
            if Q_arr is not None:
                Q_arr[r, m] = derived.Q[m]
            rule[r] = derived.rule
        if pol.type == "order_up_to":
            safety[r] = given.get("safety_stock", np.zeros(n_skus))
            forecast[r] = pol.forecast.model_dump()
        if pol.type == "sS":
            bad = (s_arr[r] >= S_arr[r]) & (S_arr[r] > 0)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                problems.append(doc.problem(loc, f"policy needs s < S; SKU '{skus[k].id}' has s = "
                                                 f"{s_arr[r, k]:g} >= S = {S_arr[r, k]:g}"))
        if pol.type == "sQ" and pol.service_level is None:
            bad = Q_arr[r] <= 0  # noqa: F821 - Q_arr exists when there is an sQ policy
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                problems.append(doc.problem(loc + ("Q",), f"'Q' must be > 0; SKU '{skus[k].id}' has Q = "
                                                          f"{Q_arr[r, k]:g}"))
        if node.initial_on_hand is not None:
            initial[r] = values.resolve(node.initial_on_hand, ("nodes", i, "initial_on_hand"),
                                        "initial_on_hand", node.id, 0.0)
        else:
            initial[r] = np.maximum(S_arr[r], 0.0)
        if not np.allclose(initial[r], np.round(initial[r])):
            integral = False
    if problems:
        raise ProblemList(problems)
    if Q_arr is None:
        Q_arr = np.broadcast_to(np.zeros(1, dtype), shape)
    if safety is None:
        safety = np.broadcast_to(np.zeros(1, dtype), shape)

    model = Model(
        name=spec.name, sku_ids=[s.id for s in skus], unit_cost=unit_cost,
        price=np.array([s.price for s in skus], dtype=np.float64),
        weight_kg=np.array([s.weight_kg for s in skus], dtype=np.float64),
        segment=[s.segment for s in skus], category=category, node_ids=node_ids,
        kinds=[n.kind for n in order], location=location, regions=[n.region for n in order],
        tags=[list(n.tags) for n in order], graph=graph, lanes=lanes, links=links, tiers=tiers,
        integral=integral, lost_sales=lost_sales, holding=holding, backorder_cost=backorder_cost,
        lost_sale_cost=lost_sale_cost, order_cost=order_cost, initial_on_hand=initial,
        demand_dist=demand_dist, demand_mean=demand_mean, demand_sd=demand_sd, weekly=weekly,
        annual_amplitude=annual_amplitude, annual_peak_day=annual_peak, policy_type=policy_type,
        review_days=review_days, rule=rule, limits=limits, Q=Q_arr, safety_stock=safety,
        forecast=forecast, mean_demand=mean_demand, var_demand=var_demand, processing=processing,
        capacity=capacity, handling_days=handling, groups=groups, dtype=dtype,
        expedite_below=np.array([np.nan if n.expedite_below_days_of_supply is None
                                 else n.expedite_below_days_of_supply for n in order]),
        ttr_days=np.array([np.nan if n.ttr_days is None else n.ttr_days for n in order]),
        cities=[n.city for n in order],
    )
    model.input_hashes = {str(doc.path): sha256_of(doc.path), **cache.hashes}
    model.source_file = str(doc.path)
    return model


def _link(index, rank, src, child, mask, routes, graph, row, lanes, processing, handling) -> SupplyLink:
    """A supply link over the route from ``src`` to ``child``, with its lead-time statistics."""
    path = routes[(src, child)]
    lane_idx = [graph.edges[path[k], path[k + 1]]["index"] for k in range(len(path) - 1)]
    hubs = [row[h] for h in path[1:-1]]
    link = SupplyLink(index, row[src], row[child], mask, lane_idx, hubs, rank)
    parts = [lanes[j].transit for j in lane_idx]
    if row[src] in processing:
        parts.append(processing[row[src]])
    mean = sum(p.mean for p in parts) + sum(handling[h] for h in hubs)
    var = sum(p.var for p in parts)
    if all(p.is_deterministic for p in parts):
        effective = max(1.0, float(np.ceil(mean - 1e-9)))
    else:
        effective = max(1.0, mean + 0.5)
    link.lead_time_mean, link.lead_time_var, link.protection_days = mean, var, effective
    return link


def _integral_demand(spec: NetworkFile) -> bool:
    """Whether derived parameters should be whole units (no normal demand anywhere)."""
    return not any(n.demand is not None and n.demand.dist in ("normal", "deterministic") for n in spec.nodes)


def _default_policy():
    from twin.schema.network import BaseStockPolicy
    return BaseStockPolicy(type="base_stock", service_level=0.95)
