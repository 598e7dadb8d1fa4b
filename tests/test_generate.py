"""`twin generate`: a valid, deterministic synthetic network on real cities."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner

from tests.conftest import SHARED_DATA
from twin.cli import cli
from twin.network import load_network

CITIES = SHARED_DATA / "geonames_us_cities" / "us_cities_top500.csv"
pytestmark = pytest.mark.skipif(not CITIES.exists(), reason="shared GeoNames data not available")


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_generated_network_is_valid_and_deterministic(tmp_path):
    args = ["generate", "--stores", "30", "--skus", "400", "--dcs", "3", "--hubs", "2", "--suppliers", "5",
            "--seed", "4", "--horizon-days", "30"]
    a = CliRunner().invoke(cli, args + ["--out", str(tmp_path / "a")])
    b = CliRunner().invoke(cli, args + ["--out", str(tmp_path / "b")])
    assert a.exit_code == 0 and b.exit_code == 0, a.output
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    model = load_network(tmp_path / "a" / "network.yaml")
    assert model.kinds.count("store") == 30 and model.n_skus == 400
    # Long tail: a few SKUs sell many times what the typical SKU sells.
    import numpy as np
    rates = model.demand_mean[[r for r, k in enumerate(model.kinds) if k == "store"]]
    assert np.median(rates) < rates.mean() and rates.max() > 10 * np.median(rates)
    run = CliRunner().invoke(cli, ["run", str(tmp_path / "a" / "baseline.yaml"), "--out", str(tmp_path / "r"),
                                   "--quiet", "--workers", "1"])
    assert run.exit_code == 0, run.output


def test_missing_city_table_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["generate", "--out", str(tmp_path / "x"), "--cities", str(tmp_path / "no.csv")])
    assert result.exit_code == 2 and "city table not found" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("skus", [1, 7, 30])
def test_few_skus_give_a_valid_network(tmp_path, skus):
    # With fewer SKUs than categories some categories are empty: the DCs must not name a source for them.
    out = tmp_path / "n"
    result = CliRunner().invoke(cli, ["generate", "--stores", "3", "--skus", str(skus), "--dcs", "2", "--hubs", "1",
                                      "--suppliers", "12", "--horizon-days", "10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    check = CliRunner().invoke(cli, ["validate", str(out / "baseline.yaml")])
    assert check.exit_code == 0, check.output
    assert load_network(out / "network.yaml").n_skus == skus
