"""Prepare an animation: read the report and compute everything the frames show (no salabim here).

:func:`prepare` returns a :class:`Job`: plain data (arrays, tables, pixel
positions) that a renderer process turns into frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.animation import style
from twin.animation.layout import FrameLayout, frame_layout
from twin.animation.marks import Mark
from twin.animation.options import BOTH, AnimationOptions, resolve_days
from twin.animation.source import BASELINE, ReportSource, node_matrix
from twin.animation.timeline import (DayIndex, NodeSeries, Ticker, make_ticker, marker_scale, merge_legs,
                                     usual_level)


@dataclass
class Nodes:
    """The network's nodes as the animation needs them: ids, kinds, coordinates (model order)."""

    node_ids: list[str]
    kinds: list[str]
    location: np.ndarray  # (N, 2) latitude, longitude; NaN where unknown


@dataclass
class PanelData:
    """Everything one panel replays, as arrays."""

    variant: str
    series: NodeSeries
    batches: pd.DataFrame
    marks: list[Mark]
    ticker: Ticker


def _variants(source: ReportSource, options: AnimationOptions) -> list[str]:
    variants = [BASELINE, "scenario"] if options.variant == BOTH else [options.variant]
    for variant in variants:
        source.check_choice(variant, options.replication)
    return variants


def _node_series(source: ReportSource, daily: pd.DataFrame, baseline: pd.DataFrame, index: DayIndex) -> NodeSeries:
    model = source.model
    all_days = np.arange(0, index.last + 1)
    post = all_days >= source.warmup_days

    def matrix(frame: pd.DataFrame, column: str) -> np.ndarray:
        return node_matrix(frame, column, model.node_ids, all_days)

    usual_dos = usual_level(matrix(baseline, "days_of_supply"), post)
    usual_on_hand = usual_level(matrix(baseline, "on_hand_units"), post)
    usual_shipped = usual_level(matrix(baseline, "shipped_units"), post)
    shown = slice(index.first, index.last + 1)
    on_hand = matrix(daily, "on_hand_units")[shown]
    status = style.stock_status(matrix(daily, "days_of_supply")[shown], usual_dos, on_hand)
    scale = marker_scale(np.nan_to_num(on_hand), model.kinds, usual_on_hand, usual_shipped)
    return NodeSeries(index, status, scale)


def _panel_data(source: ReportSource, variants: list[str], options: AnimationOptions,
                index: DayIndex) -> list[PanelData]:
    point, sweep_value = source.sweep_point(options.sweep_value)
    wanted = list(dict.fromkeys(variants + ([BASELINE] if BASELINE in source.variants else [])))
    daily = source.daily(wanted, options.replication, sweep_value)
    if daily.empty:
        raise source.problem("daily.parquet", f"no daily rows for replication {options.replication}")
    stores = [n for n, k in zip(source.model.node_ids, source.model.kinds) if k == "store"]
    base_rows = daily[daily["variant"] == (BASELINE if BASELINE in wanted else variants[0])]
    panels = []
    for variant in variants:
        rows = daily[daily["variant"] == variant]
        flows = source.flows(variant, options.replication, sweep_value)
        unknown = sorted(set(flows["from"]).union(flows["to"]) - set(source.model.node_ids))
        if unknown:
            raise source.problem("flows.parquet", f"shipments name nodes the network file lacks "
                                                  f"({', '.join(unknown[:5])}); was the network changed?")
        window = flows[(flows["arrive_time"] > index.first) & (flows["depart_time"] < index.last + 1)]
        ticker = make_ticker(index, rows, None if variant == BASELINE else base_rows, stores, source.warmup_days)
        panels.append(PanelData(variant, _node_series(source, rows, base_rows, index), merge_legs(window),
                                source.marks(variant, options.replication, point), ticker))
    return panels


def _lanes(source: ReportSource, panels: list[PanelData]) -> list[tuple[str, str]]:
    """Every lane of the network and every pair of nodes a shipment travelled between, once each way-less."""
    ids = source.model.node_ids
    pairs = {(ids[lane.source], ids[lane.target]) for lane in source.model.lanes}
    for panel in panels:
        pairs |= set(zip(panel.batches["from"], panel.batches["to"]))
    return sorted({tuple(sorted(p)) for p in pairs})


def _static_nodes(source: ReportSource, panels: list[PanelData]) -> set[str]:
    """Suppliers no disruption touches look the same all along: drawn once, in the background."""
    marked = {m.node for p in panels for m in p.marks if m.lane is None}
    return {n for n, k in zip(source.model.node_ids, source.model.kinds) if k == "supplier" and n not in marked}


def _radius_reference(panels: list[PanelData]) -> float:
    units = np.concatenate([p.batches["units"].to_numpy(dtype=float) for p in panels] or [np.ones(1)])
    return float(np.percentile(units, 95)) if len(units) else 1.0


def _title(source: ReportSource, options: AnimationOptions, first: int, last: int) -> tuple[str, str]:
    m = source.manifest
    title = f"{m.get('scenario', '')} on {m.get('network', '')}: replication {options.replication}, days {first}-{last}"
    description = (m.get("description") or "").strip()
    limit = int(options.width / 7.5)
    subtitle = description if len(description) <= limit else description[: limit - 3].rstrip() + "..."
    return title, subtitle




@dataclass
class Job:
    """Everything needed to draw the frames of one animation (picklable, for renderer processes)."""

    options: AnimationOptions
    index: DayIndex
    layout: FrameLayout
    nodes: Nodes
    panels: list[PanelData]
    lanes: list[tuple[str, str]]
    static_nodes: set[str]
    radius_reference_units: float
    title: str
    subtitle: str
    warmup_days: int

    @property
    def frames(self) -> int:
        """Frames in the whole animation: ``frames_per_day`` for each day shown."""
        return (self.index.last - self.index.first + 1) * self.options.frames_per_day

    def frame_times(self, first_frame: int, count: int) -> np.ndarray:
        """Times (days) shown by frames ``first_frame .. first_frame + count - 1``."""
        return self.index.first + np.arange(first_frame, first_frame + count) / self.options.frames_per_day


def prepare(source: ReportSource, options: AnimationOptions) -> Job:
    """Read what ``options`` asks for from an opened report and lay out the frame.

    Raises
    ------
    twin.problems.ProblemList
        Unknown variant or replication, days outside the horizon, no shipments to show.
    """
    variants = _variants(source, options)
    try:
        first, last = resolve_days(options.days, source.horizon_days)
    except ValueError as exc:
        raise source.problem("manifest.json", str(exc)) from None
    index = DayIndex(first, last)
    panels = _panel_data(source, variants, options, index)
    model = source.model
    layout = frame_layout(model, variants, options.width, options.height)
    title, subtitle = _title(source, options, first, last)
    nodes = Nodes(list(model.node_ids), list(model.kinds), np.asarray(model.location, dtype=float))
    return Job(options, index, layout, nodes, panels, _lanes(source, panels), _static_nodes(source, panels),
               _radius_reference(panels),
               title, subtitle, source.warmup_days)
