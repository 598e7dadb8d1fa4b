"""End-to-end: the CLI on the teaching network, and what it does with bad input."""

from __future__ import annotations

import errno
import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import NETWORKS, SCENARIOS, run_cli
from twin.reports.columns import RUN_TABLES, TABLES
from twin.reports.writer import read_metadata
from twin.runplan import BYTES_PER_NODE_DAY

TEACHING = NETWORKS / "teaching.yaml"


def scenario_text(name="t", disruptions="[]", horizon=60, warmup=10, replications=3, seed=7,
                  network=str(TEACHING)):
    return (f"name: {name}\nnetwork: {network}\nhorizon_days: {horizon}\nwarmup_days: {warmup}\n"
            f"replications: {replications}\nseed: {seed}\ndisruptions: {disruptions}\n")


def read_report(folder):
    return {name: pd.read_parquet(folder / name) for name in RUN_TABLES}


def test_validate_shipped_examples():
    files = [TEACHING, SCENARIOS / "teaching-hub-closure.yaml"]
    result = run_cli("validate", *files)
    assert result.exit_code == 0, result.output
    assert result.output.count("ok") == 2


def test_run_writes_every_table_with_documented_columns(write, tmp_path):
    scenario = write("s.yaml", scenario_text(disruptions="[{type: hub_closure, node: hub-chicago, "
                                                         "start_day: 30, duration_days: 2}]"))
    out = tmp_path / "report"
    result = run_cli("run", scenario, "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "Customer fill rate" in result.output
    assert (out / "review.html").exists() and (out / "review.md").exists()
    tables = read_report(out)
    for name in RUN_TABLES:
        columns = TABLES[name][1]
        assert list(tables[name].columns) == list(columns), name
        meta = read_metadata(out / name)
        assert meta["seed"] == 7 and meta["replications"] == 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][str(scenario)]
    assert any(k.endswith("teaching.yaml") for k in manifest["inputs"])
    assert manifest["disruptions_applied"][0]["targets"] == ["hub-chicago"]
    daily = tables["daily.parquet"]
    assert len(daily) == 2 * 3 * 60 * 7
    assert not list(tmp_path.glob(".twin-tmp-*"))


def test_same_seed_identical_parquet_content_whatever_the_workers(write, tmp_path):
    scenario = write("s.yaml", scenario_text(disruptions="[{type: hub_closure, node: hub-chicago, "
                                                         "start_day: 30, duration_days: 2}]"))
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("run", "--no-review", scenario, "--out", a, "--workers", 1, "--quiet").exit_code == 0
    assert run_cli("run", "--no-review", scenario, "--out", b, "--workers", 2, "--quiet").exit_code == 0
    ta, tb = read_report(a), read_report(b)
    for name in RUN_TABLES:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True)


def test_no_disruptions_gives_exactly_zero_deltas(write, tmp_path):
    scenario = write("s.yaml", scenario_text())
    out = tmp_path / "r"
    assert run_cli("run", "--no-review", scenario, "--out", out, "--quiet").exit_code == 0
    comparison = pd.read_parquet(out / "comparison.parquet")
    deltas = comparison["delta"].dropna()
    assert len(deltas) > 100 and (deltas == 0.0).all()
    daily = pd.read_parquet(out / "comparison_daily.parquet")["delta"].dropna()
    assert (daily == 0.0).all()


