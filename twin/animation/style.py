"""Colours, shapes, sizes and thresholds of the animation: what each mark means.

Colours are hex strings (salabim accepts its own colour names and hex
colours only). The README's legend and ``docs/animation.md`` describe the
same meanings; change both together.
"""

from __future__ import annotations

import numpy as np

# Stock status of a DC or store, from its days of supply relative to its usual depth
# (the median end-of-day days of supply of the same node in the baseline, after the warm-up).
HEALTHY, LOW, OUT, NEUTRAL = 0, 1, 2, 3
LOW_BELOW = 0.6   # below 60% of its usual depth: low
OUT_BELOW = 0.25  # below 25% of its usual depth, or nothing on hand: out

STATUS_COLOURS = {
    HEALTHY: "#2f9e44",  # green
    LOW: "#f59f00",      # amber
    OUT: "#e03131",      # red
    NEUTRAL: "#5c677d",  # slate: suppliers and hubs hold no stock of their own
}
STATUS_NAMES = {HEALTHY: "healthy", LOW: "low", OUT: "out", NEUTRAL: "no stock kept"}

CLOSED = "#7b2cbf"     # purple fill (node) or line (lane): closed for these days
DISRUPTED = "#d6336c"  # magenta ring (node) or line (lane): capacity, lead-time, cost or demand event

FONT = "calibri"       # shipped with salabim, so frames look the same on every machine
BACKGROUND = "#f6f3ec"
GRATICULE = "#e4ded2"
LANE = "#bdb5a6"
OUTLINE = "#343a40"
TEXT = "#212529"
MUTED_TEXT = "#6c757d"
PANEL_RULE = "#cfc8ba"

SHIPMENT = "#1c3f94"   # navy dot
REROUTED = "#f76707"   # orange dot: left its planned route
EXPEDITED = "#0c8599"  # teal dot: expedited mode
SHIPMENT_COLOURS = (SHIPMENT, REROUTED, EXPEDITED)

# Marker sizes in pixels for a 720-pixel-high frame (scaled with the frame height).
NODE_RADIUS = {"supplier": 9.0, "hub": 10.0, "dc": 9.0, "store": 5.5}
NODE_SCALE_RANGE = (0.45, 1.8)   # on-hand marker scale, clamped
HUB_BACKLOG_MAX = 0.6            # a hub grows by up to this fraction with goods waiting
SHIPMENT_RADIUS_RANGE = (1.6, 6.5)
LANE_WIDTH = 1.5
MARK_LANE_WIDTH = 4.0


def stock_status(days_of_supply: np.ndarray, usual_days: np.ndarray, on_hand: np.ndarray) -> np.ndarray:
    """Stock status (HEALTHY, LOW, OUT or NEUTRAL) of nodes from their days of supply.

    Parameters
    ----------
    days_of_supply : end-of-day days of supply, any shape (NaN for nodes without demand).
    usual_days : each node's usual days of supply (its baseline median), broadcastable.
    on_hand : end-of-day units on hand, same shape as ``days_of_supply``.
    """
    dos = np.asarray(days_of_supply, dtype=float)
    usual = np.broadcast_to(np.asarray(usual_days, dtype=float), dos.shape)
    on_hand = np.asarray(on_hand, dtype=float)
    status = np.full(dos.shape, HEALTHY, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        status[dos < LOW_BELOW * usual] = LOW
        status[(dos < OUT_BELOW * usual) | (on_hand <= 0)] = OUT
        status[np.isnan(dos) | np.isnan(usual) | ~(usual > 0)] = NEUTRAL
    return status


def legend_entries() -> list[tuple[str, str]]:
    """(colour, meaning) pairs, in the order the legend shows them."""
    return [
        (STATUS_COLOURS[HEALTHY], "healthy"),
        (STATUS_COLOURS[LOW], f"low (< {LOW_BELOW:.0%} of usual days of supply)"),
        (STATUS_COLOURS[OUT], f"out (< {OUT_BELOW:.0%} or empty)"),
        (CLOSED, "closed"),
        (DISRUPTED, "disrupted"),
        (SHIPMENT, "shipment"),
        (REROUTED, "rerouted"),
        (EXPEDITED, "expedited"),
    ]
