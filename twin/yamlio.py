"""Read YAML files and remember the line of every key.

Errors must be reported as ``file:line``; PyYAML's composer keeps a mark for
every node, so we compose the document once, construct plain Python values
from it, and record the line of each key path on the way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from twin.problems import Problem, ProblemList

PathKey = tuple[Any, ...]


@dataclass
class YamlDocument:
    """A parsed YAML file: its data and the line of every key path.

    ``lines[("nodes", 3, "policy")]`` is the 1-based line on which the key
    ``policy`` of the fourth node is written.
    """

    path: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    #: Key paths whose value came from another file (an extended scenario, an override): (file, line).
    foreign: dict[PathKey, tuple[str, int]] = field(default_factory=dict)

    def has(self, loc: PathKey) -> bool:
        return loc in self.lines or loc in self.foreign

    def locate(self, loc: PathKey) -> tuple[str, int]:
        """File and line of the deepest prefix of ``loc`` that exists.

        Elements of ``loc`` that do not name a key (for example the tag
        pydantic adds for a discriminated union) are skipped.
        """
        best = (str(self.path), self.lines.get((), 1))
        current: PathKey = ()
        for element in loc:
            candidate = current + (element,)
            if candidate in self.foreign:
                current, best = candidate, self.foreign[candidate]
            elif candidate in self.lines:
                current, best = candidate, (str(self.path), self.lines[candidate])
        return best

    def line_of(self, loc: PathKey) -> int:
        """Line of the deepest prefix of ``loc`` that exists (see :meth:`locate`)."""
        return self.locate(loc)[1]

    def problem(self, loc: PathKey, message: str) -> Problem:
        """A :class:`Problem` located at ``loc`` (in this file or where the value came from)."""
        file, line = self.locate(loc)
        return Problem(file, line, message)

    def mark_foreign(self, loc: PathKey, origin: tuple[str, int]) -> None:
        """Record that the value at ``loc`` (and everything under it) came from ``origin``."""
        for key in [k for k in self.lines if k[:len(loc)] == loc]:
            del self.lines[key]
        for key in [k for k in self.foreign if k[:len(loc)] == loc]:
            del self.foreign[key]
        self.foreign[loc] = origin


class _Loader(yaml.SafeLoader):
    """Safe loader; duplicate keys are reported instead of silently merged."""


# Parsing (text -> nodes with line marks) uses libyaml when PyYAML has it: about 10x faster on large files.
_Parser = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader


class _NodeLoader(_Parser):  # type: ignore[valid-type, misc]
    """Parser and resolver only; values are built by :class:`_Loader` from its nodes."""


# YAML 1.1 (PyYAML) reads ``7e-05`` as text; read exponent numbers without a dot as numbers, as YAML 1.2 does.
for _cls in (_Loader, _NodeLoader):
    _cls.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"))


def _construct(loader: _Loader, node: yaml.Node, path: PathKey, lines: dict,
               problems: list[Problem], filename: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                problems.append(Problem(filename, key_node.start_mark.line + 1,
                                        "a key must be a plain word or number"))
                continue
            if key in result:
                problems.append(Problem(
                    filename, key_node.start_mark.line + 1,
                    f"key '{key}' is given twice in the same block; keep one of them"))
                continue
            child = path + (key,)
            lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(loader, value_node, child, lines, problems, filename)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = path + (index,)
            lines[child] = item.start_mark.line + 1
            items.append(_construct(loader, item, child, lines, problems, filename))
        return items
    return loader.construct_object(node, deep=True)


def kind_of(data, mixed: bool = False) -> str | None:
    """``"scenario"`` or ``"network"``: which file a parsed document is, by the keys only one kind has.

    A document with keys of both kinds is neither (None), unless ``mixed``: then the kind with more
    of its keys (a scenario on a tie). None too for a document with keys of neither.
    """
    if not isinstance(data, dict):
        return None
    from twin.schema.network import NetworkFile
    from twin.schema.scenario import ScenarioFile

    network_keys = {info.alias or name for name, info in NetworkFile.model_fields.items()}
    scenario_keys = {info.alias or name for name, info in ScenarioFile.model_fields.items()}
    keys = {str(k) for k in data}
    scenario, network = len(keys & (scenario_keys - network_keys)), len(keys & (network_keys - scenario_keys))
    if scenario and (not network or mixed and scenario >= network):
        return "scenario"
    if network and (not scenario or mixed):
        return "network"
    return None


def load_yaml(path: str | Path) -> YamlDocument:
    """Parse ``path`` and return its data with a line for every key path.

    Raises
    ------
    ProblemList
        When the file is missing, unreadable, not valid YAML, or repeats a key.
    """
    path = Path(path)
    filename = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProblemList([Problem(filename, 0, "file not found; check the path")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemList([Problem(filename, 0, f"cannot read the file ({exc})")]) from None
    loader = _NodeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        # Point at the block being read (an unclosed bracket's line) rather than where
        # the parser gave up, and say both.
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or "invalid YAML"
        if exc.context and exc.problem_mark is not None:
            what = f"{exc.context} starting here: {what} on line {exc.problem_mark.line + 1}"
        raise ProblemList([Problem(
            filename, line,
            f"invalid YAML, {what}; check indentation, colons and brackets")]) from None
    finally:
        loader.dispose()
    if root is None:
        raise ProblemList([Problem(filename, 1, "the file is empty; see docs/file-formats.md")])
    problems: list[Problem] = []
    lines: dict[PathKey, int] = {}
    try:
        data = _construct(_Loader(""), root, (), lines, problems, filename)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise ProblemList([Problem(filename, mark.line + 1 if mark else 0,
                                   f"invalid YAML value: {exc.problem}")]) from None
    if problems:
        raise ProblemList(problems)
    return YamlDocument(path=path, data=data, lines=lines)
