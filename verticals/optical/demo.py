"""The optical demo business's records (明视眼镜): exams and dispensing for several
clients, and the child 刘子轩 (born 2012) with six-monthly exams over three years of
myopia progression and myopia-control lenses. Written through the services, as a
practitioner would, so the audit trail and the chart are what real use leaves behind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from verticals.optical import services
from verticals.optical.models import Dispensing, LabStatus, VisionExam

D = Decimal


def _rx(prefix: str, eye: str, sphere, cylinder="0", axis=None, add=None, pd=None) -> dict:
    values = {
        services.refraction_key(prefix, eye, "sphere"): D(sphere),
        services.refraction_key(prefix, eye, "cylinder"): D(cylinder),
        services.refraction_key(prefix, eye, "axis"): axis,
    }
    if add is not None:
        values[services.refraction_key(prefix, eye, "add")] = D(add)
    if pd is not None:
        values[services.refraction_key(prefix, eye, "pd")] = D(pd)
    return values


def _months_ago(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, min(today.day, 28))


def _stamp(dispensing: Dispensing, on: dt.date, status: str, actor) -> None:
    """Move a demo order to ``status`` and date its steps around ``on``."""
    from verticals.optical.models import LAB_ORDER

    for step in LAB_ORDER[1 : LAB_ORDER.index(status) + 1]:
        services.dispensing_advance(dispensing=dispensing, status=step, actor=actor)
    tz = timezone.get_current_timezone()
    at = dt.datetime.combine(on, dt.time(10, 30), tzinfo=tz)
    stamps = {"ordered_at": at}
    if LAB_ORDER.index(status) >= 1:
        stamps["at_lab_at"] = at + dt.timedelta(hours=5)
    if LAB_ORDER.index(status) >= 2:
        stamps["ready_at"] = at + dt.timedelta(days=3)
    if LAB_ORDER.index(status) >= 3:
        stamps["collected_at"] = at + dt.timedelta(days=5)
    Dispensing.objects.filter(pk=dispensing.pk).update(**stamps)


def _exam(client, actor, on, **values):
    base = {"examined_on": on}
    base.update(values)
    return services.exam_save(client=client, actor=actor, values=base)


def seed_demo_records(tenant, clients, staff_by_email, today) -> None:
    """Written once: a business that already has exams is left as it is. Its made-up
    clients are not texted that their glasses are ready (signals muted)."""
    from core.signals import muted

    if len(clients) < 7 or VisionExam.objects.exists():
        return
    with muted():
        _seed_records(clients, staff_by_email, today)


def _seed_records(clients, staff_by_email, today) -> None:
    staff = list(staff_by_email.items())
    actor = next((u for e, u in staff if e.startswith("optometrist@")), None) or (
        staff[0][1] if staff else None
    )
    zhang, wang, li, liu, chen, _yang, huang = clients[:7]

    # 刘子轩: a child's myopia, every six months for three years (SE −1.00 → −3.00 right).
    right = [("-0.75", "24.10"), ("-1.00", "24.24"), ("-1.50", "24.41"), ("-1.75", "24.57"),
             ("-2.25", "24.70"), ("-2.50", "24.86"), ("-2.75", "24.98")]  # fmt: skip
    left = [("-0.50", "24.02"), ("-0.75", "24.15"), ("-1.25", "24.33"), ("-1.50", "24.46"),
            ("-1.75", "24.60"), ("-2.25", "24.73"), ("-2.50", "24.85")]  # fmt: skip
    acuity = ["0.2", "0.3", "0.4", "0.4", "0.5", "0.6", "0.7"]
    exams = []
    for index, ((od, al_od), (os_, al_os)) in enumerate(zip(right, left, strict=True)):
        on = _months_ago(today, 36 - index * 6) if index < 6 else today - dt.timedelta(days=12)
        values = {
            "ua_od": D(acuity[index]),
            "ua_os": D(acuity[index]) - D("0.1"),
            "ca_od": D("0.0"),
            "ca_os": D("0.0"),
            "axial_od": D(al_od),
            "axial_os": D(al_os),
            "pd_binocular": D("58.0") + index // 3,
            **_rx("obj", "od", D(od) - D("0.25"), "-0.50", 180),
            **_rx("obj", "os", D(os_) - D("0.25"), "-0.50", 175),
            **_rx("subj", "od", od, "-0.50", 180),
            **_rx("subj", "os", os_, "-0.50", 175),
            "diagnosis": "青少年近视（双眼），进展期" if index else "双眼低度近视",
            "advice": "每天户外活动两小时以上；近距离用眼每20分钟远眺20秒；六个月后复查眼轴。",
            "next_recheck": on + dt.timedelta(days=182),
        }
        if index % 2 == 0:
            values.update(
                {"k1_od": D("43.25"), "k1_axis_od": 180, "k2_od": D("44.00"), "k2_axis_od": 90}
            )
            values.update(
                {"k1_os": D("43.50"), "k1_axis_os": 175, "k2_os": D("44.25"), "k2_axis_os": 85}
            )
        exams.append(_exam(liu, actor, on, **values))
    # Three pairs of myopia-control lenses, each from the exam it was made for.
    lens = "离焦型近视管理镜片 1.59"
    blue, black = "儿童TR90 镜架 蓝色 46□16", "儿童TR90 镜架 黑色 48□16"
    lenses = (
        (1, lens, blue, "2680.00", "", LabStatus.COLLECTED),
        (5, lens, black, "2880.00", "", LabStatus.COLLECTED),
        (
            6,
            "离焦型近视管理镜片 1.59（更新度数）",
            black,
            "1980.00",
            "沿用原镜架，仅更换镜片",
            LabStatus.AT_LAB,
        ),
    )
    for exam_index, product, frame, price, note, status in lenses:
        exam = exams[exam_index]
        values = {
            "dispensed_on": exam.examined_on,
            "lens_type": "myopia_control",
            "lens_product": product,
            "frame": frame,
            "coatings": ["anti_reflective", "hard", "uv"],
            "price": D(price),
        }
        if note:
            values["note"] = note
        made = services.dispensing_create(client=liu, actor=actor, exam=exam, values=values)
        _stamp(made, exam.examined_on, status, actor)

    # 张伟: a short-sighted adult, single-vision glasses collected.
    on = today - dt.timedelta(days=120)
    exam = _exam(
        zhang,
        actor,
        on,
        ua_od=D("0.8"),
        ua_os=D("0.9"),
        ca_od=D("0.0"),
        ca_os=D("-0.1"),
        pd_binocular=D("64.0"),
        iop_od=D("15"),
        iop_os=D("16"),
        iop_method="non_contact",
        iop_time=dt.time(10, 15),
        diagnosis="双眼近视伴散光",
        advice="配戴单光眼镜，一年后复查。",
        next_recheck=on + dt.timedelta(days=365),
        **_rx("subj", "od", "-3.25", "-0.50", 10, pd="32.0"),
        **_rx("subj", "os", "-3.50", "-0.75", 170, pd="32.0"),
    )
    glasses = services.dispensing_create(
        client=zhang,
        actor=actor,
        exam=exam,
        values={
            "dispensed_on": on,
            "lens_type": "single_vision",
            "lens_product": "1.60 非球面树脂镜片",
            "frame": "钛架 枪色 52□18",
            "coatings": ["anti_reflective", "blue_light"],
            "price": D("1150.00"),
        },
    )
    _stamp(glasses, on, LabStatus.COLLECTED, actor)

    # 王芳: contact lenses (and her glasses prescription).
    on = today - dt.timedelta(days=60)
    exam = _exam(
        wang,
        actor,
        on,
        ua_od=D("1.0"),
        ua_os=D("1.0"),
        ca_od=D("0.0"),
        ca_os=D("0.0"),
        pd_binocular=D("61.0"),
        k1_od=D("43.00"),
        k1_axis_od=180,
        k2_od=D("43.75"),
        k2_axis_od=90,
        k1_os=D("43.25"),
        k1_axis_os=5,
        k2_os=D("43.75"),
        k2_axis_os=95,
        diagnosis="双眼高度近视，角膜规则",
        advice="隐形眼镜每日佩戴不超过8小时，出现红眼立即停戴。",
        next_recheck=on + dt.timedelta(days=180),
        **_rx("subj", "od", "-5.00"),
        **_rx("subj", "os", "-4.75", "-0.25", 180),
    )
    lenses = services.dispensing_create(
        client=wang,
        actor=actor,
        exam=exam,
        values={
            "dispensed_on": on,
            "lens_type": "contact_lens",
            "lens_product": "硅水凝胶月抛 -4.75/-4.50",
            "cl_base_curve": D("8.6"),
            "cl_diameter": D("14.2"),
            "cl_power_od": D("-4.75"),
            "cl_power_os": D("-4.50"),
            "price": D("560.00"),
        },
    )
    _stamp(lenses, on, LabStatus.READY, actor)

    # 李娜: presbyopia, progressive lenses.
    on = today - dt.timedelta(days=200)
    exam = _exam(
        li,
        actor,
        on,
        ua_od=D("0.3"),
        ua_os=D("0.3"),
        ca_od=D("0.0"),
        ca_os=D("0.0"),
        pd_binocular=D("62.0"),
        iop_od=D("18"),
        iop_os=D("19"),
        iop_method="goldmann",
        iop_time=dt.time(9, 40),
        diagnosis="老视；双眼轻度远视",
        advice="渐进多焦点镜片，初戴两周内多练习上下转动视线。",
        next_recheck=on + dt.timedelta(days=365),
        **_rx("subj", "od", "+1.00", "-0.50", 90, add="2.25", pd="31.0"),
        **_rx("subj", "os", "+1.25", "-0.50", 85, add="2.25", pd="31.0"),
    )
    progressive = services.dispensing_create(
        client=li,
        actor=actor,
        exam=exam,
        values={
            "dispensed_on": on,
            "lens_type": "progressive",
            "lens_product": "个性化渐进多焦点 1.60",
            "frame": "板材 玳瑁色 53□17",
            "coatings": ["anti_reflective", "hard"],
            "price": D("3680.00"),
        },
    )
    _stamp(progressive, on, LabStatus.COLLECTED, actor)

    # 陈静: a check with raised pressure, referred.
    on = today - dt.timedelta(days=30)
    _exam(
        chen,
        actor,
        on,
        ua_od=D("0.1"),
        ua_os=D("0.0"),
        iop_od=D("23"),
        iop_os=D("22"),
        iop_method="icare",
        iop_time=dt.time(15, 20),
        axial_od=D("23.62"),
        axial_os=D("23.58"),
        diagnosis="眼压偏高，视盘未见明显异常",
        advice="建议眼科医院复查眼压及视野。",
        next_recheck=on + dt.timedelta(days=90),
        **_rx("obj", "od", "-0.50"),
        **_rx("obj", "os", "-0.25"),
    )

    # 黄晓燕: toric contact lenses, at the lab.
    on = today - dt.timedelta(days=6)
    exam = _exam(
        huang,
        actor,
        on,
        ua_od=D("0.7"),
        ua_os=D("0.6"),
        ca_od=D("0.0"),
        ca_os=D("0.0"),
        pd_binocular=D("60.0"),
        diagnosis="双眼近视散光",
        advice="试戴散光隐形眼镜一周后复查。",
        next_recheck=on + dt.timedelta(days=30),
        **_rx("subj", "od", "-2.75", "-1.25", 180),
        **_rx("subj", "os", "-3.00", "-1.00", 10),
    )
    toric = services.dispensing_create(
        client=huang,
        actor=actor,
        exam=exam,
        values={
            "dispensed_on": on,
            "lens_type": "contact_lens",
            "lens_product": "散光软镜 月抛",
            "cl_base_curve": D("8.7"),
            "cl_diameter": D("14.5"),
            "cl_power_od": D("-2.75"),
            "cl_power_os": D("-3.00"),
            "price": D("780.00"),
        },
    )
    _stamp(toric, on, LabStatus.AT_LAB, actor)
