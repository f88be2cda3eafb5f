"""A walk through the public site and the portal in headless Chromium, as the owner, in
both languages, at desktop and phone widths: no page breaks the Content-Security-Policy,
the behaviour moved out of inline handlers still works, English text is drawn with Latin
glyphs and the client list fits a phone."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import ClientFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PORTAL_PAGES = [
    "/",
    "/clients/",
    "/clients/?q=zs",
    "/clients/new/",
    "/clients/settings/",
    "/clients/birthdays/",
    "/clients/import/",
    "/follow-ups/",
    "/settings/",
    "/accounts/me/",
    "/accounts/staff/",
    "/accounts/roles/",
    "/audit/",
]


def _watch(page) -> list[str]:
    """Every console error and page error, CSP refusals among them."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    return problems


def _used_fonts(page, selector: str) -> set[str]:
    """The fonts Chromium really drew the element's text with (not the CSS list)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {font["familyName"] for font in fonts}


@contextmanager
def _owner_page(cast, live_server_url, browser, viewport=PHONE):
    """A page signed in as tenant A's owner (English, phone width unless told), and the
    portal's base URL."""
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{cast.host_a}:{port}"
    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, base, cast.owner_a, cast.password)
        yield page, base
    finally:
        context.close()


@pytest.fixture
def walk_clients(cast, django_db_blocker):
    with django_db_blocker.unblock():
        made = [
            ClientFactory(tenant=cast.tenant_a, name="张三", mobile="+8613812345678"),
            ClientFactory(tenant=cast.tenant_a, name="Mary O’Brien", mobile="+85291234567"),
        ]
    connection.set_schema_to_public()
    yield made
    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        with tenant_context(cast.tenant_a):
            for client in made:
                client.delete()
    connection.set_schema_to_public()


@pytest.fixture
def owner_language(cast, django_db_blocker):
    """Sets the owner's own language (it wins over the cookie), and clears it afterwards."""
    from django_tenants.utils import tenant_context

    from accounts.models import User

    def choose(language: str) -> None:
        with django_db_blocker.unblock(), tenant_context(cast.tenant_a):
            User.objects.filter(email=cast.owner_a).update(language=language)
        connection.set_schema_to_public()

    yield choose
    choose("")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_page_breaks_the_policy_at_either_width(
    cast, live_server_url, browser, walk_clients, owner_language, language
):
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{cast.host_a}:{port}"
    public = f"http://localhost:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    owner_language(language)
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport)
        for host in ("localhost", cast.host_a):
            context.add_cookies(
                [
                    {
                        "name": "clinicdesk_language",
                        "value": language,
                        "url": f"http://{host}:{port}/",
                    }
                ]
            )
        page = context.new_page()
        problems = _watch(page)
        try:
            # given the public site and the owner's portal
            for path in ("/", "/signup/", "/console/login/"):
                assert page.goto(public + path).ok
            sign_in(page, base, cast.owner_a, cast.password)
            pages = [*PORTAL_PAGES, *(f"/clients/{c.pk}/" for c in walk_clients)]
            # when every page is opened
            for path in pages:
                assert page.goto(base + path).ok, path
            page.goto(base + "/clients/")
            page.screenshot(
                path=str(ARTIFACTS / f"walk-clients-{language}-{width}.png"), full_page=True
            )
            # then none logged an error: no refused script, style or eval, no broken script
            assert problems == []
        finally:
            context.close()


def test_behaviour_moved_out_of_inline_handlers_still_works(
    cast, live_server_url, browser, walk_clients
):
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{cast.host_a}:{port}"
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    problems = _watch(page)
    try:
        sign_in(page, base, cast.owner_a, cast.password)
        # the live search (htmx) narrows the list as one types
        page.goto(base + "/clients/")
        page.fill("#client-q", "zs")
        page.wait_for_url("**q=zs**")
        page.locator("#results", has_text="张三").wait_for()
        assert "O’Brien" not in page.inner_text("#results")
        # the time-zone filter box picks a zone by its name
        page.goto(base + "/settings/")
        page.locator("input.select-filter").first.fill("london")
        assert page.locator("select[name=time_zone]").input_value() == "Europe/London"
        # two-factor set-up still draws its QR code
        page.goto(base + "/accounts/me/")
        assert page.locator(".qr img").count() == 1
        assert page.locator(".qr img").evaluate("img => img.complete && img.naturalWidth") > 100
        assert problems == []
    finally:
        context.close()


def test_english_text_is_drawn_with_latin_glyphs_and_chinese_with_the_cjk_face(
    cast, live_server_url, browser, walk_clients
):
    with _owner_page(cast, live_server_url, browser, DESKTOP) as (page, base):
        # given an English page with a curly apostrophe in a client's name
        obrien = walk_clients[1]
        page.goto(f"{base}/clients/{obrien.pk}/")
        page.evaluate("document.fonts.ready")
        # then the name is drawn with a Latin face, not the CJK one's full-width ’
        assert "Noto Sans SC" not in " ".join(_used_fonts(page, "main h1"))
        # and a Chinese name on the same page still gets the vendored CJK face
        page.goto(f"{base}/clients/{walk_clients[0].pk}/")
        page.evaluate("document.fonts.ready")
        assert "Noto Sans SC" in " ".join(_used_fonts(page, "main h1"))


def test_the_client_list_is_one_card_per_client_on_a_phone(
    cast, live_server_url, browser, walk_clients
):
    with _owner_page(cast, live_server_url, browser) as (page, base):
        # when the owner opens the client list on a phone
        page.goto(base + "/clients/")
        # then nothing runs off the right edge and each card shows name and phone
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        table = page.locator("table.client-list")
        assert table.bounding_box()["width"] <= PHONE["width"]
        assert page.locator("table.client-list thead").is_hidden()
        row = page.locator("table.client-list tbody tr", has_text="张三")
        assert row.locator("td.cell-phone").is_visible()
        assert row.locator("td.cell-more").first.is_hidden()
        page.screenshot(path=str(ARTIFACTS / "client-list-phone.png"), full_page=True)


def test_follow_ups_on_a_phone_are_cards_that_keep_the_phone_number_on_one_line(
    cast, live_server_url, browser, walk_clients, django_db_blocker
):
    from zoneinfo import ZoneInfo

    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from accounts.models import User
    from tests.factories import ContactEntryFactory

    # given: a follow-up of the owner's due today in the business's zone
    with django_db_blocker.unblock(), tenant_context(cast.tenant_a):
        owner = User.objects.get(email=cast.owner_a)
        today = timezone.localdate(timezone=ZoneInfo(cast.tenant_a.time_zone))
        ContactEntryFactory(
            tenant=cast.tenant_a, client=walk_clients[0], staff=owner, next_follow_up=today
        )
    connection.set_schema_to_public()
    with _owner_page(cast, live_server_url, browser) as (page, base):
        # when the owner opens the dashboard on a phone
        page.goto(base + "/")
        # then the follow-up is a card: no column heads, nothing past the right edge, and
        # the file number and phone under the client's name stay on one line
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator("table.follow-ups thead").is_hidden()
        row = page.locator("table.follow-ups tbody tr", has_text="张三")
        details = row.locator("td .muted.small").first
        line = float(details.evaluate("e => getComputedStyle(e).lineHeight").rstrip("px"))
        assert details.bounding_box()["height"] < 1.5 * line
        assert row.locator("td.actions button").is_visible()
