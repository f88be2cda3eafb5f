"""How a vertical plugs into the core. The core never imports a vertical: each vertical
app registers a ``Vertical`` in its AppConfig.ready(), and the core asks this registry
which vertical serves a business type. Record models, forms, client-profile tabs,
printable documents and recall defaults join this declaration as the verticals grow."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class DemoStaff:
    full_name: str
    email_local: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DemoVisit:
    client: int  # index into the demo clients, oldest first
    days_ago: int
    items: tuple[str, ...]
    satisfaction: int
    amount: str
    efficacy: str = ""


@dataclass(frozen=True)
class DemoContact:
    client: int
    days_ago: int
    purpose: str
    channel: str
    summary: str
    outcome: str = ""
    follow_up_in_days: int | None = None  # from today; negative: overdue


@dataclass(frozen=True)
class DemoClient:
    name: str
    gender: str
    born: str  # ISO date
    mobile: str  # E.164
    drug_allergy: str = ""
    flags: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # names of the business's demo tags


@dataclass(frozen=True)
class DemoTag:
    name: str
    colour: str


@dataclass(frozen=True)
class DemoField:
    label: str
    kind: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoSection:
    name: str
    fields: tuple[DemoField, ...]


@dataclass(frozen=True)
class DemoBusiness:
    name: str
    subdomain: str
    business_type: str
    language: str = "zh-hans"
    time_zone: str = "Asia/Shanghai"
    currency: str = "CNY"
    phone_region: str = "CN"  # of numbers typed without +code
    staff: tuple[DemoStaff, ...] = ()
    # Clients, tags and custom-field sections of the business's own trade (no 敏感肌
    # tag at a dentist's), and history for the first clients, in its own language.
    clients: tuple[DemoClient, ...] = ()
    tags: tuple[DemoTag, ...] = ()
    sections: tuple[DemoSection, ...] = ()
    visits: tuple[DemoVisit, ...] = ()
    contacts: tuple[DemoContact, ...] = ()


@dataclass(frozen=True)
class MenuResource:
    """A room, chair or device of the starting menu (kind: room, chair or device)."""

    name: str
    kind: str


@dataclass(frozen=True)
class MenuService:
    """One line of the starting service menu signup seeds for the business type; the owner
    edits it from there. Names are written once, in the trade's usual language."""

    name: str
    category: str
    duration_minutes: int
    price: str = "0"
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    colour: str = "teal"
    recall_days: int | None = None
    online_bookable: bool = True
    # What it occupies: any starting resource of this kind, or the one named (or none).
    resource_kind: str = ""
    resource: str = ""


@dataclass(frozen=True)
class Vertical:
    key: str
    label: str | Promise
    business_types: tuple[str, ...]
    demo_businesses: tuple[DemoBusiness, ...] = field(default=())
    # Treatment items the visit form offers as examples: the business's own trade.
    visit_examples: tuple[str | Promise, ...] = ()
    # The service menu and the rooms, chairs and devices signup starts a business with.
    starting_menu: tuple[MenuService, ...] = ()
    starting_resources: tuple[MenuResource, ...] = ()


_verticals: dict[str, Vertical] = {}


def register(vertical: Vertical) -> None:
    for other in _verticals.values():
        overlap = set(other.business_types) & set(vertical.business_types)
        if other.key != vertical.key and overlap:
            raise ValueError(f"{vertical.key} and {other.key} both claim {sorted(overlap)}")
    _verticals[vertical.key] = vertical


def all_verticals() -> list[Vertical]:
    return list(_verticals.values())


def for_business_type(business_type: str) -> Vertical | None:
    for vertical in _verticals.values():
        if business_type in vertical.business_types:
            return vertical
    return None


def current() -> Vertical | None:
    """The vertical of the business whose schema is in use (None in the public schema)."""
    from django.db import connection

    return for_business_type(getattr(getattr(connection, "tenant", None), "business_type", ""))
