"""One shared cast for the whole suite, made once per session on the throw-away database:
tenant A (an aesthetic clinic) with an owner, a practitioner and a front-desk user, and
tenant B (a dental practice) with its own owner. Each test runs in a transaction that is
rolled back, so the cast is always as described here. Tenant C (an optical shop, with an
owner and an optometrist) is made the first time a test asks for ``optical``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context, tenant_context

PASSWORD = "Correct-Horse-Battery-9"
OPERATOR = "op@platform.test"


@dataclass(frozen=True)
class Cast:
    tenant_a: object
    tenant_b: object
    host_a: str
    host_b: str
    owner_a: str = "owner@alpha.test"
    practitioner_a: str = "doctor@alpha.test"
    front_desk_a: str = "desk@alpha.test"
    owner_b: str = "owner@beta.test"
    password: str = PASSWORD


def _make_cast() -> Cast:
    from accounts.services import staff_create
    from tenants.models import Domain
    from tenants.services import tenant_signup

    call_command("platform_bootstrap", verbosity=0)
    existing = Domain.objects.filter(domain="alpha.localhost").select_related("tenant").first()
    if existing is None:
        a = tenant_signup(
            business_name="Alpha Aesthetics",
            business_type="medical_aesthetic",
            subdomain="alpha",
            owner_name="Olivia Owner",
            owner_email="owner@alpha.test",
            owner_password=PASSWORD,
            language="en",
            time_zone="Asia/Shanghai",
            currency="CNY",
        ).tenant
        with schema_context(a.schema_name):
            staff_create(
                full_name="Dr. Pat Practitioner",
                email="doctor@alpha.test",
                password=PASSWORD,
                roles=["practitioner"],
            )
            staff_create(
                full_name="Frank Frontdesk",
                email="desk@alpha.test",
                password=PASSWORD,
                roles=["front_desk"],
            )
        b = tenant_signup(
            business_name="Beta Dental",
            business_type="dental",
            subdomain="beta",
            owner_name="Bob Owner",
            owner_email="owner@beta.test",
            owner_password=PASSWORD,
            language="en",
            time_zone="Europe/London",
            currency="GBP",
        ).tenant
    else:
        a = existing.tenant
        b = Domain.objects.get(domain="beta.localhost").tenant
    return Cast(tenant_a=a, tenant_b=b, host_a="alpha.localhost", host_b="beta.localhost")


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):
    """The test database, whichever tests run: pytest-django creates it only when some
    collected test is marked django_db, but the worker and browser tests use committed
    data without that mark (a test transaction would hide it from other processes)."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
        )
    yield
    with django_db_blocker.unblock():
        # Threads of the live server may still hold a connection; end them first.
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [connection.settings_dict["NAME"]],
            )
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session")
def cast(django_db_setup, django_db_blocker) -> Cast:
    with django_db_blocker.unblock():
        return _make_cast()


@pytest.fixture(autouse=True)
def _clock(request):
    """``@pytest.mark.clock(datetime)`` freezes the clock before any other fixture of the
    test runs (autouse fixtures come first), so sessions and rows made by fixtures share the
    test's today. A decorator would freeze only the test body: a session signed in at the
    real time would then be expired, or not yet valid, at the frozen one."""
    marker = request.node.get_closest_marker("clock")
    if marker is None:
        yield
        return
    with time_machine.travel(marker.args[0], tick=False):
        yield


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts in the public schema with an empty cache (rate limits, lockouts),
    in the default language (a request in Chinese leaves Chinese active in this thread)."""
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
    if hasattr(connection, "set_schema_to_public"):
        connection.set_schema_to_public()
    yield
    cache.clear()
    if hasattr(connection, "set_schema_to_public"):
        connection.set_schema_to_public()


@pytest.fixture
def storage(settings, tmp_path):
    """Uploaded files go to a folder of their own for the test (returned), not the bucket."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def public_client() -> Client:
    return Client(HTTP_HOST=settings.TENANT_BASE_DOMAIN)


def portal_client(host: str) -> Client:
    return Client(HTTP_HOST=host)


