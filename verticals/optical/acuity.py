"""Visual acuity notations. The canonical value is logMAR (Decimal, two places); the
decimal scale, the Chinese 5-point scale (五分记录, GB 11533) and Snellen fractions in
metres (6/x) or feet (20/x) are ways of writing it.

Chart lines are written as printed on the chart (decimal 0.6 is logMAR 0.2, 6/9.5 and
20/32 are too), and a value typed as a chart line is read as that line, so a value shown
and typed back is the same value. Anything between lines is computed."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from verticals.optical.models import Notation

MIN_LOGMAR = Decimal("-0.30")
MAX_LOGMAR = Decimal("3.00")
STEP = Decimal("0.01")

# Chart lines of each notation: written value -> logMAR.
_DECIMAL_LINES = {
    "2.0": "-0.3", "1.5": "-0.2", "1.2": "-0.1", "1.0": "0.0", "0.8": "0.1", "0.6": "0.2",
    "0.5": "0.3", "0.4": "0.4", "0.3": "0.5", "0.25": "0.6", "0.2": "0.7", "0.15": "0.8",
    "0.12": "0.9", "0.1": "1.0", "0.08": "1.1", "0.06": "1.2", "0.05": "1.3", "0.04": "1.4",
    "0.03": "1.5", "0.02": "1.7", "0.01": "2.0",
}  # fmt: skip
_METRE_LINES = {
    "3": "-0.3", "3.8": "-0.2", "4.8": "-0.1", "6": "0.0", "7.5": "0.1", "9.5": "0.2",
    "12": "0.3", "15": "0.4", "19": "0.5", "24": "0.6", "30": "0.7", "38": "0.8", "48": "0.9",
    "60": "1.0", "120": "1.3",
}  # fmt: skip
_FEET_LINES = {
    "10": "-0.3", "12.5": "-0.2", "16": "-0.1", "20": "0.0", "25": "0.1", "32": "0.2",
    "40": "0.3", "50": "0.4", "63": "0.5", "80": "0.6", "100": "0.7", "125": "0.8",
    "160": "0.9", "200": "1.0", "400": "1.3",
}  # fmt: skip


def _q(value) -> Decimal:
    return Decimal(value).quantize(STEP, rounding=ROUND_HALF_UP)


def _lines(table):
    by_written = {Decimal(k): _q(v) for k, v in table.items()}
    by_logmar = {}
    for written, logmar in by_written.items():
        by_logmar.setdefault(logmar, written)
    return by_written, by_logmar


_DEC = _lines(_DECIMAL_LINES)
_MET = _lines(_METRE_LINES)
_FT = _lines(_FEET_LINES)
_DISTANCE = {Notation.SNELLEN_METRES: (Decimal(6), _MET), Notation.SNELLEN_FEET: (Decimal(20), _FT)}


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def format_acuity(logmar, notation: str) -> str:
    """``logmar`` written in ``notation`` ("" for no value)."""
    if logmar is None or logmar == "":
        return ""
    logmar = _q(logmar)
    if notation == Notation.FIVE_POINT:
        return (
            f"{Decimal(5) - logmar:.1f}"
            if logmar == logmar.quantize(Decimal("0.1"))
            else (f"{Decimal(5) - logmar:.2f}")
        )
    if notation in _DISTANCE:
        base, (_written, lines) = _DISTANCE[notation]
        if logmar in lines:
            return f"{_plain(base)}/{_plain(lines[logmar])}"
        raw = float(base) * 10 ** float(logmar)
        for places in (0 if raw >= 100 else 1, 2, 3):
            text = f"{_plain(base)}/{_plain(Decimal(repr(round(raw, places))))}"
            if _reads_back(text, notation, logmar):
                break
        return text
    _written, lines = _DEC
    if logmar in lines:
        value = lines[logmar]
        return f"{value:.1f}" if value == value.quantize(Decimal("0.1")) else _plain(value)
    raw = 10 ** -float(logmar)
    for digits in (3, 4, 5):
        text = _plain(Decimal(repr(round(raw, digits - 1 - math.floor(math.log10(raw))))))
        if _reads_back(text, notation, logmar):
            break
    return text


def _reads_back(text: str, notation: str, logmar: Decimal) -> bool:
    try:
        return parse_acuity(text, notation, check_range=False) == logmar
    except ValueError:
        return False


_FRACTION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def parse_acuity(text: str, notation: str, *, check_range: bool = True) -> Decimal | None:
    """logMAR of ``text`` typed in ``notation`` (a fraction such as 6/12 or 20/40 is read
    as Snellen in any notation). None for an empty value; ValueError with a translated
    message for anything else that is not an acuity."""
    text = (text or "").strip().replace("，", ".").replace(",", ".")
    if not text:
        return None
    match = _FRACTION.match(text)
    try:
        if match:
            distance, denominator = Decimal(match[1]), Decimal(match[2])
            if distance <= 0 or denominator <= 0:
                raise ValueError
            table = {Decimal(6): _MET[0], Decimal(20): _FT[0]}.get(distance.normalize(), {})
            logmar = table.get(denominator) if denominator in table else None
            if logmar is None:
                logmar = _q(repr(math.log10(float(denominator) / float(distance))))
        else:
            value = Decimal(text)
            if not value.is_finite():  # NaN would fail the range check below uncaught
                raise ValueError
            if notation == Notation.FIVE_POINT:
                logmar = _q(Decimal(5) - value)
            elif notation in _DISTANCE:
                raise ValueError
            else:
                if value <= 0:
                    raise ValueError
                logmar = _DEC[0].get(value)
                if logmar is None:
                    logmar = _q(repr(-math.log10(float(value))))
    except (InvalidOperation, ValueError, ArithmeticError):
        raise ValueError(_example_message(notation)) from None
    if check_range and not MIN_LOGMAR <= logmar <= MAX_LOGMAR:
        raise ValueError(
            _("This acuity is outside the range a chart measures (%(low)s to %(high)s).")
            % {
                "low": format_acuity(MAX_LOGMAR, notation),
                "high": format_acuity(MIN_LOGMAR, notation),
            }
        )
    return logmar


def _example_message(notation: str) -> str:
    examples = {
        Notation.DECIMAL: "1.0, 0.5, 0.12",
        Notation.FIVE_POINT: "5.0, 4.7, 4.1",
        Notation.SNELLEN_METRES: "6/6, 6/12, 6/60",
        Notation.SNELLEN_FEET: "20/20, 20/40, 20/200",
    }
    return _("Enter the acuity as on the chart, e.g. %(examples)s.") % {
        "examples": examples.get(notation, examples[Notation.DECIMAL])
    }


def notation_hint(notation: str) -> str:
    return _example_message(notation)
