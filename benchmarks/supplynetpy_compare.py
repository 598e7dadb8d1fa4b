"""twin vs SupplyNetPy: the same one-SKU network, 1 supplier -> 10 DCs -> 1,000 stores, for 365 days.

SupplyNetPy (a SimPy-based supply chain simulator on PyPI) is a benchmark-only
package, never a dependency of twin. Set up a separate venv that holds both,
from the project folder::

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -e . -r benchmarks/requirements-supplynetpy.txt
    .venv-bench/bin/python -m benchmarks.supplynetpy_compare [--dcs 10 --stores-per-dc 100 --days 365]

Without SupplyNetPy installed it says so and exits (status 0, nothing written).

The network, in both tools: one infinite supplier; ``--dcs`` DCs, each ordering
from the supplier over a deterministic ``--dc-lead`` days; ``--stores-per-dc``
stores per DC, each ordering from its DC over a deterministic ``--store-lead``
days; one SKU; (s, S) policies with the same explicit s and S at every DC and
store, reviewed daily; every node starts with S on hand and nothing in transit.
Stores lose unmet demand (customers take what is there; the rest is lost).

Demand: twin draws Poisson demand (mean 2-14 a day, by store) and simulates;
the daily quantities it drew at each store are then replayed, customer by
customer, into SupplyNetPy (one customer order per store and day with
demand), so both see exactly the same demand.

Conventions are aligned rather than assumed (details in benchmarks/README.md):
twin's day is receipts -> demand -> review and order, and an order placed on
day t over a lead time of L days is usable from day t + L. In SupplyNetPy
customers arrive at whole times t, stores review at t + 0.5 and DCs at t + 0.6
(``first_review_delay``, ``period=1``), and a link's lead time is L - 0.75, so a
replenishment lands at t + L - 0.25 (stores) or t + L - 0.15 (DCs): before the
customers of day t + L, after the reviews of day t + L - 1. Same day order,
same lead times, no ties between events.

Timed: building each model (twin: ``load_network`` of the YAML; SupplyNetPy:
constructing its nodes, links and demands and ``create_sc_net``) and
simulating it (twin: ``twin.engine.simulate``, best and median of ``--repeats``;
SupplyNetPy: ``simulate_sc_net``, logging off, once). SupplyNetPy keeps no
end-of-day stock, so a small SimPy process reads every node's stock at
t + 0.7; its own time is measured and reported apart. The script prints the
timings and KPIs of both side by side and writes
``benchmarks/results/supplynetpy-compare.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from benchmarks.machine import cpu_model

HERE = Path(__file__).resolve().parent
SETUP = ("python3 -m venv .venv-bench && "
         ".venv-bench/bin/pip install -e . -r benchmarks/requirements-supplynetpy.txt")



def machine() -> dict:
    import numpy
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "memory_gib": round(os.sysconf("SC_PAGE_SIZE")
            * os.sysconf("SC_PHYS_PAGES") / 2**30, 1), "python": platform.python_version(),
            "platform": platform.platform(), "numpy": numpy.__version__}


# --------------------------------------------------------------------------- the network

def design(args) -> dict:
    """Demand means and (s, S) of every store and DC (the same numbers go to both tools)."""
    n_stores = args.dcs * args.stores_per_dc
    mu = np.array([2.0 + 1.5 * (i % 9) for i in range(n_stores)])          # 2 ... 14 units a day
    s = np.ceil(mu * args.store_lead + 1.0 * np.sqrt(mu * args.store_lead)).astype(int)
    S = s + np.ceil(2.0 * mu).astype(int)
    dc_mu = mu.reshape(args.dcs, args.stores_per_dc).sum(axis=1)
    dc_s = np.ceil(dc_mu * (args.dc_lead + args.dc_safety_days)).astype(int)
    dc_S = dc_s + np.ceil(dc_mu * 3).astype(int)
    return {"store_mu": mu, "store_s": s, "store_S": S, "dc_s": dc_s, "dc_S": dc_S,
            "stores": [f"store-{i:04d}" for i in range(n_stores)], "dcs": [f"dc-{j:02d}" for j in range(args.dcs)]}


def twin_yaml(args, net: dict) -> str:
    """The network file for twin."""
    lines = ["name: supplynetpy-compare",
             f"description: 1 supplier -> {args.dcs} DCs -> {len(net['stores'])} stores, one SKU, (s, S) everywhere.",
             "holding_rate_per_year: 0.25",
             "skus:",
             "  - {id: sku-1, unit_cost: 1.0, price: 2.0, weight_kg: 1.0}",
             "nodes:",
             "  - {id: supplier, kind: supplier}"]
    for j, dc in enumerate(net["dcs"]):
        s, S = int(net["dc_s"][j]), int(net["dc_S"][j])
        lines.append(f"  - {{id: {dc}, kind: dc, source: supplier, initial_on_hand: {S}, "
                     f"policy: {{type: sS, s: {s}, S: {S}}}}}")
    for i, store in enumerate(net["stores"]):
        dc = net["dcs"][i // args.stores_per_dc]
        s, S, mu = int(net["store_s"][i]), int(net["store_S"][i]), float(net["store_mu"][i])
        lines.append(f"  - {{id: {store}, kind: store, source: {dc}, initial_on_hand: {S}, unmet_demand: lost, "
                     f"demand: {{dist: poisson, mean: {mu:g}}}, policy: {{type: sS, s: {s}, S: {S}}}}}")
    lines.append("lanes:")
    for dc in net["dcs"]:
        lines.append(f"  - {{from: supplier, to: {dc}, transit_days: {args.dc_lead}}}")
    for i, store in enumerate(net["stores"]):
        lines.append(f"  - {{from: {net['dcs'][i // args.stores_per_dc]}, to: {store}, "
                     f"transit_days: {args.store_lead}}}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- twin

def run_twin(args, net: dict, folder: Path) -> dict:
    from twin.disruptions import Disruptions
    from twin.engine import simulate
    from twin.network import load_network

    path = folder / "network.yaml"
    path.write_text(twin_yaml(args, net), encoding="utf-8")
    started = time.perf_counter()
    model = load_network(path)
    build = time.perf_counter() - started
    sims, result = [], None
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = simulate(model, args.days, 0, Disruptions(), seed=args.seed, replication=0)
        sims.append(time.perf_counter() - started)
    rows = {node: r for r, node in enumerate(model.node_ids)}
    st = [rows[s] for s in net["stores"]]
    dc = [rows[d] for d in net["dcs"]]
    daily = result.daily
    return {"build_seconds": build, "simulate_seconds": sims, "demand": daily["demand_units"][:, st],
            "store_sold": daily["sold_units"][:, st], "store_lost": daily["lost_units"][:, st],
            "store_orders": daily["orders_placed"][:, st], "store_ordered": daily["ordered_units"][:, st],
            "store_on_hand": daily["on_hand_units"][:, st],
            "dc_demand": daily["demand_units"][:, dc], "dc_from_stock": daily["filled_from_stock_units"][:, dc],
            "dc_orders": daily["orders_placed"][:, dc], "dc_ordered": daily["ordered_units"][:, dc],
            "dc_on_hand": daily["on_hand_units"][:, dc]}


# --------------------------------------------------------------------------- SupplyNetPy

def run_supplynetpy(args, net: dict, demand: np.ndarray) -> dict:
    """Build the same network in SupplyNetPy, replay ``demand`` (days x stores), simulate."""
    import simpy
    import SupplyNetPy.Components as scm

    days, n_stores = demand.shape
    big = 1e12  # storage capacity: unlimited in twin

    class ReplayDemand(scm.Demand):
        """SupplyNetPy's Demand, whose own loop starts at time 0, started on the store's first day with demand."""

        def __init__(self, *a, first_day: int = 0, **kw):
            self._first_day = first_day
            super().__init__(*a, **kw)

        def behavior(self):
            if self._first_day:
                yield self.env.timeout(self._first_day)
            yield from super().behavior()

    started = time.perf_counter()
    env = simpy.Environment()
    supplier = scm.Supplier(env=env, ID="supplier", name="supplier", node_type="infinite_supplier", logging=False)
    nodes, links, demands, dcs, stores = [supplier], [], [], [], []
    for j, dc_id in enumerate(net["dcs"]):
        dc = scm.InventoryNode(env=env, ID=dc_id, name=dc_id, node_type="distributor", capacity=big,
                               initial_level=int(net["dc_S"][j]), inventory_holding_cost=0.0,
                               replenishment_policy=scm.SSReplenishment,
                               policy_param={"s": int(net["dc_s"][j]), "S": int(net["dc_S"][j]),
                                             "first_review_delay": 0.6, "period": 1},
                               product_sell_price=1.0, product_buy_price=1.0, logging=False)
        dcs.append(dc)
        links.append(scm.Link(env=env, ID=f"l-{dc_id}", source=supplier, sink=dc, cost=0,
                              lead_time=lambda lt=args.dc_lead - 0.75: lt))
    for i, store_id in enumerate(net["stores"]):
        store = scm.InventoryNode(env=env, ID=store_id, name=store_id, node_type="retailer", capacity=big,
                                  initial_level=int(net["store_S"][i]), inventory_holding_cost=0.0,
                                  replenishment_policy=scm.SSReplenishment,
                                  policy_param={"s": int(net["store_s"][i]), "S": int(net["store_S"][i]),
                                                "first_review_delay": 0.5, "period": 1},
                                  product_sell_price=2.0, product_buy_price=1.0, logging=False)
        stores.append(store)
        links.append(scm.Link(env=env, ID=f"l-{store_id}", source=dcs[i // args.stores_per_dc], sink=store, cost=0,
                              lead_time=lambda lt=args.store_lead - 0.75: lt))
        q = demand[:, i]
        sell_days = np.flatnonzero(q > 0)
        if not len(sell_days):
            continue
        # Days to the next day with demand, from each day (past the horizon after the last one).
        gap = np.full(days, days + 1, dtype=np.int64)
        gap[sell_days[:-1]] = np.diff(sell_days)
        gap_l, q_l = gap.tolist(), q.astype(np.int64).tolist()
        demands.append(ReplayDemand(env=env, ID=f"d-{store_id}", name=f"customers of {store_id}",
                                    order_arrival_model=lambda g=gap_l: g[int(env.now)],
                                    order_quantity_model=lambda v=q_l: v[int(env.now)],
                                    demand_node=store, consume_available=True, logging=False,
                                    first_day=int(sell_days[0])))
    nodes += dcs + stores
    scnet = scm.create_sc_net(nodes=nodes, links=links, demands=demands, env=env)
    build = time.perf_counter() - started

    # End-of-day stock (after the reviews at t + 0.6, before the receipts at t + 0.75), timed apart.
    levels = np.zeros((days, len(dcs) + len(stores)))
    everyone = dcs + stores
    recorder_seconds = [0.0]

    def recorder():
        yield env.timeout(0.7)
        for d in range(days):
            t = time.perf_counter()
            levels[d] = [n.inventory.level for n in everyone]
            recorder_seconds[0] += time.perf_counter() - t
            yield env.timeout(1)

    env.process(recorder())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        scm.simulate_sc_net(scnet, sim_time=days, logging=False)
        sim = time.perf_counter() - started
    return {"build_seconds": build, "simulate_seconds": sim, "recorder_seconds": recorder_seconds[0],
            "events_note": "one customer order per store and day with demand",
            "stores": stores, "dcs": dcs, "levels": levels}


# --------------------------------------------------------------------------- KPIs

def kpis_twin(t: dict) -> dict:
    demand = t["demand"].sum()
    return {"store demand (units)": demand,
            "store fill rate": t["store_sold"].sum() / demand,
            "store lost sales (units)": t["store_lost"].sum(),
            "store replenishment orders": t["store_orders"].sum(),
            "store units ordered": t["store_ordered"].sum(),
            "DC units ordered by stores": t["dc_demand"].sum(),
            "DC fill rate (units shipped the day ordered)": t["dc_from_stock"].sum() / max(t["dc_demand"].sum(), 1),
            "DC replenishment orders": t["dc_orders"].sum(),
            "DC units ordered": t["dc_ordered"].sum(),
            "store mean end-of-day on hand (units)": t["store_on_hand"].mean(),
            "DC mean end-of-day on hand (units)": t["dc_on_hand"].mean()}


def kpis_supplynetpy(s: dict, demand_total: float) -> dict:
    stores, dcs, levels = s["stores"], s["dcs"], s["levels"]
    sold = sum(n.stats.demand_fulfilled[1] for n in stores)
    dc_asked = sum(n.stats.demand_received[1] for n in dcs)
    dc_waited = sum(n.stats.waited[1] for n in dcs)
    return {"store demand (units)": demand_total,
            "store fill rate": sold / demand_total,
            "store lost sales (units)": sum(n.stats.lost_sales[1] for n in stores),
            "store replenishment orders": sum(n.stats.demand_placed[0] for n in stores),
            "store units ordered": sum(n.stats.demand_placed[1] for n in stores),
            "DC units ordered by stores": dc_asked,
            "DC fill rate (units shipped the day ordered)": 1 - dc_waited / max(dc_asked, 1),
            "DC replenishment orders": sum(n.stats.demand_placed[0] for n in dcs),
            "DC units ordered": sum(n.stats.demand_placed[1] for n in dcs),
            "store mean end-of-day on hand (units)": levels[:, len(dcs):].mean(),
            "DC mean end-of-day on hand (units)": levels[:, :len(dcs)].mean()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="Setup: " + SETUP)
    ap.add_argument("--dcs", type=int, default=10)
    ap.add_argument("--stores-per-dc", type=int, default=100)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--dc-lead", type=int, default=3, help="supplier -> DC lead time, days (default 3)")
    ap.add_argument("--store-lead", type=int, default=1, help="DC -> store lead time, days (default 1)")
    ap.add_argument("--dc-safety-days", type=float, default=1.0,
                    help="DC reorder point = mean demand x (lead time + this); lower it to make DCs run short")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="twin simulations to time (SupplyNetPy runs once)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "supplynetpy-compare.json")
    args = ap.parse_args()
    if args.dc_lead < 1 or args.store_lead < 1:
        ap.error("lead times must be whole days >= 1")
    try:
        import SupplyNetPy  # noqa: F401
        from importlib.metadata import version
        snp_version = version("supplynetpy")
    except ImportError:
        print("SKIPPED: SupplyNetPy is not installed in this Python (" + sys.executable + ").\n"
              "It is a benchmark-only package, never a twin dependency. Set up the benchmark venv with\n"
              "    " + SETUP + "\n"
              "and run\n    .venv-bench/bin/python -m benchmarks.supplynetpy_compare")
        return

    load_before = os.getloadavg()
    net = design(args)
    with tempfile.TemporaryDirectory(prefix="twin-vs-supplynetpy-") as folder:
        t = run_twin(args, net, Path(folder))
    demand = t["demand"]
    s = run_supplynetpy(args, net, demand)
    load_after = os.getloadavg()

    kt, ks = kpis_twin(t), kpis_supplynetpy(s, float(demand.sum()))
    twin_sim = min(t["simulate_seconds"])
    twin_sim_median = statistics.median(t["simulate_seconds"])
    snp_sim = s["simulate_seconds"] - s["recorder_seconds"]
    store_gap = np.abs(t["store_on_hand"] - s["levels"][:, args.dcs:])
    per_store_fill_twin = t["store_sold"].sum(axis=0) / demand.sum(axis=0)
    per_store_fill_snp = (np.array([n.stats.demand_fulfilled[1] for n in s["stores"]]) / demand.sum(axis=0))

    def num(x):
        x = float(x)
        return round(x, 6) if not x.is_integer() else int(x)

    result = {
        "network": (f"1 infinite supplier -> {args.dcs} DCs -> {len(net['stores'])} stores "
                    f"({args.stores_per_dc} per DC), 1 SKU, {args.days} days; lead times {args.dc_lead} d "
                    f"(supplier -> DC) and {args.store_lead} d (DC -> store); (s, S) everywhere, reviewed daily"),
        "customer_orders_replayed": int((demand > 0).sum()),
        "seconds": {
            "twin_build (load_network)": round(t["build_seconds"], 3),
            "twin_simulate_best": round(twin_sim, 3),
            "twin_simulate_median": round(twin_sim_median, 3),
            "twin_simulate_all": [round(x, 3) for x in t["simulate_seconds"]],
            "supplynetpy_build": round(s["build_seconds"], 3),
            "supplynetpy_simulate (end-of-day recorder excluded)": round(snp_sim, 3),
            "supplynetpy_end_of_day_recorder": round(s["recorder_seconds"], 3),
        },
        "speedup": {
            "simulate (SupplyNetPy / twin median)": round(snp_sim / twin_sim_median, 1),
            "build + simulate": round((s["build_seconds"] + snp_sim) / (t["build_seconds"] + twin_sim_median), 1),
        },
        "kpis": {k: {"twin": num(kt[k]), "supplynetpy": num(ks[k])} for k in kt},
        "agreement": {
            "stores with the same fill rate (to 1e-9)": int((np.abs(per_store_fill_twin - per_store_fill_snp)
                                                             < 1e-9).sum()),
            "largest per-store fill-rate difference": num(np.abs(per_store_fill_twin - per_store_fill_snp).max()),
            "store-days with the same end-of-day stock": int((store_gap < 1e-9).sum()),
            "store-days": int(store_gap.size),
        },
        "parameters": {k: (int(v) if isinstance(v, (int, np.integer)) else v) for k, v in vars(args).items()
                       if k != "out"},
        "versions": {"supplynetpy": snp_version},
        "machine": {**machine(), "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in load_after]},
    }
    try:
        import salabim
        import simpy
        result["versions"].update({"salabim": salabim.__version__, "simpy": simpy.__version__})
    except (ImportError, AttributeError):
        pass
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    width = max(len(k) for k in kt)
    print(result["network"])
    print(f"\n{'':{width}}  {'twin':>14}  {'SupplyNetPy':>14}")
    print(f"{'build (s)':{width}}  {t['build_seconds']:14.3f}  {s['build_seconds']:14.3f}")
    print(f"{'simulate (s)':{width}}  {twin_sim_median:14.3f}  {snp_sim:14.3f}")
    for k in kt:
        a, b = kt[k], ks[k]
        fmt = "14.4f" if not float(a).is_integer() or not float(b).is_integer() else "14,.0f"
        print(f"{k:{width}}  {a:{fmt}}  {b:{fmt}}")
    print(f"\nspeed-up, simulate: {result['speedup']['simulate (SupplyNetPy / twin median)']}x; "
          f"build + simulate: {result['speedup']['build + simulate']}x (target: twin >= 20x faster)")
    print(json.dumps(result["agreement"]))
    print(f"load average before {load_before}, after {load_after}; written to {args.out}")


if __name__ == "__main__":
    main()
