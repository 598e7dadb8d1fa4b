"""The theory used by the validation suite, against published values, stockpyl and independent methods.

No twin run here: these tests make sure the *expected* values are right, so
that a disagreement in ``test_cases.py`` points at the engine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from . import cases as C
from . import theory as T

stockpyl = pytest.importorskip("stockpyl", reason="stockpyl is the test-only oracle; make installs it "
                                                  "(pip install --no-deps 'stockpyl>=1.0.2,<2')")
from stockpyl.newsvendor import newsvendor_normal, newsvendor_poisson  # noqa: E402
from stockpyl.rq import r_q_cost_poisson  # noqa: E402
from stockpyl.ss import s_s_cost_discrete  # noqa: E402

EX43 = T.Demand("normal", 50.0, 8.0)


@pytest.mark.parametrize("textbook_L", [0, 4])
def test_example_4_3_matches_stockpyl(textbook_L):
    """Snyder & Shen Example 4.3 (h=0.18, p=0.70, N(50, 8^2)); stockpyl uses D over L+1 periods."""
    L = C.twin_lead_time(textbook_L)
    S = T.optimal_base_stock_normal(EX43, L, 0.18, 0.70)
    S_ref, g_ref = newsvendor_normal(0.18, 0.70, 50, 8, lead_time=textbook_L)
    assert S == pytest.approx(S_ref, rel=1e-12)
    assert T.base_stock_backorders(EX43, L, S, 0.18, 0.70)["total_cost"] == pytest.approx(g_ref, rel=1e-12)
    if textbook_L == 0:
        assert g_ref == pytest.approx(1.9976, abs=5e-5)  # the value printed in the book


def test_lattice_matches_closed_form_normal():
    """The censored-normal lattice agrees with the normal formulas when censoring is negligible."""
    class Forced(T.Demand):
        @property
        def uncensored_normal(self):
            return False

    for L, S in [(1, 56.6), (3, 160.0), (5, 264.77)]:
        exact = T.base_stock_backorders(EX43, L, S, 0.18, 0.70)
        lattice = T.base_stock_backorders(Forced("normal", 50.0, 8.0), L, S, 0.18, 0.70)
        for key in ("on_hand", "backorders", "fill_rate", "total_cost"):
            assert lattice[key] == pytest.approx(exact[key], rel=C.LATTICE_REL_ERR)


def test_censored_normal_moments():
    d = T.Demand("normal", 10.0, 4.0)
    rng = np.random.default_rng(1)
    x = np.maximum(rng.normal(10.0, 4.0, 2_000_000), 0.0)
    assert d.effective_mean == pytest.approx(x.mean(), abs=5 * x.std() / math.sqrt(len(x)))
    assert d.lattice().mean() == pytest.approx(d.effective_mean, rel=1e-6)
    assert d.effective_var == pytest.approx(x.var(), rel=5e-3)


def test_poisson_base_stock_matches_stockpyl():
    d = T.Demand("poisson", 5.0)
    S = T.optimal_base_stock_poisson(d, 3, 1.0, 9.0)
    S_ref, g_ref = newsvendor_poisson(1.0, 9.0, 15.0)
    assert S == S_ref
    th = T.base_stock_backorders(d, 3, S, 1.0, 9.0, h_pipeline=0.2)
    assert th["holding_cost"] + th["backorder_cost"] == pytest.approx(g_ref, rel=1e-12)
    assert th["pipeline_cost"] == pytest.approx(0.2 * 3 * 5.0)


def test_fill_rate_formula_by_enumeration():
    """Fill rate = E[min(D, (S - D_{L-1})^+)] / mu, summed directly over Poisson outcomes."""
    lam, L, S = 2.0, 3, 7
    k = np.arange(60)
    prev = stats.poisson.pmf(k, lam * (L - 1))
    today = stats.poisson.pmf(k, lam)
    filled = sum(prev[i] * today[j] * min(j, max(S - i, 0)) for i in k for j in k)
    th = T.base_stock_backorders(T.Demand("poisson", lam), L, S, 1.0, 1.0)
    assert th["fill_rate"] == pytest.approx(filled / lam, rel=1e-12)


def test_example_4_7_zheng_federgruen():
    """Snyder & Shen Example 4.7: (s, S) = (4, 10), Poisson(6), h=1, p=4, K=5, zero lead time."""
    th = T.s_S_poisson(6.0, C.twin_lead_time(0), 4, 10, 1.0, 4.0, 5.0)
    assert th["total_cost"] == pytest.approx(s_s_cost_discrete(4, 10, 1, 4, 5, True, 6), rel=1e-12)
    assert th["total_cost"] == pytest.approx(8.0341, abs=5e-5)


@pytest.mark.parametrize("lam,L,s,S", [(6.0, 1, 4, 10), (6.0, 3, 17, 27), (2.5, 2, 3, 9)])
def test_s_S_position_distribution_by_markov_chain(lam, L, s, S):
    """The renewal-based position distribution equals the stationary law of the position chain."""
    th = T.s_S_poisson(lam, L, s, S, 1.0, 4.0, 5.0)
    levels = np.arange(s + 1, S + 1)
    n = len(levels)
    P = np.zeros((n, n))
    for i, y in enumerate(levels):
        for j, z in enumerate(levels):
            if z < y:
                P[i, j] += stats.poisson.pmf(y - z, lam)
            elif z == y:
                P[i, j] += stats.poisson.pmf(0, lam)
        P[i, n - 1] += stats.poisson.sf(y - s - 1, lam)  # drop to <= s: order up to S
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    pi /= pi.sum()
    d_l = T.Demand("poisson", lam)
    on_hand = sum(p * T._level_metrics(d_l, L, np.array([y]), np.array([1.0]))["on_hand"]
                  for p, y in zip(pi, levels))
    assert th["on_hand"] == pytest.approx(on_hand, rel=1e-9)
    order_rate = sum(p * stats.poisson.sf(y - s - 1, lam) for p, y in zip(pi, levels))
    assert th["orders"] == pytest.approx(order_rate, rel=1e-9)


def test_r_nQ_matches_stockpyl_example_5_8():
    """Holding + shortage part equals eq. (5.48) (stockpyl, Example 5.8) with lead-time demand Poisson(lam L)."""
    th = T.r_nQ_poisson(1.5, 2, 3, 5, 20.0, 150.0, 100.0)
    ref = r_q_cost_poisson(3, 5, 20, 150, 100, 1.5, 2)
    assert ref == pytest.approx(107.92358063314975)
    assert th["holding_cost"] + th["backorder_cost"] == pytest.approx(ref - 100 * 1.5 / 5, rel=1e-12)
    # Daily review: one line per day whatever the number of batches, so fewer lines than lam / Q.
    assert th["orders"] < 1.5 / 5


def test_r_nQ_order_rate_by_markov_chain():
    lam, r, Q = 4.0, 12, 10
    levels = np.arange(r + 1, r + Q + 1)
    P = np.zeros((Q, Q))
    orders = np.zeros(Q)
    for i, y in enumerate(levels):
        for d in range(0, 200):
            z = y - d
            if z <= r:
                z += Q * (math.floor((r - z) / Q) + 1)
                orders[i] += stats.poisson.pmf(d, lam)
            P[i, z - r - 1] += stats.poisson.pmf(d, lam)
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    pi /= pi.sum()
    assert pi == pytest.approx(np.full(Q, 1 / Q), rel=1e-9)
    th = T.r_nQ_poisson(lam, 3, r, Q, 1.0, 10.0, 15.0)
    assert th["orders"] == pytest.approx(float(pi @ orders), rel=1e-9)


def test_lost_sales_lead_time_one_is_newsvendor():
    """With L = 1 the whole position is on hand every morning: on hand E[(S-D)^+], lost E[(D-S)^+]."""
    lam, S = 3.0, 5
    th = T.base_stock_lost_sales_poisson(lam, 1, S, 1.0, 10.0)
    k = np.arange(80)
    pmf = stats.poisson.pmf(k, lam)
    assert th["on_hand"] == pytest.approx(float(np.dot(np.maximum(S - k, 0), pmf)), rel=1e-12)
    assert th["lost"] == pytest.approx(float(np.dot(np.maximum(k - S, 0), pmf)), rel=1e-12)


@pytest.mark.parametrize("lam,L,S", [(3.0, 2, 8), (1.5, 4, 9)])
def test_lost_sales_chain_by_recursion(lam, L, S):
    """The chain against a direct simulation of its recursion (no twin), and flow balance."""
    th = T.base_stock_lost_sales_poisson(lam, L, S, 1.0, 10.0)
    # Flow balance: units on order = S - on hand = L x units sold per day (Little).
    assert S - th["on_hand"] == pytest.approx(L * lam * th["fill_rate"], rel=1e-9)
    rng = np.random.default_rng(7)
    n = 300_000
    demand = rng.poisson(lam, n)
    on_hand, pipe = S, [0] * L
    lost = np.zeros(n)
    for t in range(n):
        on_hand += pipe.pop(0)
        sold = min(demand[t], on_hand)
        on_hand -= sold
        lost[t] = demand[t] - sold
        pipe.append(sold)
    x = lost[1000:]
    se = x.reshape(100, -1).mean(axis=1).std(ddof=1) / 10
    assert x.mean() == pytest.approx(th["lost"], abs=5 * se)


def test_serial_example_6_1():
    """Lattice evaluation = independent quadrature; = Chen-Zheng form; near stockpyl's optimum value."""
    d = T.Demand("normal", 5.0, 1.0)
    L, h, p, S = [1, 1, 2], [7.0, 4.0, 2.0], 37.12, C.EX61_ECHELON_S
    th = T.serial_echelon(d, L, h, p, S)
    quad = T.serial_three_stage_normal_quad(5.0, 1.0, L, h, p, S)
    assert th["total_cost"] == pytest.approx(quad, rel=C.LATTICE_REL_ERR)
    assert th["chen_zheng_cost"] == pytest.approx(th["total_cost"], rel=1e-10)
    # stockpyl's discretised recursion: 47.6687 at its optimum, 47.6411 from expected_cost (x_num=1000).
    assert th["total_cost"] == pytest.approx(C.EX61_STOCKPYL_COST, rel=1e-3)
    assert T.installation_levels(S) == pytest.approx([S[0], S[1] - S[0], S[2] - S[1]])


