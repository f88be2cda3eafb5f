"""The face map's geometry: the two drawings (front and profile, static/aesthetic/) share
one viewBox, and a point is stored as fractions (0..1) of its width and height, so a point
lands on the same spot whatever size the drawing is shown at."""

from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _

from verticals.aesthetic.models import MapView

WIDTH, HEIGHT = 200, 260
DRAWINGS = (
    (MapView.FRONT, _("Front view"), "aesthetic/face_front.svg"),
    (MapView.PROFILE, _("Side view"), "aesthetic/face_profile.svg"),
)


def _placed(points) -> list[dict]:
    out = []
    for n, p in enumerate(points or [], start=1):
        if not isinstance(p, dict):
            continue
        try:
            x, y = float(p.get("x")), float(p.get("y"))
        except (TypeError, ValueError):
            continue
        out.append(
            {
                **p,
                "n": n,
                "cx": round(x * WIDTH, 2),
                "cy": round(y * HEIGHT, 2),
                "tx": round(x * WIDTH + 6, 2),
                "ty": round(y * HEIGHT - 5, 2),
            }
        )
    return out


def _drawings(placed) -> list[dict]:
    return [
        {
            "view": view,
            "label": label,
            "image": image,
            "points": [p for p in placed if p.get("view") == view],
        }
        for view, label, image in DRAWINGS
    ]


def read_only(points) -> dict:
    placed = _placed(points)
    return {"width": WIDTH, "height": HEIGHT, "drawings": _drawings(placed), "points": placed}


def editable(value) -> dict:
    """The map for the form: ``value`` is the field's value (a list, or the JSON posted)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError:
            value = []
    points = value if isinstance(value, list) else []
    return {**read_only(points), "editable": True}
