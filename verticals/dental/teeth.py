"""FDI two-digit tooth numbering (ISO 3950): the first digit is the quadrant (1–4 adult,
5–8 child, clockwise from the patient's upper right), the second the tooth counted from
the midline. Surfaces are stored with one letter each; their names depend on the tooth
(occlusal on a molar is incisal on an incisor, buccal is labial at the front, lingual is
palatal in the upper jaw)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ADULT_QUADRANTS = (1, 2, 3, 4)
CHILD_QUADRANTS = (5, 6, 7, 8)


def _teeth(quadrants, count):
    return tuple(q * 10 + n for q in quadrants for n in range(1, count + 1))


ADULT_TEETH = _teeth(ADULT_QUADRANTS, 8)
CHILD_TEETH = _teeth(CHILD_QUADRANTS, 5)
ALL_TEETH = frozenset(ADULT_TEETH + CHILD_TEETH)

# Site order of a periodontal probing, per tooth (mesio-buccal … disto-lingual).
PERIO_SITES = ("MB", "B", "DB", "ML", "L", "DL")
SITE_LABELS = {
    "MB": _("mesio-buccal"),
    "B": _("buccal"),
    "DB": _("disto-buccal"),
    "ML": _("mesio-lingual"),
    "L": _("lingual"),
    "DL": _("disto-lingual"),
}

SURFACES = ("M", "O", "D", "B", "L")


def is_tooth(number) -> bool:
    try:
        return int(number) in ALL_TEETH
    except (TypeError, ValueError):
        return False


def is_child(number: int) -> bool:
    return number // 10 in CHILD_QUADRANTS


def is_upper(number: int) -> bool:
    return number // 10 in (1, 2, 5, 6)


def is_anterior(number: int) -> bool:
    return number % 10 <= 3


def surface_label(number: int, surface: str) -> str:
    if surface == "M":
        return str(_("mesial"))
    if surface == "D":
        return str(_("distal"))
    if surface == "O":
        return str(_("incisal") if is_anterior(number) else _("occlusal"))
    if surface == "B":
        return str(_("labial") if is_anterior(number) else _("buccal"))
    return str(_("palatal") if is_upper(number) else _("lingual"))


def surface_names(surfaces) -> dict[str, str]:
    """Generic names of the stored letters (for forms that do not know the tooth yet)."""
    return {
        "M": str(_("mesial")),
        "O": str(_("occlusal / incisal")),
        "D": str(_("distal")),
        "B": str(_("buccal / labial")),
        "L": str(_("lingual / palatal")),
    }


def chart_rows(child: bool) -> list[list[int]]:
    """The teeth as the dentist looks at the patient: upper jaw right to left (18…11 then
    21…28), lower jaw right to left (48…41 then 31…38)."""
    count = 5 if child else 8
    q = CHILD_QUADRANTS if child else ADULT_QUADRANTS
    upper = [q[0] * 10 + n for n in range(count, 0, -1)] + [
        q[1] * 10 + n for n in range(1, count + 1)
    ]
    lower = [q[3] * 10 + n for n in range(count, 0, -1)] + [
        q[2] * 10 + n for n in range(1, count + 1)
    ]
    return [upper, lower]


def tooth_choices(child: bool | None = None) -> list[tuple[int, str]]:
    numbers = CHILD_TEETH if child else ADULT_TEETH
    if child is None:
        numbers = ADULT_TEETH + CHILD_TEETH
    return [(n, str(n)) for n in numbers]
