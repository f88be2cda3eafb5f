import re

import pyotp
from django.core import mail
from django_tenants.utils import tenant_context

from accounts.models import User
from notifications.models import Message
from tests.conftest import portal_client, signed_in


def _login(client, email, password):
    return client.post("/accounts/login/", {"email": email, "password": password})


def test_repeated_failed_logins_lock_the_account(cast, db, settings):
    # given
    settings.LOGIN_LOCKOUT_FAILURES = 3
    client = portal_client(cast.host_a)
    for _ in range(3):
        assert _login(client, cast.owner_a, "wrong").status_code == 400
    # when: even the right password is refused while locked
    response = _login(client, cast.owner_a, cast.password)
    # then
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_a_forged_x_forwarded_for_does_not_reset_the_lockout(cast, db, settings):
    settings.LOGIN_LOCKOUT_FAILURES = 3
    for n in range(3):
        portal_client(cast.host_a).post(
            "/accounts/login/",
            {"email": cast.owner_a, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = portal_client(cast.host_a).post(
        "/accounts/login/",
        {"email": cast.owner_a, "password": cast.password},
        HTTP_X_FORWARDED_FOR="198.51.100.77",
        REMOTE_ADDR="10.1.1.1",
    )
    assert response.status_code == 429


def test_logout_ends_the_session(owner_a):
    assert owner_a.get("/").status_code == 200
    owner_a.post("/accounts/logout/")
    assert owner_a.get("/").status_code == 302


def test_password_reset_by_email_works_on_the_tenant_that_sent_it(
    cast, db, django_capture_on_commit_callbacks
):
    # when: the email leaves through the outbox once the request has committed
    client = portal_client(cast.host_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": cast.front_desk_a})
    # then
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(
        r"http://alpha\.localhost(:\d+)?(/accounts/password/reset/\S+)", mail.outbox[0].body
    ).group(2)
    assert "Alpha Aesthetics" in mail.outbox[0].subject
    # and: the link does not work on another tenant
    assert "no longer works" in portal_client(cast.host_b).get(link, follow=True).content.decode()
    # and: it sets a new password on A
    form = client.get(link, follow=True)
    set_url = form.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "Brand-New-Secret-77", "new_password2": "Brand-New-Secret-77"}
    )
    assert done.status_code == 302
    assert (
        _login(portal_client(cast.host_a), cast.front_desk_a, "Brand-New-Secret-77").status_code
        == 302
    )


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(
    cast, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = portal_client(cast.host_a).post(
            "/accounts/password/reset/", {"email": cast.owner_b}
        )
    assert response.status_code == 302 and mail.outbox == []
    with tenant_context(cast.tenant_a):
        assert not Message.objects.exists()


def _enable_totp(cast, email):
    secret = pyotp.random_base32()
    with tenant_context(cast.tenant_a):
        from accounts.services import totp_enable

        totp_enable(
            user=User.objects.get(email=email), secret=secret, code=pyotp.TOTP(secret).now()
        )
    return secret


def test_two_factor_login_asks_for_the_code_after_the_password(cast, db):
    # given
    secret = _enable_totp(cast, cast.practitioner_a)
    client = portal_client(cast.host_a)
    # when: the password alone
    step_one = _login(client, cast.practitioner_a, cast.password)
    # then: not signed in yet
    assert step_one["Location"] == "/accounts/login/code/"
    assert client.get("/").status_code == 302
    # and: a wrong code is refused beside the field
    wrong = client.post("/accounts/login/code/", {"code": "000000"})
    assert wrong.status_code == 400 and "code" in wrong.context["form"].errors
    # and: the right code signs in
    right = client.post("/accounts/login/code/", {"code": pyotp.TOTP(secret).now()})
    assert right.status_code == 302
    assert client.get("/").status_code == 200


def test_the_two_factor_qr_code_carries_no_business_or_user_text_as_markup(cast, practitioner_a):
    from tenants.models import Tenant

    # given: a business whose name is markup (its name goes into the authenticator's label)
    Tenant.objects.filter(pk=cast.tenant_a.pk).update(name='<script>alert("x")</script> & Co')
    # when the practitioner opens the two-factor set-up
    page = practitioner_a.get("/accounts/me/").content.decode()
    # then the QR code is an image from a data: URI, and the name appears only escaped
    assert re.search(r'<div class="qr"><img src="data:image/svg\+xml[^"<>]*" alt="', page)
    assert '<div class="qr"><svg' not in page
    assert '<script>alert("x")' not in page


def test_setting_up_two_factor_from_the_account_page(cast, practitioner_a):
    # given: the page shows a QR code and the secret
    page = practitioner_a.get("/accounts/me/")
    assert 'src="data:image/svg+xml' in page.content.decode()
    secret = practitioner_a.session["accounts.totp_setup_secret"]
    # when
    response = practitioner_a.post(
        "/accounts/me/", {"action": "enable_2fa", "code": pyotp.TOTP(secret).now()}
    )
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        user = User.objects.get(email=cast.practitioner_a)
        assert user.has_two_factor and user.totp_secret == secret
    # and: the secret is encrypted at rest
    from django.db import connection

    with tenant_context(cast.tenant_a), connection.cursor() as cursor:
        cursor.execute(
            "SELECT totp_secret FROM accounts_user WHERE email = %s", [cast.practitioner_a]
        )
        assert secret not in cursor.fetchone()[0]


def test_owner_can_make_two_factor_mandatory(cast, owner_a, front_desk_a):
    from tenants.services import tenant_settings_update

    tenant_settings_update(tenant=cast.tenant_a, require_two_factor=True)
    response = front_desk_a.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/me/")
    assert front_desk_a.get("/accounts/me/").status_code == 200


def test_signing_in_switches_the_portal_to_the_users_language(cast, db):
    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.front_desk_a).update(language="zh-hans")
    client = signed_in(cast.tenant_a, cast.host_a, cast.front_desk_a)
    html = client.get("/").content.decode()
    assert 'lang="zh-CN"' in html
    assert "工作台" in html
