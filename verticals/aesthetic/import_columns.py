"""Columns of a client spreadsheet the aesthetic trade takes (seed 002's 肤质, the
Fitzpatrick type, product and ingredient allergies): each value becomes a new version of
the client's skin profile, inside the import's transaction. A value the trade does not
know is refused with the row."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from verticals.aesthetic import services
from verticals.aesthetic.models import ROMAN, SkinType

# What spreadsheets write for each skin type, besides the type's own names.
SKIN_WORDS = {
    SkinType.NORMAL: ("中性", "中性皮肤", "正常"),
    SkinType.DRY: ("干性", "干性皮肤", "干皮"),
    SkinType.OILY: ("油性", "油性皮肤", "油皮"),
    SkinType.COMBINATION: ("混合性", "混合", "混合性皮肤", "混合皮"),
    SkinType.SENSITIVE: ("敏感性", "敏感", "敏感肌", "敏感性皮肤"),
}


def _norm(text) -> str:
    return str(text or "").strip().lower()


def skin_type_of(value) -> str:
    wanted = _norm(value)
    for skin_type in SkinType:
        names = {skin_type.value, _norm(skin_type.label), _norm(str(skin_type.label))}
        names.update(_norm(w) for w in SKIN_WORDS[skin_type])
        if wanted in names:
            return skin_type.value
    raise ValidationError(
        _("%(value)s is not a skin type (dry, oily, combination, sensitive or normal).")
        % {"value": value}
    )


def fitzpatrick_of(value):
    text = str(value).strip().upper().removeprefix("TYPE").removesuffix("型").strip()
    for number, roman in ROMAN.items():
        if text in (roman, str(number)):
            return number
    raise ValidationError(services.fitzpatrick_error(99))


def _apply(field, convert=None):
    def apply(client, value, actor):
        clean = convert(value) if convert else str(value).strip()
        try:
            services.skin_profile_change(client=client, actor=actor, changes={field: clean})
        except ValidationError as exc:
            raise ValidationError(" ".join(exc.messages)) from exc

    return apply


apply_skin_type = _apply("skin_type", skin_type_of)
apply_fitzpatrick = _apply("fitzpatrick", fitzpatrick_of)
apply_product_allergies = _apply("product_allergies")
apply_ingredient_allergies = _apply("ingredient_allergies")
