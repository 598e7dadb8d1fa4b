"""The animation, checked on its frames: a hub closure on the teaching network, rendered and decoded.

One short run (1 replication, 46 days) and one short render (days 38-43) are
shared by the tests of this module.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tests import browser
from tests.conftest import SCENARIOS, TWO_HUBS_NETWORK
from twin.animation import AnimationOptions, render_animation
from twin.animation import style
from twin.cli import cli
from twin.run import run_scenario

FRAMES_PER_DAY = 4
DAYS = (38, 43)  # the hub is closed on days 40 and 41 ([40, 42))
CLOSURE = (40.0, 42.0)


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def decode(path) -> list[np.ndarray]:
    """Every frame of a video as an RGB array."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB).astype(float))
    capture.release()
    return frames


def patch(frame: np.ndarray, xy: tuple[float, float], half: int = 1) -> np.ndarray:
    """Mean colour of the (2 half + 1)^2 pixels around ``xy`` (pixels from the top left)."""
    x, y = int(round(xy[0])), int(round(xy[1]))
    return frame[y - half:y + half + 1, x - half:x + half + 1].reshape(-1, 3).mean(axis=0)


def nearest_palette_colour(colour: np.ndarray) -> str:
    """The animation colour closest to ``colour`` (node fills, closed, disrupted, background)."""
    palette = {**{name: style.STATUS_COLOURS[code] for code, name in style.STATUS_NAMES.items()},
               "closed": style.CLOSED, "disrupted": style.DISRUPTED, "background": style.BACKGROUND}
    return min(palette, key=lambda name: np.linalg.norm(rgb(palette[name]) - colour))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("animation") / "report"
    run_scenario(SCENARIOS / "teaching-hub-closure.yaml", out=out, replications=1, workers=1,
                 settings=["horizon_days=46"])
    return out


@pytest.fixture(scope="module")
def rendered(report):
    options = AnimationOptions(days=DAYS, frames_per_day=FRAMES_PER_DAY, fps=8, width=960, height=540)
    result = render_animation(report, report / "closure.mp4", options, workers=1)
    return result, decode(result.path)


