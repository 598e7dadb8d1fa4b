"""Resilience metrics and the node-by-node stress test, on toy networks small enough to work out by hand.

The toy: a supplier ships through a hub (1 day each lane) to one store with
deterministic demand of 3 units a day and a base-stock level of 16. An order
placed on day t is usable on day t + 2, so in steady state 6 units are in the
pipeline and the store ends each day with 16 - 6 = 10 units on hand. A spare DC
hangs off the supplier with no store behind it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import cli
from twin.resilience import time_to_recover
from twin.run import run_scenario
from twin.stress import StressOptions, run_stress

DEMAND, LEVEL, TRANSIT = 3.0, 16.0, 1.0

TOY = f"""
name: toy
skus:
  - {{id: a, unit_cost: 1.0, price: 2.0, weight_kg: 1.0}}
nodes:
  - {{id: sup, kind: supplier, location: [41.0, -88.0], ttr_days: 5}}
  - {{id: hub, kind: hub, location: [41.5, -88.0], ttr_days: 2}}
  - {{id: dc-spare, kind: dc, location: [41.7, -88.2], source: sup, policy: {{type: base_stock, level: 0}}, ttr_days: 4}}
  - id: store
    kind: store
    location: [42.0, -88.0]
    source: sup
    demand: {{dist: deterministic, mean: {DEMAND:g}}}
    policy: {{type: base_stock, level: {LEVEL:g}}}
lanes:
  - {{from: sup, to: hub, transit_days: {TRANSIT:g}, cost_per_shipment: 10}}
  - {{from: hub, to: store, transit_days: {TRANSIT:g}, cost_per_shipment: 5}}
  - {{from: sup, to: dc-spare, transit_days: 1}}
"""

HUB_CLOSURE = """
name: toy-hub
network: toy.yaml
horizon_days: 25
warmup_days: 3
replications: 2
seed: 1
disruptions:
  - {type: node_closure, node: hub, start_day: 5, duration_days: 5}
