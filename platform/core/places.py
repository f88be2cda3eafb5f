"""Time zones and phone regions by name, in the reader's language: "China — Shanghai
(UTC+8)" and "China (+86)" rather than "Asia/Shanghai" and "CN". Country names come from
phonenumbers' own translated data; the zones and their countries from the system's
zone.tab (the same tz database zoneinfo reads)."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from pathlib import Path

import phonenumbers
from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from phonenumbers import geocoder
from pypinyin import lazy_pinyin

# Cities a Chinese reader would not recognise in Latin letters; the rest keep theirs.
CITY_NAMES = {
    "Asia/Shanghai": gettext_lazy("Shanghai"),
    "Asia/Urumqi": gettext_lazy("Urumqi"),
    "Asia/Hong_Kong": gettext_lazy("Hong Kong"),
    "Asia/Macau": gettext_lazy("Macau"),
    "Asia/Taipei": gettext_lazy("Taipei"),
    "Asia/Singapore": gettext_lazy("Singapore"),
    "Asia/Kuala_Lumpur": gettext_lazy("Kuala Lumpur"),
    "Asia/Bangkok": gettext_lazy("Bangkok"),
    "Asia/Tokyo": gettext_lazy("Tokyo"),
    "Asia/Seoul": gettext_lazy("Seoul"),
    "Asia/Dubai": gettext_lazy("Dubai"),
    "Europe/London": gettext_lazy("London"),
    "Europe/Paris": gettext_lazy("Paris"),
    "Europe/Berlin": gettext_lazy("Berlin"),
    "America/New_York": gettext_lazy("New York"),
    "America/Los_Angeles": gettext_lazy("Los Angeles"),
    "America/Vancouver": gettext_lazy("Vancouver"),
    "America/Toronto": gettext_lazy("Toronto"),
    "Australia/Sydney": gettext_lazy("Sydney"),
    "Australia/Melbourne": gettext_lazy("Melbourne"),
    "Pacific/Auckland": gettext_lazy("Auckland"),
}


def _language() -> str:
    return "zh" if (get_language() or "").startswith("zh") else "en"


def _sorted(choices: list[tuple[str, str]], language: str) -> list[tuple[str, str]]:
    if language == "zh":
        return sorted(choices, key=lambda c: ("".join(lazy_pinyin(c[1])).lower(), c[1]))
    return sorted(choices, key=lambda c: c[1].lower())


def country_name(region: str, language: str | None = None) -> str:
    """The country's name, in English where phonenumbers has none in the language; empty
    for the few regions it does not name at all."""
    for lang in (language or _language(), "en"):
        name = geocoder._region_display_name(region, lang, None, None)
        if name and not name.startswith("*"):  # "*zh": a placeholder, not a name
            return name
    return ""


@functools.cache
def _zone_countries() -> dict[str, str]:
    """Zone → ISO country code, from the first zone.tab on zoneinfo's search path."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.exists():
            rows = (line.split("\t") for line in path.read_text().splitlines())
            return {row[2]: row[0] for row in rows if len(row) >= 3 and not row[0].startswith("#")}
    return {}


def _offset(name: str, now: dt.datetime) -> str:
    minutes = int(now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@functools.lru_cache(maxsize=8)
def _zone_choices(language: str, day: dt.date) -> tuple[tuple[str, str], ...]:
    now = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    countries = _zone_countries()
    if not countries:  # no tz database table on this machine: the names as they are
        names = sorted(n for n in zoneinfo.available_timezones() if "/" in n)
        return tuple((n, n.replace("_", " ")) for n in names)
    choices = [("UTC", f"{_('Coordinated Universal Time')} (UTC)")]
    for name, region in countries.items():
        try:
            offset = _offset(name, now)
        except zoneinfo.ZoneInfoNotFoundError:
            continue
        city = name.rsplit("/", 1)[-1].replace("_", " ")
        country = country_name(region, language) or region
        if city == country_name(region, "en"):  # Hong Kong, Singapore: once is enough
            label = f"{country} ({offset})"
        else:
            label = f"{country} — {CITY_NAMES.get(name) or city} ({offset})"
        choices.append((name, label))
    return tuple(_sorted(choices, language))


def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone of the tz database by country, city and today's offset, sorted by name
    (pinyin on Chinese pages) so typing the first letters of a country finds it."""
    return list(_zone_choices(_language(), dt.datetime.now(dt.UTC).date()))


def time_zone_choices_keeping(current: str | None) -> list[tuple[str, str]]:
    """The choices, plus ``current`` if it is a valid zone they leave out (an alias such
    as Asia/Chongqing chosen before zones were listed by country), so that a settings
    form does not silently swap a business's zone for the first in the list."""
    choices = time_zone_choices()
    if current and current not in dict(choices) and current in zoneinfo.available_timezones():
        choices.insert(0, (current, current.replace("_", " ")))
    return choices


def time_zone_label(name: str) -> str:
    return dict(time_zone_choices()).get(name, name)


@functools.lru_cache(maxsize=4)
def _region_choices(language: str) -> tuple[tuple[str, str], ...]:
    choices = [
        (region, f"{name} (+{phonenumbers.country_code_for_region(region)})")
        for region in phonenumbers.SUPPORTED_REGIONS
        if (name := country_name(region, language))
    ]
    return tuple(_sorted(choices, language))


def phone_region_choices() -> list[tuple[str, str]]:
    """Countries whose numbers may be typed without their +code, by name."""
    return list(_region_choices(_language()))


class SearchableSelect(forms.Select):
    """A long select that app.js gives a filter box (typing "shang" or "上海" narrows the
    zones); without script it is a plain select, still found by typing a name's start."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(
            {
                "data-searchable": "",
                "data-search-label": gettext_lazy("Type to search"),
                **(attrs or {}),
            },
            choices,
        )
