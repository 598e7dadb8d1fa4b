"""Random quantities drawn by inverse CDF from uniforms.

Every random quantity in a run is a deterministic function of a uniform
number from a seeded stream. Baseline and scenario therefore see the same
uniforms (common random numbers), and a change of a mean (a demand shock)
moves a draw monotonically instead of reshuffling the whole stream.

The discrete inverse CDFs below are exact: they search the cumulative
distribution from a starting point, adding probability masses computed by
the distribution's recurrence; vectorised over elements, with the set of
still-searching elements shrinking every step.
"""

from __future__ import annotations

import numpy as np
from scipy import special

# Switch from a search starting at 0 to one starting at the mode above this mean.
_SEARCH_FROM_MODE = 4.0


def _search(u, k, cdf, pmf, ratio_up, ratio_arg):
    """Move each element's ``k`` until ``cdf(k-1) < u <= cdf(k)``.

    ``cdf`` and ``pmf`` hold F(k) and P(k) at the start; ``ratio_up(k, *args)``
    gives P(k+1)/P(k). Arrays are modified in place; returns ``k``.
    """
    # Down: while u <= F(k-1) = F(k) - P(k), step down.
    idx = np.flatnonzero((u <= cdf - pmf) & (k > 0))
    while idx.size:
        kk = k[idx]
        args = [a[idx] for a in ratio_arg]
        prev = pmf[idx] / ratio_up(kk - 1, *args)
        cdf[idx] -= pmf[idx]
        pmf[idx] = prev
        k[idx] = kk - 1
        keep = (u[idx] <= cdf[idx] - pmf[idx]) & (k[idx] > 0)
        idx = idx[keep]
    # Up: while u > F(k), step up.
    idx = np.flatnonzero(u > cdf)
    guard = 0
    while idx.size:
        kk = k[idx]
        args = [a[idx] for a in ratio_arg]
        nxt = pmf[idx] * ratio_up(kk, *args)
        k[idx] = kk + 1
        pmf[idx] = nxt
        cdf[idx] += nxt
        # Far in the upper tail the masses underflow: stop there (probability < 1e-300).
        keep = (u[idx] > cdf[idx]) & (nxt > 1e-300)
        idx = idx[keep]
        guard += 1
        if guard > 100_000:  # pragma: no cover - defensive
            raise RuntimeError("inverse CDF search did not converge")
    return k


def _poisson_ratio(k, lam):
    return lam / (k + 1.0)