"""


def test_time_to_recover_counts_to_the_last_day_outside_the_tolerance():
    days = np.arange(10, 20)
    delta = np.zeros((10, 4))
    delta[2:5, 0] = -1.0                 # out on days 12-14, back from 15: TTR from day 11 = 4
    delta[[2, 6], 1] = [-1.0, 0.5]       # out on 12, in, out again (above) on 16: TTR = 16 + 1 - 11 = 6
    delta[9, 2] = -1.0                   # still out on the last day: not recovered
    delta[:, 3] = -0.015                 # always within 2% of 1.0: never left
    ttr, recovered = time_to_recover(delta, np.ones(4), 0.02, 11.0, days)
    assert list(recovered) == [True, True, False, True]
    assert ttr[0] == 4 and ttr[1] == 6 and math.isnan(ttr[2]) and ttr[3] == 0


@pytest.fixture
def toy(write):
    write("toy.yaml", TOY)
    return write("s.yaml", HUB_CLOSURE)


def test_hub_closure_metrics_by_hand(toy, tmp_path):
    # Hub closed days 5-9: the store's receipts stop from day 6 and resume on day 11 (goods released on
    # day 10 travel 1 day). Its 10 units cover days 6-8 and one unit of day 9: 2 + 3 = 5 units lost, on
    # days 9 (fill 1/3) and 10 (fill 0); from day 11 it is full again.
    report = run_scenario(toy, out=tmp_path / "r", review=False, workers=1)
    store = report.resilience.set_index("key").loc["store"]
    on_hand = LEVEL - 2 * TRANSIT * DEMAND
    days_covered = on_hand / DEMAND                              # 3.33 days from day 6
    lost = DEMAND * 5 - on_hand                                  # 5 closed-pipeline days of demand
    assert store["lost_sales_units"] == pytest.approx(lost)
    assert store["lost_margin_usd"] == pytest.approx(lost * (2.0 - 1.0))
    assert store["fill_rate_worst_drop"] == pytest.approx(-1.0)
    assert store["fill_rate_worst_day"] == 10
    assert store["fill_rate_extra_days_below"] == 2
    assert store["fill_rate_loss_area"] == pytest.approx((1 - (days_covered % 1)) + 1.0)
    assert store["fill_rate_loss_area_units"] == pytest.approx(lost)
    assert store["fill_rate_ttr_days"] == 11 - 5
    assert store["fill_rate_recovered"]
    # The same numbers, summed independently from the daily table.
    daily = pd.read_parquet(report.path / "daily.parquet")
    daily = daily[(daily["node"] == "store") & ~daily["warmup"]]
    lost_by_variant = daily.groupby("variant", observed=True)["lost_units"].sum() / 2
    assert lost_by_variant["scenario"] - lost_by_variant["baseline"] == pytest.approx(store["lost_sales_units"])
    network = report.resilience.set_index("key").loc["network"]
    assert network["lost_sales_units"] == pytest.approx(lost)
    profit = report.network.groupby("variant")["profit_usd"].mean()
    assert network["profit_at_risk_usd"] == pytest.approx(profit["baseline"] - profit["scenario"])


def test_stress_toy_tts_by_hand_and_a_node_that_cannot_hurt(write, tmp_path):
    network = write("toy.yaml", TOY)
    horizon = 20
    report = run_stress(network, out=tmp_path / "s", workers=1, review=False,
                        options=StressOptions(replications=2, horizon_days=horizon, warmup_days=3))
    s = report.stress.set_index("node")
    # Closing the hub or the supplier from day 3 stops the store's receipts from day 4 (hub) or 5
    # (supplier) until 1 or 2 days after it reopens. What the store can still sell is its on hand plus
    # what is past the closed node: hub (10 + 3) / 3 = 4.33 days, supplier (10 + 6) / 3 = 5.33 days, and
    # goods need 1 (hub) or 2 (supplier) days to come back: both absorb floor(4.33 - 1) = floor(5.33 - 2) = 3
    # days. Left closed, the first short day comes floor(4.33) = 4 and floor(5.33) = 5 days after the start.
    on_hand = LEVEL - 2 * TRANSIT * DEMAND
    for node, past, restart in (("hub", DEMAND * TRANSIT, TRANSIT), ("sup", 2 * DEMAND * TRANSIT, 2 * TRANSIT)):
        cover = (on_hand + past) / DEMAND
        assert s.loc[node, "tts_days"] == math.floor(cover - restart), node
        assert s.loc[node, "days_until_loss"] == math.floor(cover), node
    # TTR from the network file: supplier 5 days > TTS 3 (flagged); hub 2 days <= 3 (absorbed, impact 0).
    assert s.loc["sup", "mitigate"] and not s.loc["hub", "mitigate"]
    assert s.loc["sup", "lost_sales_units"] == pytest.approx(DEMAND * 5 - on_hand)   # 5 days without receipts
    assert s.loc["hub", "impact"] == 0
    # The spare DC serves nobody: closing it for the whole horizon costs nothing.
    assert s.loc["dc-spare", "impact"] == 0 and s.loc["dc-spare", "risk_exposure_index"] == 0
    assert s.loc["dc-spare", "tts_days"] == horizon and s.loc["dc-spare", "tts_censored"]
    assert s.loc["sup", "risk_exposure_index"] == 1 and s.loc["sup", "rank"] == 1
    assert (report.path / "stress.parquet").exists() and (report.path / "resilience.parquet").exists()


def test_stress_without_ttr_is_a_located_input_error(write, tmp_path):
    network = write("toy.yaml", TOY.replace(", ttr_days: 2", ""))
    result = CliRunner().invoke(cli, ["stress", str(network), "--out", str(tmp_path / "x"), "--replications", "1"])
    assert result.exit_code == 2
    assert f"{network}:6: hub 'hub' has no 'ttr_days'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x").exists()


def test_stress_cli_prints_the_ranking_with_whole_node_names(write, tmp_path):
    network = write("toy.yaml", TOY)
    result = CliRunner().invoke(cli, ["stress", str(network), "--out", str(tmp_path / "s"), "--replications", "2",
                                      "--horizon-days", "20", "--warmup-days", "3", "--workers", "1", "--no-review"],
                                terminal_width=80)
    assert result.exit_code == 0, result.output
    stress = pd.read_parquet(tmp_path / "s" / "stress.parquet")
    rows = [line.split() for line in result.output.splitlines()]
    ranked = [r for r in rows if len(r) >= 3 and r[0].isdigit() and r[1] in set(stress["node"])]
    # One row per node, in rank order, names whole; the supplier (TTS 3 < TTR 5) is flagged, the hub is not.
    assert [r[1] for r in ranked] == stress.sort_values("rank")["node"].tolist()
    flagged = {r[1] for r in ranked if r[-1] == "yes"}
    assert flagged == set(stress.loc[stress["mitigate"], "node"]) and "sup" in flagged and "hub" not in flagged