def test_video_is_h264_with_one_frame_per_step(rendered):
    result, frames = rendered
    capture = cv2.VideoCapture(str(result.path))
    codec = int(capture.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode().lower()
    capture.release()
    assert codec in ("h264", "avc1")
    assert len(frames) == result.frames == (DAYS[1] - DAYS[0] + 1) * FRAMES_PER_DAY
    assert frames[0].shape == (540, 960, 3)


def test_hub_is_in_the_closed_colour_exactly_on_closure_days(rendered):
    result, frames = rendered
    hub = result.node_xy["scenario"]["hub-chicago"]
    closed = rgb(style.CLOSED)
    seen = []
    for k, frame in enumerate(frames):
        t = DAYS[0] + k / FRAMES_PER_DAY
        colour = patch(frame, hub)
        is_closed = nearest_palette_colour(colour) == "closed"
        seen.append(is_closed)
        if CLOSURE[0] <= t < CLOSURE[1]:
            assert np.abs(colour - closed).max() < 40, (t, colour)
        assert is_closed == (CLOSURE[0] <= t < CLOSURE[1]), (t, colour)
    assert any(seen) and not all(seen)


def test_dc_keeps_its_stock_colour_while_the_hub_is_closed(rendered):
    result, frames = rendered
    dc = result.node_xy["scenario"]["dc-joliet"]
    during = frames[result.frame_at(40.5)]
    assert nearest_palette_colour(patch(during, dc)) in ("healthy", "low", "out")


def _lane_corridor(frame: np.ndarray, a, b, width_px: float, end_gap_px: float, colour: str = style.SHIPMENT):
    """Pixels of ``frame`` in ``colour`` near segment a-b (away from its ends), as distances along it."""
    a, b = np.asarray(a), np.asarray(b)
    h, w, _ = frame.shape
    ys, xs = np.mgrid[0:h, 0:w]
    d = b - a
    length = np.linalg.norm(d)
    along = ((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / length
    across = np.abs((xs - a[0]) * d[1] - (ys - a[1]) * d[0]) / length
    near = (across < width_px) & (along > end_gap_px) & (along < length - end_gap_px)
    match = np.linalg.norm(frame - rgb(colour), axis=2) < 60
    return along[near & match]


def test_a_shipment_marker_moves_along_its_lane_between_two_frames(report, rendered):
    result, frames = rendered
    flows = pd.read_parquet(report / "flows.parquet")
    flows = flows[(flows["variant"] == "scenario") & (flows["replication"] == 0)]
    xy = result.node_xy["scenario"]
    # a leg from the DC to a store, alone on its lane, in flight at two consecutive frames
    for k in range(len(frames) - 1):
        t0, t1 = DAYS[0] + k / FRAMES_PER_DAY, DAYS[0] + (k + 1) / FRAMES_PER_DAY
        legs = flows[(flows["from"] == "dc-joliet") & (flows["depart_time"] < t0) & (flows["arrive_time"] > t1)]
        lanes = legs.groupby("to", observed=True).size()
        alone = lanes[lanes == 1].index
        if len(alone):
            leg = legs[legs["to"] == alone[0]].iloc[0]
            break
    else:
        pytest.fail("no DC-to-store leg in flight alone on its lane at two consecutive frames")
    a, b = np.array(xy["dc-joliet"]), np.array(xy[leg["to"]])
    length = np.linalg.norm(b - a)
    positions = []
    for frame, t in ((frames[k], t0), (frames[k + 1], t1)):
        share = (t - leg["depart_time"]) / (leg["arrive_time"] - leg["depart_time"])
        expected = share * length
        along = _lane_corridor(frame, a, b, width_px=6, end_gap_px=10)
        assert len(along) > 0, f"no shipment marker on dc-joliet->{leg['to']} at t={t}"
        assert abs(np.median(along) - expected) < 4, (t, np.median(along), expected)
        positions.append(np.median(along))
    assert positions[1] - positions[0] > 2  # it moved towards the store


def test_cli_renders_a_looping_gif(report, tmp_path):
    out = tmp_path / "flows.gif"
    result = CliRunner().invoke(cli, ["animate", str(report), "--days", "40:41", "--frames-per-day", "2",
                                      "--fps", "4", "--size", "320x240", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    from PIL import Image
    with Image.open(out) as gif:
        assert gif.info.get("loop") == 0  # loop forever
        assert gif.n_frames == 4
        assert gif.size == (320, 240)


@pytest.mark.parametrize("args, message", [
    (["--variant", "nope"], "no variant 'nope'"),
    (["--replication", "3"], "no replication 3"),
    (["--days", "40:200"], "outside the run's horizon"),
    (["--days", "forty"], "is not A:B"),
    (["--size", "100x100"], "outside 320x240"),
    (["--out", "x.avi"], ".mp4 (H.264) or .gif"),
    (["--out", "a-file/x.mp4"], "a-file is a file, not a folder; choose another --out"),
])
def test_bad_input_is_one_clear_message_and_exit_code_2(report, tmp_path, args, message):
    if "--out" in args:
        (tmp_path / "a-file").write_text("x")
        args = ["--out", str(tmp_path / args[1])]
    result = CliRunner().invoke(cli, ["animate", str(report), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (report / "flows.mp4").exists()


def test_missing_report_folder_names_the_folder(tmp_path):
    result = CliRunner().invoke(cli, ["animate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nowhere'}:0: no such report folder" in result.output


def test_failed_render_leaves_no_file(report, tmp_path, monkeypatch):
    from twin.animation import video

    def broken(*_args, **_kwargs):
        raise RuntimeError("ffmpeg failed: disk full")

    monkeypatch.setattr(video, "to_h264", broken)
    out = tmp_path / "flows.mp4"
    with pytest.raises(RuntimeError):
        render_animation(report, out, AnimationOptions(days=(40, 40), frames_per_day=2, width=320, height=240),
                         workers=1)
    assert list(tmp_path.iterdir()) == []


def test_run_with_animate_writes_flows_mp4_into_the_report(tmp_path):
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["run", str(SCENARIOS / "teaching-hub-closure.yaml"), "--out", str(out),
                                      "--replications", "1", "--workers", "1", "--animate", "--quiet",
                                      "--set", "horizon_days=8", "--set", "warmup_days=2",
                                      "--set", "disruptions.0.start_day=4"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["animation"]["file"] == "flows.mp4"
    assert manifest["animation"]["frames"] == 8 * 10
    assert len(decode(out / "flows.mp4")) == 8 * 10
    assert not list(tmp_path.glob(".twin-tmp-*"))


@pytest.mark.skipif(browser.chromium() is None, reason="chromium is not installed")
def test_chromium_plays_the_h264_video(rendered):
    result, _ = rendered
    seen = browser.play(result.path, budget_ms=20_000)
    assert "error" not in seen, seen
    assert seen["videoWidth"] == 960 and seen["videoHeight"] == 540
    assert seen["duration"] == pytest.approx(result.frames / result.fps, abs=0.1)
    assert seen.get("currentTime", 0) > 0  # frames were decoded and played


@pytest.mark.skipif(browser.chromium() is None, reason="chromium is not installed")
def test_chromium_refuses_salabims_own_mp4v_so_the_check_means_something(report, tmp_path):
    from twin.animation.plan import prepare
    from twin.animation.render import render_chunk
    from twin.animation.source import open_report

    job = prepare(open_report(report), AnimationOptions(days=(40, 40), frames_per_day=4, width=320, height=240))
    raw = render_chunk(job, 0, job.frames, tmp_path / "raw.mp4")
    seen = browser.play(raw, budget_ms=5_000)
    assert seen.get("error") == 4  # MEDIA_ERR_SRC_NOT_SUPPORTED: mp4v is not a browser codec


def test_rerouted_shipments_are_orange_on_a_network_without_coordinates(write, tmp_path):
    write("net.yaml", TWO_HUBS_NETWORK)
    scenario = write("s.yaml", "name: reroute\nnetwork: net.yaml\nhorizon_days: 14\nwarmup_days: 0\n"
                               "replications: 1\nseed: 4\nreroute: cheapest\ndisruptions:\n"
                               "  - {type: node_closure, node: hub-1, start_day: 5, duration_days: 4}\n")
    report = tmp_path / "report"
    run_scenario(scenario, out=report, workers=1)
    result = render_animation(report, None, AnimationOptions(days=(5, 8), frames_per_day=4, width=640, height=360),
                              workers=1)
    frames = decode(result.path)
    xy = result.node_xy["scenario"]
    assert xy["sup"][0] < xy["hub-1"][0] < xy["store"][0]  # no coordinates: columns by kind
    flows = pd.read_parquet(report / "flows.parquet")
    rerouted = flows[(flows["variant"] == "scenario") & flows["rerouted"] & (flows["from"] == "sup")]
    leg = rerouted[(rerouted["depart_time"] >= 5) & (rerouted["arrive_time"] <= 9)].iloc[0]
    t = leg["depart_time"] + 0.5 * (leg["arrive_time"] - leg["depart_time"])
    frame = frames[result.frame_at(t)]
    a, b = np.array(xy["sup"]), np.array(xy["hub-2"])
    along = _lane_corridor(frame, a, b, width_px=6, end_gap_px=10, colour=style.REROUTED)
    assert len(along) > 0, "no orange (rerouted) dot on sup->hub-2"
    assert abs(np.median(along) - 0.5 * np.linalg.norm(b - a)) < 4
    assert len(_lane_corridor(frame, a, b, width_px=6, end_gap_px=10)) == 0  # and no navy one there
    assert nearest_palette_colour(patch(frame, xy["hub-1"])) == "closed"


def test_no_shipments_for_the_variant_is_bad_input(report, tmp_path):
    import shutil
    copy = tmp_path / "report"
    shutil.copytree(report, copy)
    flows = pd.read_parquet(copy / "flows.parquet")
    flows[flows["variant"] == "baseline"].to_parquet(copy / "flows.parquet")
    result = CliRunner().invoke(cli, ["animate", str(copy), "--variant", "scenario", "--days", "40:41"])
    assert result.exit_code == 2, result.output
    assert f"{copy / 'flows.parquet'}:0: no shipments for variant 'scenario', replication 0" in result.output
    assert not (copy / "flows.mp4").exists()