def operator_signed_in(client: Client) -> Client:
    """``client`` (of the public host) signed in as the platform operator, made on first use."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    operator = users.filter(email=OPERATOR).first()
    if operator is None:
        operator = users.create_superuser(OPERATOR, "Op-Pass-2026-x", full_name="Op")
    client.force_login(operator)
    return client


def signed_in(tenant, host: str, email: str) -> Client:
    """A client of ``host`` signed in as ``email`` (a session in that tenant's schema)."""
    from accounts.models import User

    client = Client(HTTP_HOST=host)
    with tenant_context(tenant):
        client.force_login(User.objects.get(email=email))
    connection.set_schema_to_public()
    return client


def staff_member(tenant, email: str):
    """The user ``email`` of ``tenant``, read in that tenant's schema."""
    from accounts.models import User

    with tenant_context(tenant):
        return User.objects.get(email=email)


@pytest.fixture
def owner_a(cast, db) -> Client:
    return signed_in(cast.tenant_a, cast.host_a, cast.owner_a)


@pytest.fixture
def practitioner_a(cast, db) -> Client:
    return signed_in(cast.tenant_a, cast.host_a, cast.practitioner_a)


@pytest.fixture
def front_desk_a(cast, db) -> Client:
    return signed_in(cast.tenant_a, cast.host_a, cast.front_desk_a)


@pytest.fixture
def owner_b(cast, db) -> Client:
    return signed_in(cast.tenant_b, cast.host_b, cast.owner_b)


@dataclass(frozen=True)
class Optical:
    tenant: object
    host: str = "gamma.localhost"
    owner: str = "owner@gamma.test"
    practitioner: str = "optom@gamma.test"
    password: str = PASSWORD


@pytest.fixture(scope="session")
def optical(cast, django_db_blocker) -> Optical:
    """Tenant C, an optical shop, made once per session on first use."""
    from accounts.services import staff_create
    from tenants.models import Domain
    from tenants.services import tenant_signup

    with django_db_blocker.unblock():
        existing = Domain.objects.filter(domain="gamma.localhost").select_related("tenant")
        if existing.exists():
            return Optical(tenant=existing.first().tenant)
        c = tenant_signup(
            business_name="Gamma Optical",
            business_type="optical",
            subdomain="gamma",
            owner_name="Chloe Owner",
            owner_email="owner@gamma.test",
            owner_password=PASSWORD,
            language="en",
            time_zone="Asia/Shanghai",
            currency="CNY",
        ).tenant
        with schema_context(c.schema_name):
            staff_create(
                full_name="Oscar Optometrist",
                email="optom@gamma.test",
                password=PASSWORD,
                roles=["practitioner"],
            )
        connection.set_schema_to_public()
    return Optical(tenant=c)


@pytest.fixture
def owner_c(optical, db) -> Client:
    return signed_in(optical.tenant, optical.host, optical.owner)


@pytest.fixture
def practitioner_c(optical, db) -> Client:
    return signed_in(optical.tenant, optical.host, optical.practitioner)


@pytest.fixture
def twins(cast, db):
    """``twins(Model, make)``: one row of ``Model`` in tenant A and one in tenant B with the
    same primary key, each made by ``make(tenant)`` in its own schema. Cross-tenant tests
    use them so that "B cannot reach A's row" is tested where B holds a row of that id."""
    from tests.factories import twins as make_twins

    return lambda model, make: make_twins(cast.tenant_a, cast.tenant_b, model, make)


@pytest.fixture(scope="session")
def _stripe_standin_server():
    from devstack.stripe_standin import StripeStandin

    standin = StripeStandin().start()
    yield standin
    standin.stop()


def stripe_standin_configured(standin, settings):
    """Reset the stand-in, give it a price for every plan price in the database and point
    the settings at it (billing on). Shared by ``stripe_standin`` and the browser tests'
    ``live_stripe_standin``."""
    from billing.models import PlanPrice

    standin.reset()
    price_ids = []
    for row in PlanPrice.objects.select_related("plan"):
        for interval, amount in (("monthly", row.monthly), ("yearly", row.yearly)):
            price_id = f"price_{row.plan.code}_{row.currency.lower()}_{interval}"
            standin.add_price(
                price_id,
                int(round(amount * 100)),
                row.currency,
                interval,
                product_name=row.plan.code,
            )
            price_ids.append(f"{row.plan.code}.{row.currency.upper()}.{interval}={price_id}")
    settings.STRIPE_SECRET_KEY = standin.api_key
    settings.STRIPE_WEBHOOK_SECRET = standin.webhook_secret
    settings.STRIPE_API_BASE = standin.url
    settings.STRIPE_PRICE_IDS = price_ids
    settings.BILLING_ENABLED = True
    return standin


@pytest.fixture
def stripe_standin(_stripe_standin_server, settings, db):
    """The loopback Stripe stand-in (devstack.stripe_standin), reset for this test, with a
    price for every plan price in the database ("price_<code>_<cur>_<monthly|yearly>") and
    the settings pointing at it: billing is on for the test. Events are only recorded
    unless the test sets ``stripe_standin.webhook_url`` (and ``webhook_host``)."""
    standin = stripe_standin_configured(_stripe_standin_server, settings)
    yield standin
    standin.drain()
    standin.webhook_url = None
