"""Running stock totals of a large store block equal the sums of its arrays, and drift is caught."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import NETWORKS
from twin.disruptions import Closure, DemandChange, Disruptions, InventoryLoss, Window
from twin.engine import simulate, totals
from twin.network import load_network

MONEY = ("holding_cost_usd", "pipeline_holding_cost_usd")


def _network(tmp_path, backorder_stores: bool, lost_sales_dc: bool):
    """us-grocery, some of its stores owing their customers and a DC losing what it cannot fill."""
    text = (NETWORKS / "us-grocery.yaml").read_text().replace("us-grocery/", f"{NETWORKS / 'us-grocery'}/")
    if backorder_stores:  # the first five stores of DC Joliet backorder unmet demand
        head, _, tail = text.partition("source: dc-joliet, demand")
        lines = ("source: dc-joliet, demand" + tail).split("\n")
        for i in range(5):
            lines[i] = lines[i].replace("policy: {type: sS", "unmet_demand: backorder, policy: {type: sS")
        text = head + "\n".join(lines)
    if lost_sales_dc:
        text = text.replace("    ttr_days: 7\n", "    ttr_days: 7\n    unmet_demand: lost\n", 1)
    path = tmp_path / "net.yaml"
    path.write_text(text)
    return load_network(path)


def _disruptions(model) -> Disruptions:
    stores = [r for r, kind in enumerate(model.kinds) if kind == "store"]
    dc = model.row("dc-joliet")
    return Disruptions(
        closures=[Closure(stores[3], Window(6, 11)), Closure(dc, Window(12, 16)),
                  Closure(model.row("hub-chicago"), Window(4, 7))],
        inventory=[InventoryLoss(stores[0], 8.0, 0.4), InventoryLoss(stores[1], 9.0, 0.5, release=15.0),
                   InventoryLoss(dc, 10.0, 0.6), InventoryLoss(stores[7], 3.0, 0.3, release=18.0)],
        demand=[DemandChange(Window(5, 20), tuple(stores[:6]), None, 1.8)])


def _run(model, disruptions, monkeypatch, tracked: bool):
    monkeypatch.setattr(totals, "MIN_POSITIONS", 0 if tracked else 1 << 62)
    monkeypatch.setattr(totals, "CHECK_EVERY", 1)  # compare with the arrays' sums every day
    checked = []
    check = totals.BlockTotals.check
    monkeypatch.setattr(totals.BlockTotals, "check", lambda self, day, stock: (checked.append(day),
                                                                               check(self, day, stock)))
    result = simulate(model, 40, 5, disruptions, seed=7, replication=1)
    assert checked == (list(range(40)) if tracked else [])
    return result


@pytest.mark.parametrize("backorder_stores,lost_sales_dc", [(False, False), (True, True)])
def test_running_totals_give_the_records_of_summed_stock(tmp_path, monkeypatch, backorder_stores, lost_sales_dc):
    model = _network(tmp_path, backorder_stores, lost_sales_dc)
    disruptions = _disruptions(model)
    summed = _run(model, disruptions, monkeypatch, tracked=False)
    kept = _run(model, disruptions, monkeypatch, tracked=True)
    stores = [r for r, kind in enumerate(model.kinds) if kind == "store"]
    assert summed.daily["destroyed_units"][:, stores].sum() > 0
    if backorder_stores:
        assert summed.daily["backorder_units"][:, stores].sum() > 0
    if lost_sales_dc:
        assert summed.daily["lost_units"][:, model.row("dc-joliet")].sum() > 0
    for name, values in summed.daily.items():
        if name in MONEY:  # summed in another order
            assert np.allclose(values, kept.daily[name], rtol=1e-12, atol=1e-9), name
        else:
            assert np.array_equal(values, kept.daily[name]), name
    for name, values in summed.sku.items():
        assert np.allclose(values, kept.sku[name], rtol=1e-12, atol=1e-9), name


def test_a_stock_change_without_its_total_is_caught():
    rng = np.random.default_rng(0)
    on_hand = rng.integers(0, 9, (6, 5)).astype(np.float32)
    on_order = rng.integers(0, 9, (6, 5)).astype(np.float32)
    stock = {"on_hand": on_hand, "on_order": on_order}
    h = rng.random(5)

    def sums(array):  # single precision, as the end-of-day sums of a large network
        return array[1:5].sum(axis=1), array[1:5].sum(axis=0).astype(np.float64), array[1:5] @ h.astype(np.float32)

    kept = totals.BlockTotals(1, 5, h, stock, sums)
    rows, cols, units = np.array([2, 2, 4]), np.array([0, 3, 1]), np.array([3.0, 1.0, 2.0])
    on_hand[rows, cols] += units  # a receipt, reported
    on_order[rows, cols] -= units
    kept.add({"on_hand": 1, "on_order": -1}, rows, cols, units)
    on_hand[3] -= 1.0  # a loss, reported row-wise
    kept.add_row({"on_hand": -1}, 3, None, np.ones(5))
    on_hand[0, 2] += 5.0  # outside the block: not the block's business
    kept.check(0, stock)
    kept.value["on_hand"][2 - 1] += 1e-3  # row 2: units right, value off (beyond the rounding of 5-term sums)
    with pytest.raises(totals.DriftError, match="on_hand totals differ.*rows \\[\\], SKUs \\[\\], value rows \\[2\\]"):
        kept.check(1, stock)
    kept.value["on_hand"][2 - 1] -= 1e-3
    on_order[4, 4] += 1.0  # not reported
    with pytest.raises(totals.DriftError, match="on_order totals differ.*rows \\[4\\], SKUs \\[4\\]"):
        kept.check(2, stock)


def test_totals_beyond_single_precision_are_checked_in_double():
    """Row totals above 2**24 would be rounded by single-precision sums: those are checked exactly."""
    on_hand = np.full((2, 4), 2.0 ** 23, dtype=np.float32)  # each row 2**25 units
    on_order = np.zeros((2, 4), dtype=np.float32)
    stock = {"on_hand": on_hand, "on_order": on_order}
    h = np.ones(4)
    kept = totals.BlockTotals(0, 2, h, stock, lambda a: (a.sum(axis=1), a.sum(axis=0).astype(np.float64),
                                                         a @ h.astype(np.float32)))
    on_hand[1, 0] += 1.0  # 2**23 + 1 is exact in single precision; the row's 2**25 + 1 is not
    kept.add_row({"on_hand": 1}, 1, np.array([0]), np.array([1.0]))
    kept.check(0, stock)  # single-precision sums would have rounded the row to 2**25
    on_hand[0, 1] += 1.0  # not reported
    with pytest.raises(totals.DriftError, match="rows \\[0\\], SKUs \\[1\\]"):
        kept.check(1, stock)
