"""The closing summary of ``twin run``: network KPIs and the most affected nodes."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich import box
from rich.markup import escape
from rich.table import Table

from twin.run import Report

HEADLINE = [
    ("fill_rate", "Customer fill rate", "pct"),
    ("lost_units", "Lost sales (units)", "units"),
    ("avg_days_of_supply", "Inventory depth (days of supply)", "days"),
    ("avg_on_hand_units", "Average on hand (units)", "units"),
    ("revenue_usd", "Revenue (USD)", "usd"),
    ("transport_cost_usd", "Transport cost (USD)", "usd"),
    ("total_cost_usd", "Total cost (USD)", "usd"),
    ("profit_usd", "Profit (USD)", "usd"),
]


def _fmt(value: float, kind: str, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    sign = "+" if signed else ""
    if kind == "pct":
        return f"{value * 100:{sign},.2f}%" if not signed else f"{value * 100:+,.2f} pp"
    if kind == "days":
        return f"{value:{sign},.2f}"
    return f"{value:{sign},.0f}"


def network_rows(comparison: pd.DataFrame, period: str = "horizon", variant: str = "scenario",
                 sweep_value: float | None = None) -> pd.DataFrame:
    part = comparison[(comparison["level"] == "network") & (comparison["period"] == period)
                      & (comparison["variant"] == variant)]
    if sweep_value is not None:
        part = part[part["sweep_value"] == sweep_value]
    elif part["sweep_value"].notna().any():
        part = part[part["sweep_value"] == part["sweep_value"].dropna().iloc[0]]
    return part.set_index("metric")


def _delta_cell(r, kind: str) -> str:
    ci = (f" [{_fmt(r['ci95_low'], kind, True)}, {_fmt(r['ci95_high'], kind, True)}]"
          if not math.isnan(r["ci95_low"]) else "")
    return f"{_fmt(r['delta'], kind, True)}{ci}"


COMPACT = [("fill_rate", "Fill rate", "pct"), ("lost_units", "Lost units", "units"),
           ("transport_cost_usd", "Transport USD", "usd"), ("profit_usd", "Profit USD", "usd")]


def _variant_table(report: Report, console: Console) -> None:
    c = report.comparison
    variants = [v for v in dict.fromkeys(c["variant"]) if v != "scenario"]
    if not variants:
        return
    table = Table(title="Mitigations: delta vs baseline (95% CI)", title_justify="left")
    table.add_column("variant")
    for _, label, _ in COMPACT:
        table.add_column(label, justify="right")
    for variant in ["scenario", *variants]:
        rows = network_rows(c, variant=variant)
        table.add_row(escape(str(variant)), *[_delta_cell(rows.loc[m], k) for m, _, k in COMPACT])
    console.print(table)


def _sweep_table(report: Report, console: Console) -> None:
    c = report.comparison
    values = sorted(c["sweep_value"].dropna().unique())
    if not values:
        return
    key = report.manifest["sweep"]["key"]
    table = Table(title=f"Sweep of {escape(key)}: scenario delta vs baseline (95% CI)", title_justify="left")
    table.add_column(escape(key.split(".")[-1]), justify="right")
    for _, label, _ in COMPACT:
        table.add_column(label, justify="right")
    for value in values:
        rows = network_rows(c, sweep_value=value)
        table.add_row(f"{value:g}", *[_delta_cell(rows.loc[m], k) for m, _, k in COMPACT])
    console.print(table)


def print_summary(report: Report, console: Console) -> None:
    """Print the network comparison and the nodes that lost the most inventory depth."""
    m = report.manifest
    console.print(f"\n[bold]{escape(m['scenario'])}[/bold] on [bold]{escape(m['network'])}[/bold]: "
                  f"{m['replications']} replications x {m['horizon_days']} days "
                  f"({m['warmup_days']} warm-up), seed {m['seed']}, {m['wall_seconds']:.1f} s")
    rows = network_rows(report.comparison)
    table = Table(title="Network KPIs after warm-up (paired over replications)", title_justify="left")
    for col in ("KPI", "baseline", "scenario", "delta", "95% CI of delta"):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    for metric, label, kind in HEADLINE:
        if metric not in rows.index:
            continue
        r = rows.loc[metric]
        ci = (f"[{_fmt(r['ci95_low'], kind, True)}, {_fmt(r['ci95_high'], kind, True)}]"
              if not math.isnan(r["ci95_low"]) else "-")
        table.add_row(label, _fmt(r["baseline_mean"], kind), _fmt(r["scenario_mean"], kind),
                      _fmt(r["delta"], kind, True), ci)
    console.print(table)
    _variant_table(report, console)
    _sweep_table(report, console)

    daily = report.comparison_daily
    daily = daily[daily["variant"] == "scenario"]
    if daily["sweep_value"].notna().any():
        daily = daily[daily["sweep_value"] == daily["sweep_value"].dropna().iloc[0]]
    dos = daily[(daily["level"] == "node") & (daily["metric"] == "days_of_supply")].dropna(subset=["delta"])
    if len(dos) and (dos["delta"].abs() > 1e-12).any():
        worst = dos.loc[dos.groupby("key", observed=True)["delta"].idxmin()]
        worst = worst[worst["delta"] < 0].sort_values("delta").head(8)
        if len(worst):
            t2 = Table(title="Largest daily drops of inventory depth (days of supply)", title_justify="left")
            for col in ("node", "day", "baseline", "scenario", "delta", "95% CI"):
                t2.add_column(col, justify="left" if col == "node" else "right")
            for _, r in worst.iterrows():
                ci = f"[{r['ci95_low']:+.2f}, {r['ci95_high']:+.2f}]" if not math.isnan(r["ci95_low"]) else "-"
                t2.add_row(escape(str(r["key"])), str(int(r["day"])), f"{r['baseline_mean']:.2f}",
                           f"{r['scenario_mean']:.2f}", f"{r['delta']:+.2f}", ci)
            console.print(t2)
    path, page = escape(str(report.path)), escape(str(report.path / "review.html"))
    console.print(f"Report: [bold]{path}[/bold]  (tables described in docs/reports.md; open {page} in a browser)")


def print_stress_summary(report, console: Console) -> None:
    """Print the node ranking of ``twin stress``: risk exposure, impact, TTR and TTS."""
    m, s = report.manifest, report.stress
    st = m["stress"]
    console.print(f"\n[bold]{escape(m['scenario'])}[/bold]: {len(s)} nodes closed in turn "
                  f"from day {st['closure_start_day']}, "
                  f"{m['replications']} replications, seed {m['seed']}, {st['simulations']} simulations, "
                  f"{m['wall_seconds']:.1f} s")
    table = Table(title=f"Risk exposure (impact: {st['impact']} of a closure for the node's TTR)",
                  title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False,
                  collapse_padding=True)
    # Fits 80 columns with the US network's node names: the CI's half-width goes under the lost margin.
    for col in ("rank", "node", "kind", "REI", "lost margin USD\n± 95% CI", "profit at\nrisk USD", "TTR", "TTS",
                "mitigate"):
        table.add_column(col, justify="left" if col in ("node", "kind", "mitigate") else "right",
                         no_wrap=col == "node")
    for _, r in s.iterrows():
        ci = (f"\n± {(r['lost_margin_usd_ci95_high'] - r['lost_margin_usd_ci95_low']) / 2:,.0f}"
              if not math.isnan(r["lost_margin_usd_ci95_low"]) else "")  # the interval is mean ± t x se
        tts = ("≥" if r["tts_censored"] else "") + f"{r['tts_days']:g}"
        table.add_row(str(r["rank"]), escape(str(r["node"])), r["kind"], f"{r['risk_exposure_index']:.3f}",
                      f"{r['lost_margin_usd']:,.0f}{ci}", f"{r['profit_at_risk_usd']:,.0f}", f"{r['ttr_days']:g}",
                      tts, "[red]yes[/red]" if r["mitigate"] else "")
    console.print(table)
    path, page = escape(str(report.path)), escape(str(report.path / "review.html"))
    console.print(f"Report: [bold]{path}[/bold]  (open {page} in a browser)")
