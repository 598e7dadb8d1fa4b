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

    def _p_zero(self, factor: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """exp(-mean) for the Poisson rows, cached while the day factors repeat (weekly patterns)."""
        key = factor.tobytes() + (b"" if rows is None else rows.tobytes())
        cached = self._zero_cache.get(key)
        if cached is None:
            mean = self.mean if rows is None else self.mean[rows]
            f = factor if rows is None else factor[rows]
            cached = np.exp(-(mean * f))
            if len(self._zero_cache) >= (7 if mean.size <= 2_000_000 else 1):
                self._zero_cache.clear()
            if factor.shape[1] == 1:  # shock-day factors are not worth keeping
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
        u = self.rng.random(self.shape, dtype=self.dtype) if self.dtype == np.float32 else self.rng.random(self.shape)
        factor = self._factor(day)
        k = self.shape[1]
        parts_idx, parts_qty = [], []
        for dist, rows in self.groups.items():
            whole = len(rows) == self.shape[0]
            sel = None if whole else rows
            uu = u if whole else u[rows]
            f = factor if whole else factor[rows]
            if dist == "poisson":
                p_zero = self._p_zero(factor, sel).ravel()
                hit = np.flatnonzero(uu.ravel() > p_zero)
                scale = f.ravel()[hit] if f.shape[1] > 1 else f[:, 0][hit // k]
                mean = (self.mean if whole else self.mean[rows]).ravel()[hit] * scale
                qty = poisson_above_zero(uu.ravel()[hit], mean, p_zero[hit])
                flat = hit
            else:
                mean = (self.mean if whole else self.mean[rows]) * f
                if dist == "deterministic":
                    x = np.array(mean, dtype=np.float64, copy=True)
                else:
                    sd = (self.sd if whole else self.sd[rows]) * f
                    fn = normal_from_uniform if dist == "normal" else negbin_from_uniform
                    x = fn(uu.astype(np.float64), mean, sd)
                flat = np.flatnonzero(x > 0)
                qty = x.ravel()[flat]
            if not whole:  # positions within the group -> positions within the block
                flat = rows[flat // k] * k + flat % k
            parts_idx.append(flat)
            parts_qty.append(qty)
        if not parts_idx:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if len(parts_idx) == 1:
            return parts_idx[0].astype(np.int64), parts_qty[0]
        idx = np.concatenate(parts_idx)
        order = np.argsort(idx, kind="stable")
        return idx[order].astype(np.int64), np.concatenate(parts_qty)[order]
