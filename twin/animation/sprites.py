"""The moving parts of a panel: node markers, disruption marks, shipment sprites and the ticker.

Each class creates its salabim objects once; their lambdas read the panel's
state at the frame's time (computed once per frame and cached).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import salabim as sim

from twin.animation import style
from twin.animation.layout import FrameLayout, Panel, tag_top
from twin.animation.marks import CLOSED, Mark
from twin.animation.scene import (LAYER_LANE_MARK, LAYER_NODE, LAYER_NODE_MARK, LAYER_SHIPMENT, LAYER_TEXT,
                                  TRANSPARENT, Clock, _Cached, _y, node_marker, textless)
from twin.animation.timeline import NodeSeries, Shipments, Ticker
from twin.animation.plan import Nodes


def _active(marks: list[Mark], t: float) -> list[Mark]:
    return [m for m in marks if m.active(t)]


class NodeFrame(NamedTuple):
    """Every node's look at one frame (arrays in model order)."""

    t: float
    status: np.ndarray
    radius: np.ndarray
    closed: np.ndarray
    disrupted: np.ndarray


class NodeMarkers:
    """One marker per node whose look can change: fill from stock status (purple while closed),
    size from on-hand; a ring while disrupted, a 'closed' tag while closed."""

    def __init__(self, layout: FrameLayout, panel: Panel, nodes: Nodes, series: NodeSeries, marks: list[Mark],
                 clock: Clock, static_nodes: set[str]):
        self.layout, self.series, self.clock, self.kinds = layout, series, clock, nodes.kinds
        self.base_radius = np.array([style.NODE_RADIUS[k] for k in nodes.kinds]) * layout.unit
        self.node_marks = [[m for m in marks if m.lane is None and m.node == node] for node in nodes.node_ids]
        self.state = _Cached(self._state)
        self.objects = []
        for row, (node, kind) in enumerate(zip(nodes.node_ids, nodes.kinds)):
            x, y = panel.xy[row]
            if node in static_nodes:
                continue
            self.objects.append(node_marker(kind, x, _y(layout, y), self._radius_of(row), self._fill_of(row),
                                            LAYER_NODE, layout.unit))
            if self.node_marks[row]:
                self._add_mark_objects(row, node, x, y)

    def _add_mark_objects(self, row: int, node: str, x: float, y: float) -> None:
        lay = self.layout
        self.objects.append(textless(sim.AnimateCircle(
            radius=lambda t, r=row: self.ring(t, r), x=x, y=_y(lay, y), fillcolor=TRANSPARENT,
            linecolor=lambda t, r=row: self.mark_colour(t, r),
            linewidth=lay.px(2.5), layer=LAYER_NODE_MARK, screen_coordinates=True,
            visible=lambda t, r=row: bool(self.state(t).closed[r] or self.state(t).disrupted[r]))))
        self.objects.append(sim.AnimateText(
            text=lambda t, r=row: self.tag(t, r), x=x, y=_y(lay, tag_top(y, self.base_radius[row], lay.unit)),
            fontsize=lay.px(11), textcolor=lambda t, r=row: self.mark_colour(t, r),
            text_anchor="n", font=style.FONT, layer=LAYER_TEXT, screen_coordinates=True))

    def _state(self, env_t: float) -> NodeFrame:
        t = self.clock(env_t)
        status, scale = self.series.at(t)
        closed = np.zeros(len(self.node_marks), dtype=bool)
        disrupted = np.zeros(len(self.node_marks), dtype=bool)
        for row, marks in enumerate(self.node_marks):
            for m in _active(marks, t):
                if m.state == CLOSED:
                    closed[row] = True
                else:
                    disrupted[row] = True
        radius = np.round(self.base_radius * scale * 2) / 2  # half pixels: an unchanged look is not redrawn
        return NodeFrame(t, status, radius, closed, disrupted)

    def _radius_of(self, row: int):
        return lambda t: self.radius(t, row)  # a closure: see ShipmentSprites._sprite

    def _fill_of(self, row: int):
        return lambda t: self.fill(t, row)

    def radius(self, t: float, row: int) -> float:
        return float(self.state(t).radius[row])

    def ring(self, t: float, row: int) -> float:
        """Radius of the ring drawn around a marked node: just outside its marker."""
        extent = 1.25 if self.kinds[row] in ("hub", "supplier") else 1.0
        return self.radius(t, row) * extent + self.layout.px(4)

    def fill(self, t: float, row: int) -> str:
        frame = self.state(t)
        return style.CLOSED if frame.closed[row] else style.STATUS_COLOURS[int(frame.status[row])]

    def mark_colour(self, t: float, row: int) -> str:
        return style.CLOSED if self.state(t).closed[row] else style.DISRUPTED

    def tag(self, t: float, row: int) -> str:
        frame = self.state(t)
        now = _active(self.node_marks[row], frame.t)
        return "closed" if frame.closed[row] else (now[0].what if now else "")


