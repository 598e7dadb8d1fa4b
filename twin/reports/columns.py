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

def _ci(name: str, what: str) -> dict[str, str]:
    return {name: what, f"{name}_ci95_low": f"Lower end of the 95% t-interval of {name} over replications.",
            f"{name}_ci95_high": f"Upper end of the 95% t-interval of {name} over replications."}


def _kpi(kpi: str, label: str, threshold: str, units: str, usd: str) -> dict[str, str]:
    return {
        f"{kpi}_baseline": f"Average baseline {label} over the days after the warm-up (mean over replications); "
                           f"every {kpi}_ column is empty where the node has no {label} (hubs).",
        f"{kpi}_threshold": threshold,
        f"{kpi}_worst_drop": f"Most negative daily paired difference of {label}, scenario - baseline "
                             "(mean over replications), on or after the disruption's start; 0 when it never drops.",
        f"{kpi}_worst_drop_ci95_low": "Lower end of the 95% t-interval of the worst day's paired difference.",
        f"{kpi}_worst_drop_ci95_high": "Upper end of the 95% t-interval of the worst day's paired difference.",
        f"{kpi}_worst_day": "Day of the worst drop (empty when it never drops).",
        f"{kpi}_days_below": f"Days after the warm-up with {label} below the threshold, scenario (mean over "
                             "replications).",
        **_ci(f"{kpi}_extra_days_below", "Days below the threshold, scenario - baseline (paired mean)."),
        f"{kpi}_ttr_days": f"Time to recover: days from the disruption's start until the mean {label} is back within "
                           "the recovery tolerance of the baseline average and stays there; 0 when it never leaves "
                           "it; empty when it has not recovered by the end of the horizon.",
        f"{kpi}_recovered": "False when the KPI is still outside the tolerance on the last day.",
        f"{kpi}_loss_area": f"Performance-loss area (resilience triangle): sum over days of baseline - scenario "
                            f"{label} (mean over replications), in {label} x days.",
        **_ci(f"{kpi}_loss_area_units", units),
        **_ci(f"{kpi}_loss_area_usd", usd),
    }


RESILIENCE = {
    "variant": "The variant compared with the baseline: `scenario`, a mitigation, or (stress) a node closure.",
    "sweep_value": "Value of the swept key (empty without a sweep).",
    "level": "`network` or `node`.",
    "key": "Node id (`network` for the network level).",
    "kind": "supplier, hub, dc or store (`network` for the network level).",
    "disruption_start_day": "Day the first disruption starts (earliest over replications); time to recover counts "
                            "from here.",
    "disruption_end_day": "Day the last disruption ends (latest over replications; the horizon if later).",
    **_ci("lost_sales_units", "Lost sales: customer units lost, scenario - baseline (paired mean over replications)."),
    **_ci("lost_margin_usd", "Lost margin: lost units x (price - unit cost), scenario - baseline (paired mean)."),
    **_ci("profit_at_risk_usd", "Profit at risk: profit lost to the disruption, baseline - scenario (paired mean)."),
    "profit_at_risk_p95_usd": "95th percentile of the profit lost over replications.",
    **_kpi("fill_rate", "fill rate",
           "Fill-rate threshold (the scenario's resilience.fill_rate_threshold, 0.95 by default).",
           "Units not served from stock because of the disruption: the scenario's demand x the baseline's fill rate - "
           "the units the scenario served from stock, summed over days.",
           "Those units at the node's average margin per unit (price - unit cost, weighted by the demand it "
           "serves)."),
    **_kpi("days_of_supply", "days of supply",
           "Days-of-supply threshold: resilience.days_of_supply_threshold (0.5 by default) x the node's average "
           "baseline days of supply.",
           "Unit-days of stock short: on-hand units, baseline - scenario, summed over days.",
           "Those unit-days at the node's average unit cost (USD x days of inventory value short)."),
}


STRESS = {
    "rank": "1 = the node whose loss for its time to recover costs most (by risk_exposure_index, then node id).",
    "node": "Node id.",
    "kind": "supplier, hub, dc or store.",
    "city": "The node's city (from the network file; empty when not given).",
    "risk_exposure_index": "impact / the largest impact of any stressed node: the worst node is 1, a node whose "
                           "closure costs nothing 0.",
    "impact": "The ranking measure (impact_measure) of the closure at its TTR, for the network, floored at 0.",
    "impact_measure": "Which column impact is: lost_margin_usd (default), profit_at_risk_usd or lost_sales_units.",
    "ttr_days": "Time to recover: how long the node was closed (its ttr_days, or --ttr-days).",
    "ttr_from": "`network file` or `--ttr-days`.",
    "closure_start_day": "Day every closure starts: the first day after the warm-up.",
    "horizon_days": "Days simulated after the warm-up (--horizon-days): the longest closure tried.",
    **_ci("lost_sales_units", "Customer units lost because of the closure at its TTR (network, paired mean)."),
    **_ci("lost_margin_usd", "Margin of those units, USD (network, paired mean)."),
    **_ci("profit_at_risk_usd", "Profit lost because of the closure at its TTR, baseline - scenario, USD (network, "
                                "paired mean)."),
    "fill_rate_worst_drop": "Worst daily drop of the network fill rate during or after the closure at its TTR "
                            "(paired mean; a fraction, -0.05 = 5 percentage points).",
    "stores_below_threshold": "Stores whose fill rate is below the fill-rate threshold (0.95) on significantly more "
                              "days than in the baseline (resilience.parquet: fill_rate_extra_days_below).",
    "max_extra_days_below": "The most extra days below the threshold at any of those stores (mean over "
                            "replications).",
    "tts_days": "Time to survive: the longest closure (days) after which no day's network fill rate is more than "
                "tts_threshold below the baseline's; = horizon_days when the network survives the whole horizon.",
    "tts_censored": "True when the network survives the node's loss for the whole horizon (TTS >= horizon_days).",
    "days_until_loss": "With the node closed for the whole horizon: days from the closure's start to the first day "
                       "over the threshold (empty when none).",
    "tts_probes": "Closure durations simulated for this node (each with every replication).",
    "tts_threshold": "Largest daily drop of the network fill rate (paired mean, a fraction) a closure may cause and "
                     "still count as absorbed.",
    "mitigate": "True when tts_days < ttr_days: losing the node for its time to recover hurts customers.",
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
    "resilience.parquet": ("Resilience metrics per variant x (network, node), paired against the baseline over "
                           "the days after the warm-up (definitions: docs/resilience.md).", RESILIENCE),
    "flows.parquet": ("The shipment log: one row per shipment leg.", FLOWS),
    "stress.parquet": ("`twin stress` only: one row per stressed node, ranked by risk exposure (definitions: "
                       "docs/resilience.md).", STRESS),
}

#: The tables of every report folder (``twin stress`` adds ``stress.parquet``).
RUN_TABLES = [name for name in TABLES if name != "stress.parquet"]


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
