"""The engine's sparse bookkeeping against the plain rule it replaces (property-based).

* merging a source's backlog with today's orders by search equals sorting the concatenation,
  and so does merging only their positive parts, then keeping what is positive;
* the store block's list of marked positions finds exactly the dirty positions a scan of the
  whole mask finds, whatever mix of marks and partial reviews came before.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.engine.orders import Orders, _merge, _positive, _union
from twin.engine.state import StoreBlock


def _orders(draw, k: int) -> tuple[Orders, np.ndarray]:
    keys = np.array(sorted(draw(st.sets(st.integers(0, 6 * k - 1), max_size=25))), dtype=np.int64)
    qty = np.array(draw(st.lists(st.integers(1, 9), min_size=len(keys), max_size=len(keys))), dtype=float)
    return Orders(keys // k, keys % k, qty), keys


@st.composite
def two_order_books(draw):
    k = draw(st.integers(1, 7))
    return k, _orders(draw, k), _orders(draw, k)


@settings(max_examples=300, deadline=None)
@given(two_order_books())
def test_union_by_search_equals_the_sorted_merge(case):
    k, (a, key_a), (b, key_b) = case
    extra_a, extra_b = a.qty * 10.0, b.qty * 10.0
    pos, col = np.concatenate([a.pos, b.pos]), np.concatenate([a.col, b.col])
    for qa, qb in ((a.qty, b.qty), (extra_a, extra_b)):
        got = _union(Orders(a.pos, a.col, qa), Orders(b.pos, b.col, qb), key_a, key_b)
        want, want_key = _merge(pos, col, np.concatenate([qa, qb]), k)
        assert np.array_equal(got.pos, want.pos)
        assert np.array_equal(got.col, want.col)
        assert np.array_equal(got.qty, want.qty)
        assert np.array_equal(want_key, want.pos * k + want.col)


@settings(max_examples=300, deadline=None)
@given(two_order_books(), st.data())
def test_union_of_the_positive_parts_equals_the_merge_filtered(case, data):
    """What stays on order and what moves: filtering each side before the union changes nothing."""
    k, (a, key_a), (b, key_b) = case
    qa = np.array(data.draw(st.lists(st.integers(0, 3), min_size=len(a), max_size=len(a))), dtype=float)
    qb = np.array(data.draw(st.lists(st.integers(0, 3), min_size=len(b), max_size=len(b))), dtype=float)
    got = _positive(a, key_a, qa, b, key_b, qb)
    want, _ = _merge(np.concatenate([a.pos, b.pos]), np.concatenate([a.col, b.col]), np.concatenate([qa, qb]), k)
    keep = want.qty > 0
    assert np.array_equal(got.pos, want.pos[keep])
    assert np.array_equal(got.col, want.col[keep])
    assert np.array_equal(got.qty, want.qty[keep])


@st.composite
def mark_and_review_days(draw):
    rows, k = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    size = rows * k
    steps = draw(st.lists(st.one_of(
        st.tuples(st.just("mark"), st.sets(st.integers(0, size - 1), max_size=size)),
        st.tuples(st.just("row"), st.integers(0, rows - 1)),
        st.tuples(st.just("review"), st.sets(st.integers(0, rows - 1), min_size=1))), max_size=12))
    return rows, k, steps


@settings(max_examples=300, deadline=None)
@given(mark_and_review_days())
def test_marked_positions_are_exactly_the_dirty_ones(case):
    rows, k, steps = case
    block = StoreBlock(0, rows, k, np.zeros(rows * k, dtype=bool))
    block.reviewed_all()  # start with an empty, known list
    for kind, what in steps:
        if kind == "mark":
            block.mark(np.array(sorted(what), dtype=np.int64))
        elif kind == "row":
            block.mark_rows(what, what + 1)
        else:
            assert np.array_equal(block.dirty_positions(), np.flatnonzero(block.dirty))
            for r in what:  # review these rows: their positions are clean again
                block.dirty[r * k:(r + 1) * k] = False
            if len(what) == rows:
                block.reviewed_all()
    assert np.array_equal(block.dirty_positions(), np.flatnonzero(block.dirty))


class _Shock:
    rows, skus = [2, 5], np.array([True, False, True, False, True])

    @staticmethod
    def factor(day):
        return 3.0 if day == 2 else 1.0


def _demand_model(dtype):
    from types import SimpleNamespace
    rng = np.random.default_rng(7)
    dists = ["poisson", "poisson", "normal", "poisson", "negbin", "deterministic", "poisson", None]
    n, k = len(dists), 5
    mean = (rng.random((n, k)) * 3).astype(dtype)
    weekly = 0.5 + rng.random((n, 7))
    return SimpleNamespace(demand_dist=dists, demand_mean=mean, demand_sd=(np.sqrt(mean) * 2).astype(dtype),
                           dtype=dtype, day_factor=lambda day: weekly[:, day % 7], n_skus=k,
                           price=np.ones(k)), n, k


def _expected(model, u, day, shocked):
    """Demand of every position by the plain inverse CDF of its uniform ``u``."""
    from twin.sampling import negbin_from_uniform, normal_from_uniform, poisson_from_uniform

    n, k = u.shape
    factor = np.repeat(model.day_factor(day)[:, None].astype(u.dtype), k, axis=1)
    if shocked:
        factor[np.ix_(_Shock.rows, np.flatnonzero(_Shock.skus))] *= _Shock.factor(day)
    want = np.zeros((n, k))
    for r, dist in enumerate(model.demand_dist):
        mean = model.demand_mean[r] * factor[r]
        sd = model.demand_sd[r] * factor[r]
        if dist == "poisson":
            want[r] = poisson_from_uniform(u[r].astype(np.float64), mean.astype(np.float64))
        elif dist == "normal":
            want[r] = normal_from_uniform(u[r].astype(np.float64), mean, sd)
        elif dist == "negbin":
            want[r] = negbin_from_uniform(u[r].astype(np.float64), mean, sd)
        elif dist == "deterministic":
            want[r] = mean
    return want


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 60), st.sampled_from([np.float32, np.float64]))
def test_demand_drawn_in_chunks_equals_the_plain_inverse_cdf_of_one_draw_per_position(chunk, dtype):
    """Chunks of any size give each position the uniform a one-shot draw would, and its exact quantile."""
    import twin.engine.demand as demand

    model, n, k = _demand_model(dtype)
    saved = demand._CHUNK_POSITIONS
    demand._CHUNK_POSITIONS = chunk
    try:
        source = demand.DemandSource(model, slice(0, n), np.random.default_rng(3), [_Shock()])
        reference = np.random.default_rng(3)
        for day in range(4):
            flat, qty = source.sample(day)
            want = _expected(model, reference.random((n, k), dtype=dtype), day, shocked=True)
            assert np.array_equal(flat, np.flatnonzero(want.ravel() > 0))
            assert np.array_equal(qty, want.ravel()[flat])
    finally:
        demand._CHUNK_POSITIONS = saved


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([np.float32, np.float64]), st.integers(0, 2**32 - 1))
def test_word_thresholds_decide_exactly_as_the_uniforms_do(dtype, seed):
    """A word is above its threshold exactly when the uniform ``Generator.random`` makes of it is above p."""
    from twin.engine.demand import uniforms_of, word_thresholds

    rng = np.random.default_rng(seed)
    bits = 24 if dtype == np.float32 else 53
    grid = rng.integers(0, 2**bits, 50) * 2.0**-bits  # uniforms themselves: the ties
    p = np.concatenate([rng.random(50), grid, np.nextafter(grid, 1.0), [0.0, 1.0, 2.0**-bits, 1 - 2.0**-bits]])
    p = p.astype(dtype)
    thr = word_thresholds(p)
    word = thr.dtype.type
    top = np.iinfo(thr.dtype).max
    for words in (thr, np.where(thr > 0, thr - word(1), thr), np.where(thr < top, thr + word(1), thr),
                  rng.integers(0, top, len(p), dtype=thr.dtype, endpoint=True)):
        assert np.array_equal(words > thr, uniforms_of(words, dtype) > p)



def test_demand_words_continue_a_stream_that_was_used_before():
    """A stream that drew an odd number of single-precision uniforms before hands on its buffered half."""
    import twin.engine.demand as demand

    model, n, k = _demand_model(np.float32)
    used, reference = np.random.default_rng(11), np.random.default_rng(11)
    used.random(3, dtype=np.float32)
    reference.random(3, dtype=np.float32)
    source = demand.DemandSource(model, slice(0, n), used)
    assert source._carry is not None
    for day in range(3):
        flat, qty = source.sample(day)
        want = _expected(model, reference.random((n, k), dtype=np.float32), day, shocked=False)
        assert np.array_equal(flat, np.flatnonzero(want.ravel() > 0))
        assert np.array_equal(qty, want.ravel()[flat])


def test_demand_refuses_a_stream_whose_words_it_cannot_read():
    """The zero test reads PCG64 words; another bit generator would give other uniforms, so it is refused."""
    import pytest

    import twin.engine.demand as demand

    model, n, _ = _demand_model(np.float32)
    with pytest.raises(TypeError, match="PCG64"):
        demand.DemandSource(model, slice(0, n), np.random.Generator(np.random.MT19937(1)))


def test_limits_are_read_in_place_from_the_models_pairs():
    """A store block reads (s, S) pairs from the model's side-by-side array without a copy."""
    from twin.engine.state import StoreBlock

    for dtype in (np.float32, np.float64):
        limits = np.arange(4 * 3 * 2, dtype=dtype).reshape(4, 3, 2) + 1
        s, S = limits[..., 0], limits[..., 1]
        block = StoreBlock(1, 3, 3, np.zeros(6, dtype=bool))
        block.keep_limits(limits[1:3])
        assert np.shares_memory(block._limits, limits)
        flat = np.array([0, 4, 5])
        got_s, got_S = block.limits(flat)
        assert np.array_equal(got_s, s[1:3].ravel()[flat]) and np.array_equal(got_S, S[1:3].ravel()[flat])
