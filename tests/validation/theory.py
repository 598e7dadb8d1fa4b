"""Exact inventory theory for the validation cases (no simulation anywhere in this module).

Conventions (they are the twin's, see ``docs/validation.md``):

* One period is one day. In a day: receipts, then demand, then review and
  order, then costs on the end-of-day stock.
* ``L`` below is always the **twin lead time**: an order placed at the end of
  day ``t`` is usable from day ``t + L`` (``L >= 1``). A base-stock level
  therefore protects ``L`` days of demand. This is Snyder & Shen's
  chapter 4 periodic-review lead time plus one (their ``D`` over ``L + 1``
  periods), and their chapter 6 serial lead time as is.
* Costs per day: ``h`` per unit on hand at the end of the day, ``p`` per unit
  backordered at the end of the day, ``K`` per order, ``c`` per lost unit.

Every function returns a dict of expected long-run values per day, with the
keys used by :mod:`tests.validation.cases`:

``on_hand``, ``backorders``, ``lost``, ``fill_rate``, ``orders``, ``in_transit``
and costs ``holding_cost``, ``backorder_cost``, ``pipeline_cost``,
``lost_sale_cost``, ``ordering_cost``, ``total_cost``.

References
----------
[SS]  L. V. Snyder and Z.-J. M. Shen, *Fundamentals of Supply Chain Theory*,
      2nd ed., Wiley, 2019 (chapters 4, 5 and 6).
[ZF]  Y.-S. Zheng and A. Federgruen, Finding optimal (s, S) policies is about as
      simple as evaluating a single policy, *Operations Research* 39(4), 654-665, 1991.
[CZ]  F. Chen and Y.-S. Zheng, Lower bounds for multi-echelon stochastic inventory
      systems, *Management Science* 40(11), 1426-1443, 1994.
[CS]  A. J. Clark and H. Scarf, Optimal policies for a multi-echelon inventory
      problem, *Management Science* 6(4), 475-490, 1960.
[GZ]  G. Gallego and P. Zipkin, Stock positioning and performance estimation in serial
      production-transportation systems, *M&SOM* 1(1), 77-88, 1999.
[CDRS] F. Chen, Z. Drezner, J. K. Ryan and D. Simchi-Levi, Quantifying the bullwhip
      effect in a simple supply chain: the impact of forecasting, lead times, and
      information, *Management Science* 46(3), 436-443, 2000.
[Z08] P. Zipkin, Old and new methods for lost-sales inventory systems,
      *Operations Research* 56(5), 1256-1263, 2008.
[L61] J. D. C. Little, A proof for the queuing formula L = lambda W,
      *Operations Research* 9(3), 383-387, 1961.
[H13] F. W. Harris, How many parts to make at once, *Factory, The Magazine of
      Management* 10(2), 135-136, 1913 (EOQ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal, sparse, special, stats
from scipy.sparse.linalg import spsolve

#: Lattice step of a normal demand's discretisation, in standard deviations.
NORMAL_STEP_SD = 1.0 / 500.0
#: Tail mass dropped when a distribution is cut to a finite lattice.
_TAIL = 1e-15
#: Below this probability of a negative draw, normal demand is treated as
#: uncensored and closed-form normal formulas are used (the censoring then
#: moves no metric by more than about 1e-9 relative).
CENSOR_NEGLIGIBLE = 1e-9


# --------------------------------------------------------------------------- demand

@dataclass(frozen=True)
class Demand:
    """Daily demand at a store, as in the twin's network file."""

    dist: str          # "poisson", "normal" (negative draws set to 0) or "deterministic"
    mean: float
    sd: float = 0.0

    def __post_init__(self):
        if self.dist not in ("poisson", "normal", "deterministic"):
            raise ValueError(f"unsupported demand distribution {self.dist!r}")
        if self.dist == "normal" and self.sd <= 0:
            raise ValueError("normal demand needs sd > 0")

    def yaml(self) -> dict:
        """The ``demand:`` mapping of the network file."""
        out = {"dist": self.dist, "mean": float(self.mean)}
        if self.dist == "normal":
            out["sd"] = float(self.sd)
        return out

    @property
    def censoring(self) -> float:
        """Probability that the twin's normal draw is negative (and set to 0)."""
        if self.dist != "normal":
            return 0.0
        return float(special.ndtr(-self.mean / self.sd))

    @property
    def uncensored_normal(self) -> bool:
        return self.dist == "normal" and self.censoring < CENSOR_NEGLIGIBLE

    def lattice(self) -> "Lattice":
        """The daily demand as a distribution on a lattice (exact for Poisson)."""
        if self.dist == "deterministic":
            return Lattice(float(self.mean), 1.0, np.array([1.0]))
        if self.dist == "poisson":
            hi = int(stats.poisson.isf(_TAIL, self.mean)) + 2
            k = np.arange(hi + 1)
            p = stats.poisson.pmf(k, self.mean)
            p[-1] += stats.poisson.sf(hi, self.mean)
            return Lattice(0.0, 1.0, p)
        # Normal with negative draws set to 0: an atom at 0 plus the density,
        # discretised by cell masses on a lattice that contains 0.
        step = self.sd * NORMAL_STEP_SD
        lo_k = max(0, math.floor((self.mean - 12 * self.sd) / step))
        hi_k = math.ceil((self.mean + 12 * self.sd) / step)
        k = np.arange(lo_k, hi_k + 1)
        edges = (np.append(k, hi_k + 1) - 0.5) * step
        cdf = special.ndtr((edges - self.mean) / self.sd)
        cdf[0] = 0.0  # the first point collects every draw below it (the atom at 0: negative draws)
        cdf[-1] = 1.0
        p = np.diff(cdf)
        return Lattice(lo_k * step, step, p)

    @property
    def effective_mean(self) -> float:
        """Mean of the demand the twin draws (normal: of max(X, 0))."""
        if self.dist == "normal":
            z = self.mean / self.sd
            return float(self.mean * special.ndtr(z) + self.sd * _phi(z))
        return float(self.mean)

    @property
    def effective_var(self) -> float:
        """Variance of the demand the twin draws."""
        if self.dist == "poisson":
            return float(self.mean)
        if self.dist == "deterministic":
            return 0.0
        z = self.mean / self.sd
        m1 = self.effective_mean
        m2 = (self.mean**2 + self.sd**2) * special.ndtr(z) + self.mean * self.sd * _phi(z)
        return float(m2 - m1**2)

    def p_positive(self) -> float:
        """P(demand > 0): the probability that a base-stock node orders on a day."""
        if self.dist == "poisson":
            return float(-math.expm1(-self.mean))
        if self.dist == "deterministic":
            return 1.0 if self.mean > 0 else 0.0
        return float(special.ndtr(self.mean / self.sd))


