"""The stock ledger: units are never created or lost by accident.

For every node and day::

    start + received - shipped - sold - destroyed - newly held = end

(units put on a quality hold leave the usable stock and come back when released)

and for the network as a whole, units shipped by suppliers and DCs minus
units received by DCs and stores equals the change of stock in transit.
Suppliers are unlimited sources: their ``received_units`` are the units they
make. Hubs hold goods in transit; their on-hand is what waits in them.
"""

from __future__ import annotations

import numpy as np

from twin.model import Model


class ConservationError(AssertionError):
    """Raised when a run's stock ledger does not balance (a bug in the engine)."""


def violations(model: Model, daily: dict[str, np.ndarray], initial_on_hand: np.ndarray | None = None) -> list[str]:
    """Every (node, day) where the ledger does not balance, as readable lines."""
    on_hand = daily["on_hand_units"]
    initial = (model.initial_on_hand.sum(axis=1) if initial_on_hand is None else initial_on_hand)
    start = np.vstack([initial[None, :], on_hand[:-1]])
    destroyed = daily.get("destroyed_units", np.zeros_like(on_hand))
    held = daily.get("held_units", np.zeros_like(on_hand))
    newly_held = held - np.vstack([np.zeros((1, held.shape[1])), held[:-1]])
    expected = (start + daily["received_units"] - daily["shipped_units"] - daily["sold_units"] - destroyed
                - newly_held)
    scale = max(1.0, float(np.abs(on_hand).max(initial=0.0)), float(np.abs(initial).max(initial=0.0)))
    tolerance = 1e-6 if model.integral else 1e-9 * scale * max(1, on_hand.shape[0])
    problems = []
    bad = np.argwhere(np.abs(expected - on_hand) > tolerance)
    for day, row in bad[:10]:
        problems.append(f"node {model.node_ids[row]} day {day}: start {start[day, row]:g} + received "
                        f"{daily['received_units'][day, row]:g} - shipped {daily['shipped_units'][day, row]:g} "
                        f"- sold {daily['sold_units'][day, row]:g} != end {on_hand[day, row]:g}")
    kinds = np.array(model.kinds)
    senders = np.isin(kinds, ("supplier", "dc"))
    receivers = np.isin(kinds, ("dc", "store"))
    flow = daily["shipped_units"][:, senders].sum(axis=1) - daily["received_units"][:, receivers].sum(axis=1)
    transit = daily["in_transit_units"][:, receivers].sum(axis=1)
    expected_transit = np.cumsum(flow)
    drift = np.abs(expected_transit - transit)
    ttol = 1e-6 if model.integral else 1e-9 * max(1.0, float(np.abs(transit).max(initial=0.0))) * len(transit)
    for day in np.flatnonzero(drift > ttol)[:10]:
        problems.append(f"network day {day}: shipped minus received since day 0 is {expected_transit[day]:g} "
                        f"but {transit[day]:g} units are in transit")
    hubs = kinds == "hub"
    if hubs.any() and (on_hand[:, hubs].sum(axis=1) > transit + ttol).any():
        problems.append("hubs hold more units than are in transit")
    return problems


def check(model: Model, daily: dict[str, np.ndarray]) -> None:
    """Raise :class:`ConservationError` if the ledger of a run does not balance."""
    found = violations(model, daily)
    if found:
        raise ConservationError("stock ledger does not balance:\n  " + "\n  ".join(found))
