"""Every disruption type on a toy network, against an effect computed by hand.

The toy networks use deterministic demand and transit times so each effect
can be written down exactly. Scenarios go through the ordinary file path
(YAML -> validation -> events -> engine).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import TOY_NETWORK, TWO_HUBS_NETWORK
from twin.runplan import Plan, run_replication
from twin.scenario import load_scenario

# sup -> dc -> store, everything 1 day, demand 3/day, base stock 10 at both.
TOY_DC = """
name: toy-dc
skus:
  - {id: a, unit_cost: 1.0, price: 2.0, weight_kg: 1.0}
  - {id: b, unit_cost: 2.0, price: 3.0, weight_kg: 2.0}
nodes:
  - {id: sup, kind: supplier}
  - {id: dc, kind: dc, policy: {type: base_stock, level: 10}}
  - id: store
    kind: store
    demand: {dist: deterministic, mean: {a: 3, b: 1}}
    policy: {type: base_stock, level: 10}
lanes:
  - {from: sup, to: dc, transit_days: 1, cost_per_shipment: 10}
  - {from: dc, to: store, transit_days: 1, cost_per_shipment: 5}
"""


def run(write, network: str, disruptions: str, horizon: int = 20, extra: str = "", replication: int = 0):
    """Simulate every variant of one replication; returns {variant name: result} and the scenario."""
    write("net.yaml", network)
    path = write("s.yaml", f"name: t\nnetwork: net.yaml\nhorizon_days: {horizon}\nwarmup_days: 0\n"
                           f"replications: 1\nseed: 4\n{extra}disruptions:\n{disruptions}\n")
    scenario = load_scenario(path)
    plan = Plan(scenario.variants, horizon, 0, scenario.spec.seed, 1)
    results = run_replication(plan, replication)
    return {v.name: r for v, r in zip(scenario.variants, results)}, scenario


def col(result, scenario, metric, node):
    return result.daily[metric][:, scenario.model.row(node)].tolist()


def test_store_closure_sells_and_receives_nothing(write):
    out, s = run(write, TOY_NETWORK, "  - {type: node_closure, node: store, start_day: 5, duration_days: 2}")
    r = out["scenario"]
    # Days 5 and 6: the 3 units demanded each day are lost, deliveries wait at the door,
    # no order is placed; day 7 the two waiting deliveries (6 units) arrive.
    assert col(r, s, "lost_units", "store")[4:8] == [0, 3, 3, 0]
    assert col(r, s, "on_hand_units", "store")[4:10] == [4, 4, 4, 7, 4, 4]
    assert col(r, s, "received_units", "store")[4:10] == [3, 0, 0, 6, 0, 3]
    assert col(r, s, "ordered_units", "store")[4:9] == [3, 0, 0, 3, 3]
    assert sum(col(r, s, "lost_units", "store")) == 6


def test_dc_closure_ships_receives_and_orders_nothing(write):
    out, s = run(write, TOY_DC, "  - {type: node_closure, node: dc, start_day: 5, duration_days: 2}")
    base, r = out["baseline"], out["scenario"]
    assert col(r, s, "shipped_units", "dc")[5:7] == [0, 0]
    assert col(r, s, "received_units", "dc")[5:7] == [0, 0]
    assert col(r, s, "ordered_units", "dc")[5:7] == [0, 0]
    # The store keeps ordering 4 a day; the DC ships the two days it owes, plus today's, on reopening.
    assert col(r, s, "ordered_units", "store")[5:8] == [4, 4, 4]
    assert col(r, s, "shipped_units", "dc")[7] == 12
    assert col(base, s, "shipped_units", "dc")[5:8] == [4, 4, 4]
    # The store (20 units at level, 16 at the end of a normal day) runs down 4 a day while
    # nothing arrives, and is back to 16 the day after the DC's catch-up shipment; nothing is lost.
    assert sum(col(r, s, "lost_units", "store")) == 0
    assert col(r, s, "on_hand_units", "store")[4:10] == [16, 16, 12, 8, 16, 16]


def test_lane_closure_holds_goods_at_the_lane_start(write):
    out, s = run(write, TOY_NETWORK, "  - {type: lane_closure, lanes: {from: hub, to: store}, start_day: 4, "
                                     "duration_days: 2}")
    f = out["scenario"].flows
    hub_legs = {int(sid): (dep, arr) for sid, leg, dep, arr in
                zip(f["shipment_id"], f["leg"], f["depart_time"], f["arrive_time"]) if leg == 1}
    # Shipments of days 3 and 4 reach the hub at 4 and 5 and leave when the lane reopens at 6.
    assert hub_legs[2] == (3.0, 4.0)
    assert hub_legs[3] == (6.0, 7.0) and hub_legs[4] == (6.0, 7.0)
    assert hub_legs[5] == (6.0, 7.0)


def test_capacity_loss_with_linear_recovery(write):
    net = TOY_NETWORK.replace("{id: hub, kind: hub, location: [41.5, -88.0]}",
                              "{id: hub, kind: hub, location: [41.5, -88.0], capacity_units_per_day: 6}")
    out, s = run(write, net, "  - {type: capacity_loss, node: hub, fraction: 0, start_day: 5, duration_days: 2, "
                             "recovery: linear, recovery_days: 2}")
    shipped = col(out["scenario"], s, "shipped_units", "hub")
    # Capacity 6/day: 0 on days 5-6, 0 on day 7 (recovery starts), 3 on day 8, 6 from day 9.
    assert shipped[4:10] == [3, 0, 0, 0, 3, 6]
    assert col(out["baseline"], s, "shipped_units", "hub")[4:10] == [3] * 6


def test_lead_time_shock_scales_mean_and_variability(write):
    net = TOY_NETWORK.replace("{from: sup, to: hub, transit_days: 1, cost_per_shipment: 10}",
                              "{from: sup, to: hub, transit_days: {dist: lognormal, mean: 2, sd: 0.5}, "
                              "cost_per_shipment: 10}")
    out, s = run(write, net, "  - {type: lead_time_shock, lanes: {from: sup}, multiply: 1.5, add_days: 0.25, "
                             "variability: 2, start_day: 0, duration_days: 30}", horizon=12)

    def first_legs(result):
        f = result.flows
        return {int(d): a - d for d, leg, a in zip(f["depart_time"], f["leg"], f["arrive_time"]) if leg == 0}

    base, shocked = first_legs(out["baseline"]), first_legs(out["scenario"])
    for day, t in base.items():
        if day in shocked:
            assert shocked[day] == pytest.approx(max(0.0, (2 + (t - 2) * 2) * 1.5 + 0.25))


def test_transport_cost_scales_the_whole_lane_cost(write):
    out, s = run(write, TOY_NETWORK, "  - {type: transport_cost, change_pct: 20, lanes: {from: sup}, "
                                     "start_day: 0, duration_days: 20}", horizon=10)
    assert col(out["scenario"], s, "transport_cost_usd", "store") == [12.0] + [17.0] * 9


def test_demand_shock_with_pull_forward_dip(write):
    out, s = run(write, TOY_DC, "  - {type: demand_shock, node: store, skus: {ids: [a]}, multiply: 2, "
                                "start_day: 5, duration_days: 3, dip: {multiply: 0.5, days: 2}}")
    demand = col(out["scenario"], s, "demand_units", "store")
    # SKU a: 3/day -> 6 on days 5-7, 1.5 on days 8-9; SKU b stays 1/day.
    assert demand[3:11] == [4, 4, 7, 7, 7, 2.5, 2.5, 4]


def test_supplier_failure_switches_to_the_alternate_source(write):
    net = """
