"""Texts of the artifact viewer's inspection tools (js/lib/inspect-*.js, measure.js's modes)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def inspect_strings() -> dict[str, str]:
    """Merged into the viewer's strings (museum/gallery/views.py, viewer_config)."""
    return {
        "angleStart": _(
            "Measuring an angle: click three points, the corner second. Escape cancels."
        ),
        "areaStart": _(
            "Measuring an area: click the corners in order; click the first point again or "
            "press Shift+Enter to close the shape. Escape cancels."
        ),
        "pointStart": _("Picking points: click the model to read a point's position."),
        "measureNext": _("Now choose point {number}."),
        "angleResult": _("Angle: {angle}°"),
        "angleLabel": _("{angle}°"),
        "areaResult": _("Area: {area} cm² ({count} corners)"),
        "areaLabel": _("{area} cm²"),
        "pointResult": _("Point: x {x}, y {y}, z {z} cm"),
        "pointLabel": _("x {x} · y {y} · z {z} cm"),
        "screenshotSaved": _("Image saved: {width} × {height} pixels."),
        "screenshotReduced": _(
            "This device cannot draw that large; saved {width} × {height} pixels instead."
        ),
        "screenshotFailed": _("The image could not be made."),
    }