def _phi(z):
    return np.exp(-0.5 * np.asarray(z, dtype=float) ** 2) / math.sqrt(2 * math.pi)


# --------------------------------------------------------------------------- lattice

class Lattice:
    """A probability distribution on the points ``lo + k * step``."""

    def __init__(self, lo: float, step: float, p: np.ndarray):
        self.lo, self.step = float(lo), float(step)
        self.p = np.asarray(p, dtype=float)

    @property
    def x(self) -> np.ndarray:
        return self.lo + self.step * np.arange(len(self.p))

    def expect(self, f) -> float:
        return float(np.dot(self.p, f(self.x)))

    def mean(self) -> float:
        return self.expect(lambda x: x)

    def trimmed(self) -> "Lattice":
        """The same distribution without end points of negligible mass (< 1e-18 per tail)."""
        low = np.cumsum(self.p)
        high = np.cumsum(self.p[::-1])[::-1]
        i = int(np.searchsorted(low, 1e-18, side="right"))
        j = len(self.p) - int(np.searchsorted(high[::-1], 1e-18, side="right"))
        i = max(0, min(i, len(self.p) - 1))
        j = max(i + 1, min(j, len(self.p)))
        p = self.p[i:j].copy()
        p[0] += self.p[:i].sum()
        p[-1] += self.p[j:].sum()
        return Lattice(self.lo + i * self.step, self.step, p)

    def plus(self, other: "Lattice") -> "Lattice":
        """Distribution of the sum of independent ``self`` and ``other``."""
        if len(other.p) == 1:
            return Lattice(self.lo + other.lo, self.step, self.p)
        if len(self.p) == 1:
            return Lattice(self.lo + other.lo, other.step, other.p)
        if not math.isclose(self.step, other.step, rel_tol=1e-12):
            raise ValueError("lattice steps differ")
        p = signal.fftconvolve(self.p, other.p) if min(len(self.p), len(other.p)) > 64 \
            else np.convolve(self.p, other.p)
        p = np.clip(p, 0.0, None)
        p /= p.sum()
        return Lattice(self.lo + other.lo, self.step, p).trimmed()

    def power(self, n: int) -> "Lattice":
        """Distribution of the sum of ``n`` independent copies (``n = 0``: the point 0)."""
        out = Lattice(0.0, self.step, np.array([1.0]))
        for _ in range(n):
            out = out.plus(self)
        return out

    def minus_from(self, c: float) -> "Lattice":
        """Distribution of ``c - X`` (on the lattice ``c - x``)."""
        return Lattice(c - self.x[-1], self.step, self.p[::-1].copy())

    def capped(self, c: float) -> "Lattice":
        """Distribution of ``min(c, X)``; mass above ``c`` moves to ``c``.

        When ``c`` falls between two lattice points, the moved mass is split
        between them so that the mean is exact.
        """
        x = self.x
        above = x > c
        if not above.any():
            return self
        mass = float(self.p[above].sum())
        k = (c - self.lo) / self.step
        k0 = math.floor(k + 1e-12)
        if k0 < 0:  # c is below the lattice: everything sits at c
            return Lattice(c, self.step, np.array([1.0]))
        frac = max(0.0, k - k0)
        n = max(k0 + 2, 1)
        p = np.zeros(n)
        keep = min(len(self.p), k0 + 1)
        if keep > 0:
            p[:keep] = np.where(above[:keep], 0.0, self.p[:keep])
        p[k0] += mass * (1.0 - frac)
        p[k0 + 1] += mass * frac
        return Lattice(self.lo, self.step, p)


