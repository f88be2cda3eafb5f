"""Likely duplicates of a client file (seed 002: 自动检测重复条目). A new or edited file is
held when another file has the same mobile number (also among its other phones), the
same national ID number (through its blind index) or the same name and date of birth; the
user confirms it is a different person, or merges the two files (clients.merge)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from core.crypto import blind_index

# What the warning shows; a longer list would not be read.
LIMIT = 10

REASONS = {
    "phone": _("same phone number"),
    "national_id": _("same national ID number"),
    "name_dob": _("same name and date of birth"),
}
# The fields whose change on an existing file calls for a new check.
CHECKED_FIELDS = ("name", "date_of_birth", "mobile", "other_phones", "national_id")


@dataclass
class Duplicate:
    client: Client
    reasons: list[str] = field(default_factory=list)

    @property
    def reason_labels(self) -> list:
        return [REASONS[reason] for reason in self.reasons]

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.client.mobile)


def mask_phone(phone: str) -> str:
    """+8613812345678 → +86138****5678: enough to recognise, not enough to call."""
    if len(phone) < 8:
        return phone
    return f"{phone[:-8]}****{phone[-4:]}"


def likely_duplicates(values: dict, exclude_pk: int | None = None) -> list[Duplicate]:
    """Existing files that may be the same person as ``values`` (cleaned client values:
    E.164 ``mobile`` and ``other_phones``, normalised ``national_id``, ``name`` and
    ``date_of_birth``), with the reasons. One query; every branch of its OR has an index
    (mobile, other_phones GIN, national_id_index, name + date_of_birth)."""
    phones = sorted({p for p in [values.get("mobile", ""), *values.get("other_phones", [])] if p})
    national_id = values.get("national_id") or ""
    id_index = blind_index(national_id, purpose="national_id") if national_id else ""
    name = (values.get("name") or "").strip()
    born = values.get("date_of_birth")

    condition = Q()
    if phones:
        condition |= Q(mobile__in=phones) | Q(other_phones__overlap=phones)
    if id_index:
        condition |= Q(national_id_index=id_index)
    if name and born:
        condition |= Q(name=name, date_of_birth=born)
    if not condition:
        return []
    candidates = Client.objects.filter(condition, erased_at__isnull=True)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    candidates = candidates.only(
        "id",
        "file_number",
        "name",
        "date_of_birth",
        "mobile",
        "other_phones",
        "national_id_index",
    ).order_by("-id")[:LIMIT]

    found = []
    wanted = set(phones)
    for client in candidates:
        reasons = []
        if wanted & {client.mobile, *client.other_phones}:
            reasons.append("phone")
        if id_index and client.national_id_index == id_index:
            reasons.append("national_id")
        if name and born and client.name == name and client.date_of_birth == born:
            reasons.append("name_dob")
        found.append(Duplicate(client=client, reasons=reasons))
    return found


def duplicate_check_needed(values: dict, editing: Client | None) -> bool:
    """A new file is always checked; an edited one only when a checked field changed, so
    a file saved once as 'a different person' is not held again on every edit."""
    if editing is None:
        return True
    return any(values.get(name) != getattr(editing, name) for name in CHECKED_FIELDS)


def held_for_duplicates(request, values: dict, editing: Client | None = None) -> list[Duplicate]:
    """The duplicates that hold this save: none when the user ticked 'Save anyway'."""
    if request.POST.get("save_anyway") or not duplicate_check_needed(values, editing):
        return []
    return likely_duplicates(values, exclude_pk=editing.pk if editing is not None else None)
