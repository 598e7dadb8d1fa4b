"""The frame's geometry: header, one or two map panels, legend, and every node's pixel position.

All positions are pixels from the **top left** of the frame. Sizes are given
for a 720-pixel-high frame and scaled with the frame's height (``unit``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.animation import projection as pj
from twin.animation import style
from twin.model import Model

HEADER_PX = 50
LEGEND_PX = 30
CAPTION_PX = 54
MARGIN_PX = 18
LABEL_ROOM_PX = 80


@dataclass
class Panel:
    """One map: which variant it shows, where, and where each node is drawn."""

    variant: str
    box: pj.Box           # the whole panel (caption included)
    map_box: pj.Box       # where the nodes go
    xy: np.ndarray        # (N, 2) node centres, model order
    fit: pj.Fit

    def node_xy(self, node_ids: list[str]) -> dict[str, tuple[float, float]]:
        return {n: (float(x), float(y)) for n, (x, y) in zip(node_ids, self.xy)}


@dataclass
class FrameLayout:
    """Where everything goes in a ``width`` x ``height`` frame."""

    width: int
    height: int
    unit: float           # pixels per design pixel (height / 720)
    header: pj.Box
    legend: pj.Box
    panels: list[Panel]
    projection: pj.Projection | None

    def px(self, design_pixels: float) -> float:
        """A design size (for a 720-pixel-high frame) in this frame's pixels."""
        return design_pixels * self.unit


def neighbours(model: Model) -> list[list[int]]:
    """For each node row, the rows it shares a lane with."""
    out: list[list[int]] = [[] for _ in model.node_ids]
    for lane in model.lanes:
        out[lane.source].append(lane.target)
        out[lane.target].append(lane.source)
    return out


def frame_layout(model: Model, variants: list[str], width: int, height: int) -> FrameLayout:
    """Lay out a frame with one panel per variant, side by side, the network fitted into each.

    Parameters
    ----------
    model : the network (node coordinates and kinds).
    variants : the variants shown, left to right.
    width, height : the frame in pixels.
    """
    unit = height / 720.0
    header = pj.Box(0, 0, width, HEADER_PX * unit)
    legend = pj.Box(0, height - LEGEND_PX * unit, width, LEGEND_PX * unit)
    top, bottom = header.height, legend.top
    world, projection = pj.world_xy(model.location, model.kinds, neighbours(model))
    panel_width = width / len(variants)
    panels = []
    for i, variant in enumerate(variants):
        box = pj.Box(i * panel_width, top, panel_width, bottom - top)
        margin, room = MARGIN_PX * unit, LABEL_ROOM_PX * unit
        map_box = pj.Box(box.left + margin, box.top + CAPTION_PX * unit + margin,
                         max(box.width - 2 * margin - room, 10), max(box.height - CAPTION_PX * unit - 2 * margin, 10))
        transform = pj.fit(world, map_box)
        xy = pj.nudge_overlaps(transform(world), model.kinds, min_gap_px=2.6 * style.NODE_RADIUS["store"] * unit)
        panels.append(Panel(variant, box, map_box, xy, transform))
    return FrameLayout(width, height, unit, header, legend, panels, projection)
