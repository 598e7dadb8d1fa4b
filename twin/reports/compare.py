"""Paired comparison of scenario against baseline over replications.

Every variant of a replication shares its random numbers with the baseline,
so the difference of a KPI within a replication is due to the disruption
(and the lever) alone. The comparison reports the mean of those paired
differences and its 95% t-interval over replications, for each variant
(scenario, mitigations) and sweep point against the baseline of that point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from twin.model import Model
from twin.reports.columns import COMPARISON, COMPARISON_DAILY, COST_COLUMNS, NETWORK, NODES, SKUS
from twin.reports.tables import Labels, Runs, _network_kpis, _node_kpis, daily_arrays, with_labels
from twin.scenario import BASELINE


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
        half = special.stdtrit(np.maximum(n - 1, 1), 0.975) * sd / np.sqrt(n)
        half = np.where(n > 1, half, np.nan)
        pct = np.where((n > 0) & (base_mean != 0), delta / np.abs(base_mean) * 100.0, np.nan)
    return {"baseline_mean": base_mean, "scenario_mean": scen_mean, "delta": delta, "delta_pct": pct,
            "ci95_low": delta - half, "ci95_high": delta + half, "n_replications": n}


def _block(label: dict, level: str, keys: list[str], period: str,
           metrics: dict[str, tuple[np.ndarray, np.ndarray]]):
    frames = []
    keys = pd.array(keys, dtype="str")  # made text once for all metrics
    for metric, (base, scen) in metrics.items():
        p = paired(base, scen)
        frames.append(pd.DataFrame({**label, "level": level, "key": keys, "period": period, "metric": metric, **p}))
    return frames


def periods(horizon_days: int, warmup_days: int, windows: list[tuple[float, float]]) -> dict[str, slice]:
    """Day ranges compared: the horizon after warm-up, and before/during/after the disruptions."""
    out = {"horizon": slice(warmup_days, horizon_days)}
    if windows:
        first = max(warmup_days, int(np.floor(min(w[0] for w in windows))))
        last = int(min(horizon_days, np.ceil(min(max(w[1] for w in windows), 1e9))))
        for name, a, b in (("before", warmup_days, first), ("during", first, last), ("after", last, horizon_days)):
            if b > a and b > warmup_days:
                out[name] = slice(max(a, warmup_days), b)
    return out


_NODE_METRICS = [c for c in NODES if c not in ("variant", "sweep_value", "replication", "node", "kind", "days")]
_NETWORK_METRICS = [c for c in NETWORK if c not in ("variant", "sweep_value", "replication", "days")]
_SKU_METRICS = [c for c in SKUS if c not in ("variant", "sweep_value", "replication", "sku", "segment", "category")]


def _aligned(model: Model, values: np.ndarray, ids: list[str], axis_ids: str) -> np.ndarray:
    """``values`` (reps, n) over ``model``'s nodes or SKUs, reordered to ``ids`` (NaN where absent)."""
    own = model.node_ids if axis_ids == "node" else model.sku_ids
    if own == ids:
        return values
    where = {x: i for i, x in enumerate(own)}
    out = np.full((values.shape[0], len(ids)), np.nan)
    for j, x in enumerate(ids):
        if x in where:
            out[:, j] = values[:, where[x]]
    return out


def pairs(runs: Runs):
    """(baseline index, variant index, variant) for every variant compared with its baseline."""
    baselines = {v.point: i for i, v in enumerate(runs.variants) if v.name == BASELINE}
    for i, v in enumerate(runs.variants):
        if v.name != BASELINE:
            yield baselines[v.point], i, v