def test_serial_one_stage_is_base_stock():
    d = T.Demand("poisson", 4.0)
    th = T.serial_echelon(d, [3], [1.0], 9.0, [15.0])
    single = T.base_stock_backorders(d, 3, 15, 1.0, 9.0)
    for key in ("on_hand", "backorders", "fill_rate"):
        assert th["stage1"][key] == pytest.approx(single[key], rel=1e-10)


def test_serial_two_stage_poisson_by_enumeration():
    """IN_1 = min(S_1, S_2 - D^{L2}) - D^{L1}: enumerate the two Poisson sums directly."""
    lam, L1, L2, S1, S2 = 2.0, 2, 3, 6, 13
    th = T.serial_echelon(T.Demand("poisson", lam), [L1, L2], [3.0, 1.0], 10.0, [S1, S2])
    k = np.arange(80)
    p1, p2 = stats.poisson.pmf(k, lam * L1), stats.poisson.pmf(k, lam * L2)
    eb = sum(p2[i] * p1[j] * max(j - min(S1, S2 - i), 0) for i in k for j in k)
    oh2 = sum(p2[i] * max(S2 - i - S1, 0) for i in k)
    assert th["stage1"]["backorders"] == pytest.approx(eb, rel=1e-9)
    assert th["stage2"]["on_hand"] == pytest.approx(oh2, rel=1e-9)


