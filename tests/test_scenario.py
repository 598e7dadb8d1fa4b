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
    assert "must be less than 'horizon_days'" in str(info.value)
