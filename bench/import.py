"""Client import at scale: a 100,000-row .xlsx such as a chain's old system exports (Chinese
headers, dates and phones in mixed formats, a few bad rows and repeats), taken through the
whole pipeline — upload, column guess, check, commit — against a throw-away database.
Prints the time of each phase and the peak memory of the process, then one JSON line.
Goal: under 2 minutes and under 1 GiB for 100,000 rows."""

from __future__ import annotations

import io
import random
import resource
import sys
import time

from _common import django_stack, emit

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
HEADERS = [
    "姓名",
    "性别",
    "出生日期",
    "联系电话",
    "电子邮箱",
    "职业",
    "住址",
    "首次就诊日期",
    "治疗项目",
    "满意度",
    "累计消费金额",
    "付款方式",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鑫宇浩凯婷雪琳晨欣怡佳"
ITEMS = ["光子嫩肤", "水光针", "热玛吉", "洁牙", "美白", "验光", "配镜", "补水护理"]


def _sheet(rng: random.Random) -> io.BytesIO:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for n in range(ROWS):
        year, month, day = rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
        born = rng.choice(
            [
                f"{year}/{month}/{day}",
                f"{year}-{month:02d}-{day:02d}",
                f"{year}{month:02d}{day:02d}",
                f"{year}年{month}月{day}日",
            ]
        )
        phone = f"1{rng.choice('3578')}{n:09d}"
        phone = rng.choice([phone, f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"+86-{phone}"])
        if n % 1000 == 7:
            born = "1990-13-45"  # a bad row
        if n % 1000 == 11:
            phone = f"1{rng.choice('3578')}{n - 1:09d}"  # repeats the row before
        sheet.append(
            [
                rng.choice(SURNAMES)
                + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                rng.choice(["男", "女", "F", "M"]),
                born,
                phone,
                f"client{n}@example.com" if n % 4 == 0 else "",
                rng.choice(["教师", "工程师", "医生", "会计", ""]),
                "上海市徐汇区" if n % 3 else "",
                f"20{rng.randint(15, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                "、".join(rng.sample(ITEMS, rng.randint(1, 3))),
                rng.choice(["5", "4", "满意", "非常满意", ""]),
                f"¥{rng.randint(0, 50000):,}",
                rng.choice(["微信支付", "支付宝", "现金", "刷卡"]),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "clients.xlsx"
    return buffer


def main() -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tenants.utils import tenant_context

    from clients.models import Client
    from imports import services
    from tenants.services import tenant_signup

    tenant = tenant_signup(
        business_name="Import Bench",
        business_type="medical_aesthetic",
        subdomain="importbench",
        owner_name="Bench",
        owner_email="bench@import.test",
        owner_password="Bench-Import-2026",
        language="zh-hans",
        time_zone="Asia/Shanghai",
        currency="CNY",
    ).tenant
    started = time.perf_counter()
    sheet = _sheet(random.Random(2026))
    generated = time.perf_counter() - started
    print(f"{ROWS} rows generated in {generated:.1f} s ({len(sheet.getvalue()) / 1e6:.1f} MB)")
    phases = {}
    with tenant_context(tenant):
        t0 = time.perf_counter()
        job = services.job_create(
            upload=SimpleUploadedFile("clients.xlsx", sheet.getvalue()), user=None
        )
        mapping = services.mapping.guess(job.headers, services.available_targets())
        services.job_map(job=job, chosen=mapping)
        phases["upload_and_map_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        job = services.job_check(job)
        phases["check_s"] = time.perf_counter() - t0
        print(
            f"checked: {job.good_rows} good, {job.bad_rows} bad, {job.duplicate_rows} duplicates "
            f"in {phases['check_s']:.1f} s",
            flush=True,
        )
        t0 = time.perf_counter()
        job = services.job_commit(job, actor=None)
        phases["commit_s"] = time.perf_counter() - t0
        created = Client.objects.count()
    total = sum(phases.values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"committed {created} clients in {phases['commit_s']:.1f} s; "
        f"import total {total:.1f} s; peak memory {peak_mib:.0f} MiB"
    )
    return {
        "benchmark": "import",
        "rows": ROWS,
        "created": created,
        **{k: round(v, 2) for k, v in phases.items()},
        "total_s": round(total, 2),
        "peak_rss_mib": round(peak_mib),
        "goal": {"total_s": 120, "peak_rss_mib": 1024},
    }


if __name__ == "__main__":
    with django_stack():
        result = main()
    emit(result)
