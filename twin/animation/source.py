"""Read what an animation replays from a report folder: manifest, network, daily series, flow log.

Every problem (no report there, unknown variant, no shipments ...) is raised
as a :class:`~twin.problems.ProblemList` naming the file it concerns.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from twin.animation.marks import Mark, marks_from_disruptions, marks_from_records
from twin.model import Model
from twin.problems import Problem, ProblemList
from twin.tables import sha256_of

BASELINE = "baseline"
DAILY_COLUMNS = ["variant", "sweep_value", "replication", "day", "node", "on_hand_units", "days_of_supply",
                 "shipped_units", "demand_units", "filled_from_stock_units", "profit_usd"]
FLOW_COLUMNS = ["variant", "sweep_value", "replication", "from", "to", "depart_time", "arrive_time", "units",
                "rerouted", "expedited"]


@dataclass
class ReportSource:
    """An opened report folder: its manifest, the network it ran, and how to read its tables."""

    path: Path
    manifest: dict
    model: Model
    scenario: object | None = None          # twin.scenario.Scenario when the scenario file still loads
    warnings: list[str] = field(default_factory=list)

    @property
    def horizon_days(self) -> int:
        return int(self.manifest["horizon_days"])

    @property
    def warmup_days(self) -> int:
        return int(self.manifest.get("warmup_days", 0))

    @property
    def replications(self) -> int:
        return int(self.manifest.get("replications", 1))

    @property
    def variants(self) -> list[str]:
        return list(self.manifest.get("variants", []))

    @property
    def sweep_values(self) -> list[float]:
        sweep = self.manifest.get("sweep") or {}
        return [float(v) for v in sweep.get("values", [])]

    def problem(self, name: str, message: str) -> ProblemList:
        """A one-problem ProblemList about file ``name`` of the report."""
        return ProblemList([Problem(str(self.path / name), 0, message)])

    def sweep_point(self, value: float | None) -> tuple[int, float]:
        """Index and value of the sweep point replayed (the first without ``value``); (0, NaN) without a sweep."""
        values = self.sweep_values
        if not values:
            if value is not None:
                raise self.problem("manifest.json", "this run has no sweep; leave out --sweep-value")
            return 0, math.nan
        if value is None:
            return 0, values[0]
        for i, v in enumerate(values):
            if math.isclose(v, value, rel_tol=1e-9, abs_tol=1e-12):
                return i, v
        swept = ", ".join(f"{v:g}" for v in values)
        raise self.problem("manifest.json", f"no sweep point {value:g}; the run swept "
                                            f"{self.manifest['sweep']['key']} over {swept}")

    def check_choice(self, variant: str, replication: int) -> None:
        """Raise a ProblemList if the report has no such variant or replication."""
        if variant not in self.variants:
            raise self.problem("manifest.json", f"no variant '{variant}' in this report "
                                                f"(variants: {', '.join(self.variants)}; or 'both')")
        if not 0 <= replication < self.replications:
            raise self.problem("manifest.json", f"no replication {replication}; this run has "
                                                f"{self.replications} (0 to {self.replications - 1})")

    def _filters(self, variants: list[str], replication: int, sweep_value: float) -> list:
        filters = [("variant", "in", variants), ("replication", "==", replication)]
        if not math.isnan(sweep_value):
            filters.append(("sweep_value", "==", sweep_value))
        return filters

    def daily(self, variants: list[str], replication: int, sweep_value: float) -> pd.DataFrame:
        """The rows of ``daily.parquet`` for ``variants`` in one replication (and sweep point)."""
        return self._read("daily.parquet", DAILY_COLUMNS, self._filters(variants, replication, sweep_value))

    def flows(self, variant: str, replication: int, sweep_value: float) -> pd.DataFrame:
        """The legs of ``flows.parquet`` of one variant and replication (and sweep point)."""
        frame = self._read("flows.parquet", FLOW_COLUMNS, self._filters([variant], replication, sweep_value))
        if frame.empty:
            raise self.problem("flows.parquet", f"no shipments for variant '{variant}', replication {replication}; "
                                                "nothing moves to animate")
        return frame

    def _read(self, name: str, columns: list[str], filters: list) -> pd.DataFrame:
        path = self.path / name
        if not path.is_file():
            raise self.problem(name, f"{name} is missing; this folder is not a complete twin report")
        try:
            frame = pd.read_parquet(path, columns=columns, filters=filters)
        except Exception as exc:  # a damaged or foreign file
            raise self.problem(name, f"cannot read {name}: {exc}") from None
        for column in ("variant", "node", "from", "to"):
            if column in frame:
                frame[column] = frame[column].astype(str)
        return frame

    def marks(self, variant: str, replication: int, point: int) -> list[Mark]:
        """Closed and disrupted nodes and lanes of ``variant`` in ``replication``, with their windows."""
        if variant == BASELINE:
            return []
        if self.scenario is not None:
            try:
                realized = _realize(self.scenario, variant, point, replication, self.manifest.get("seed"))
            except KeyError:
                realized = None
            if realized is not None:
                return marks_from_disruptions(self.scenario.variant(variant, point).model, realized)
        self.warnings.append("disruptions placed from the manifest's fixed-time events only "
                             "(the scenario file could not be loaded)")
        return marks_from_records(self.manifest.get("disruptions_applied", []))


def _realize(scenario, variant: str, point: int, replication: int, seed: int | None):
    """The concrete disruptions of one replication, drawn with the run's seed (``--seed`` may have
    overridden the scenario file's)."""
    if seed is None or int(seed) == scenario.spec.seed:
        return scenario.disruptions(variant, point, replication)
    from twin.engine import stream
    from twin.engine.run import EVENTS
    return scenario.variant(variant, point).events.realize(stream(int(seed), replication, EVENTS))


