"""The generated reference docs are current, and the README keeps its promises."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT
from twin.reports.columns import markdown as reports_markdown
from twin.schema.reference import markdown as reference_markdown


def test_file_reference_is_current():
    committed = (ROOT / "docs" / "file-reference.md").read_text(encoding="utf-8")
    assert committed.strip() == reference_markdown().strip(), "run: make docs"


def test_reports_reference_is_current():
    committed = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    assert committed.strip() == reports_markdown().strip(), "run: make docs"


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    commands = _quick_start_commands()
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci


def test_every_dependency_is_explained_in_the_readme():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8").lower()
    table = readme.split("## dependencies, and why", 1)[1].split("\n## ", 1)[0]
    deps = project["dependencies"] + [d for group in project["optional-dependencies"].values() for d in group]
    for dep in deps:
        name = re.split(r"[<>=!~ ]", dep, maxsplit=1)[0].lower()
        assert name in table, f"{name} is not explained in the README's dependency table"
