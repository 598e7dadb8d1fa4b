"""YAML reading keeps the line of every key; broken files are reported, not raised."""

from __future__ import annotations

import pytest

from twin.problems import ProblemList
from twin.yamlio import load_yaml


def test_lines_of_keys_and_items(write):
    doc = load_yaml(write("a.yaml", """
        name: x
        nodes:
          - id: a
            kind: store
          - {id: b, kind: dc}
        """))
    assert doc.lines[("name",)] == 1
    assert doc.lines[("nodes", 0, "kind")] == 4
    assert doc.lines[("nodes", 1, "id")] == 5
    assert doc.line_of(("nodes", 1, "policy", "sS", "s")) == 5  # deepest prefix that exists


def test_exponent_numbers_are_numbers(write):
    doc = load_yaml(write("a.yaml", "a: 7e-05\nb: 1.5E+3\nc: 12\nd: 1e5x\n"))
    assert doc.data == {"a": 7e-05, "b": 1500.0, "c": 12, "d": "1e5x"}


def test_duplicate_keys_are_errors(write):
    path = write("a.yaml", "name: x\nname: y\n")
    with pytest.raises(ProblemList) as info:
        load_yaml(path)
    assert str(info.value.problems[0]) == f"{path}:2: key 'name' is given twice in the same block; keep one of them"


def test_missing_and_empty_files(write, tmp_path):
    with pytest.raises(ProblemList, match="file not found"):
        load_yaml(tmp_path / "nope.yaml")
    with pytest.raises(ProblemList, match="the file is empty"):
        load_yaml(write("e.yaml", "# nothing\n"))


def test_tabs_and_unclosed_brackets_give_a_line(write):
    path = write("a.yaml", "a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(ProblemList) as info:
        load_yaml(path)
    assert info.value.problems[0].line == 2
