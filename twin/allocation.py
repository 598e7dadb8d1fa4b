"""Sharing scarce stock between requests.

When a node cannot fill every order it holds, each SKU's available units are
shared in proportion to the units requested (the proportional rule). In a
network of whole units (Poisson or negative-binomial demand, integer
parameters) shares are rounded down and the units left over go, one each, to
the requests with the largest remainders (largest-remainder rounding; ties go
to the earlier request), so nothing is created, lost or split.
"""

from __future__ import annotations

import numpy as np


def allocate(available: np.ndarray, requests: np.ndarray, integral: bool) -> np.ndarray:
    """Units shipped to each request.

    Parameters
    ----------
    available : (K,) array
        Units on hand of each SKU.
    requests : (m, K) array
        Units requested of each SKU by each of ``m`` requesters.
    integral : bool
        Whether quantities are whole units.

    Returns
    -------
    (m, K) array
        ``shipped`` with ``0 <= shipped <= requests`` and, per SKU,
        ``shipped.sum(0) == min(available, requests.sum(0))``.
    """
    requests = np.asarray(requests, dtype=np.float64)
    total = requests.sum(axis=0)
    short = total > available
    if not short.any():
        return requests.copy()
    shipped = requests.copy()
    cols = np.flatnonzero(short)
    req = requests[:, cols]
    avail = np.maximum(np.asarray(available, dtype=np.float64)[cols], 0.0)
    ratio = avail / total[cols]
    share = req * ratio
    if integral:
        base = np.floor(share + 1e-9)
        base = np.minimum(base, req)
        left = np.floor(avail + 1e-9) - base.sum(axis=0)
        remainder = np.where(base < req, share - base, -1.0)
        order = np.argsort(-remainder, axis=0, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(req.shape[0])[:, None], axis=0)
        base += (rank < left) & (base < req)
        share = base
    shipped[:, cols] = share
    return shipped


def split_amount(vector: np.ndarray, amount: float, integral: bool) -> np.ndarray:
    """The part of a shipment ``vector`` (units per SKU) that fits in ``amount`` units.

    SKUs get room in proportion to their units (largest-remainder rounding in
    whole units). Returns the part that goes; ``vector - part`` stays.
    """
    total = float(vector.sum())
    if amount >= total:
        return vector.copy()
    if amount <= 0:
        return np.zeros_like(vector)
    part = allocate(np.array([amount]), vector.reshape(-1, 1), integral)
    return part.ravel()
