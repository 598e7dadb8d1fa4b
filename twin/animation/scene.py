"""The salabim objects of the animation: a baked background, node markers, shipment sprites, texts.

Few, long-lived objects driven by functions of time (no Component per
shipment): salabim evaluates each object's lambdas at every frame and only
redraws a marker whose look changed. Everything that never changes (graticule,
lanes, labels, legend, titles) is drawn once with salabim, snapshotted to an
image and shown as one background image.

Salabim's y axis points up; layout positions are from the top, so ``_y``
flips them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import salabim as sim

from twin.animation import style
from twin.animation.layout import FrameLayout, Panel, place_labels, tag_box
from twin.animation.projection import graticule_step
from twin.animation.plan import Nodes

TRANSPARENT = "#00000000"
# Drawing order: salabim draws higher layers first (underneath).
LAYER_BACKGROUND, LAYER_LANE_MARK, LAYER_SHIPMENT, LAYER_NODE, LAYER_NODE_MARK, LAYER_TEXT = 100, 60, 40, 20, 10, 0


@dataclass(frozen=True)
class Clock:
    """salabim time to the time shown (days), snapped to the frame grid.

    A renderer records frames ``first_frame, first_frame + 1, ...`` of an animation that
    starts at ``first_day``; its salabim time 0 is its first frame.
    """

    first_day: int
    frames_per_day: int
    first_frame: int = 0

    def __call__(self, env_t: float) -> float:
        return self.first_day + (self.first_frame + round(env_t * self.frames_per_day)) / self.frames_per_day


class _Cached:
    """Calls ``compute(t)`` once per distinct ``t`` (every object of a frame asks for the same t)."""

    def __init__(self, compute: Callable[[float], object]):
        self.compute = compute
        self.t: float | None = None
        self.value: object = None

    def __call__(self, t: float):
        if t != self.t:
            self.value, self.t = self.compute(t), t
        return self.value


def _y(layout: FrameLayout, y_from_top: float) -> float:
    return layout.height - y_from_top


def textless(obj):
    """Detach the empty text object salabim attaches to every shape (it would be evaluated at every frame)."""
    if getattr(obj, "depending_object", None) is not None:
        obj.remove()
        obj.depending_object = None
        obj.show()
    return obj


def _shape_spec(kind: str, r: float) -> tuple:
    """Polygon/rectangle outline of a node marker of ``kind`` with radius ``r`` around (0, 0)."""
    if kind == "hub":
        return (0, -r * 1.25, r * 1.25, 0, 0, r * 1.25, -r * 1.25, 0)          # diamond
    if kind == "supplier":
        return (-r * 1.15, -r * 0.85, r * 1.15, -r * 0.85, 0, r * 1.25)       # triangle
    return (-r, -r, r, r)                                                       # square (dc)


def node_marker(kind: str, x: float, y: float, radius: Callable | float, fill: Callable | str,
                layer: int, unit: float) -> object:
    """One salabim marker for a node: circle (store), square (DC), diamond (hub), triangle (supplier)."""
    common = dict(x=x, y=y, fillcolor=fill, linecolor=style.OUTLINE, linewidth=max(1.0, unit), layer=layer,
                  screen_coordinates=True)
    if kind == "store":
        return textless(sim.AnimateCircle(radius=radius, **common))
    spec = (lambda t: _shape_spec(kind, radius(t))) if callable(radius) else _shape_spec(kind, radius)
    if kind == "dc":
        return textless(sim.AnimateRectangle(spec=spec, **common))
    return textless(sim.AnimatePolygon(spec=spec, **common))


def label_offset(kind: str) -> float:
    """Distance (design pixels) from a node's centre to its label: clear of a marker grown with stock."""
    extent = 1.25 if kind in ("hub", "supplier") else 1.0
    return style.NODE_RADIUS[kind] * extent * 1.6 + 5


