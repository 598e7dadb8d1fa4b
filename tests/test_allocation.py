"""Proportional allocation of scarce stock: conservation, bounds, fairness (property-based)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from twin.allocation import allocate, split_amount

requests_strategy = st.integers(1, 6).flatmap(
    lambda m: st.integers(1, 5).flatmap(
        lambda k: st.tuples(
            arrays(np.float64, (m, k), elements=st.integers(0, 50).map(float)),
            arrays(np.float64, (k,), elements=st.integers(0, 120).map(float)),
        )))


@settings(max_examples=300, deadline=None)
@given(requests_strategy)
def test_whole_units_conserved_bounded_and_fair(case):
    requests, available = case
    shipped = allocate(available, requests, integral=True)
    assert np.all(shipped >= 0) and np.all(shipped <= requests)
    assert np.array_equal(shipped, np.round(shipped))
    assert np.allclose(shipped.sum(axis=0), np.minimum(available, requests.sum(axis=0)))
    total = requests.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.where(total > 0, requests * np.minimum(1.0, available / total), 0.0)
    # Largest-remainder rounding: never more than one unit away from the exact share.
    assert np.all(np.abs(shipped - exact) < 1.0 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(requests_strategy)
def test_fractional_shares_are_exactly_proportional(case):
    requests, available = case
    shipped = allocate(available, requests, integral=False)
    total = requests.sum(axis=0)
    short = total > available
    for k in np.flatnonzero(short):
        assert np.allclose(shipped[:, k], requests[:, k] * available[k] / total[k])
    assert np.array_equal(shipped[:, ~short], requests[:, ~short])


def test_ties_go_to_the_earlier_request():
    shipped = allocate(np.array([1.0]), np.array([[1.0], [1.0]]), integral=True)
    assert shipped.ravel().tolist() == [1.0, 0.0]


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, (4,), elements=st.integers(0, 30).map(float)), st.integers(0, 150))
def test_split_amount_fits_and_conserves(vector, amount):
    part = split_amount(vector, float(amount), integral=True)
    assert np.all(part >= 0) and np.all(part <= vector)
    assert part.sum() == min(float(amount), vector.sum())


@settings(max_examples=300, deadline=None)
@given(requests_strategy, st.booleans())
def test_sparse_allocation_equals_the_dense_rule(case, integral):
    """The engine fills orders from (link, SKU, units) triples; it must match the dense rule."""
    from twin.engine.orders import allocate_groups

    requests, available = case
    dense = allocate(available, requests, integral=integral)
    links, cols = np.nonzero(requests > 0)
    sparse = allocate_groups(available, cols, requests[links, cols], links * requests.shape[1] + cols, integral)
    expected = dense[links, cols]
    assert np.allclose(sparse, expected, rtol=0, atol=1e-9)
