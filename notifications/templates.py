"""The words of each message: the built-in wording of every kind on each channel in each
language, the business's own wording where it wrote one (``MessageTemplate``), and the
substitution of ``{variables}`` into them.

Substitution is deliberately small: ``{name}`` with a lower-case name the kind offers is
replaced by the context's text; anything else (a name the kind does not offer, a stray
brace, ``{name.attr}``, a format spec) is left as written, so a template typed by a
business can never reach into an object or break the message. Unknown names are refused
when a template is saved (:func:`unknown_variables`).

SMS length: a text of GSM-7 characters fits 160 in one part, 153 per part when split; a
text with any other character (any Chinese) is sent as UCS-2, 70 in one part and 67 per
part when split. The business's signature (短信签名, "【光彩美容】") goes in front of each
text when it is set, and counts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from notifications.models import Channel, Kind, MessageTemplate, NotificationSettings

EN, ZH = "en", "zh-hans"

_VARIABLE = re.compile(r"\{([a-z_]+)\}")

# ---------- variables ----------

_CLIENT = ("client_name", "business", "phone")
_APPOINTMENT = (*_CLIENT, "date", "time", "service", "staff", "address")
_LINKS = ("confirm_link", "cancel_link")

VARIABLES: dict[str, tuple[str, ...]] = {
    Kind.CONFIRMATION: (*_APPOINTMENT, *_LINKS),
    Kind.REMINDER: (*_APPOINTMENT, *_LINKS),
    Kind.RESCHEDULE: (*_APPOINTMENT, "previous_time", *_LINKS),
    Kind.CANCELLATION: (*_APPOINTMENT,),
    Kind.RECALL: (*_CLIENT, "service", "due_date"),
    Kind.BIRTHDAY: (*_CLIENT, "opt_out_link"),
    Kind.FOLLOW_UP: (*_CLIENT, "date", "service", "staff", "survey_link"),
    Kind.LAB_READY: (*_CLIENT, "order", "address"),
    Kind.WAITLIST: (*_CLIENT, "date", "time", "service"),
    Kind.PHONE_CODE: ("business", "code", "minutes"),
    Kind.RECEIPT: (*_CLIENT, "bill_number", "total", "date"),
    Kind.INVITATION: ("business", "inviter", "link", "days"),
    Kind.PASSWORD_RESET: ("business", "user_name", "link"),
}

VARIABLE_LABELS: dict[str, object] = {
    "client_name": _("client's name"),
    "business": _("business name"),
    "phone": _("business phone"),
    "address": _("business address"),
    "date": _("date"),
    "time": _("time"),
    "previous_time": _("the time before the change"),
    "service": _("service"),
    "staff": _("staff member"),
    "confirm_link": _("link to confirm"),
    "cancel_link": _("link to cancel"),
    "survey_link": _("link to the satisfaction survey"),
    "opt_out_link": _("link to stop these messages"),
    "due_date": _("date due"),
    "order": _("what was ordered"),
    "code": _("one-time code"),
    "minutes": _("minutes the code is valid"),
    "bill_number": _("bill number"),
    "total": _("total"),
    "inviter": _("who invited"),
    "link": _("link"),
    "days": _("days the link is valid"),
    "user_name": _("user's name"),
}

# ---------- the built-in wording ----------
# BUILTIN[kind][language] = (email subject, email body, SMS text)

BUILTIN: dict[str, dict[str, tuple[str, str, str]]] = {
    Kind.CONFIRMATION: {
        EN: (
            "Your appointment at {business} on {date}",
            "Dear {client_name},\n\nyour appointment for {service} with {staff} is booked "
            "for {date} at {time}.\n\nPlease confirm: {confirm_link}\nCannot come? Cancel "
            "here: {cancel_link}\n\n{business}\n{address}\n{phone}",
            "{business}: {service} booked for {date} {time}. Confirm: {confirm_link}",
        ),
        ZH: (
            "{business}预约成功：{date} {time}",
            "{client_name}您好：\n\n您已预约{date} {time}的{service}（{staff}）。\n\n"
            "请点击确认：{confirm_link}\n如需取消：{cancel_link}\n\n{business}\n{address}\n{phone}",
            "{client_name}您好，您已预约{date} {time}的{service}，请点击确认：{confirm_link}",
        ),
    },
    Kind.REMINDER: {
        EN: (
            "Reminder: {service} on {date} at {time}",
            "Dear {client_name},\n\na reminder of your appointment for {service} with "
            "{staff} on {date} at {time}.\n\nConfirm: {confirm_link}\nCancel: "
            "{cancel_link}\n\n{business}\n{address}\n{phone}",
            "Reminder: {service} at {business} {date} {time}. Confirm: {confirm_link}",
        ),
        ZH: (
            "预约提醒：{date} {time} {service}",
            "{client_name}您好：\n\n提醒您{date} {time}在{business}的{service}（{staff}）。\n\n"
            "确认到店：{confirm_link}\n如需取消：{cancel_link}\n\n{address}\n{phone}",
            "{client_name}您好，提醒您{date} {time}的{service}，确认请点：{confirm_link}",
        ),
    },
    Kind.RESCHEDULE: {
        EN: (
            "Your appointment at {business} has moved to {date} {time}",
            "Dear {client_name},\n\nyour appointment for {service} has moved from "
            "{previous_time} to {date} at {time} with {staff}.\n\nConfirm: {confirm_link}\n"
            "Cancel: {cancel_link}\n\n{business}\n{phone}",
            "{business}: your {service} has moved to {date} {time}. Confirm: {confirm_link}",
        ),
        ZH: (
            "预约时间已变更：{date} {time}",
            "{client_name}您好：\n\n您的{service}已由{previous_time}改到{date} {time}（{staff}）。"
            "\n\n确认：{confirm_link}\n如需取消：{cancel_link}\n\n{business}\n{phone}",
            "{client_name}您好，您的{service}已改到{date} {time}，确认请点：{confirm_link}",
        ),
    },
    Kind.CANCELLATION: {
        EN: (
            "Your appointment on {date} is cancelled",
            "Dear {client_name},\n\nyour appointment for {service} on {date} at {time} is "
            "cancelled. To book again, call {phone}.\n\n{business}",
            "{business}: your {service} on {date} {time} is cancelled. To rebook call {phone}.",
        ),
        ZH: (
            "预约已取消：{date} {time}",
            "{client_name}您好：\n\n您{date} {time}的{service}已取消。如需重新预约，请致电{phone}。"
            "\n\n{business}",
            "{client_name}您好，您{date} {time}的{service}已取消，重新预约请致电{phone}。",
        ),
    },
    Kind.RECALL: {
        EN: (
            "Time for your next {service}",
            "Dear {client_name},\n\nyour next {service} is due on {due_date}. Call us on "
            "{phone} to book a time that suits you.\n\n{business}",
            "{business}: your next {service} is due {due_date}. Call {phone} to book.",
        ),
        ZH: (
            "复诊提醒：{service}",
            "{client_name}您好：\n\n您的{service}将于{due_date}到期复诊，请致电{phone}预约合适的时间。"
            "\n\n{business}",
            "{client_name}您好，您的{service}应于{due_date}复诊，预约请致电{phone}。",
        ),
    },
    Kind.BIRTHDAY: {
        EN: (
            "Happy birthday from {business}",
            "Dear {client_name},\n\neveryone at {business} wishes you a happy birthday!\n\n"
            "To stop these messages: {opt_out_link}",
            "Happy birthday, {client_name}! From all at {business}. Stop: {opt_out_link}",
        ),
        ZH: (
            "{business}祝您生日快乐",
            "{client_name}您好：\n\n{business}全体员工祝您生日快乐！\n\n退订：{opt_out_link}",
            "{client_name}，{business}祝您生日快乐！退订点{opt_out_link}",
        ),
    },
    Kind.FOLLOW_UP: {
        EN: (
            "How was your visit to {business}?",
            "Dear {client_name},\n\nthank you for your visit on {date} ({service} with "
            "{staff}). How was it? Tell us in one minute: {survey_link}\n\n{business}",
            "{business}: how was your {service}? Tell us: {survey_link}",
        ),
        ZH: (
            "{business}回访：您对本次服务满意吗？",
            "{client_name}您好：\n\n感谢您{date}的光临（{service}，{staff}）。请花一分钟告诉我们"
            "您的感受：{survey_link}\n\n{business}",
            "{client_name}您好，感谢光临，请为本次{service}评分：{survey_link}",
        ),
    },
    Kind.LAB_READY: {
        EN: (
            "Your {order} is ready for collection",
            "Dear {client_name},\n\nyour {order} is ready. Collect it at {business}, "
            "{address}.\n\n{phone}",
            "{business}: your {order} is ready for collection. {phone}",
        ),
        ZH: (
            "您的{order}已可取件",
            "{client_name}您好：\n\n您的{order}已到店，请到{business}（{address}）取件。\n\n{phone}",
            "{client_name}您好，您的{order}已到店，可来取件。{business} {phone}",
        ),
    },
    Kind.WAITLIST: {
        EN: (
            "A time for {service} is free",
            "Dear {client_name},\n\na time for {service} has come free on {date} at {time}. "
            "Call {phone} to take it.\n\n{business}",
            "{business}: {service} is free {date} {time}. Call {phone} to take it.",
        ),
        ZH: (
            "{service}有空位了",
            "{client_name}您好：\n\n{date} {time}的{service}有空位了，请致电{phone}预约。"
            "\n\n{business}",
            "{client_name}您好，{date} {time}的{service}有空位，预约请致电{phone}。",
        ),
    },
    Kind.PHONE_CODE: {
        EN: (
            "Your code for {business}",
            "Your code is {code}. It is valid for {minutes} minutes.",
            "{business}: your code is {code}, valid for {minutes} minutes.",
        ),
        ZH: (
            "{business}验证码",
            "您的验证码是{code}，{minutes}分钟内有效。",
            "您的验证码是{code}，{minutes}分钟内有效，请勿告诉他人。",
        ),
    },
    Kind.RECEIPT: {
        EN: (
            "Your receipt {bill_number} from {business}",
            "Dear {client_name},\n\nthank you for your visit on {date}. Your receipt "
            "{bill_number} for {total} is attached.\n\n{business}\n{phone}",
            "{business}: receipt {bill_number}, {total}. Thank you!",
        ),
        ZH: (
            "{business}收据 {bill_number}",
            "{client_name}您好：\n\n感谢您{date}的光临，附件是您的收据{bill_number}，金额{total}。"
            "\n\n{business}\n{phone}",
            "{business}：收据{bill_number}，金额{total}，谢谢惠顾！",
        ),
    },
    Kind.INVITATION: {
        EN: (
            "{inviter} invited you to {business}",
            "{inviter} invited you to work with {business}.\n\nSet your password and sign in "
            "here (the link is valid for {days} days):\n{link}",
            "{inviter} invited you to {business}: {link}",
        ),
        ZH: (
            "{inviter}邀请您加入{business}",
            "{inviter}邀请您加入{business}。\n\n请在{days}天内点击下面的链接设置密码并登录：\n{link}",
            "{inviter}邀请您加入{business}：{link}",
        ),
    },
    Kind.PASSWORD_RESET: {
        EN: (
            "Reset your password for {business}",
            "Hello {user_name},\n\nsomeone asked to reset your password for {business}. "
            "If it was you, choose a new one here:\n{link}\n\nIf it was not, ignore this "
            "email: your password stays as it is.",
            "{business}: reset your password: {link}",
        ),
        ZH: (
            "重置{business}的登录密码",
            "{user_name}您好：\n\n有人申请重置您在{business}的登录密码。如果是您本人，请点击下面的链接"
            "设置新密码：\n{link}\n\n如果不是您本人，请忽略此邮件，您的密码不会改变。",
            "{business}：重置密码请点{link}",
        ),
    },
}


def _builtin_language(language: str) -> str:
    return ZH if (language or "").lower().startswith("zh") else EN


def builtin(kind: str, channel: str, language: str) -> tuple[str, str]:
    """(subject, body) of the built-in wording; an SMS has no subject."""
    subject, email, sms = BUILTIN[kind][_builtin_language(language)]
    return ("", sms) if channel == Channel.SMS else (subject, email)


def wording(kind: str, channel: str, language: str) -> tuple[str, str, bool]:
    """(subject, body, is_the_business's_own) for this kind, channel and language."""
    row = MessageTemplate.objects.filter(kind=kind, channel=channel, language=language).first()
    if row is not None:
        return row.subject if channel == Channel.EMAIL else "", row.body, True
    return (*builtin(kind, channel, language), False)


# ---------- substitution ----------


def substitute(text: str, context: dict) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in context:
            return match.group(0)
        value = context[name]
        return "" if value is None else str(value)

    return _VARIABLE.sub(replace, text or "")


def unknown_variables(text: str, kind: str) -> list[str]:
    """The ``{names}`` in ``text`` that ``kind`` does not offer, in order, once each."""
    offered = set(VARIABLES.get(kind, ()))
    seen: list[str] = []
    for name in _VARIABLE.findall(text or ""):
        if name not in offered and name not in seen:
            seen.append(name)
    return seen


# ---------- SMS length ----------

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsInfo:
    characters: int
    segments: int
    unicode: bool


def sms_info(text: str) -> SmsInfo:
    text = text or ""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, part, unicode = 160, 153, False
    else:
        # UCS-2 counts UTF-16 code units: a character outside the BMP takes two.
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, part, unicode = 70, 67, True
    if units == 0:
        return SmsInfo(0, 0, unicode)
    count = 1 if units <= single else math.ceil(units / part)
    return SmsInfo(len(text), count, unicode)


def segments(text: str) -> int:
    return sms_info(text).segments


# ---------- rendering ----------


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    segments: int


def _signed(body: str) -> str:
    signature = NotificationSettings.load().sms_signature.strip()
    if not signature:
        return body
    prefix = f"【{signature.strip('【】')}】"
    return body if body.startswith(prefix) else prefix + body


def render_text(*, subject: str, body: str, channel: str, context: dict) -> Rendered:
    """Fill ``subject`` and ``body`` (text being edited, or a stored wording)."""
    if channel == Channel.SMS:
        text = _signed(substitute(body, context).strip())
        return Rendered("", text, segments(text))
    return Rendered(substitute(subject, context).strip(), substitute(body, context).strip(), 0)


def render(*, kind: str, channel: str, language: str, context: dict) -> Rendered:
    """The message of ``kind`` as it will leave: the business's wording or the built-in."""
    subject, body, _own = wording(kind, channel, language)
    return render_text(subject=subject, body=body, channel=channel, context=context)


# ---------- previews ----------

_SAMPLES = {
    EN: {
        "client_name": "Anna Lee",
        "date": "Fri 11 Dec",
        "time": "14:30",
        "previous_time": "Thu 10 Dec 10:00",
        "service": "Facial",
        "staff": "Dr Chen",
        "due_date": "18 Dec 2026",
        "order": "glasses",
        "total": "¥1,280.00",
        "inviter": "Mary Wong",
        "user_name": "Mary Wong",
    },
    ZH: {
        "client_name": "李安娜",
        "date": "12月11日（周五）",
        "time": "14:30",
        "previous_time": "12月10日（周四）10:00",
        "service": "面部护理",
        "staff": "陈医生",
        "due_date": "2026年12月18日",
        "order": "眼镜",
        "total": "¥1,280.00",
        "inviter": "王美丽",
        "user_name": "王美丽",
    },
}


def sample_context(kind: str, language: str) -> dict:
    """Sample values for a preview: the business's own name, phone and address, made-up
    client and appointment details, and links of the real length."""
    from notifications.context import business_context

    lang = _builtin_language(language)
    link = "https://example.clinic/m/c/k3f.tbxyz1.AbCdEfGhIjKlMnOpQrStUvWx/"
    values = {
        **_SAMPLES[lang],
        **business_context(),
        "code": "483920",
        "minutes": "10",
        "bill_number": "2026-000123",
        "days": "7",
    }
    for name in ("confirm_link", "cancel_link", "survey_link", "opt_out_link", "link"):
        values[name] = link
    return {name: values.get(name, "") for name in VARIABLES.get(kind, ())}
