"""Slow: the full 120-day animation of the US network, played by Chromium (its timing: benchmarks/animation.py)."""

from __future__ import annotations

import cv2
import pytest

from tests import browser
from tests.conftest import SCENARIOS
from twin.animation import AnimationOptions, render_animation
from twin.run import run_scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def us_animation(tmp_path_factory):
    folder = tmp_path_factory.mktemp("us-animation")
    report = folder / "report"
    run_scenario(SCENARIOS / "us-hub-closure-48h.yaml", out=report, replications=1)
    options = AnimationOptions(width=1280, height=720, frames_per_day=10, fps=30)
    return render_animation(report, None, options)


def test_us_animation_has_every_frame_in_h264(us_animation):
    assert us_animation.path.name == "flows.mp4"
    capture = cv2.VideoCapture(str(us_animation.path))
    codec = int(capture.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode().lower()
    frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    capture.release()
    assert codec in ("h264", "avc1")
    assert frames == us_animation.frames == 120 * 10
    assert size == (1280, 720)


@pytest.mark.skipif(browser.chromium() is None, reason="chromium is not installed")
def test_chromium_plays_the_us_animation_to_the_end(us_animation):
    seen = browser.play(us_animation.path, budget_ms=120_000)
    assert "error" not in seen, seen
    assert (seen["videoWidth"], seen["videoHeight"]) == (1280, 720)
    assert seen["duration"] == pytest.approx(40.0, abs=0.1)  # 1,200 frames at 30 fps
    assert seen.get("currentTime", 0) > 30