class Background:
    """Everything static, drawn once by salabim and baked into one image."""

    def __init__(self, layout: FrameLayout, nodes: Nodes, lanes: list[tuple[str, str]], title: str,
                 subtitle: str, labels: str, static_nodes: set[str], tagged: dict[str, set[str]]):
        self.layout, self.nodes, self.lanes = layout, nodes, lanes
        self.title, self.subtitle, self.labels, self.static_nodes = title, subtitle, labels, static_nodes
        self.tagged = tagged  # per variant: nodes that get a disruption tag at some point
        self.objects: list = []

    def bake(self, env: sim.Environment, folder: Path) -> object:
        """Draw, snapshot to ``folder``, remove the drawn objects; return the background image object."""
        self._draw(env)
        path = folder / "background.png"
        env.snapshot(str(path))
        for obj in self.objects:
            obj.remove()
        self.objects.clear()
        return sim.AnimateImage(str(path), x=0, y=0, anchor="sw", layer=LAYER_BACKGROUND, screen_coordinates=True)

    def _add(self, obj) -> None:
        self.objects.append(obj)

    def _text(self, text: str, x: float, y_top: float, size: float, colour: str = style.TEXT,
              anchor: str = "w") -> None:
        self._add(sim.AnimateText(text=text, x=x, y=_y(self.layout, y_top), fontsize=size, textcolor=colour,
                                  text_anchor=anchor, font=style.FONT, screen_coordinates=True))

    def _draw(self, env: sim.Environment) -> None:
        lay, u = self.layout, self.layout.unit
        self._text(self.title, lay.px(14), lay.header.top + lay.px(17), lay.px(19))
        self._text(self.subtitle, lay.px(14), lay.header.top + lay.px(38), lay.px(13), style.MUTED_TEXT)
        for i, panel in enumerate(lay.panels):
            if i:
                self._add(sim.AnimateLine(spec=(panel.box.left, _y(lay, panel.box.top), panel.box.left,
                                                _y(lay, panel.box.top + panel.box.height)),
                                          linecolor=style.PANEL_RULE, linewidth=max(1.0, u), screen_coordinates=True))
            self._draw_panel(env, panel)
        self._draw_legend(env)

    def _draw_panel(self, env: sim.Environment, panel: Panel) -> None:
        lay, u, m = self.layout, self.layout.unit, self.nodes
        self._text(panel.variant, panel.box.left + lay.px(14), panel.box.top + lay.px(14), lay.px(16))
        self._draw_graticule(panel)
        xy = panel.node_xy(m.node_ids)
        for a, b in self.lanes:
            (x0, y0), (x1, y1) = xy[a], xy[b]
            self._add(sim.AnimateLine(spec=(x0, _y(lay, y0), x1, _y(lay, y1)), linecolor=style.LANE,
                                      linewidth=style.LANE_WIDTH * u, screen_coordinates=True))
        for node, kind in zip(m.node_ids, m.kinds):
            if node in self.static_nodes:
                x, y = xy[node]
                self._add(node_marker(kind, x, _y(lay, y), style.NODE_RADIUS[kind] * u,
                                      style.STATUS_COLOURS[style.NEUTRAL], LAYER_NODE, u))
        self._draw_labels(env, panel)

    def _draw_labels(self, env: sim.Environment, panel: Panel) -> None:
        lay, u, m = self.layout, self.layout.unit, self.nodes
        if self.labels == "none":
            return
        stores = sum(k == "store" for k in m.kinds)
        show_all = self.labels == "all" or (self.labels == "auto" and stores <= 30)
        rows = [i for i, k in enumerate(m.kinds) if show_all or k != "store"]
        size = lay.px(11.5)
        tags = [tag_box(*panel.xy[i], style.NODE_RADIUS[m.kinds[i]] * u, u)
                for i, node in enumerate(m.node_ids) if node in self.tagged.get(panel.variant, set())]
        labels = place_labels(
            m.node_ids, m.kinds, panel.xy, rows,
            [env.getwidth(m.node_ids[i], style.FONT, size, screen_coordinates=True) for i in rows], size,
            [label_offset(m.kinds[i]) * u for i in rows],
            [style.NODE_RADIUS[k] * 1.25 * u for k in m.kinds], panel.box, tags)
        for label in labels:
            self._add(sim.AnimateText(text=label.node, x=label.x, y=_y(lay, label.y), fontsize=size,
                                      textcolor=style.TEXT, text_anchor=label.anchor, font=style.FONT,
                                      screen_coordinates=True))

    def _draw_graticule(self, panel: Panel) -> None:
        projection = self.layout.projection
        located = ~np.isnan(self.nodes.location).any(axis=1)
        if projection is None or not located.any():
            return
        lat, lon = self.nodes.location[located, 0], self.nodes.location[located, 1]
        step = graticule_step(lat, lon)
        pad = 3 * step
        lat_lines = np.arange(math.floor((lat.min() - pad) / step) * step, lat.max() + pad, step)
        lon_lines = np.arange(math.floor((lon.min() - pad) / step) * step, lon.max() + pad, step)
        lat_fine = np.linspace(lat.min() - pad, lat.max() + pad, 60)
        lon_fine = np.linspace(lon.min() - pad, lon.max() + pad, 60)
        for value in lat_lines:
            self._polyline(panel, panel.fit(projection(np.full_like(lon_fine, value), lon_fine)))
        for value in lon_lines:
            self._polyline(panel, panel.fit(projection(lat_fine, np.full_like(lat_fine, value))))

    def _polyline(self, panel: Panel, points: np.ndarray) -> None:
        """Draw the parts of a projected line that fall inside the panel's map area."""
        box = panel.map_box
        pad = self.layout.px(12)
        inside = ((points[:, 0] >= box.left - pad) & (points[:, 0] <= box.left + box.width + pad)
                  & (points[:, 1] >= box.top - pad) & (points[:, 1] <= box.top + box.height + pad))
        runs = np.split(np.arange(len(points)), np.flatnonzero(np.diff(inside.astype(int))) + 1)
        for run in runs:
            if len(run) >= 2 and inside[run[0]]:
                spec = [v for i in run for v in (points[i, 0], _y(self.layout, points[i, 1]))]
                self._add(sim.AnimateLine(spec=spec, linecolor=style.GRATICULE, linewidth=max(1.0, self.layout.unit),
                                          screen_coordinates=True))

    def _draw_legend(self, env: sim.Environment) -> None:
        lay, u = self.layout, self.layout.unit
        y = lay.legend.top + lay.legend.height / 2
        size = lay.px(12)
        x = lay.px(14)

        def label(text: str, x: float) -> float:
            self._text(text, x, y, size)
            return x + env.getwidth(text, style.FONT, size, screen_coordinates=True) + lay.px(14)

        for kind, name in (("store", "store"), ("dc", "DC"), ("hub", "hub"), ("supplier", "supplier")):
            self._add(node_marker(kind, x + lay.px(6), _y(lay, y), lay.px(5.5), style.STATUS_COLOURS[style.NEUTRAL],
                                  LAYER_TEXT, u))
            x = label(name, x + lay.px(16))
        x += lay.px(8)
        for colour, meaning in style.legend_entries():
            self._add(sim.AnimateCircle(radius=lay.px(5), x=x + lay.px(5), y=_y(lay, y), fillcolor=colour,
                                        linecolor=colour, screen_coordinates=True))
            x = label(meaning, x + lay.px(14))
        note = "size: stock on hand (hubs: goods waiting); dots: units shipped"
        if x + env.getwidth(note, style.FONT, lay.px(11), screen_coordinates=True) < lay.width - lay.px(12):
            self._text(note, lay.width - lay.px(12), y, lay.px(11), style.MUTED_TEXT, anchor="e")
