"""Schema of a scenario file (YAML): a network, a horizon, disruptions, mitigations, a sweep."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, field_validator, model_validator

from twin.schema.common import NonNegative, Strict


class NodeSelector(Strict):
    """Selects nodes by id, kind, tag and/or region (all given criteria must hold)."""

    ids: list[str] | None = None
    """Node ids."""
    kind: Literal["supplier", "hub", "dc", "store"] | None = None
    """Node kind."""
    tag: str | None = None
    """A tag listed in the node's ``tags``."""
    region: str | None = None
    """The node's ``region``."""


class LaneSelector(Strict):
    """Selects lanes by their ends and/or mode (all given criteria must hold)."""

    from_: str | None = Field(default=None, alias="from")
    """Node id goods leave."""
    to: str | None = None
    """Node id goods reach."""
    mode: str | None = None
    """Transport mode."""


class SkuSelector(Strict):
    """Selects SKUs by id, segment and/or category (all given criteria must hold)."""

    ids: list[str] | None = None
    """SKU ids."""
    segment: str | None = None
    """SKU segment."""
    category: str | None = None
    """SKU category."""


class _Event(Strict):
    name: str | None = None
    """Name, for chaining (``after``) and for ``--set disruptions.<name>...``."""
    start_day: NonNegative | None = None
    """Day the disruption starts (day 0 is the first simulated day, warm-up included)."""
    start_window: tuple[NonNegative, NonNegative] | None = None
    """Random start: a day drawn uniformly in ``[a, b]``, per replication."""
    after: str | None = None
    """Starts when the disruption of this name ends (plus ``delay_days``)."""
    delay_days: NonNegative = 0.0
    """With ``after``: days between that disruption's end and this one's start."""
    duration_days: NonNegative | None = None
    """How long it lasts, in days."""
    end_day: NonNegative | None = None
    """Day it ends (exclusive); alternative to ``duration_days`` with ``start_day``."""
    probability: Annotated[float, Field(ge=0, le=1)] = 1.0
    """Chance that it happens at all in a replication (drawn from its own random stream)."""

    needs_duration: ClassVar[bool] = True

    @model_validator(mode="after")
    def _timing(self):
        starts = [self.start_day is not None, self.start_window is not None, self.after is not None]
        if sum(starts) != 1:
            raise ValueError("give exactly one of 'start_day', 'start_window: [a, b]' or 'after: <name>'")
        if self.start_window is not None and self.start_window[1] < self.start_window[0]:
            raise ValueError("'start_window' must be [earliest, latest]")
        if self.end_day is not None:
            if self.start_day is None:
                raise ValueError("'end_day' needs 'start_day'; use 'duration_days' with a random or chained start")
            if self.duration_days is not None:
                raise ValueError("give either 'duration_days' or 'end_day', not both")
            if self.end_day < self.start_day:
                raise ValueError("'end_day' is before 'start_day'")
        elif self.duration_days is None and self.needs_duration:
            raise ValueError("give either 'duration_days' or 'end_day'")
        return self

    def length(self) -> float | None:
        """Duration in days (None = unbounded)."""
        if self.end_day is not None:
            return self.end_day - self.start_day
        return self.duration_days


class _NodeTarget(_Event):
    node: str | None = None
    """Id of the node."""
    nodes: NodeSelector | None = None
    """Selector of nodes (alternative to ``node``)."""

    @model_validator(mode="after")
    def _target(self):
        if (self.node is None) == (self.nodes is None):
            raise ValueError("give either 'node: <id>' or 'nodes: {ids/kind/tag/region}'")
        return self


class NodeClosure(_NodeTarget):
    """A node stops: a hub handles nothing, a DC ships and receives nothing, a store sells and
    receives nothing, a supplier ships nothing."""

    type: Literal["node_closure"]


class HubClosure(_NodeTarget):
    """A hub handles nothing while closed; goods bound through it wait (or reroute) and move on when it reopens."""

    type: Literal["hub_closure"]


class LaneClosure(_Event):
    """A lane carries nothing; goods wait at its start (or reroute)."""

    type: Literal["lane_closure"]
    lanes: LaneSelector
    """Lanes closed."""


