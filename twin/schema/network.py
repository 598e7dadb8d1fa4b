"""Schema of a network file (YAML): SKUs, nodes, lanes.

The field docstrings here are the reference documentation of the file
format (see ``docs/file-formats.md``).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from twin.schema.common import Duration, NonNegative, PerSku, Positive, Strict

NodeKind = Literal["supplier", "hub", "dc", "store"]


class Sku(Strict):
    """A stock-keeping unit."""

    id: str = Field(min_length=1)
    """Unique identifier of the SKU."""
    unit_cost: NonNegative
    """Purchase cost per unit, USD."""
    price: NonNegative
    """Selling price per unit at stores, USD."""
    weight_kg: NonNegative = 0.0
    """Weight of one unit in kg (used by per-kg-km transport costs and cost allocation)."""
    segment: str | None = None
    """Free label, e.g. an ABC class."""
    category: str = "general"
    """Product category; nodes may source each category from a different node."""


class _DemandBase(Strict):
    weekly: list[Annotated[float, Field(ge=0)]] | None = None
    """Seven day-of-week multipliers of the mean (day 0 of the run is the first)."""
    annual_amplitude: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Relative amplitude of a yearly sine wave on the mean (0.2 = +/-20%)."""
    annual_peak_day: int = 0
    """Day of the year on which the yearly wave peaks."""
    scale: Positive = 1.0
    """Multiplier of the mean (and sd) at this node, e.g. a store's size."""

    @field_validator("weekly")
    @classmethod
    def _seven(cls, value):
        if value is not None and len(value) != 7:
            raise ValueError(f"'weekly' needs exactly 7 multipliers (one per day of the week), got {len(value)}")
        return value


class PoissonDemand(_DemandBase):
    """Poisson demand per SKU per day."""

    dist: Literal["poisson"]
    mean: PerSku
    """Mean units per day."""


class NormalDemand(_DemandBase):
    """Normal demand per SKU per day; negative draws are set to 0, quantities may be fractional."""

    dist: Literal["normal"]
    mean: PerSku
    """Mean units per day."""
    sd: PerSku
    """Standard deviation of units per day."""


class NegbinDemand(_DemandBase):
    """Negative binomial demand per SKU per day (over-dispersed counts: sd^2 > mean)."""

    dist: Literal["negbin"]
    mean: PerSku
    """Mean units per day."""
    sd: PerSku
    """Standard deviation of units per day (must exceed sqrt(mean))."""


class DeterministicDemand(_DemandBase):
    """The same demand every day (times the weekly and yearly factors); quantities may be fractional."""

    dist: Literal["deterministic"]
    mean: PerSku
    """Units per day."""


Demand = Annotated[Union[PoissonDemand, NormalDemand, NegbinDemand, DeterministicDemand],
                   Field(discriminator="dist")]


class _PolicyBase(Strict):
    service_level: Annotated[float, Field(gt=0, lt=1)] | None = None
    """Target cycle service level; when given, missing parameters are derived from demand and lead time."""
    review_days: Annotated[int, Field(ge=1)] = 1
    """Review period in days (1 = every day)."""


class BaseStockPolicy(_PolicyBase):
    """Order up to ``level`` every review."""

    type: Literal["base_stock"]
    level: PerSku | None = None
    """Base-stock (order-up-to) level in units."""

    @model_validator(mode="after")
    def _given(self):
        if (self.level is None) == (self.service_level is None):
            raise ValueError("give either 'level' or 'service_level' (not both)")
        return self


class SSPolicy(_PolicyBase):
    """When inventory position <= s, order up to S."""

    type: Literal["sS"]
    s: PerSku | None = None
    """Reorder point in units."""
    S: PerSku | None = None
    """Order-up-to level in units (must exceed s)."""
    Q: PerSku | None = None
    """With ``service_level``: the gap S - s (default: economic order quantity)."""

    @model_validator(mode="after")
    def _given(self):
        explicit = self.s is not None and self.S is not None
        if self.service_level is None and not explicit:
            raise ValueError("give 's' and 'S', or 'service_level'")
        if self.service_level is not None and (self.s is not None or self.S is not None):
            raise ValueError("give 's' and 'S', or 'service_level', not both")
        return self


class SQPolicy(_PolicyBase):
    """When inventory position <= s, order the smallest multiple of Q that lifts it above s."""

    type: Literal["sQ"]
    s: PerSku | None = None
    """Reorder point in units."""
    Q: PerSku | None = None
    """Order quantity (batch size) in units."""

    @model_validator(mode="after")
    def _given(self):
        if self.service_level is None and (self.s is None or self.Q is None):
            raise ValueError("give 's' and 'Q', or 'service_level' (optionally with 'Q')")
        if self.service_level is not None and self.s is not None:
            raise ValueError("give 's' or 'service_level', not both")
        return self


class MovingAverage(Strict):
    """Forecast = mean of the last ``window_days`` days of demand."""

    method: Literal["moving_average"]
    window_days: Annotated[int, Field(ge=1)]
    """Number of days averaged."""


class ExponentialSmoothing(Strict):
    """Forecast = alpha * demand + (1 - alpha) * previous forecast."""

    method: Literal["exponential_smoothing"]
    alpha: Annotated[float, Field(gt=0, le=1)]
    """Smoothing constant."""


