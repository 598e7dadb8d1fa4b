"""Replenishment policies, vectorised over nodes x SKUs.

Every policy reviews the inventory position ``IP = on hand + on order -
backorders`` and orders when ``IP <= s``:

* ``base_stock``  order up to ``level`` (``s = S = level``);
* ``sS``          order up to ``S``;
* ``sQ``          order the smallest multiple of ``Q`` that lifts IP above ``s``;
* ``order_up_to`` order up to ``L x forecast + safety_stock``, recomputed daily.

With ``service_level`` the parameters are derived from the mean and variance
of daily demand and of the lead time (normal approximation of demand over the
protection period ``P = lead time + review period - 1`` days):

    sigma_P = sqrt(P * var_demand + mean_demand^2 * var_lead_time)
    s       = P * mean_demand + z * sigma_P,     z = Phi^-1(service_level)
    Q       = EOQ = sqrt(2 * order_cost * mean_demand / holding_per_day)
              (one review period of demand when there is no order cost)

In a whole-unit network, ``s``, ``S`` and ``Q`` are rounded up to whole units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

UP_TO = 0  # order up to S when IP <= s (base_stock, sS, order_up_to)
BATCH = 1  # order multiples of Q when IP <= s (sQ)


@dataclass
class Derived:
    """Policy parameters for one node, arrays over SKUs."""

    s: np.ndarray
    S: np.ndarray
    Q: np.ndarray
    rule: int


def order_quantity(ip: np.ndarray, s: np.ndarray, S: np.ndarray, Q: np.ndarray,
                   rule: np.ndarray) -> np.ndarray:
    """Units to order given inventory position ``ip`` (all arrays broadcast).

    ``rule`` is :data:`UP_TO` or :data:`BATCH` per row (shape ``(n, 1)``).
    """
    due = ip <= s
    up_to = np.where(due, np.maximum(S - ip, 0.0), 0.0)
    if not np.any(rule == BATCH):
        return up_to
    with np.errstate(divide="ignore", invalid="ignore"):
        batches = np.floor((s - ip) / Q) + 1.0
    batch = np.where(due & (Q > 0), batches * Q, 0.0)
    return np.where(rule == BATCH, batch, up_to)


def z_value(service_level: float) -> float:
    """Standard normal quantile of ``service_level``."""
    return float(special.ndtri(service_level))


def protection_days(lead_time_days: float, review_days: int) -> float:
    """Days of demand an order must cover: lead time + review period - 1."""
    return lead_time_days + review_days - 1


def reorder_point(mean: np.ndarray, var: np.ndarray, protection: float,
                  lead_time_var: float, service_level: float) -> np.ndarray:
    """Mean demand over the protection period plus z standard deviations."""
    sigma = np.sqrt(protection * var + mean**2 * lead_time_var)
    return protection * mean + z_value(service_level) * sigma


def economic_order_quantity(mean: np.ndarray, order_cost: float, holding_per_day: np.ndarray,
                            review_days: int) -> np.ndarray:
    """EOQ per SKU; one review period of demand where there is no order cost."""
    if order_cost > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            eoq = np.sqrt(2.0 * order_cost * mean / holding_per_day)
        return np.where(np.isfinite(eoq), eoq, mean * review_days)
    return mean * review_days


def derive(policy, given: dict[str, np.ndarray], mean: np.ndarray, var: np.ndarray,
           lead_time_mean: float, lead_time_var: float, order_cost: float,
           holding_per_day: np.ndarray, integral: bool) -> Derived:
    """Parameters of ``policy`` (a schema object) for one node.

    ``given`` holds the explicit per-SKU arrays resolved from the file
    (``level``, ``s``, ``S``, ``Q``, ``safety_stock``) when present.
    """
    review = policy.review_days
    protection = protection_days(lead_time_mean, review)
    rnd = np.ceil if integral else (lambda x: x)
    kind = policy.type
    if kind == "order_up_to":
        zeros = np.zeros_like(mean)
        target = protection * mean + given["safety_stock"]
        return Derived(s=target, S=target, Q=zeros, rule=UP_TO)
    sl = policy.service_level
    if kind == "base_stock":
        level = given["level"] if sl is None else rnd(reorder_point(mean, var, protection, lead_time_var, sl))
        return Derived(s=level, S=level, Q=np.zeros_like(level), rule=UP_TO)
    if sl is None:
        s = given["s"]
    else:
        s = rnd(reorder_point(mean, var, protection, lead_time_var, sl))
    if kind == "sS":
        if sl is None:
            S = given["S"]
        else:
            q = given.get("Q")
            if q is None:
                q = economic_order_quantity(mean, order_cost, holding_per_day, review)
            S = s + np.maximum(rnd(q), np.where(mean > 0, 1.0 if integral else 0.0, 0.0))
        return Derived(s=s, S=S, Q=np.zeros_like(s), rule=UP_TO)
    # sQ
    q = given.get("Q")
    if q is None:
        q = economic_order_quantity(mean, order_cost, holding_per_day, review)
    q = rnd(q)
    if integral:
        q = np.where(mean > 0, np.maximum(q, 1.0), q)
    return Derived(s=s, S=s + q, Q=q, rule=BATCH)
