"""Shipments handled in bulk give the same run as the same shipments moved leg by leg by the carrier.

The US network's hubs are made uncapacitated, so its supplier -> hub -> DC routes qualify for bulk
shipping (see :mod:`twin.engine.direct`); the reference run turns bulk shipping of those routes off.
Gamma supplier processing and lognormal transit times give fractional departures and arrivals,
fixed lane charges are shared between the legs of a lane and day, and the horizon cuts journeys short.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from twin.engine import direct
from twin.runplan import Plan, run_replication
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]

FLOW_KEYS = ("depart_time", "from_row", "to_row", "link", "leg", "lane", "arrive_time", "units", "weight_kg",
             "cost_usd", "rerouted", "expedited")


def _run(scenario):
    spec = scenario.spec
    plan = Plan(scenario.variants, 45, 5, spec.seed, 1)
    return run_replication(plan, 0)


def _legs(flows):
    """Legs as a table sorted by their content (shipment ids depend on the order shipments were made)."""
    table = np.column_stack([np.asarray(flows[k], dtype=float) for k in FLOW_KEYS])
    return table[np.lexsort(table.T[::-1])]


@pytest.fixture
def scenario(tmp_path):
    network = (ROOT / "networks" / "us-grocery.yaml").read_text()
    network = re.sub(r"(kind: hub, [^\n]*?)capacity_units_per_day: \d+, ", r"\1", network)
    (tmp_path / "net.yaml").write_text(network.replace("us-grocery/", str(ROOT / "networks" / "us-grocery") + "/"))
    (tmp_path / "s.yaml").write_text(
        "name: t\nnetwork: net.yaml\nhorizon_days: 45\nwarmup_days: 5\nreplications: 1\nseed: 11\n"
        "disruptions:\n  - {type: node_closure, node: dc-joliet, start_day: 12, duration_days: 3}\n"
        "  - {type: demand_shock, multiply: 1.6, start_day: 20, duration_days: 4}\n")
    return load_scenario(tmp_path / "s.yaml")


def test_routes_through_steady_hubs_in_bulk_equal_the_carrier(scenario, monkeypatch):
    m = scenario.model
    shipping = direct.DirectShipping.__init__
    through_hubs = np.array([len(link.lanes) > 1 for link in m.links])
    assert through_hubs.any()
    bulk = _run(scenario)

    def carrier_only(self, *args, **kwargs):
        shipping(self, *args, **kwargs)
        assert self.eligible[through_hubs].all()  # every route through a hub qualifies here
        self.eligible[through_hubs] = False

    monkeypatch.setattr(direct.DirectShipping, "__init__", carrier_only)
    legs = _run(scenario)
    for a, b in zip(bulk, legs):
        for name in a.daily:
            np.testing.assert_allclose(a.daily[name], b.daily[name], rtol=1e-12, atol=1e-9, err_msg=name)
        for name in a.sku:
            np.testing.assert_allclose(a.sku[name], b.sku[name], rtol=1e-12, atol=1e-9, err_msg=name)
        np.testing.assert_allclose(_legs(a.flows), _legs(b.flows), rtol=1e-12, atol=1e-9)
        assert len(a.flows["units"]) > 0 and (np.asarray(a.flows["leg"]) == 1).any()
