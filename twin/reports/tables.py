"""Result tables (pandas) from the engine's records of every variant and replication."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.engine import RunResult
from twin.model import Model
from twin.scenario import Scenario, Variant
from twin.reports.columns import COST_COLUMNS, DAILY, NETWORK, NODES, SKUS, FLOWS

Results = list[list[RunResult]]  # [replication][variant]


@dataclass
class Runs:
    """The results of a run with what is needed to label them: variants, sweep values, horizon."""

    scenario: Scenario
    results: Results
    horizon_days: int
    warmup_days: int

    @property
    def variants(self) -> list[Variant]:
        return self.scenario.variants

    def sweep_value(self, v: Variant) -> float:
        return float(self.scenario.sweep_values[v.point]) if self.scenario.sweep_key else np.nan

    def of(self, index: int) -> list[RunResult]:
        """Results of variant ``index`` over replications."""
        return [by_rep[index] for by_rep in self.results]

    def labelled(self):
        """(variant index, variant, sweep value) for every variant."""
        for i, v in enumerate(self.variants):
            yield i, v, self.sweep_value(v)


class Labels:
    """A text column built piece by piece as codes into lists of names; a pandas categorical at the end.

    Equals putting the names in every row and calling ``astype("category")`` on the whole column
    (categories sorted, only those present), without making a string of every row first: at a
    million rows that is most of the time of building a table.
    """

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._pieces: list[np.ndarray] = []

    def add(self, names, codes: np.ndarray) -> None:
        """Rows ``names[codes]`` (``codes``: integers into ``names``)."""
        lookup = np.array([self._index.setdefault(str(x), len(self._index)) for x in names], dtype=np.int64)
        self._pieces.append(lookup[np.asarray(codes, dtype=np.int64)])

    def repeat(self, name: str, n: int) -> None:
        """``n`` rows of ``name``."""
        self.add([name], np.zeros(n, dtype=np.int64))

    def categorical(self) -> pd.Categorical:
        codes = np.concatenate(self._pieces) if self._pieces else np.zeros(0, dtype=np.int64)
        names = list(self._index)
        present = np.flatnonzero(np.bincount(codes, minlength=len(names)))
        order = sorted(present.tolist(), key=names.__getitem__)
        rank = np.zeros(len(names), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return pd.Categorical.from_codes(rank[codes], categories=pd.Index([names[c] for c in order], dtype="str"))


def with_labels(table: pd.DataFrame, labels: dict[str, Labels], columns) -> pd.DataFrame:
    """``table`` with the ``labels`` columns added, the columns in the order of ``columns``."""
    for name, column in labels.items():
        table[name] = column.categorical()
    return table[list(columns)]


def daily_arrays(model: Model, result: RunResult) -> dict[str, np.ndarray]:
    """The engine's daily records plus derived columns (days of supply, totals, profit)."""
    d = dict(result.daily)
    rate = model.daily_demand_units
    with np.errstate(divide="ignore", invalid="ignore"):
        d["days_of_supply"] = np.where(rate > 0, d["on_hand_units"] / rate, np.nan)
    d["total_cost_usd"] = sum(d[c] for c in COST_COLUMNS)
    d["profit_usd"] = d["revenue_usd"] - d["total_cost_usd"]
    return d


def daily_table(runs: Runs) -> pd.DataFrame:
    """``daily.parquet``: one row per variant x replication x day x node."""
    frames = []
    labels = {name: Labels() for name in ("variant", "node", "kind")}
    for i, v, sweep in runs.labelled():
        model = v.model
        n = model.n_nodes
        for rep, result in enumerate(runs.of(i)):
            d = daily_arrays(model, result)
            days = d["on_hand_units"].shape[0]
            block = {
                "sweep_value": np.full(days * n, sweep),
                "replication": np.full(days * n, rep, dtype=np.int32),
                "day": np.repeat(np.arange(days, dtype=np.int32), n),
                "warmup": np.repeat(np.arange(days) < runs.warmup_days, n),
            }
            labels["variant"].repeat(v.name, days * n)
            labels["node"].add(model.node_ids, np.tile(np.arange(n), days))
            labels["kind"].add(model.kinds, np.tile(np.arange(n), days))
            for column in DAILY:
                if column not in block and column not in labels:
                    block[column] = d[column].ravel()
            frames.append(pd.DataFrame(block))
    return with_labels(pd.concat(frames, ignore_index=True), labels, DAILY)


