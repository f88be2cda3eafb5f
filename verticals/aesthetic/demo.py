"""The aesthetic demo records (the glow clinic): skin profiles, treatment records with
their products and face-map points for the demo visits, and before-and-after photos drawn
with Pillow. Written through the services, like a practitioner would; skipped when the
business already has treatment records."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile

from verticals.aesthetic import services
from verticals.aesthetic.models import TreatmentRecord

SKIN = (
    # client index, skin type, Fitzpatrick, concerns, sensitivities, product, ingredient,
    # preferences
    (
        0,
        "combination",
        3,
        ["pores", "dehydration"],
        "",
        "",
        "",
        "喜欢安静的治疗室，不需要背景音乐",
    ),
    (
        1,
        "sensitive",
        2,
        ["redness", "dehydration"],
        "换季时两颊容易泛红、刺痛",
        "某品牌果酸精华（用后红肿）",
        "水杨酸、香精",
        "偏好无香型产品，按摩力度轻",
    ),
    (2, "dry", 3, ["wrinkles", "laxity", "pigmentation"], "", "", "", "希望由陈医生操作"),
    (
        3,
        "oily",
        4,
        ["acne", "pores", "scars"],
        "",
        "",
        "羊毛脂",
        "周末下午预约，治疗后需要遮瑕",
    ),
    (4, "normal", 3, ["dullness"], "", "", "", ""),
    (
        7,
        "sensitive",
        2,
        ["redness"],
        "玫瑰痤疮病史，避免高温和去角质",
        "",
        "酒精（乙醇）、薄荷醇",
        "温水清洁，不用热毛巾",
    ),
)

# Treatment records for the demo visits: by (client index, procedure word in the visit).
RECORDS = {
    "水光针": {
        "procedure": "水光针补水",
        "areas": ["full_face", "cheeks"],
        "device": "水光注射仪",
        "device_settings": "负压 60 kPa，针深 1.0 mm，每点 0.02 ml",
        "aftercare": "24 小时内不化妆、不沾水；一周内避免桑拿和饮酒；加强保湿防晒",
        "products": [("玻尿酸复合溶液 2.5 ml", "HA2026A118", 540, "2.50", "ml")],
        "points": ("front", "cheeks", "0.05", "ml"),
    },
    "光子嫩肤": {
        "procedure": "光子嫩肤 IPL",
        "areas": ["full_face"],
        "device": "光子治疗仪 M22",
        "device_settings": "滤光片 560 nm，能量 14 J/cm²，脉宽 4.0/4.0 ms，延迟 20 ms，全脸 2 遍",
        "aftercare": "冷敷 15 分钟；严格防晒 SPF50；色斑结痂勿抠",
        "products": [("冷凝胶", "GEL25-0931", 300, None, "")],
        "points": None,
    },
    "果酸焕肤": {
        "procedure": "果酸焕肤",
        "areas": ["full_face", "nose"],
        "device": "",
        "device_settings": "甘醇酸 35%，停留 3 分钟，中和",
        "aftercare": "三天内不用含酸、含维 A 产品；温和清洁；防晒",
        "products": [("甘醇酸焕肤液 35%", "GA35-2607", 400, "2.00", "ml")],
        "points": None,
    },
    "热玛吉": {
        "procedure": "热玛吉 面部紧致",
        "areas": ["full_face", "jawline", "neck"],
        "device": "Thermage FLX",
        "device_settings": "900 发，能量档位 3.0–3.5，下颌缘加强",
        "aftercare": "当天可正常洁面；一周内避免高温环境；加强保湿",
        "products": [("热玛吉治疗头 900 发", "TFLX-900-2611", 720, "900", "shots")],
        "points": None,
    },
    "补水护理": {
        "procedure": "补水护理",
        "areas": ["full_face"],
        "device": "",
        "device_settings": "",
        "aftercare": "每日保湿面膜一次，连续三天",
        "products": [("修护面膜", "MASK-26-0412", 365, None, "")],
        "points": None,
    },
    "肉毒素除皱": {
        "procedure": "肉毒素除皱",
        "areas": ["forehead", "glabella", "crows_feet"],
        "device": "",
        "device_settings": "",
        "aftercare": "4 小时内保持直立，不按揉注射部位；两周后复诊评估",
        "products": [("A 型肉毒毒素 100U", "BTX-A-26J07", 600, "36", "U")],
        "points": ("front", "forehead", "4", "U"),
    },
}

# Points of the face map (x, y as fractions of the drawing; label).
POINTS = {
    "cheeks": [
        (0.30, 0.55, "左颊"),
        (0.34, 0.60, "左颊"),
        (0.28, 0.62, "左颊"),
        (0.70, 0.55, "右颊"),
        (0.66, 0.60, "右颊"),
        (0.72, 0.62, "右颊"),
        (0.50, 0.24, "额中"),
        (0.44, 0.72, "口周"),
        (0.56, 0.72, "口周"),
    ],
    "forehead": [
        (0.38, 0.26, "额肌"),
        (0.50, 0.24, "额肌"),
        (0.62, 0.26, "额肌"),
        (0.45, 0.33, "皱眉肌"),
        (0.50, 0.35, "降眉间肌"),
        (0.55, 0.33, "皱眉肌"),
        (0.25, 0.41, "左眼角"),
        (0.24, 0.45, "左眼角"),
        (0.75, 0.41, "右眼角"),
        (0.76, 0.45, "右眼角"),
    ],
}
PROFILE_POINTS = {"forehead": [(0.80, 0.30, "侧额"), (0.78, 0.40, "鱼尾纹")]}

EFFICACY = {
    "水光针": "皮肤水润度明显改善",
    "光子嫩肤": "色斑变淡，轻微泛红一天消退",
    "热玛吉": "紧致效果一般，建议三个月后复查",
    "肉毒素除皱": "抬头纹明显减轻",
}


def _practitioner(staff_by_email):
    users = list(staff_by_email.values())
    for user in users:
        if user.email.startswith("doctor@"):
            return user
    for user in users:
        if "practitioner" in (user.roles or []):
            return user
    return users[0] if users else None


def _photo(seed: int, *, spots: int, lines: int) -> SimpleUploadedFile:
    """A stylised close-up of skin: a warm gradient, an oval, pigment spots and lines
    (fewer after the treatment), as a JPEG upload."""
    from PIL import Image, ImageDraw, ImageFilter

    rnd = random.Random(seed)  # noqa: S311 (a drawing, not a secret)
    w, h = 640, 480
    img = Image.new("RGB", (w, h), (238, 214, 196))
    draw = ImageDraw.Draw(img)
    for y in range(h):
        shade = int(18 * y / h)
        draw.line([(0, y), (w, y)], fill=(240 - shade, 212 - shade, 192 - shade))
    draw.ellipse([120, 40, 520, 460], fill=(232, 196, 172), outline=(205, 168, 146), width=3)
    for _ in range(spots):
        x, y, r = rnd.randint(170, 470), rnd.randint(120, 400), rnd.randint(3, 9)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(170, 120, 96))
    for n in range(lines):
        y = 130 + n * 22
        draw.arc([220, y, 420, y + 30], 200, 340, fill=(186, 146, 124), width=2)
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile(f"photo-{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _points(kind) -> list[dict]:
    if kind is None:
        return []
    view, area, amount, unit = kind
    out = [
        {"view": view, "x": x, "y": y, "amount": amount, "unit": unit, "label": label}
        for x, y, label in POINTS[area]
    ]
    out += [
        {"view": "profile", "x": x, "y": y, "amount": amount, "unit": unit, "label": label}
        for x, y, label in PROFILE_POINTS.get(area, [])
    ]
    return out


def seed_demo_records(tenant, clients, staff_by_email, today: dt.date) -> None:
    from visits.models import Visit

    if TreatmentRecord.objects.exists() or not clients:
        return
    doctor = _practitioner(staff_by_email)
    for index, skin_type, fitz, concerns, sens, product, ingredient, prefs in SKIN:
        if index < len(clients):
            services.skin_profile_save(
                client=clients[index],
                actor=doctor,
                values={
                    "skin_type": skin_type,
                    "fitzpatrick": fitz,
                    "concerns": concerns,
                    "sensitivities": sens,
                    "product_allergies": product,
                    "ingredient_allergies": ingredient,
                    "preferences": prefs,
                },
            )
    shown = {c.pk for c in clients[:5]}
    visits = (
        Visit.objects.filter(client_id__in=shown)
        .select_related("client")
        .order_by("visited_on", "id")
    )
    by_client = {c.pk: c for c in clients}
    records = []
    for visit in visits:
        items = " ".join(visit.treatment_items)
        key = next((k for k in RECORDS if k in items), None)
        if key is None:
            continue
        plan = RECORDS[key]
        products = [
            {
                "name": name,
                "batch_number": batch,
                "expires_on": visit.visited_on + dt.timedelta(days=days),
                "dose": dose,
                "unit": unit,
            }
            for name, batch, days, dose, unit in plan["products"]
        ]
        record = services.treatment_record_save(
            client=by_client[visit.client_id],
            actor=doctor,
            visit=visit,
            values={
                **{k: plan[k] for k in ("procedure", "areas", "device", "device_settings")},
                "performed_on": visit.visited_on,
                "aftercare": plan["aftercare"],
                "efficacy": visit.efficacy or EFFICACY.get(key, ""),
                "satisfaction": visit.satisfaction,
                "status": "done",
                "practitioner": doctor,
            },
            products=products,
            points=_points(plan["points"]),
        )
        records.append((key, record))
    # Before-and-after photos: the hydration course (cheeks) and the wrinkle treatment
    # (forehead), each with a photo before and one at the follow-up.
    seed = 0
    for key, record in records:
        if key not in ("水光针", "肉毒素除皱", "光子嫩肤"):
            continue
        area = "forehead" if key == "肉毒素除皱" else "cheeks"
        before_spots, before_lines = (4, 5) if area == "forehead" else (26, 1)
        for stage, spots, lines, days in (
            ("before", before_spots, before_lines, 0),
            ("after", max(2, before_spots // 3), max(1, before_lines // 3), 14),
        ):
            taken_on = min(record.performed_on + dt.timedelta(days=days), today)
            seed += 1
            services.photo_add(
                client=record.client,
                actor=doctor,
                upload=_photo(seed, spots=spots, lines=lines),
                values={"area": area, "stage": stage, "taken_on": taken_on, "note": ""},
                record=record,
            )