def test_fuel_spike_raises_transport_cost_by_exactly_fuel_share_times_change(write, tmp_path):
    # Every lane of the teaching network has fuel_share 0.26: +10% fuel -> +2.6% transport cost.
    scenario = write("s.yaml", scenario_text(disruptions="[{type: fuel_price, change_pct: 10, start_day: 0, "
                                                         "duration_days: 60}]"))
    out = tmp_path / "r"
    assert run_cli("run", "--no-review", scenario, "--out", out, "--quiet").exit_code == 0
    net = pd.read_parquet(out / "network.parquet").set_index(["variant", "replication"])
    base, scen = net.loc["baseline"], net.loc["scenario"]
    assert np.allclose(scen["transport_cost_usd"], base["transport_cost_usd"] * 1.026, rtol=1e-12, atol=0)
    assert np.allclose(base["profit_usd"] - scen["profit_usd"], base["transport_cost_usd"] * 0.026, rtol=1e-9)
    assert (scen["revenue_usd"] == base["revenue_usd"]).all()
    flows = pd.read_parquet(out / "flows.parquet")
    f = flows.set_index(["variant", "replication", "shipment_id", "leg"])
    assert np.array_equal(f.loc["baseline"]["units"].to_numpy(), f.loc["scenario"]["units"].to_numpy())


def test_hub_closure_dips_store_depth_then_recovers(write, tmp_path):
    scenario = write("s.yaml", scenario_text(horizon=80, replications=8, disruptions=(
        "[{type: hub_closure, node: hub-chicago, start_day: 40, duration_days: 2}]")))
    out = tmp_path / "r"
    assert run_cli("run", "--no-review", scenario, "--out", out, "--quiet").exit_code == 0
    d = pd.read_parquet(out / "comparison_daily.parquet")
    dos = d[(d["level"] == "node") & (d["metric"] == "days_of_supply") & d["key"].str.startswith("store")]
    window = dos[(dos["day"] >= 40) & (dos["day"] <= 46)]
    # Every store loses depth in the week of the closure, significantly (CI below 0) ...
    worst = window.loc[window.groupby("key", observed=True)["delta"].idxmin()]
    assert len(worst) == 4 and (worst["ci95_high"] < 0).all()
    # ... and none before it.
    assert (dos[dos["day"] < 40]["delta"] == 0).all()
    # The ledger of the whole run balanced (checked by the engine) and stock recovers.
    late = dos[dos["day"] >= 70]
    assert late["delta"].abs().max() < 0.3


BAD_NETWORK_LINES = {
    "bad_yaml": ("nodes:\n  - {id: a, kind: store\n", 2),
    "unknown_key": ("name: n\nskus: [{id: a, unit_cost: 1, price: 2}]\nnodes:\n  - {id: s, kind: supplier, colour: red}\n", 4),
    "unknown_lane_node": ("name: n\nskus: [{id: a, unit_cost: 1, price: 2}]\nnodes:\n  - {id: s, kind: supplier}\n"
                          "lanes:\n  - {from: s, to: nowhere, transit_days: 1}\n", 6),
    "negative_transit": ("name: n\nskus: [{id: a, unit_cost: 1, price: 2}]\nnodes:\n  - {id: s, kind: supplier}\n"
                         "  - {id: st, kind: store, demand: {dist: poisson, mean: 1}}\n"
                         "lanes:\n  - {from: s, to: st, transit_days: -2}\n", 7),
    "s_not_below_S": ("name: n\nskus: [{id: a, unit_cost: 1, price: 2}]\nnodes:\n  - {id: s, kind: supplier}\n"
                      "  - id: st\n    kind: store\n    demand: {dist: poisson, mean: 1}\n"
                      "    policy: {type: sS, s: 8, S: 8}\n"
                      "lanes:\n  - {from: s, to: st, transit_days: 1}\n", 8),
    "infinite_price": ("name: n\nskus:\n  - {id: a, unit_cost: 1, price: .inf}\nnodes:\n  - {id: s, kind: supplier}\n"
                       "  - {id: st, kind: store, demand: {dist: poisson, mean: 1}}\n"
                       "lanes:\n  - {from: s, to: st, transit_days: 1}\n", 3),
}


