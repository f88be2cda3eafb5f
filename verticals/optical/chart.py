"""The myopia chart: spherical equivalent (sphere + cylinder/2) and axial length of each
eye over time, drawn server-side as SVG geometry the template writes out (no script, no
inline style: its look is in optical/optical.css).

The SE of an exam is its subjective refraction's, or the objective one's when no
subjective refraction was recorded."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import formats

from verticals.optical.models import Eye, RefractionKind, VisionExam

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 56, 16, 36


@dataclass
class Point:
    on: dt.date
    exam_id: int
    se: Decimal | None
    axial: Decimal | None


@dataclass
class EyeChart:
    eye: str
    label: str
    points: list[Point] = field(default_factory=list)
    # geometry, set by layout()
    se_path: str = ""
    al_path: str = ""
    se_dots: list[tuple[float, float, str]] = field(default_factory=list)
    al_dots: list[tuple[float, float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    se_ticks: list[tuple[float, str]] = field(default_factory=list)
    al_ticks: list[tuple[float, str]] = field(default_factory=list)
    change_se: Decimal | None = None
    change_axial: Decimal | None = None

    @property
    def has_axial(self) -> bool:
        return any(p.axial is not None for p in self.points)

    @property
    def has_se(self) -> bool:
        return any(p.se is not None for p in self.points)


def history(client) -> dict[str, list[Point]]:
    """{eye: [Point, …]} in exam date order (two queries)."""
    exams = (
        VisionExam.objects.filter(client=client)
        .prefetch_related("refractions")
        .order_by("examined_on", "id")
    )
    out: dict[str, list[Point]] = {Eye.RIGHT: [], Eye.LEFT: []}
    for exam in exams:
        by_kind = {(r.kind, r.eye): r for r in exam.refractions.all()}
        for eye in (Eye.RIGHT, Eye.LEFT):
            r = by_kind.get((RefractionKind.SUBJECTIVE, eye)) or by_kind.get(
                (RefractionKind.OBJECTIVE, eye)
            )
            se = r.spherical_equivalent if r is not None else None
            axial = getattr(exam, f"axial_{eye}")
            if se is None and axial is None:
                continue
            out[eye].append(Point(exam.examined_on, exam.pk, se, axial))
    return out


def _bounds(values: list[float], step: float, pad: float) -> tuple[float, float]:
    low = math.floor((min(values) - pad) / step) * step
    high = math.ceil((max(values) + pad) / step) * step
    if high - low < step * 2:
        high = low + step * 2
    return low, high


def _ticks(low: float, high: float, wanted: int = 5) -> list[float]:
    span = high - low
    for step in (0.25, 0.5, 1, 2, 5):
        if span / step <= wanted:
            break
    first = math.ceil(low / step) * step
    out, value = [], first
    while value <= high + 1e-9:
        out.append(round(value, 2))
        value += step
    return out


def layout(chart: EyeChart) -> EyeChart:
    points = chart.points
    if not points:
        return chart
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    first, last = points[0].on, points[-1].on
    days = max((last - first).days, 1)

    def x(on: dt.date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return round(LEFT + plot_w * (on - first).days / days, 1)

    def scaler(low, high):
        return lambda v: round(TOP + plot_h * (high - float(v)) / (high - low), 1)

    se_values = [float(p.se) for p in points if p.se is not None]
    if se_values:
        low, high = _bounds(se_values, 0.5, 0.25)
        y = scaler(low, high)
        coords = [(x(p.on), y(p.se), p) for p in points if p.se is not None]
        chart.se_path = " ".join(f"{cx},{cy}" for cx, cy, _p in coords)
        chart.se_dots = [(cx, cy, f"{p.se:+.2f} D") for cx, cy, p in coords]
        chart.se_ticks = [(y(t), f"{t:+.2f}") for t in _ticks(low, high)]
        ses = [p.se for p in points if p.se is not None]
        chart.change_se = ses[-1] - ses[0] if len(ses) > 1 else None
    al_values = [float(p.axial) for p in points if p.axial is not None]
    if al_values:
        low, high = _bounds(al_values, 0.5, 0.1)
        y = scaler(low, high)
        coords = [(x(p.on), y(p.axial), p) for p in points if p.axial is not None]
        chart.al_path = " ".join(f"{cx},{cy}" for cx, cy, _p in coords)
        chart.al_dots = [(cx, cy, f"{p.axial:.2f} mm") for cx, cy, p in coords]
        chart.al_ticks = [(y(t), f"{t:.1f}") for t in _ticks(low, high)]
        als = [p.axial for p in points if p.axial is not None]
        chart.change_axial = als[-1] - als[0] if len(als) > 1 else None
    years = sorted({p.on.year for p in points})
    if len(points) <= 8 or len(years) < 2:
        # year-month under each exam (a full date each would run into the next)
        style = "Y-m" if days > 62 else "SHORT_DATE_FORMAT"
        chart.x_ticks = [(x(p.on), formats.date_format(p.on, style)) for p in points]
    else:
        chart.x_ticks = [
            (x(max(dt.date(year, 1, 1), first)), str(year))
            for year in years
            if dt.date(year, 1, 1) <= last
        ]
    return chart


def charts(client) -> list[EyeChart]:
    data = history(client)
    return [layout(EyeChart(eye, str(Eye(eye).label), data[eye])) for eye in (Eye.RIGHT, Eye.LEFT)]


GEOMETRY = {
    "width": WIDTH,
    "height": HEIGHT,
    "left": LEFT,
    "right": WIDTH - RIGHT,
    "top": TOP,
    "bottom": HEIGHT - BOTTOM,
    "plot_width": WIDTH - LEFT - RIGHT,
    "plot_height": HEIGHT - TOP - BOTTOM,
    "left_label": LEFT - 6,
    "right_label": WIDTH - RIGHT + 6,
    "date_label": HEIGHT - BOTTOM + 18,
}