def _filter_variance(coeffs):
    return float(np.sum(np.square(coeffs)))


@pytest.mark.parametrize("L,p", [(2, 4), (3, 3), (1, 7), (5, 2)])
def test_bullwhip_moving_average(L, p):
    """q_t = D_t + L (F_t - F_{t-1}) = (1 + L/p) D_t - (L/p) D_{t-p}."""
    coeffs = [1 + L / p] + [0] * (p - 1) + [-L / p]
    assert T.bullwhip_moving_average(L, p) == pytest.approx(_filter_variance(coeffs), rel=1e-12)


@pytest.mark.parametrize("L,alpha", [(3, 0.3), (1, 0.5), (4, 0.1)])
def test_bullwhip_exponential_smoothing(L, alpha):
    """q_t = D_t + L alpha (D_t - F_{t-1}); F_{t-1} = alpha sum (1-alpha)^k D_{t-1-k}."""
    coeffs = [1 + L * alpha] + [-L * alpha * alpha * (1 - alpha) ** k for k in range(2000)]
    assert T.bullwhip_exponential_smoothing(L, alpha) == pytest.approx(_filter_variance(coeffs), rel=1e-9)


def test_hub_queue_by_recursion():
    """Stationary mean of Q_t = max(Q_{t-1} + A_t - C, 0) against the recursion itself (no twin)."""
    lam, C_ = 9.0, 10
    th = T.hub_queue_poisson(lam, C_)
    rng = np.random.default_rng(3)
    a = rng.poisson(lam, 400_000)
    q = np.empty(len(a))
    x = 0.0
    for t, at in enumerate(a):
        x = max(x + at - C_, 0.0)
        q[t] = x
    q = q[1000:]
    se = q[: len(q) // 100 * 100].reshape(100, -1).mean(axis=1).std(ddof=1) / 10
    assert q.mean() == pytest.approx(th["mean_queue"], abs=5 * se)
    assert th["mean_wait"] == pytest.approx(th["mean_queue"] / lam)


def test_eoq_cycle():
    """End-of-day stock over one cycle of n days is (n-1)d, ..., d, 0."""
    d, n = 10.0, 14
    th = T.eoq_periodic(d, n * d, 3, 0.1, 100.0)
    assert th["on_hand"] == pytest.approx(np.mean([(n - 1 - i) * d for i in range(n)]))
    assert th["total_cost"] == pytest.approx(100 * d / (n * d) + 0.1 * (n * d - d) / 2)
    with pytest.raises(ValueError):
        T.eoq_periodic(10.0, 25.0, 1, 0.1, 1.0)


def test_default_cases_are_well_formed():
    cases = C.default_cases()
    assert len({c.name for c in cases}) == len(cases)
    for case in cases:
        assert case.checks, case.name
        for check in case.checks:
            assert check.kind in ("cost", "on_hand", "fill_rate", "exact", "other")
            assert math.isfinite(check.expected) or check.measure == "hub_identity"
