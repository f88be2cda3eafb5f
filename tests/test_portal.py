import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from PIL import Image

from tenants.models import Domain, Tenant, TenantStatus


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#0f766e").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    return buffer


def _settings_form(**changes) -> dict:
    data = {
        "name": "Alpha Aesthetics & Laser",
        "phone": "+86 21 5555 0101",
        "address": "88 Huaihai Road, Shanghai",
        "time_zone": "Asia/Shanghai",
        "currency": "CNY",
        "language": "en",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_owner_saves_business_settings_and_logo(cast, owner_a, storage, tmp_path):
    # when
    response = owner_a.post("/settings/", {**_settings_form(), "logo": _png()})
    # then
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=cast.tenant_a.pk)
    assert tenant.name == "Alpha Aesthetics & Laser"
    assert tenant.logo.startswith(f"tenants/{tenant.schema_name}/branding/")
    assert (tmp_path / tenant.logo).exists()
    assert owner_a.get("/branding/logo").status_code == 200
    # and: the form shows what was saved
    page = owner_a.get("/settings/").content.decode()
    assert "88 Huaihai Road" in page


def test_the_settings_page_sends_opening_hours_to_the_one_place_bookings_read_them(cast, owner_a):
    # The booking rules read scheduling's business hours; the settings page keeps no copy.
    page = owner_a.get("/settings/").content.decode()
    assert 'href="/appointments/setup/hours/"' in page
    assert 'name="mon_from"' not in page


def test_bad_settings_are_refused_beside_the_field_and_nothing_changes(cast, owner_a):
    response = owner_a.post("/settings/", _settings_form(time_zone="Mars/Olympus", name=""))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "time_zone" in errors and "name" in errors
    assert Tenant.objects.get(pk=cast.tenant_a.pk).name == "Alpha Aesthetics"


def test_a_non_image_logo_is_refused(cast, owner_a):
    fake = io.BytesIO(b"not an image")
    fake.name = "logo.png"
    response = owner_a.post("/settings/", {**_settings_form(), "logo": fake})
    assert response.status_code == 400 and "logo" in response.context["form"].errors


@pytest.mark.clock(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
def test_the_dashboard_shows_the_time_in_the_tenants_time_zone(cast, owner_a, owner_b):
    # Shanghai is UTC+8 (already 2 March, 07:30); London is on GMT (still 1 March).
    assert "7:30 a.m." in owner_a.get("/").content.decode()
    assert "11:30 p.m." in owner_b.get("/").content.decode()


def test_spare_pool_refill_tops_up_to_the_target(cast, db):
    from tenants.services import spare_pool_refill

    connection.set_schema_to_public()
    assert spare_pool_refill(target=2) == 2
    assert spare_pool_refill(target=2) == 0
    assert Tenant.objects.filter(status=TenantStatus.SPARE).count() == 2


def test_seed_demo_creates_one_business_per_vertical_once(cast, db):
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    domains = set(Domain.objects.values_list("domain", flat=True))
    assert {"glow.localhost", "smile.localhost", "vision.localhost"} <= domains
    types = set(
        Tenant.objects.filter(
            domains__domain__in=["glow.localhost", "smile.localhost", "vision.localhost"]
        ).values_list("business_type", flat=True)
    )
    assert types == {"medical_aesthetic", "dental", "optical"}
    assert "desk@glow.example.com" in out.getvalue()
    assert Tenant.objects.filter(name="Bright Smile Dental").count() == 1
    # Each business's demo history is of its own trade, and a second run adds none.
    from django_tenants.utils import tenant_context

    from visits.models import Visit

    expected = {"glow.localhost": "水光针", "smile.localhost": "Scale and polish"}
    expected["vision.localhost"] = "验光配镜"
    for domain, item in expected.items():
        with tenant_context(Domain.objects.get(domain=domain).tenant):
            items = {i for v in Visit.objects.all() for i in v.treatment_items}
            assert item in items and Visit.objects.exclude(origin="appointment").count() == 6
    with tenant_context(Domain.objects.get(domain="glow.localhost").tenant):
        assert not {"验光配镜", "Scale and polish"} & {
            i for v in Visit.objects.all() for i in v.treatment_items
        }
