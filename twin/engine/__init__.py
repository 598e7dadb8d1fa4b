"""The simulation engine (salabim). Nothing outside this package imports salabim."""

from twin.engine.run import RunResult, simulate, stream

__all__ = ["RunResult", "simulate", "stream"]
