"""Building blocks shared by the network and scenario file schemas."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    """Base of every file schema: unknown keys are errors, numbers are finite, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True,
                              populate_by_name=True, allow_inf_nan=False)


#: A per-SKU quantity: one number for every SKU, a ``{sku: number}`` mapping,
#: or the path of a CSV/Parquet table (relative to the file) with a ``sku``
#: column and a column named after the field (and optionally a ``node`` column).
PerSku = Union[float, dict[str, float], str]

NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class Deterministic(Strict):
    """A fixed duration in days."""

    dist: Literal["deterministic"]
    value: NonNegative
    """Duration in days."""


class NormalTime(Strict):
    """Normal duration in days, negative draws set to 0."""

    dist: Literal["normal"]
    mean: NonNegative
    """Mean duration in days."""
    sd: NonNegative
    """Standard deviation in days."""


class LognormalTime(Strict):
    """Lognormal duration with the given mean and standard deviation (of the duration itself)."""

    dist: Literal["lognormal"]
    mean: Positive
    """Mean duration in days."""
    sd: NonNegative
    """Standard deviation in days."""


class GammaTime(Strict):
    """Gamma duration with the given mean and standard deviation."""

    dist: Literal["gamma"]
    mean: Positive
    """Mean duration in days."""
    sd: NonNegative
    """Standard deviation in days."""


class EmpiricalTime(Strict):
    """Duration drawn uniformly from observed values (a list, or a column of a CSV/Parquet table)."""

    dist: Literal["empirical"]
    values: list[NonNegative] | None = None
    """Observed durations in days."""
    table: str | None = None
    """Path of a CSV/Parquet table of observed durations (relative to the file)."""
    column: str = "days"
    """Column of ``table`` that holds the durations."""

    @model_validator(mode="after")
    def _one_source(self) -> "EmpiricalTime":
        if (self.values is None) == (self.table is None):
            raise ValueError("give either 'values: [...]' or 'table: file.csv', not both or neither")
        if self.values is not None and len(self.values) == 0:
            raise ValueError("'values' is empty; list at least one observed duration")
        return self


TimeDistribution = Annotated[
    Union[Deterministic, NormalTime, LognormalTime, GammaTime, EmpiricalTime],
    Field(discriminator="dist"),
]

#: A duration in days: a number (deterministic) or a distribution.
Duration = Union[NonNegative, TimeDistribution]
