"""The tooth chart, derived from its append-only history (``ToothEntry``).

Rules, applied oldest entry first:

- an entry with surfaces sets each of those surfaces of the tooth to itself (a filling on
  O replaces the caries on O); a ``resolved`` one clears them;
- an entry without surfaces sets its condition on the whole tooth (a tooth can be crowned
  and root-filled at once); a ``resolved`` one clears that condition from the tooth, on
  the whole tooth and on every surface.

The SVG is drawn on the server from that state (``chart_svg``): each tooth is a box of
five surfaces (the odontogram's usual layout, buccal to the outside of the arch, mesial
towards the midline), whole-tooth conditions as coloured marks under it, a cross over a
missing tooth or one planned for extraction."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from verticals.dental import teeth
from verticals.dental.models import Condition, EntryStatus, ToothEntry

COLOURS = {
    Condition.CARIES: "#d94848",
    Condition.FILLING: "#3b7dd8",
    Condition.SEALANT: "#40a36b",
    Condition.FRACTURED: "#e8890c",
    Condition.VENEER: "#9775fa",
    Condition.CROWN: "#c9a227",
    Condition.BRIDGE: "#8d6e63",
    Condition.ROOT_CANAL: "#d6336c",
    Condition.IMPLANT: "#495057",
    Condition.MISSING: "#868e96",
    Condition.EXTRACTION_PLANNED: "#c92a2a",
    Condition.WEAR: "#4dabf7",
}
EMPTY = "#ffffff"
STROKE = "#64748b"


@dataclass
class ToothState:
    number: int
    surfaces: dict[str, ToothEntry] = field(default_factory=dict)
    whole: dict[str, ToothEntry] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.surfaces and not self.whole

    def conditions(self) -> list[ToothEntry]:
        seen, out = set(), []
        for entry in [*self.whole.values(), *self.surfaces.values()]:
            if entry.pk not in seen:
                seen.add(entry.pk)
                out.append(entry)
        return sorted(out, key=lambda e: (e.recorded_at, e.pk))


def derive(entries) -> dict[int, ToothState]:
    """The current chart from entries (any order): {tooth: ToothState}."""
    state: dict[int, ToothState] = {}
    for entry in sorted(entries, key=lambda e: (e.recorded_at, e.pk)):
        tooth = state.setdefault(entry.tooth, ToothState(entry.tooth))
        resolved = entry.status == EntryStatus.RESOLVED
        if entry.surfaces:
            for surface in entry.surfaces:
                if resolved:
                    tooth.surfaces.pop(surface, None)
                else:
                    tooth.surfaces[surface] = entry
        elif resolved:
            tooth.whole.pop(entry.condition, None)
            for surface, held in list(tooth.surfaces.items()):
                if held.condition == entry.condition:
                    del tooth.surfaces[surface]
        else:
            tooth.whole[entry.condition] = entry
    return {n: s for n, s in state.items() if not s.empty}


def client_entries(client):
    """The whole history of the client's chart, oldest first: one query."""
    return list(
        ToothEntry.objects.filter(client=client)
        .select_related("recorded_by")
        .order_by("recorded_at", "id")
    )


# ---------- drawing ----------

BOX = 34  # a tooth's box
INNER = 14  # the occlusal square inside it
GAP = 8
STRIP = 10  # whole-tooth marks
LABEL = 14
MIDLINE = 14
PAD = 6


def _fmt(points) -> str:
    return " ".join(f"{x:g},{y:g}" for x, y in points)


def _surface_polygons(x: float, y: float, number: int) -> dict[str, str]:
    """Points of the five surfaces of a tooth's box at (x, y)."""
    o = (BOX - INNER) / 2
    tl, tr, br, bl = (x, y), (x + BOX, y), (x + BOX, y + BOX), (x, y + BOX)
    itl, itr = (x + o, y + o), (x + o + INNER, y + o)
    ibr, ibl = (x + o + INNER, y + o + INNER), (x + o, y + o + INNER)
    top = _fmt([tl, tr, itr, itl])
    bottom = _fmt([bl, br, ibr, ibl])
    left = _fmt([tl, itl, ibl, bl])
    right = _fmt([tr, itr, ibr, br])
    upper = teeth.is_upper(number)
    # On the chart the patient's right is on the viewer's left: quadrants 1, 4, 5, 8 have
    # their midline (mesial) on the right.
    mesial_right = number // 10 in (1, 4, 5, 8)
    return {
        "B": top if upper else bottom,
        "L": bottom if upper else top,
        "M": right if mesial_right else left,
        "D": left if mesial_right else right,
        "O": _fmt([itl, itr, ibr, ibl]),
    }