# --------------------------------------------------------------------------- helpers

def _positive_part(lat: Lattice, c: float = 0.0) -> float:
    """E[(X - c)^+]."""
    return lat.expect(lambda x: np.maximum(x - c, 0.0))


def _negative_part(lat: Lattice, c: float = 0.0) -> float:
    """E[(c - X)^+]."""
    return lat.expect(lambda x: np.maximum(c - x, 0.0))


def _normal_loss(s: float, mean: float, sd: float) -> tuple[float, float]:
    """(E[(D - s)^+], E[(s - D)^+]) for D ~ N(mean, sd^2) (sd = 0: D = mean)."""
    if sd == 0:
        return max(mean - s, 0.0), max(s - mean, 0.0)
    z = (s - mean) / sd
    n = sd * (float(_phi(z)) - z * float(special.ndtr(-z)))
    return n, n + (s - mean)


def _costs(out: dict, h: float = 0.0, p: float = 0.0, c_lost: float = 0.0, K: float = 0.0,
           h_pipeline: float = 0.0) -> dict:
    out.setdefault("backorders", 0.0)
    out.setdefault("lost", 0.0)
    out["holding_cost"] = h * out["on_hand"]
    out["backorder_cost"] = p * out["backorders"]
    out["lost_sale_cost"] = c_lost * out["lost"]
    out["ordering_cost"] = K * out["orders"]
    out["pipeline_cost"] = h_pipeline * out["in_transit"]
    out["total_cost"] = (out["holding_cost"] + out["backorder_cost"] + out["lost_sale_cost"]
                         + out["ordering_cost"] + out["pipeline_cost"])
    return out


