"""Scenario files: selectors resolve to the right hubs and lanes; mistakes are located."""

from __future__ import annotations

import pytest

from tests.conftest import NETWORKS
from twin.problems import ProblemList
from twin.scenario import load_scenario

HEAD = f"name: s\nnetwork: {NETWORKS / 'teaching.yaml'}\nhorizon_days: 50\nwarmup_days: 5\nreplications: 1\n"


def test_selectors_resolve(write):
    path = write("s.yaml", HEAD + """disruptions:
  - {type: hub_closure, nodes: {kind: hub}, start_day: 10, end_day: 12}
  - {type: fuel_price, change_pct: 10, start_day: 0, duration_days: 50, modes: [truck]}
  - {type: lead_time_shock, supplier: sup-madison, lanes: {from: sup-madison}, multiply: 2, start_day: 5, duration_days: 5}
""")
    s = load_scenario(path)
    m = s.model
    d = s.disruptions()
    assert [c.row for c in d.closures] == [m.row("hub-chicago")]
    assert d.closures[0].window.end == 12
    assert sorted(d.fuel) == list(range(len(m.lanes)))
    assert list(d.transit) == [0]
    assert list(d.processing) == [m.row("sup-madison")]
    assert s.applied[2]["targets"] == ["sup-madison->hub-chicago", "sup-madison"]


@pytest.mark.parametrize("line,expected", [
    ("  - {type: hub_closure, node: dc-joliet, start_day: 1, duration_days: 1}", "is not a hub"),
    ("  - {type: hub_closure, node: hub-x, start_day: 1, duration_days: 1}", "unknown node 'hub-x'"),
    ("  - {type: fuel_price, change_pct: 10, start_day: 0, duration_days: 5, modes: [air]}", "no lane matches"),
    ("  - {type: lead_time_shock, supplier: dc-joliet, multiply: 2, start_day: 1, duration_days: 1}",
     "is not a supplier"),
    ("  - {type: lead_time_shock, lanes: {from: nowhere}, multiply: 2, start_day: 1, duration_days: 1}",
     "unknown node 'nowhere'"),
    ("  - {type: hub_closure, node: hub-chicago, start_day: 60, duration_days: 1}", "after the horizon"),
    ("  - {type: hub_closure, node: hub-chicago, start_day: 6}", "give either 'duration_days' or 'end_day'"),
    ("  - {type: flood, node: hub-chicago, start_day: 6}", "unknown type 'flood'"),
])
def test_disruption_mistakes_are_located(write, line, expected):
    path = write("s.yaml", HEAD + "disruptions:\n" + line + "\n")
    with pytest.raises(ProblemList) as info:
        load_scenario(path)
    messages = [str(p) for p in info.value.problems]
    assert any(m.startswith(f"{path}:7:") and expected in m for m in messages), messages


def test_warmup_must_be_shorter_than_horizon(write):
    path = write("s.yaml", f"name: s\nnetwork: {NETWORKS / 'teaching.yaml'}\nhorizon_days: 10\nwarmup_days: 10\n")
    with pytest.raises(ProblemList) as info:
        load_scenario(path)
    assert f"{path}:4: 'warmup_days' (10) must be less than 'horizon_days' (10)" in str(info.value)


CLOSURE = "disruptions:\n  - {name: c, type: hub_closure, node: hub-chicago, start_day: 10, duration_days: 2}\n"


@pytest.mark.parametrize("tail, line, expected", [
    ("sweep:\n  disruptions.c.duration_days: [1, 2]\n  horizon_days: [30]\n", 8,
     "'sweep' takes one key path and its list of values (got 2 key paths"),
    ("mitigations:\n  - {name: m, overrides: {reroute: cheapest}}\n  - {name: m, overrides: {reroute: fastest}}\n", 8,
     "mitigation name 'm' is used 2 times"),
    ("mitigations:\n  - {name: baseline, overrides: {reroute: cheapest}}\n", 8,
     "a mitigation cannot be named 'baseline'"),
])
def test_whole_scenario_checks_are_located_at_their_key(write, tail, line, expected):
    path = write("s.yaml", HEAD + CLOSURE + tail)
    with pytest.raises(ProblemList) as info:
        load_scenario(path)
    assert f"{path}:{line}: {expected}" in str(info.value), str(info.value)


def test_a_scenario_that_only_extends_another_is_a_scenario(write):
    from tests.conftest import run_cli

    write("base.yaml", HEAD + CLOSURE)
    child = write("child.yaml", "name: child\nextends: base.yaml\n"
                                "mitigations:\n  - {name: m, overrides: {reroute: cheapest}}\n"
                                "  - {name: m, overrides: {reroute: fastest}}\n")
    result = run_cli("validate", child)
    assert result.exit_code == 2, result.output
    assert f"{child}:3: mitigation name 'm' is used 2 times" in result.output  # the child's block, not the base's
    write("child.yaml", "name: child\nextends: base.yaml\nsweep:\n  disruptions.c.duration_days: [1, 3]\n")
    result = run_cli("validate", child)
    assert result.exit_code == 0, result.output
    assert "scenario 'child'" in result.output and "sweep of disruptions.c.duration_days over 2 values" in result.output
