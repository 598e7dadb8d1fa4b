"""Static charts of the review page: matplotlib figures rendered to inline SVG.

Every function returns the ``<svg>`` element as text (no XML prolog), with
text kept as text and element ids salted by the chart's name, so several
charts can share one HTML page and nothing is fetched when it opens.
"""

from __future__ import annotations

import io
import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402

BASE_COLOUR, SCENARIO_COLOUR, WINDOW_COLOUR = "#4c72b0", "#dd8452", "#c44e52"
KIND_MARKERS = {"supplier": "s", "hub": "D", "dc": "^", "store": "o"}


def to_svg(fig, name: str) -> str:
    """The figure as an inline ``<svg>`` element; ids are salted with ``name``."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg")
    plt.close(fig)
    text = buffer.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return text[text.index("<svg"):]


def depth_bands(bands: dict[str, pd.DataFrame], variant: str, window: tuple[float, float],
                warmup_days: int) -> str:
    """Days of supply over time of a few nodes: mean and 5-95% band, baseline and variant; window shaded."""
    nodes = list(bands)
    cols = min(2, len(nodes))
    rows = math.ceil(len(nodes) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 2.6 * rows), squeeze=False, sharex=True)
    for ax, node in zip(axes.ravel(), nodes):
        stats = bands[node]
        stats = stats[stats["day"] >= warmup_days]
        for name, colour, label in (("baseline", BASE_COLOUR, "baseline"), (variant, SCENARIO_COLOUR, variant)):
            s = stats[stats["variant"] == name]
            ax.fill_between(s["day"], s["p5"], s["p95"], color=colour, alpha=0.2, linewidth=0)
            ax.plot(s["day"], s["mean"], color=colour, linewidth=1.4, label=f"{label} (mean, 5-95%)")
        start, end = window
        if np.isfinite(start) and end > start:
            ax.axvspan(start, end, color=WINDOW_COLOUR, alpha=0.12, linewidth=0, label="disruption")
        ax.set_title(node, fontsize=10)
        ax.set_ylabel("days of supply", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(nodes):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("day", fontsize=8)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return to_svg(fig, "depth")


def network_map(nodes: list[dict], lanes: list[tuple[str, str]], impact: dict[str, float], label: str,
                highlight: set[str] = frozenset()) -> str:
    """Nodes at their coordinates (equirectangular, scaled by the cosine of the mean latitude), coloured by impact;
    ``highlight``: the disrupted nodes, ringed in red."""
    placed = {n["id"]: n for n in nodes if n.get("lat") is not None and n.get("lon") is not None}
    fig, ax = plt.subplots(figsize=(9.5, 5.6))
    if not placed:
        ax.text(0.5, 0.5, "no node has a location", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return to_svg(fig, "map")
    lat0 = math.radians(np.mean([n["lat"] for n in placed.values()]))

    def xy(node):
        return node["lon"] * math.cos(lat0), node["lat"]

    segments = [(xy(placed[a]), xy(placed[b])) for a, b in lanes if a in placed and b in placed]
    if segments:  # one artist for all lanes: thousands of lines draw in milliseconds
        ax.add_collection(LineCollection(segments, colors="#999999", linewidths=0.5, alpha=0.5, zorder=1))
    values = np.array([max(0.0, impact.get(n, 0.0)) for n in placed])
    norm = Normalize(vmin=0.0, vmax=max(values.max(), 1e-9))
    cmap = plt.get_cmap("YlOrRd")
    scatter = None
    for kind, marker in KIND_MARKERS.items():
        ids = [n for n in placed if placed[n]["kind"] == kind]
        if not ids:
            continue
        pts = np.array([xy(placed[n]) for n in ids])
        vals = np.array([max(0.0, impact.get(n, 0.0)) for n in ids])
        size = 36 if kind == "store" else 90
        scatter = ax.scatter(pts[:, 0], pts[:, 1], c=vals, cmap=cmap, norm=norm, marker=marker, s=size,
                             edgecolors="#333333", linewidths=0.6, zorder=3, label=kind)
    ringed = [n for n in placed if n in highlight]
    if ringed:
        pts = np.array([xy(placed[n]) for n in ringed])
        ax.scatter(pts[:, 0], pts[:, 1], s=320, facecolors="none", edgecolors=WINDOW_COLOUR, linewidths=2.0,
                   zorder=5, label="disrupted")
    stores = sorted((n for n in placed if placed[n]["kind"] == "store"), key=lambda n: -impact.get(n, 0.0))
    top_stores = {n for n in stores[:3] if impact.get(n, 0.0) > 0}
    for n, node in placed.items():
        if node["kind"] != "store" or n in top_stores:
            x, y = xy(node)
            ax.annotate(n, (x, y), xytext=(5, 4), textcoords="offset points", fontsize=6.5, zorder=6)
    if scatter is not None:
        bar = fig.colorbar(scatter, ax=ax, shrink=0.8)
        bar.set_label(label, fontsize=8)
    legend = ax.legend(loc="lower left", fontsize=8, frameon=True)
    for handle in legend.legend_handles:
        if handle.get_label() != "disrupted":
            handle.set_facecolor("#dddddd")
    pts = np.array([xy(n) for n in placed.values()])
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    width = max(x1 - x0, 1.6 * (y1 - y0), 0.5) * 1.12
    height = max(y1 - y0, width / 1.8) * 1.12
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax.set_xlim(cx - width / 2, cx + width / 2)
    ax.set_ylim(cy - height / 2, cy + height / 2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.tight_layout()
    return to_svg(fig, "map")


def tts_vs_ttr(stress: pd.DataFrame) -> str:
    """Time to survive (bar) against time to recover (marker) per stressed node, in rank order."""
    s = stress.sort_values("rank", ascending=False)
    fig, ax = plt.subplots(figsize=(8.5, 0.32 * len(s) + 1.2))
    y = np.arange(len(s))
    colours = np.where(s["mitigate"], WINDOW_COLOUR, BASE_COLOUR)
    ax.barh(y, s["tts_days"], color=colours, alpha=0.8, label="time to survive (TTS)")
    ax.scatter(s["ttr_days"], y, marker="|", s=220, color="#222222", linewidths=2, zorder=3,
               label="time to recover (TTR)")
    censored = s["tts_censored"].to_numpy()
    for yi, value, cut in zip(y, s["tts_days"], censored):
        if cut:
            ax.annotate("≥", (value, yi), xytext=(3, -3), textcoords="offset points", fontsize=8)
    ax.set_yticks(y, [f"{n} (REI {r:.2f})" for n, r in zip(s["node"], s["risk_exposure_index"])], fontsize=8)
    ax.set_xlabel("days", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return to_svg(fig, "tts")


def sku_profit(changes: pd.DataFrame, n: int = 12) -> str:
    """Change of fulfilment profit of the SKUs that lose (and gain) most, with 95% intervals."""
    worst = changes.sort_values("delta").head(n)
    best = changes.sort_values("delta", ascending=False).head(3)
    best = best[best["delta"] > 0]
    part = pd.concat([worst, best[~best.index.isin(worst.index)]]).sort_values("delta", ascending=False)
    fig, ax = plt.subplots(figsize=(8.5, 0.3 * len(part) + 1.2))
    y = np.arange(len(part))
    low = (part["delta"] - part["ci95_low"]).fillna(0).clip(lower=0)
    high = (part["ci95_high"] - part["delta"]).fillna(0).clip(lower=0)
    colours = np.where(part["delta"] < 0, WINDOW_COLOUR, BASE_COLOUR)
    ax.barh(y, part["delta"], xerr=[low, high], color=colours, alpha=0.85, error_kw={"elinewidth": 0.8})
    labels = [f"{k} ({p:+.1f}%)" if np.isfinite(p) else k for k, p in zip(part.index, part["delta_pct"])]
    ax.set_yticks(y, labels, fontsize=7.5)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel("change of profit, USD (95% interval)", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return to_svg(fig, "sku")


def variant_deltas(rows: pd.DataFrame, metric: str, label: str, by: str) -> str:
    """A KPI's delta with its 95% interval per variant or sweep value."""
    part = rows[rows["metric"] == metric]
    fig, ax = plt.subplots(figsize=(7.5, 0.35 * len(part) + 1.3))
    y = np.arange(len(part))
    low = (part["delta"] - part["ci95_low"]).fillna(0).clip(lower=0)
    high = (part["ci95_high"] - part["delta"]).fillna(0).clip(lower=0)
    ax.errorbar(part["delta"], y, xerr=[low, high], fmt="o", color=SCENARIO_COLOUR, ecolor="#555555", capsize=3)
    ax.set_yticks(y, list(part[by]), fontsize=8)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel(f"{label}: change vs baseline (95% interval)", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.invert_yaxis()
    fig.tight_layout()
    return to_svg(fig, f"variants-{metric}")