def _level_metrics(demand: Demand, L: int, levels: np.ndarray, weights: np.ndarray) -> dict:
    """Single stage with backorders whose inventory position after ordering is ``levels``
    with probabilities ``weights`` (independent of future demand).

    End-of-day net inventory ``L`` days later is ``y - D_L``; the stock available
    to the day's demand is ``(y - D_{L-1})^+`` [SS section 4.3].
    """
    mu = demand.effective_mean
    on_hand = backorders = avail = 0.0
    if demand.uncensored_normal or demand.dist == "deterministic":
        m, v = demand.mean, demand.sd
        for y, w in zip(levels, weights):
            n_l, nbar_l = _normal_loss(y, L * m, math.sqrt(L) * v)
            _, nbar_prev = _normal_loss(y, (L - 1) * m, math.sqrt(L - 1) * v)
            on_hand += w * nbar_l
            backorders += w * n_l
            avail += w * nbar_prev
    else:
        day = demand.lattice()
        d_prev = day.power(L - 1)
        d_l = d_prev.plus(day)
        for y, w in zip(levels, weights):
            on_hand += w * _negative_part(d_l, y)
            backorders += w * _positive_part(d_l, y)
            avail += w * _negative_part(d_prev, y)
    fill = (avail - on_hand) / mu if mu > 0 else float("nan")
    return {"on_hand": on_hand, "backorders": backorders, "fill_rate": fill}


# --------------------------------------------------------------------------- single stage

def base_stock_backorders(demand: Demand, L: int, S: float, h: float, p: float,
                          h_pipeline: float = 0.0) -> dict:
    """Base-stock level ``S``, backorders, twin lead time ``L`` [SS section 4.3, eq. (4.24)].

    ``g(S) = h E[(S - D_L)^+] + p E[(D_L - S)^+]`` with ``D_L`` the demand of
    ``L`` days; fill rate ``1 - (n_L(S) - n_{L-1}(S)) / mu``. The order each day
    equals the day's demand, so ``orders = P(D > 0)``, the bullwhip ratio is 1
    and ``L * mu`` units are in transit at the end of each day (charged at the
    supplier's holding cost ``h_pipeline``).
    """
    out = _level_metrics(demand, L, np.array([S]), np.array([1.0]))
    out["orders"] = demand.p_positive()
    out["in_transit"] = L * demand.effective_mean
    out["bullwhip"] = 1.0
    return _costs(out, h=h, p=p, h_pipeline=h_pipeline)


def optimal_base_stock_normal(demand: Demand, L: int, h: float, p: float) -> float:
    """Newsvendor level ``mu_L + z sigma_L``, ``z = Phi^-1(p / (p + h))`` [SS eq. (4.30)]."""
    z = float(special.ndtri(p / (p + h)))
    return L * demand.mean + z * math.sqrt(L) * demand.sd


def optimal_base_stock_poisson(demand: Demand, L: int, h: float, p: float) -> int:
    """Smallest ``S`` with ``F_L(S) >= p / (p + h)`` for Poisson demand over ``L`` days [SS eq. (4.27)]."""
    return int(stats.poisson.ppf(p / (p + h), L * demand.mean))


