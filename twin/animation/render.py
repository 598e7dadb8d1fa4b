"""Replay a report folder as an animated map: :func:`render_animation`.

The frames are split into consecutive chunks, one per worker process; each
worker builds the salabim scene and records its chunk (``mp4v``); ffmpeg then
joins the chunks and encodes H.264 (or GIF). A frame depends only on its time,
so the result does not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from twin.animation import style
from twin.animation.options import DEFAULT_NAME, AnimationOptions, check_output
from twin.animation.plan import Job, prepare
from twin.animation.source import open_report
from twin.problems import Problem, ProblemList

MIN_FRAMES_PER_WORKER = 150  # below this a second process costs more than it saves


@dataclass
class AnimationResult:
    """A rendered animation and where things are in its frames.

    ``node_xy[variant][node]`` is the centre of the node's marker in pixels from the
    top left of the frame; frame ``k`` shows time ``first_day + k / frames_per_day``.
    """

    path: Path
    frames: int
    first_day: int
    last_day: int
    frames_per_day: int
    fps: int
    width: int
    height: int
    node_xy: dict[str, dict[str, tuple[float, float]]]
    workers: int
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def frame_at(self, t: float) -> int:
        """Index of the frame showing time ``t`` (days)."""
        return int(round((t - self.first_day) * self.frames_per_day))


def render_chunk(job: Job, first_frame: int, count: int, raw: Path) -> Path:
    """Draw frames ``first_frame .. first_frame + count - 1`` with salabim into ``raw`` (mp4v)."""
    from twin.animation import video
    from twin.animation.scene import Background, Clock
    from twin.animation.sprites import Caption, DayCounter, LaneMarks, NodeMarkers, ShipmentSprites
    from twin.animation.timeline import Shipments

    options, layout, nodes = job.options, job.layout, job.nodes
    env = video.environment(options.width, options.height, options.fps, options.frames_per_day, style.BACKGROUND)
    clock = Clock(job.index.first, options.frames_per_day, first_frame)
    tagged = {p.variant: {m.node for m in p.marks if m.lane is None} for p in job.panels}
    background = Background(layout, nodes, job.lanes, job.title, job.subtitle, options.labels, job.static_nodes,
                            tagged)
    background.bake(env, raw.parent)
    radius_range = tuple(r * layout.unit for r in style.SHIPMENT_RADIUS_RANGE)
    scene: list = []  # salabim holds the objects too; keep them alive while recording
    for data, panel in zip(job.panels, layout.panels):
        shipments = Shipments(data.batches, panel.node_xy(nodes.node_ids), job.radius_reference_units, radius_range)
        shipments.size_pool(job.frame_times(first_frame, count))
        scene += [LaneMarks(layout, panel, nodes, data.marks, clock),
                  ShipmentSprites(shipments, layout, clock),
                  NodeMarkers(layout, panel, nodes, data.series, data.marks, clock, job.static_nodes),
                  Caption(layout, panel, data.ticker, data.marks, clock, job.warmup_days)]
    scene.append(DayCounter(layout, clock))
    video.record(env, raw, count, options.frames_per_day)
    return raw


def _chunks(frames: int, workers: int) -> list[tuple[int, int]]:
    """(first frame, count) of consecutive chunks, as even as possible."""
    bounds = [round(i * frames / workers) for i in range(workers + 1)]
    return [(a, b - a) for a, b in zip(bounds, bounds[1:]) if b > a]


def _record_all(job: Job, work: Path, workers: int) -> list[Path]:
    chunks = _chunks(job.frames, workers)
    raws = [work / f"chunk-{i:03d}" / "raw.mp4" for i in range(len(chunks))]
    for raw in raws:
        raw.parent.mkdir()
    if len(chunks) == 1:
        return [render_chunk(job, *chunks[0], raws[0])]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=multiprocessing.get_context(method)) as pool:
        futures = [pool.submit(render_chunk, job, first, count, raw) for (first, count), raw in zip(chunks, raws)]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def default_workers(frames: int) -> int:
    """Processes used by default: one per core, but at least ``MIN_FRAMES_PER_WORKER`` frames each."""
    return max(1, min(os.cpu_count() or 1, frames // MIN_FRAMES_PER_WORKER))


def render_animation(report: str | Path, out: str | Path | None = None,
                     options: AnimationOptions = AnimationOptions(), workers: int | None = None,
                     scenario=None) -> AnimationResult:
    """Render the flows of a report folder as an H.264 MP4 (or a looping GIF).

    Parameters
    ----------
    report : a report folder written by ``twin run``.
    out : the file to write (``.mp4`` or ``.gif``); default ``flows.mp4`` in the report folder.
    options : variant, replication, days, frame rate, size.
    workers : processes drawing frames (default: one per core, at least 150 frames each).
    scenario : the run's :class:`~twin.scenario.Scenario`, if already loaded (else read from the manifest).

    Raises
    ------
    twin.problems.ProblemList
        If the report cannot be replayed as asked (nothing is written).
    """
    from twin.animation import video

    started = time.perf_counter()
    report = Path(report)
    out = Path(out) if out is not None else report / DEFAULT_NAME
    try:
        fmt = check_output(str(out))
    except ValueError as exc:
        raise ProblemList([Problem(str(out), 0, str(exc))]) from None
    source = open_report(report, scenario)
    job = prepare(source, options)
    workers = default_workers(job.frames) if workers is None else max(1, min(workers, job.frames))
    with video.atomic_file(out) as target, \
            tempfile.TemporaryDirectory(prefix=".twin-tmp-frames-", dir=out.parent) as folder:
        raws = _record_all(job, Path(folder), workers)
        if fmt == ".gif":
            video.to_gif(raws, target, options.fps, Path(folder))
        else:
            video.to_h264(raws, target, options.fps, Path(folder))
    node_xy = {p.variant: p.node_xy(job.nodes.node_ids) for p in job.layout.panels}
    return AnimationResult(out, job.frames, job.index.first, job.index.last, options.frames_per_day, options.fps,
                           options.width, options.height, node_xy, workers,
                           round(time.perf_counter() - started, 3), source.warnings)
