from __future__ import annotations

import calendar
import datetime as dt

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, QuerySet, Window
from django.http import Http404
from django.utils import timezone

from accounts.roles import Capability
from clients import custom_fields, filters, lifecycle
from clients.models import Client, ClientSettings


def _rules() -> ClientSettings:
    from clients.services import client_settings

    return client_settings()


def client_list(
    *,
    user,
    query: str = "",
    sort: str = "name",
    filters_data: dict | None = None,
    fields: list | None = None,
    today: dt.date | None = None,
    rules: ClientSettings | None = None,
) -> QuerySet[Client]:
    """The client list as the list page shows it: each client with its preferred staff,
    tags (as the list ``tag_list``) and lifecycle ``category``; health only for clinical
    roles; erased files out. Tags come as a plain list rather than through each row's
    ``tags`` manager: building fifty managers was a third of a search's server time."""
    clients = (
        Client.objects.select_related("preferred_staff")
        .prefetch_related(Prefetch("tags", to_attr="tag_list"))
        .annotate(
            category=lifecycle.category_expression(rules or _rules(), today or timezone.localdate())
        )
    )
    clients = clients.filter(erased_at__isnull=True)
    if user.can(Capability.VIEW_HEALTH):
        clients = clients.select_related("health")
    data = {"q": query, "sort": sort, **(filters_data or {})}
    fields = custom_fields.active_fields() if fields is None else fields
    return filters.apply(clients, data, fields={f.key: f for f in fields})


def client_list_from_params(
    *, user, params, rules: ClientSettings | None = None
) -> tuple[filters.ClientFilterForm, QuerySet]:
    """The list for a query string (list page, saved lists, bulk actions, exports). Invalid
    filter values are dropped rather than failing the page; the form carries the errors."""
    fields = custom_fields.active_fields()
    form = filters.ClientFilterForm(params, fields=fields)
    form.is_valid()
    data = dict(form.cleaned_data)  # fields that failed are not in it
    clients = client_list(
        user=user,
        query=data.pop("q", "") or "",
        sort=data.pop("sort", "") or "name",
        filters_data=data,
        fields=fields,
        rules=rules,
    )
    return form, clients


def client_get(*, pk: int, user) -> Client:
    related = ["preferred_staff", "referred_by", "created_by"]
    if user.can(Capability.VIEW_HEALTH):
        related.append("health")
    return Client.objects.select_related(*related).prefetch_related("tags").get(pk=pk)


def client_for_page(user, pk: int, *, allow_erased: bool = True) -> Client:
    """The client a client-scoped page is about, or 404: the one way every portal view
    loads a client by id, so an erased file is treated alike everywhere. An erased file
    still opens where it is read (profile, tabs, exports) and where a write would be
    refused beside the form (the services' ``refuse_erased``); pages that make no sense
    for it (erasing again, merging) pass ``allow_erased=False`` and answer 404."""
    try:
        client = client_get(pk=pk, user=user)
    except Client.DoesNotExist:
        raise Http404 from None
    if client.erased_at and not allow_erased:
        raise Http404
    return client


def saved_lists_for(user):
    from django.db.models import Q

    from clients.models import SavedList

    return SavedList.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")


def _birthday_pairs(start: dt.date, days: int) -> list[tuple[int, int]]:
    pairs = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        pairs.append((day.month, day.day))
        # Born on 29 February: celebrated on the 28th in other years.
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            pairs.append((2, 29))
    return pairs


def birthdays(*, period: str, today: dt.date) -> list[tuple[dt.date, int, Client]]:
    """Clients whose birthday falls in this week (Monday to Sunday) or this calendar month,
    as (birthday this year, age they turn, client), in date order. One query."""
    from django.db.models import Q
    from django.db.models.functions import ExtractDay, ExtractMonth

    if period == "month":
        start = today.replace(day=1)
        days = calendar.monthrange(today.year, today.month)[1]
    else:
        start = today - dt.timedelta(days=today.weekday())
        days = 7
    pairs = _birthday_pairs(start, days)
    condition = Q()
    for month, day in pairs:
        condition |= Q(birth_month=month, birth_day=day)
    clients = (
        Client.objects.filter(date_of_birth__isnull=False)
        .annotate(birth_month=ExtractMonth("date_of_birth"), birth_day=ExtractDay("date_of_birth"))
        .filter(condition)
        .select_related("preferred_staff")
    )
    end = start + dt.timedelta(days=days - 1)
    rows = []
    for client in clients:
        born = client.date_of_birth
        for year in {start.year, end.year}:
            day = born.day
            if (born.month, born.day) == (2, 29) and not calendar.isleap(year):
                day = 28
            when = dt.date(year, born.month, day)
            if start <= when <= end:
                rows.append((when, year - born.year, client))
                break
    rows.sort(key=lambda row: (row[0], row[2].sort_key))
    return rows


LIST_DEFERRED = (
    "search_text",
    "name_grams",
    "name_pinyin",
    "name_initials",
    "national_id",
    "service_preferences",
    "special_notes",
    "address",
    "custom",
)


def _gram_head(gram: str, offset: int, limit: int) -> list[tuple[int, int]]:
    """(client id, total) of one page of a one- or two-character search, in list order,
    from the short-gram name index (migration clients 0005): an index-only scan."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_id, count(*) OVER () FROM clients_namegram WHERE gram = %s "
            "ORDER BY sort_key, client_id OFFSET %s LIMIT %s",
            [gram, offset, limit],
        )
        return cursor.fetchall()


def client_page(
    clients: QuerySet[Client],
    number,
    *,
    per_page: int,
    searching: bool,
    gram: str | None = None,
) -> Page:
    """One page of the list. A search reads its matches once: a narrow query takes the
    page's ids and the total together (``count(*) over ()``), then the page's rows come
    by primary key. Counting and paging separately scanned every match twice, the slowest
    part of one-character searches at 200,000 clients (bench/search.py). Browsing without
    a search keeps the plain count, which an index walk serves better. ``gram``: a
    one- or two-character search with no other filter, sorted by name, reads its page from
    the short-gram name index instead (see ``filters.single_gram``)."""
    # The list shows a few columns; skip the wide ones (search columns, notes, the
    # encrypted ID, which would be decrypted row by row).
    clients = clients.defer(*LIST_DEFERRED)
    paginator = Paginator(clients, per_page)
    if not searching:
        return paginator.get_page(number)
    try:
        number = max(int(number or 1), 1)
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    if gram is not None:
        head = _gram_head(gram, offset, per_page)
    else:
        head = list(
            clients.annotate(total=Window(Count("*"))).values_list("pk", "total")[
                offset : offset + per_page
            ]
        )
    if not head and number > 1:
        return paginator.get_page(number)  # past the end: Django's own last-page rule
    paginator.count = head[0][1] if head else 0
    rows = clients.order_by().in_bulk([pk for pk, _total in head])
    return Page([rows[pk] for pk, _total in head if pk in rows], number, paginator)
