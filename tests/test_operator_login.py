"""The operator console's sign-in (also the Django admin's) locks out after repeated
failures and asks for a two-factor code when the operator turned it on, like a tenant's."""

from __future__ import annotations

import pyotp
import pytest
from django.contrib.auth import get_user_model

from accounts.services import operator_create, totp_enable

EMAIL = "ops@platform.test"
PASSWORD = "Operator-Pass-2026-x"


@pytest.fixture
def operator(db):
    return operator_create(full_name="Ops", email=EMAIL, password=PASSWORD)


@pytest.mark.parametrize("path", ["/console/login/", "/admin/login/"])
def test_the_operator_login_locks_out_after_repeated_failures(
    cast, operator, public_client, settings, path
):
    # given
    settings.LOGIN_LOCKOUT_FAILURES = 3
    for _ in range(3):
        failed = public_client.post(path, {"email": EMAIL, "password": "wrong-guess"})
        assert failed.status_code == 400
    # when: the right password comes after the lockout
    response = public_client.post(path, {"email": EMAIL, "password": PASSWORD})
    # then
    assert response.status_code == 429
    assert "_auth_user_id" not in public_client.session
    assert public_client.get("/console/").status_code == 302


def test_the_operator_login_signs_an_operator_in_and_refuses_other_users(
    cast, operator, public_client
):
    # given: a plain user of the public schema
    get_user_model().objects.create_user("plain@platform.test", PASSWORD, full_name="Plain")
    # when
    plain = public_client.post(
        "/console/login/", {"email": "plain@platform.test", "password": PASSWORD}
    )
    ops = public_client.post("/console/login/?next=/admin/", {"email": EMAIL, "password": PASSWORD})
    # then
    assert plain.status_code == 400
    assert ops.status_code == 302 and ops["Location"] == "/admin/"
    assert public_client.get("/console/").status_code == 200


def test_an_operator_with_two_factor_needs_the_code(cast, operator, public_client):
    # given
    secret = pyotp.random_base32()
    totp_enable(user=operator, secret=secret, code=pyotp.TOTP(secret).now())
    # when
    first = public_client.post("/console/login/", {"email": EMAIL, "password": PASSWORD})
    # then: not signed in yet
    assert first.status_code == 302 and first["Location"] == "/console/login/code/"
    assert public_client.get("/console/").status_code == 302
    # when
    wrong = public_client.post("/console/login/code/", {"code": "000000"})
    right = public_client.post("/console/login/code/", {"code": pyotp.TOTP(secret).now()})
    # then
    assert wrong.status_code == 400
    assert right.status_code == 302 and right["Location"] == "/console/"
    assert public_client.get("/console/").status_code == 200


def test_an_operator_turns_two_factor_on_from_the_console(cast, operator, public_client):
    # given
    public_client.force_login(operator)
    page = public_client.get("/console/security/")
    secret = public_client.session["accounts.totp_setup_secret"]
    # when
    response = public_client.post("/console/security/", {"code": pyotp.TOTP(secret).now()})
    # then
    assert page.status_code == 200 and 'src="data:image/svg+xml' in page.content.decode()
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.has_two_factor and operator.totp_secret == secret


def test_the_admin_draws_chinese_with_the_font_the_portal_ships(cast, operator, public_client):
    # given
    public_client.force_login(operator)
    public_client.post("/language/", {"language": "zh-hans"})
    # when
    html = public_client.get("/admin/").content.decode()
    # then
    assert "vendor/noto-sans-sc/noto-sans-sc.css" in html
    assert 'lang="zh-hans"' in html


@pytest.mark.parametrize(
    ("language", "text"), [("en", "Operator sign-in"), ("zh-hans", "运营人员登录")]
)
def test_the_operator_login_is_translated(cast, db, public_client, language, text):
    # given
    public_client.post("/language/", {"language": language})
    # when
    html = public_client.get("/console/login/").content.decode()
    # then
    assert text in html