class CapacityLoss(_Event):
    """Capacity of nodes or lanes drops to ``fraction``, then recovers."""

    type: Literal["capacity_loss"]
    node: str | None = None
    """Id of the node (hub, supplier or DC with a capacity)."""
    nodes: NodeSelector | None = None
    """Selector of nodes."""
    lanes: LaneSelector | None = None
    """Selector of lanes (with a capacity)."""
    fraction: Annotated[float, Field(ge=0, le=1)]
    """Capacity left during the disruption, as a share of normal capacity."""
    recovery: Literal["step", "linear", "exponential"] = "step"
    """How capacity comes back after the disruption ends."""
    recovery_days: NonNegative = 0.0
    """Days the recovery takes (exponential: 95% of the gap closed)."""

    @model_validator(mode="after")
    def _target(self):
        if sum(x is not None for x in (self.node, self.nodes, self.lanes)) != 1:
            raise ValueError("give one of 'node', 'nodes: {...}' or 'lanes: {...}'")
        return self


class FuelPrice(_Event):
    """Fuel price change: the fuel share of transport cost scales by (1 + change_pct/100)."""

    type: Literal["fuel_price"]
    change_pct: Annotated[float, Field(gt=-100)]
    """Change of the fuel price in percent (10 = +10%)."""
    modes: list[str] | None = None
    """Only lanes of these modes (default: all)."""
    lanes: LaneSelector | None = None
    """Only these lanes (default: all)."""


class TransportCost(_Event):
    """Transport rates change: the whole cost of legs scales by (1 + change_pct/100)."""

    type: Literal["transport_cost"]
    change_pct: Annotated[float, Field(gt=-100)]
    """Change of the transport cost in percent."""
    modes: list[str] | None = None
    """Only lanes of these modes (default: all)."""
    lanes: LaneSelector | None = None
    """Only these lanes (default: all)."""


class LeadTimeShock(_Event):
    """Transit (and/or supplier processing) times of shipments leaving in the window change."""

    type: Literal["lead_time_shock"]
    lanes: LaneSelector | None = None
    """Lanes whose transit times change."""
    supplier: str | None = None
    """Supplier whose processing time (``lead_time_days``) changes."""
    multiply: Annotated[float, Field(ge=0)] = 1.0
    """Multiplier of the time."""
    add_days: float = 0.0
    """Days added to the time (after multiplying; the result is never below 0)."""
    variability: Annotated[float, Field(ge=0)] = 1.0
    """Multiplier of the deviation of each time from its mean (2 = twice as variable)."""

    @model_validator(mode="after")
    def _target(self):
        if self.lanes is None and self.supplier is None:
            raise ValueError("give 'lanes: {from/to/mode}' and/or 'supplier: <id>'")
        return self


class DemandDip(Strict):
    """Demand after a shock (customers who stocked up buy less)."""

    multiply: Annotated[float, Field(ge=0)]
    """Multiplier of demand during the dip."""
    days: NonNegative
    """Length of the dip in days."""


class DemandShock(_Event):
    """Customer demand is multiplied (panic buying, a promotion, a collapse)."""

    type: Literal["demand_shock"]
    node: str | None = None
    """Id of a store (default: every store)."""
    nodes: NodeSelector | None = None
    """Selector of stores (default: every store)."""
    skus: SkuSelector | None = None
    """SKUs affected (default: all)."""
    multiply: Annotated[float, Field(ge=0)]
    """Multiplier of mean demand during the shock."""
    dip: DemandDip | None = None
    """Optional pull-forward dip after the shock."""


class SupplierFailure(_Event):
    """A supplier stops shipping, for good or until it is re-qualified."""

    type: Literal["supplier_failure"]
    supplier: str | None = None
    """Id of the supplier."""
    nodes: NodeSelector | None = None
    """Selector of suppliers."""
    requalification_days: NonNegative | None = None
    """Days until it ships again (default: never)."""

    needs_duration: ClassVar[bool] = False

    @model_validator(mode="after")
    def _target(self):
        if (self.supplier is None) == (self.nodes is None):
            raise ValueError("give either 'supplier: <id>' or 'nodes: {...}'")
        if self.duration_days is not None or self.end_day is not None:
            raise ValueError("a supplier failure lasts until 'requalification_days' (or for good); "
                             "remove 'duration_days'/'end_day'")
        return self


class InventoryLoss(_NodeTarget):
    """Part of a node's stock is destroyed (fire, flood) or held (quality hold) and released later."""

    type: Literal["inventory_loss"]
    fraction: Annotated[float, Field(ge=0, le=1)]
    """Share of on-hand lost."""
    mode: Literal["destroy", "hold"] = "destroy"
    """``destroy``: gone for good; ``hold``: unusable until the end of the window, then released."""
    skus: SkuSelector | None = None
    """SKUs affected (default: all)."""

    needs_duration: ClassVar[bool] = False

    @model_validator(mode="after")
    def _hold(self):
        if self.mode == "hold" and self.length() is None:
            raise ValueError("a hold needs 'duration_days' (or 'end_day'): when the stock is released")
        return self


