"""Where each node goes on screen: a map projection of its coordinates, fitted into a panel.

Nodes with coordinates are projected with the Lambert azimuthal equal-area
projection centred on the network (areas and, near the centre, shapes and
distances are kept: a regional network looks like its map). Nodes without
coordinates are placed at the mean of their located neighbours, or, when no
node has coordinates, in columns by kind (suppliers left, stores right).
Nodes that would land on top of each other (a store in its DC's city) are
nudged apart so that both stay visible.

Screen coordinates here are pixels with the origin at the **top left**
(as in an image); :mod:`twin.animation.scene` converts them for salabim.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KIND_COLUMN = {"supplier": 0, "hub": 1, "dc": 2, "store": 3}


@dataclass(frozen=True)
class Box:
    """A rectangle on screen: left, top, width, height in pixels."""

    left: float
    top: float
    width: float
    height: float

    @property
    def center(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2


def laea(lat_deg: np.ndarray, lon_deg: np.ndarray, lat0_deg: float, lon0_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Lambert azimuthal equal-area projection on the unit sphere.

    Parameters
    ----------
    lat_deg, lon_deg : latitudes and longitudes in degrees.
    lat0_deg, lon0_deg : the centre of the projection.

    Returns
    -------
    x, y : east and north coordinates (radians of arc on the unit sphere; y grows northwards).
    """
    phi, lam = np.radians(lat_deg), np.radians(lon_deg)
    phi0, lam0 = np.radians(lat0_deg), np.radians(lon0_deg)
    cos_c = np.sin(phi0) * np.sin(phi) + np.cos(phi0) * np.cos(phi) * np.cos(lam - lam0)
    k = np.sqrt(2.0 / np.maximum(1.0 + cos_c, 1e-12))
    x = k * np.cos(phi) * np.sin(lam - lam0)
    y = k * (np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(lam - lam0))
    return x, y


def _centre(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float]:
    """Middle of the latitude range and of the longitude range (good enough for a regional network)."""
    return float((lat.min() + lat.max()) / 2), float((lon.min() + lon.max()) / 2)


def _fill_missing(xy: np.ndarray, known: np.ndarray, neighbours: list[list[int]]) -> np.ndarray:
    """Place unknown nodes at the mean of their placed neighbours (repeatedly), else at the centroid."""
    xy = xy.copy()
    placed = known.copy()
    for _ in range(len(xy)):
        progress = False
        for i in np.flatnonzero(~placed):
            around = [j for j in neighbours[i] if placed[j]]
            if around:
                xy[i] = xy[around].mean(axis=0)
                placed[i] = progress = True
        if not progress:
            break
    xy[~placed] = xy[placed].mean(axis=0) if placed.any() else 0.0
    return xy


def _columns_by_kind(kinds: list[str]) -> np.ndarray:
    """A schematic layout: one column per kind, nodes spread evenly down each column."""
    xy = np.zeros((len(kinds), 2))
    for kind, column in KIND_COLUMN.items():
        rows = [i for i, k in enumerate(kinds) if k == kind]
        for rank, i in enumerate(rows):
            xy[i] = (column, -(rank + 1) / (len(rows) + 1))
    return xy


@dataclass(frozen=True)
class Projection:
    """Latitude/longitude to planar (east, north) coordinates: LAEA centred on ``lat0, lon0``."""

    lat0: float
    lon0: float

    def __call__(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        x, y = laea(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float), self.lat0, self.lon0)
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def world_xy(location: np.ndarray, kinds: list[str],
             neighbours: list[list[int]]) -> tuple[np.ndarray, Projection | None]:
    """Planar coordinates (east, north) of every node, before fitting to the screen.

    Parameters
    ----------
    location : ``(N, 2)`` latitude, longitude in degrees; NaN where unknown.
    kinds : node kinds (for the schematic layout when no node has coordinates).
    neighbours : for each node, the rows it has a lane with.

    Returns
    -------
    xy : ``(N, 2)`` planar coordinates.
    projection : the projection used, or None for the schematic layout (no coordinates at all).
    """
    location = np.asarray(location, dtype=float).reshape(-1, 2)
    known = ~np.isnan(location).any(axis=1)
    if not known.any():
        return _columns_by_kind(kinds), None
    projection = Projection(*_centre(location[known, 0], location[known, 1]))
    xy = np.zeros((len(location), 2))
    xy[known] = projection(location[known, 0], location[known, 1])
    return _fill_missing(xy, known, neighbours), projection


@dataclass(frozen=True)
class Fit:
    """Planar coordinates to screen pixels (north up): ``screen = centre + (world - mid) * scale``."""

    scale: float
    mid: tuple[float, float]
    centre: tuple[float, float]

    def __call__(self, world: np.ndarray) -> np.ndarray:
        world = np.asarray(world, dtype=float).reshape(-1, 2)
        x = self.centre[0] + (world[:, 0] - self.mid[0]) * self.scale
        y = self.centre[1] - (world[:, 1] - self.mid[1]) * self.scale
        return np.column_stack([x, y])


def fit(world: np.ndarray, box: Box) -> Fit:
    """The transform that scales and centres planar coordinates into ``box``."""
    world = np.asarray(world, dtype=float).reshape(-1, 2)
    low, high = world.min(axis=0), world.max(axis=0)
    span = high - low
    if span.max() < 1e-12:
        scale = 0.0
    else:
        scale = min(box.width / max(span[0], 1e-12), box.height / max(span[1], 1e-12))
    mid = (low + high) / 2
    return Fit(float(scale), (float(mid[0]), float(mid[1])), box.center)


def nudge_overlaps(screen: np.ndarray, kinds: list[str], min_gap_px: float) -> np.ndarray:
    """Move nodes that sit within ``min_gap_px`` of an earlier-kind node (a store in its DC's city)
    to a ring around it, so both stay visible. Suppliers stay put, then hubs, DCs, stores."""
    screen = np.asarray(screen, dtype=float).copy()
    order = sorted(range(len(kinds)), key=lambda i: (KIND_COLUMN.get(kinds[i], 9), i))
    settled: list[int] = []
    for i in order:
        for attempt in range(12):
            clash = [j for j in settled if np.hypot(*(screen[i] - screen[j])) < min_gap_px]
            if not clash:
                break
            j = clash[0]
            angle = np.radians(-45.0 + 60.0 * attempt)  # first try down-right, then around the clock
            screen[i] = screen[j] + min_gap_px * np.array([np.cos(angle), np.sin(angle)])
        settled.append(i)
    return screen


def graticule_step(lat: np.ndarray, lon: np.ndarray) -> float:
    """A round step in degrees giving a few graticule lines across the network's extent."""
    extent = max(float(np.ptp(lat)), float(np.ptp(lon)), 1e-6)
    for step in (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0):
        if extent / step <= 8:
            return step
    return 30.0