name: alt
skus: [{id: a, unit_cost: 1, price: 2}]
nodes:
  - {id: sup-a, kind: supplier}
  - {id: sup-b, kind: supplier}
  - id: store
    kind: store
    source: sup-a
    alternate_sources: [sup-b]
    demand: {dist: deterministic, mean: 3}
    policy: {type: base_stock, level: 12}
lanes:
  - {from: sup-a, to: store, transit_days: 1, cost_per_shipment: 10}
  - {from: sup-b, to: store, transit_days: 2, cost_per_shipment: 30}
"""
    out, s = run(write, net, "  - {type: supplier_failure, supplier: sup-a, start_day: 5, requalification_days: 4}")
    f = out["scenario"].flows
    by_day = {int(d): s.model.node_ids[fr] for d, fr in zip(f["depart_time"], f["from_row"])}
    assert [by_day[d] for d in range(5)] == ["sup-a"] * 5
    assert [by_day[d] for d in range(5, 9)] == ["sup-b"] * 4
    assert [by_day[d] for d in range(9, 12)] == ["sup-a"] * 3
    # The alternate is 1 day slower: one extra day of demand is in transit while it is used.
    assert sum(col(out["scenario"], s, "lost_units", "store")) == 0
    base = out["baseline"].flows
    assert set(base["from_row"].tolist()) == {s.model.row("sup-a")}


def test_permanent_supplier_failure_without_alternate_loses_sales(write):
    out, s = run(write, TOY_NETWORK, "  - {type: supplier_failure, supplier: sup, start_day: 5}")
    lost = col(out["scenario"], s, "lost_units", "store")
    # Stock at the end of day 4 is 4 plus 6 in transit (orders of days 3-4): 10 units cover days 5-7
    # and 1 unit of day 8.
    assert lost[:8] == [0] * 8 and lost[8] == 2 and lost[9:] == [3] * 11


def test_inventory_loss_destroys_exactly_the_fraction(write):
    net = TOY_NETWORK.replace("policy: {type: base_stock, level: 10}", "policy: {type: base_stock, level: 16}")
    out, s = run(write, net, "  - {type: inventory_loss, node: store, fraction: 0.3, start_day: 5}")
    r = out["scenario"]
    # End-of-day stock is 16 - 2*3 = 10; at the start of day 5, 30% = 3 units are destroyed.
    assert col(r, s, "destroyed_units", "store")[5] == 3
    assert sum(col(r, s, "destroyed_units", "store")) == 3
    assert col(r, s, "on_hand_units", "store")[4:7] == [10, 7, 7]
    assert col(out["baseline"], s, "on_hand_units", "store")[4:7] == [10, 10, 10]


def test_inventory_hold_is_released(write):
    net = TOY_NETWORK.replace("policy: {type: base_stock, level: 10}", "policy: {type: base_stock, level: 16}")
    out, s = run(write, net, "  - {type: inventory_loss, node: store, fraction: 0.5, mode: hold, start_day: 5, "
                             "duration_days: 3}")
    r = out["scenario"]
    assert col(r, s, "held_units", "store")[4:9] == [0, 5, 5, 5, 0]
    assert sum(col(r, s, "destroyed_units", "store")) == 0
    # The store reorders what is held (IP excludes it) and gets the held units back on day 8.
    assert col(r, s, "on_hand_units", "store")[8] > col(out["baseline"], s, "on_hand_units", "store")[8]


@pytest.mark.parametrize("text", [
    "  - {type: node_closure, node: hub, start_day: 5, duration_days: 0}",
    "  - {type: lane_closure, lanes: {from: sup}, start_day: 5, duration_days: 0}",
    "  - {type: demand_shock, multiply: 3, start_day: 5, duration_days: 0}",
    "  - {type: node_closure, node: hub, start_window: [3, 9], duration_days: 4, probability: 0}",
    "  - {type: inventory_loss, node: store, fraction: 0, start_day: 5}",
])
def test_zero_disruptions_reproduce_the_baseline_exactly(write, text):
    net = TOY_NETWORK.replace("{dist: deterministic, mean: 3}", "{dist: poisson, mean: 3}")
    out, s = run(write, net, text)
    for name in out["baseline"].daily:
        assert np.array_equal(out["baseline"].daily[name], out["scenario"].daily[name]), name


def test_random_start_is_drawn_per_replication_from_its_own_stream(write):
    net = TOY_NETWORK.replace("{dist: deterministic, mean: 3}", "{dist: poisson, mean: 3}")
    text = "  - {type: node_closure, node: hub, start_window: [3, 12], duration_days: 2}"
    starts = set()
    for rep in range(4):
        out, s = run(write, net, text, replication=rep)
        d = s.disruptions(replication=rep)
        (closure,) = d.closures
        assert 3 <= closure.window.start <= 12 and closure.window.end == closure.window.start + 2
        starts.add(round(closure.window.start, 6))
        store = s.model.row("store")
        assert np.array_equal(out["baseline"].daily["demand_units"][:, store],
                              out["scenario"].daily["demand_units"][:, store])
    assert len(starts) == 4


def test_chained_event_starts_when_the_first_ends(write):
    write("net.yaml", TOY_NETWORK)
    path = write("s.yaml", "name: t\nnetwork: net.yaml\nhorizon_days: 30\nreplications: 1\ndisruptions:\n"
                           "  - {name: flood, type: node_closure, node: hub, start_day: 5, duration_days: 3}\n"
                           "  - {type: lane_closure, lanes: {from: sup}, after: flood, delay_days: 1, duration_days: 2}\n")
    d = load_scenario(path).disruptions()
    assert (d.closures[0].window.start, d.closures[0].window.end) == (5, 8)
    assert (d.lane_closures[0].window.start, d.lane_closures[0].window.end) == (9, 11)


def test_rerouting_takes_the_open_path_and_pays_for_it(write):
    net = TWO_HUBS_NETWORK
    closure = "  - {type: node_closure, node: hub-1, start_day: 5, duration_days: 4}"
    wait, s = run(write, net, closure)
    reroute, _ = run(write, net, closure, extra="reroute: cheapest\n")
    f = reroute["scenario"].flows
    legs = [(int(d), s.model.node_ids[t], bool(rr)) for d, t, rr, leg in
            zip(f["depart_time"], f["to_row"], f["rerouted"], f["leg"]) if leg == 0]
    assert [t for d, t, rr in legs if 5 <= d < 9] == ["hub-2"] * 4
    assert all(rr for d, t, rr in legs if 5 <= d < 9)
    assert [t for d, t, rr in legs if d < 5 or d >= 9] == ["hub-1"] * (len(legs) - 4)
    lost_wait = sum(col(wait["scenario"], s, "lost_units", "store"))
    lost_reroute = sum(col(reroute["scenario"], s, "lost_units", "store"))
    assert lost_wait > 0 and lost_reroute == 0
    rerouted_costs = [c for c, rr in zip(f["cost_usd"], f["rerouted"]) if rr]
    assert rerouted_costs == [25.0] * 8  # both legs of each of the 4 rerouted shipments
    cost = lambda out: sum(col(out["scenario"], s, "transport_cost_usd", "store"))
    assert cost(reroute) > cost(wait)


def test_expediting_when_depth_is_low(write):
    net = TOY_NETWORK.replace(
        "  - {from: hub, to: store, transit_days: 1, cost_per_shipment: 5}",
        "  - {from: hub, to: store, transit_days: 1, cost_per_shipment: 5,\n"
        "     expedite: {transit_days: 0.25, cost_multiplier: 4}}").replace(
        "    policy: {type: base_stock, level: 10}",
        "    policy: {type: base_stock, level: 10}\n    expedite_below_days_of_supply: 1.5")
    out, s = run(write, net, "  - {type: node_closure, node: hub, start_day: 5, duration_days: 3}")
    f = out["scenario"].flows
    expedited = [(int(sid), leg) for sid, leg, e in zip(f["shipment_id"], f["leg"], f["expedited"]) if e]
    # Normal stock is 4 units = 1.33 days (< 1.5): every hub -> store leg is expedited, at 4x cost.
    assert expedited and all(leg == 1 for _, leg in expedited)
    # Legs leaving the lane on the same day travel together: one 4 x 5 = 20 charge per day, shared.
    per_day: dict[int, float] = {}
    for c, e, d in zip(f["cost_usd"], f["expedited"], f["depart_time"]):
        if e:
            per_day[int(d)] = per_day.get(int(d), 0.0) + float(c)
    assert per_day and all(v == pytest.approx(20.0) for v in per_day.values())


TWO_STORES = TOY_DC.replace("""lanes:""", """  - id: store2
    kind: store
    demand: {dist: deterministic, mean: {a: 2, b: 1}}
    policy: {type: base_stock, level: 10}
lanes:
  - {from: dc, to: store2, transit_days: 1, cost_per_shipment: 5}""")


def test_closing_one_of_a_dcs_lanes_holds_that_lane_only(write):
    """A DC ships to one store over the carrier (its lane closes) and to another in bulk, the same day."""
    out, s = run(write, TWO_STORES, "  - {type: lane_closure, lanes: {from: dc, to: store2}, start_day: 5, "
                                    "duration_days: 3}")
    base, r = out["baseline"], out["scenario"]
    assert col(r, s, "received_units", "store") == col(base, s, "received_units", "store")
    # store2 orders 3 a day; what the DC ships on days 5-7 waits at the lane's start and
    # leaves when it reopens on day 8, to arrive on day 9 with that day's own shipment.
    assert col(base, s, "received_units", "store2")[5:10] == [3, 3, 3, 3, 3]
    assert col(r, s, "received_units", "store2")[5:10] == [3, 0, 0, 0, 12]
    # Meanwhile store2 lives on its stock: 3 units a day less until the delivery of day 9.
    assert col(base, s, "on_hand_units", "store2")[4:11] == [17] * 7
    assert col(r, s, "on_hand_units", "store2")[4:11] == [17, 17, 14, 11, 8, 17, 17]
