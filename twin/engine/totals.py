"""Running totals of the store block's stock, kept from the day's changes instead of summed.

The end-of-day records need, for on-hand and on-order, the units by node, by SKU and their value
at the holding rate. Summing the store block's arrays for them reads every position every day
(200 MB at 25 million positions, about 30 ms a day), while a day changes a few percent of the
positions: those that sell, receive or order. In large whole-unit networks the block's totals are
therefore kept from the changes, as the engine makes them (:meth:`State.stock_changed`).

Nothing is taken on trust: every :data:`CHECK_EVERY` days and on the last day the totals are
compared with the sums of the arrays themselves (units exactly), so a change made without its
total stops the run instead of skewing a report.
"""

from __future__ import annotations

import numpy as np

from twin.blocks import row_blocks

#: Store blocks of at least this many positions keep running totals (smaller ones are summed:
#: cheap, and the ledger then checks every day's sums directly).
MIN_POSITIONS = 1 << 22

#: Days between two comparisons of the running totals with the arrays' own sums.
CHECK_EVERY = 30

KINDS = ("on_hand", "on_order")


class DriftError(RuntimeError):
    """The running totals no longer match the stock arrays (a bug in the engine, never expected)."""


class BlockTotals:
    """On-hand and on-order of node rows ``start:stop``: units by row, by SKU, and value at rate ``h``.

    ``sums(array)`` gives the block's sums of a node x SKU array: units by row, by SKU and value
    at ``h`` by row (the end-of-day sums of :class:`twin.engine.state.State`). They start the
    totals and check them.
    """

    def __init__(self, start: int, stop: int, h: np.ndarray, arrays: dict[str, np.ndarray], sums):
        self.start, self.stop = start, stop
        self.h = np.asarray(h, dtype=np.float64)
        self.k = len(self.h)
        self.sums = sums
        self.by_row, self.by_sku, self.value, self._start_rounding = {}, {}, {}, {}
        for kind in KINDS:
            by_row, by_sku, value = sums(arrays[kind])
            self.by_row[kind], self.by_sku[kind], self.value[kind] = (
                np.array(part, dtype=np.float64) for part in (by_row, by_sku, value))
            self._start_rounding[kind] = self._rounding(value)

    def _rounding(self, value: np.ndarray) -> np.ndarray:
        """The most a sum of K non-negative products made in ``value``'s precision can be off by."""
        return self.k * np.finfo(value.dtype).eps * np.abs(value.astype(np.float64))

    def add(self, kinds: dict[str, float], rows: np.ndarray, cols: np.ndarray, delta: np.ndarray,
            by_row: np.ndarray | None = None, by_sku: np.ndarray | None = None,
            starts: np.ndarray | None = None, run_sums: np.ndarray | None = None) -> None:
        """``delta`` units added at the block's node rows ``rows`` and SKUs ``cols``.

        ``kinds`` maps each array changed to the sign of its change (a receipt: on-hand +1,
        on-order -1). What the caller already has saves work: ``by_row`` (the block's rows) and
        ``by_sku``, the sums of ``delta`` by row and by SKU; ``starts``, where each row's run
        begins when ``rows`` are ascending (sums by run are cheaper than by row number), and
        ``run_sums``, the sums of ``delta`` over those runs.
        """
        if not len(delta):
            return
        n = self.stop - self.start
        weighted = delta * self.h[cols]
        if starts is not None:
            at = rows[starts] - self.start
            value = np.zeros(n)
            value[at] = np.add.reduceat(weighted, starts)
            if by_row is None:
                by_row = np.zeros(n)
                by_row[at] = run_sums if run_sums is not None else np.add.reduceat(delta, starts, dtype=np.float64)
        else:
            rows = rows - self.start
            value = np.bincount(rows, weights=weighted, minlength=n)
            if by_row is None:
                by_row = np.bincount(rows, weights=delta, minlength=n)
        if by_sku is None:
            by_sku = np.bincount(cols, weights=delta, minlength=self.k)
        self._apply(kinds, slice(None), by_row, None, by_sku, value)

    def add_row(self, kinds: dict[str, float], row: int, cols: np.ndarray | None, delta: np.ndarray) -> None:
        """:meth:`add` at the block's node row ``row``: ``delta`` at SKUs ``cols``, or at every SKU if None."""
        d = np.asarray(delta, dtype=np.float64)
        self._apply(kinds, row - self.start, d.sum(), cols, d, d @ (self.h if cols is None else self.h[cols]))

    def _apply(self, kinds: dict[str, float], rows, by_row, cols: np.ndarray | None, by_sku, value) -> None:
        """Add a change's sums to the totals of each of ``kinds``, by its sign (``cols``: SKUs of ``by_sku``)."""
        for kind, sign in kinds.items():
            self.by_row[kind][rows] += sign * by_row
            self.value[kind][rows] += sign * value
            if cols is None:
                self.by_sku[kind] += sign * by_sku
            else:
                np.add.at(self.by_sku[kind], cols, sign * by_sku)

    def check(self, day: int, arrays: dict[str, np.ndarray]) -> None:
        """Compare the totals with the arrays' own sums; raise :class:`DriftError` if they differ.

        Units must be equal: they are whole, and sums of whole numbers are exact in single
        precision below 2**24 (the end-of-day sums' precision in large networks); larger totals
        are compared with sums made in double precision. Values are sums of K products made in
        the arrays' precision (at the start, and now): they must agree within the rounding two
        such sums can carry, K x machine epsilon of each (a change missed entirely shows in the
        units).
        """
        for kind in KINDS:
            array = arrays[kind]
            by_row, by_sku, value = self.sums(array)
            exact = 2.0 ** (np.finfo(by_row.dtype).nmant + 1)
            if max(np.abs(self.by_row[kind]).max(initial=0), np.abs(self.by_sku[kind]).max(initial=0)) >= exact:
                by_row, by_sku = self._double_sums(array)
            bad_row = np.flatnonzero(by_row != self.by_row[kind])
            bad_sku = np.flatnonzero(by_sku != self.by_sku[kind])
            rounding = self._start_rounding[kind] + self._rounding(value) + 1e-9
            bad_value = np.flatnonzero(np.abs(value - self.value[kind]) > rounding)
            if len(bad_row) or len(bad_sku) or len(bad_value):
                raise DriftError(
                    f"day {day}: the store block's running {kind} totals differ from its stock "
                    f"(rows {(bad_row + self.start).tolist()[:5]}, SKUs {bad_sku.tolist()[:5]}, "
                    f"value rows {(bad_value + self.start).tolist()[:5]}): a stock change was made "
                    "without its total; this is a bug in the engine, please report it")

    def _double_sums(self, array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Units of the block by row and by SKU, summed in double precision a few rows at a time."""
        n = self.stop - self.start
        by_row, by_sku = np.empty(n), np.zeros(self.k)
        for rows in row_blocks(n, self.k):
            block = array[self.start + rows.start:self.start + rows.stop].astype(np.float64)
            by_row[rows] = block.sum(axis=1)
            by_sku += block.sum(axis=0)
        return by_row, by_sku
