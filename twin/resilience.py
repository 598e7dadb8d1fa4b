"""Resilience metrics of a disrupted run, paired against its baseline: ``resilience.parquet``.

For every variant compared with its baseline (scenario, mitigations, sweep
points) and for the network and every node, two KPIs are followed day by day
over the days after the warm-up:

* **fill rate** (units served from stock on the day of demand / units demanded), and
* **days of supply** (on hand / the node's average daily demand: inventory depth).

For each of them:

* **worst drop**: the most negative daily paired difference scenario - baseline
  (mean over replications), the day it happens and its 95% interval;
* **time below threshold**: days on which the KPI is below its threshold (fill
  rate: an absolute level, 95% by default; days of supply: a share of the node's
  average baseline depth, 50% by default), per replication, and the extra days
  the disruption causes (paired, with a 95% interval);
* **time to recover**: days from the disruption's start until the mean KPI is
  back within ``recovery_tolerance`` (2% by default) of the node's average
  baseline level and stays there to the end of the horizon; NaN (with
  ``recovered`` false) when it never does;
* **performance-loss area** (the resilience triangle): the sum over days of the
  shortfall against the baseline, in the KPI's own unit x days, in units
  (units not served from stock; unit-days of stock short) and in USD (those
  units at the node's average margin per unit; unit-days at its average unit cost).

and, per node and for the network, the money the disruption costs:
**lost sales** (units), **lost margin** and **profit at risk** (baseline -
scenario profit), each the mean over replications with a 95% t-interval, and
the 95th percentile of profit at risk over replications.

All sums and counts run over the days after the warm-up; before the disruption
starts every paired difference is exactly zero (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.blocks import row_blocks
from twin.engine import stream
from twin.engine.run import EVENTS
from twin.model import Model
from twin.reports.columns import RESILIENCE
from twin.reports.compare import pairs, paired
from twin.reports.tables import Runs, daily_arrays

KPIS = ("fill_rate", "days_of_supply")


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of the resilience metrics (see the module docstring)."""

    fill_rate: float = 0.95
    days_of_supply_share: float = 0.5
    recovery_tolerance: float = 0.02

    @classmethod
    def of(cls, spec) -> "Thresholds":
        """The thresholds of a scenario file's ``resilience`` block."""
        r = spec.resilience
        return cls(r.fill_rate_threshold, r.days_of_supply_threshold, r.recovery_tolerance)


