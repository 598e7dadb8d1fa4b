"""Customer demand of the store tier, one day at a time, as the list of positions that sell.

Every day draws one uniform per store x SKU from the demand stream — the
same number whatever the variant does (common random numbers) — and turns it
into units by the exact inverse CDF. At scale most store x SKU pairs sell
nothing on a given day, so the result is sparse: the flat positions (row-major
over the store block) with demand, and their units. A Poisson draw is zero
exactly when ``u <= exp(-mean)``; only the other positions are searched. The
stream's raw words are drawn in bulk and that test is made on them against
integer thresholds, so only the positions that sell have their word turned into
a float (the uniforms are those ``Generator.random`` gives, bit for bit).
Demand shocks scale the mean before the inverse CDF, so shocked and unshocked
demand stay coupled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.engine.state import rows_cols, run_starts
from twin.model import Model
from twin.sampling import negbin_from_uniform, normal_from_uniform, poisson_above_zero


#: Store x SKU positions whose uniforms are drawn and used together (a few MB: they stay in cache).
_CHUNK_POSITIONS = 1 << 20

# How ``Generator.random`` makes a uniform from the stream's next word (numpy's ``next_float`` and
# ``next_double``): single precision from the next 32-bit word w, ``(w >> 8) * 2**-24``; double
# precision from the next 64-bit word, ``(w >> 11) * 2**-53``. PCG64 gives 32-bit words two per
# 64-bit output, low half first. dtype -> (word type, bits dropped, mantissa bits).
_WORDS = {np.dtype(np.float32): (np.uint32, 8, 24), np.dtype(np.float64): (np.uint64, 11, 53)}


def word_thresholds(p_zero: np.ndarray) -> np.ndarray:
    """Per position, the largest word whose uniform is ``<= p_zero``: a word above it gives a uniform above.

    The uniform of word w is ``m * 2**-b`` with ``m = w >> s`` (exact), so ``u > p`` exactly when
    ``m > floor(p * 2**b)``, that is ``w >= (floor(p * 2**b) + 1) << s``.
    """
    word, shift, bits = _WORDS[p_zero.dtype]
    out = np.empty(p_zero.shape, dtype=word)
    flat_in, flat_out = p_zero.reshape(-1), out.reshape(-1)
    top, one, s = np.iinfo(word).max, word(1), word(shift)
    scale = p_zero.dtype.type(2.0 ** bits)
    for a in range(0, len(flat_in), _CHUNK_POSITIONS):  # a block at a time: no day-sized temporaries
        # p * 2**b and its floor are exact in p's own precision, and fit the word type.
        m = np.floor(flat_in[a:a + _CHUNK_POSITIONS] * scale).astype(word)
        # Modulo 2**(word bits): for m = 2**b - 1, (m + 1) << s wraps to 0 and 0 - 1 to the top word,
        # the right answer; m = 2**b (p = 1) is replaced.
        limit = ((m + one) << s) - one
        flat_out[a:a + _CHUNK_POSITIONS] = np.where(m >= word(2 ** bits), top, limit)
    return out


def uniforms_of(words: np.ndarray, dtype) -> np.ndarray:
    """The uniforms ``Generator.random(dtype=dtype)`` makes of ``words``."""
    _, shift, bits = _WORDS[np.dtype(dtype)]
    return np.multiply(words >> words.dtype.type(shift), dtype(2.0 ** -bits), dtype=dtype)


@dataclass
class DayDemand:
    """A day's demand at the positions that sell, with what serving needs of it worked out ahead.

    Made on the thread that draws (see :meth:`DemandSource.prefetch`), so the engine's thread
    starts serving with the positions' nodes and SKUs, the demand per node and per SKU, and
    the value of the demand at full price, at hand.
    """

    flat: np.ndarray        # ascending flat positions of the store block
    units: np.ndarray       # units demanded there (> 0)
    rows: np.ndarray        # node row of each position
    cols: np.ndarray        # SKU column of each position
    starts: np.ndarray      # where each node's run of positions begins
    node_units: np.ndarray  # units demanded per node run (of ``rows[starts]``)
    sku_units: np.ndarray   # units demanded per SKU (all SKUs)
    value: np.ndarray       # units x price at each position

    @classmethod
    def of(cls, model: Model, first_row: int, flat: np.ndarray, units: np.ndarray) -> "DayDemand":
        rows, cols = rows_cols(flat, model.n_skus, first_row)
        starts = run_starts(rows)
        return cls(flat, units, rows, cols, starts,
                   np.add.reduceat(units, starts) if len(units) else np.zeros(0),
                   np.bincount(cols, weights=units, minlength=model.n_skus), units * model.price[cols])


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
        self._zero_cache: dict[bytes, tuple] = {}
        self._pool = None
        self._ahead = None
        self._last_factor = b""
        # The day's words are drawn in bulk and positions without demand found by comparing words
        # with thresholds (see word_thresholds): the same uniforms as ``rng.random``, which
        # converts every word. ``_carry``: a 32-bit word drawn, not yet used.
        if not isinstance(rng.bit_generator, (np.random.PCG64, np.random.PCG64DXSM)):
            raise TypeError("customer demand needs a PCG64 stream (see twin.engine.run.stream)")
        self._carry = None
        if self.dtype == np.float32:
            state = rng.bit_generator.state
            if state.get("has_uint32"):  # the stream's own half-used output comes first
                self._carry = np.uint32(state["uinteger"])
                state["has_uint32"] = 0
                rng.bit_generator.state = state
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

    def _zero_test(self, factor: np.ndarray, day: int) -> tuple | None:
        """``(exp(-mean), word thresholds)`` of every position, cached while the day factors repeat.

        exp(-mean) is kept in double precision only (single-precision quantiles work it out
        again). None for a large block whose factors differ from yesterday's and tomorrow's:
        each chunk then works out its own part as it is drawn (the same numbers, without a
        day-sized array).
        """
        key = factor.tobytes()
        cached = self._zero_cache.get(key)
        if cached is not None:
            return cached
        small = self.mean.size <= 2_000_000
        repeated = key == self._last_factor
        self._last_factor = key
        if factor.shape[1] > 1:  # shock days
            return None
        if not (small or repeated or self._factor(day + 1).tobytes() == key):  # large, and changing
            return None
        p_zero = np.exp(-(self.mean * factor))
        cached = (p_zero if p_zero.dtype == np.float64 else None, word_thresholds(p_zero))
        if len(self._zero_cache) >= (7 if small else 1):
            self._zero_cache.clear()
        self._zero_cache[key] = cached
        return cached

    def _next_words(self, n: int) -> np.ndarray:
        """The stream's next ``n`` words, as ``rng.random(n, dtype)`` would use them."""
        bitgen = self.rng.bit_generator
        if self.dtype == np.float64:
            return bitgen.random_raw(n)
        carry = self._carry
        need = n - (carry is not None)
        # Little-endian 64-bit words read as 32-bit pairs: low half first, on any host.
        halves = bitgen.random_raw((need + 1) // 2).astype("<u8", copy=False).view("<u4")
        if carry is not None:
            halves = np.concatenate(([carry], halves))
        self._carry = halves[n] if len(halves) > n else None
        return halves[:n]

    def prefetch(self, day: int) -> None:
        """Start drawing ``day``'s demand on the second core while the engine does other work.

        numpy releases the interpreter lock in its array loops, so the draw overlaps
        with the day's simulation; the stream is used by one thread, in day order,
        so results are the same as drawing in line.
        """
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="twin-demand")
        self._ahead = (day, self._pool.submit(self._day, day))

    def sample(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Flat positions (ascending) with demand on ``day`` and their units (> 0)."""
        d = self.sample_day(day)
        return d.flat, d.units

    def sample_day(self, day: int) -> DayDemand:
        """The demand of ``day`` (see :class:`DayDemand`)."""
        if self._ahead is not None and self._ahead[0] == day:
            result = self._ahead[1].result()
            self._ahead = None
            return result
        return self._day(day)

    def _day(self, day: int) -> DayDemand:
        return DayDemand.of(self.model, self.rows.start, *self._draw(day))

    def close(self) -> None:
        """Stop the drawing thread and drop the cached thresholds (the run's last day is drawn)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._zero_cache.clear()

    def _draw(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        factor = self._factor(day)
        zero = self._zero_test(factor, day) if "poisson" in self.groups else None
        n_rows, k = self.shape
        step = max(1, _CHUNK_POSITIONS // k)
        if step >= n_rows:
            return self._draw_rows(0, n_rows, factor, zero)
        parts_idx, parts_qty = [], []
        for first in range(0, n_rows, step):
            last = min(first + step, n_rows)
            flat, qty = self._draw_rows(first, last, factor, zero)
            parts_idx.append(flat)
            parts_qty.append(qty)
        return np.concatenate(parts_idx), np.concatenate(parts_qty)

    def _draw_rows(self, first: int, last: int, factor: np.ndarray, zero: tuple | None):
        """The demand of block rows ``first`` to ``last``: their uniforms drawn next from the stream.

        Drawing a day's uniforms a few rows at a time gives the same numbers as drawing them
        at once (the stream is consumed in the same order) and keeps them in cache while they
        are used. ``zero``: see :meth:`_zero_test`.
        """
        k = self.shape[1]
        n_rows = last - first
        size = n_rows * k
        words = self._next_words(size).reshape(n_rows, k)
        u = None  # the chunk's uniforms, made from the words where every position needs one
        p_zero, thresholds = zero if zero is not None else (None, None)
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
                whole = len(rows) == n_rows

            def part(table):  # the group's rows of a (block rows, SKUs) table, within this chunk
                return table[first:last] if whole else table[rows + first]

            f = f_rows if whole else f_rows[rows]
            mean_rows = part(self.mean)
            if dist == "poisson":
                if zero is not None:  # the cached thresholds: no float made of a word that does not sell
                    ww = (words if whole else words[rows]).ravel()
                    hit = np.flatnonzero(ww > part(thresholds).ravel())
                    u_hit = uniforms_of(ww[hit], self.dtype)
                    pz_hit = part(p_zero).ravel()[hit] if p_zero is not None else None
                else:
                    if u is None:
                        u = uniforms_of(words, self.dtype)
                    uu = (u if whole else u[rows]).ravel()
                    pz = np.exp(-(mean_rows * f)).ravel()
                    hit = np.flatnonzero(uu > pz)
                    u_hit, pz_hit = uu[hit], pz[hit]
                scale = f.ravel()[hit] if f.shape[1] > 1 else f[:, 0][hit // k]
                mean = mean_rows.ravel()[hit] * scale
                qty = poisson_above_zero(u_hit, mean, pz_hit)
                flat = hit
            else:
                mean = mean_rows * f
                if dist == "deterministic":
                    x = np.array(mean, dtype=np.float64, copy=True)
                else:
                    if u is None:
                        u = uniforms_of(words, self.dtype)
                    uu = u if whole else u[rows]
                    sd = part(self.sd) * f
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
