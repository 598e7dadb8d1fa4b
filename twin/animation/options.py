"""What to animate and how: the options of ``twin animate`` and ``twin run --animate``."""

from __future__ import annotations

import re
from dataclasses import dataclass

BOTH = "both"
FORMATS = (".mp4", ".gif")
DEFAULT_NAME = "flows.mp4"


@dataclass(frozen=True)
class AnimationOptions:
    """Options of one animation.

    Attributes
    ----------
    variant : a variant of the run (``scenario``, ``baseline``, a mitigation's name) or ``both``
        (baseline and scenario side by side).
    replication : the replication replayed (0-based).
    days : ``(first, last)`` days shown, both included; None for the whole horizon.
    fps : video frames per second.
    frames_per_day : frames per simulated day (the video plays ``fps / frames_per_day`` days a second).
    width, height : frame size in pixels (even numbers, for H.264).
    sweep_value : with a sweep, the swept value replayed (None: the first).
    labels : ``all`` nodes, ``major`` (suppliers, hubs, DCs) or ``auto`` (all when there are at
        most 30 stores, else major).
    """

    variant: str = "scenario"
    replication: int = 0
    days: tuple[int, int] | None = None
    fps: int = 30
    frames_per_day: int = 10
    width: int = 1280
    height: int = 720
    sweep_value: float | None = None
    labels: str = "auto"


def parse_days(text: str) -> tuple[int | None, int | None]:
    """``A:B`` (days A to B, both shown), ``A:`` or ``:B``; raise ValueError if malformed."""
    match = re.fullmatch(r"\s*(\d*)\s*:\s*(\d*)\s*", text or "")
    if not match or not (match.group(1) or match.group(2)):
        raise ValueError(f"'{text}' is not A:B (first and last day, e.g. 30:60, 30: or :60)")
    first = int(match.group(1)) if match.group(1) else None
    last = int(match.group(2)) if match.group(2) else None
    if first is not None and last is not None and last < first:
        raise ValueError(f"'{text}': the last day ({last}) is before the first ({first})")
    return first, last


def resolve_days(days: tuple[int | None, int | None] | None, horizon_days: int) -> tuple[int, int]:
    """Fill open ends with the horizon and check the days lie within it; raise ValueError if not."""
    first, last = days if days is not None else (None, None)
    first = 0 if first is None else first
    last = horizon_days - 1 if last is None else last
    if first > horizon_days - 1 or last > horizon_days - 1:
        raise ValueError(f"--days {first}:{last} is outside the run's horizon (days 0 to {horizon_days - 1})")
    if last < first:
        raise ValueError(f"--days {first}:{last}: the last day is before the first")
    return first, last


def parse_size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` in pixels, even, from 320x240 to 3840x2160; raise ValueError if not."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text or "")
    if not match:
        raise ValueError(f"'{text}' is not WIDTHxHEIGHT (e.g. 1280x720)")
    width, height = int(match.group(1)), int(match.group(2))
    if not (320 <= width <= 3840 and 240 <= height <= 2160):
        raise ValueError(f"{width}x{height} is outside 320x240 .. 3840x2160")
    if width % 2 or height % 2:
        raise ValueError(f"{width}x{height}: H.264 needs even width and height")
    return width, height


def check_output(path: str) -> str:
    """The output's format (``.mp4`` or ``.gif``) from its name; raise ValueError for others."""
    suffix = ("." + path.rsplit(".", 1)[-1].lower()) if "." in path else ""
    if suffix not in FORMATS:
        raise ValueError(f"'{path}': the animation is written as .mp4 (H.264) or .gif")
    return suffix
