"""A live server in a thread (committed data, real HTTP on 127.0.0.1) and headless
Chromium from Debian's package driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def live_server_url(cast, django_db_blocker) -> Iterator[str]:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=True)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    server.daemon_threads = True
    port = server.server_address[1]
    from django.conf import settings

    previous_port = settings.SITE_PORT
    settings.SITE_PORT = str(port)
    blocker = django_db_blocker.unblock()
    blocker.__enter__()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()
        settings.SITE_PORT = previous_port
        blocker.__exit__(None, None, None)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = "Debian's chromium is not installed (make test installs it when run as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            # No background networking: this machine's network is closed.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def chinese_salon(*, host: str, name: str, owner_name: str, owner_email: str, password: str):
    """A beauty salon of its own (zh-hans, CNY, Shanghai) at ``host``
    ("<subdomain>.localhost"), made on the first run and found on the next: the
    browser tests that keep money rows for good run in one each."""
    from tenants.models import Domain
    from tenants.services import tenant_signup

    found = Domain.objects.filter(domain=host).select_related("tenant").first()
    if found:
        return found.tenant
    return tenant_signup(
        business_name=name,
        business_type="beauty_salon",
        subdomain=host.split(".", 1)[0],
        owner_name=owner_name,
        owner_email=owner_email,
        owner_password=password,
        language="zh-hans",
        time_zone="Asia/Shanghai",
        currency="CNY",
    ).tenant


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign ``page`` in at ``base`` (a tenant's portal) through the login form."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form button").first.click()
    page.wait_for_load_state()


@pytest.fixture
def live_stripe_standin(_stripe_standin_server, settings, live_server_url):
    """The Stripe stand-in for a browser test, delivering its events to the live server's
    public host. Without ``db``: pytest-django would move a ``db`` test ahead of every
    other, starting the live server (and its SITE_PORT) before the rest of the suite."""
    from tests.conftest import stripe_standin_configured

    port = live_server_url.rsplit(":", 1)[1]
    standin = stripe_standin_configured(_stripe_standin_server, settings)
    standin.webhook_url = f"{live_server_url}/billing/stripe/webhook/"
    standin.webhook_host = f"localhost:{port}"
    yield standin
    standin.drain()
    standin.webhook_url = None
