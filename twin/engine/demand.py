"""Customer demand of the store tier, one day at a time, as the list of positions that sell.

Every day draws one uniform per store x SKU from the demand stream — the
same number whatever the variant does (common random numbers) — and turns it
into units by the exact inverse CDF. At scale most store x SKU pairs sell
nothing on a given day, so the result is sparse: the flat positions (row-major
over the store block) with demand, and their units. A Poisson draw is zero
exactly when ``u <= exp(-mean)``; only the other positions are searched.
Demand shocks scale the mean before the inverse CDF, so shocked and unshocked
demand stay coupled.
"""

from __future__ import annotations

import numpy as np

from twin.model import Model
from twin.sampling import negbin_from_uniform, normal_from_uniform, poisson_above_zero


#: Store x SKU positions whose uniforms are drawn and used together (a few MB: they stay in cache).
_CHUNK_POSITIONS = 1 << 20


class DemandSource:
    """Sparse daily demand of the stores in ``rows`` (a contiguous block of node rows)."""

    def __init__(self, model: Model, rows: slice, rng: np.random.Generator, shocks=()):
        self.model, self.rows, self.rng = model, rows, rng
        self.shocks = [s for s in shocks if any(rows.start <= r < rows.stop for r in s.rows)]
        dists = model.demand_dist[rows]
        self.groups: dict[str, np.ndarray] = {}
        for dist in sorted(set(d for d in dists if d)):
            self.groups[dist] = np.array([i for i, d in enumerate(dists) if d == dist])
        self.mean = model.demand_mean[rows]
        self.sd = model.demand_sd[rows]
        self.shape = self.mean.shape
        self.dtype = model.dtype
        self._zero_cache: dict[bytes, np.ndarray] = {}
        self._pool = None
        self._ahead = None
        self._buffer = None  # a chunk's uniforms
        self._last_factor = b""
        # Drawing ahead in a thread pays off once a day's draw takes more than the thread's
        # hand-over (about a millisecond from 100,000 store x SKU positions).
        self.ahead = self.mean.size >= 100_000

    def _factor(self, day: int) -> np.ndarray:
        """Multiplier of the mean on ``day``: (stores, 1), or (stores, SKUs) on shock days."""
        factor = self.model.day_factor(day)[self.rows][:, None].astype(self.dtype)
        active = [s for s in self.shocks if s.factor(day) != 1.0]
        if active:
            factor = np.repeat(factor, self.shape[1], axis=1)
            for shock in active:
                local = [r - self.rows.start for r in shock.rows if self.rows.start <= r < self.rows.stop]
                cols = slice(None) if shock.skus is None else shock.skus
                block = factor[local]
                block[:, cols] *= shock.factor(day)
                factor[local] = block
        return factor

    def _p_zero(self, factor: np.ndarray) -> np.ndarray | None:
        """exp(-mean) of every position, cached while the day factors repeat (weekly patterns).

        None for a large block whose factors changed since yesterday: each chunk then works
        out its own part as it is drawn (the same numbers, without a day-sized array).
        """
        key = factor.tobytes()
        cached = self._zero_cache.get(key)
        if cached is not None:
            return cached
        small = self.mean.size <= 2_000_000
        repeated = key == self._last_factor
        self._last_factor = key
        if factor.shape[1] > 1 or not (small or repeated):  # shock days and changing large blocks
            return None
        cached = np.exp(-(self.mean * factor))
        if len(self._zero_cache) >= (7 if small else 1):
            self._zero_cache.clear()
        self._zero_cache[key] = cached
        return cached

    def prefetch(self, day: int) -> None:
        """Start drawing ``day``'s demand on the second core while the engine does other work.

        numpy releases the interpreter lock in its array loops, so the draw overlaps
        with the day's simulation; the stream is used by one thread, in day order,
        so results are the same as drawing in line.
        """
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="twin-demand")
        self._ahead = (day, self._pool.submit(self._draw, day))

    def sample(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Flat positions (ascending) with demand on ``day`` and their units (> 0)."""
        if self._ahead is not None and self._ahead[0] == day:
            result = self._ahead[1].result()
            self._ahead = None
            return result
        return self._draw(day)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _draw(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        factor = self._factor(day)
        p_zero = self._p_zero(factor) if "poisson" in self.groups else None
        n_rows, k = self.shape
        step = max(1, _CHUNK_POSITIONS // k)
        if step >= n_rows:
            return self._draw_rows(0, n_rows, factor, p_zero)
        parts_idx, parts_qty = [], []
        for first in range(0, n_rows, step):
            last = min(first + step, n_rows)
            flat, qty = self._draw_rows(first, last, factor, p_zero)
            parts_idx.append(flat)
            parts_qty.append(qty)
        return np.concatenate(parts_idx), np.concatenate(parts_qty)

    def _draw_rows(self, first: int, last: int, factor: np.ndarray, p_zero: np.ndarray | None):
        """The demand of block rows ``first`` to ``last``: their uniforms drawn next from the stream.

        Drawing a day's uniforms a few rows at a time gives the same numbers as drawing them
        at once (the stream is consumed in the same order) and keeps them in cache while they
        are used.
        """
        k = self.shape[1]
        size = (last - first) * k
        if self._buffer is None or len(self._buffer) < size:
            self._buffer = np.empty(size, dtype=self.dtype)
        u = self._buffer[:size].reshape(last - first, k)
        self.rng.random(out=u, dtype=self.dtype)
        f_rows = factor[first:last]
        parts_idx, parts_qty = [], []
        for dist, group_rows in self.groups.items():
            if len(group_rows) == self.shape[0]:  # every row of the block
                rows, whole = None, True
            else:
                lo, hi = np.searchsorted(group_rows, (first, last))
                if lo == hi:
                    continue
                rows = group_rows[lo:hi] - first  # rows of this group within the chunk
                whole = len(rows) == last - first
            uu = u if whole else u[rows]
            f = f_rows if whole else f_rows[rows]
            mean_rows = self.mean[first:last] if whole else self.mean[rows + first]
            if dist == "poisson":
                if p_zero is not None:
                    pz = (p_zero[first:last] if whole else p_zero[rows + first]).ravel()
                else:
                    pz = np.exp(-(mean_rows * f)).ravel()
                hit = np.flatnonzero(uu.ravel() > pz)
                scale = f.ravel()[hit] if f.shape[1] > 1 else f[:, 0][hit // k]
                mean = mean_rows.ravel()[hit] * scale
                qty = poisson_above_zero(uu.ravel()[hit], mean, pz[hit])
                flat = hit
            else:
                mean = mean_rows * f
                if dist == "deterministic":
                    x = np.array(mean, dtype=np.float64, copy=True)
                else:
                    sd = (self.sd[first:last] if whole else self.sd[rows + first]) * f
                    fn = normal_from_uniform if dist == "normal" else negbin_from_uniform
                    x = fn(uu.astype(np.float64), mean, sd)
                flat = np.flatnonzero(x > 0)
                qty = x.ravel()[flat]
            if not whole:  # positions within the group's rows -> positions within the chunk
                flat = rows[flat // k] * k + flat % k
            parts_idx.append(flat + first * k)
            parts_qty.append(qty)
        if not parts_idx:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if len(parts_idx) == 1:
            return parts_idx[0].astype(np.int64, copy=False), parts_qty[0]
        idx = np.concatenate(parts_idx)
        order = np.argsort(idx, kind="stable")
        return idx[order].astype(np.int64), np.concatenate(parts_qty)[order]
