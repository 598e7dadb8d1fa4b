"""Reference documentation of the file formats, generated from the schemas themselves.

``python -m twin.schema.reference > docs/file-reference.md``; a test checks the
committed file is up to date.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from twin.schema import common, network, scenario


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _type_name(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if set(members) == set(get_args(common.PerSku)):
            return "per-SKU value"
        if set(members) == set(get_args(common.Duration)):
            return "duration"
        names = [_type_name(a) for a in members]
        return " or ".join(dict.fromkeys(names))
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in get_args(tp))
    if origin is list:
        return f"list of {_type_name(get_args(tp)[0])}"
    if origin is dict:
        return f"{{{_type_name(get_args(tp)[0])}: {_type_name(get_args(tp)[1])}}}"
    if origin is tuple:
        return "[" + ", ".join(_type_name(a) for a in get_args(tp)) + "]"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    return {float: "number", int: "integer", str: "text", bool: "true/false"}.get(tp, str(tp))


def _default(info) -> str:
    if info.is_required():
        return "**required**"
    value = info.default
    if value is PydanticUndefined or value is None:
        return ""
    if value == []:
        return "`[]`"
    return f"`{value}`"


def _models(root: type[BaseModel], seen: list[type[BaseModel]]) -> None:
    if root in seen:
        return
    seen.append(root)

    def walk(tp):
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            _models(tp, seen)
        for arg in get_args(tp) if origin is not None else ():
            walk(arg)

    for info in root.model_fields.values():
        walk(info.annotation)


def model_section(model: type[BaseModel]) -> list[str]:
    doc = (model.__doc__ or "").strip().splitlines()[0]
    out = [f"### {model.__name__}", "", doc, "", "| key | type | default | meaning |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        key = info.alias or name
        out.append(f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} | {info.description or ''} |")
    out.append("")
    return out


def markdown() -> str:
    out = ["# File reference", "",
           "Generated from the schemas in `twin/schema/` (`python -m twin.schema.reference`); "
           "see [file-formats.md](file-formats.md) for a guided tour with examples.", "",
           "A **per-SKU value** is a number (every SKU), a `{sku: number}` mapping (SKUs not listed get 0), or "
           "the path of a CSV/Parquet table (relative to the file) with a `sku` column and a column named after "
           "the key (and optionally a `node` column, so one table serves many nodes).", "",
           "A **duration** is a number of days (deterministic) or one of the duration distributions below.", ""]
    for title, root in (("Network file", network.NetworkFile), ("Scenario file", scenario.ScenarioFile)):
        out += [f"## {title}", ""]
        seen: list[type[BaseModel]] = []
        _models(root, seen)
        for model in seen:
            out += model_section(model)
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown())
