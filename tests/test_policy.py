"""Order quantities and parameters derived from a service level."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from twin.policy import BATCH, UP_TO, economic_order_quantity, order_quantity, reorder_point


@settings(max_examples=300, deadline=None)
@given(ip=st.integers(-50, 80), s=st.integers(-10, 40), q=st.integers(1, 25))
def test_sq_orders_smallest_multiple_lifting_ip_above_s(ip, s, q):
    order = order_quantity(np.array([float(ip)]), np.array([float(s)]), np.array([float(s + q)]),
                           np.array([float(q)]), np.array([BATCH]))[0]
    if ip > s:
        assert order == 0
    else:
        assert order % q == 0 and order > 0
        assert ip + order > s
        assert ip + order - q <= s  # one batch fewer would not be enough


@settings(max_examples=300, deadline=None)
@given(ip=st.integers(-50, 80), s=st.integers(-10, 40), gap=st.integers(1, 30))
def test_ss_orders_up_to_S_when_at_or_below_s(ip, s, gap):
    S = s + gap
    order = order_quantity(np.array([float(ip)]), np.array([float(s)]), np.array([float(S)]),
                           np.array([0.0]), np.array([UP_TO]))[0]
    assert order == (S - ip if ip <= s else 0)


def test_base_stock_is_ss_with_s_equal_S():
    ip = np.array([5.0, 10.0, 12.0])
    q = order_quantity(ip, np.full(3, 10.0), np.full(3, 10.0), np.zeros(3), np.array([UP_TO]))
    assert q.tolist() == [5.0, 0.0, 0.0]


def test_reorder_point_includes_lead_time_variability():
    mean, var = np.array([10.0]), np.array([4.0])
    z = stats.norm.ppf(0.95)
    assert reorder_point(mean, var, 3.0, 0.0, 0.95)[0] == pytest.approx(30 + z * np.sqrt(12))
    # Lead time sd 1 day adds mean^2 * var_L = 100 to the variance.
    assert reorder_point(mean, var, 3.0, 1.0, 0.95)[0] == pytest.approx(30 + z * np.sqrt(112))


def test_eoq_and_its_fallback():
    assert economic_order_quantity(np.array([100.0]), 50.0, np.array([0.1]), 1)[0] == pytest.approx(np.sqrt(2 * 50 * 100 / 0.1))
    assert economic_order_quantity(np.array([7.0]), 0.0, np.array([0.1]), 2)[0] == 14.0
