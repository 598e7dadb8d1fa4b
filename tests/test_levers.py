"""Mitigations, overrides (with precedence and conflicts), extends, sweeps, and bad specs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import NETWORKS, TOY_NETWORK
from twin.cli import cli
from twin.problems import ProblemList
from twin.scenario import load_scenario

TEACHING = NETWORKS / "teaching.yaml"
HEAD = f"name: s\nnetwork: {TEACHING}\nhorizon_days: 70\nwarmup_days: 10\nreplications: 4\nseed: 2\n"
CLOSURE = "  - {name: closure, type: hub_closure, node: hub-chicago, start_day: 30, duration_days: 4}\n"


def cli_run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_overrides_apply_with_precedence_and_are_logged(write):
    path = write("s.yaml", HEAD + "overrides:\n  network.nodes.dc-joliet.policy.service_level: 0.99\n"
                                  "  network.lanes.hub-chicago->dc-joliet.transit_days: 2\n"
                                  "disruptions:\n" + CLOSURE)
    s = load_scenario(path, ["network.nodes.dc-joliet.policy.service_level=0.9"])
    changes = s.changes
    assert any("network.nodes.dc-joliet.policy.service_level: 0.98 -> 0.99 (scenario)" in c for c in changes)
    assert any("network.nodes.dc-joliet.policy.service_level: 0.99 -> 0.9 (command line)" in c for c in changes)
    m = s.model
    lane = next(l for l in m.lanes if m.node_ids[l.source] == "hub-chicago")
    assert lane.transit.mean == 2.0
    plain = load_scenario(write("p.yaml", HEAD + "disruptions:\n" + CLOSURE)).model
    dc = m.row("dc-joliet")
    assert (m.S[dc] < plain.S[plain.row("dc-joliet")] + 100).all()  # derived with the lower service level


def test_overlapping_overrides_in_one_layer_are_an_error(write):
    path = write("s.yaml", HEAD + "overrides:\n  network.nodes.dc-joliet.policy: {type: base_stock, level: 50}\n"
                                  "  network.nodes.dc-joliet.policy.level: 60\ndisruptions: []\n")
    with pytest.raises(ProblemList) as info:
        load_scenario(path)
    assert any(p.line == 9 and "overlaps" in p.message for p in info.value.problems)
    result = cli_run("run", "--no-review", path, "--out", path.parent / "out")
    assert result.exit_code == 2 and f"{path}:9:" in result.output


def test_override_of_a_missing_item_is_located(write):
    path = write("s.yaml", HEAD + "overrides:\n  network.nodes.dc-nowhere.order_cost: 5\ndisruptions: []\n")
    with pytest.raises(ProblemList) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert problem.line == 8 and "no item 'dc-nowhere'" in problem.message


def test_bad_override_value_is_reported_where_it_was_written(write):
    path = write("s.yaml", HEAD + "overrides:\n  network.nodes.dc-joliet.order_cost: -3\ndisruptions: []\n")
    with pytest.raises(ProblemList) as info:
        load_scenario(path)
    assert [(p.file, p.line) for p in info.value.problems] == [(str(path), 8)]


def test_extends_adds_disruptions_and_keeps_their_lines(write):
    base = write("base.yaml", HEAD + "disruptions:\n" + CLOSURE)
    child = write("child.yaml", f"extends: base.yaml\nname: child\nnetwork: {TEACHING}\nhorizon_days: 70\n"
                                "disruptions:\n  - {type: fuel_price, change_pct: 10, start_day: 0, duration_days: 70}\n"
                                "  - {type: hub_closure, node: hub-x, start_day: 3, duration_days: 1}\n")
    with pytest.raises(ProblemList) as info:
        load_scenario(child)
    assert [str(p) for p in info.value.problems][0].startswith(f"{child}:7: unknown node 'hub-x'")
    child.write_text(child.read_text().replace("  - {type: hub_closure, node: hub-x, start_day: 3, duration_days: 1}\n", ""))
    s = load_scenario(child)
    assert s.name == "child" and s.spec.replications == 4
    assert [r["type"] for r in s.applied] == ["hub_closure", "fuel_price"]
    assert str(base) in s.input_hashes


def test_mitigations_are_compared_in_one_run(write, tmp_path):
    path = write("s.yaml", HEAD + "disruptions:\n" + CLOSURE + "mitigations:\n"
                 "  - name: more-stock\n    overrides: {network.nodes.dc-joliet.policy.service_level: 0.999}\n"
                 "  - name: reroute\n    overrides: {reroute: cheapest}\n")
    out = tmp_path / "r"
    result = cli_run("run", "--no-review", path, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    comparison = pd.read_parquet(out / "comparison.parquet")
    assert set(comparison["variant"]) == {"scenario", "more-stock", "reroute"}
    net = comparison[(comparison["level"] == "network") & (comparison["period"] == "horizon")]
    held = net.set_index(["variant", "metric"])["delta"]
    assert held["more-stock", "avg_on_hand_units"] > held["scenario", "avg_on_hand_units"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["variants"] == ["baseline", "scenario", "more-stock", "reroute"]
    assert any("reroute: (unset) -> 'cheapest' (mitigation reroute)" in c for c in manifest["changes"])


def test_sweep_of_closure_duration(write, tmp_path):
    path = write("s.yaml", HEAD + "disruptions:\n" + CLOSURE
                 + "sweep:\n  disruptions.closure.duration_days: [0, 1, 3, 6]\n")
    out = tmp_path / "r"
    result = cli_run("run", "--no-review", path, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    c = pd.read_parquet(out / "comparison.parquet")
    lost = (c[(c["level"] == "network") & (c["period"] == "horizon") & (c["metric"] == "lost_units")]
            .set_index("sweep_value")["scenario_mean"].sort_index())
    assert list(lost.index) == [0, 1, 3, 6]
    assert lost.iloc[0] == c[(c["level"] == "network") & (c["period"] == "horizon")
                             & (c["metric"] == "lost_units")]["baseline_mean"].iloc[0]
    assert lost.is_monotonic_increasing
    daily = pd.read_parquet(out / "network.parquet")
    assert sorted(daily["sweep_value"].unique()) == [0, 1, 3, 6]


@pytest.mark.parametrize("line,expected", [
    ("  - {type: node_closure, node: nowhere, start_day: 3, duration_days: 1}", "unknown node 'nowhere'"),
    ("  - {type: node_closure, node: dc-joliet, start_day: 3, duration_days: -1}", "'duration_days' must be >= 0"),
    ("  - {type: node_closure, node: dc-joliet, start_window: [3, 9], duration_days: 1, probability: 1.5}",
     "'probability' must be <= 1"),
    ("  - {type: capacity_loss, node: dc-joliet, fraction: 0.5, start_day: 3, duration_days: 2}",
     "has no capacity to lose"),
    ("  - {type: demand_shock, node: dc-joliet, multiply: 2, start_day: 3, duration_days: 2}", "is not a store"),
    ("  - {type: lane_closure, lanes: {from: store-elgin}, start_day: 3, duration_days: 2}", "no lane matches"),
    ("  - {type: node_closure, node: dc-joliet, after: nothing, duration_days: 2}", "no disruption is named 'nothing'"),
    ("  - {type: supplier_failure, supplier: sup-madison, start_day: 3, duration_days: 2}",
     "remove 'duration_days'"),
    ("  - {type: inventory_loss, node: store-elgin, fraction: 0.2, mode: hold, start_day: 3}", "a hold needs"),
])
def test_bad_disruptions_give_file_line_and_exit_2(write, tmp_path, line, expected):
    path = write("s.yaml", HEAD + "disruptions:\n" + line + "\n")
    result = cli_run("run", "--no-review", path, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert f"{path}:8:" in result.output and expected in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_cli_set_conflicting_with_sweep_is_an_error(write):
    path = write("s.yaml", HEAD + "disruptions:\n" + CLOSURE + "sweep:\n  disruptions.closure.duration_days: [1, 2]\n")
    result = cli_run("validate", path, "--set", "disruptions.closure.duration_days=3")
    assert result.exit_code == 2 and "swept by the scenario" in result.output


@pytest.mark.parametrize("setting, message", [
    ("horizn_days=3", "unknown key 'horizn_days'; did you mean 'horizon_days'?"),
    ("scenario.horizon_days=3", "unknown key 'scenario'"),
    ("network.nodes.dc-joliet.polcy.service_level=0.9", "unknown key 'polcy'; did you mean 'policy'?"),
])
def test_a_misspelt_set_key_is_reported_at_the_set_not_in_the_file(write, setting, message):
    path = write("s.yaml", HEAD + "disruptions:\n" + CLOSURE)
    result = cli_run("validate", path, "--set", setting)
    assert result.exit_code == 2, result.output
    assert f"--set {setting}:0: {message}" in result.output, result.output


def test_toy_network_writes_new_ledger_columns(write, tmp_path):
    write("net.yaml", TOY_NETWORK.replace("level: 10", "level: 20"))
    path = write("s.yaml", "name: t\nnetwork: net.yaml\nhorizon_days: 12\nreplications: 1\ndisruptions:\n"
                           "  - {type: inventory_loss, node: store, fraction: 0.5, start_day: 4}\n")
    out = tmp_path / "r"
    assert cli_run("run", "--no-review", path, "--out", out, "--quiet").exit_code == 0
    daily = pd.read_parquet(out / "daily.parquet")
    store = daily[(daily["node"] == "store") & (daily["variant"] == "scenario")]
    assert store["destroyed_units"].sum() == 7  # half of the 14 on hand at the end of day 3
