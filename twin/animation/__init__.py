"""Animated map of a run's flows, replayed from its report folder with salabim's animation.

``twin animate REPORT`` and ``twin run --animate`` call :func:`render_animation`.
Only this package and :mod:`twin.engine` import salabim; the modules that
read reports and compute what a frame shows (:mod:`~twin.animation.source`,
:mod:`~twin.animation.timeline`, :mod:`~twin.animation.layout`) do not.
"""

from twin.animation.options import AnimationOptions

__all__ = ["AnimationOptions", "render_animation"]


def render_animation(*args, **kwargs):
    """See :func:`twin.animation.render.render_animation` (imported lazily: it loads salabim)."""
    from twin.animation.render import render_animation as render
    return render(*args, **kwargs)
