"""Tolerant parsing of spreadsheet cells into client values. Each parser returns the
value in JSON form or raises ValidationError with a reason the preview shows."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from clients import custom_fields
from clients.validators import normalise_cn_national_id, normalise_phone

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return re.sub(r"\s+", " ", str(raw)).strip()


def parse_date(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, (int, float)) and 1 < raw < 80000:  # an Excel serial number
        return (_EXCEL_EPOCH + dt.timedelta(days=int(raw))).isoformat()
    value = text(raw)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups())).isoformat()
            except ValueError:
                break
    raise ValidationError(_("“%(value)s” is not a date.") % {"value": value})


def parse_birth_date(raw) -> str | None:
    value = parse_date(raw)
    if value and not dt.date(1900, 1, 1) <= dt.date.fromisoformat(value) <= dt.date.today():
        raise ValidationError(_("“%(value)s” is not a possible birth date.") % {"value": value})
    return value


def parse_phone(raw, region: str) -> str:
    value = text(raw)
    if not value:
        return ""
    value = re.sub(r"^0086", "+86", value.replace("（", "(").replace("）", ")"))
    return normalise_phone(value, region=region)


def parse_phones(raw, region: str) -> list[str]:
    return [parse_phone(p, region) for p in re.split(r"[,，;；/、]", text(raw)) if p.strip()]


_GENDERS = {
    "男": "male",
    "m": "male",
    "male": "male",
    "先生": "male",
    "女": "female",
    "f": "female",
    "female": "female",
    "女士": "female",
}


def parse_gender(raw) -> str:
    value = text(raw).lower()
    if not value:
        return ""
    if value in _GENDERS:
        return _GENDERS[value]
    raise ValidationError(_("“%(value)s” is not a gender (男/女/M/F).") % {"value": text(raw)})


_YES = {"是", "有", "y", "yes", "true", "1", "✓", "√", "是的"}
_NO = {"否", "无", "没有", "n", "no", "false", "0", "×", "✗", "不"}
# What a clinic writes in a health column for "nothing on file".
_NOTHING = _NO | {
    "none",
    "n/a",
    "na",
    "nil",
    "-",
    "--",
    "—",
    "/",
    "无无",
    "暂无",
    "否认",
    "不详",
    "未知",
    "无过敏",
    "无过敏史",
    "无病史",
    "无手术史",
}
# Not an answer: kept as a problem for the user to settle, never read as yes or no.
_UNSURE = {"也许", "可能", "不确定", "不清楚", "不知道", "?", "？", "maybe", "unknown"}
_LEADING_YES = re.compile(r"^(是的|是|有)\s*[,，:：;；、（(]?\s*")


def _nothing(value: str) -> bool:
    return value.lower().rstrip("。.") in _NOTHING


def parse_flag(raw) -> tuple[bool | None, str]:
    """A yes/no health column as clinics fill it: 是/否, or the detail itself in place of
    是 (是否有药物过敏史 = 青霉素过敏), which is a yes and the detail (returned second)."""
    value = text(raw)
    if not value:
        return None, ""
    if value.lower() in _YES:
        return True, ""
    if _nothing(value):
        return False, ""
    if value.lower() in _UNSURE:
        raise ValidationError(
            _("“%(value)s” is neither yes nor no.") % {"value": value}, code="unsure"
        )
    detail = _LEADING_YES.sub("", value).rstrip("）)").strip()
    return True, detail


def parse_health_text(raw) -> str:
    """Free-text health: 无, 否, 没有, none, N/A… mean nothing on file, not a history."""
    value = text(raw)
    return "" if _nothing(value) else value


_SATISFACTION = {
    "非常满意": 5,
    "很满意": 5,
    "满意": 4,
    "一般": 3,
    "不满意": 2,
    "很不满意": 1,
    "非常不满意": 1,
}


def parse_satisfaction(raw) -> int | None:
    value = text(raw)
    if not value:
        return None
    if value in _SATISFACTION:
        return _SATISFACTION[value]
    number = re.sub(r"(分|星|/5)$", "", value)
    if number.isdigit() and 1 <= int(number) <= 5:
        return int(number)
    raise ValidationError(_("“%(value)s” is not a satisfaction from 1 to 5.") % {"value": value})


def parse_amount(raw) -> str | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, (int, float)):
        amount = Decimal(str(raw))
    else:
        cleaned = re.sub(r"[¥￥,，\s]|元|rmb|cny", "", text(raw).lower())
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise ValidationError(
                _("“%(value)s” is not an amount.") % {"value": text(raw)}
            ) from None
    if amount < 0:
        raise ValidationError(_("An amount cannot be negative."))
    return str(amount.quantize(Decimal("0.01")))


def parse_age(raw) -> int | None:
    value = re.sub(r"岁$", "", text(raw))
    if not value:
        return None
    if value.isdigit() and 0 < int(value) < 120:
        return int(value)
    raise ValidationError(_("“%(value)s” is not an age.") % {"value": text(raw)})


def parse_email(raw) -> str:
    value = text(raw).lower()
    if value:
        validate_email(value)
    return value


def parse_items(raw) -> list[str]:
    return [p.strip()[:100] for p in re.split(r"[、,，;；+＋/\n]", text(raw)) if p.strip()][:20]


def parse(kind: str, raw, *, region: str, field=None):
    """Dispatch on the target's kind."""
    if kind == "date":
        return parse_date(raw)
    if kind == "birth_date":
        return parse_birth_date(raw)
    if kind == "phone":
        return parse_phone(raw, region)
    if kind == "phones":
        return parse_phones(raw, region)
    if kind == "gender":
        return parse_gender(raw)
    if kind == "flag":
        return parse_flag(raw)
    if kind == "health_text":
        return parse_health_text(raw)
    if kind == "satisfaction":
        return parse_satisfaction(raw)
    if kind == "amount":
        return parse_amount(raw)
    if kind == "age":
        return parse_age(raw)
    if kind == "email":
        return parse_email(raw)
    if kind == "items":
        return parse_items(raw)
    if kind == "id":
        return normalise_cn_national_id(text(raw))
    if kind == "custom":
        return custom_fields.parse_text(field, text(raw))
    return text(raw)
