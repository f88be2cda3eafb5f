"""The code that verifies a phone before an online booking: texted through the outbox,
kept only as a hash, ten minutes and five tries, a newer code spends the older one,
sends rate limited, the phone remembered for the rest of the visit; refusals beside the
code field in the client's language; one business's code means nothing to another."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django_tenants.utils import tenant_context

from notifications.models import Kind, Message, Status
from scheduling import phone_codes
from scheduling.models import Appointment, BookingSettings, PhoneCode
from tests import test_online_booking as base
from tests.factories import ClientFactory
from tests.test_online_booking import (
    E164,
    LONDON,
    PHONE,
    at,
    book,
    only_appointment,
    rules,
    token_of,
    wire,
)

# The online booking tests' business: a doctor who performs a facial, and a visitor.
doctor, facial, visitor = base.doctor, base.facial, base.visitor

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.clock(NOW)


@pytest.fixture(autouse=True)
def _codes_on(cast, db):
    for tenant in (cast.tenant_a, cast.tenant_b):
        rules(tenant, verify_phone=True)


def texted_code(tenant, phone: str = E164) -> str:
    """The code in the newest text to ``phone``, read from its outbox row before it has
    left (once sent, the row no longer holds it)."""
    with tenant_context(tenant):
        message = Message.objects.filter(kind=Kind.PHONE_CODE, recipient=phone).order_by("-pk")
        return re.search(r"\d{6}", message.first().body).group()


def code_errors(response) -> list[str]:
    return list(response.context["form"].errors.get("code", []))


def no_booking(tenant) -> bool:
    with tenant_context(tenant):
        return not Appointment.objects.exists()


def test_a_phone_gets_a_code_by_text_and_books_once_it_is_typed(
    cast, visitor, facial, capsys, django_capture_on_commit_callbacks
):
    # when: the details are posted
    with django_capture_on_commit_callbacks(execute=True):
        asked = book(visitor, facial, at("10:00"))
    # then: no booking yet; the page asks for the code texted to the phone
    page = asked.content.decode()
    assert asked.status_code == 200 and "We sent a 6-digit code by text message" in page
    assert 'name="code"' in page and no_booking(cast.tenant_a)
    code = re.search(r"your code is (\d{6})", capsys.readouterr().out).group(1)
    with tenant_context(cast.tenant_a):
        text = Message.objects.get(kind=Kind.PHONE_CODE)
        assert text.channel == "sms" and text.recipient == E164
        assert text.status in (Status.SENT, Status.DELIVERED) and code not in text.body
        stored = PhoneCode.objects.get()
        assert stored.phone == E164 and code not in stored.code_hash
    # when: the code is typed
    booked = book(visitor, facial, at("10:00"), code=code)
    # then
    token_of(booked)
    assert only_appointment(cast.tenant_a).client.mobile == E164
    with tenant_context(cast.tenant_a):
        assert PhoneCode.objects.get().spent_at is not None
    # and: the same phone books another time in this visit without a new code
    token_of(book(visitor, facial, at("14:00")))
    with tenant_context(cast.tenant_a):
        assert Appointment.objects.count() == 2
        assert Message.objects.filter(kind=Kind.PHONE_CODE).count() == 1
    # and: a spent code does not verify another browser
    stranger = Client(HTTP_HOST=cast.host_a)
    refused = book(stranger, facial, at("15:00"), code=code)
    assert refused.status_code == 400
    assert code_errors(refused) == ["No code was sent to this number yet. Ask for a code."]


def test_a_wrong_code_is_refused_beside_the_field_and_counted(cast, visitor, facial):
    book(visitor, facial, at("10:00"))
    right = texted_code(cast.tenant_a)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    # when
    response = book(visitor, facial, at("10:00"), code=wrong)
    # then
    assert response.status_code == 400
    assert code_errors(response) == [
        "This code is not right. Check the text message and try again."
    ]
    assert "has-error" in response.content.decode() and no_booking(cast.tenant_a)
    with tenant_context(cast.tenant_a):
        assert PhoneCode.objects.get().attempts == 1
    # and: the right one still works
    token_of(book(visitor, facial, at("10:00"), code=right))


def test_a_code_that_is_not_six_digits_is_refused_before_it_is_counted(cast, visitor, facial):
    book(visitor, facial, at("10:00"))
    response = book(visitor, facial, at("10:00"), code="12ab")
    assert response.status_code == 400
    assert code_errors(response) == ["Type the 6 digits of the code."]
    assert "Type the 6 digits of the code." in response.content.decode()
    with tenant_context(cast.tenant_a):
        assert PhoneCode.objects.get().attempts == 0


def test_a_code_expires_after_ten_minutes(cast, visitor, facial):
    book(visitor, facial, at("10:00"))
    code = texted_code(cast.tenant_a)
    # when: eleven minutes later
    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        response = book(visitor, facial, at("10:00"), code=code)
    # then
    assert response.status_code == 400
    assert code_errors(response) == ["This code has expired. Ask for a new one."]
    assert no_booking(cast.tenant_a)


def test_five_wrong_codes_spend_it_and_a_new_code_is_needed(cast, visitor, facial, settings):
    # given: the booking pages' own limit out of the way
    settings.ONLINE_BOOKING_RATE_PER_PHONE = 50
    book(visitor, facial, at("10:00"))
    right = texted_code(cast.tenant_a)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    # when: five wrong tries
    answers = [book(visitor, facial, at("10:00"), code=wrong) for _ in range(5)]
    # then: the fifth says so, and even the right code no longer works
    assert code_errors(answers[3]) == [
        "This code is not right. Check the text message and try again."
    ]
    assert code_errors(answers[4]) == ["Too many wrong codes. Ask for a new one."]
    late = book(visitor, facial, at("10:00"), code=right)
    assert code_errors(late) == ["No code was sent to this number yet. Ask for a code."]
    assert no_booking(cast.tenant_a)
    # and: a new code, asked for on the page, works
    again = book(visitor, facial, at("10:00"), code=right, new_code="1")
    assert again.status_code == 200 and "We sent a 6-digit code" in again.content.decode()
    fresh = texted_code(cast.tenant_a)
    token_of(book(visitor, facial, at("10:00"), code=fresh))


def test_a_new_code_spends_the_one_before(cast, visitor, facial):
    book(visitor, facial, at("10:00"))
    first = texted_code(cast.tenant_a)
    book(visitor, facial, at("10:00"), new_code="1")
    second = texted_code(cast.tenant_a)
    if first == second:  # one chance in a million: the old one is spent all the same
        pytest.skip("the two codes drawn were equal")
    assert code_errors(book(visitor, facial, at("10:00"), code=first))
    token_of(book(visitor, facial, at("10:00"), code=second))


def test_codes_texted_to_one_phone_are_limited(cast, visitor, facial, settings):
    settings.ONLINE_BOOKING_RATE_PER_PHONE = 50
    for _ in range(phone_codes.SENDS_PER_PHONE):
        assert book(visitor, facial, at("10:00"), new_code="1").status_code == 200
    # when: one more, even from another address
    elsewhere = Client(HTTP_HOST=cast.host_a, REMOTE_ADDR="192.0.2.44")
    refused = book(elsewhere, facial, at("10:00"), new_code="1")
    # then
    assert refused.status_code == 429
    assert code_errors(refused) == [
        "Too many codes were sent to this number. Please wait an hour, or call us."
    ]
    with tenant_context(cast.tenant_a):
        assert Message.objects.filter(kind=Kind.PHONE_CODE).count() == phone_codes.SENDS_PER_PHONE


def test_the_code_is_texted_and_refused_in_the_clients_language(cast, facial):
    visitor = Client(HTTP_HOST=cast.host_a, HTTP_ACCEPT_LANGUAGE="zh-hans")
    book(visitor, facial, at("10:00"))
    with tenant_context(cast.tenant_a):
        text = Message.objects.get(kind=Kind.PHONE_CODE)
        assert text.language == "zh-hans" and "验证码" in text.body
    wrong = f"{(int(texted_code(cast.tenant_a)) + 1) % 10**6:06d}"
    refused = book(visitor, facial, at("10:00"), code=wrong)
    assert code_errors(refused) == ["验证码不对，请核对短信后重试。"]


def test_with_the_option_off_a_phone_books_without_a_code(cast, visitor, facial):
    rules(cast.tenant_a, verify_phone=False)
    token_of(book(visitor, facial, at("10:00")))
    with tenant_context(cast.tenant_a):
        assert not Message.objects.filter(kind=Kind.PHONE_CODE).exists()


def test_a_new_business_verifies_phones_and_the_owner_can_switch_it_off(cast, owner_a):
    with tenant_context(cast.tenant_a):
        BookingSettings.objects.all().delete()
        assert BookingSettings.load().verify_phone is True
    page = owner_a.get("/appointments/setup/online/").content.decode()
    assert 'name="verify_phone"' in page


def test_another_business_knows_nothing_of_alphas_codes_or_verified_phones(cast, visitor, facial):
    # given: beta books online too; the visitor verified their phone on alpha
    cleaning = base.beta_cleaning(cast, "09:00-12:00")
    book(visitor, facial, at("10:00"))
    code = texted_code(cast.tenant_a)
    token_of(book(visitor, facial, at("10:00"), code=code))
    # when: the same browser (its cookies) and code on beta's host
    beta_at = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
    beta = visitor.post(
        f"/book/{cleaning.pk}/details/",
        {"at": wire(beta_at), "staff": "any", "name": "Lin Mei", "phone": PHONE, "code": code},
        HTTP_HOST=cast.host_b,
    )
    # then: beta has sent no code, so none is accepted, and it books nothing
    assert beta.status_code == 400
    assert code_errors(beta) == ["No code was sent to this number yet. Ask for a code."]
    with tenant_context(cast.tenant_b):
        assert not Appointment.objects.exists()
        assert not PhoneCode.objects.exists()
        assert not Message.objects.filter(kind=Kind.PHONE_CODE).exists()


def test_codes_of_other_phones_are_forgotten_a_day_later(cast, visitor, facial):
    book(visitor, facial, at("10:00"), phone="13812340000")
    # when: another phone asks for a code the next day
    with time_machine.travel(NOW + dt.timedelta(days=1, minutes=1), tick=False):
        book(Client(HTTP_HOST=cast.host_a), facial, at("10:00"))
    # then: only the new phone's code is kept
    with tenant_context(cast.tenant_a):
        assert list(PhoneCode.objects.values_list("phone", flat=True)) == [E164]


def test_no_code_is_texted_for_a_booking_that_would_be_refused(cast, visitor, facial):
    # given: only existing clients book online
    rules(cast.tenant_a, new_clients_online=False)
    # when: a new phone, then a time too soon
    new_phone = book(visitor, facial, at("10:00"))
    ClientFactory(tenant=cast.tenant_a, name="Lin Mei", mobile=E164)
    too_soon = book(visitor, facial, NOW + dt.timedelta(minutes=30))
    # then
    assert new_phone.status_code == too_soon.status_code == 400
    assert "Online booking is for existing clients" in new_phone.content.decode()
    assert "at least" in too_soon.content.decode()
    with tenant_context(cast.tenant_a):
        assert not PhoneCode.objects.exists()
        assert not Message.objects.filter(kind=Kind.PHONE_CODE).exists()