def _locate(name: str, report: Path) -> Path | None:
    """``name`` as given (absolute or from the current folder), else relative to the report's parents."""
    candidates = [Path(name)]
    if not Path(name).is_absolute():
        candidates += [parent / name for parent in report.resolve().parents]
    return next((c for c in candidates if c.is_file()), None)


def _read_manifest(path: Path) -> dict:
    if not path.exists():
        raise ProblemList([Problem(str(path), 0, "no such report folder; give a folder written by `twin run`")])
    if not path.is_dir():
        raise ProblemList([Problem(str(path), 0, "not a folder; give a report folder written by `twin run`")])
    file = path / "manifest.json"
    if not file.is_file():
        raise ProblemList([Problem(str(file), 0, "no manifest.json; this folder is not a twin report")])
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProblemList([Problem(str(file), 0, f"cannot read the manifest: {exc}")]) from None
    missing = [k for k in ("horizon_days", "variants", "network_file") if k not in manifest]
    if missing:
        raise ProblemList([Problem(str(file), 0, f"the manifest lacks {', '.join(missing)}; "
                                                 "run the scenario again with this version of twin")])
    return manifest


def _changed(found: Path, recorded: str, manifest: dict) -> bool:
    digest = manifest.get("inputs", {}).get(recorded)
    return digest is not None and digest != sha256_of(found)


def open_report(path: str | Path, scenario=None) -> ReportSource:
    """Open a report folder: read its manifest and load the network (and scenario) it ran.

    ``scenario``: the run's already loaded :class:`~twin.scenario.Scenario` (``twin run --animate``);
    otherwise the manifest's scenario file is loaded again, with the run's ``--set`` settings.

    Raises
    ------
    twin.problems.ProblemList
        If the folder, its manifest or its network file cannot be read.
    """
    from twin.network import load_network
    from twin.scenario import load_scenario

    path = Path(path)
    manifest = _read_manifest(path)
    warnings: list[str] = []
    if scenario is not None:
        return ReportSource(path, manifest, scenario.model, scenario, warnings)
    scenario_file = _locate(manifest.get("scenario_file", ""), path) if manifest.get("scenario_file") else None
    if scenario_file is not None:
        try:
            scenario = load_scenario(scenario_file, manifest.get("settings", []))
        except ProblemList:
            warnings.append(f"{scenario_file} no longer loads; disruption times come from the manifest")
        if scenario is not None and _changed(scenario_file, manifest["scenario_file"], manifest):
            warnings.append(f"{scenario_file} changed since the run; disruption times come from the current file")
    network_file = _locate(manifest["network_file"], path)
    if network_file is None:
        raise ProblemList([Problem(str(path / "manifest.json"), 0,
                                   f"network file '{manifest['network_file']}' not found (looked in the current "
                                   "folder and above the report); run twin animate from the project folder")])
    if _changed(network_file, manifest["network_file"], manifest):
        warnings.append(f"{network_file} changed since the run; node positions come from the current file")
    model = scenario.model if scenario is not None else load_network(network_file)
    return ReportSource(path, manifest, model, scenario, warnings)


def node_matrix(frame: pd.DataFrame, column: str, node_ids: list[str], days: np.ndarray) -> np.ndarray:
    """``(len(days), N)`` array of one daily column, nodes in model order (NaN where absent)."""
    table = frame.pivot_table(index="day", columns="node", values=column, aggfunc="first", observed=True)
    table = table.reindex(index=days, columns=node_ids)
    return table.to_numpy(dtype=float)