def mean_ci(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over axis 0 with the 95% t-interval (NaN with one replication)."""
    values = np.asarray(values, dtype=np.float64)
    p = paired(np.zeros_like(values), values)
    return p["delta"], p["ci95_low"], p["ci95_high"]


def disruption_window(variant, seed: int, replications: int, horizon_days: int,
                      warmup_days: int) -> tuple[float, float]:
    """Earliest start and latest end of the variant's disruptions over replications.

    Without any disruption (none planned, or none happening) the window is the
    first KPI day, empty.
    """
    starts, ends = [], []
    for rep in range(replications):
        windows = variant.events.realize(stream(seed, rep, EVENTS)).windows()
        windows = [w for w in windows if np.isfinite(w[0])]
        if windows:
            starts.append(min(w[0] for w in windows))
            ends.append(max(w[1] for w in windows))
    if not starts:
        return float(warmup_days), float(warmup_days)
    return float(min(starts)), float(min(max(ends), horizon_days))


def time_to_recover(delta: np.ndarray, reference: np.ndarray, tolerance: float, start_day: float,
                    days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days from ``start_day`` until ``|delta|`` is within ``tolerance x |reference|`` for good.

    Parameters
    ----------
    delta : (days, n) mean paired difference per day; NaN days count as within tolerance.
    reference : (n,) the baseline level the tolerance is a share of.
    tolerance : share of ``reference``.
    start_day : day the disruption starts.
    days : (days,) the day numbers of the rows of ``delta``.

    Returns
    -------
    ttr_days : (n,) days to recover (0 when never outside the tolerance; NaN when still outside
        on the last day).
    recovered : (n,) bool, False when still outside on the last day.
    """
    band = tolerance * np.abs(reference)[None, :]
    with np.errstate(invalid="ignore"):
        outside = (np.abs(delta) > band + 1e-12) & (days[:, None] >= np.floor(start_day))
    any_out = outside.any(axis=0)
    last = np.where(any_out, len(days) - 1 - np.argmax(outside[::-1], axis=0), -1)
    recovered = ~any_out | (last < len(days) - 1)
    ttr = np.where(any_out, days[np.maximum(last, 0)] + 1 - start_day, 0.0)
    return np.where(recovered, np.maximum(ttr, 0.0), np.nan), recovered


@dataclass
class _Series:
    """Per replication daily arrays (reps, days, n) of one variant at one level."""

    fill_rate: np.ndarray
    days_of_supply: np.ndarray
    filled_units: np.ndarray
    demand_units: np.ndarray
    on_hand_units: np.ndarray
    lost_units: np.ndarray
    lost_margin_usd: np.ndarray
    profit_usd: np.ndarray


def _level_series(model: Model, runs_of: list, days: slice) -> dict[str, _Series]:
    kinds = np.array(model.kinds)
    stores = kinds == "store"
    stocking = np.isin(kinds, ("dc", "store"))
    rate = float(model.daily_demand_units[stores].sum())
    node: dict[str, list] = {k: [] for k in _Series.__dataclass_fields__}
    net: dict[str, list] = {k: [] for k in _Series.__dataclass_fields__}
    for result in runs_of:
        d = daily_arrays(model, result)
        demand, filled = d["demand_units"][days], d["filled_from_stock_units"][days]
        with np.errstate(divide="ignore", invalid="ignore"):
            node["fill_rate"].append(np.where(demand > 0, filled / demand, np.nan))
            store_demand = demand[:, stores].sum(axis=1)
            net["fill_rate"].append(np.where(store_demand > 0, filled[:, stores].sum(axis=1) / store_demand,
                                             np.nan)[:, None])
        on_hand = d["on_hand_units"][days]
        node["days_of_supply"].append(d["days_of_supply"][days])
        net_on_hand = on_hand[:, stocking].sum(axis=1)[:, None]
        net["days_of_supply"].append(net_on_hand / rate if rate > 0 else np.full_like(net_on_hand, np.nan))
        node["filled_units"].append(filled)
        net["filled_units"].append(filled[:, stores].sum(axis=1)[:, None])
        node["demand_units"].append(demand)
        net["demand_units"].append(demand[:, stores].sum(axis=1)[:, None])
        node["on_hand_units"].append(on_hand)
        net["on_hand_units"].append(net_on_hand)
        for name in ("lost_units", "lost_margin_usd", "profit_usd"):
            node[name].append(d[name][days])
        net["lost_units"].append(d["lost_units"][days][:, stores].sum(axis=1)[:, None])
        net["lost_margin_usd"].append(d["lost_margin_usd"][days].sum(axis=1)[:, None])
        net["profit_usd"].append(d["profit_usd"][days].sum(axis=1)[:, None])
    return {"node": _Series(**{k: np.array(v) for k, v in node.items()}),
            "network": _Series(**{k: np.array(v) for k, v in net.items()})}


def unit_values(model: Model) -> dict[str, np.ndarray]:
    """Per node (and for the network, last) the demand-weighted margin and unit cost of a unit it serves."""
    demand = model.mean_demand  # (nodes, SKUs), in the model's precision
    stores = (np.array(model.kinds) == "store").astype(np.float64)
    per_unit = np.stack([np.ones(model.n_skus), model.price - model.unit_cost, model.unit_cost], axis=1)
    by_node = np.empty((model.n_nodes, 3))  # units, margin, cost per node; in double precision, a few rows
    for rows in row_blocks(model.n_nodes, model.n_skus):  # at a time (no copy of a 25M-position table)
        by_node[rows] = demand[rows].astype(np.float64, copy=False) @ per_unit
    sums = np.vstack([by_node, stores @ by_node])  # the network: what its stores serve
    total = sums[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"margin": np.where(total > 0, sums[:, 1] / total, 0.0),
                "unit_cost": np.where(total > 0, sums[:, 2] / total, 0.0)}


def _kpi_columns(kpi: str, base: _Series, scen: _Series, days: np.ndarray, start: float, th: Thresholds,
                 margin: np.ndarray, unit_cost: np.ndarray) -> dict[str, np.ndarray]:
    b, s = getattr(base, kpi), getattr(scen, kpi)
    p = paired(b, s)                                   # arrays (days, n)
    delta = p["delta"]
    finite = np.isfinite(b)
    count = finite.sum(axis=(0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        reference = np.where(count > 0, np.where(finite, b, 0.0).sum(axis=(0, 1)) / count, np.nan)
    after = days >= np.floor(start)
    masked = np.where(after[:, None] & np.isfinite(delta), delta, np.inf)
    worst_idx = np.argmin(masked, axis=0)
    cols = np.arange(delta.shape[1])
    worst = np.where(np.isfinite(masked[worst_idx, cols]), masked[worst_idx, cols], 0.0)
    dropped = worst < 0
    out: dict[str, np.ndarray] = {
        f"{kpi}_baseline": reference,
        f"{kpi}_worst_drop": np.minimum(worst, 0.0),
        f"{kpi}_worst_drop_ci95_low": np.where(dropped, p["ci95_low"][worst_idx, cols], np.nan),
        f"{kpi}_worst_drop_ci95_high": np.where(dropped, p["ci95_high"][worst_idx, cols], np.nan),
        f"{kpi}_worst_day": np.where(dropped, days[worst_idx], np.nan),
    }
    threshold = np.full(delta.shape[1], th.fill_rate) if kpi == "fill_rate" else th.days_of_supply_share * reference
    out[f"{kpi}_threshold"] = threshold
    with np.errstate(invalid="ignore"):
        below_b = (b < threshold[None, None, :]).sum(axis=1)
        below_s = (s < threshold[None, None, :]).sum(axis=1)
    out[f"{kpi}_days_below"] = below_s.mean(axis=0)
    extra = mean_ci(below_s - below_b)
    out[f"{kpi}_extra_days_below"], out[f"{kpi}_extra_days_below_ci95_low"], \
        out[f"{kpi}_extra_days_below_ci95_high"] = extra
    ttr, recovered = time_to_recover(delta, reference, th.recovery_tolerance, start, days)
    out[f"{kpi}_ttr_days"], out[f"{kpi}_recovered"] = ttr, recovered
    shortfall = np.where(np.isfinite(b - s), b - s, 0.0).sum(axis=1)            # (reps, n)
    out[f"{kpi}_loss_area"] = np.where(np.isfinite(reference), mean_ci(shortfall)[0], np.nan)
    if kpi == "fill_rate":
        # units the node would have served at the baseline's fill rate, minus those it served
        short = np.where(np.isfinite(b), b, 1.0) * scen.demand_units - scen.filled_units
        units = short.sum(axis=1)
        value = margin
    else:
        units = (base.on_hand_units - scen.on_hand_units).sum(axis=1)
        value = unit_cost
    defined = np.isfinite(reference)
    units = np.where(defined[None, :], units, np.nan)
    m, lo, hi = mean_ci(units)
    out[f"{kpi}_loss_area_units"], out[f"{kpi}_loss_area_units_ci95_low"], out[f"{kpi}_loss_area_units_ci95_high"] = \
        m, lo, hi
    m, lo, hi = mean_ci(units * value[None, :])
    out[f"{kpi}_loss_area_usd"], out[f"{kpi}_loss_area_usd_ci95_low"], out[f"{kpi}_loss_area_usd_ci95_high"] = \
        m, lo, hi
    for name, column in out.items():   # a KPI a node does not have (a hub's fill rate) stays empty
        if name != f"{kpi}_recovered" and column.dtype.kind == "f":
            out[name] = np.where(defined, column, np.nan)
    return out


def _money_columns(base: _Series, scen: _Series) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    lost = scen.lost_units.sum(axis=1) - base.lost_units.sum(axis=1)
    margin = scen.lost_margin_usd.sum(axis=1) - base.lost_margin_usd.sum(axis=1)
    at_risk = base.profit_usd.sum(axis=1) - scen.profit_usd.sum(axis=1)
    for name, values in (("lost_sales_units", lost), ("lost_margin_usd", margin), ("profit_at_risk_usd", at_risk)):
        out[name], out[f"{name}_ci95_low"], out[f"{name}_ci95_high"] = mean_ci(values)
    out["profit_at_risk_p95_usd"] = np.percentile(at_risk, 95, axis=0)
    return out


def stores_below(resilience: pd.DataFrame) -> pd.DataFrame:
    """Store rows whose fill rate is below the threshold on more days than in the baseline.

    "More" means a positive mean of the paired extra days whose 95% interval is
    above 0 (or, with one replication, any positive mean).
    """
    r = resilience[(resilience["level"] == "node") & (resilience["kind"] == "store")]
    extra, low = r["fill_rate_extra_days_below"], r["fill_rate_extra_days_below_ci95_low"]
    return r[(extra > 0) & (low.isna() | (low > 0))]


def resilience_table(runs: Runs, seed: int, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """``resilience.parquet``: one row per variant x sweep value x (network, node)."""
    th = thresholds or Thresholds()
    H, W = runs.horizon_days, runs.warmup_days
    days = np.arange(W, H)
    frames = []
    baselines: dict[int, dict] = {}  # many variants share one baseline (stress: every closure)
    for b, i, v in pairs(runs):
        base_model = runs.variants[b].model
        start, end = disruption_window(v, seed, len(runs.results), H, W)
        if b not in baselines:
            baselines[b] = {"series": _level_series(base_model, runs.of(b), slice(W, H)),
                            "values": unit_values(base_model)}
        base, values = baselines[b]["series"], baselines[b]["values"]
        scen = _level_series(v.model, runs.of(i), slice(W, H))
        if v.model.node_ids != base_model.node_ids:   # a lever that reorders the nodes: align to the baseline
            order = np.array([v.model.row(n) for n in base_model.node_ids])
            scen["node"] = _Series(**{k: getattr(scen["node"], k)[:, :, order] for k in _Series.__dataclass_fields__})
        for level, keys, kinds, sel in (("network", ["network"], ["network"], slice(-1, None)),
                                        ("node", base_model.node_ids, base_model.kinds, slice(0, -1))):
            row: dict[str, object] = {
                "variant": v.name, "sweep_value": runs.sweep_value(v), "level": level, "key": keys,
                "kind": kinds, "disruption_start_day": start, "disruption_end_day": end,
            }
            row.update(_money_columns(base[level], scen[level]))
            for kpi in KPIS:
                row.update(_kpi_columns(kpi, base[level], scen[level], days, start, th,
                                        values["margin"][sel], values["unit_cost"][sel]))
            frames.append(pd.DataFrame(row))
    if not frames:
        return pd.DataFrame({c: [] for c in RESILIENCE})
    table = pd.concat(frames, ignore_index=True)
    return table[list(RESILIENCE)]
