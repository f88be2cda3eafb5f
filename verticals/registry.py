"""How a vertical plugs into the core. The core never imports a vertical: each vertical
app registers one ``Vertical`` in its AppConfig.ready(), declaring in one place the
business types it serves, its capabilities, client-profile tabs, timeline sources,
navigation entries, dashboard widgets, client-data handlers (export, erasure, merge),
audit names, the visit-record form shown when one of its appointments is completed,
import columns, printable documents, recall default, starting menu and demo data.

``register`` hands each piece to the core registry it belongs to, stamped with the
vertical's key, and the core shows a stamped piece only where ``is_enabled(key)``: the
business's type picks its vertical, and the owner may turn on more
(``Tenant.extra_verticals``). Turning one off hides its pages and keeps its data; the
client-data handlers run whatever is on, so an export, erasure or merge reaches every
record a client has.

This module imports nothing of the core at import time (the core imports it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
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
class VisitRecord:
    """The form a practitioner fills in when an appointment of this trade is completed:
    ``url_name`` takes the visit's id as ``visit_id``."""

    label: str | Promise
    url_name: str
    capability: object  # a Capability or the vertical's ExtraCapability


@dataclass(frozen=True)
class Document:
    """A printable document of the trade (a spectacle prescription, a consent): the
    profile lists it; ``url_name`` takes ``client_id`` (and the view picks the record)."""

    key: str
    label: str | Promise
    url_name: str
    capability: object


@dataclass(frozen=True)
class ImportColumn:
    """A column the client import accepts for this trade: ``header`` and its aliases as
    they appear in spreadsheets, and ``apply(client, value, actor)`` called inside the
    import's transaction for each row that has a value (raise ValidationError for a bad
    one; the import reports it next to the row)."""

    key: str
    header: str | Promise
    aliases: tuple[str, ...] = ()
    apply: Callable | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Billable:
    """An item of a trade the till may bill (a dental treatment-plan item): offered as a
    line when a bill is made from the client's appointment. ``source_ref`` names it,
    "<vertical key>.<kind>:<id>", so it is billed once; ``unit_price`` is a Decimal in the
    business's currency."""

    source_ref: str
    description: str
    unit_price: object  # Decimal
    category: str = ""


@dataclass(frozen=True)
class CapabilityDecl:
    code: str
    label: str | Promise
    roles: tuple[str, ...]  # roles that get it by default (the owner always does)
    clinical: bool = True


@dataclass(frozen=True)
class Vertical:
    key: str
    label: str | Promise
    business_types: tuple[str, ...]
    # Labels of the business types, for signup and the Tenant field's choices.
    business_type_labels: tuple[str | Promise, ...] = ()
    demo_businesses: tuple[DemoBusiness, ...] = field(default=())
    # Treatment items the visit form offers as examples: the business's own trade.
    visit_examples: tuple[str | Promise, ...] = ()
    # The service menu and the rooms, chairs and devices signup starts a business with.
    starting_menu: tuple[MenuService, ...] = ()
    starting_resources: tuple[MenuResource, ...] = ()
    # Months until a client of this trade is due back when a service names none.
    recall_months: int | None = None
    # Everything below is handed to the core registries by register(); each item is
    # the core's own dataclass (clients.profile.ProfileTab, portal.navigation.NavItem…).
    capabilities: tuple[CapabilityDecl, ...] = ()
    tabs: tuple = ()  # clients.profile.ProfileTab
    timeline: tuple = ()  # clients.profile.TimelineSource
    nav: tuple = ()  # portal.navigation.NavItem
    widgets: tuple = ()  # portal.dashboard.DashboardWidget
    client_data: tuple = ()  # clients.related.ClientData (never gated: data is kept)
    audit_types: tuple = ()  # audit.display.ObjectType
    visit_record: VisitRecord | None = None
    documents: tuple[Document, ...] = ()
    import_columns: tuple[ImportColumn, ...] = ()
    # (clients) -> {client_id: [allergy text, …]}: allergies this trade records beyond the
    # core health record (products, ingredients), shown by {% allergy_alert %} on booking
    # and on the visit; one or two queries for any number of clients.
    allergies: Callable | None = field(default=None, repr=False)
    # Its pages: a URL module mounted at /<key>/ with the namespace <key>.
    urls: str = ""
    # The filestore purposes of its files (X-rays, photos, signed consents): served only
    # while the vertical is on, like its pages.
    file_purposes: tuple[str, ...] = ()
    # (appointment) -> None, raising ValidationError when the appointment may not be
    # completed yet (a treatment whose consent is not signed); run by appointment_complete.
    completion_checks: tuple[Callable, ...] = field(default=(), repr=False)
    # (tenant, clients, staff_by_email, today) -> None: the trade's records for the demo
    # business, called by seed_demo inside the tenant's schema after its clients exist.
    seed_demo_records: Callable | None = field(default=None, repr=False)
    # The till (finance.bills): (client) -> [Billable]: the client's items of this trade
    # not billed yet; and (source_ref, *, reference, actor) -> None, called when a bill
    # holding one is issued (reference: the bill's number), so it leaves that list; and
    # (source_ref, *, reference, actor) -> None, called when that bill is voided, so the
    # item is open to bill again.
    billables: Callable | None = field(default=None, repr=False)
    billed: Callable | None = field(default=None, repr=False)
    unbilled: Callable | None = field(default=None, repr=False)