class LaneMarks:
    """A thick purple (closed) or magenta (disrupted) line over each marked lane, while marked."""

    def __init__(self, layout: FrameLayout, panel: Panel, nodes: Nodes, marks: list[Mark], clock: Clock):
        xy = panel.node_xy(nodes.node_ids)
        self.objects = []
        for mark in (m for m in marks if m.lane is not None and m.node in xy and m.lane in xy):
            (x0, y0), (x1, y1) = xy[mark.node], xy[mark.lane]
            colour = style.CLOSED if mark.state == CLOSED else style.DISRUPTED
            self.objects.append(textless(sim.AnimateLine(
                spec=(x0, _y(layout, y0), x1, _y(layout, y1)), linecolor=colour,
                linewidth=style.MARK_LANE_WIDTH * layout.unit, layer=LAYER_LANE_MARK, screen_coordinates=True,
                visible=lambda t, m=mark: m.active(clock(t)))))


class ShipmentSprites:
    """A fixed pool of dots; slot i shows whichever batch the timeline gives it at each frame."""

    def __init__(self, shipments: Shipments, layout: FrameLayout, clock: Clock):
        self.shipments, self.layout = shipments, layout
        self.frame = _Cached(lambda env_t: shipments.frame(clock(env_t)))
        self.objects = [self._sprite(i) for i in range(shipments.pool)]

    def _sprite(self, i: int):
        # Closures rather than lambdas with default arguments: salabim inspects (and rewrites)
        # a function's default arguments at every access, hundreds of times per frame here.
        frame, height = self.frame, self.layout.height
        return textless(sim.AnimateCircle(
            radius=lambda t: float(frame(t).radius[i]),
            x=lambda t: float(frame(t).x[i]),
            y=lambda t: height - float(frame(t).y[i]),
            fillcolor=lambda t: style.SHIPMENT_COLOURS[int(frame(t).colour[i])],
            linecolor=TRANSPARENT, linewidth=0, layer=LAYER_SHIPMENT, screen_coordinates=True,
            visible=lambda t: bool(frame(t).visible[i])))


def money(usd: float) -> str:
    """``+$1,234`` / ``-$1,234`` (rounded to the dollar)."""
    return f"{'-' if usd < 0 else '+'}${abs(usd):,.0f}"


class Caption:
    """The panel's ticker: fill rate, cumulative profit (difference), disruptions in force."""

    def __init__(self, layout: FrameLayout, panel: Panel, ticker: Ticker, marks: list[Mark], clock: Clock,
                 warmup_days: int):
        self.ticker, self.marks, self.clock, self.warmup = ticker, marks, clock, warmup_days
        x = panel.box.left + layout.px(14)
        top = panel.box.top
        common = dict(x=x, fontsize=layout.px(12.5), text_anchor="w", font=style.FONT, layer=LAYER_TEXT,
                      screen_coordinates=True)
        self.objects = [
            sim.AnimateText(text=self.kpis, y=_y(layout, top + layout.px(33)), textcolor=style.TEXT, **common),
            sim.AnimateText(text=self.events, y=_y(layout, top + layout.px(50)), textcolor=style.CLOSED, **common),
        ]

    def kpis(self, env_t: float) -> str:
        fill, base_fill, profit = self.ticker.at(self.clock(env_t))
        fill_text = "fill rate -" if fill != fill else f"fill rate {fill:.1%}"
        if base_fill is not None and base_fill == base_fill:
            fill_text += f" (baseline {base_fill:.1%})"
        label = "profit vs baseline" if self.ticker.profit_is_delta else "profit"
        return f"{fill_text}   {label} {money(profit)} since day {self.warmup}"

    def events(self, env_t: float) -> str:
        now = _active(self.marks, self.clock(env_t))
        if not now:
            return ""
        labels = list(dict.fromkeys(m.label for m in now))
        more = f" (+{len(labels) - 3} more)" if len(labels) > 3 else ""
        return "; ".join(labels[:3]) + more


class DayCounter:
    """'day 41' at the top right of the frame."""

    def __init__(self, layout: FrameLayout, clock: Clock):
        self.objects = [sim.AnimateText(
            text=lambda t: f"day {int(np.floor(clock(t) + 1e-9))}", x=layout.width - layout.px(16),
            y=_y(layout, layout.header.top + layout.px(22)), fontsize=layout.px(26), textcolor=style.TEXT,
            text_anchor="e", font=style.FONT, layer=LAYER_TEXT, screen_coordinates=True)]