@pytest.mark.parametrize("case", sorted(BAD_NETWORK_LINES))
def test_bad_network_exit_2_with_file_line_and_no_report(case, write, tmp_path):
    text, line = BAD_NETWORK_LINES[case]
    network = write("net.yaml", text)
    scenario = write("s.yaml", scenario_text(network="net.yaml"))
    out = tmp_path / "out"
    result = run_cli("run", "--no-review", scenario, "--out", out)
    assert result.exit_code == 2, result.output
    assert f"{network}:{line}:" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".twin-tmp-*"))
    assert run_cli("validate", network).exit_code == 2


def test_missing_network_file_is_reported_at_its_line(write, tmp_path):
    scenario = write("s.yaml", scenario_text(network="missing.yaml"))
    result = run_cli("run", "--no-review", scenario, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{scenario}:2: network file 'missing.yaml' not found" in result.output
    assert not (tmp_path / "out").exists()


def test_all_problems_of_several_files_reported_at_once(write):
    bad_net = write("net.yaml", BAD_NETWORK_LINES["unknown_key"][0])
    bad_scenario = write("s.yaml", "name: s\nnetwork: x.yaml\nhorizon_days: 0\n")
    result = run_cli("validate", bad_net, bad_scenario)
    assert result.exit_code == 2
    assert f"{bad_net}:4: unknown key 'colour'" in result.output
    assert f"{bad_scenario}:3: 'horizon_days' must be >= 1" in result.output
    assert f"{bad_scenario}:2: network file 'x.yaml' not found" in result.output


def test_scenario_naming_an_unknown_hub(write, tmp_path):
    scenario = write("s.yaml", scenario_text(disruptions="\n  - {type: hub_closure, node: hub-nowhere, "
                                                         "start_day: 3, duration_days: 1}"))
    result = run_cli("run", "--no-review", scenario, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{scenario}:8: unknown node 'hub-nowhere'" in result.output


def test_messages_print_the_files_words_as_written(write, tmp_path):
    # The console must not read "[/red]" in an id as a style tag, nor ":100:" in "file:100:" as an emoji code.
    padding = "".join(f"# line {n}\n" for n in range(8, 100))
    scenario = write("s.yaml", scenario_text(disruptions="") + padding
                     + "  - {type: hub_closure, node: 'hub-[/red]x', start_day: 3, duration_days: 1}\n")
    result = run_cli("run", "--no-review", scenario, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert f"{scenario}:100: unknown node 'hub-[/red]x'" in result.output
    assert "Traceback" not in result.output

    named = write("n.yaml", scenario_text(name="'[bold]q[/b] :100:'", horizon=20, warmup=5, replications=2))
    result = run_cli("run", "--no-review", named, "--out", tmp_path / "named", "--workers", 1)
    assert result.exit_code == 0, result.output
    assert "[bold]q[/b] :100: on teaching" in result.output


def test_a_network_where_a_scenario_belongs_and_the_other_way_round(write, tmp_path):
    scenario = write("s.yaml", scenario_text())
    result = run_cli("run", "--no-review", TEACHING, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert f"{TEACHING}:1: this is a network file, not a scenario" in result.output
    assert "1 problem found" in result.output
    result = run_cli("stress", scenario, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert f"{scenario}:1: this is a scenario file, not a network" in result.output
    assert f"(this one names '{TEACHING}')" in result.output
    chained = write("c.yaml", scenario_text(network="s.yaml"))
    result = run_cli("validate", chained)
    assert result.exit_code == 2, result.output
    assert f"{chained}:2: 's.yaml' is a scenario file; 'network' names the network file" in result.output


def test_a_run_too_big_for_the_memory_is_refused_before_it_starts(write, tmp_path, monkeypatch):
    import psutil

    import twin.run
    monkeypatch.setattr(twin.run, "execute", lambda *a, **k: pytest.fail("started a run that cannot fit"))
    monkeypatch.setattr(psutil, "virtual_memory", lambda: type("Memory", (), {"available": 2 ** 30})())
    scenario = write("s.yaml", scenario_text(replications=3))  # horizon_days on line 3
    assert run_cli("validate", scenario).exit_code == 0  # the file itself is fine
    # 3 replications x 2 variants x 60 days x 7 nodes fit in 1 GB; a horizon a few zeros too long does not.
    result = run_cli("run", "--no-review", scenario, "--out", tmp_path / "out", "--set", "horizon_days=6000000")
    assert result.exit_code == 2, result.output
    need = 3 * 2 * 6_000_000 * 7 * BYTES_PER_NODE_DAY / 2 ** 30
    assert (f"--set horizon_days=6000000:0: the run would hold about {need:,.1f} GB of daily records "
            "(3 replications x 2 variants x 6,000,000 days x 7 nodes), more than the 1.0 GB of memory free") \
        in result.output
    result = run_cli("run", "--no-review", scenario, "--out", tmp_path / "out", "--replications", "300000")
    assert result.exit_code == 2 and f"{scenario}:3: the run would hold about" in result.output, result.output
    result = run_cli("stress", TEACHING, "--ttr-days", "3", "--horizon-days", "9000000", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "--horizon-days:0: the run would hold about" in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_debug_shows_the_traceback(write):
    network = write("net.yaml", BAD_NETWORK_LINES["unknown_key"][0])
    result = run_cli("--debug", "validate", network)
    assert result.exit_code == 2
    assert "Traceback" in result.output


@pytest.mark.parametrize("error, exit_code, message", [
    (OSError(errno.ENOSPC, "No space left on device"), 2, "No space left on device; choose another --out"),
    (OSError("a bug"), 1, "internal error"),
])
def test_failed_write_leaves_nothing_behind(error, exit_code, message, write, tmp_path, monkeypatch):
    import twin.run

    calls = {"n": 0}
    real = twin.run.write_parquet

    def failing(frame, path, metadata):
        calls["n"] += 1
        if calls["n"] == 3:
            raise error
        real(frame, path, metadata)

    monkeypatch.setattr(twin.run, "write_parquet", failing)
    scenario = write("s.yaml", scenario_text(replications=1))
    out = tmp_path / "out"
    result = run_cli("run", "--no-review", scenario, "--out", out, "--quiet", "--workers", 1)
    assert result.exit_code == exit_code, result.output
    assert message in result.output
    assert not out.exists() and not list(tmp_path.glob(".twin-*"))


def test_a_report_folder_that_cannot_be_made_is_refused_before_the_run(write, tmp_path, monkeypatch):
    import twin.run

    monkeypatch.setattr(twin.run, "execute", lambda *a, **k: pytest.fail("simulated before checking --out"))
    scenario = write("s.yaml", scenario_text(replications=1))
    (tmp_path / "file").write_text("x")
    result = run_cli("run", "--no-review", scenario, "--out", tmp_path / "file" / "out", "--quiet")
    assert result.exit_code == 2, result.output
    assert (f"cannot write the report folder {tmp_path / 'file' / 'out'}: {tmp_path / 'file'} is a file, not a folder"
            in result.output)
    assert "Traceback" not in result.output and (tmp_path / "file").read_text() == "x"


def test_existing_out_folder_needs_overwrite(write, tmp_path):
    scenario = write("s.yaml", scenario_text(replications=1))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    result = run_cli("run", "--no-review", scenario, "--out", out, "--quiet")
    assert result.exit_code == 2 and "already exists" in result.output
    assert (out / "keep.txt").exists()
    assert run_cli("run", "--no-review", scenario, "--out", out, "--quiet", "--overwrite").exit_code == 0
    assert not (out / "keep.txt").exists() and (out / "manifest.json").exists()


def test_resume_of_a_finished_report_says_there_is_nothing_to_resume(write, tmp_path):
    scenario = write("s.yaml", scenario_text(replications=1, horizon=20))
    out = tmp_path / "out"
    assert run_cli("run", "--no-review", scenario, "--out", out, "--quiet").exit_code == 0
    before = (out / "manifest.json").read_bytes()
    result = run_cli("run", "--no-review", scenario, "--out", out, "--quiet", "--resume")
    assert result.exit_code == 2, result.output
    assert f"{out} is a finished report: nothing to resume" in result.output
    assert (out / "manifest.json").read_bytes() == before


def test_every_bad_row_of_a_sku_table_is_reported_at_its_line(write):
    """A SKU table is checked in one call; when it fails, each bad row is reported at its CSV line."""
    write("skus.csv", "id,unit_cost,price,weight_kg,category\n"
                      "a,1,2,0.5,food\n"
                      "b,-1,2,0.5,food\n"     # line 3: negative cost
                      "c,1,2,,toys\n"          # line 4: empty weight -> the default
                      "a,1,3,0.5,food\n"       # line 5: id used twice
                      "d,1,two,0.5,food\n")    # line 6: not a number
    network = write("net.yaml", "name: n\nskus: skus.csv\nnodes:\n  - {id: s, kind: supplier}\n"
                                "  - {id: st, kind: store, demand: {dist: poisson, mean: 1}}\n"
                                "lanes:\n  - {from: s, to: st, transit_days: 1}\n")
    table = network.parent / "skus.csv"
    result = run_cli("validate", network)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [f"{table}:{n}:" for n in (3, 5, 6)]
    assert all(line in result.output for line in lines), result.output
    assert f"{table}:5: SKU id 'a' is defined twice" in result.output
    assert f"{table}:4:" not in result.output and f"{table}:2:" not in result.output


def test_a_sku_table_column_problem_is_said_once_and_a_bad_row_only_once(write):
    net = ("name: n\nskus: skus.csv\nnodes:\n  - {id: s, kind: supplier}\n"
           "  - {id: st, kind: store, source: {food: s, toys: s}, demand: {dist: poisson, mean: demand.csv}}\n"
           "lanes:\n  - {from: s, to: st, transit_days: 1}\n")
    write("demand.csv", "sku,mean\na,1\nb,2\nc,3\n")
    write("skus.csv", "id,unit_cost,prize,weight_kg,category\na,1,2,0.5,food\nb,1,2,0.5,toys\nc,1,2,0.5,food\n")
    network = write("net.yaml", net)
    result = run_cli("validate", network)
    assert result.exit_code == 2, result.output
    table = network.parent / "skus.csv"
    assert result.output.count(f"{table}:") == 2, result.output  # not once per row
    assert f"{table}:1: no column 'price'" in result.output
    assert f"{table}:1: unknown column 'prize'; did you mean 'price'?" in result.output

    # A bad row is its own problem only: its SKU and category are still known to the demand table and sources.
    write("skus.csv", "id,unit_cost,price,weight_kg,category\na,1,2,0.5,food\nb,1,inf,0.5,toys\nc,,2,0.5,food\n")
    result = run_cli("validate", network)
    assert result.exit_code == 2, result.output
    assert f"{table}:3: column 'price' must be a finite number (got inf)" in result.output
    assert f"{table}:4: column 'unit_cost' is empty; give a value" in result.output
    assert "2 problems found" in result.output, result.output


def test_a_table_that_does_not_parse_is_said_once_at_its_line(write):
    write("skus.csv", "id,unit_cost,price\na,1,2\nb,1,2\n")
    write("demand.csv", "sku,mean\na,1\nb,2,7\n")  # line 3: a value too many
    network = write("net.yaml", "name: n\nskus: skus.csv\nnodes:\n  - {id: s, kind: supplier}\n"
                                "  - {id: st1, kind: store, demand: {dist: poisson, mean: demand.csv}}\n"
                                "  - {id: st2, kind: store, demand: {dist: poisson, mean: demand.csv}}\n"
                                "lanes:\n  - {from: s, to: st1, transit_days: 1}\n"
                                "  - {from: s, to: st2, transit_days: 1}\n")
    result = run_cli("validate", network)
    assert result.exit_code == 2, result.output
    assert f"{network.parent / 'demand.csv'}:3: 3 values where the header has 2 columns" in result.output
    assert "1 problem found" in result.output, result.output  # not once per store that names the table
    write("demand.csv", "sku,mean\na,1\n\"b,2\n")  # line 3: a quote never closed
    result = run_cli("validate", network)
    assert f"{network.parent / 'demand.csv'}:3: a quote opened on this line is never closed" in result.output, \
        result.output


def test_a_good_sku_table_loads_every_row_with_defaults_for_empty_cells(write):
    from twin.network import load_network

    write("skus.csv", "id,unit_cost,price,weight_kg,segment\n7,1,2,0.5,A\nb,1.5,3,,\n")
    network = write("net.yaml", "name: n\nskus: skus.csv\nnodes:\n  - {id: s, kind: supplier}\n"
                                "  - {id: st, kind: store, demand: {dist: poisson, mean: 1}}\n"
                                "lanes:\n  - {from: s, to: st, transit_days: 1}\n")
    model = load_network(network)
    assert model.sku_ids == ["7", "b"]
    assert list(model.unit_cost) == [1.0, 1.5]
    assert list(model.weight_kg) == [0.5, 0.0] and model.segment == ["A", None]


def test_a_sourcing_loop_is_reported_at_a_source_line_of_the_loop(write):
    network = write("net.yaml", "name: n\nskus: [{id: a, unit_cost: 1, price: 2}]\nnodes:\n"
                                "  - {id: s, kind: supplier}\n"
                                "  - {id: d1, kind: dc, source: d2}\n"          # line 5
                                "  - {id: d2, kind: dc, source: d1}\n"          # line 6
                                "  - {id: st, kind: store, source: d1, demand: {dist: poisson, mean: 1}}\n"
                                "lanes:\n  - {from: s, to: d1, transit_days: 1}\n"
                                "  - {from: d1, to: d2, transit_days: 1}\n  - {from: d2, to: d1, transit_days: 1}\n"
                                "  - {from: d1, to: st, transit_days: 1}\n")
    result = run_cli("validate", network)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    loop = [line for line in result.output.splitlines() if "sourcing loop" in line]
    assert len(loop) == 1, result.output
    assert loop[0].startswith((f"{network}:5:", f"{network}:6:")), loop
    assert "d1 -> d2 -> d1" in loop[0] or "d2 -> d1 -> d2" in loop[0]


def test_a_run_in_this_process_reports_each_simulated_day_and_its_phases(write, tmp_path):
    """Long replications show their days: ``on_day`` counts each replication's simulated days up to the whole."""
    from twin.run import run_scenario

    scenario = write("s.yaml", scenario_text(horizon=12, warmup=2, replications=2, disruptions=(
        "[{type: hub_closure, node: hub-chicago, start_day: 4, duration_days: 2}]")))
    days, phases, done = [], [], []
    run_scenario(scenario, out=tmp_path / "r", workers=1, review=False, on_day=lambda n, per: days.append((n, per)),
                 on_phase=phases.append, progress=lambda d, total: done.append(d))
    assert phases == ["simulating", "writing report"]
    assert done == [1, 2]
    per = 2 * 12  # baseline and scenario, 12 days each
    assert {p for _, p in days} == {per}
    assert [n for n, _ in days] == list(range(1, per + 1)) * 2


def test_a_baseline_only_scenario_simulates_its_days_once(write, tmp_path):
    from twin.run import run_scenario

    scenario = write("s.yaml", scenario_text(horizon=8, warmup=0, replications=1))
    days = []
    run_scenario(scenario, out=tmp_path / "r", workers=1, review=False, on_day=lambda n, per: days.append((n, per)))
    assert days == [(n, 8) for n in range(1, 9)]  # the scenario without disruptions is the baseline: not run again