_verticals: dict[str, Vertical] = {}


def register(vertical: Vertical) -> None:
    for other in _verticals.values():
        overlap = set(other.business_types) & set(vertical.business_types)
        if other.key != vertical.key and overlap:
            raise ValueError(f"{vertical.key} and {other.key} both claim {sorted(overlap)}")
    _verticals[vertical.key] = vertical
    _connect(vertical)


def declare_capability(decl: CapabilityDecl, vertical_key: str):
    from accounts.roles import register_capability

    return register_capability(
        decl.code, decl.label, roles=decl.roles, clinical=decl.clinical, vertical=vertical_key
    )


def _connect(vertical: Vertical) -> None:
    """Hand the vertical's pieces to the core's registries, stamped with its key."""
    from audit import display
    from clients import profile, related
    from portal import dashboard, navigation

    key = vertical.key
    for decl in vertical.capabilities:
        declare_capability(decl, key)
    for tab in vertical.tabs:
        profile.register_tab(dataclasses.replace(tab, vertical=key))
    for source in vertical.timeline:
        profile.register_timeline(dataclasses.replace(source, vertical=key))
    for item in vertical.nav:
        navigation.register(dataclasses.replace(item, vertical=key))
    for widget in vertical.widgets:
        dashboard.register(dataclasses.replace(widget, vertical=key))
    for handler in vertical.client_data:
        related.register(handler)
    for object_type in vertical.audit_types:
        display.register(object_type)


def get(key: str) -> Vertical | None:
    return _verticals.get(key)


def enabled_keys(tenant=None) -> frozenset[str]:
    """The verticals a business has on: its type's, plus those its owner turned on. Reads
    the tenant row already loaded for the request (no query)."""
    if tenant is None:
        from django.db import connection

        tenant = getattr(connection, "tenant", None)
    if tenant is None:
        return frozenset()
    keys = set(getattr(tenant, "extra_verticals", None) or ())
    primary = for_business_type(getattr(tenant, "business_type", "") or "")
    if primary is not None:
        keys.add(primary.key)
    return frozenset(k for k in keys if k in _verticals)


def is_enabled(key: str, tenant=None) -> bool:
    return key in enabled_keys(tenant)


def enabled_verticals(tenant=None) -> list[Vertical]:
    keys = enabled_keys(tenant)
    return [v for v in _verticals.values() if v.key in keys]


def urlpatterns() -> list:
    """Each vertical's pages under /<key>/ (the tenant URLconf includes these)."""
    from django.urls import include, path

    return [
        path(f"{v.key}/", include((v.urls, v.key), namespace=v.key))
        for v in _verticals.values()
        if v.urls
    ]


def file_shown(purpose: str, tenant=None) -> bool:
    """Whether a stored file of ``purpose`` may be served: a file no vertical claims is the
    core's, one of a vertical only while that vertical is on."""
    for vertical in _verticals.values():
        if purpose in vertical.file_purposes:
            return is_enabled(vertical.key, tenant)
    return True


def completion_checks(tenant=None) -> list[Callable]:
    """The checks before an appointment is completed, of the verticals the business has
    on (a check looks at the appointment's own service). A trade turned off keeps its
    records but its pages answer 404: its check (a consent still tied to a service) would
    leave the appointment impossible to complete."""
    return [check for v in enabled_verticals(tenant) for check in v.completion_checks]


def billables(client, tenant=None) -> list[Billable]:
    """The open items of the business's trades that are on for ``client``, to bill."""
    items: list[Billable] = []
    for vertical in enabled_verticals(tenant):
        if vertical.billables is not None:
            items.extend(vertical.billables(client))
    return items


def mark_billed(source_ref: str, *, reference: str, actor) -> None:
    """Tell the trade that owns ``source_ref`` ("dental.plan_item:12") it is on a bill
    (whether or not the trade is on today: the bill was made while it was)."""
    vertical = _verticals.get(source_ref.split(".", 1)[0])
    if vertical is not None and vertical.billed is not None:
        vertical.billed(source_ref, reference=reference, actor=actor)


def mark_unbilled(source_ref: str, *, reference: str, actor) -> None:
    """Tell the trade that owns ``source_ref`` that bill ``reference``, which held it, was
    voided: the item is open to bill again."""
    vertical = _verticals.get(source_ref.split(".", 1)[0])
    if vertical is not None and vertical.unbilled is not None:
        vertical.unbilled(source_ref, reference=reference, actor=actor)


def business_type_choices() -> list[tuple[str, str | Promise]]:
    """Every business type some vertical serves, with its label, in registration order:
    the one list signup and ``Tenant.business_type`` offer."""
    choices = []
    for vertical in _verticals.values():
        labels = vertical.business_type_labels or vertical.business_types
        choices.extend(zip(vertical.business_types, labels, strict=True))
    return choices


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