Forecast = Annotated[Union[MovingAverage, ExponentialSmoothing], Field(discriminator="method")]


class OrderUpToPolicy(_PolicyBase):
    """Forecast-driven order-up-to: target = lead time x forecast + safety stock, recomputed daily."""

    type: Literal["order_up_to"]
    forecast: Forecast
    """How the daily demand forecast is made."""
    safety_stock: PerSku = 0.0
    """Units added to the target."""


Policy = Annotated[Union[BaseStockPolicy, SSPolicy, SQPolicy, OrderUpToPolicy], Field(discriminator="type")]


class Node(Strict):
    """A supplier, transit hub, distribution centre or store."""

    id: str = Field(min_length=1)
    """Unique identifier of the node."""
    kind: NodeKind
    """One of supplier, hub, dc, store."""
    location: tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]] | None = None
    """[latitude, longitude] in degrees."""
    city: str | None = None
    """Name of the place (informational)."""
    region: str | None = None
    """Region label, usable in disruption selectors."""
    tags: list[str] = []
    """Free labels, usable in disruption selectors."""
    source: str | dict[str, str] | None = None
    """Node this node orders from, or a mapping from SKU category to node ('*' = any other)."""
    alternate_sources: list[str] | dict[str, list[str]] | None = None
    """Nodes to order from, in this order, while the source is closed or failed (or per category)."""
    expedite_below_days_of_supply: NonNegative | None = None
    """Ship to this node by the lanes' expedited mode while its days of supply are below this."""
    unmet_demand: Literal["lost", "backorder"] | None = None
    """What happens to demand that cannot be served (stores default lost, others backorder)."""
    holding_cost_per_unit_day: PerSku | None = None
    """Holding cost per unit per day, USD (default: network holding rate x unit cost / 365)."""
    backorder_cost_per_unit_day: PerSku = 0.0
    """Cost per backordered unit per day, USD."""
    lost_sale_cost_per_unit: PerSku = 0.0
    """Penalty per unit of lost demand, USD (goodwill; lost revenue is already lost)."""
    order_cost: NonNegative = 0.0
    """Fixed cost per order line (per SKU ordered on a day), USD."""
    lead_time_days: Duration | None = None
    """Suppliers: processing time before goods leave, days."""
    capacity_units_per_day: Positive | None = None
    """Hubs, suppliers and DCs: units handled (hubs) or shipped per day (absent = unlimited)."""
    handling_days: NonNegative = 0.0
    """Hubs: time goods spend in the hub, days."""
    initial_on_hand: PerSku | None = None
    """Units on hand at the start (default: the policy's order-up-to level)."""
    demand: Demand | None = None
    """Stores: customer demand per SKU per day."""
    policy: Policy | None = None
    """Stores and DCs: replenishment policy (default: base stock for a 95% service level)."""
    ttr_days: Positive | None = None
    """Time to recover: days the node needs to be back at full function after it is lost; ``twin stress`` closes it this long (``--ttr-days`` overrides)."""


class Expedite(Strict):
    """A faster, dearer way to use a lane."""

    transit_days: Duration
    """Transit time when expedited."""
    cost_multiplier: Annotated[float, Field(ge=1)] = 2.0
    """Multiplier of the lane's cost when expedited."""


class Lane(Strict):
    """A transport link between two nodes."""

    from_: str = Field(alias="from", min_length=1)
    """Node goods leave."""
    to: str = Field(min_length=1)
    """Node goods reach."""
    mode: Literal["truck", "rail", "air", "sea", "barge", "parcel"] = "truck"
    """Transport mode."""
    distance_km: NonNegative | None = None
    """Lane length in km (default: great-circle distance between the node locations)."""
    transit_days: Duration
    """Transit time: a number (deterministic) or a distribution."""
    cost_per_shipment: NonNegative = 0.0
    """Fixed cost per shipment (one per lane per day), USD."""
    cost_per_unit: NonNegative = 0.0
    """Cost per unit carried, USD."""
    cost_per_unit_km: NonNegative = 0.0
    """Cost per unit per km, USD."""
    cost_per_kg_km: NonNegative = 0.0
    """Cost per kg per km, USD."""
    fuel_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Share of the lane's cost that is fuel (what fuel-price events scale)."""
    capacity_units_per_day: Positive | None = None
    """Units that may leave on the lane per day (absent = unlimited); the rest waits."""
    expedite: Expedite | None = None
    """An expedited mode (used for nodes with ``expedite_below_days_of_supply``)."""
    backup: bool = False
    """A contingency lane: not on planned routes (unless nothing else connects), used to reroute."""


class NetworkFile(Strict):
    """A supply network: SKUs, nodes and lanes."""

    name: str = Field(min_length=1)
    """Name of the network."""
    description: str | None = None
    """Free text."""
    holding_rate_per_year: Annotated[float, Field(ge=0)] = 0.25
    """Annual carrying cost as a share of unit cost (default holding cost)."""
    skus: list[Sku] | str
    """SKU list, or path of a CSV/Parquet table with the same columns."""
    nodes: list[Node] = Field(min_length=1)
    """Suppliers, hubs, DCs and stores."""
    lanes: list[Lane] = []
    """Transport links."""