def _entry_text(entry: ToothEntry) -> str:
    text = f"{entry.get_condition_display()} ({entry.get_status_display()})"
    return text


def chart_svg(state: dict[int, ToothState], *, child: bool, selected: int | None = None) -> dict:
    """Everything the SVG template draws: size, and per tooth its box, surfaces (points,
    fill, title), whole-tooth marks and crosses."""
    rows = teeth.chart_rows(child)
    per_row = len(rows[0])
    cell = BOX + GAP
    width = PAD * 2 + per_row * cell + MIDLINE - GAP
    row_height = LABEL + BOX + STRIP + GAP
    height = PAD * 2 + 2 * row_height + GAP
    drawn = []
    for r, row in enumerate(rows):
        for i, number in enumerate(row):
            x = PAD + i * cell + (MIDLINE if i >= per_row // 2 else 0)
            top = PAD + r * (row_height + GAP)
            # Upper jaw: number above the box, marks below; lower jaw the other way round.
            if r == 0:
                label_y, box_y, strip_y = top + LABEL - 3, top + LABEL, top + LABEL + BOX + 2
            else:
                strip_y, box_y = top, top + STRIP
                label_y = box_y + BOX + LABEL - 2
            tooth = state.get(number) or ToothState(number)
            polygons = []
            for surface, points in _surface_polygons(x, box_y, number).items():
                entry = tooth.surfaces.get(surface)
                polygons.append(
                    {
                        "surface": surface,
                        "points": points,
                        "fill": COLOURS.get(entry.condition, EMPTY) if entry else EMPTY,
                        "planned": bool(entry and entry.status == EntryStatus.PLANNED),
                        "title": f"{number} {teeth.surface_label(number, surface)}"
                        + (f": {_entry_text(entry)}" if entry else ""),
                    }
                )
            marks = []
            whole = [e for c, e in tooth.whole.items() if c not in (Condition.MISSING,)]
            mark_w = BOX / max(1, len(whole)) if whole else BOX
            for k, entry in enumerate(whole):
                marks.append(
                    {
                        "x": round(x + k * mark_w, 2),
                        "y": strip_y,
                        "w": round(mark_w - 1, 2),
                        "h": STRIP - 2,
                        "fill": COLOURS[entry.condition],
                        "planned": entry.status == EntryStatus.PLANNED,
                        "title": f"{number}: {_entry_text(entry)}",
                    }
                )
            cross = None
            if Condition.MISSING in tooth.whole or Condition.EXTRACTION_PLANNED in tooth.whole:
                missing = Condition.MISSING in tooth.whole
                cross = {
                    "x1": x + 3,
                    "y1": box_y + 3,
                    "x2": x + BOX - 3,
                    "y2": box_y + BOX - 3,
                    "x3": x + BOX - 3,
                    "x4": x + 3,
                    "colour": COLOURS[
                        Condition.MISSING if missing else Condition.EXTRACTION_PLANNED
                    ],
                }
            drawn.append(
                {
                    "number": number,
                    "x": x,
                    "box_y": box_y,
                    "label_x": x + BOX / 2,
                    "label_y": label_y,
                    "polygons": polygons,
                    "marks": marks,
                    "cross": cross,
                    "missing": Condition.MISSING in tooth.whole,
                    "selected": number == selected,
                    "summary": ", ".join(_entry_text(e) for e in tooth.conditions()),
                }
            )
    return {
        "width": width,
        "height": height,
        "teeth": drawn,
        "midline_x": PAD + (per_row // 2) * cell + MIDLINE / 2 - GAP / 2,
    }


def legend() -> list[dict]:
    return [{"label": label, "colour": COLOURS[value]} for value, label in Condition.choices]


PLANNED_NOTE = _("Planned work is drawn faded with a dashed outline.")
