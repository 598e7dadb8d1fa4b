"""Every report column, its meaning and unit: the one place they are documented.

``docs/reports.md`` is generated from this module (``python -m twin.reports.columns``)
and the tests check that every table written has exactly these columns.
"""

from __future__ import annotations

COST_COLUMNS = (
    "purchase_cost_usd", "holding_cost_usd", "pipeline_holding_cost_usd", "backorder_cost_usd",
    "lost_sale_cost_usd", "ordering_cost_usd", "transport_cost_usd",
)

_COMMON = {
    "variant": "`baseline` (no disruptions), `scenario`, or the name of a mitigation (scenario + that lever).",
    "sweep_value": "Value of the scenario's swept key for this row (empty without a sweep).",
    "replication": "Replication number, 0-based; all variants of a replication share random numbers.",
}

_MONEY = {
    "revenue_usd": "Units sold to customers x price.",
    "purchase_cost_usd": "Units shipped by suppliers x unit cost, charged to the receiving node when shipped.",
    "holding_cost_usd": "End-of-day on-hand x holding cost per unit-day.",
    "pipeline_holding_cost_usd": "End-of-day units in transit to the node x the shipping node's holding cost.",
    "backorder_cost_usd": "End-of-day backordered units x backorder cost per unit-day.",
    "lost_sale_cost_usd": "Lost units x lost-sale penalty (goodwill).",
    "ordering_cost_usd": "Order lines placed x the node's order cost.",
    "transport_cost_usd": "Cost of the legs of shipments bound to the node (fixed + variable, fuel events applied).",
    "total_cost_usd": "Sum of the seven cost columns.",
    "profit_usd": "revenue_usd - total_cost_usd.",
    "lost_margin_usd": "Lost units x (price - unit cost); informational, not in profit (the revenue is already lost).",
}

DAILY = {
    **_COMMON,
    "day": "Simulated day, 0-based (warm-up included).",
    "warmup": "True on warm-up days, which KPIs exclude.",
    "node": "Node id.",
    "kind": "supplier, hub, dc or store.",
    "on_hand_units": "End-of-day units on hand (hubs: units waiting in the hub).",
    "in_transit_units": "End-of-day units shipped towards the node and not yet usable there.",
    "backorder_units": "End-of-day units owed to customers (stores) or to downstream nodes.",
    "demand_units": "Units demanded: by customers (stores) or ordered by downstream nodes that day.",
    "filled_from_stock_units": "Units of that day's demand served from stock the same day.",
    "sold_units": "Units handed to customers (today's demand and earlier backorders).",
    "lost_units": "Demand that was not served and is lost.",
    "destroyed_units": "Units of stock destroyed (inventory_loss).",
    "held_units": "End-of-day units on quality hold (not usable; not in on_hand_units).",
    "orders_placed": "Order lines placed (one per SKU ordered).",
    "ordered_units": "Units ordered from the node's sources.",
    "received_units": "Units that became usable (hubs: units that arrived; suppliers: units made).",
    "shipped_units": "Units that left the node.",
    "days_of_supply": "Inventory depth: on_hand_units / average daily demand the node serves.",
    **_MONEY,
}

NODES = {
    **_COMMON,
    "node": "Node id.",
    "kind": "supplier, hub, dc or store.",
    "days": "Days counted (after the warm-up).",
    "demand_units": "Units demanded over the counted days.",
    "filled_from_stock_units": "Units served from stock on the day of demand.",
    "fill_rate": "filled_from_stock_units / demand_units.",
    "sold_units": "Units handed to customers.",
    "lost_units": "Units of demand lost.",
    "destroyed_units": "Units of stock destroyed.",
    "stockout_days": "Days on which some demand was not served from stock.",
    "avg_on_hand_units": "Mean end-of-day on-hand.",
    "avg_in_transit_units": "Mean end-of-day units in transit to the node.",
    "avg_backorder_units": "Mean end-of-day backorders.",
    "avg_days_of_supply": "Mean end-of-day inventory depth in days.",
    "min_days_of_supply": "Lowest end-of-day inventory depth in days.",
    "bullwhip_ratio": "Variance of daily units ordered / variance of daily units demanded.",
    "orders_placed": "Order lines placed.",
    "ordered_units": "Units ordered.",
    "received_units": "Units received.",
    "shipped_units": "Units shipped.",
    **_MONEY,
}

NETWORK = {
    **_COMMON,
    "days": "Days counted (after the warm-up).",
    "demand_units": "Customer units demanded at stores.",
    "filled_from_stock_units": "Customer units served from stock on the day of demand.",
    "fill_rate": "Customer fill rate: filled_from_stock_units / demand_units.",
    "lost_units": "Customer units lost.",
    "destroyed_units": "Units of stock destroyed.",
    "avg_on_hand_units": "Mean end-of-day units on hand at DCs and stores.",
    "avg_in_transit_units": "Mean end-of-day units in transit.",
    "avg_backorder_units": "Mean end-of-day units backordered (customers and internal).",
    "avg_days_of_supply": "Network inventory depth: avg_on_hand_units / average daily customer demand.",
    **_MONEY,
}

