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


@dataclass(frozen=True)
class Label:
    """A node label placed at ``(x, y)`` (pixels from the top left) with salabim's ``anchor``."""

    node: str
    x: float
    y: float
    anchor: str


LABEL_ORDER = {"hub": 0, "dc": 1, "supplier": 2, "store": 3}
TAG_GAP_PX = 8          # a disruption tag ("closed") hangs this far below its node's marker
TAG_SIZE_PX = (90, 13)  # room kept free for it (width, height)


def tag_top(y: float, base_radius_px: float, unit: float) -> float:
    """Top of the disruption tag under a node whose marker has ``base_radius_px`` (pixels from the top)."""
    return y + 2 * base_radius_px + TAG_GAP_PX * unit


def tag_box(x: float, y: float, base_radius_px: float, unit: float) -> tuple:
    """The box (left, top, right, bottom) a node's disruption tag may cover."""
    top = tag_top(y, base_radius_px, unit)
    half = TAG_SIZE_PX[0] * unit / 2
    return (x - half, top, x + half, top + TAG_SIZE_PX[1] * unit)


def _overlap(a: tuple, b: tuple) -> float:
    """Overlapping area of two boxes (left, top, right, bottom)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def place_labels(nodes: list[str], kinds: list[str], xy: np.ndarray, rows: list[int], widths: list[float],
                 height: float, offsets: list[float], marker_radii: list[float], bounds: pj.Box,
                 obstacles: list[tuple] = ()) -> list[Label]:
    """Put each label beside its node where it hides no other label or marker, if it can.

    Greedy, hubs first, then DCs, suppliers, stores: each label takes the first free
    spot of right, left, above, below, upper right, lower right; a label with no free
    spot takes the one it overlaps least.

    Parameters
    ----------
    nodes, kinds, xy : ids, kinds and ``(N, 2)`` centres of every node.
    rows : the nodes to label; ``widths`` and ``offsets`` (distance from the node's
        centre) are given for these, in the same order.
    height : text height in pixels.
    marker_radii : half-size of every node's marker (obstacles for the labels).
    bounds : labels should stay inside this box.
    obstacles : other boxes (left, top, right, bottom) to keep clear, e.g. where disruption tags appear.
    """
    markers = [(x - r, y - r, x + r, y + r) for (x, y), r in zip(xy, marker_radii)]
    taken: list[tuple] = list(obstacles)
    out: list[Label] = []
    order = sorted(range(len(rows)), key=lambda k: (LABEL_ORDER.get(kinds[rows[k]], 9), nodes[rows[k]]))
    right, bottom = bounds.left + bounds.width, bounds.top + bounds.height
    for k in order:
        i = rows[k]
        (x, y), w, o, h = xy[i], widths[k], offsets[k], height
        candidates = [("w", x + o, y, (x + o, y - h / 2, x + o + w, y + h / 2)),
                      ("e", x - o, y, (x - o - w, y - h / 2, x - o, y + h / 2)),
                      ("s", x, y - o, (x - w / 2, y - o - h, x + w / 2, y - o)),
                      ("n", x, y + o, (x - w / 2, y + o, x + w / 2, y + o + h)),
                      ("w", x + o, y - h, (x + o, y - 1.5 * h, x + o + w, y - h / 2)),
                      ("w", x + o, y + h, (x + o, y + h / 2, x + o + w, y + 1.5 * h))]

        def cost(box: tuple) -> float:
            outside = box[0] < bounds.left or box[1] < bounds.top or box[2] > right or box[3] > bottom
            hidden = sum(_overlap(box, m) for j, m in enumerate(markers) if j != i)
            return sum(_overlap(box, t) for t in taken) + hidden + (w * h if outside else 0.0)

        scored = [(cost(c[3]), n, c) for n, c in enumerate(candidates)]
        free = [s for s in scored if s[0] == 0]
        _, _, (anchor, lx, ly, box) = free[0] if free else min(scored)
        taken.append(box)
        out.append(Label(nodes[i], lx, ly, anchor))
    return out