def poisson_from_uniform(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson(mean) quantiles of ``u`` (exact inverse CDF), as float64."""
    shape = np.shape(u)
    lam = np.broadcast_to(np.asarray(mean, dtype=np.float64), shape).ravel().copy()
    u = np.asarray(u, dtype=np.float64).ravel()
    out = np.zeros(u.shape, dtype=np.float64)
    positive = lam > 0
    if not positive.any():
        return out.reshape(shape)
    small = positive & (lam < _SEARCH_FROM_MODE)
    if small.any():
        # Most slow movers draw 0: handle that without the search.
        uu, ll = u[small], lam[small]
        p0 = np.exp(-ll)
        res = np.zeros(uu.shape)
        more = uu > p0
        if more.any():
            k = np.zeros(int(more.sum()))
            res[more] = _search(uu[more], k, p0[more].copy(), p0[more].copy(),
                                _poisson_ratio, [ll[more]])
        out[small] = res
    large = positive & ~small
    if large.any():
        uu, ll = u[large], lam[large]
        k = np.floor(ll)
        cdf = special.pdtr(k, ll)
        pmf = np.exp(k * np.log(ll) - ll - special.gammaln(k + 1.0))
        out[large] = _search(uu, k, cdf, pmf, _poisson_ratio, [ll])
    return out.reshape(shape)


def poisson_above_zero(u: np.ndarray, mean: np.ndarray, p_zero: np.ndarray | None = None) -> np.ndarray:
    """Poisson(mean) quantiles of ``u`` where ``u > p_zero = exp(-mean)`` (so each is >= 1).

    Equals :func:`poisson_from_uniform` on those elements; the search starts at 1.
    ``p_zero`` in double precision saves working it out again (in single precision it is not used).
    """
    u = np.asarray(u, dtype=np.float64)
    lam = np.asarray(mean, dtype=np.float64)
    out = np.empty(u.shape, dtype=np.float64)
    small = lam < _SEARCH_FROM_MODE
    if small.any():
        lam_s = lam[small]
        p0 = p_zero[small] if p_zero is not None and p_zero.dtype == np.float64 else np.exp(-lam_s)
        pmf = p0 * lam_s
        out[small] = _search(u[small], np.ones(lam_s.shape), p0 + pmf, pmf, _poisson_ratio, [lam_s])
    if not small.all():
        out[~small] = poisson_from_uniform(u[~small], lam[~small])
    return out


def _negbin_ratio(k, n, q):
    return (k + n) / (k + 1.0) * q


def negbin_from_uniform(u: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Negative binomial quantiles of ``u`` for the given mean and sd (sd^2 > mean).

    Parametrised with ``n = mean^2 / (sd^2 - mean)`` successes and success
    probability ``p = mean / sd^2``.
    """
    shape = np.shape(u)
    mean = np.broadcast_to(np.asarray(mean, dtype=np.float64), shape).ravel()
    sd = np.broadcast_to(np.asarray(sd, dtype=np.float64), shape).ravel()
    u = np.asarray(u, dtype=np.float64).ravel()
    out = np.zeros(u.shape, dtype=np.float64)
    positive = mean > 0
    if not positive.any():
        return out.reshape(shape)
    uu, m, v = u[positive], mean[positive], sd[positive] ** 2
    p = m / v
    n = m * m / (v - m)
    q = 1.0 - p
    k = np.where(m < _SEARCH_FROM_MODE, 0.0, np.floor(m))
    cdf = special.betainc(n, k + 1.0, p)
    pmf = np.exp(special.gammaln(k + n) - special.gammaln(n) - special.gammaln(k + 1.0)
                 + n * np.log(p) + k * np.log(q))
    out[positive] = _search(uu, k, cdf, pmf, _negbin_ratio, [n, q])
    return out.reshape(shape)


def normal_from_uniform(u: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Normal quantiles of ``u``, negative values set to 0 (sd = 0 gives the mean exactly)."""
    sd = np.asarray(sd, dtype=np.float64)
    z = special.ndtri(np.clip(u, 1e-300, 1.0 - 2**-53))
    x = np.asarray(mean) + np.where(sd > 0, sd * z, 0.0)
    return np.maximum(x, 0.0)


def lognormal_params(mean: float, sd: float) -> tuple[float, float]:
    """(mu, sigma) of the underlying normal for a lognormal with this mean and sd."""
    sigma2 = np.log1p((sd / mean) ** 2)
    return float(np.log(mean) - sigma2 / 2.0), float(np.sqrt(sigma2))


def duration_from_uniform(spec: dict, u: np.ndarray) -> np.ndarray:
    """Durations in days for a resolved duration spec (see :mod:`twin.model`).

    ``spec`` is ``{"dist": ..., "mean": ..., "sd": ..., "values": array}``.
    """
    dist = spec["dist"]
    if dist == "deterministic":
        return np.full(np.shape(u), spec["mean"], dtype=np.float64)
    if dist == "normal":
        return normal_from_uniform(u, spec["mean"], spec["sd"])
    if dist == "lognormal":
        if spec["sd"] == 0:
            return np.full(np.shape(u), spec["mean"])
        mu, sigma = lognormal_params(spec["mean"], spec["sd"])
        return np.exp(mu + sigma * special.ndtri(u))
    if dist == "gamma":
        if spec["sd"] == 0:
            return np.full(np.shape(u), spec["mean"])
        shape = (spec["mean"] / spec["sd"]) ** 2
        scale = spec["sd"] ** 2 / spec["mean"]
        return special.gammaincinv(shape, u) * scale
    if dist == "empirical":
        values = np.asarray(spec["values"], dtype=np.float64)
        index = np.minimum((np.asarray(u) * len(values)).astype(np.int64), len(values) - 1)
        return values[index]
    raise ValueError(f"unknown duration distribution {dist!r}")
