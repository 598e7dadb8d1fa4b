"""The review page, opened in a real (headless) Chromium: it loads cleanly, its charts are drawn,
and the numbers it quotes are the numbers in the report's Parquet tables.

Tests that need Chromium skip when it is not installed (``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import math
import re
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.browser import chromium, open_page
from tests.conftest import SCENARIOS
from tests.test_resilience import TOY
from twin.cli import cli
from twin.review.page import fmt
from twin.run import run_scenario
from twin.stress import StressOptions, run_stress

needs_chromium = pytest.mark.skipif(chromium() is None, reason="chromium is not installed")

#: Everything on the page that carries its exact value, and every chart with its size and drawing.
PROBE = """({
  numbers: Array.from(document.querySelectorAll('[data-key]')).map(e => [e.dataset.key, e.dataset.value,
                                                                          e.textContent.trim()]),
  charts: Array.from(document.querySelectorAll('figure[data-chart]')).map(f => {
    const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return [f.dataset.chart, box.width, box.height, svg ? svg.querySelectorAll('path, use, text').length : 0];
  }),
  answer: (document.getElementById('answer') || {}).textContent,
  external: Array.from(document.querySelectorAll('[src], [href]')).map(e => e.getAttribute('src') ||
                                                                          e.getAttribute('href'))
            .filter(u => /^(https?:)?\\/\\//.test(u)),
})"""


@pytest.fixture(scope="module")
def run_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("review") / "run"
    return run_scenario(SCENARIOS / "teaching-hub-closure.yaml", out=out, replications=4, workers=2,
                        settings=["horizon_days=60"])


@pytest.fixture(scope="module")
def stress_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stress")
    network = folder / "toy.yaml"
    network.write_text(TOY.lstrip("\n"), encoding="utf-8")
    return run_stress(network, out=folder / "report", workers=2,
                      options=StressOptions(replications=2, horizon_days=16, warmup_days=3))


def _numbers(page) -> dict[str, tuple[float, str]]:
    return {k: (float(v), text) for k, v, text in page.values["numbers"]}


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-9)


def test_run_writes_the_review_files(run_report):
    assert (run_report.path / "review.html").stat().st_size > 10_000
    md = (run_report.path / "review.md").read_text(encoding="utf-8")
    assert md.startswith("# Resilience review") and "## Network KPIs" in md and "SHA-256" in md


@needs_chromium
def test_run_review_in_the_browser(run_report):
    page = open_page(run_report.path / "review.html", evaluate=PROBE)
    assert page.errors == []
    assert page.values["external"] == []                       # opens offline: nothing fetched
    charts = {name: (w, h, marks) for name, w, h, marks in page.values["charts"]}
    assert {"depth", "map", "sku-profit"} <= set(charts)
    for name, (width, height, marks) in charts.items():
        assert width > 200 and height > 100 and marks > 10, name
    numbers = _numbers(page)
    # The headline: the scenario's profit at risk and its interval, the stores pushed below 95%.
    res = pd.read_parquet(run_report.path / "resilience.parquet")
    net = res[(res["variant"] == "scenario") & (res["level"] == "network")].iloc[0]
    profit = net["profit_at_risk_usd"]
    key = "profit_at_risk_usd" if profit >= 0 else "neg_profit"
    assert _close(numbers[key][0], abs(profit))
    assert _close(numbers["profit_at_risk_usd_ci95_half"][0], net["profit_at_risk_usd_ci95_high"] - profit)
    stores = res[(res["variant"] == "scenario") & (res["kind"] == "store")]
    hit = stores[(stores["fill_rate_extra_days_below"] > 0) & (stores["fill_rate_extra_days_below_ci95_low"] > 0)]
    assert numbers["stores_below_threshold"][0] == len(hit) > 0
    assert _close(numbers["max_extra_days_below"][0], hit["fill_rate_extra_days_below"].max())
    # The network's resilience metrics equal resilience.parquet.
    quoted = [k for k in numbers if k.startswith("resilience.")]
    assert len(quoted) >= 12
    for k in quoted:
        assert _close(numbers[k][0], net[k.split(".", 1)[1]]), k
    # Every KPI on the page equals comparison.parquet.
    c = pd.read_parquet(run_report.path / "comparison.parquet")
    c = c[(c["level"] == "network") & (c["period"] == "horizon") & (c["variant"] == "scenario")].set_index("metric")
    kpis = [k for k in numbers if k.startswith("network.")]
    assert len(kpis) >= 30
    for k in kpis:
        _, metric, field = k.split(".", 2)
        column = {"baseline": "baseline_mean", "scenario": "scenario_mean", "delta": "delta",
                  "delta.ci95_low": "ci95_low", "delta.ci95_high": "ci95_high", "ci95_low": "ci95_low",
                  "ci95_high": "ci95_high"}[field]
        assert _close(numbers[k][0], c.loc[metric, column]), k
    # ... and what a reader sees is that value, formatted.
    assert numbers["network.profit_usd.delta"][1] == fmt(c.loc["profit_usd", "delta"], "usd", True)
    answer = re.sub(r"\s+", " ", page.values["answer"])
    assert f"{numbers[key][1]} ± {numbers['profit_at_risk_usd_ci95_half'][1]}" in answer
    assert "Closing hub-chicago for 2 days (48 h)" in answer


@needs_chromium
def test_stress_review_ranks_nodes_as_the_table_does(stress_report):
    page = open_page(stress_report.path / "review.html", evaluate=PROBE)
    assert page.errors == []
    charts = {name: (w, h) for name, w, h, _ in page.values["charts"]}
    assert charts["tts-ttr"][0] > 200 and charts["map"][0] > 200
    numbers = _numbers(page)
    stress = pd.read_parquet(stress_report.path / "stress.parquet")
    for _, row in stress.iterrows():
        assert _close(numbers[f"stress.{row['node']}.risk_exposure_index"][0], row["risk_exposure_index"])
        assert _close(numbers[f"stress.{row['node']}.tts_days"][0], row["tts_days"])
    assert numbers["nodes_to_mitigate"][0] == stress["mitigate"].sum() == 1
    answer = re.sub(r"\s+", " ", page.values["answer"])
    assert answer.startswith(f"Closing {stress.iloc[0]['node']} for its time to recover")


def test_review_command_embeds_the_animation_when_present(run_report, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(run_report.path, folder)
    (folder / "review.html").unlink()
    (folder / "flows.mp4").write_bytes(b"")
    result = CliRunner().invoke(cli, ["review", str(folder)])
    assert result.exit_code == 0, result.output
    page = (folder / "review.html").read_text(encoding="utf-8")
    assert re.search(r"<video[^>]*src='flows.mp4'", page)
    assert "<script" not in page                                      # static: no scripts at all
    assert not re.search(r"""(src|href)=['"](https?:)?//""", page)     # nothing fetched


def test_review_command_on_a_folder_that_is_not_a_report(tmp_path):
    result = CliRunner().invoke(cli, ["review", str(tmp_path)])
    assert result.exit_code == 2
    assert "has no manifest.json" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("name, damage", [("manifest.json", b"{not json"), ("manifest.json", b"[1, 2]"),
                                           ("comparison.parquet", b"PAR1 cut short"), ("daily.parquet", b"")])
def test_review_command_on_a_damaged_report(run_report, tmp_path, name, damage):
    folder = tmp_path / "damaged"
    shutil.copytree(run_report.path, folder)
    (folder / name).write_bytes(damage)
    result = CliRunner().invoke(cli, ["review", str(folder)])
    assert result.exit_code == 2, result.output
    assert f"{folder / name}:0: cannot read {name} (" in result.output
    assert "write it again with twin run" in result.output and "Traceback" not in result.output


@needs_chromium
def test_the_browser_check_sees_console_errors_and_failed_loads(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><img src='missing.png'><script>console.error('boom'); nope();</script>"
                   "</body></html>", encoding="utf-8")
    errors = open_page(bad).errors
    assert any("boom" in e for e in errors)
    assert any("nope is not defined" in e for e in errors)
    assert any("missing.png" in e for e in errors)
