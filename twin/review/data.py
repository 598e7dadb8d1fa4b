"""What the review page shows, read from a report folder's tables and manifest.

Every number on the page comes from here, and every one of them is a value of
a Parquet table of the folder (or a count or maximum over its rows), so the
page and the tables always agree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.problems import Problem, ProblemList
from twin.resilience import stores_below

REQUIRED = ("manifest.json", "comparison.parquet", "resilience.parquet")


@dataclass
class Headline:
    """The question, and the answer in one sentence, with the numbers it quotes."""

    question: str
    sentence: str
    numbers: dict[str, float] = field(default_factory=dict)   # key -> value quoted in the sentence
    variant: str = "scenario"
    sweep_value: float = math.nan


class ReportFolder:
    """A report folder, read on demand."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        missing = [name for name in REQUIRED if not (self.path / name).exists()]
        if not self.path.is_dir() or missing:
            what = "is not a folder" if not self.path.is_dir() else f"has no {', '.join(missing)}"
            raise ProblemList([Problem(str(self.path), 0, f"{what}; give a report folder written by twin run or "
                                                          "twin stress (with resilience.parquet)")])
        try:
            self.manifest = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._damaged("manifest.json", exc) from None
        if not isinstance(self.manifest, dict):
            raise self._damaged("manifest.json", "not a JSON object")
        self._cache: dict[str, pd.DataFrame] = {}

    def _damaged(self, name: str, why) -> ProblemList:
        return ProblemList([Problem(str(self.path / name), 0, f"cannot read {name} ({why}); the report is damaged: "
                                                              "write it again with twin run (or twin stress)")])

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        key = name if columns is None else f"{name}:{','.join(columns)}"
        if key not in self._cache:
            try:
                frame = pd.read_parquet(self.path / name, columns=columns)
            except (OSError, ValueError) as exc:  # (pyarrow's ArrowInvalid is a ValueError)
                raise self._damaged(name, exc) from None
            for c in frame.columns:
                if isinstance(frame[c].dtype, pd.CategoricalDtype):  # as text, by taking from the categories
                    codes = frame[c].cat.codes.to_numpy()            # (what astype(str) gives, many times faster)
                    frame[c] = frame[c].cat.categories.take(codes, allow_fill=True, fill_value=np.nan)
            self._cache[key] = frame
        return self._cache[key]

    def has(self, name: str) -> bool:
        return (self.path / name).exists()

    @property
    def is_stress(self) -> bool:
        return self.manifest.get("kind") == "stress" and self.has("stress.parquet")

    # -- which variant the headline and the charts are about -----------------------------------

    def main_variant(self) -> tuple[str, float]:
        """The variant the page leads with: the scenario (first sweep point), or the top-ranked closure."""
        res = self.table("resilience.parquet")
        if self.is_stress:
            top = self.table("stress.parquet").iloc[0]
            return f"closed-{top['node']}", math.nan
        variants = list(dict.fromkeys(res["variant"]))
        name = "scenario" if "scenario" in variants else variants[0]
        sweeps = res.loc[res["variant"] == name, "sweep_value"].dropna()
        return name, (float(sweeps.iloc[0]) if len(sweeps) else math.nan)

    def resilience_of(self, variant: str, sweep_value: float) -> pd.DataFrame:
        res = self.table("resilience.parquet")
        part = res[res["variant"] == variant]
        if not math.isnan(sweep_value):
            part = part[part["sweep_value"] == sweep_value]
        return part

    # -- content ---------------------------------------------------------------------------------

    def headline(self) -> Headline:
        """The one-sentence answer (see the module docstring of :mod:`twin.review.page`)."""
        variant, sweep = self.main_variant()
        res = self.resilience_of(variant, sweep)
        net = res[res["level"] == "network"].iloc[0]
        affected = stores_below(res)
        n_stores = int(len(affected))
        max_days = float(affected["fill_rate_extra_days_below"].max()) if n_stores else 0.0
        profit, high = float(net["profit_at_risk_usd"]), float(net["profit_at_risk_usd_ci95_high"])
        half = high - profit if np.isfinite(high) else math.nan
        numbers = {"profit_at_risk_usd": profit, "profit_at_risk_usd_ci95_half": half,
                   "stores_below_threshold": n_stores, "max_extra_days_below": max_days,
                   "lost_margin_usd": float(net["lost_margin_usd"])}
        what = self.disruption_phrase(variant, sweep)
        threshold = float(res["fill_rate_threshold"].dropna().iloc[0]) if res["fill_rate_threshold"].notna().any() \
            else 0.95
        plural = what.startswith("The scenario's") and not what.startswith("The scenario's 1 ")
        verb = (lambda one, many: many if plural else one)  # noqa: E731
        if profit >= 0:
            money = verb("costs", "cost") + " {profit_at_risk_usd} ± {profit_at_risk_usd_ci95_half} of profit"
        else:
            numbers["neg_profit"] = -profit
            money = verb("changes", "change") + " profit by +{neg_profit} ± {profit_at_risk_usd_ci95_half}"
            if profit + half < 0:
                money += " (costs not incurred while disrupted outweigh the lost margin of {lost_margin_usd})"
            else:
                money += " (not significantly different from zero; lost margin {lost_margin_usd})"
        if n_stores:
            service = (verb("drops", "drop") + f" fill rate at {{stores_below_threshold}} "
                       f"store{'s' if n_stores != 1 else ''} below {threshold:.0%} for up to "
                       "{max_extra_days_below} more days")
        else:
            service = (verb("pushes", "push") + f" no store's fill rate below {threshold:.0%} on more days than "
                       "the baseline")
        sentence = f"{what} {money} and {service}."
        question = self.manifest.get("description") or f"What does {what[0].lower() + what[1:]} do to the network?"
        if self.is_stress:
            stress = self.table("stress.parquet")
            numbers["nodes_to_mitigate"] = int(stress["mitigate"].sum())
            numbers["nodes_stressed"] = int(len(stress))
            sentence += (" {nodes_to_mitigate} of the {nodes_stressed} nodes stressed cannot be lost for their time "
                         "to recover without customers noticing (time to survive < time to recover).")
        return Headline(question, sentence, numbers, variant, sweep)

    def disruption_phrase(self, variant: str, sweep_value: float) -> str:
        """'Closing hub-chicago for 2 days (48 h)', or a plainer phrase for other disruptions."""
        if variant.startswith("closed-") and self.is_stress:
            node = variant[len("closed-"):]
            row = self.table("stress.parquet").set_index("node").loc[node]
            return f"Closing {node} for its time to recover ({_days(row['ttr_days'])})"
        applied = [d for d in self.manifest.get("disruptions_applied") or [] if d]
        sweep = self.manifest.get("sweep")
        suffix = ""
        if sweep and not math.isnan(sweep_value):
            suffix = f" (at {sweep['key']} = {sweep_value:g})"
        if variant not in ("scenario",):
            suffix += f" with mitigation '{variant}'"
        if len(applied) == 1:
            d = applied[0]
            targets = ", ".join(d.get("targets") or []) or "the network"
            length = d.get("length_days")
            if sweep and not math.isnan(sweep_value) and sweep["key"].endswith(".duration_days"):
                length = sweep_value
            span = f" for {_days(length)}" if length not in (None, 0) else ""
            if d["type"] in ("node_closure", "hub_closure"):
                return f"Closing {targets}{span}{suffix}"
            if d["type"] == "lane_closure":
                return f"Closing lane {targets}{span}{suffix}"
            if d["type"] in ("fuel_price", "transport_cost"):
                what = "fuel price" if d["type"] == "fuel_price" else "transport cost"
                return f"A {d.get('change_pct', 0):+g}% {what} change{span}{suffix}"
            return f"The {d['type'].replace('_', ' ')} on {targets}{span}{suffix}"
        return f"The scenario's {len(applied)} disruptions{suffix}"

    def network_kpis(self, variant: str, sweep_value: float) -> pd.DataFrame:
        c = self.table("comparison.parquet")
        part = c[(c["level"] == "network") & (c["period"] == "horizon") & (c["variant"] == variant)]
        if not math.isnan(sweep_value):
            part = part[part["sweep_value"] == sweep_value]
        return part.set_index("metric")

    def variant_rows(self) -> pd.DataFrame:
        """Network deltas per variant and sweep value (mitigations, sweeps, stress closures)."""
        c = self.table("comparison.parquet")
        part = c[(c["level"] == "network") & (c["period"] == "horizon")]
        return part

    def worst_nodes(self, variant: str, sweep_value: float, n: int = 10) -> pd.DataFrame:
        res = self.resilience_of(variant, sweep_value)
        nodes = res[res["level"] == "node"].copy()
        nodes = nodes[(nodes["lost_margin_usd"].abs() > 1e-9) | (nodes["fill_rate_worst_drop"] < 0)
                      | (nodes["days_of_supply_worst_drop"] < 0)]
        return nodes.sort_values(["lost_margin_usd", "days_of_supply_loss_area"], ascending=False).head(n)

    def sku_changes(self, variant: str, sweep_value: float) -> pd.DataFrame:
        """Per SKU: baseline profit, delta and its interval, transport cost delta (wide, one row per SKU)."""
        c = self.table("comparison.parquet")
        part = c[(c["level"] == "sku") & (c["variant"] == variant)]
        if not math.isnan(sweep_value):
            part = part[part["sweep_value"] == sweep_value]
        profit = part[part["metric"] == "profit_usd"].set_index("key")
        out = profit[["baseline_mean", "scenario_mean", "delta", "delta_pct", "ci95_low", "ci95_high"]].copy()
        for metric in ("transport_cost_usd", "lost_units", "revenue_usd"):
            out[f"{metric}_delta"] = part[part["metric"] == metric].set_index("key")["delta"]
        if self.has("skus.parquet"):
            skus = self.table("skus.parquet", ["sku", "category"]).drop_duplicates("sku").set_index("sku")
            out["category"] = skus["category"]
        else:
            out["category"] = ""
        return out.sort_values("delta")

    def depth_bands(self, variant: str, sweep_value: float, nodes: list[str]) -> dict[str, pd.DataFrame]:
        """Per node: by day, the mean and 5-95% of days of supply over replications, baseline and variant."""
        if not nodes or not self.has("daily.parquet"):
            return {}
        d = self.table("daily.parquet", ["variant", "sweep_value", "replication", "day", "node", "days_of_supply"])
        part = d[d["node"].isin(nodes) & d["variant"].isin(["baseline", variant])]
        if not math.isnan(sweep_value):
            part = part[(part["sweep_value"] == sweep_value) | part["sweep_value"].isna()]
        out = {}
        for node in nodes:
            rows = part[part["node"] == node]
            g = rows.groupby(["variant", "day"])["days_of_supply"]
            stats = pd.DataFrame({"mean": g.mean(), "p5": g.quantile(0.05), "p95": g.quantile(0.95)}).reset_index()
            out[node] = stats
        return out

    def lanes(self) -> list[tuple[str, str]]:
        if not self.has("flows.parquet"):
            return []
        f = self.table("flows.parquet", ["variant", "from", "to"])
        f = f[f["variant"] == "baseline"]
        return [tuple(x) for x in f[["from", "to"]].drop_duplicates().itertuples(index=False)]

    def nodes_info(self) -> list[dict]:
        info = self.manifest.get("nodes_info")
        if info:
            return info
        path = self.manifest.get("network_file")
        if path and Path(path).exists():
            from twin.network import load_network
            from twin.run import nodes_info
            return nodes_info(load_network(path))
        return []

    def disrupted_nodes(self, variant: str) -> set[str]:
        """Nodes the variant's disruptions target (closures and other node disruptions)."""
        if variant.startswith("closed-") and self.is_stress:
            return {variant[len("closed-"):]}
        ids = {n["id"] for n in self.nodes_info()}
        return {t for d in self.manifest.get("disruptions_applied") or [] for t in d.get("targets") or [] if t in ids}

    def video(self) -> str | None:
        return "flows.mp4" if self.has("flows.mp4") else None


def _days(value) -> str:
    value = float(value)
    text = f"{value:g} day{'s' if value != 1 else ''}"
    if value < 7 and abs(value * 24 - round(value * 24)) < 1e-9:
        text += f" ({value * 24:g} h)"
    return text