_SUMS = ("demand_units", "filled_from_stock_units", "sold_units", "lost_units", "destroyed_units", "orders_placed",
         "ordered_units", "received_units", "shipped_units", "revenue_usd", *COST_COLUMNS,
         "total_cost_usd", "profit_usd", "lost_margin_usd")


def _node_kpis(model: Model, d: dict[str, np.ndarray], days: slice) -> dict[str, np.ndarray]:
    """KPIs per node over ``days`` (arrays over nodes)."""
    out: dict[str, np.ndarray] = {}
    for name in _SUMS:
        out[name] = d[name][days].sum(axis=0)
    out["days"] = np.full(model.n_nodes, d["on_hand_units"][days].shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["fill_rate"] = np.where(out["demand_units"] > 0,
                                    out["filled_from_stock_units"] / out["demand_units"], np.nan)
    short = d["demand_units"][days] - d["filled_from_stock_units"][days] > 1e-9
    out["stockout_days"] = short.sum(axis=0)
    ordered, demand = d["ordered_units"][days], d["demand_units"][days]
    with np.errstate(divide="ignore", invalid="ignore"):
        var_demand = demand.var(axis=0, ddof=1) if demand.shape[0] > 1 else np.full(model.n_nodes, np.nan)
        var_ordered = ordered.var(axis=0, ddof=1) if ordered.shape[0] > 1 else np.full(model.n_nodes, np.nan)
        orders = np.isin(np.array(model.kinds), ("dc", "store"))  # suppliers and hubs never order
        out["bullwhip_ratio"] = np.where((var_demand > 0) & orders, var_ordered / var_demand, np.nan)
    out["avg_on_hand_units"] = d["on_hand_units"][days].mean(axis=0)
    out["avg_in_transit_units"] = d["in_transit_units"][days].mean(axis=0)
    out["avg_backorder_units"] = d["backorder_units"][days].mean(axis=0)
    dos = d["days_of_supply"][days]
    finite = np.isfinite(dos).any(axis=0)
    out["avg_days_of_supply"] = np.where(finite, np.nanmean(np.where(np.isfinite(dos), dos, 0), axis=0), np.nan)
    out["min_days_of_supply"] = np.where(finite, np.nanmin(np.where(np.isfinite(dos), dos, np.inf), axis=0), np.nan)
    return out


def _network_kpis(model: Model, d: dict[str, np.ndarray], days: slice) -> dict[str, float]:
    kinds = np.array(model.kinds)
    stores = kinds == "store"
    stocking = np.isin(kinds, ("dc", "store"))
    out: dict[str, float] = {"days": float(d["on_hand_units"][days].shape[0])}
    out["demand_units"] = float(d["demand_units"][days][:, stores].sum())
    out["filled_from_stock_units"] = float(d["filled_from_stock_units"][days][:, stores].sum())
    out["fill_rate"] = out["filled_from_stock_units"] / out["demand_units"] if out["demand_units"] > 0 else np.nan
    out["lost_units"] = float(d["lost_units"][days][:, stores].sum())
    out["destroyed_units"] = float(d["destroyed_units"][days].sum())
    out["avg_on_hand_units"] = float(d["on_hand_units"][days][:, stocking].sum(axis=1).mean())
    out["avg_in_transit_units"] = float(d["in_transit_units"][days][:, stocking].sum(axis=1).mean())
    out["avg_backorder_units"] = float(d["backorder_units"][days].sum(axis=1).mean())
    rate = float(model.daily_demand_units[stores].sum())
    out["avg_days_of_supply"] = out["avg_on_hand_units"] / rate if rate > 0 else np.nan
    for name in ("revenue_usd", *COST_COLUMNS, "total_cost_usd", "profit_usd", "lost_margin_usd"):
        out[name] = float(d[name][days].sum())
    return out


def node_table(runs: Runs) -> pd.DataFrame:
    """``nodes.parquet``: KPIs per variant x replication x node after the warm-up."""
    rows = []
    for i, v, sweep in runs.labelled():
        model = v.model
        for rep, result in enumerate(runs.of(i)):
            k = _node_kpis(model, daily_arrays(model, result), slice(runs.warmup_days, None))
            block = {"variant": v.name, "sweep_value": sweep, "replication": rep, "node": model.node_ids,
                     "kind": model.kinds}
            block.update({c: k[c] for c in NODES if c not in block})
            rows.append(pd.DataFrame(block, columns=list(NODES)))
    return pd.concat(rows, ignore_index=True)


def network_table(runs: Runs) -> pd.DataFrame:
    """``network.parquet``: network KPIs per variant x replication after the warm-up."""
    rows = []
    for i, v, sweep in runs.labelled():
        for rep, result in enumerate(runs.of(i)):
            k = _network_kpis(v.model, daily_arrays(v.model, result), slice(runs.warmup_days, None))
            rows.append({"variant": v.name, "sweep_value": sweep, "replication": rep,
                         **{c: k[c] for c in NETWORK if c in k}})
    return pd.DataFrame(rows, columns=list(NETWORK))


def sku_table(runs: Runs) -> pd.DataFrame:
    """``skus.parquet``: per variant x replication x SKU, over all nodes, after the warm-up."""
    days = runs.horizon_days - runs.warmup_days
    frames = []
    for i, v, sweep in runs.labelled():
        model = v.model
        for rep, result in enumerate(runs.of(i)):
            s = result.sku
            block: dict[str, object] = {"variant": v.name, "sweep_value": sweep, "replication": rep,
                                        "sku": model.sku_ids, "segment": model.segment, "category": model.category}
            for name in ("demand_units", "filled_from_stock_units", "sold_units", "lost_units", "revenue_usd",
                         *COST_COLUMNS, "lost_margin_usd"):
                block[name] = s[name]
            with np.errstate(divide="ignore", invalid="ignore"):
                block["fill_rate"] = np.where(s["demand_units"] > 0,
                                              s["filled_from_stock_units"] / s["demand_units"], np.nan)
            block["avg_on_hand_units"] = s["on_hand_unit_days"] / days
            block["avg_in_transit_units"] = s["in_transit_unit_days"] / days
            block["avg_backorder_units"] = s["backorder_unit_days"] / days
            total = sum(s[c] for c in COST_COLUMNS)
            block["total_cost_usd"] = total
            block["profit_usd"] = s["revenue_usd"] - total
            frames.append(pd.DataFrame(block, columns=list(SKUS)))
    return pd.concat(frames, ignore_index=True)


def _route_names(model: Model) -> np.ndarray:
    return np.array([">".join([model.node_ids[link.source]] + [model.node_ids[model.lanes[j].target]
                                                                for j in link.lanes])
                     for link in model.links] or [""])


def flows_table(runs: Runs) -> pd.DataFrame:
    """``flows.parquet``: every shipment leg of every variant and replication."""
    frames = []
    labels = {name: Labels() for name in ("variant", "from", "to", "origin", "destination", "route", "mode")}
    for i, v, sweep in runs.labelled():
        model = v.model
        ids = model.node_ids
        routes = _route_names(model)
        origins = np.array([lk.source for lk in model.links] or [0])
        dests = np.array([lk.child for lk in model.links] or [0])
        modes = [lane.mode for lane in model.lanes] or [""]
        for rep, result in enumerate(runs.of(i)):
            f = result.flows
            n = len(f["units"])
            if n == 0:
                continue
            link = f["link"].astype(np.int64)
            for name, names, codes in (("from", ids, f["from_row"]), ("to", ids, f["to_row"]),
                                       ("origin", ids, origins[link]), ("destination", ids, dests[link]),
                                       ("route", routes, link), ("mode", modes, f["lane"])):
                labels[name].add(names, codes)
            labels["variant"].repeat(v.name, n)
            frames.append(pd.DataFrame({
                "sweep_value": np.full(n, sweep), "replication": np.full(n, rep, dtype=np.int32),
                "shipment_id": f["shipment_id"].astype(np.int64), "leg": f["leg"].astype(np.int32),
                "depart_time": f["depart_time"], "arrive_time": f["arrive_time"], "units": f["units"],
                "weight_kg": f["weight_kg"], "cost_usd": f["cost_usd"], "rerouted": f["rerouted"].astype(bool),
                "expedited": f["expedited"].astype(bool),
            }))
    if not frames:
        return pd.DataFrame({c: [] for c in FLOWS})
    return with_labels(pd.concat(frames, ignore_index=True), labels, FLOWS)
