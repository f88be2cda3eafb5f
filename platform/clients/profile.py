"""The client profile is built from registries, so that later areas (visits, contact log,
appointments, bills, vertical records) add their tab and their timeline entries from
their own apps without touching this one.

A tab is a template fragment plus a function that returns its context; a timeline source
is a function that returns the client's events of one kind. Both name the capability a
user needs; the profile shows a user only what their roles open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.functional import Promise

from verticals import registry


@dataclass(frozen=True)
class ProfileTab:
    key: str
    label: str | Promise
    order: int
    capability: str
    template: str
    # (request, client) -> extra context for the template; None for none.
    context: Callable | None = None
    # A vertical's tab (its key): shown only where the business has that vertical on; its
    # data stays when the vertical is turned off.
    vertical: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    when: dt.datetime | dt.date
    kind: str  # short key, also the CSS modifier: "visit", "contact", "change"…
    kind_label: str | Promise
    title: str
    detail: str = ""
    url: str = ""
    actor: str = ""

    @property
    def sort_key(self) -> dt.datetime:
        if isinstance(self.when, dt.datetime):
            return self.when
        return dt.datetime.combine(self.when, dt.time.max, tzinfo=dt.UTC)


@dataclass(frozen=True)
class TimelineSource:
    key: str
    capability: str
    # (client, user, limit) -> iterable of TimelineEntry, newest first, at most ``limit``.
    entries: Callable[..., Iterable[TimelineEntry]] = field(repr=False)
    vertical: str = ""


_tabs: dict[str, ProfileTab] = {}
_timeline: dict[str, TimelineSource] = {}


def register_tab(tab: ProfileTab) -> None:
    _tabs[tab.key] = tab


def register_timeline(source: TimelineSource) -> None:
    _timeline[source.key] = source


def _shown(item) -> bool:
    return not item.vertical or registry.is_enabled(item.vertical)


def tabs_for(user) -> list[ProfileTab]:
    return sorted(
        (t for t in _tabs.values() if user.can(t.capability) and _shown(t)),
        key=lambda t: t.order,
    )


def tab_exists(key: str) -> bool:
    """A tab of this business (a tab of a trade it has off does not exist here)."""
    tab = _tabs.get(key)
    return tab is not None and _shown(tab)


def tab_for(user, key: str) -> ProfileTab | None:
    tab = _tabs.get(key)
    return tab if tab is not None and user.can(tab.capability) and _shown(tab) else None


def timeline_for(client, user, *, limit: int = 100) -> list[TimelineEntry]:
    """Everything the user may see about the client, newest first. Each source runs a
    bounded number of queries, so the tab's cost does not grow with the client's file."""
    entries: list[TimelineEntry] = []
    for source in _timeline.values():
        if user.can(source.capability) and _shown(source):
            entries.extend(source.entries(client, user, limit))
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return entries[:limit]
