"""Validation errors carry a code from their domain's enum (``<app>/errors.py``), as
Saleor's ``CheckoutErrorCode``: callers and tests match the code, never the message."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pyotp
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from clients.errors import ClientErrorCode
from contactlog.errors import ContactErrorCode
from privacy.errors import PrivacyErrorCode
from tests.factories import ClientFactory
from visits.errors import VisitErrorCode

PLATFORM = Path(__file__).resolve().parent.parent / "platform"
DOMAINS = {
    "clients": "ClientErrorCode",
    "visits": "VisitErrorCode",
    "contactlog": "ContactErrorCode",
    "privacy": "PrivacyErrorCode",
    "accounts": "AccountErrorCode",
}


def _is_error(node) -> bool:
    """An error object (a name or attribute holding one, or a ValidationError call), not
    a bare message."""
    if isinstance(node, ast.Call):
        return getattr(node.func, "attr", None) == "ValidationError" or (
            getattr(node.func, "id", None) == "ValidationError"
        )
    return isinstance(node, (ast.Name, ast.Attribute))


def _validation_errors(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name == "ValidationError":
                yield node


@pytest.mark.parametrize("app", sorted(DOMAINS))
def test_every_validation_error_of_a_domain_takes_its_code_from_the_domains_enum(app):
    enum = DOMAINS[app]
    wrong = []
    for path in sorted((PLATFORM / app).glob("*.py")):
        for call in _validation_errors(path):
            code = next((k.value for k in call.keywords if k.arg == "code"), None)
            if call.args and isinstance(call.args[0], ast.Dict):
                # Field → errors: each error carries its own code (one given beside the
                # dict is dropped by Django), or they are re-raised from a validator.
                plain = [v for v in call.args[0].values if not _is_error(v)]
                if code is not None or plain:
                    wrong.append(f"{path.name}:{call.lineno}")
                continue
            # An enum member, or a code a helper passes through.
            ok = isinstance(code, ast.Name) or (
                isinstance(code, ast.Attribute)
                and isinstance(code.value, ast.Name)
                and code.value.id == enum
            )
            if not ok:
                wrong.append(f"{path.name}:{call.lineno}")
    assert wrong == [], f"ValidationError without a {enum} code"


def _code(exc: ValidationError) -> str:
    return exc.error_list[0].code


def test_a_role_refused_beside_the_field_keeps_its_code(cast, db):
    from accounts.errors import AccountErrorCode
    from accounts.models import User
    from accounts.services import staff_set_roles, totp_enable

    with tenant_context(cast.tenant_a):
        owner = User.objects.get(email=cast.owner_a)
        desk = User.objects.get(email=cast.front_desk_a)
        with pytest.raises(ValidationError) as refused:
            staff_set_roles(user=desk, roles=["owner"], changed_by=desk)
        assert refused.value.error_dict["roles"][0].code == AccountErrorCode.OWNER_ONLY
        with pytest.raises(ValidationError) as empty:
            staff_set_roles(user=desk, roles=[], changed_by=owner)
        assert empty.value.error_dict["roles"][0].code == AccountErrorCode.ROLES_REQUIRED
        with pytest.raises(ValidationError) as wrong_code:
            totp_enable(user=owner, secret=pyotp.random_base32(), code="000000x")
        assert wrong_code.value.error_dict["code"][0].code == AccountErrorCode.BAD_CODE
        desk.refresh_from_db()
        owner.refresh_from_db()
        assert desk.roles == ["front_desk"] and not owner.totp_secret


def test_the_client_services_raise_their_codes(cast, db):
    from clients.custom_fields import parse_text
    from clients.models import CustomField, CustomFieldKind
    from clients.services import ClientData, client_update, section_delete
    from clients.validators import normalise_cn_national_id
    from privacy.services import client_erase

    client = ClientFactory(tenant=cast.tenant_a, name="张三")
    with tenant_context(cast.tenant_a):
        with pytest.raises(ValidationError) as wrong_number:
            parse_text(CustomField(kind=CustomFieldKind.NUMBER, label="身高"), "一米七")
        assert _code(wrong_number.value) == ClientErrorCode.NOT_A_NUMBER
        with pytest.raises(ValidationError) as typo:
            normalise_cn_national_id("110105194912310021")
        assert _code(typo.value) == ClientErrorCode.ID_CHECKSUM
        from clients.models import CustomFieldSection

        section = CustomFieldSection.objects.create(name="问卷")
        CustomField.objects.create(
            key="skin", label="肤质", kind=CustomFieldKind.TEXT, section=section
        )
        with pytest.raises(ValidationError) as not_empty:
            section_delete(section=section)
        assert _code(not_empty.value) == ClientErrorCode.SECTION_NOT_EMPTY
        client_erase(client=client, actor=None)
        client.refresh_from_db()
        with pytest.raises(ValidationError) as erased:
            client_update(client=client, data=ClientData({"name": "李四"}))
        assert _code(erased.value) == ClientErrorCode.ERASED
        with pytest.raises(ValidationError) as again:
            client_erase(client=client, actor=None)
        assert _code(again.value) == PrivacyErrorCode.ALREADY_ERASED
        assert CustomFieldSection.objects.filter(pk=section.pk).exists()


def test_the_visit_and_contact_forms_raise_their_codes(cast, db):
    from contactlog.forms import ContactEntryForm
    from visits.forms import VisitForm

    with tenant_context(cast.tenant_a):
        from accounts.models import User

        owner = User.objects.get(email=cast.owner_a)
        later = timezone.localdate() + dt.timedelta(days=2)
        visit = VisitForm({"visited_on": later.isoformat()}, clinical=False)
        assert not visit.is_valid()
        assert visit.errors.as_data()["visited_on"][0].code == VisitErrorCode.FUTURE
        contacted = timezone.localtime() - dt.timedelta(days=2)
        contact = ContactEntryForm(
            {
                "contacted_at": contacted.strftime("%Y-%m-%dT%H:%M"),
                "staff": owner.pk,
                "purpose": "follow_up",
                "channel": "phone",
                "summary": "回访",
                "next_follow_up": (contacted.date() - dt.timedelta(days=1)).isoformat(),
            },
            user=owner,
        )
        assert not contact.is_valid()
        follow_up = contact.errors.as_data()["next_follow_up"][0]
        assert follow_up.code == ContactErrorCode.FOLLOW_UP_BEFORE_CONTACT
