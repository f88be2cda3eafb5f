"""The till's settings page /till/settings/: owners and managers only, audited, bad input
beside the field, Chinese, and each business its own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from finance.models import FinanceSettings
from finance.settings_services import finance_settings_update
from tests.conftest import staff_member

URL = "/till/settings/"


def _form(**changes) -> dict:
    values = {
        "tax_rate": "6",
        "tax_mode": "exclusive",
        "tax_label": "增值税",
        "methods": ["cash", "wechat", "alipay", "stored_value"],
        "discount_limit_percent": "15",
        "allow_card_transfers": "on",
        "seller_tax_id": "91310000MA1FL0000X",
        "receipt_footer": "谢谢惠顾",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def test_the_owner_sets_the_till_and_it_is_audited(cast, owner_a, owner_b):
    page = owner_a.get(URL)
    assert page.status_code == 200
    assert page.context["form"].initial["methods"]  # every method ticked at first
    assert 'href="/till/settings/"' in owner_a.get("/settings/").content.decode()
    response = owner_a.post(URL, _form())
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        till = FinanceSettings.load()
        assert (till.tax_rate, till.tax_mode) == (Decimal("6"), "exclusive")
        assert till.tax_label == "增值税"
        assert till.methods == ["cash", "wechat", "alipay", "stored_value"]
        assert till.takes("cash") and not till.takes("bank_card")
        assert (till.discount_limit_percent, till.allow_card_transfers) == (Decimal("15"), True)
        assert (till.seller_tax_id, till.receipt_footer) == ("91310000MA1FL0000X", "谢谢惠顾")
        entry = AuditEntry.objects.get(object_type="finance_settings")
        assert "tax_rate" in entry.fields and "methods" in entry.fields
    # tenant B's till is untouched
    with tenant_context(cast.tenant_b):
        assert FinanceSettings.load().tax_rate == 0
    assert owner_b.get(URL).context["form"].instance.tax_label == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tax_rate", "101", "less than or equal to 100"),
        ("discount_limit_percent", "-1", "greater than or equal to 0"),
        ("methods", [], "at least one payment method"),
        ("tax_mode", "sometimes", "Select a valid choice"),
    ],
)
def test_bad_settings_are_refused_beside_the_field(cast, owner_a, field, value, message):
    response = owner_a.post(URL, _form(**{field: value}))
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])
    with tenant_context(cast.tenant_a):
        assert FinanceSettings.load().tax_rate == 0


def test_only_owners_and_managers_reach_the_till_settings(cast, front_desk_a, practitioner_a):
    assert front_desk_a.get(URL).status_code == 403
    assert front_desk_a.post(URL, _form()).status_code == 403
    assert practitioner_a.get(URL).status_code == 403
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    with tenant_context(cast.tenant_a), pytest.raises(ValidationError):
        finance_settings_update(actor=desk, values={"tax_rate": Decimal("1")})


def test_the_till_settings_page_in_chinese(cast, owner_a):
    from accounts.models import User

    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.owner_a).update(language="zh-hans")
    page = owner_a.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "收银设置" in page and "最大免审批折扣" in page
