"""Exact behaviour of the engine on toy networks, checked against hand computation."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import TOY_NETWORK
from twin.disruptions import Closure, Disruptions, FuelChange, TimeChange, Window
from twin.engine import simulate
from twin.network import load_network


@pytest.fixture
def toy(write):
    return load_network(write("toy.yaml", TOY_NETWORK))


def test_base_stock_trace_by_hand(toy):
    # Level 10, demand 3/day, lead time 2 (two 1-day lanes through a hub): the store
    # starts with 10 and orders what it sold every day; orders arrive 2 days later.
    r = simulate(toy, 10, 0, Disruptions(), seed=0, replication=0)
    store = toy.row("store")
    on_hand = r.daily["on_hand_units"][:, store]
    assert on_hand.tolist() == [7, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    assert r.daily["in_transit_units"][:, store].tolist() == [3, 6, 6, 6, 6, 6, 6, 6, 6, 6]
    assert r.daily["ordered_units"][:, store].tolist() == [3] * 10
    assert r.daily["received_units"][:, store].tolist() == [0, 0] + [3] * 8
    assert r.daily["lost_units"][:, store].sum() == 0


def test_order_on_day_t_usable_on_day_t_plus_lead_time(toy):
    r = simulate(toy, 6, 0, Disruptions(), seed=0, replication=0)
    legs = list(zip(r.flows["shipment_id"], r.flows["leg"], r.flows["depart_time"], r.flows["arrive_time"]))
    # Shipment of day 0: leaves the supplier at 0, the hub at 1, reaches the store at 2.
    assert legs[:2] == [(0, 0, 0.0, 1.0), (0, 1, 1.0, 2.0)]


def test_costs_by_hand(toy):
    r = simulate(toy, 10, 0, Disruptions(), seed=0, replication=0)
    store = toy.row("store")
    # Each day one shipment: 10 (supplier->hub) + 5 (hub->store), charged to the store on the
    # day each leg departs: the hub leg of day t's shipment leaves on day t+1.
    assert r.daily["transport_cost_usd"][:, store].tolist() == [10.0] + [15.0] * 9
    # 3 units bought per day at unit cost 1; 3 sold at price 2.
    assert r.daily["purchase_cost_usd"][:, store].tolist() == [3.0] * 10
    assert r.daily["revenue_usd"][:, store].tolist() == [6.0] * 10
    # Holding: default 25%/year x unit cost 1 / 365 per unit-day on end-of-day stock.
    h = 0.25 / 365
    assert np.allclose(r.daily["holding_cost_usd"][:, store], np.array([7, 4, 4, 4, 4, 4, 4, 4, 4, 4]) * h)
    # Pipeline: units in transit to the store at the supplier's holding rate.
    assert np.allclose(r.daily["pipeline_holding_cost_usd"][:, store], np.array([3] + [6] * 9) * h)


def test_hub_closure_delays_by_at_most_its_length_and_loses_nothing(toy):
    hub = toy.row("hub")
    base = simulate(toy, 20, 0, Disruptions(), seed=0, replication=0)
    closed = simulate(toy, 20, 0, Disruptions(closures=[Closure(hub, Window(5, 7))]), seed=0, replication=0)

    def hub_departures(result):
        f = result.flows
        out = {}
        for sid, leg, dep, arr in zip(f["shipment_id"], f["leg"], f["depart_time"], f["arrive_time"]):
            if leg == 1:
                out[int(sid)] = dep
        return out

    b, c = hub_departures(base), hub_departures(closed)
    # Shipments of days 4 and 5 reach the hub at 5 and 6 (closed): they leave at 7.
    assert b[4] == 5.0 and c[4] == 7.0
    assert b[5] == 6.0 and c[5] == 7.0
    for sid in b:
        if sid in c:
            assert 0.0 <= c[sid] - b[sid] <= 2.0
    assert [sid for sid in b if c.get(sid) != b[sid]] == [4, 5]
    # Nothing is lost: total units that left the supplier reached the hub and left it.
    store = toy.row("store")
    assert closed.daily["shipped_units"][:, hub].sum() == closed.daily["received_units"][:, hub].sum()
    # The store runs short exactly while goods are held: stock 4 - 3 - 3 ... then recovers.
    on_hand = closed.daily["on_hand_units"][:, store]
    assert on_hand[:6].tolist() == [7, 4, 4, 4, 4, 4]
    assert on_hand[6] == 1 and on_hand[7] == 0
    assert on_hand[-5:].tolist() == [4] * 5


def test_zero_length_closure_is_the_baseline(toy):
    hub = toy.row("hub")
    base = simulate(toy, 20, 0, Disruptions(), seed=5, replication=1)
    zero = simulate(toy, 20, 0, Disruptions(closures=[Closure(hub, Window(5, 5))]), seed=5, replication=1)
    for name in base.daily:
        assert np.array_equal(base.daily[name], zero.daily[name]), name


def test_lead_time_shock_changes_only_departures_in_window(toy):
    lane = 0  # sup -> hub
    shock = Disruptions(transit={lane: [TimeChange(Window(3, 5), multiply=2.0, add_days=1.0)]})
    r = simulate(toy, 10, 0, shock, seed=0, replication=0)
    f = r.flows
    first = {int(s): (d, a) for s, leg, d, a in zip(f["shipment_id"], f["leg"], f["depart_time"],
                                                     f["arrive_time"]) if leg == 0}
    assert first[2] == (2.0, 3.0)
    assert first[3] == (3.0, 6.0) and first[4] == (4.0, 7.0)  # 1 * 2 + 1 = 3 days
    assert first[5] == (5.0, 6.0)


def test_fuel_change_scales_only_the_fuel_share(write):
    net = TOY_NETWORK.replace("cost_per_shipment: 10}", "cost_per_shipment: 10, fuel_share: 0.25}")
    model = load_network(write("toy.yaml", net))
    base = simulate(model, 10, 0, Disruptions(), seed=0, replication=0)
    fuel = Disruptions(fuel={0: [FuelChange(Window(0, 10), 1.2)]})
    r = simulate(model, 10, 0, fuel, seed=0, replication=0)
    store = model.row("store")
    # Lane 0 costs 10 of which 25% fuel: +20% fuel -> 10.5; lane 1 unchanged (5).
    assert r.daily["transport_cost_usd"][:, store].tolist() == [10.5] + [15.5] * 9
    assert np.array_equal(r.daily["on_hand_units"], base.daily["on_hand_units"])


def test_backorders_are_served_first_when_stock_arrives(write):
    net = TOY_NETWORK.replace("policy: {type: base_stock, level: 10}",
                              "policy: {type: base_stock, level: 10}\n    unmet_demand: backorder\n"
                              "    initial_on_hand: 0")
    model = load_network(write("toy.yaml", net))
    r = simulate(model, 6, 0, Disruptions(), seed=0, replication=0)
    s = model.row("store")
    # Day 0: demand 3 backordered; IP = -3 -> order 13, usable day 2.
    assert r.daily["backorder_units"][:, s].tolist()[:2] == [3, 6]
    assert r.daily["ordered_units"][:, s].tolist()[:3] == [13, 3, 3]
    # Day 2: 13 arrive, 6 backordered served, 3 demanded served -> 4 left.
    assert r.daily["on_hand_units"][:, s].tolist()[2] == 4
    assert r.daily["sold_units"][:, s].tolist()[2] == 9
    assert r.daily["filled_from_stock_units"][:, s].tolist()[:3] == [0, 0, 3]


def test_same_seed_same_draws_and_replications_differ(write):
    net = TOY_NETWORK.replace("{dist: deterministic, mean: 3}", "{dist: poisson, mean: 3}")
    model = load_network(write("toy.yaml", net))
    a = simulate(model, 30, 0, Disruptions(), seed=11, replication=0)
    b = simulate(model, 30, 0, Disruptions(), seed=11, replication=0)
    c = simulate(model, 30, 0, Disruptions(), seed=11, replication=1)
    assert np.array_equal(a.daily["demand_units"], b.daily["demand_units"])
    assert not np.array_equal(a.daily["demand_units"], c.daily["demand_units"])


def test_closure_keeps_common_random_numbers(write):
    net = TOY_NETWORK.replace("{dist: deterministic, mean: 3}", "{dist: poisson, mean: 3}")
    model = load_network(write("toy.yaml", net))
    hub = model.row("hub")
    a = simulate(model, 30, 0, Disruptions(), seed=11, replication=0)
    b = simulate(model, 30, 0, Disruptions(closures=[Closure(hub, Window(10, 14))]), seed=11, replication=0)
    store = model.row("store")
    # Customers demand the same units; what the store orders upstream changes.
    assert np.array_equal(a.daily["demand_units"][:, store], b.daily["demand_units"][:, store])
    assert not np.array_equal(a.daily["on_hand_units"], b.daily["on_hand_units"])


def test_hub_capacity_spreads_goods_over_days(write):
    net = TOY_NETWORK.replace("{id: hub, kind: hub, location: [41.5, -88.0]}",
                              "{id: hub, kind: hub, location: [41.5, -88.0], capacity_units_per_day: 2}")
    model = load_network(write("toy.yaml", net))
    r = simulate(model, 8, 0, Disruptions(), seed=0, replication=0)
    hub = model.row("hub")
    assert r.daily["shipped_units"][:, hub].max() <= 2
    assert r.daily["shipped_units"][:, hub].sum() + r.daily["on_hand_units"][-1, hub] == \
        r.daily["received_units"][:, hub].sum()


def test_serving_in_chunks_changes_nothing_with_a_store_closed(monkeypatch):
    """Serving reads and writes stock a chunk of positions at a time; a few at a time gives the same run."""
    from tests.conftest import NETWORKS
    from twin.engine import stores

    model = load_network(NETWORKS / "us-grocery.yaml")
    store = next(r for r, kind in enumerate(model.kinds) if kind == "store")
    disruptions = Disruptions(closures=[Closure(store, Window(5, 9))])
    whole = simulate(model, 30, 5, disruptions, seed=4, replication=0)
    monkeypatch.setattr(stores, "CHUNK", 7)
    chunked = simulate(model, 30, 5, disruptions, seed=4, replication=0)
    assert whole.daily["lost_units"][5:9, store].sum() > 0  # the closed store's customers were lost
    for name, values in whole.daily.items():
        assert np.array_equal(values, chunked.daily[name]), name
    for name, values in whole.sku.items():
        assert np.array_equal(values, chunked.sku[name]), name


def test_a_finished_run_keeps_its_records_and_not_its_working_arrays(write):
    """salabim keeps its last environment alive; the run's node x SKU arrays must not stay with it."""
    import gc
    import tracemalloc

    k = 5000
    write("skus.csv", "id,unit_cost,price,weight_kg\n" + "".join(f"s{i},1,2,1\n" for i in range(k)))
    stores = "".join(f"  - {{id: st{i}, kind: store, demand: {{dist: poisson, mean: 0.5}}}}\n" for i in range(20))
    lanes = "".join(f"  - {{from: sup, to: st{i}, transit_days: 2}}\n" for i in range(20))
    model = load_network(write("wide.yaml", f"name: wide\nskus: skus.csv\nnodes:\n  - {{id: sup, kind: supplier}}\n"
                                            f"{stores}lanes:\n{lanes}"))
    one_array = model.n_nodes * k * np.dtype(model.dtype).itemsize
    simulate(model, 2, 0, Disruptions(), seed=1, replication=0)  # (first-run caches: source lines, imports)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = simulate(model, 10, 0, Disruptions(), seed=1, replication=0)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    records = sum(a.nbytes for part in (result.daily, result.sku, result.flows) for a in part.values())
    assert result.daily["sold_units"].sum() > 0
    assert kept < records + one_array, (kept, records, one_array)  # the four stock arrays would be 4 x one_array
