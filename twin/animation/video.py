"""Recording and encoding: salabim's blind (headless) video writer, then ffmpeg to H.264 or GIF.

Salabim writes MPEG-4 Part 2 (``mp4v``) through OpenCV, frame by frame, which
browsers do not play; the ffmpeg that ``imageio-ffmpeg`` ships transcodes it to
H.264 (yuv420p, ``+faststart``), or to a looping GIF with a palette made in a
first pass. Frames are streamed, never all held in memory. Every file is
written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import salabim as sim

from twin.reports.writer import check_parent, place_errors


def environment(width: int, height: int, fps: int, frames_per_day: int, background: str) -> sim.Environment:
    """A headless salabim environment that records ``frames_per_day`` frames per simulated day.

    No tracing, no window, global random state untouched. One day plays in
    ``frames_per_day / fps`` seconds of video.
    """
    sim.yieldless(True)
    sim.can_animate(try_only=False)  # imports Pillow and tkinter, which salabim needs even headless
    env = sim.Environment(trace=False, random_seed="", set_numpy_random_seed=False, blind_animation=True)
    env.animation_parameters(animate=True, width=width, height=height, x0=0, x1=width, y0=0, fps=fps,
                             speed=fps / frames_per_day, background_color=background, show_fps=False,
                             show_time=False, show_menu_buttons=False, synced=False)
    return env


def record(env: sim.Environment, path: Path, frames: int, frames_per_day: int) -> None:
    """Run ``env`` for ``frames`` frames (time 0, 1/frames_per_day, ...), writing them to ``path`` (mp4v)."""
    env.video(str(path))
    try:
        env.run(till=(frames - 0.5) / frames_per_day)
    finally:
        env.video_close()
        env.animation_parameters(animate=False)


def ffmpeg() -> str:
    """Path of the ffmpeg executable bundled with imageio-ffmpeg."""
    import imageio_ffmpeg
    return imageio_ffmpeg.get_ffmpeg_exe()


def _run(args: list[str]) -> None:
    done = subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {done.stderr.strip()[-2000:]}")


def _inputs(sources: list[Path], work: Path) -> list[str]:
    """ffmpeg input arguments for recorded chunks, joined in order by the concat demuxer."""
    if len(sources) == 1:
        return ["-i", str(sources[0])]
    listing = work / "chunks.txt"
    listing.write_text("".join(f"file '{s.resolve()}'\n" for s in sources), encoding="utf-8")
    return ["-f", "concat", "-safe", "0", "-i", str(listing)]


def to_h264(sources: list[Path], target: Path, fps: int, work: Path) -> None:
    """Join the recorded chunks and encode browser-playable H.264 MP4 (yuv420p, moov atom first)."""
    _run([*_inputs(sources, work), "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
          "-r", str(fps), "-movflags", "+faststart", "-an", "-f", "mp4", str(target)])


def to_gif(sources: list[Path], target: Path, fps: int, work: Path) -> None:
    """Join the recorded chunks into a GIF that loops forever: palette from a first pass, then the frames."""
    palette = work / "palette.png"
    _run([*_inputs(sources, work), "-vf", f"fps={fps},palettegen=stats_mode=diff", str(palette)])
    _run([*_inputs(sources, work), "-i", str(palette), "-lavfi", f"fps={fps}[v];[v][1:v]paletteuse=dither=bayer",
          "-loop", "0", "-f", "gif", str(target)])


@contextmanager
def atomic_file(final: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``final``; rename it to ``final`` on success, remove it on failure."""
    final = Path(final)
    check_parent(final, "the animation", probe=False)  # (making the temporary file is the probe)
    with place_errors(final, "the animation"):
        handle, name = tempfile.mkstemp(prefix=f".twin-tmp-{final.stem}-", suffix=final.suffix, dir=final.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        with place_errors(final, "the animation"):
            yield tmp
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
