import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from tenants.models import Domain, Tenant, TenantStatus

GOOD = {
    "business_name": "Cedar Skin Clinic",
    "business_type": "medical_aesthetic",
    "subdomain": "cedar",
    "owner_name": "Carla Cedar",
    "email": "Carla@Cedar.test",
    "password": "Cedar-Clinic-Pass-42",
    "language": "zh-hans",
    "time_zone": "Asia/Shanghai",
    "currency": "CNY",
}


def _post(client, **changes):
    return client.post("/signup/", {**GOOD, **changes})


def test_signup_creates_the_business_and_signs_the_owner_into_their_portal(cast, db, public_client):
    # when
    response = _post(public_client)
    # then: redirected to the new portal's single-use welcome link
    assert response.status_code == 302
    assert response["Location"].startswith("http://cedar.localhost:8000/accounts/welcome/")
    tenant = Domain.objects.get(domain="cedar.localhost").tenant
    assert tenant.status == TenantStatus.ACTIVE
    assert (tenant.name, tenant.business_type, tenant.language) == (
        "Cedar Skin Clinic",
        "medical_aesthetic",
        "zh-hans",
    )
    assert schema_exists(tenant.schema_name)
    with schema_context(tenant.schema_name):
        from accounts.models import User

        owner = User.objects.get()
        assert owner.email == "carla@cedar.test" and owner.roles == ["owner"]
        assert owner.password.startswith(("argon2", "md5"))
    # and: following the link on the tenant's host signs the owner in
    portal = type(public_client)(HTTP_HOST="cedar.localhost")
    path = response["Location"].split("8000", 1)[1]
    landed = portal.get(path, follow=True)
    assert landed.status_code == 200
    assert landed.redirect_chain[-1][0] == "/"
    assert "Carla" in landed.content.decode()
    # and: the link works once only
    again = type(public_client)(HTTP_HOST="cedar.localhost").get(path)
    assert again["Location"].startswith("/accounts/login/")


def test_signup_claims_a_spare_schema_instead_of_migrating(cast, db, public_client):
    # given
    from tenants.services import tenant_spare_create

    connection.set_schema_to_public()
    spare = tenant_spare_create()
    # when
    _post(public_client)
    # then
    spare.refresh_from_db()
    assert spare.status == TenantStatus.ACTIVE
    assert spare.domains.get().domain == "cedar.localhost"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("business_name", "", "This field is required."),
        ("business_type", "spa", "Select a valid choice."),
        ("subdomain", "ab", "Ensure this value has at least 3 characters"),
        ("subdomain", "a" * 31, "Ensure this value has at most 30 characters"),
        ("subdomain", "Bad_Name", "Use lowercase letters"),
        ("subdomain", "-cedar", "Use lowercase letters"),
        ("subdomain", "www", "This address is reserved"),
        ("subdomain", "admin", "This address is reserved"),
        ("subdomain", "alpha", "This address is already taken"),
        ("owner_name", "", "This field is required."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("password", "short", "This password is too short"),
        ("password", "12345678901", "This password is entirely numeric"),
        ("password", "password123", "This password is too common"),
        ("language", "fr", "Select a valid choice."),
        ("time_zone", "Mars/Olympus", "Select a valid choice."),
        ("currency", "XXX", "Select a valid choice."),
    ],
)
def test_each_bad_signup_field_gets_its_own_error_and_nothing_is_created(
    cast, db, public_client, field, value, message
):
    # given
    tenants_before = Tenant.objects.count()
    # when
    response = _post(public_client, **{field: value})
    # then
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in error for error in errors[field])
    assert Tenant.objects.count() == tenants_before


def test_signup_page_shows_the_error_beside_the_field(cast, db, public_client):
    response = _post(public_client, subdomain="www")
    html = response.content.decode()
    assert 'id="id_subdomain_errors"' in html
    assert "This address is reserved" in html


def test_a_provisioning_failure_leaves_no_tenant_schema_domain_or_user(
    cast, db, public_client, monkeypatch
):
    # given: creating the owner fails after the schema and domain were made
    import accounts.services

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(accounts.services, "owner_create", broken)
    schemas_before = set(Tenant.objects.values_list("schema_name", flat=True))
    # when
    with pytest.raises(RuntimeError):
        _post(public_client)
    # then
    connection.set_schema_to_public()
    assert not Domain.objects.filter(domain="cedar.localhost").exists()
    assert set(Tenant.objects.values_list("schema_name", flat=True)) == schemas_before
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%%'")
        assert {row[0] for row in cursor.fetchall()} <= schemas_before


def test_signups_are_rate_limited_per_client_address(cast, db, public_client, settings):
    # given
    settings.SIGNUP_RATE_LIMIT = 2
    _post(public_client, subdomain="first", email="a@first.test")
    _post(public_client, subdomain="second", email="b@second.test")
    # when
    response = _post(public_client, subdomain="third", email="c@third.test")
    # then
    assert response.status_code == 429
    assert "Too many signups" in response.content.decode()
    assert not Domain.objects.filter(domain="third.localhost").exists()
    # and: another address is not affected
    other = type(public_client)(HTTP_HOST="localhost", REMOTE_ADDR="10.9.9.9")
    assert _post(other, subdomain="fourth", email="d@fourth.test").status_code == 302


def test_a_forged_forwarded_for_header_does_not_dodge_the_signup_limit(
    cast, db, public_client, settings
):
    settings.SIGNUP_RATE_LIMIT = 1
    _post(public_client, subdomain="first", email="a@first.test")
    response = public_client.post(
        "/signup/", {**GOOD, "subdomain": "second"}, HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert response.status_code == 429


def test_landing_page_explains_the_product_in_both_languages(cast, db, public_client):
    english = public_client.get("/")
    assert "Create your business portal" in english.content.decode()
    public_client.post("/language/", {"language": "zh-hans", "next": "/"})
    chinese = public_client.get("/")
    assert "创建" in chinese.content.decode()
    assert chinese["Content-Language"] == "zh-hans"


def test_signup_errors_are_shown_in_chinese_after_switching(cast, db, public_client):
    public_client.post("/language/", {"language": "zh-hans", "next": "/signup/"})
    response = _post(public_client, password="short1", subdomain="www")
    html = response.content.decode()
    assert "密码太短" in html
    assert "该地址为系统保留地址" in html