def base_stock_lost_sales_poisson(lam: float, L: int, S: int, h: float, c_lost: float) -> dict:
    """Base-stock level ``S`` with lost sales, Poisson(``lam``) demand: exact Markov chain.

    State at the end of a day, after ordering: on hand ``I`` and the ``L``
    outstanding orders ``o_1`` (oldest, usable tomorrow) ... ``o_L`` (today's),
    with ``I + sum(o) = S``. Tomorrow: ``y = I + o_1`` is on hand, ``min(D, y)``
    is sold, the rest of ``D`` is lost, and the order placed equals the units
    sold [Z08, section 2; Karlin & Scarf 1958]. The chain is finite and solved
    exactly for its stationary distribution.
    """
    if L < 1:
        raise ValueError("twin lead time L >= 1")
    S = int(S)
    kmax = S + 1
    pmf = stats.poisson.pmf(np.arange(kmax + 1), lam)

    def sold_dist(y: int) -> np.ndarray:
        """P(min(D, y) = k), k = 0..y."""
        out = pmf[: y + 1].copy()
        out[y] = stats.poisson.sf(y - 1, lam) if y > 0 else 1.0
        return out

    # State: (I, o_1, ..., o_{L-1}); o_L = S - I - sum.
    start = (S,) + (0,) * (L - 1)
    index = {start: 0}
    states = [start]
    rows, cols, vals = [], [], []
    i = 0
    while i < len(states):
        st = states[i]
        I, older = st[0], st[1:]
        newest = S - I - sum(older)
        pipeline = older + (newest,)
        y = I + pipeline[0]
        dist = sold_dist(y)
        for k in np.flatnonzero(dist > 0):
            nxt = (y - int(k),) + pipeline[1:L]  # today's order k is implied by the sum
            if nxt not in index:
                index[nxt] = len(states)
                states.append(nxt)
            rows.append(i)
            cols.append(index[nxt])
            vals.append(dist[k])
        i += 1
    n = len(states)
    P = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    A = (P.T - sparse.identity(n, format="csr")).tolil()
    A[0, :] = np.ones(n)
    b = np.zeros(n)
    b[0] = 1.0
    pi = spsolve(A.tocsc(), b)
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()

    on_hand = sold = order_prob = 0.0
    for w, st in zip(pi, states):
        I, older = st[0], st[1:]
        newest = S - I - sum(older)
        y = I + (older + (newest,))[0]
        dist = sold_dist(y)
        k = np.arange(y + 1)
        on_hand += w * I
        sold += w * float(np.dot(k, dist))
        order_prob += w * (1.0 - dist[0])
    out = {"on_hand": on_hand, "lost": lam - sold, "fill_rate": sold / lam, "orders": order_prob,
           "in_transit": sold * L, "states": n}
    return _costs(out, h=h, c_lost=c_lost)


def renewal_mass(pmf: np.ndarray, n: int) -> np.ndarray:
    """``m(j)``, j < n: expected number of days on which cumulative demand equals ``j``.

    ``m(0) = 1 / (1 - p_0)``, ``m(j) = sum_{l=1}^{j} p_l m(j - l) / (1 - p_0)`` [ZF eq. (2); SS eq. (4.72)].
    """
    m = np.zeros(n)
    p0 = float(pmf[0])
    for j in range(n):
        acc = 1.0 if j == 0 else float(np.dot(pmf[1:j + 1], m[j - 1::-1]))
        m[j] = acc / (1.0 - p0)
    return m


def s_S_poisson(lam: float, L: int, s: int, S: int, h: float, p: float, K: float) -> dict:
    """(s, S) policy, Poisson demand, backorders: Zheng & Federgruen's exact evaluation.

    ``g(s, S) = [K + sum_{j=0}^{S-s-1} m(j) G(S - j)] / M(S - s)`` [ZF eq. (3);
    SS eq. (4.71)-(4.75)], where ``G`` is the one-day expected cost with ``L``
    days of lead-time demand. The inventory position after ordering is
    ``S - j`` with probability ``m(j) / M(S - s)``; one order per cycle of
    ``M(S - s)`` days on average.
    """
    s, S = int(s), int(S)
    n = S - s
    pmf = stats.poisson.pmf(np.arange(n + 1), lam)
    m = renewal_mass(pmf, n)
    M = m.sum()
    levels = S - np.arange(n)
    out = _level_metrics(Demand("poisson", lam), L, levels, m / M)
    out["orders"] = 1.0 / M
    out["in_transit"] = L * lam
    return _costs(out, h=h, p=p, K=K)


