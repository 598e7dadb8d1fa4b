"""What the map shows at time t, as arrays: node status and size, shipments in flight, the ticker.

Nothing here draws; :mod:`twin.animation.scene` asks these objects for the
values of the frame at time ``t`` (days, continuous). A node shows the
end-of-day values of the day being shown (the day in the counter, ``floor(t)``);
a shipment leg is drawn from its departure to its arrival, moving at the
constant speed its transit time implies.
"""

from __future__ import annotations

import heapq
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.animation import style


@dataclass
class DayIndex:
    """Maps a time in days to the row of per-day arrays covering ``first .. last``."""

    first: int
    last: int

    def __call__(self, t: float) -> int:
        return int(min(max(math.floor(t + 1e-9), self.first), self.last)) - self.first


@dataclass
class NodeSeries:
    """Per day and node (model order): stock status and marker scale."""

    index: DayIndex
    status: np.ndarray   # (D, N) int8: style.HEALTHY, LOW, OUT or NEUTRAL
    scale: np.ndarray    # (D, N) marker scale (1 = the usual size of the kind)

    def at(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Status and scale of every node on the day shown at ``t``."""
        i = self.index(t)
        return self.status[i], self.scale[i]


def usual_level(values: np.ndarray, post_warmup: np.ndarray) -> np.ndarray:
    """Each node's usual level of a daily ``(D, N)`` series: its median after the warm-up (NaN if none)."""
    rows = values[post_warmup] if post_warmup.any() else values
    return _nanmedian(rows)


def _nanmedian(rows: np.ndarray) -> np.ndarray:
    """Column medians ignoring NaN; NaN for all-NaN columns, without warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if rows.size == 0:
            return np.full(rows.shape[1], np.nan)
        return np.nanmedian(rows, axis=0)


def marker_scale(on_hand: np.ndarray, kinds: list[str], usual_on_hand: np.ndarray,
                 usual_shipped: np.ndarray) -> np.ndarray:
    """Marker scale per day and node.

    DCs and stores: the square root of on-hand over the typical on-hand of their kind
    (marker area grows with stock), clamped to ``style.NODE_SCALE_RANGE``. Hubs grow
    with the goods waiting in them (relative to a day of their usual flow). Suppliers: 1.
    """
    kinds_arr = np.asarray(kinds)
    scale = np.ones_like(on_hand, dtype=float)
    low, high = style.NODE_SCALE_RANGE
    for kind in ("dc", "store"):
        cols = kinds_arr == kind
        if not cols.any():
            continue
        typical = np.nanmedian(usual_on_hand[cols]) if np.isfinite(usual_on_hand[cols]).any() else np.nan
        if not typical or not np.isfinite(typical) or typical <= 0:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            scale[:, cols] = np.clip(np.sqrt(np.maximum(on_hand[:, cols], 0) / typical), low, high)
    hubs = kinds_arr == "hub"
    if hubs.any():
        flow = np.where(usual_shipped[hubs] > 0, usual_shipped[hubs], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            backlog = np.sqrt(np.maximum(on_hand[:, hubs], 0) / flow)
        scale[:, hubs] = 1.0 + style.HUB_BACKLOG_MAX * np.clip(np.nan_to_num(backlog), 0, 1)
    return np.nan_to_num(scale, nan=1.0)


@dataclass
class Ticker:
    """Per day: the customer fill rate of the variant (and of the baseline), and cumulative profit.

    ``profit_usd`` is the cumulative profit difference against the baseline from the
    end of the warm-up (or, for the baseline itself, its cumulative profit).
    """

    index: DayIndex
    fill_rate: np.ndarray
    baseline_fill_rate: np.ndarray | None
    profit_usd: np.ndarray
    profit_is_delta: bool

    def at(self, t: float) -> tuple[float, float | None, float]:
        i = self.index(t)
        base = None if self.baseline_fill_rate is None else float(self.baseline_fill_rate[i])
        return float(self.fill_rate[i]), base, float(self.profit_usd[i])


def network_fill_rate(daily: pd.DataFrame, stores: list[str], days: np.ndarray) -> np.ndarray:
    """Customer fill rate by day: units served from stock at stores / units demanded (NaN without demand)."""
    rows = daily[daily["node"].isin(stores)]
    sums = rows.groupby("day")[["filled_from_stock_units", "demand_units"]].sum().reindex(days)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums["filled_from_stock_units"] / sums["demand_units"].where(sums["demand_units"] > 0)).to_numpy()


def daily_profit(daily: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """Network profit by day (all nodes), zero for days without rows."""
    return daily.groupby("day")["profit_usd"].sum().reindex(days).fillna(0.0).to_numpy(dtype=float, copy=True)


def make_ticker(index: DayIndex, daily: pd.DataFrame, baseline: pd.DataFrame | None, stores: list[str],
                warmup_days: int) -> Ticker:
    """The ticker of one panel; ``baseline`` None when the panel is the baseline itself."""
    all_days = np.arange(0, index.last + 1)
    profit = daily_profit(daily, all_days)
    if baseline is not None:
        profit = profit - daily_profit(baseline, all_days)
    profit[all_days < warmup_days] = 0.0
    shown = slice(index.first, index.last + 1)
    return Ticker(index, network_fill_rate(daily, stores, all_days)[shown],
                  None if baseline is None else network_fill_rate(baseline, stores, all_days)[shown],
                  np.cumsum(profit)[shown], baseline is not None)


def merge_legs(flows: pd.DataFrame) -> pd.DataFrame:
    """Legs that leave the same lane at the same time and arrive together travel as one batch:
    one marker, units summed. Colour code 0 normal, 1 rerouted, 2 expedited."""
    keys = ["from", "to", "depart_time", "arrive_time", "rerouted", "expedited"]
    batches = flows.groupby(keys, observed=True, sort=False)["units"].sum().reset_index()
    batches = batches[batches["arrive_time"] > batches["depart_time"]]
    batches["colour"] = np.where(batches["rerouted"], 1, np.where(batches["expedited"], 2, 0)).astype(np.int8)
    return batches.sort_values("depart_time", kind="stable").reset_index(drop=True)


@dataclass
class SlotFrame:
    """Shipment markers of one frame, by sprite slot."""

    visible: np.ndarray   # (P,) bool
    x: np.ndarray         # (P,) screen x (pixels from the left)
    y: np.ndarray         # (P,) screen y (pixels from the top)
    radius: np.ndarray    # (P,) pixels
    colour: np.ndarray    # (P,) int8 index into style.SHIPMENT_COLOURS


class Shipments:
    """Shipment batches in flight, assigned to a fixed pool of sprite slots.

    A batch keeps its slot from departure to arrival, so a sprite's look changes
    only when it takes a new batch. Frames must be asked for in time order.
    """

    def __init__(self, batches: pd.DataFrame, xy: dict[str, tuple[float, float]], radius_ref_units: float,
                 radius_range: tuple[float, float]):
        self.depart = batches["depart_time"].to_numpy(dtype=float)
        self.arrive = batches["arrive_time"].to_numpy(dtype=float)
        start = np.array([xy[n] for n in batches["from"]], dtype=float).reshape(-1, 2)
        end = np.array([xy[n] for n in batches["to"]], dtype=float).reshape(-1, 2)
        self.start, self.delta = start, end - start
        self.colour = batches["colour"].to_numpy(dtype=np.int8)
        low, high = radius_range
        ratio = np.sqrt(batches["units"].to_numpy(dtype=float) / max(radius_ref_units, 1e-9))
        self.radius = np.round(np.clip(low + (high - low) * ratio, low, high) * 2) / 2
        self.longest = float((self.arrive - self.depart).max()) if len(self.depart) else 0.0
        self._arrive_sorted = np.sort(self.arrive)
        self.pool = 0
        self._reset()

    def _reset(self) -> None:
        self._slot_of: dict[int, int] = {}
        self._free: list[int] = list(range(self.pool))
        heapq.heapify(self._free)
        self._last_t = -math.inf
        self._frame: SlotFrame | None = None

    def in_flight(self, times: np.ndarray) -> np.ndarray:
        """Number of batches in flight at each of ``times``."""
        times = np.asarray(times, dtype=float)
        return np.searchsorted(self.depart, times, "right") - np.searchsorted(self._arrive_sorted, times, "right")

    def size_pool(self, times: np.ndarray) -> int:
        """Size the sprite pool for the frames at ``times`` (the most batches in flight at once)."""
        self.pool = int(self.in_flight(times).max()) if len(times) and len(self.depart) else 0
        self._reset()
        return self.pool

    def active(self, t: float) -> np.ndarray:
        """Indices of the batches in flight at ``t`` (departed, not arrived)."""
        lo = np.searchsorted(self.depart, t - self.longest, "left")
        hi = np.searchsorted(self.depart, t, "right")
        candidates = np.arange(lo, hi)
        return candidates[self.arrive[candidates] > t]

    def frame(self, t: float) -> SlotFrame:
        """The markers at time ``t`` (cached: every sprite asks for the same frame)."""
        if self._frame is not None and t == self._last_t:
            return self._frame
        if t < self._last_t:
            self._reset()
        active = self.active(t)
        now = set(active.tolist())
        for leg in [leg for leg in self._slot_of if leg not in now]:
            heapq.heappush(self._free, self._slot_of.pop(leg))
        for leg in active.tolist():
            if leg not in self._slot_of:
                if not self._free:  # more in flight than sized for: grow the pool's bookkeeping
                    raise RuntimeError("shipment sprite pool too small; size it with size_pool(frame times)")
                self._slot_of[leg] = heapq.heappop(self._free)
        visible = np.zeros(self.pool, dtype=bool)
        x = np.zeros(self.pool)
        y = np.zeros(self.pool)
        radius = np.zeros(self.pool)
        colour = np.zeros(self.pool, dtype=np.int8)
        if self._slot_of:
            legs = np.fromiter(self._slot_of.keys(), dtype=np.int64)
            slots = np.fromiter(self._slot_of.values(), dtype=np.int64)
            share = (t - self.depart[legs]) / (self.arrive[legs] - self.depart[legs])
            pos = self.start[legs] + share[:, None] * self.delta[legs]
            visible[slots] = True
            x[slots], y[slots] = pos[:, 0], pos[:, 1]
            radius[slots] = self.radius[legs]
            colour[slots] = self.colour[legs]
        self._frame = SlotFrame(visible, x, y, radius, colour)
        self._last_t = t
        return self._frame
