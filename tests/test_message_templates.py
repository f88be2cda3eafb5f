"""The words of messages: every kind has built-in wording on both channels in both
languages using only the variables it offers; a business's own wording wins; the
substitution cannot reach into objects; SMS parts are counted as gateways count them."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context
from hypothesis import given
from hypothesis import strategies as st

from notifications import templates
from notifications.models import Kind, MessageTemplate, NotificationSettings


@pytest.mark.parametrize("kind", [k.value for k in Kind])
@pytest.mark.parametrize("channel", ["sms", "email"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_kind_has_wording_with_only_its_own_variables(kind, channel, language):
    subject, body = templates.builtin(kind, channel, language)
    assert body
    assert (subject != "") == (channel == "email")
    assert templates.unknown_variables(subject + body, kind) == []
    if language == "zh-hans":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body)
    else:
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in body)


def test_substitution_leaves_unknown_names_and_never_reaches_into_objects():
    class Secret:
        password = "hunter2"

    text = "{client_name} {client_name.__class__} {secret.password} {nope} {time:%H} {{x}}"
    out = templates.substitute(text, {"client_name": "李安娜", "secret": Secret()})
    assert out.startswith("李安娜 {client_name.__class__} {secret.password} {nope}")
    assert "hunter2" not in out
    assert templates.unknown_variables("{client_name} {secret} {secret} {time}", "birthday") == [
        "secret",
        "time",
    ]


@pytest.mark.parametrize(
    ("text", "segments", "unicode"),
    [
        ("", 0, False),
        ("a" * 160, 1, False),
        ("a" * 161, 2, False),
        ("a" * 306, 2, False),
        ("a" * 307, 3, False),
        ("€" * 80, 1, False),  # an extension character takes two places of 160
        ("€" * 81, 2, False),
        ("您" * 70, 1, True),
        ("您" * 71, 2, True),
        ("您" * 134, 2, True),
        ("您" * 135, 3, True),
        ("a" * 69 + "您", 1, True),  # one Chinese character makes the whole text UCS-2
    ],
)
def test_sms_parts_are_counted_as_gateways_count_them(text, segments, unicode):
    info = templates.sms_info(text)
    assert (info.segments, info.unicode) == (segments, unicode)


@given(st.text(alphabet=st.sampled_from("ab €{您😀"), max_size=400))
def test_parts_hold_the_text_and_are_as_few_as_possible(text):
    info = templates.sms_info(text)
    if info.unicode:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, part = 70, 67
    else:
        units = sum(2 if c in "€{" else 1 for c in text)
        single, part = 160, 153
    assert info.unicode == any(c in "您😀" for c in text)
    if units <= single:
        assert info.segments == (1 if text else 0)
    else:
        assert (info.segments - 1) * part < units <= info.segments * part


def test_the_business_wording_and_signature_are_used(cast, db):
    with tenant_context(cast.tenant_a):
        context = templates.sample_context(Kind.REMINDER, "zh-hans")
        plain = templates.render(
            kind=Kind.REMINDER, channel="sms", language="zh-hans", context=context
        )
        assert plain.body.startswith("李安娜您好")
        rules = NotificationSettings.load()
        rules.sms_signature = "阿尔法美容"
        rules.save()
        MessageTemplate.objects.create(
            kind=Kind.REMINDER,
            channel="sms",
            language="zh-hans",
            body="{client_name}，明天{time}见！",
        )
        own = templates.render(
            kind=Kind.REMINDER, channel="sms", language="zh-hans", context=context
        )
        assert own.body == "【阿尔法美容】李安娜，明天14:30见！"
        assert own.segments == 1
        # English keeps the built-in wording (no English template was written).
        english = templates.render(
            kind=Kind.REMINDER, channel="sms", language="en", context=context
        )
        assert english.body.startswith("【阿尔法美容】Reminder:")
    with tenant_context(cast.tenant_b):
        other = templates.render(
            kind=Kind.REMINDER, channel="sms", language="zh-hans", context=context
        )
        assert "【" not in other.body and "明天" not in other.body


def test_sample_context_fills_every_variable_of_every_kind(cast, db):
    with tenant_context(cast.tenant_a):
        for kind in Kind:
            for language in ("en", "zh-hans"):
                context = templates.sample_context(kind, language)
                assert set(context) == set(templates.VARIABLES[kind])
                rendered = templates.render(
                    kind=kind, channel="email", language=language, context=context
                )
                assert templates._VARIABLE.search(rendered.body) is None