def comparison_table(runs: Runs) -> pd.DataFrame:
    """``comparison.parquet``: paired deltas at network, node and SKU level, per variant."""
    frames = []
    H, W = runs.horizon_days, runs.warmup_days
    for b, i, v in pairs(runs):
        base_model = runs.variants[b].model
        ids = base_model.node_ids
        daily = {k: [daily_arrays(runs.variants[k].model, r) for r in runs.of(k)] for k in (b, i)}
        label = {"variant": v.name, "sweep_value": runs.sweep_value(v)}
        for period, days in periods(H, W, v.events.fixed_windows()).items():
            net = {k: [_network_kpis(runs.variants[k].model, d, days) for d in daily[k]] for k in daily}
            frames += _block(label, "network", ["network"], period, {
                m: (np.array([[x[m]] for x in net[b]]), np.array([[x[m]] for x in net[i]]))
                for m in _NETWORK_METRICS})
            node = {k: [_node_kpis(runs.variants[k].model, d, days) for d in daily[k]] for k in daily}
            frames += _block(label, "node", ids, period, {
                m: (np.array([x[m] for x in node[b]]),
                    _aligned(v.model, np.array([x[m] for x in node[i]]), ids, "node"))
                for m in _NODE_METRICS})
        sku_ids = base_model.sku_ids
        sku = {k: runs.of(k) for k in (b, i)}

        def matrix(k: int, metric: str) -> np.ndarray:
            model = runs.variants[k].model
            values = np.array([_sku_metric(model, r, metric, H - W) for r in sku[k]])
            return _aligned(model, values, sku_ids, "sku")

        frames += _block(label, "sku", sku_ids, "horizon", {m: (matrix(b, m), matrix(i, m)) for m in _SKU_METRICS})
    if not frames:
        return pd.DataFrame({c: [] for c in COMPARISON})
    table = pd.concat(frames, ignore_index=True)
    table["n_replications"] = table["n_replications"].astype(np.int32)
    return table[list(COMPARISON)]


def _sku_metric(model: Model, result, metric: str, days: int) -> np.ndarray:
    s = result.sku
    if metric in s:
        return s[metric]
    if metric == "fill_rate":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s["demand_units"] > 0, s["filled_from_stock_units"] / s["demand_units"], np.nan)
    if metric.startswith("avg_"):
        return s[metric[4:].replace("_units", "_unit_days")] / days
    total = sum(s[c] for c in COST_COLUMNS)
    if metric == "total_cost_usd":
        return total
    if metric == "profit_usd":
        return s["revenue_usd"] - total
    raise KeyError(metric)


DAILY_METRICS = ("on_hand_units", "days_of_supply", "backorder_units", "lost_units", "fill_rate", "profit_usd")


def _series(model: Model, d: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    kinds = np.array(model.kinds)
    stores = kinds == "store"
    stocking = np.isin(kinds, ("dc", "store"))
    rate = float(model.daily_demand_units[stores].sum())
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


def comparison_daily_table(runs: Runs) -> pd.DataFrame:
    """``comparison_daily.parquet``: paired deltas per day, per node and for the network, per variant."""
    frames = []
    labels = {name: Labels() for name in ("variant", "level", "key", "metric")}
    keep = ("baseline_mean", "scenario_mean", "delta", "ci95_low", "ci95_high")

    def label(variant: str, level: str, names, codes: np.ndarray, metric: str) -> None:
        labels["variant"].repeat(variant, len(codes))
        labels["level"].repeat(level, len(codes))
        labels["key"].add(names, codes)
        labels["metric"].repeat(metric, len(codes))

    for b, i, v in pairs(runs):
        ids = runs.variants[b].model.node_ids
        per = {k: [_series(runs.variants[k].model, daily_arrays(runs.variants[k].model, r)) for r in runs.of(k)]
               for k in (b, i)}
        days = per[b][0]["network"]["on_hand_units"].shape[0]
        sweep = runs.sweep_value(v)
        n = len(ids)
        for metric in DAILY_METRICS:
            base = np.array([x["network"][metric] for x in per[b]])
            scen = np.array([x["network"][metric] for x in per[i]])
            p = paired(base, scen)
            label(v.name, "network", ["network"], np.zeros(days, dtype=np.int64), metric)
            frames.append(pd.DataFrame({"sweep_value": sweep, "day": np.arange(days), **{k: p[k] for k in keep}}))
            base = np.array([x["node"][metric] for x in per[b]])  # (reps, days, nodes)
            scen = np.array([x["node"][metric] for x in per[i]])
            if v.model.node_ids != ids:
                scen = np.stack([_aligned(v.model, scen[:, t, :], ids, "node") for t in range(days)], axis=1)
            p = paired(base, scen)
            label(v.name, "node", ids, np.tile(np.arange(n), days), metric)
            frames.append(pd.DataFrame({"sweep_value": sweep, "day": np.repeat(np.arange(days), n),
                                        **{k: p[k].ravel() for k in keep}}))
    if not frames:
        return pd.DataFrame({c: [] for c in COMPARISON_DAILY})
    table = pd.concat(frames, ignore_index=True)
    table["day"] = table["day"].astype(np.int32)
    return with_labels(table, labels, COMPARISON_DAILY)