def r_nQ_poisson(lam: float, L: int, r: int, Q: int, h: float, p: float, K: float) -> dict:
    """(r, nQ) policy reviewed daily, Poisson demand, backorders.

    The inventory position after ordering is uniform on ``r+1 .. r+Q``
    [SS section 5.3 / Hadley & Whitin; Zipkin (2000) Thm 6.2.1], so
    ``g = sum_y G(y) / Q + K x orders``. With whole-day batches an order
    line is placed on a day with probability ``(1/Q) sum_{k=1}^{Q} P(D >= k)``
    (one line, possibly of several Q), not ``lam / Q``.
    """
    r, Q = int(r), int(Q)
    levels = np.arange(r + 1, r + Q + 1)
    out = _level_metrics(Demand("poisson", lam), L, levels, np.full(Q, 1.0 / Q))
    out["orders"] = float(stats.poisson.sf(np.arange(Q), lam).sum() / Q)
    out["in_transit"] = L * lam
    return _costs(out, h=h, p=p, K=K)


def eoq_periodic(d: float, Q: float, L: int, h: float, K: float) -> dict:
    """Deterministic demand ``d`` per day, order ``Q = n d`` when the position reaches ``s = (L-1) d``.

    Orders arrive the morning after stock runs out, so the end-of-day on-hand
    cycles through ``(n-1) d, ..., d, 0``: on average ``(Q - d) / 2``. Cost per
    day ``K d / Q + h (Q - d) / 2`` [H13; the ``- h d / 2`` is the end-of-day
    snapshot of a daily-bucketed EOQ]. No shortages: fill rate 1.
    """
    n = Q / d
    if abs(n - round(n)) > 1e-12 or round(n) < 1:
        raise ValueError("Q must be a whole multiple of d")
    out = {"on_hand": (Q - d) / 2.0, "backorders": 0.0, "fill_rate": 1.0, "orders": d / Q,
           "in_transit": L * d, "reorder_point": (L - 1) * d}
    return _costs(out, h=h, K=K)


# --------------------------------------------------------------------------- serial system

def serial_echelon(demand: Demand, L: list[int], local_h: list[float], p: float,
                   echelon_S: list[float], h_supplier: float = 0.0) -> dict:
    """Serial system under echelon base-stock levels [CS; CZ; GZ; SS section 6.2].

    Stages are listed downstream first: stage 1 faces the customers and
    backorders them at ``p`` per unit-day; stage ``j`` receives from ``j+1``
    after ``L[j]`` days (stage N from an unlimited supplier). With echelon net
    inventories ``IN_N = S_N - D^{L_N}``, ``IN_j = min(S_j, IN_{j+1}) - D^{L_j}``
    (independent demand over disjoint days) [GZ eq. (2)], the stationary
    quantities are

    * stage 1: on hand ``IN_1^+``, backorders ``IN_1^-``;
    * stage ``j >= 2``: on hand ``(IN_j - S_{j-1})^+``, owed downstream ``(S_{j-1} - IN_j)^+``;
    * in transit to stage ``j``: ``L_j mu``, held at the shipping stage's local rate.

    Expected cost per day = sum_j h'_j E[on hand_j] + sum_j h'_{j+1} L_j mu + p E[B_1],
    which equals the Chen-Zheng form ``sum_j h_j E[IN_j] + (p + h'_1) E[B_1]``
    with echelon rates ``h_j = h'_j - h'_{j+1}`` plus the supplier's pipeline
    (0 when ``h_supplier = 0``, as in [SS Example 6.1]).

    Returns per-stage metrics under keys ``stage{j}`` and the totals.
    """
    N = len(L)
    if not (len(local_h) == len(echelon_S) == N):
        raise ValueError("L, local_h and echelon_S need one entry per stage")
    day = demand.lattice()
    mu = demand.effective_mean
    IN: list[Lattice | None] = [None] * (N + 2)
    for j in range(N, 0, -1):
        d_j = day.power(L[j - 1])
        if j == N:
            IN[j] = d_j.minus_from(echelon_S[j - 1])
        else:
            IN[j] = IN[j + 1].capped(echelon_S[j - 1]).plus(d_j.minus_from(0.0))
    out: dict = {}
    total = 0.0
    rates = list(local_h) + [h_supplier]
    for j in range(1, N + 1):
        st: dict = {}
        if j == 1:
            st["on_hand"] = _positive_part(IN[1])
            st["backorders"] = _negative_part(IN[1])
            # Stock at the start of a day before its demand: min(S_1, IN_2) - D^{L_1 - 1}.
            top = IN[2].capped(echelon_S[0]) if N > 1 else Lattice(echelon_S[0], day.step, np.array([1.0]))
            start = top.plus(day.power(L[0] - 1).minus_from(0.0))
            st["fill_rate"] = (_positive_part(start) - st["on_hand"]) / mu
        else:
            st["on_hand"] = _positive_part(IN[j], echelon_S[j - 2])
            st["backorders"] = _negative_part(IN[j], echelon_S[j - 2])
        st["in_transit"] = L[j - 1] * mu
        st["holding_cost"] = local_h[j - 1] * st["on_hand"]
        st["pipeline_cost"] = rates[j] * st["in_transit"]
        st["backorder_cost"] = p * st["backorders"] if j == 1 else 0.0
        st["total_cost"] = st["holding_cost"] + st["pipeline_cost"] + st["backorder_cost"]
        total += st["total_cost"]
        out[f"stage{j}"] = st
    echelon_h = [local_h[j] - local_h[j + 1] for j in range(N - 1)] + [local_h[N - 1]]
    chen_zheng = sum(echelon_h[j - 1] * IN[j].mean() for j in range(1, N + 1)) \
        + (p + local_h[0]) * out["stage1"]["backorders"] + h_supplier * L[N - 1] * mu
    out["total_cost"] = total
    out["chen_zheng_cost"] = chen_zheng
    return out


