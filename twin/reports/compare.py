"""Paired comparison of scenario against baseline over replications.

Baseline and scenario of a replication share their random numbers, so the
difference of a KPI within a replication is due to the disruption alone.
The comparison reports the mean of those paired differences and its 95%
t-interval over replications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from twin.model import Model
from twin.reports.columns import COMPARISON, COMPARISON_DAILY, NETWORK, NODES, SKUS
from twin.reports.tables import Results, _network_kpis, _node_kpis, daily_arrays
from twin.runplan import BASELINE, SCENARIO


def paired(baseline: np.ndarray, scenario: np.ndarray) -> dict[str, np.ndarray]:
    """Mean of each and of the paired difference, with its 95% t-interval.

    ``baseline`` and ``scenario`` have replications on axis 0; NaNs (a KPI
    undefined in a replication, such as a fill rate without demand) drop the
    replication from the pair.
    """
    baseline = np.asarray(baseline, dtype=np.float64)
    scenario = np.asarray(scenario, dtype=np.float64)
    diff = scenario - baseline
    valid = np.isfinite(diff)
    n = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        base_mean = np.where(n > 0, np.nansum(np.where(valid, baseline, 0), axis=0) / n, np.nan)
        scen_mean = np.where(n > 0, np.nansum(np.where(valid, scenario, 0), axis=0) / n, np.nan)
        delta = np.where(n > 0, np.nansum(np.where(valid, diff, 0), axis=0) / n, np.nan)
        dev = np.where(valid, diff - delta, 0.0)
        sd = np.sqrt(np.where(n > 1, (dev**2).sum(axis=0) / (n - 1), np.nan))
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
        half = np.where(n > 1, half, np.nan)
        pct = np.where((n > 0) & (base_mean != 0), delta / np.abs(base_mean) * 100.0, np.nan)
    return {"baseline_mean": base_mean, "scenario_mean": scen_mean, "delta": delta, "delta_pct": pct,
            "ci95_low": delta - half, "ci95_high": delta + half, "n_replications": n}


def _block(level: str, keys: list[str], period: str, metrics: dict[str, tuple[np.ndarray, np.ndarray]]):
    frames = []
    for metric, (base, scen) in metrics.items():
        p = paired(base, scen)
        frames.append(pd.DataFrame({"level": level, "key": keys, "period": period, "metric": metric, **p}))
    return frames


def periods(horizon_days: int, warmup_days: int, windows: list[tuple[float, float]]) -> dict[str, slice]:
    """Day ranges compared: the horizon after warm-up, and before/during/after the disruptions."""
    out = {"horizon": slice(warmup_days, horizon_days)}
    if windows:
        first = max(warmup_days, int(np.floor(min(w[0] for w in windows))))
        last = min(horizon_days, int(np.ceil(max(w[1] for w in windows))))
        for name, a, b in (("before", warmup_days, first), ("during", first, last), ("after", last, horizon_days)):
            if b > a and b > warmup_days:
                out[name] = slice(max(a, warmup_days), b)
    return out


_NODE_METRICS = [c for c in NODES if c not in ("variant", "replication", "node", "kind", "days")]
_NETWORK_METRICS = [c for c in NETWORK if c not in ("variant", "replication", "days")]
_SKU_METRICS = [c for c in SKUS if c not in ("variant", "replication", "sku", "segment", "category")]


def comparison_table(model: Model, results: Results, nodes: pd.DataFrame, skus: pd.DataFrame,
                     horizon_days: int, warmup_days: int,
                     windows: list[tuple[float, float]]) -> pd.DataFrame:
    """``comparison.parquet``: paired deltas at network, node and SKU level."""
    frames = []
    daily = {v: [daily_arrays(model, r[v]) for r in results] for v in (BASELINE, SCENARIO)}
    for period, days in periods(horizon_days, warmup_days, windows).items():
        net = {v: [_network_kpis(model, d, days) for d in daily[v]] for v in daily}
        frames += _block("network", ["network"], period, {
            m: (np.array([[k[m]] for k in net[BASELINE]]), np.array([[k[m]] for k in net[SCENARIO]]))
            for m in _NETWORK_METRICS})
        node = {v: [_node_kpis(model, d, days) for d in daily[v]] for v in daily}
        frames += _block("node", model.node_ids, period, {
            m: (np.array([k[m] for k in node[BASELINE]]), np.array([k[m] for k in node[SCENARIO]]))
            for m in _NODE_METRICS})
    reps = len(results)

    def sku_matrix(variant: str, metric: str) -> np.ndarray:
        part = skus[skus["variant"] == variant].sort_values(["replication"], kind="stable")
        return part[metric].to_numpy(dtype=np.float64).reshape(reps, model.n_skus)

    frames += _block("sku", model.sku_ids, "horizon",
                     {m: (sku_matrix(BASELINE, m), sku_matrix(SCENARIO, m)) for m in _SKU_METRICS})
    table = pd.concat(frames, ignore_index=True)
    table["n_replications"] = table["n_replications"].astype(np.int32)
    return table[list(COMPARISON)]


DAILY_METRICS = ("on_hand_units", "days_of_supply", "backorder_units", "lost_units", "fill_rate", "profit_usd")


def comparison_daily_table(model: Model, results: Results) -> pd.DataFrame:
    """``comparison_daily.parquet``: paired deltas per day, per node and for the network."""
    kinds = np.array(model.kinds)
    stores = kinds == "store"
    stocking = np.isin(kinds, ("dc", "store"))
    rate = float(model.daily_demand_units[stores].sum())

    def series(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            fill = np.where(d["demand_units"] > 0, d["filled_from_stock_units"] / d["demand_units"], np.nan)
            dem = d["demand_units"][:, stores].sum(axis=1)
            net_fill = np.where(dem > 0, d["filled_from_stock_units"][:, stores].sum(axis=1) / dem, np.nan)
        on_hand = d["on_hand_units"][:, stocking].sum(axis=1)
        return {
            "node": {"on_hand_units": d["on_hand_units"], "days_of_supply": d["days_of_supply"],
                     "backorder_units": d["backorder_units"], "lost_units": d["lost_units"], "fill_rate": fill,
                     "profit_usd": d["profit_usd"]},
            "network": {"on_hand_units": on_hand,
                        "days_of_supply": on_hand / rate if rate > 0 else np.full_like(on_hand, np.nan),
                        "backorder_units": d["backorder_units"].sum(axis=1),
                        "lost_units": d["lost_units"][:, stores].sum(axis=1), "fill_rate": net_fill,
                        "profit_usd": d["profit_usd"].sum(axis=1)},
        }

    per = {v: [series(daily_arrays(model, r[v])) for r in results] for v in (BASELINE, SCENARIO)}
    frames = []
    days = per[BASELINE][0]["network"]["on_hand_units"].shape[0]
    for metric in DAILY_METRICS:
        base = np.array([s["network"][metric] for s in per[BASELINE]])
        scen = np.array([s["network"][metric] for s in per[SCENARIO]])
        p = paired(base, scen)
        frames.append(pd.DataFrame({"level": "network", "key": "network", "day": np.arange(days), "metric": metric,
                                    **{k: p[k] for k in ("baseline_mean", "scenario_mean", "delta", "ci95_low",
                                                         "ci95_high")}}))
        base = np.array([s["node"][metric] for s in per[BASELINE]])  # (reps, days, nodes)
        scen = np.array([s["node"][metric] for s in per[SCENARIO]])
        p = paired(base, scen)
        n = model.n_nodes
        frames.append(pd.DataFrame({"level": "node", "key": np.tile(np.array(model.node_ids), days),
                                    "day": np.repeat(np.arange(days), n), "metric": metric,
                                    **{k: p[k].ravel() for k in ("baseline_mean", "scenario_mean", "delta",
                                                                 "ci95_low", "ci95_high")}}))
    table = pd.concat(frames, ignore_index=True)
    for column in ("level", "key", "metric"):
        table[column] = table[column].astype("category")
    table["day"] = table["day"].astype(np.int32)
    return table[list(COMPARISON_DAILY)]
