"""Shared fixtures: paths of the shipped examples and writers of small toy files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ROOT / "networks"
SCENARIOS = ROOT / "scenarios"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def write(tmp_path):
    """Write a dedented text file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


TOY_NETWORK = """
name: toy
skus:
  - {id: a, unit_cost: 1.0, price: 2.0, weight_kg: 1.0}
nodes:
  - {id: sup, kind: supplier, location: [41.0, -88.0]}
  - {id: hub, kind: hub, location: [41.5, -88.0]}
  - id: store
    kind: store
    location: [42.0, -88.0]
    demand: {dist: deterministic, mean: 3}
    policy: {type: base_stock, level: 10}
lanes:
  - {from: sup, to: hub, transit_days: 1, cost_per_shipment: 10}
  - {from: hub, to: store, transit_days: 1, cost_per_shipment: 5}
"""

TOY_SCENARIO = """
name: toy-closure
network: toy.yaml
horizon_days: 20
warmup_days: 0
replications: 2
seed: 3
disruptions: []
"""

# A store behind two hubs; the second hub's lanes are a dearer backup (rerouting tests).
TWO_HUBS_NETWORK = """
name: two-hubs
skus: [{id: a, unit_cost: 1, price: 2, weight_kg: 1}]
nodes:
  - {id: sup, kind: supplier}
  - {id: hub-1, kind: hub}
  - {id: hub-2, kind: hub}
  - id: store
    kind: store
    demand: {dist: deterministic, mean: 3}
    policy: {type: base_stock, level: 12}
lanes:
  - {from: sup, to: hub-1, transit_days: 1, cost_per_shipment: 10}
  - {from: hub-1, to: store, transit_days: 1, cost_per_shipment: 10}
  - {from: sup, to: hub-2, transit_days: 1, cost_per_shipment: 25, backup: true}
  - {from: hub-2, to: store, transit_days: 1, cost_per_shipment: 25, backup: true}
"""


def run_cli(*args):
    """``twin ARGS`` in this process (click's test runner); returns its result."""
    from click.testing import CliRunner

    from twin.cli import cli
    return CliRunner().invoke(cli, [str(a) for a in args])
