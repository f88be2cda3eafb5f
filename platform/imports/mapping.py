"""Where each spreadsheet column goes. Headers are recognised from the seeds' Chinese
column names and their English equivalents; the user confirms or fixes the guess."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Target:
    key: str
    label: str | Promise
    group: str | Promise
    kind: str  # text, date, birth_date, phone, gender, flag, number, amount, id, items…
    # A yes/no column's matching text field: where the detail goes when a clinic writes
    # it in place of 是.
    detail: str = ""
    # Health and clinical notes: written only by a clinical role, never shown in the
    # preview (seed 000: the front desk sees no medical data).
    clinical: bool = False
    # Other headers that name it (a trade's columns declare theirs).
    aliases: tuple[str, ...] = ()


_BASIC, _HEALTH, _VISIT = _("Client file"), _("Health"), _("Visit history")

TARGETS: tuple[Target, ...] = (
    Target("client.file_number", _("File number"), _BASIC, "text"),
    Target("client.name", _("Name"), _BASIC, "text"),
    Target("client.gender", _("Gender"), _BASIC, "gender"),
    Target("client.date_of_birth", _("Date of birth"), _BASIC, "birth_date"),
    Target("client.age", _("Age (when no birth date)"), _BASIC, "age"),
    Target("client.mobile", _("Mobile phone"), _BASIC, "phone"),
    Target("client.other_phones", _("Other phones"), _BASIC, "phones"),
    Target("client.email", _("Email"), _BASIC, "email"),
    Target("client.national_id", _("National ID number"), _BASIC, "id"),
    Target("client.occupation", _("Occupation"), _BASIC, "text"),
    Target("client.address", _("Address"), _BASIC, "text"),
    Target("client.emergency_contact_name", _("Emergency contact"), _BASIC, "text"),
    Target("client.emergency_contact_phone", _("Emergency contact phone"), _BASIC, "phone"),
    Target("client.service_preferences", _("Service preferences"), _BASIC, "text"),
    Target("client.special_notes", _("Special notes"), _BASIC, "text"),
    Target("client.payment_method", _("Payment method (kept in special notes)"), _BASIC, "text"),
    Target("client.opening_spend", _("Total spend so far"), _BASIC, "amount"),
    Target(
        "health.has_surgery_history",
        _("Has had surgery (yes/no)"),
        _HEALTH,
        "flag",
        detail="health.surgery_history",
        clinical=True,
    ),
    Target("health.surgery_history", _("Surgery history"), _HEALTH, "health_text", clinical=True),
    Target(
        "health.has_drug_allergy",
        _("Has drug allergies (yes/no)"),
        _HEALTH,
        "flag",
        detail="health.drug_allergies",
        clinical=True,
    ),
    Target("health.drug_allergies", _("Drug allergies"), _HEALTH, "health_text", clinical=True),
    Target("health.other_allergies", _("Other allergies"), _HEALTH, "health_text", clinical=True),
    Target(
        "health.has_chronic_condition",
        _("Has other illnesses (yes/no)"),
        _HEALTH,
        "flag",
        detail="health.chronic_conditions",
        clinical=True,
    ),
    Target(
        "health.chronic_conditions", _("Chronic conditions"), _HEALTH, "health_text", clinical=True
    ),
    Target(
        "health.current_medications",
        _("Current medications"),
        _HEALTH,
        "health_text",
        clinical=True,
    ),
    Target("visit.visited_on", _("First visit date"), _VISIT, "date"),
    Target("visit.treatment_items", _("Treatment items"), _VISIT, "items"),
    Target("visit.satisfaction", _("Satisfaction (1–5)"), _VISIT, "satisfaction"),
    Target("visit.efficacy", _("Efficacy evaluation"), _VISIT, "text", clinical=True),
    Target("visit.suggestions", _("Client's suggestions"), _VISIT, "text", clinical=True),
)

# Chinese headers seen in the seeds and in clinics' sheets (English ones: _ENGLISH).
ALIASES = {
    "client.file_number": "档案编号 档案号 客户编号 会员号 会员编号 编号",
    "client.name": "姓名 客户姓名 名字 顾客姓名 会员姓名",
    "client.gender": "性别",
    "client.date_of_birth": "出生日期 生日 出生年月 出生年月日",
    "client.age": "年龄",
    "client.mobile": "联系电话 手机 手机号 手机号码 电话 联系方式 电话号码",
    "client.other_phones": "其他电话 备用电话",
    "client.email": "电子邮箱 邮箱 电子邮件",
    "client.national_id": "身份证号 身份证号码 身份证 证件号",
    "client.occupation": "职业 工作",
    "client.address": "住址 地址 家庭住址 联系地址",
    "client.emergency_contact_name": "紧急联系人",
    "client.emergency_contact_phone": "紧急联系人电话 紧急联系电话",
    "client.service_preferences": "服务偏好 偏好 喜好",
    "client.special_notes": "备注 特殊备注 其他备注",
    "client.payment_method": "付款方式 支付方式",
    "client.opening_spend": "累计消费金额 累计消费 消费金额 总消费",
    "health.has_surgery_history": "是否有手术史 有无手术史",
    "health.surgery_history": "手术史 手术史详情",
    "health.has_drug_allergy": "是否有药物过敏史 有无药物过敏",
    "health.drug_allergies": "药物过敏 药物过敏史 过敏药物",
    "health.other_allergies": "过敏史 其他过敏 过敏",
    "health.has_chronic_condition": "是否有其他疾病 有无其他疾病",
    "health.chronic_conditions": "慢性病 既往病史 病史 其他疾病",
    "health.current_medications": "用药 正在服用的药物 当前用药",
    "visit.visited_on": "首次就诊日期 首次到店日期 首次就诊 首次到店 就诊日期 到店日期",
    "visit.treatment_items": "治疗项目 项目 服务项目",
    "visit.satisfaction": "满意度 满意程度",
    "visit.efficacy": "效果评价 疗效评估 疗效 效果",
    "visit.suggestions": "客户建议 建议 意见",
}


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    text = re.sub(r"[\s_:：*（）()\[\]【】/\\-]+", " ", text).strip()
    return text


@functools.cache
def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for key, words in ALIASES.items():
        for alias in words.split():
            index[normalise_header(alias)] = key
    for key, phrases in _ENGLISH.items():
        for phrase in phrases:
            index[normalise_header(phrase)] = key
    return index


_ENGLISH = {
    "client.file_number": ("file number", "file no", "client id"),
    "client.name": ("name", "client name", "full name"),
    "client.gender": ("gender", "sex"),
    "client.date_of_birth": ("date of birth", "birthday", "dob", "birth date"),
    "client.age": ("age",),
    "client.mobile": ("mobile", "phone", "mobile phone", "mobile number", "phone number", "tel"),
    "client.other_phones": ("other phones",),
    "client.email": ("email", "e mail", "email address"),
    "client.national_id": ("id number", "national id", "id card"),
    "client.occupation": ("occupation", "job"),
    "client.address": ("address",),
    "client.emergency_contact_name": ("emergency contact",),
    "client.emergency_contact_phone": ("emergency phone", "emergency contact phone"),
    "client.service_preferences": ("preferences", "service preferences"),
    "client.special_notes": ("notes", "remarks", "special notes"),
    "client.payment_method": ("payment method", "payment"),
    "client.opening_spend": ("total spend", "spend"),
    "health.surgery_history": ("surgery history",),
    "health.drug_allergies": ("drug allergies",),
    "health.other_allergies": ("allergies", "other allergies"),
    "health.chronic_conditions": ("chronic conditions", "medical history"),
    "health.current_medications": ("medications", "current medications"),
    "visit.visited_on": ("first visit", "first visit date", "visit date"),
    "visit.treatment_items": ("treatment items", "treatment", "treatments", "services"),
    "visit.satisfaction": ("satisfaction",),
    "visit.efficacy": ("efficacy",),
    "visit.suggestions": ("suggestions", "feedback"),
}


VERTICAL_PREFIX = "vertical."


def vertical_target_key(vertical_key: str, column_key: str) -> str:
    return f"{VERTICAL_PREFIX}{vertical_key}.{column_key}"


def targets(*, custom_fields=(), verticals=()) -> list[Target]:
    """Every place a column can go, the tenant's custom fields and the columns of the
    trades it has on (``verticals``) included. A trade's column is clinical: only a
    clinical role imports it, and the preview does not show it."""
    found = list(TARGETS)
    for cf in custom_fields:
        found.append(Target(f"custom.{cf.key}", cf.label, cf.section.name, "custom"))
    for vertical in verticals:
        for column in vertical.import_columns:
            found.append(
                Target(
                    vertical_target_key(vertical.key, column.key),
                    column.header,
                    vertical.label,
                    "text",
                    clinical=True,
                    aliases=tuple(column.aliases),
                )
            )
    return found


def guess(headers: list[str], available: list[Target]) -> dict[str, str]:
    """Column index (as str) -> target key, for every header recognised; each target at
    most once (the first column that names it)."""
    index = _alias_index()
    keys = {t.key for t in available}
    labels = {normalise_header(str(t.label)): t.key for t in available}
    for t in available:
        for alias in t.aliases:
            labels.setdefault(normalise_header(alias), t.key)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for position, header in enumerate(headers):
        name = normalise_header(header)
        key = index.get(name) or labels.get(name)
        if key and key in keys and key not in used:
            mapping[str(position)] = key
            used.add(key)
    return mapping
