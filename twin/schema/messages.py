"""Turn pydantic validation errors into ``file:line: message`` problems a planner can act on."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

import numpy as np
from pydantic import BaseModel, ValidationError

from twin.problems import Problem
from twin.yamlio import YamlDocument

_DOCS = "see docs/file-formats.md"
_TYPE_ERRORS = {"string_type", "float_type", "float_parsing", "int_type", "int_parsing", "dict_type",
                "list_type", "model_type", "model_attributes_type", "tuple_type", "bool_type"}


def _strip_annotated(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> list[Any] | None:
    tp = _strip_annotated(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return [_strip_annotated(a) for a in get_args(tp) if a is not type(None)]
    return None


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field_type(model: type[BaseModel], key: Any) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _tag_of(model: type[BaseModel]) -> set[str]:
    tags: set[str] = set()
    for info in model.model_fields.values():
        ann = _strip_annotated(info.annotation)
        if get_origin(ann) is Literal and info.is_required():
            tags.update(str(a) for a in get_args(ann))
    return tags


def _step(tp: Any, element: Any) -> tuple[Any, bool]:
    """Descend one element of an error location; returns (type, consumed)."""
    tp = _strip_annotated(tp)
    members = _union_members(tp)
    if members is not None:
        if len(members) == 1:
            return _step(members[0], element)
        for member in members:
            if _is_model(member) and element in _tag_of(member):
                return member, True
        for member in members:
            if _is_model(member) and _field_type(member, element) is not None:
                return _field_type(member, element), True
        for member in members:
            origin = get_origin(member)
            if origin is list and isinstance(element, int):
                return get_args(member)[0], True
            if origin is dict and isinstance(element, str):
                return get_args(member)[1], True
        return tp, False
    if _is_model(tp):
        return _field_type(tp, element), True
    origin = get_origin(tp)
    if origin in (list, tuple) and isinstance(element, int):
        args = get_args(tp)
        return (args[0] if args else Any), True
    if origin is dict:
        return get_args(tp)[1], True
    return None, True


def allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Keys accepted by the block at ``loc`` of a file validated by ``root`` (best effort)."""
    tp: Any = root
    for element in loc:
        tp, _ = _step(tp, element)
        if tp is None:
            return []
    tp = _strip_annotated(tp)
    members = _union_members(tp) or [tp]
    keys: list[str] = []
    for member in members:
        if _is_model(member):
            for name, info in member.model_fields.items():
                key = info.alias or name
                if key not in keys:
                    keys.append(key)
    return keys


def _field_name(loc: tuple[Any, ...], doc: YamlDocument) -> str:
    for element in reversed(loc):
        if isinstance(element, str) and (any(k[-1:] == (element,) for k in doc.lines)
                                         or any(k[-1:] == (element,) for k in doc.foreign)):
            return element
    for element in reversed(loc):
        if isinstance(element, str):
            return element
    return "value"


def _yaml_loc(loc: tuple[Any, ...], doc: YamlDocument) -> tuple[Any, ...]:
    """The part of ``loc`` that names keys actually written in the file."""
    current: tuple[Any, ...] = ()
    for element in loc:
        if doc.has(current + (element,)):
            current = current + (element,)
    return current


def _describe(err: dict, doc: YamlDocument, root: type[BaseModel]) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = loc[-1]
        allowed = allowed_keys(root, loc[:-1])
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; remove it or fix its spelling"
        listing = f" (allowed here: {', '.join(allowed)})" if allowed else ""
        return f"unknown key '{key}'{hint}{listing}"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'; add it ({_DOCS})"
    if kind == "union_tag_invalid":
        expected = ctx.get("expected_tags", "")
        return (f"unknown {ctx.get('discriminator', 'type').strip(chr(39))} "
                f"'{ctx.get('tag')}'; use one of {expected}")
    if kind == "union_tag_not_found":
        return f"missing key {ctx.get('discriminator')}; say which kind this is ({_DOCS})"
    return describe_value(err, _field_name(loc, doc))


def describe_value(err: dict, field: str) -> str:
    """What is wrong with the value of ``field`` (a pydantic error of a value, not of a key)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    value = value.item() if isinstance(value, np.generic) else value  # 'nan', not 'np.float64(nan)'
    if kind == "literal_error":
        return f"'{field}' cannot be {value!r}; use one of {ctx.get('expected')}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
              "less_than_equal": "<="}[kind]
        limit = next(iter(ctx.values()), "?")
        return f"'{field}' must be {op} {limit} (got {value})"
    if kind == "finite_number":
        return (f"'{field}' must be a finite number (got {value!r}); give a number, or leave an optional key "
                f"out for its default ({_DOCS})")
    if kind in ("too_short", "too_long"):
        return f"'{field}' {err['msg'][0].lower()}{err['msg'][1:]}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        return f"'{field}' must be a {'whole ' if 'int' in kind else ''}number (got {value!r})"
    if kind in ("string_type",):
        return f"'{field}' must be text (got {value!r})"
    if kind in ("list_type",):
        return f"'{field}' must be a list (got {value!r})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"'{field}' must be a block of keys (got {value!r}); {_DOCS}"
    if kind == "value_error":
        return err["msg"].removeprefix("Value error, ")
    return f"'{field}': {err['msg']}"


def problems_from_error(exc: ValidationError, doc: YamlDocument,
                        root: type[BaseModel]) -> list[Problem]:
    """One :class:`Problem` per distinct error, each at the line of the offending key.

    Errors that pydantic reports once per member of a union (a value that is
    neither a number, nor a mapping, nor a path) are merged into one.
    """
    errors = exc.errors(include_url=False)
    # A value of the right shape for one member of a union (a list of SKUs, say) that fails
    # deeper down also fails the other members' type checks; report only the deeper errors.
    yaml_locs = [_yaml_loc(tuple(e["loc"]), doc) for e in errors]
    kept = []
    for err, yloc in zip(errors, yaml_locs):
        if err["type"] in _TYPE_ERRORS and any(len(other) > len(yloc) and other[:len(yloc)] == yloc
                                               for other in yaml_locs):
            continue
        kept.append(err)
    groups: dict[tuple, list[dict]] = {}
    for err in kept:
        loc = tuple(err["loc"])
        key = _yaml_loc(loc, doc)
        if err["type"] in ("extra_forbidden", "missing"):
            key = key + ("#", loc[-1])
        groups.setdefault(key, []).append(err)
    problems = []
    for key, errors in groups.items():
        where = tuple(errors[0]["loc"])
        if len(errors) == 1 or len({e["type"] for e in errors}) == 1 and errors[0]["type"] != "value_error":
            messages = [_describe(errors[0], doc, root)]
        else:
            specific = [e for e in errors if e["type"] in ("value_error", "union_tag_invalid",
                                                           "extra_forbidden", "missing",
                                                           "greater_than", "greater_than_equal",
                                                           "less_than", "less_than_equal",
                                                           "literal_error", "finite_number")]
            if specific:
                messages = sorted({_describe(e, doc, root) for e in specific})
            else:
                field = _field_name(tuple(errors[0]["loc"]), doc)
                messages = [f"'{field}' has an unusable value {errors[0].get('input')!r}; "
                            f"expected a number, a {{sku: number}} mapping, a table path, "
                            f"or a block ({_DOCS})"]
        for message in messages:
            problems.append(doc.problem(where, message))
    return problems
