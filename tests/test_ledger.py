"""The stock ledger check catches units created or lost, and passes on real runs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import NETWORKS
from twin import ledger
from twin.disruptions import Closure, Disruptions, FuelChange, TimeChange, Window
from twin.engine import simulate
from twin.network import load_network


@pytest.fixture(scope="module")
def teaching():
    return load_network(NETWORKS / "teaching.yaml")


def test_real_runs_balance(teaching):
    hub = teaching.row("hub-chicago")
    disruptions = Disruptions(closures=[Closure(hub, Window(20, 25))],
                              transit={0: [TimeChange(Window(10, 30), 1.5, 0.5)]},
                              fuel={1: [FuelChange(Window(0, 60), 1.1)]})
    result = simulate(teaching, 60, 5, disruptions, seed=3, replication=2)
    assert ledger.violations(teaching, result.daily) == []


@pytest.mark.parametrize("column,row_kind", [("sold_units", "store"), ("received_units", "dc"),
                                             ("shipped_units", "hub")])
def test_a_unit_created_or_lost_is_caught(teaching, column, row_kind):
    result = simulate(teaching, 30, 0, Disruptions(), seed=1, replication=0)
    daily = {k: v.copy() for k, v in result.daily.items()}
    row = teaching.kinds.index(row_kind)
    daily[column][12, row] += 1.0
    found = ledger.violations(teaching, daily)
    assert found and f"day 12" in found[0]
    with pytest.raises(ledger.ConservationError):
        ledger.check(teaching, daily)


def test_units_vanishing_in_transit_are_caught(teaching):
    result = simulate(teaching, 30, 0, Disruptions(), seed=1, replication=0)
    daily = {k: v.copy() for k, v in result.daily.items()}
    daily["in_transit_units"][15:, teaching.row("dc-joliet")] -= 2.0
    assert any("in transit" in line for line in ledger.violations(teaching, daily))