Disruption = Annotated[
    Union[NodeClosure, HubClosure, LaneClosure, CapacityLoss, FuelPrice, TransportCost, LeadTimeShock,
          DemandShock, SupplierFailure, InventoryLoss],
    Field(discriminator="type"),
]


class Mitigation(Strict):
    """A lever: a named set of overrides simulated as one more variant, on the same random numbers."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    """Name of the variant (letters, digits, '.', '_' and '-')."""
    description: str | None = None
    """What the lever is."""
    overrides: dict[str, Any] = Field(min_length=1)
    """Key paths and values, e.g. ``network.nodes.dc-joliet.policy.service_level: 0.99`` or ``reroute: cheapest``."""


class Resilience(Strict):
    """Thresholds of the resilience metrics (``resilience.parquet``, the review page)."""

    fill_rate_threshold: Annotated[float, Field(gt=0, le=1)] = 0.95
    """Fill rate below which a day counts as a day below threshold (time below threshold)."""
    days_of_supply_threshold: Annotated[float, Field(gt=0, le=1)] = 0.5
    """Share of a node's average baseline days of supply below which a day counts as below threshold."""
    recovery_tolerance: Annotated[float, Field(gt=0, lt=1)] = 0.02
    """A KPI has recovered when it is back within this share of the baseline and stays there."""


class ScenarioFile(Strict):
    """A stress test: a network, a horizon, replications, disruptions, levers."""

    name: str = Field(min_length=1)
    """Name of the scenario (used in report folder names)."""
    description: str | None = None
    """Free text; the question the scenario answers."""
    extends: str | None = None
    """Another scenario file this one builds on (path relative to this file)."""
    network: str = Field(min_length=1)
    """Path of the network file, relative to this file."""
    horizon_days: Annotated[int, Field(ge=1)]
    """Days simulated, warm-up included."""
    warmup_days: Annotated[int, Field(ge=0)] = 0
    """First days excluded from KPIs."""
    replications: Annotated[int, Field(ge=1)] = 10
    """Independent replications (each runs every variant on the same random numbers)."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Root seed of every random stream."""
    reroute: Literal["wait", "cheapest", "fastest"] = "wait"
    """Goods bound through a closed hub or lane wait, or take the cheapest or fastest open path."""
    overrides: dict[str, Any] = {}
    """Changes to the network or scenario by key path, e.g. ``network.nodes.dc-joliet.policy.service_level: 0.99``."""
    disruptions: list[Disruption] = []
    """Timed disruptions (none = the scenario equals the baseline)."""
    mitigations: list[Mitigation] = []
    """Levers, each simulated as one more variant."""
    sweep: dict[str, list[float]] | None = None
    """One key path and its values, e.g. ``disruptions.closure.duration_days: [1, 2, 4, 7]``."""
    resilience: Resilience = Resilience()
    """Thresholds of the resilience metrics (time below threshold, time to recover)."""

    # Field validators, not one model validator: each problem is reported at its own key's line.
    @field_validator("warmup_days")
    @classmethod
    def _warmup_in_horizon(cls, value, info):
        horizon = info.data.get("horizon_days")
        if horizon is not None and value >= horizon:
            raise ValueError(f"'warmup_days' ({value}) must be less than 'horizon_days' ({horizon})")
        return value

    @field_validator("sweep")
    @classmethod
    def _one_sweep(cls, value):
        if value is not None:
            if len(value) != 1:
                raise ValueError(f"'sweep' takes one key path and its list of values (got {len(value)} key paths: "
                                 f"{', '.join(value)}); sweep one, and set the others with 'overrides'")
            if not next(iter(value.values())):
                raise ValueError("'sweep' needs at least one value")
        return value

    @field_validator("mitigations")
    @classmethod
    def _mitigation_names(cls, value):
        names = [m.name for m in value]
        for name in dict.fromkeys(names):
            if name in ("baseline", "scenario"):
                raise ValueError(f"a mitigation cannot be named '{name}' (that is a variant's name); rename it")
            if names.count(name) > 1:
                raise ValueError(f"mitigation name '{name}' is used {names.count(name)} times; names must be unique")
        return value