def installation_levels(echelon_S: list[float]) -> list[float]:
    """Installation base-stock levels ``S_j - S_{j-1}`` equivalent to echelon levels (nested)."""
    out = [echelon_S[0]] + [echelon_S[j] - echelon_S[j - 1] for j in range(1, len(echelon_S))]
    if any(x < 0 for x in out):
        raise ValueError("echelon levels must be non-decreasing upstream")
    return out


def serial_three_stage_normal_quad(mu: float, sd: float, L: list[int], local_h: list[float], p: float,
                                   echelon_S: list[float]) -> float:
    """Independent check of :func:`serial_echelon` for N = 3, uncensored normal demand.

    Uses the closed-form density of ``IN_2 = min(S_2, S_3 - D_3) - D_2``
    (a normal atom plus a normal-truncated-normal convolution) and one
    adaptive quadrature for ``E[n_1(min(S_1, IN_2))]``.
    """
    from scipy import integrate

    S1, S2, S3 = echelon_S
    L1, L2, L3 = L
    m2, s2 = L2 * mu, math.sqrt(L2) * sd
    m3, s3 = L3 * mu, math.sqrt(L3) * sd
    m1, s1 = L1 * mu, math.sqrt(L1) * sd
    # IN_3 = S3 - D3 ~ N(S3 - m3, s3).
    a3 = S3 - m3
    p_top = float(special.ndtr((a3 - S2) / s3))  # P(IN_3 >= S2)

    def f_in2(x):
        # atom part: S2 - D2 has density phi((S2 - m2 - x)/s2)/s2
        atom = p_top * float(_phi((S2 - m2 - x) / s2)) / s2
        # continuous part: int_{-inf}^{S2} phi_3(y) phi_2(y - x) dy with
        # IN_3 ~ N(a3, s3), D2 ~ N(m2, s2): y - D2 = x  => D2 = y - x.
        v = s3**2 + s2**2
        mean_y_given_x = (a3 * s2**2 + (x + m2) * s3**2) / v
        sd_y = s3 * s2 / math.sqrt(v)
        joint = float(_phi((x + m2 - a3) / math.sqrt(v))) / math.sqrt(v)
        return atom + joint * float(special.ndtr((S2 - mean_y_given_x) / sd_y))

    def mean_in(lo, hi, g):
        return integrate.quad(lambda x: g(x) * f_in2(x), lo, hi, limit=400, epsabs=1e-13, epsrel=1e-12)[0]

    lo = min(S2, a3) - m2 - 14 * (s2 + s3)
    hi = S2 - m2 + 14 * s2
    n1 = lambda y: _normal_loss(y, m1, s1)[0]  # noqa: E731
    # E[B_1] = E[n_1(min(S1, IN_2))]
    n1_top = n1(S1)
    eb = mean_in(lo, S1, n1) + mean_in(S1, max(hi, S1), lambda x: n1_top)
    e_in2 = mean_in(lo, hi, lambda x: x)
    e_min = mean_in(lo, S1, lambda x: x) + S1 * mean_in(S1, max(hi, S1), lambda x: 1.0)
    e_in3 = a3
    e_in1 = e_min - m1
    h1, h2, h3 = local_h
    eh = [h1 - h2, h2 - h3, h3]
    return eh[0] * e_in1 + eh[1] * e_in2 + eh[2] * e_in3 + (p + h1) * eb


