"""Overrides: changes to the network or scenario by key path, in layers of known precedence.

A key path names a value by the keys that lead to it, joined by dots. List
items are named by their ``id`` (nodes, SKUs), ``name`` (disruptions,
mitigations), ``from->to`` (lanes) or position::

    network.nodes.dc-joliet.policy.service_level
    network.lanes.sup-dairy->hub-chicago.transit_days
    disruptions.chicago-closure.duration_days
    reroute

Layers, lowest precedence first: the network file, an extended scenario's
``overrides``, the scenario's ``overrides``, a sweep point, a mitigation,
``--set`` on the command line. Within one layer two keys may not overlap
(one a prefix of the other); every applied change is logged as
``key: old -> new (layer)`` in the run manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from twin.problems import Problem
from twin.yamlio import YamlDocument

_UNSET = object()


@dataclass(frozen=True)
class Override:
    """One change: ``key`` set to ``value`` by ``layer``, written at ``origin`` (file, line)."""

    key: str
    value: Any
    layer: str
    origin: tuple[str, int]

    @property
    def parts(self) -> list[str]:
        return split_key(self.key)

    @property
    def on_network(self) -> bool:
        return self.parts[0] == "network" and len(self.parts) > 1


def split_key(key: str) -> list[str]:
    """``a.b.c`` -> ``['a', 'b', 'c']`` (a lane name ``x->y`` is one part)."""
    return [p for p in str(key).split(".") if p != ""]


def from_mapping(mapping: dict, layer: str, doc: YamlDocument, loc: tuple) -> list[Override]:
    """Overrides written as a YAML mapping (a scenario's or a mitigation's ``overrides``)."""
    return [Override(str(k), v, layer, doc.locate(loc + (k,))) for k, v in mapping.items()]


def from_command_line(settings: list[str]) -> tuple[list[Override], list[Problem]]:
    """Overrides given as ``--set key=value`` (values are read as YAML: numbers, lists, ...)."""
    out, problems = [], []
    for i, text in enumerate(settings, start=1):
        origin = (f"--set {text}", 0)
        if "=" not in text:
            problems.append(Problem(origin[0], 0, "expected key.path=value"))
            continue
        key, raw = text.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            problems.append(Problem(origin[0], 0, f"the value is not valid YAML ({exc.problem})"))
            continue
        out.append(Override(key.strip(), value, "command line", origin))
    return out, problems


def overlaps(overrides: list[Override]) -> list[Problem]:
    """Two overrides of one layer that set the same key, or a key and a key inside it."""
    problems = []
    for i, a in enumerate(overrides):
        for b in overrides[i + 1:]:
            if a.layer != b.layer:
                continue
            pa, pb = a.parts, b.parts
            n = min(len(pa), len(pb))
            if pa[:n] == pb[:n]:
                problems.append(Problem(b.origin[0], b.origin[1],
                                        f"'{b.key}' overlaps '{a.key}' (set in the same {a.layer} layer, "
                                        f"at line {a.origin[1]}); keep one of them"))
    return problems


def _item(container: list, name: str) -> int | None:
    for i, item in enumerate(container):
        if isinstance(item, dict):
            if str(item.get("id")) == name or str(item.get("name")) == name:
                return i
            if "from" in item and "to" in item and f"{item['from']}->{item['to']}" == name:
                return i
    if name.isdigit() and int(name) < len(container):
        return int(name)
    return None


def resolve_path(data: Any, parts: list[str], created: list | None = None) -> tuple[tuple, str | None]:
    """The data path (keys and list indices) of ``parts`` in ``data``, or an error message.

    Keys on the way that do not exist yet are created (empty blocks); their paths are appended
    to ``created`` when given. The last part may name a key that does not exist yet.
    """
    path: list = []
    current = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(current, dict):
            if part not in current and not last:
                current[part] = {}
                if created is not None:
                    created.append(tuple(path) + (part,))
            path.append(part)
            current = current.get(part)
        elif isinstance(current, list):
            index = _item(current, part)
            if index is None:
                names = [str(x.get("id") or x.get("name") or i) for i, x in enumerate(current)
                         if isinstance(x, dict)][:8]
                return tuple(path), (f"no item '{part}' under '{'.'.join(parts[:depth]) or 'the file'}'"
                                     + (f" (items: {', '.join(names)}, ...)" if names else ""))
            path.append(index)
            current = current[index]
        else:
            return tuple(path), f"'{'.'.join(parts[:depth])}' is not a block of keys; cannot set '{part}' in it"
    return tuple(path), None


def apply(override: Override, network: YamlDocument, scenario: YamlDocument,
          log: list[str]) -> Problem | None:
    """Apply one override to the network or scenario document; log it; return a problem if any."""
    parts = override.parts
    doc, parts = (network, parts[1:]) if override.on_network else (scenario, parts)
    if not parts:
        return Problem(*override.origin, f"'{override.key}' names no value")
    created: list[tuple] = []
    path, error = resolve_path(doc.data, parts, created)
    if error:
        return Problem(*override.origin, f"cannot apply '{override.key}': {error}")
    if created:  # a block this override made (a misspelt key, say) is reported at the override, not the file
        doc.mark_foreign(created[0], override.origin)
    container = doc.data
    for step in path[:-1]:
        container = container[step]
    old = container.get(path[-1], _UNSET) if isinstance(container, dict) else container[path[-1]]
    container[path[-1]] = override.value
    doc.mark_foreign(path, override.origin)
    before = "(unset)" if old is _UNSET else repr(old)
    log.append(f"{override.key}: {before} -> {override.value!r} ({override.layer})")
    return None