SKUS = {
    **_COMMON,
    "sku": "SKU id.",
    "segment": "SKU segment label.",
    "category": "SKU category.",
    "demand_units": "Customer units demanded.",
    "filled_from_stock_units": "Customer units served from stock on the day of demand.",
    "fill_rate": "filled_from_stock_units / demand_units.",
    "sold_units": "Units sold to customers.",
    "lost_units": "Customer units lost.",
    "avg_on_hand_units": "Mean end-of-day units on hand over all nodes.",
    "avg_in_transit_units": "Mean end-of-day units in transit.",
    "avg_backorder_units": "Mean end-of-day units backordered.",
    **_MONEY,
}
SKUS["holding_cost_usd"] = "Holding cost of the SKU at every node."
SKUS["transport_cost_usd"] = "Transport cost allocated to the SKU by its weight share of each shipment (units share when weightless)."

COMPARISON = {
    "variant": "The variant compared with the baseline: `scenario` or a mitigation's name.",
    "sweep_value": "Value of the swept key (empty without a sweep); compared with the baseline at the same value.",
    "level": "`network`, `node` or `sku`.",
    "key": "Node or SKU id (`network` for the network level).",
    "period": "`horizon` (all days after the warm-up); for nodes and the network also `before`, `during` and "
              "`after` the disruption window (from the first start to the last end).",
    "metric": "A column of network.parquet, nodes.parquet or skus.parquet.",
    "baseline_mean": "Mean over replications, baseline.",
    "scenario_mean": "Mean over replications, the variant compared.",
    "delta": "Mean of the paired differences variant - baseline.",
    "delta_pct": "delta / |baseline_mean| x 100 (empty when the baseline is 0).",
    "ci95_low": "Lower end of the 95% t-interval of the paired difference (empty with 1 replication).",
    "ci95_high": "Upper end of the 95% t-interval of the paired difference.",
    "n_replications": "Replications paired.",
}

COMPARISON_DAILY = {
    "variant": "The variant compared with the baseline.",
    "sweep_value": "Value of the swept key (empty without a sweep).",
    "level": "`network` or `node`.",
    "key": "Node id (`network` for the network level).",
    "day": "Simulated day.",
    "metric": "on_hand_units, days_of_supply, backorder_units, lost_units, fill_rate or profit_usd.",
    "baseline_mean": "Mean over replications, baseline.",
    "scenario_mean": "Mean over replications, the variant compared.",
    "delta": "Mean paired difference variant - baseline.",
    "ci95_low": "Lower end of the 95% t-interval of the paired difference.",
    "ci95_high": "Upper end of the 95% t-interval of the paired difference.",
}

FLOWS = {
    **_COMMON,
    "shipment_id": "Shipment number within the run (a shipment has one row per leg).",
    "leg": "Leg number along the route, 0-based.",
    "from": "Node the leg leaves.",
    "to": "Node the leg reaches.",
    "origin": "Node that shipped the goods.",
    "destination": "Node that ordered them.",
    "route": "Route of the shipment, node ids joined by '>'.",
    "mode": "Transport mode of the lane.",
    "depart_time": "Departure time in days (continuous).",
    "arrive_time": "Arrival time in days (continuous).",
    "units": "Units on the leg.",
    "weight_kg": "Weight on the leg.",
    "cost_usd": "Cost of the leg (fuel and cost events applied).",
    "rerouted": "True when the shipment left its planned route to avoid a closed hub or lane.",
    "expedited": "True when the leg used the lane's expedited mode.",
}

TABLES = {
    "daily.parquet": ("One row per variant x replication x day x node.", DAILY),
    "nodes.parquet": ("One row per variant x replication x node; KPIs over the days after the warm-up.", NODES),
    "network.parquet": ("One row per variant x replication; network KPIs after the warm-up.", NETWORK),
    "skus.parquet": ("One row per variant x replication x SKU, summed over nodes, after the warm-up.", SKUS),
    "comparison.parquet": ("Paired comparison scenario vs baseline for every KPI.", COMPARISON),
    "comparison_daily.parquet": ("Paired comparison by day, for the review of a disruption's course.",
                                 COMPARISON_DAILY),
    "flows.parquet": ("The shipment log: one row per shipment leg.", FLOWS),
}


def markdown() -> str:
    """The reference of every table, as Markdown."""
    out = ["# Report tables", "",
           "Generated from `twin/reports/columns.py` (`python -m twin.reports.columns > docs/reports.md`).",
           "Units are in the column names: `_units`, `_usd`, `_days`, `_kg`. Every Parquet file carries",
           "the run's provenance in its schema metadata under the key `twin` (JSON: version, scenario, seed,",
           "replications, input files and their SHA-256).", ""]
    for name, (what, columns) in TABLES.items():
        out += [f"## `{name}`", "", what, "", "| column | meaning |", "|---|---|"]
        out += [f"| `{c}` | {d} |" for c, d in columns.items()]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown())
