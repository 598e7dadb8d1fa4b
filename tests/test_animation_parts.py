"""The animation's parts that need no video: projection, options, disruption marks, shipment slots, status."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from twin import disruptions as dz
from twin.animation import projection as pj
from twin.animation import style
from twin.animation.marks import CLOSED, DISRUPTED, marks_from_disruptions, marks_from_records
from twin.animation.options import parse_days, parse_size, resolve_days
from twin.animation.timeline import Shipments, merge_legs
from twin.network import load_network
from tests.conftest import NETWORKS, TOY_NETWORK


def test_projection_puts_north_up_and_east_right_and_keeps_distances_near_the_centre():
    lat = np.array([41.85, 43.07, 41.85])   # Chicago, Madison (north-west), a point due east of Chicago
    lon = np.array([-87.65, -89.40, -86.65])
    world, projection = pj.world_xy(np.column_stack([lat, lon]), ["hub", "supplier", "dc"], [[], [], []])
    assert world[1, 1] > world[0, 1] and world[1, 0] < world[0, 0]  # Madison is north and west
    assert world[2, 0] > world[0, 0]
    # on the unit sphere, 1 degree of longitude at 41.85 N is ~ cos(41.85) * pi / 180
    assert world[2, 0] - world[0, 0] == pytest.approx(math.cos(math.radians(41.85)) * math.pi / 180, rel=0.01)
    screen = pj.fit(world, pj.Box(0, 0, 800, 600))(world)
    assert screen[1, 1] < screen[0, 1]  # north is up on screen (smaller y)
    assert screen[:, 0].min() >= -1e-9 and screen[:, 0].max() <= 800 + 1e-9
    assert screen[:, 1].min() >= -1e-9 and screen[:, 1].max() <= 600 + 1e-9


def test_fit_keeps_the_aspect_ratio():
    world = np.array([[0.0, 0.0], [2.0, 1.0]])
    screen = pj.fit(world, pj.Box(0, 0, 1000, 1000))(world)
    width, height = np.ptp(screen[:, 0]), np.ptp(screen[:, 1])
    assert width / height == pytest.approx(2.0)


def test_nodes_without_coordinates_sit_among_their_neighbours_or_in_columns_by_kind():
    location = np.array([[40.0, -88.0], [42.0, -88.0], [np.nan, np.nan]])
    world, _ = pj.world_xy(location, ["supplier", "dc", "store"], [[2], [2], [0, 1]])
    assert world[2] == pytest.approx(world[:2].mean(axis=0))
    schematic, projection = pj.world_xy(np.full((3, 2), np.nan), ["store", "supplier", "hub"], [[], [], []])
    assert projection is None
    assert schematic[1, 0] < schematic[2, 0] < schematic[0, 0]  # supplier, hub, store from left to right


def test_coincident_nodes_are_nudged_apart():
    screen = np.array([[100.0, 100.0], [100.0, 100.0], [300.0, 300.0]])
    moved = pj.nudge_overlaps(screen, ["dc", "store", "store"], min_gap_px=12)
    assert moved[0] == pytest.approx([100, 100])  # the DC stays, the store in its city moves
    assert np.hypot(*(moved[1] - moved[0])) >= 12 - 1e-9
    assert moved[2] == pytest.approx([300, 300])


def test_days_and_size_options():
    assert parse_days("30:60") == (30, 60)
    assert parse_days("30:") == (30, None) and parse_days(":60") == (None, 60)
    assert resolve_days(parse_days("30:"), 90) == (30, 89)
    assert resolve_days(None, 90) == (0, 89)
    for bad in ("", ":", "60:30", "a:b", "3-4"):
        with pytest.raises(ValueError):
            parse_days(bad)
    with pytest.raises(ValueError, match="outside the run's horizon"):
        resolve_days((80, 95), 90)
    assert parse_size("1280x720") == (1280, 720)
    for bad in ("1280", "1281x720", "100x100", "8000x4000"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_marks_follow_the_concrete_windows_of_a_replication():
    model = load_network(NETWORKS / "teaching.yaml")
    hub, lane = model.row("hub-chicago"), 0
    d = dz.Disruptions(closures=[dz.Closure(hub, dz.Window(40.0, 42.0))],
                       transit={lane: [dz.TimeChange(dz.Window(10.0, 20.0), multiply=2.0)]})
    marks = {(m.state, m.node, m.lane): m for m in marks_from_disruptions(model, d)}
    closed = marks[(CLOSED, "hub-chicago", None)]
    assert [closed.active(t) for t in (39.99, 40.0, 41.9, 42.0)] == [False, True, True, False]
    first_lane = (model.node_ids[model.lanes[0].source], model.node_ids[model.lanes[0].target])
    slow = marks[(DISRUPTED, *first_lane)]
    assert (slow.start, slow.end, slow.what) == (10.0, 20.0, "lead time x2")


def test_marks_from_the_manifest_keep_fixed_events_and_skip_random_ones():
    records = [
        {"type": "hub_closure", "start_day": 40.0, "length_days": 2.0, "probability": 1.0, "after": None,
         "targets": ["hub-chicago"]},
        {"type": "lane_closure", "start_day": None, "start_window": [10, 20], "length_days": 1.0,
         "probability": 1.0, "after": None, "targets": ["a->b"]},
        {"type": "capacity_loss", "start_day": 5.0, "length_days": None, "probability": 1.0, "after": None,
         "targets": ["a->b"]},
    ]
    marks = marks_from_records(records)
    assert [(m.state, m.node, m.lane, m.start, m.end) for m in marks] == [
        (CLOSED, "hub-chicago", None, 40.0, 42.0), (DISRUPTED, "a", "b", 5.0, math.inf)]


def _toy_shipments() -> Shipments:
    legs = pd.DataFrame({
        "from": ["a", "a", "a", "b"], "to": ["b", "b", "b", "a"],
        "depart_time": [0.0, 0.0, 1.0, 0.5], "arrive_time": [2.0, 2.0, 3.0, 1.5],
        "units": [10.0, 30.0, 5.0, 100.0], "rerouted": [False, False, False, True],
        "expedited": [False, False, True, False],
    })
    batches = merge_legs(legs)
    return Shipments(batches, {"a": (0.0, 0.0), "b": (100.0, 0.0)}, radius_ref_units=100.0, radius_range=(2.0, 6.0))


def test_legs_travelling_together_are_one_marker_moving_at_constant_speed():
    shipments = _toy_shipments()
    assert len(shipments.depart) == 3  # the two legs leaving a at 0 and arriving at 2 are one batch
    times = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    assert list(shipments.in_flight(times)) == [1, 2, 3, 2, 1, 1, 0]
    assert shipments.size_pool(times) == 3
    frame = shipments.frame(1.0)
    xs = sorted(frame.x[frame.visible])
    assert xs == pytest.approx([0.0, 50.0, 50.0])  # a->b half way, b->a half way back, the 1.0 departure at a
    colours = sorted(frame.colour[frame.visible].tolist())
    assert colours == [0, 1, 2]  # normal, rerouted, expedited


def test_a_batch_keeps_its_sprite_slot_while_in_flight():
    shipments = _toy_shipments()
    shipments.size_pool(np.arange(0, 3, 0.25))
    slots = []
    for t in np.arange(0, 2, 0.25):
        frame = shipments.frame(t)
        slot = int(np.flatnonzero(frame.visible & np.isclose(frame.y, 0) & (frame.colour == 0))[0])
        slots.append(slot)
        assert frame.x[slot] == pytest.approx(50.0 * t)
    assert len(set(slots)) == 1


def test_stock_status_thresholds_relative_to_usual_depth():
    usual = np.array([2.0, 2.0, 2.0, 2.0, np.nan])
    dos = np.array([1.3, 1.1, 0.4, 1.5, np.nan])
    on_hand = np.array([10.0, 10.0, 10.0, 0.0, 5.0])
    status = style.stock_status(dos, usual, on_hand)
    assert status.tolist() == [style.HEALTHY, style.LOW, style.OUT, style.OUT, style.NEUTRAL]


def test_labels_avoid_each_other_and_other_markers():
    from twin.animation.layout import place_labels
    box = pj.Box(0, 0, 400, 300)

    def anchors(xy, kinds):
        labels = place_labels([f"n{i}" for i in range(len(xy))], kinds, np.array(xy, dtype=float),
                              list(range(len(xy))), [80.0] * len(xy), 12.0, [10.0] * len(xy), [5.0] * len(xy), box)
        return {label.node: label.anchor for label in labels}

    assert anchors([[100, 100], [100, 250]], ["hub", "dc"]) == {"n0": "w", "n1": "w"}  # room on the right
    # n0's label on the right would cover n1's marker: it goes left; n1 keeps the right
    assert anchors([[100, 100], [170, 100]], ["hub", "dc"]) == {"n0": "e", "n1": "w"}
    # the hub is labelled first; the store just below cannot take the same spot and goes left
    assert anchors([[100, 100], [100, 108]], ["store", "hub"]) == {"n1": "w", "n0": "e"}


def test_random_closure_is_marked_on_the_days_the_run_closed_the_store(write, tmp_path):
    from twin.animation.source import open_report
    from twin.run import run_scenario

    write("toy.yaml", TOY_NETWORK)
    scenario = write("s.yaml", "name: random-closure\nnetwork: toy.yaml\nhorizon_days: 30\nwarmup_days: 0\n"
                               "replications: 2\nseed: 3\ndisruptions:\n"
                               "  - {type: node_closure, node: store, start_window: [5, 20], duration_days: 3}\n")
    report = tmp_path / "report"
    run_scenario(scenario, out=report, workers=1, seed=11)  # --seed overrides the file's seed
    source = open_report(report)
    daily = pd.read_parquet(report / "daily.parquet")
    for replication in (0, 1):
        (mark,) = source.marks("scenario", replication, 0)
        rows = daily[(daily["variant"] == "scenario") & (daily["replication"] == replication)
                     & (daily["node"] == "store")]
        closed_days = set(rows.loc[(rows["sold_units"] == 0) & (rows["lost_units"] > 0), "day"])
        assert closed_days == {d for d in range(30) if mark.start <= d < mark.end}, (replication, mark)


def test_salabim_is_imported_only_by_the_engine_and_the_animation_drawing_modules():
    import ast

    from tests.conftest import ROOT
    drawing = {"scene.py", "sprites.py", "video.py"}
    for path in (ROOT / "twin").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = [a.name for n in imports if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in imports if isinstance(n, ast.ImportFrom)]
        if any(name.split(".")[0] == "salabim" for name in names):
            relative = path.relative_to(ROOT / "twin")
            assert relative.parts[0] == "engine" or (relative.parts[0] == "animation" and path.name in drawing), path
