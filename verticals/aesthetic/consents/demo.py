"""The demo clinic's consent form and signed consents (called from the aesthetic
vertical's demo seed). Skipped once the business has any consent form."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

FORM_NAME = "注射类治疗知情同意书"
SERVICE_NAMES = ("水光针补水",)
TEXT_ZH = (
    "本人已了解水光针（皮肤微针注射补水）治疗的目的、过程与预期效果。\n"
    "可能出现的反应包括：注射部位红肿、针眼、轻微淤青、短暂刺痛或瘙痒，通常在数日内消退；"
    "极少数情况下可能出现感染、过敏或色素沉着。\n"
    "本人已如实告知过敏史、用药史、妊娠或哺乳情况。治疗后 24 小时内不化妆、不沾水，"
    "一周内避免桑拿、饮酒与强烈日晒。\n"
    "本人自愿接受本次治疗，并同意诊所保存治疗记录与治疗前后照片。"
)
TEXT_EN = (
    "I understand the purpose, procedure and expected results of the hydrating "
    "micro-injection treatment.\n"
    "Possible reactions include redness, swelling, needle marks, slight bruising, brief "
    "stinging or itching at the injection sites, which usually settle within a few days; "
    "rarely, infection, allergy or pigmentation may occur.\n"
    "I have told the clinic truthfully about my allergies, medication, pregnancy or "
    "breastfeeding. For 24 hours after treatment I will not wear make-up or wet the skin, "
    "and for one week I will avoid saunas, alcohol and strong sun.\n"
    "I agree to this treatment of my own free will and consent to the clinic keeping the "
    "treatment record and before-and-after photos."
)


def signature_png(seed: int = 0) -> bytes:
    """A drawn-looking signature: a few joined strokes on a transparent background."""
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points = []
    for step in range(120):
        x = 40 + step * 4.2
        y = 100 + 40 * math.sin(step / (7 + seed)) * math.cos(step / 23) - step * 0.2
        points.append((x, y))
    draw.line(points, fill=(17, 24, 39, 255), width=4, joint="curve")
    draw.line([(60, 150), (520, 140)], fill=(17, 24, 39, 255), width=3)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def seed_demo_consents(tenant, clients, staff_by_email, today) -> None:
    from scheduling.models import Service
    from verticals.aesthetic.consents import services
    from verticals.aesthetic.consents.models import ConsentForm, SignerRole

    if ConsentForm.objects.exists() or not clients:
        return
    practitioner = next(
        (u for u in staff_by_email.values() if "practitioner" in (u.roles or ())), None
    )
    owner = next((u for u in staff_by_email.values() if "owner" in (u.roles or ())), None)
    form = services.consent_form_save(
        actor=owner,
        values={
            "name": FORM_NAME,
            "services": list(Service.objects.filter(name__in=SERVICE_NAMES)),
            "active": True,
        },
    )
    version = services.consent_version_save(
        form=form, actor=owner, text_en=TEXT_EN, text_zh=TEXT_ZH, publish=True
    )
    language = getattr(tenant, "language", "") or "zh-hans"
    for index, client in enumerate(clients[:2]):
        services.consent_sign(
            client=client,
            version=version,
            actor=practitioner,
            signer_name=client.name,
            signer_role=SignerRole.CLIENT,
            language=language,
            signature_png=signature_png(index),
        )
