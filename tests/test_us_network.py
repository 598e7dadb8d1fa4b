"""The US grocery example: the questions its scenarios exist to answer come out right.

Shorter horizons and fewer replications than the shipped scenarios (which are
sized for the demo); the effects tested are large against their confidence
intervals, which every assertion uses.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import SCENARIOS
from twin.run import run_scenario


@pytest.fixture(scope="module")
def closure(tmp_path_factory):
    out = tmp_path_factory.mktemp("us") / "closure"
    return run_scenario(SCENARIOS / "us-hub-closure-48h.yaml", out=out, replications=10,
                        settings=["horizon_days=80"], review=False)


def test_stores_behind_the_closed_hub_lose_depth_then_recover(closure):
    d = closure.comparison_daily
    dos = d[(d["level"] == "node") & (d["metric"] == "days_of_supply") & d["key"].str.startswith("store-")]
    during = dos[(dos["day"] >= 40) & (dos["day"] < 50)]
    # Chicago carries dairy, dry grocery and household for every DC: every store loses depth
    # on some day of the closure's wake, with a 95% interval entirely below zero ...
    significant = during[during["ci95_high"] < 0].groupby("key", observed=True).size()
    assert (significant > 0).sum() == 50
    # ... nothing differs before the closure, and depth is back within 1% of a day at the end.
    assert (dos[dos["day"] < 40]["delta"] == 0).all()
    assert dos[dos["day"] >= 70]["delta"].abs().max() < 0.01


def test_rerouting_beats_waiting_and_costs_more(tmp_path):
    report = run_scenario(SCENARIOS / "us-hub-closure-reroute.yaml", out=tmp_path / "r", replications=6,
                          settings=["horizon_days=80"], review=False)
    c = report.comparison
    net = c[(c["level"] == "network") & (c["period"] == "horizon")].set_index(["variant", "metric"])
    wait_fill, reroute_fill = net.loc[("scenario", "fill_rate")], net.loc[("reroute", "fill_rate")]
    assert reroute_fill["scenario_mean"] > wait_fill["scenario_mean"]
    wait_cost, reroute_cost = net.loc[("scenario", "transport_cost_usd")], net.loc[("reroute", "transport_cost_usd")]
    assert reroute_cost["scenario_mean"] > wait_cost["scenario_mean"]
    # Both are paired against the same baseline, so the gap is the lever's effect:
    assert reroute_fill["ci95_low"] > wait_fill["ci95_high"]
    flows = pd.read_parquet(report.path / "flows.parquet", columns=["variant", "rerouted"])
    assert flows[flows["variant"] == "reroute"]["rerouted"].any()
    assert not flows[flows["variant"] == "scenario"]["rerouted"].any()


def test_lost_sales_grow_with_closure_duration(tmp_path):
    report = run_scenario(SCENARIOS / "us-closure-duration-sweep.yaml", out=tmp_path / "s", replications=4,
                          settings=["horizon_days=90"], review=False)
    c = report.comparison
    lost = (c[(c["level"] == "network") & (c["period"] == "horizon") & (c["metric"] == "lost_units")]
            .set_index("sweep_value")["scenario_mean"].sort_index())
    assert list(lost.index) == [1, 2, 4, 7, 14, 28]
    assert lost.is_monotonic_increasing
    assert lost.iloc[-1] > 10 * lost.iloc[2]
