"""Schema of a scenario file (YAML): a network, a horizon and timed disruptions."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from twin.schema.common import NonNegative, Strict


class NodeSelector(Strict):
    """Selects nodes by kind, tag and/or region (all given criteria must hold)."""

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


class _Window(Strict):
    start_day: NonNegative
    """Day the disruption starts (day 0 is the first simulated day, warm-up included)."""
    duration_days: NonNegative | None = None
    """How long it lasts, in days."""
    end_day: NonNegative | None = None
    """Day it ends (exclusive); alternative to ``duration_days``."""

    @model_validator(mode="after")
    def _window(self):
        if (self.duration_days is None) == (self.end_day is None):
            raise ValueError("give either 'duration_days' or 'end_day'")
        if self.end_day is not None and self.end_day < self.start_day:
            raise ValueError("'end_day' is before 'start_day'")
        return self

    @property
    def end(self) -> float:
        """Day the disruption ends (exclusive)."""
        return self.end_day if self.end_day is not None else self.start_day + self.duration_days


class HubClosure(_Window):
    """A hub handles nothing while closed; goods bound through it wait and move on when it reopens."""

    type: Literal["hub_closure"]
    node: str | None = None
    """Id of the hub."""
    nodes: NodeSelector | None = None
    """Selector of hubs (alternative to ``node``)."""

    @model_validator(mode="after")
    def _target(self):
        if (self.node is None) == (self.nodes is None):
            raise ValueError("give either 'node: <hub id>' or 'nodes: {kind/tag/region}'")
        return self


class FuelPrice(_Window):
    """Fuel price change: the fuel share of transport cost scales by (1 + change_pct/100)."""

    type: Literal["fuel_price"]
    change_pct: Annotated[float, Field(gt=-100)]
    """Change of the fuel price in percent (10 = +10%)."""
    modes: list[str] | None = None
    """Only lanes of these modes (default: all)."""
    lanes: LaneSelector | None = None
    """Only these lanes (default: all)."""


class LeadTimeShock(_Window):
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

    @model_validator(mode="after")
    def _target(self):
        if self.lanes is None and self.supplier is None:
            raise ValueError("give 'lanes: {from/to/mode}' and/or 'supplier: <id>'")
        return self


Disruption = Annotated[Union[HubClosure, FuelPrice, LeadTimeShock], Field(discriminator="type")]


class ScenarioFile(Strict):
    """A stress test: a network, a horizon, replications and disruptions."""

    name: str = Field(min_length=1)
    """Name of the scenario (used in report folder names)."""
    description: str | None = None
    """Free text; the question the scenario answers."""
    network: str = Field(min_length=1)
    """Path of the network file, relative to this file."""
    horizon_days: Annotated[int, Field(ge=1)]
    """Days simulated, warm-up included."""
    warmup_days: Annotated[int, Field(ge=0)] = 0
    """First days excluded from KPIs."""
    replications: Annotated[int, Field(ge=1)] = 10
    """Independent replications (each runs baseline and scenario on the same random numbers)."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Root seed of every random stream."""
    disruptions: list[Disruption] = []
    """Timed disruptions (none = the scenario equals the baseline)."""

    @model_validator(mode="after")
    def _warmup(self):
        if self.warmup_days >= self.horizon_days:
            raise ValueError(f"'warmup_days' ({self.warmup_days}) must be less than "
                             f"'horizon_days' ({self.horizon_days})")
        return self
