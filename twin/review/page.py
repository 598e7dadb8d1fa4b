"""Write ``review.html`` (one self-contained file: inline CSS and SVG, nothing fetched) and ``review.md``.

The page, top to bottom: the question and the answer in one sentence; network
KPI deltas with 95% intervals (then one row per mitigation, sweep value or
stressed node); the nodes and SKUs that lose most; inventory depth over time
for the most affected nodes (baseline and disrupted bands, the disruption
shaded); a map of the network coloured by impact; for stress reports the node
ranking with time to survive against time to recover; per-SKU profitability;
assumptions and provenance from ``manifest.json``; and the animation
(``flows.mp4``) when the folder has one.

Numbers quoted on the page carry ``data-key``/``data-value`` attributes with
the exact value from the tables, so tests (and curious readers) can check
them against the Parquet files.
"""

from __future__ import annotations

import html
import math
import os
import re
import tempfile
from pathlib import Path

import numpy as np

import twin
from twin.review import charts
from twin.review.data import Headline, ReportFolder

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#222;
background:#fafafa;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:1.6em;margin:0 0 4px} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:4px}
.question{color:#555;font-style:italic;margin:6px 0 14px}
.answer{font-size:1.15em;background:#fff7ec;border-left:4px solid #dd8452;padding:12px 16px;margin:10px 0 6px}
.num{font-weight:600;white-space:nowrap}
table{border-collapse:collapse;font-size:0.86em;margin:8px 0 4px}
th,td{padding:4px 9px;border-bottom:1px solid #e6e6e6;text-align:right;vertical-align:top}
th{background:#f3f3f3;font-weight:600} td:first-child,th:first-child,th.text{text-align:left}
td{white-space:nowrap} td.text{text-align:left;white-space:normal}
.bad{color:#b22222;font-weight:600} .good{color:#2a7a2a}
figure{margin:12px 0} figcaption{font-size:0.85em;color:#555;margin-top:4px}
figure svg{max-width:100%;height:auto}
.note{font-size:0.85em;color:#666}
code{font-size:0.92em;background:#f3f3f3;padding:0 3px}
.bar{display:inline-block;height:9px;background:#dd8452;vertical-align:middle;margin-right:6px}
video{max-width:100%}
"""


PLACEHOLDER = re.compile(r"(\{[a-z0-9_]+\})")


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def fmt(value: float, kind: str, signed: bool = False) -> str:
    """Format a number for a reader: usd, units, pct (a fraction), pp (a fraction, as points), days, index."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    value = float(value)
    sign = "+" if signed and value > 0 else ("−" if value < 0 else "")
    a = abs(value)
    if kind == "usd":
        return f"{sign}${a:,.0f}"
    if kind == "units":
        return f"{sign}{a:,.0f}"
    if kind == "pct":
        return f"{sign}{a * 100:.2f}%"
    if kind == "pp":
        return f"{sign}{a * 100:.2f} pp"
    if kind == "days":
        return f"{sign}{a:,.1f}"
    if kind == "index":
        return f"{sign}{a:.3f}"
    return f"{sign}{a:,.4g}"


def num(key: str, value: float, kind: str, signed: bool = False) -> str:
    """A number on the page with its exact value attached (``data-key``, ``data-value``)."""
    raw = "nan" if value is None or not math.isfinite(float(value)) else repr(float(value))
    return (f'<span class="num" data-key="{_esc(key)}" data-value="{raw}" data-kind="{kind}">'
            f"{_esc(fmt(value, kind, signed))}</span>")


HEADLINE_KINDS = {"profit_at_risk_usd": "usd", "profit_at_risk_usd_ci95_half": "usd", "neg_profit": "usd",
                  "lost_margin_usd": "usd", "stores_below_threshold": "units", "max_extra_days_below": "days",
                  "nodes_to_mitigate": "units", "nodes_stressed": "units"}

KPI_ROWS = [("fill_rate", "Customer fill rate", "pct"), ("lost_units", "Lost sales (units)", "units"),
            ("avg_days_of_supply", "Inventory depth (days of supply)", "days"),
            ("avg_on_hand_units", "Average on hand (units)", "units"), ("revenue_usd", "Revenue", "usd"),
            ("transport_cost_usd", "Transport cost", "usd"), ("total_cost_usd", "Total cost", "usd"),
            ("lost_margin_usd", "Lost margin", "usd"), ("profit_usd", "Profit", "usd")]


def _ci(row, kind: str, key: str | None = None) -> str:
    low, high = row["ci95_low"], row["ci95_high"]
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    kind_delta = "pp" if kind == "pct" else kind
    if key:
        return f"[{num(key + '.ci95_low', low, kind_delta, True)}, {num(key + '.ci95_high', high, kind_delta, True)}]"
    return f"[{_esc(fmt(low, kind_delta, True))}, {_esc(fmt(high, kind_delta, True))}]"


def _table(header: list[str], rows: list[list[str]], text_cols: int = 1) -> str:
    head = "".join(f'<th class="text">{_esc(h)}</th>' if i < text_cols else f"<th>{_esc(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="text">{c}</td>' if i < text_cols else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(name: str, svg: str, caption: str) -> str:
    return f'<figure class="chart" data-chart="{_esc(name)}">{svg}<figcaption>{_esc(caption)}</figcaption></figure>'


class Page:
    """The review of one report folder, as HTML sections and Markdown lines."""

    def __init__(self, folder: ReportFolder):
        self.f = folder
        self.m = folder.manifest
        self.headline: Headline = folder.headline()
        self.variant, self.sweep = self.headline.variant, self.headline.sweep_value
        self.sections: list[str] = []
        self.md: list[str] = []

    # -- sections --------------------------------------------------------------------------------

    def answer(self) -> None:
        h = self.headline
        values = {k: num(k, v, HEADLINE_KINDS.get(k, "units")) for k, v in h.numbers.items()}
        sentence = "".join(values[p[1:-1]] if PLACEHOLDER.fullmatch(p) else _esc(p)
                            for p in PLACEHOLDER.split(h.sentence))
        title = "Stress test" if self.f.is_stress else "Resilience review"
        self.sections.append(
            f"<h1>{title}: {_esc(self.m.get('scenario', ''))}</h1>"
            f"<p class='note'>Network <b>{_esc(self.m.get('network', ''))}</b> · {self.m.get('replications')} "
            f"replications · {self.m.get('horizon_days')} days ({self.m.get('warmup_days')} warm-up) · seed "
            f"{self.m.get('seed')}</p>"
            f"<p class='question'>{_esc(h.question)}</p>"
            f"<p class='answer' id='answer'>{sentence}</p>"
            "<p class='note'>± is the half-width of the 95% confidence interval over replications; every "
            "disrupted run is paired with its baseline on the same random numbers.</p>")
        plain = "".join(fmt(h.numbers[p[1:-1]], HEADLINE_KINDS.get(p[1:-1], "units")) if PLACEHOLDER.fullmatch(p)
                        else p for p in PLACEHOLDER.split(h.sentence))
        self.md += [f"# {title}: {self.m.get('scenario', '')}", "", f"*{h.question}*", "", f"**{plain}**", ""]

    def kpis(self) -> None:
        rows = self.f.network_kpis(self.variant, self.sweep)
        out, md = [], ["| KPI | baseline | scenario | delta | 95% CI |", "|---|---|---|---|---|"]
        for metric, label, kind in KPI_ROWS:
            if metric not in rows.index:
                continue
            r = rows.loc[metric]
            dk = "pp" if kind == "pct" else kind
            key = f"network.{metric}"
            out.append([_esc(label), num(key + ".baseline", r["baseline_mean"], kind),
                        num(key + ".scenario", r["scenario_mean"], kind), num(key + ".delta", r["delta"], dk, True),
                        _ci(r, kind, key)])
            md.append(f"| {label} | {fmt(r['baseline_mean'], kind)} | {fmt(r['scenario_mean'], kind)} | "
                      f"{fmt(r['delta'], dk, True)} | {_ci(r, kind)} |")
        self.sections.append(f"<h2>Network KPIs: {_esc(self._variant_label())} vs baseline</h2>"
                             + _table(["KPI", "baseline", "disrupted", "delta", "95% CI of delta"], out)
                             + "<p class='note'>After the warm-up; paired differences over replications.</p>")
        self.md += [f"## Network KPIs: {self._variant_label()} vs baseline", "", *md, ""]
        self._variants()

    def resilience(self) -> None:
        """The network's resilience metrics: money at risk, then worst drop, time below, TTR, loss area per KPI."""
        res = self.f.resilience_of(self.variant, self.sweep)
        net = res[res["level"] == "network"].iloc[0]
        money = []
        for metric, label, kind in (("lost_sales_units", "Lost sales (units)", "units"),
                                    ("lost_margin_usd", "Lost margin", "usd"),
                                    ("profit_at_risk_usd", "Profit at risk", "usd")):
            ci = {"ci95_low": net[f"{metric}_ci95_low"], "ci95_high": net[f"{metric}_ci95_high"]}
            money.append([_esc(label), num(f"resilience.{metric}", net[metric], kind), _ci(ci, kind)])
        money.append(["Profit at risk, 95th percentile of replications",
                      num("resilience.profit_at_risk_p95_usd", net["profit_at_risk_p95_usd"], "usd"), ""])
        kpis = []
        for kpi, label, kind in (("fill_rate", "Fill rate", "pp"), ("days_of_supply", "Days of supply", "days")):
            ci = {"ci95_low": net[f"{kpi}_worst_drop_ci95_low"], "ci95_high": net[f"{kpi}_worst_drop_ci95_high"]}
            extra = {"ci95_low": net[f"{kpi}_extra_days_below_ci95_low"],
                     "ci95_high": net[f"{kpi}_extra_days_below_ci95_high"]}
            day = net[f"{kpi}_worst_day"]
            kpis.append([_esc(label),
                         f"{num(f'resilience.{kpi}_worst_drop', net[f'{kpi}_worst_drop'], kind, True)} "
                         f"{_ci(ci, 'pct' if kind == 'pp' else kind)}" + (f" on day {int(day)}" if np.isfinite(day)
                                                                           else ""),
                         f"{num(f'resilience.{kpi}_extra_days_below', net[f'{kpi}_extra_days_below'], 'days', True)}"
                         f" {_ci(extra, 'days')}",
                         num(f"resilience.{kpi}_ttr_days", net[f"{kpi}_ttr_days"], "days")
                         if net[f"{kpi}_recovered"] else "not recovered",
                         num(f"resilience.{kpi}_loss_area_units", net[f"{kpi}_loss_area_units"], "units"),
                         num(f"resilience.{kpi}_loss_area_usd", net[f"{kpi}_loss_area_usd"], "usd")])
        start, end = net["disruption_start_day"], net["disruption_end_day"]
        self.sections.append(
            f"<h2>Resilience of the network (disruption from day {start:g} to day {end:g})</h2>"
            + _table(["", "paired mean", "95% CI"], money)
            + _table(["KPI", "worst drop (95% CI)", "extra days below threshold", "time to recover (days)",
                      "loss area (units)", "loss area (USD)"], kpis)
            + "<p class='note'>Loss area (the resilience triangle): fill rate — units not served from stock "
              "because of the disruption, at the average margin per unit; days of supply — unit-days of stock "
              "short, at the average unit cost (USD × days). Definitions: docs/resilience.md.</p>")
        self.md += [f"## Resilience of the network (disruption from day {start:g} to day {end:g})", "",
                    "| metric | value | 95% CI |", "|---|---|---|"]
        for metric, kind in (("lost_sales_units", "units"), ("lost_margin_usd", "usd"),
                             ("profit_at_risk_usd", "usd")):
            ci = {"ci95_low": net[f"{metric}_ci95_low"], "ci95_high": net[f"{metric}_ci95_high"]}
            self.md.append(f"| {metric} | {fmt(net[metric], kind)} | {_ci(ci, kind)} |")
        for kpi, kind in (("fill_rate", "pp"), ("days_of_supply", "days")):
            ttr = fmt(net[f"{kpi}_ttr_days"], "days") if net[f"{kpi}_recovered"] else "not recovered"
            self.md += [f"| {kpi} worst drop | {fmt(net[f'{kpi}_worst_drop'], kind, True)} | |",
                        f"| {kpi} time to recover (days) | {ttr} | |"]
        self.md.append("")

    def _variant_label(self) -> str:
        label = self.variant
        if not math.isnan(self.sweep) and self.m.get("sweep"):
            label += f" at {self.m['sweep']['key']} = {self.sweep:g}"
        return label

    def _variants(self) -> None:
        rows = self.f.variant_rows()
        labels = rows[["variant", "sweep_value"]].drop_duplicates()
        if len(labels) <= 1:
            return
        by = "variant"
        if rows["sweep_value"].notna().any():
            rows = rows.assign(label=[f"{v} @ {s:g}" if np.isfinite(s) else v
                                      for v, s in zip(rows["variant"], rows["sweep_value"])])
            by = "label"
        metrics = [("fill_rate", "Fill rate", "pp"), ("lost_units", "Lost units", "units"),
                   ("lost_margin_usd", "Lost margin", "usd"), ("profit_usd", "Profit", "usd")]
        out, md = [], ["| variant | " + " | ".join(m[1] for m in metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
        labels = list(dict.fromkeys(rows[by]))
        if self.f.is_stress:   # in rank order
            ranked = [f"closed-{n}" for n in self.f.table("stress.parquet")["node"]]
            labels = [x for x in ranked if x in labels] + [x for x in labels if x not in ranked]
            rows = rows.set_index(by).loc[labels].reset_index()
        for label in labels:
            part = rows[rows[by] == label].set_index("metric")
            cells, md_cells = [], []
            for metric, _, kind in metrics:
                r = part.loc[metric]
                cells.append(f"{_esc(fmt(r['delta'], kind, True))} {_ci(r, 'pct' if kind == 'pp' else kind)}")
                md_cells.append(f"{fmt(r['delta'], kind, True)} {_ci(r, 'pct' if kind == 'pp' else kind)}")
            out.append([_esc(label), *cells])
            md.append(f"| {label} | " + " | ".join(md_cells) + " |")
        what = "stressed node (closed for its TTR)" if self.f.is_stress else (
            "sweep value" if by == "label" else "variant")
        chart = charts.variant_deltas(rows, "lost_margin_usd", "lost margin, USD", by)
        self.sections.append(f"<h2>Every {what}: network deltas vs baseline (95% CI)</h2>"
                             + _table(["variant", *[m[1] for m in metrics]], out)
                             + _figure("variants", chart, f"Lost margin per {what}, with 95% intervals."))
        self.md += [f"## Every {what}: network deltas vs baseline (95% CI)", "", *md, ""]

    def worst_nodes(self) -> None:
        nodes = self.f.worst_nodes(self.variant, self.sweep)
        if nodes.empty:
            self.sections.append("<h2>Most affected nodes</h2><p>No node is affected.</p>")
            self.md += ["## Most affected nodes", "", "No node is affected.", ""]
            return
        out, md = [], ["| node | kind | lost sales | lost margin (95% CI) | fill-rate worst drop | fill-rate TTR | "
                       "depth worst drop | depth TTR |", "|---|---|---|---|---|---|---|---|"]
        for _, r in nodes.iterrows():
            key = f"node.{r['key']}"
            ci = {"ci95_low": r["lost_margin_usd_ci95_low"], "ci95_high": r["lost_margin_usd_ci95_high"]}
            out.append([_esc(r["key"]), _esc(r["kind"]), num(key + ".lost_sales_units", r["lost_sales_units"], "units"),
                        f"{num(key + '.lost_margin_usd', r['lost_margin_usd'], 'usd')} {_ci(ci, 'usd')}",
                        fmt(r["fill_rate_worst_drop"], "pp", True), _ttr(r, "fill_rate"),
                        fmt(r["days_of_supply_worst_drop"], "days", True), _ttr(r, "days_of_supply")])
            md.append(f"| {r['key']} | {r['kind']} | {fmt(r['lost_sales_units'], 'units')} | "
                      f"{fmt(r['lost_margin_usd'], 'usd')} {_ci(ci, 'usd')} | {fmt(r['fill_rate_worst_drop'], 'pp', True)}"
                      f" | {_ttr(r, 'fill_rate')} | {fmt(r['days_of_supply_worst_drop'], 'days', True)} | "
                      f"{_ttr(r, 'days_of_supply')} |")
        self.sections.append(
            "<h2>Most affected nodes</h2>"
            + _table(["node", "kind", "lost sales (units)", "lost margin (95% CI)", "fill-rate worst drop",
                      "fill-rate TTR (days)", "depth worst drop (days)", "depth TTR (days)"], out, text_cols=2)
            + "<p class='note'>TTR: days from the disruption's start until the KPI is back within the recovery "
              "tolerance of the baseline and stays there (“not recovered” when it is still out at the end).</p>")
        self.md += ["## Most affected nodes", "", *md, ""]

    def worst_skus(self) -> None:
        changes = self.f.sku_changes(self.variant, self.sweep)
        if changes.empty:
            return
        worst = changes.head(10)
        out, md = [], ["| SKU | category | baseline profit | change (95% CI) | change % | transport cost change |",
                       "|---|---|---|---|---|---|"]
        for sku, r in worst.iterrows():
            out.append([_esc(sku), _esc(r["category"]), fmt(r["baseline_mean"], "usd"),
                        f"{num('sku.' + sku + '.profit_delta', r['delta'], 'usd', True)} {_ci(r, 'usd')}",
                        _esc(f"{r['delta_pct']:+.1f}%" if np.isfinite(r["delta_pct"]) else "–"),
                        fmt(r["transport_cost_usd_delta"], "usd", True)])
            md.append(f"| {sku} | {r['category']} | {fmt(r['baseline_mean'], 'usd')} | {fmt(r['delta'], 'usd', True)} "
                      f"{_ci(r, 'usd')} | {r['delta_pct']:+.1f}% | {fmt(r['transport_cost_usd_delta'], 'usd', True)} |")
        by_cat = changes.groupby("category")[["baseline_mean", "delta", "transport_cost_usd_delta"]].sum()
        by_cat["pct"] = by_cat["delta"] / by_cat["baseline_mean"].abs() * 100
        cat_rows = [[_esc(c), fmt(r["baseline_mean"], "usd"), fmt(r["delta"], "usd", True),
                     _esc(f"{r['pct']:+.2f}%"), fmt(r["transport_cost_usd_delta"], "usd", True)]
                    for c, r in by_cat.sort_values("delta").iterrows()]
        self.sections.append(
            "<h2>Per-SKU fulfilment profitability</h2>"
            "<p>How the disruption changes the profit of each SKU (revenue − purchase, holding, transport and "
            "other costs allocated to it; transport by weight share of each shipment).</p>"
            + _figure("sku-profit", charts.sku_profit(changes),
                      "SKUs whose profit changes most (bars: paired mean change; whiskers: 95% interval).")
            + "<h3>SKUs that lose most</h3>"
            + _table(["SKU", "category", "baseline profit", "change (95% CI)", "change %", "transport cost change"],
                     out, text_cols=2)
            + "<h3>By category</h3>"
            + _table(["category", "baseline profit", "change", "change %", "transport cost change"], cat_rows))
        self.md += ["## Per-SKU fulfilment profitability (SKUs that lose most)", "", *md, ""]

    def depth(self) -> None:
        res = self.f.resilience_of(self.variant, self.sweep)
        nodes = res[(res["level"] == "node") & (res["days_of_supply_loss_area"] > 0)]
        top = list(nodes.sort_values("days_of_supply_loss_area", ascending=False)["key"].head(4))
        bands = self.f.depth_bands(self.variant, self.sweep, top)
        if not bands:
            return
        net = res[res["level"] == "network"].iloc[0]
        window = (float(net["disruption_start_day"]), float(net["disruption_end_day"]))
        svg = charts.depth_bands(bands, self.variant, window, int(self.m.get("warmup_days", 0)))
        self.sections.append("<h2>Inventory depth over time: the most affected nodes</h2>"
                             + _figure("depth", svg, "Days of supply: mean over replications (line) and 5-95% "
                                                     "band, baseline and disrupted; the disruption window shaded. "
                                                     "Nodes with the largest depth-loss area."))

    def network_map(self) -> None:
        info = self.f.nodes_info()
        if not info:
            return
        if self.f.is_stress:
            stress = self.f.table("stress.parquet")
            impact = dict(zip(stress["node"], stress["risk_exposure_index"]))
            label, caption = "risk exposure index", ("Each stressed node coloured by its risk exposure index "
                                                     "(1 = the worst node); stores in grey-white.")
        else:
            res = self.f.resilience_of(self.variant, self.sweep)
            nodes = res[res["level"] == "node"]
            impact = dict(zip(nodes["key"], nodes["lost_margin_usd"].fillna(0.0)))
            label, caption = "lost margin, USD", "Nodes coloured by the margin they lose (lanes in grey)."
        svg = charts.network_map(info, self.f.lanes(), impact, label, self.f.disrupted_nodes(self.variant))
        self.sections.append("<h2>Map of the network by impact</h2>" + _figure("map", svg, caption))

    def ranking(self) -> None:
        if not self.f.is_stress:
            return
        s = self.f.table("stress.parquet")
        measure = s["impact_measure"].iloc[0]
        kind = "units" if measure == "lost_sales_units" else "usd"
        out, md = [], ["| rank | node | kind | REI | impact | TTR | TTS | mitigate |",
                       "|---|---|---|---|---|---|---|---|"]
        for _, r in s.iterrows():
            key = f"stress.{r['node']}"
            tts = ("≥ " if r["tts_censored"] else "") + f"{r['tts_days']:g}"
            flag = "<span class='bad'>TTS &lt; TTR</span>" if r["mitigate"] else "<span class='good'>ok</span>"
            bar = f"<span class='bar' style='width:{max(1, int(80 * r['risk_exposure_index']))}px'></span>"
            out.append([str(int(r["rank"])), _esc(r["node"]), _esc(r["kind"]),
                        bar + num(key + ".risk_exposure_index", r["risk_exposure_index"], "index"),
                        num(key + ".impact", r["impact"], kind), f"{r['ttr_days']:g}",
                        f"<span data-key='{_esc(key)}.tts_days' data-value='{r['tts_days']!r}'>{_esc(tts)}</span>",
                        flag])
            md.append(f"| {int(r['rank'])} | {r['node']} | {r['kind']} | {r['risk_exposure_index']:.3f} | "
                      f"{fmt(r['impact'], kind)} | {r['ttr_days']:g} | {tts} | {'yes' if r['mitigate'] else 'no'} |")
        threshold = float(s["tts_threshold"].iloc[0])
        self.sections.append(
            "<h2>Node risk ranking: time to survive vs time to recover</h2>"
            f"<p>Each node closed in turn for its time to recover (TTR) from day {int(s['closure_start_day'].iloc[0])}; "
            f"impact = {_esc(measure)} of the network; risk exposure index (REI) = impact ÷ the worst node's. "
            f"Time to survive (TTS): the longest closure after which no day's network fill rate is more than "
            f"{threshold * 100:g} percentage points below the baseline's (≥: the whole "
            f"{int(s['horizon_days'].iloc[0])}-day horizon).</p>"
            + _table(["rank", "node", "kind", "risk exposure index", "impact", "TTR (days)", "TTS (days)", ""],
                     out, text_cols=3)
            + _figure("tts-ttr", charts.tts_vs_ttr(s), "Time to survive (bars; red when shorter than the time to "
                                                       "recover) and time to recover (black marks), by rank."))
        self.md += ["## Node risk ranking: time to survive vs time to recover", "", *md, ""]

    def video(self) -> None:
        video = self.f.video()
        if video:
            self.sections.append(f"<h2>Animation of the flows</h2><video controls preload='metadata' "
                                 f"src='{_esc(video)}'></video>")
            self.md += ["## Animation", "", f"[{video}]({video})", ""]

    def provenance(self) -> None:
        m = self.m
        items = [("twin version", m.get("twin_version")), ("kind", m.get("kind", "run")),
                 ("created (UTC)", m.get("created_utc")), ("command", m.get("command")),
                 ("scenario file", m.get("scenario_file", "")), ("network file", m.get("network_file")),
                 ("seed", m.get("seed")), ("replications", m.get("replications")),
                 ("horizon days (warm-up included)", m.get("horizon_days")), ("warm-up days", m.get("warmup_days")),
                 ("variants", ", ".join(m.get("variants") or [])),
                 ("resilience thresholds", m.get("resilience_thresholds")), ("stress settings", m.get("stress")),
                 ("wall time (s)", m.get("wall_seconds"))]
        rows = [[_esc(k), f"<code>{_esc(v)}</code>"] for k, v in items if v not in (None, "", [])]
        inputs = [[f"<code>{_esc(path)}</code>", f"<code>{_esc(digest)}</code>"]
                  for path, digest in (m.get("inputs") or {}).items()]
        changes = "".join(f"<li><code>{_esc(c)}</code></li>" for c in m.get("changes") or [])
        applied = "".join(f"<li><code>{_esc(_disruption(d))}</code></li>" for d in m.get("disruptions_applied") or [])
        self.sections.append(
            "<h2>Assumptions and provenance</h2>"
            + _table(["", ""], rows, text_cols=2)
            + "<h3>Inputs (SHA-256)</h3>" + _table(["file", "sha256"], inputs, text_cols=2)
            + (f"<h3>Disruptions applied</h3><ul>{applied}</ul>" if applied else "")
            + (f"<h3>Changes applied</h3><ul>{changes}</ul>" if changes else "")
            + f"<p class='note'>Written by twin {_esc(twin.__version__)} from the tables of this folder "
              "(definitions: docs/reports.md, docs/resilience.md).</p>")
        self.md += ["## Assumptions and provenance", "",
                    *[f"- {k}: `{v}`" for k, v in items if v not in (None, "", [])], "", "Inputs (SHA-256):", "",
                    *[f"- `{p}`: `{d}`" for p, d in (m.get("inputs") or {}).items()], ""]

    # -- assembly --------------------------------------------------------------------------------

    def build(self) -> tuple[str, str]:
        self.answer()
        self.kpis()
        self.resilience()
        self.ranking()
        self.worst_nodes()
        self.depth()
        self.network_map()
        self.worst_skus()
        self.video()
        self.provenance()
        title = _esc(f"{self.m.get('scenario', 'twin')} — review")
        page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
                f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<link rel='icon' href='data:,'><style>{CSS}</style></head><body><main>"
                + "".join(self.sections) + "</main></body></html>\n")
        return page, "\n".join(self.md) + "\n"


def _ttr(row, kpi: str) -> str:
    value = row[f"{kpi}_ttr_days"]
    if not row[f"{kpi}_recovered"]:
        return "not recovered"
    return fmt(value, "days")


def _disruption(d: dict) -> str:
    targets = ", ".join(d.get("targets") or [])
    start = d.get("start_day")
    start = f"day {start:g}" if isinstance(start, (int, float)) else (
        f"window {d.get('start_window')}" if d.get("start_window") else f"after {d.get('after')}")
    length = d.get("length_days")
    return (f"{d.get('type')} {targets} from {start}" + (f" for {length:g} days" if isinstance(length, (int, float))
                                                         else "") + (f", p = {d['probability']:g}"
                                                                     if d.get("probability", 1) < 1 else ""))


def write_review(folder: str | Path) -> tuple[Path, Path]:
    """Write ``review.html`` and ``review.md`` into the report ``folder``; return their paths.

    Raises
    ------
    twin.problems.ProblemList
        If ``folder`` is not a report folder with the tables the review needs.
    """
    report = ReportFolder(folder)
    page, markdown = Page(report).build()
    paths = []
    for name, text in (("review.html", page), ("review.md", markdown)):
        target = report.path / name
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=report.path)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        paths.append(target)
    return paths[0], paths[1]