# --------------------------------------------------------------------------- bullwhip

def bullwhip_moving_average(L: int, window: int) -> float:
    """Var(orders)/Var(demand) = 1 + 2L/p + 2L^2/p^2 [CDRS, eq. (3) with a known variance].

    ``L`` is the multiplier of the forecast in the order-up-to target (the
    twin's protection period ``lead time + review - 1``).
    """
    return 1.0 + 2.0 * L / window + 2.0 * L**2 / window**2


def bullwhip_exponential_smoothing(L: int, alpha: float) -> float:
    """Var(orders)/Var(demand) = 1 + 2 L alpha + 2 L^2 alpha^2 / (2 - alpha) [CDRS, section 4]."""
    return 1.0 + 2.0 * L * alpha + 2.0 * L**2 * alpha**2 / (2.0 - alpha)


# --------------------------------------------------------------------------- hub queue

def hub_queue_poisson(lam: float, capacity: int, tail: float = 1e-14) -> dict:
    """Discrete-time queue at a hub: ``Q_t = max(Q_{t-1} + A_t - C, 0)``, ``A_t ~ Poisson(lam)``.

    The end-of-day backlog of a hub that handles ``C`` units a day first come
    first served, when ``A_t`` units arrive at the start of day ``t``
    (bulk-service queue; e.g. Bruneel & Kim, *Discrete-Time Models for
    Communication Systems*, 1993, ch. 3). The stationary distribution is
    computed on a truncated state space (the truncation mass is below
    ``tail``). Little's law [L61] then gives the mean wait ``E[Q] / lam`` days.
    """
    C = int(capacity)
    if lam >= C:
        raise ValueError("unstable queue: lam >= capacity")
    amax = int(lam + 20 * math.sqrt(lam) + 20)
    a = stats.poisson.pmf(np.arange(amax + 1), lam)
    a[-1] += stats.poisson.sf(amax, lam)
    n = 128
    while True:
        # Transition matrix of the truncated chain (overflow stays in the last state).
        P = np.zeros((n, n))
        for q in range(n):
            nxt = np.maximum(q + np.arange(amax + 1) - C, 0)
            np.add.at(P[q], np.minimum(nxt, n - 1), a)
        A = P.T - np.eye(n)
        A[0, :] = 1.0
        b = np.zeros(n)
        b[0] = 1.0
        pi = np.linalg.solve(A, b)
        if pi[-max(C, 10):].sum() < tail:
            break
        n *= 2
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()
    eq = float(np.dot(np.arange(n), pi))
    return {"mean_queue": eq, "mean_wait": eq / lam, "p_empty": float(pi[0]), "states": n}
