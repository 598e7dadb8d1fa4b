"""The validated network as arrays: what the engine simulates.

Nodes are rows (ordered so that every tier of nodes processed together is a
contiguous block), SKUs are columns. Per node x SKU quantities are ``(N, K)``
float arrays; nothing is a Python object per SKU.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

STORE, STOCK, SUPPLIER = "store", "stock", "supplier"


@dataclass
class DurationSpec:
    """A resolved duration distribution (days)."""

    dist: str
    mean: float
    sd: float = 0.0
    values: np.ndarray | None = None

    @property
    def var(self) -> float:
        if self.dist == "empirical":
            return float(np.var(self.values))
        return self.sd**2

    @property
    def is_deterministic(self) -> bool:
        return self.dist == "deterministic" or self.var == 0.0

    def as_dict(self) -> dict:
        return {"dist": self.dist, "mean": self.mean, "sd": self.sd, "values": self.values}


@dataclass
class LaneInfo:
    """A transport lane between two node rows."""

    index: int
    source: int
    target: int
    mode: str
    distance_km: float
    transit: DurationSpec
    cost_per_shipment: float
    cost_per_unit: float
    cost_per_unit_km: float
    cost_per_kg_km: float
    fuel_share: float
    capacity: float = float("inf")
    expedite_transit: DurationSpec | None = None
    expedite_cost_multiplier: float = 1.0

    def variable_cost_usd(self, units: float, weight_kg: float) -> float:
        """Cost of carrying ``units`` weighing ``weight_kg`` (before events), without the fixed charge."""
        km = 0.0 if np.isnan(self.distance_km) else self.distance_km
        return (self.cost_per_unit * units + self.cost_per_unit_km * units * km
                + self.cost_per_kg_km * weight_kg * km)

    def cost_usd(self, units: float, weight_kg: float) -> float:
        """Cost of one shipment of ``units`` weighing ``weight_kg`` (before fuel events)."""
        return self.cost_per_shipment + self.variable_cost_usd(units, weight_kg)


@dataclass
class SupplyLink:
    """``child`` orders the SKUs in ``skus`` from ``source`` over ``lanes`` (through hubs).

    ``rank`` 0 is the node's source for those SKUs; 1, 2, ... its alternate
    sources, used in that order while the ones before are closed.
    """

    index: int
    source: int
    child: int
    skus: np.ndarray  # bool mask over SKUs
    lanes: list[int]
    hubs: list[int]
    rank: int = 0
    lead_time_mean: float = 0.0
    lead_time_var: float = 0.0
    protection_days: float = 1.0


@dataclass
class SupplyGroup:
    """SKUs a node orders together, and the links (by rank) it may order them over."""

    skus: np.ndarray
    links: list[int]


@dataclass
class Tier:
    """A block of rows ``start:stop`` processed together each day."""

    start: int
    stop: int
    role: str
    depth: int

    @property
    def rows(self) -> slice:
        return slice(self.start, self.stop)


@dataclass
class Model:
    """A network ready to simulate."""

    name: str
    sku_ids: list[str]
    unit_cost: np.ndarray
    price: np.ndarray
    weight_kg: np.ndarray
    segment: list[str | None]
    category: list[str]
    node_ids: list[str]
    kinds: list[str]
    location: np.ndarray  # (N, 2) lat, lon; NaN when unknown
    regions: list[str | None]
    tags: list[list[str]]
    graph: nx.DiGraph
    lanes: list[LaneInfo]
    links: list[SupplyLink]
    tiers: list[Tier]
    integral: bool
    # node x SKU parameters
    lost_sales: np.ndarray        # (N,) bool
    holding: np.ndarray           # (N, K) USD per unit-day
    backorder_cost: np.ndarray    # (N, K) USD per unit-day
    lost_sale_cost: np.ndarray    # (N, K) USD per unit
    order_cost: np.ndarray        # (N,) USD per order line
    initial_on_hand: np.ndarray   # (N, K)
    # demand at stores
    demand_dist: list[str | None]
    demand_mean: np.ndarray       # (N, K) mean per day before day factors (scale included)
    demand_sd: np.ndarray         # (N, K)
    weekly: np.ndarray            # (N, 7)
    annual_amplitude: np.ndarray  # (N,)
    annual_peak_day: np.ndarray   # (N,)
    # policies
    policy_type: list[str | None]
    review_days: np.ndarray       # (N,) int
    rule: np.ndarray              # (N,) UP_TO or BATCH
    limits: np.ndarray            # (N, K, 2): each position's reorder point s and order-up-to level S
    Q: np.ndarray                 # (N, K)
    safety_stock: np.ndarray      # (N, K) order_up_to only
    forecast: list[dict | None]   # per row: {"method", "window_days" | "alpha"}
    # demand statistics seen by each stocking node (own customers or downstream)
    mean_demand: np.ndarray       # (N, K) units per day
    var_demand: np.ndarray        # (N, K)
    # suppliers and hubs
    processing: dict[int, DurationSpec]
    capacity: np.ndarray          # (N,) units per day, inf = unlimited
    handling_days: np.ndarray     # (N,)
    groups: dict[int, list[SupplyGroup]] = field(default_factory=dict)  # child row -> groups
    expedite_below: np.ndarray | None = None  # (N,) days of supply; NaN = never expedite
    ttr_days: np.ndarray | None = None        # (N,) time to recover, days; NaN = not given
    cities: list[str | None] | None = None    # (N,) place names (informational)
    input_hashes: dict[str, str] = field(default_factory=dict)
    source_file: str = ""
    dtype: type = np.float64  # of the per node x SKU state arrays

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_skus(self) -> int:
        return len(self.sku_ids)

    def row(self, node_id: str) -> int:
        return self._row_of[node_id]

    def __post_init__(self) -> None:
        self._row_of = {n: i for i, n in enumerate(self.node_ids)}
        if self.expedite_below is None:
            self.expedite_below = np.full(len(self.node_ids), np.nan)
        if self.cities is None:
            self.cities = [None] * len(self.node_ids)
        if self.ttr_days is None:
            self.ttr_days = np.full(len(self.node_ids), np.nan)

    @property
    def s(self) -> np.ndarray:
        """(N, K) reorder points (a view of ``limits``)."""
        return self.limits[..., 0]

    @property
    def S(self) -> np.ndarray:
        """(N, K) order-up-to levels (a view of ``limits``: each S sits beside its s, read together)."""
        return self.limits[..., 1]

    @property
    def primary_links(self) -> list[SupplyLink]:
        return [link for link in self.links if link.rank == 0]

    @property
    def hub_rows(self) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k == "hub"]

    @functools.cached_property
    def daily_demand_units(self) -> np.ndarray:
        """Average units per day each node serves (its customers or its downstream).

        Worked out once (``mean_demand`` is not changed after the model is built).
        """
        return self.mean_demand.sum(axis=1)

    def day_factor(self, day: int) -> np.ndarray:
        """Multiplier of each node's mean demand on ``day`` (weekly and yearly pattern)."""
        weekly = self.weekly[:, day % 7]
        annual = 1.0 + self.annual_amplitude * np.cos(2 * np.pi * (day - self.annual_peak_day) / 365.0)
        return weekly * annual
