"""Read a scenario file, compose it, apply overrides, and build every variant it asks for.

A run simulates, for each sweep point: the **baseline** (the network with no
disruptions), the **scenario** (its disruptions), and the scenario with each
**mitigation** applied — all on the same random numbers.

Precedence of changes, lowest first: network file < extended scenario <
scenario < sweep point < mitigation < ``--set`` on the command line.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from twin import overrides as ov
from twin.events import EventPlan, plan_events
from twin.model import Model
from twin.network import build_model
from twin.problems import Problem, ProblemList
from twin.schema.messages import problems_from_error
from twin.schema.network import NetworkFile
from twin.schema.scenario import ScenarioFile
from twin.tables import sha256_of
from twin.yamlio import YamlDocument, kind_of, load_yaml

BASELINE, SCENARIO = "baseline", "scenario"


@dataclass
class Variant:
    """One thing to simulate for every replication."""

    point: int            # index of the sweep point (0 without a sweep)
    name: str             # baseline, scenario, or a mitigation's name
    model: Model
    events: EventPlan
    changes: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    """A validated scenario: its variants, ready to run."""

    spec: ScenarioFile            # the scenario variant at the first sweep point, overrides applied
    path: Path
    variants: list[Variant]
    sweep_key: str | None = None
    sweep_values: list[float] = field(default_factory=list)
    input_hashes: dict[str, str] = field(default_factory=dict)
    horizon_origin: tuple[str, int] = ("", 0)   # file and line that set horizon_days (or the --set)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def model(self) -> Model:
        return self.variants[0].model

    @property
    def applied(self) -> list[dict]:
        for v in self.variants:
            if v.name == SCENARIO and v.point == 0:
                return v.events.records
        return []

    @property
    def changes(self) -> list[str]:
        out: list[str] = []
        for v in self.variants:
            for change in v.changes:
                label = v.name if not self.sweep_key else f"{v.name} @ {self.sweep_key}={self.sweep_values[v.point]:g}"
                line = f"[{label}] {change}"
                if line not in out:
                    out.append(line)
        return out

    @property
    def variant_names(self) -> list[str]:
        return list(dict.fromkeys(v.name for v in self.variants))

    def variant(self, name: str = SCENARIO, point: int = 0) -> Variant:
        for v in self.variants:
            if v.name == name and v.point == point:
                return v
        raise KeyError(f"no variant {name!r} at sweep point {point}")

    def disruptions(self, name: str = SCENARIO, point: int = 0, replication: int = 0):
        """The disruptions variant ``name`` applies in ``replication`` (random events drawn)."""
        from twin.engine import stream
        from twin.engine.run import EVENTS
        return self.variant(name, point).events.realize(stream(self.spec.seed, replication, EVENTS))


def _absolute(path: str, base: Path) -> str:
    p = Path(path)
    return str(p) if p.is_absolute() else os.path.normpath(base / p)


def compose(path: str | Path, chain: tuple[str, ...] = ()) -> tuple[YamlDocument, list[ov.Override], list[Path]]:
    """The scenario document with ``extends`` resolved, the overrides of the files it extends, and those files."""
    doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, dict):
        return doc, [], []
    for key in ("network", "extends"):
        if isinstance(data.get(key), str):
            data[key] = _absolute(data[key], doc.path.parent)
    parent = data.get("extends")
    if not isinstance(parent, str):
        return doc, [], []
    if str(Path(parent).resolve()) in chain or Path(parent).resolve() == doc.path.resolve():
        raise ProblemList([doc.problem(("extends",), "scenarios extend each other in a loop; break it")])
    if not Path(parent).exists():
        raise ProblemList([doc.problem(("extends",), f"extended scenario '{parent}' not found")])
    base, base_overrides, files = compose(parent, chain + (str(doc.path.resolve()),))
    if isinstance(base.data, dict) and isinstance(base.data.get("overrides"), dict):
        base_overrides = base_overrides + [
            ov.Override(o.key, o.value, "extended scenario", o.origin)
            for o in ov.from_mapping(base.data["overrides"], "extended scenario", base, ("overrides",))]
    return _merge(base, doc), base_overrides, [base.path, *files]


def _merge(base: YamlDocument, child: YamlDocument) -> YamlDocument:
    """``child`` over ``base``: lists of disruptions and mitigations add up, other keys replace."""
    data = copy.deepcopy(base.data) if isinstance(base.data, dict) else {}
    foreign = {k: (str(base.path), line) for k, line in base.lines.items() if k}
    foreign.update({k: v for k, v in base.foreign.items()})
    lines = {(): child.lines.get((), 1)}
    data.pop("overrides", None)
    foreign = {k: v for k, v in foreign.items() if k[0] not in ("overrides", "extends")}
    for key, value in child.data.items():
        if key == "extends":
            continue
        if key in ("disruptions", "mitigations") and isinstance(value, list) and isinstance(data.get(key), list):
            offset = len(data[key])
            data[key] = data[key] + value
            foreign.pop((key,), None)  # the block as a whole is the child's (its items keep their files)
            for path, line in child.lines.items():
                if path[:1] == (key,) and len(path) > 1:
                    lines[(key, path[1] + offset) + path[2:]] = line
            continue
        data[key] = value
        foreign = {k: v for k, v in foreign.items() if k[0] != key}
        for path, line in child.lines.items():
            if path[:1] == (key,):
                lines[path] = line
    for path, line in child.lines.items():
        if path[:1] in (("disruptions",), ("mitigations",)) and len(path) == 1:
            lines[path] = line
    return YamlDocument(child.path, data, lines, foreign)


def _clone(doc: YamlDocument) -> YamlDocument:
    return YamlDocument(doc.path, copy.deepcopy(doc.data), dict(doc.lines), dict(doc.foreign))


def _validate_scenario(doc: YamlDocument) -> tuple[ScenarioFile | None, list[Problem]]:
    try:
        return ScenarioFile.model_validate(doc.data), []
    except ValidationError as exc:
        return None, problems_from_error(exc, doc, ScenarioFile)


def _network_problems_only(doc: YamlDocument) -> list[Problem]:
    network = doc.data.get("network") if isinstance(doc.data, dict) else None
    if not isinstance(network, str):
        return []
    if not Path(network).exists():
        return [doc.problem(("network",), f"network file '{Path(network).name}' not found (looked for "
                                          f"{network}); the path is relative to the scenario file")]
    try:
        from twin.network import load_network
        load_network(network)
    except ProblemList as exc:
        return list(exc.problems)
    return []


def load_scenario(path: str | Path, settings: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load and validate a scenario, its network, and every variant; raise :class:`ProblemList` on problems.

    ``settings`` are ``key.path=value`` overrides from the command line.
    """
    doc, extended, extended_files = compose(path)
    if kind_of(doc.data) == "network":
        raise ProblemList([Problem(str(doc.path), 1, "this is a network file, not a scenario; give a scenario that "
                                                     "names it (network: ..., horizon_days: ...; see "
                                                     "docs/file-formats.md), or check it with twin validate, "
                                                     "or stress it with twin stress")])
    cli, problems = ov.from_command_line(list(settings))
    spec0, found = _validate_scenario(doc)
    if spec0 is None:
        raise ProblemList(problems + found + _network_problems_only(doc))
    network_path = Path(spec0.network)
    if not network_path.exists():
        raise ProblemList(problems + [doc.problem(("network",), f"network file '{network_path.name}' not found "
                                                                f"(looked for {network_path}); the path is "
                                                                "relative to the scenario file")])
    network_doc = load_yaml(network_path)
    if kind_of(network_doc.data) == "scenario":
        raise ProblemList(problems + [doc.problem(("network",), f"'{network_path.name}' is a scenario file; 'network' "
                                                                "names the network file (with nodes and skus); to "
                                                                "build on a scenario, use 'extends'")])

    own = ov.from_mapping(spec0.overrides, "scenario", doc, ("overrides",))
    mitigations = {m.name: ov.from_mapping(m.overrides, f"mitigation {m.name}", doc, ("mitigations", i, "overrides"))
                   for i, m in enumerate(spec0.mitigations)}
    problems += ov.overlaps(extended) + ov.overlaps(own) + ov.overlaps(cli)
    for layer in mitigations.values():
        problems += ov.overlaps(layer)
    sweep_key, sweep_values = None, [None]
    if spec0.sweep:
        sweep_key, sweep_values = next(iter(spec0.sweep.items()))
        for o in cli:
            if ov.split_key(o.key)[:len(ov.split_key(sweep_key))] == ov.split_key(sweep_key):
                problems.append(Problem(o.origin[0], 0, f"'{o.key}' is swept by the scenario; remove one of them"))
    if problems:
        raise ProblemList(problems)

    variants: list[Variant] = []
    models: dict[str, Model] = {}
    specs: list[ScenarioFile] = []
    names = [(SCENARIO, [])] + [(name, layer) for name, layer in mitigations.items()]
    for point, value in enumerate(sweep_values):
        sweep = ([ov.Override(sweep_key, value, "sweep", doc.locate(("sweep", sweep_key)))]
                 if sweep_key is not None else [])
        for name, layer in names:
            net, scen = _clone(network_doc), _clone(doc)
            log: list[str] = []
            for o in extended + own + sweep + layer + cli:
                problem = ov.apply(o, net, scen, log)
                if problem:
                    problems.append(problem)
            if problems:
                continue
            spec, found = _validate_scenario(scen)
            problems += found
            model = _model(net, models, problems)
            if spec is None or model is None:
                continue
            events, found = plan_events(spec, scen, model)
            problems += found
            specs.append(spec)
            if name == SCENARIO:
                variants.append(Variant(point, BASELINE, model, EventPlan(reroute=spec.reroute), log))
            variants.append(Variant(point, name, model, events, log))
    for spec in specs[1:]:
        for key in ("horizon_days", "warmup_days", "replications", "seed"):
            if getattr(spec, key) != getattr(specs[0], key):
                problems.append(doc.problem((key,), f"'{key}' differs between variants or sweep points; "
                                                    "it must be the same for all"))
                break
    if problems:
        raise ProblemList(problems)
    hashes = {str(doc.path): sha256_of(doc.path)}
    for v in variants:
        hashes.update(v.model.input_hashes)
    for file in extended_files:
        hashes[str(file)] = sha256_of(file)
    horizon_origin = next((o.origin for o in reversed(cli) if o.parts == ["horizon_days"]),
                          doc.locate(("horizon_days",)))
    return Scenario(specs[0], doc.path, variants, sweep_key, [v for v in sweep_values if v is not None], hashes,
                    horizon_origin)


def _model(net: YamlDocument, cache: dict[str, Model], problems: list[Problem]) -> Model | None:
    key = json.dumps(net.data, sort_keys=True, default=str)
    if key in cache:
        return cache[key]
    try:
        spec = NetworkFile.model_validate(net.data)
    except ValidationError as exc:
        problems.extend(problems_from_error(exc, net, NetworkFile))
        return None
    try:
        model = build_model(spec, net)
    except ProblemList as exc:
        problems.extend(exc.problems)
        return None
    cache[key] = model
    return model
