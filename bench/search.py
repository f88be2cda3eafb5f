"""Client search: p50 and p95 server time of the list page's query (count plus the first
page of 50) at 2,000 and 200,000 clients, for the indexed search beside a plain
``icontains`` over name, phones, file number and email. Queries include one- and
two-character Chinese names, full pinyin, initials, phone fragments and file numbers.
Goal: p95 under 50 ms at 200,000, no worse than twice the 2,000 figure, and at least 20x
faster than the plain query."""

from __future__ import annotations

import random
import time

from _common import django_stack, emit, summary

SIZES = (2_000, 200_000)
ROUNDS = 3
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鑫宇浩凯婷雪琳晨欣怡佳"
    "子涵轩梓睿博文雅思颖诗琪瑶嘉俊豪"
)


def _people(count: int, rng: random.Random):
    for n in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        mobile = f"+861{rng.choice('3578')}{rng.randrange(10**9):09d}"
        yield n, name, mobile


def _fill(target: int, rng: random.Random) -> None:
    from clients.models import Client
    from clients.services import client_derive

    present = Client.objects.count()
    batch: list[Client] = []
    for n, name, mobile in _people(target - present, rng):
        client = Client(
            name=name,
            mobile=mobile,
            file_number=f"C{present + n + 1:07d}",
            email=f"client{present + n}@example.com" if n % 3 == 0 else "",
        )
        client_derive(client)
        batch.append(client)
        if len(batch) == 5_000:
            Client.objects.bulk_create(batch)
            batch.clear()
    if batch:
        Client.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clients_client")


def _queries(rng: random.Random) -> list[str]:
    from clients.models import Client

    sample = list(
        Client.objects.order_by("?").values_list(
            "name", "mobile", "file_number", "name_pinyin", "name_initials"
        )[:20]
    )
    terms = []
    for name, mobile, file_number, pinyin, initials in sample:
        terms += [
            name,
            name[:2],
            name[-1],
            pinyin,
            initials,
            mobile[-4:],
            mobile[-8:-3],
            file_number,
        ]
    rng.shuffle(terms)
    return terms


class _NoHealth:
    """The list page as a role without clinical permission builds it."""

    def can(self, capability: str) -> bool:
        return False


def _timed(fn, terms: list[str]) -> list[float]:
    samples = []
    for _ in range(ROUNDS):
        for term in terms:
            started = time.perf_counter()
            fn(term)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> dict:
    from django.db.models import Q
    from django_tenants.utils import tenant_context

    from clients.filters import single_gram
    from clients.models import Client
    from clients.selectors import client_list, client_page
    from tenants.services import tenant_signup

    tenant = tenant_signup(
        business_name="Search Bench",
        business_type="medical_aesthetic",
        subdomain="searchbench",
        owner_name="Bench",
        owner_email="bench@search.test",
        owner_password="Bench-Search-2026",
        language="zh-hans",
        time_zone="Asia/Shanghai",
        currency="CNY",
    ).tenant

    def indexed(term: str) -> None:
        # Exactly what the list page runs: the filtered list, then its first page.
        found = client_list(user=_NoHealth(), query=term)
        gram = single_gram({"q": term})
        list(client_page(found, 1, per_page=50, searching=True, gram=gram).object_list)

    def plain(term: str) -> None:
        found = Client.objects.filter(
            Q(name__icontains=term)
            | Q(mobile__icontains=term)
            | Q(email__icontains=term)
            | Q(file_number__icontains=term)
        )
        found.count()
        list(found.order_by("name", "id")[:50])

    rng = random.Random(2026)
    figures: dict[str, dict[str, float]] = {}
    with tenant_context(tenant):
        for size in SIZES:
            started = time.perf_counter()
            _fill(size, rng)
            print(f"{size:>7} clients ready in {time.perf_counter() - started:.1f} s", flush=True)
            terms = _queries(rng)
            fast, slow = summary(_timed(indexed, terms)), summary(_timed(plain, terms))
            figures[str(size)] = {
                "indexed_p50_ms": round(fast["median"], 2),
                "indexed_p95_ms": round(fast["p95"], 2),
                "icontains_p50_ms": round(slow["median"], 2),
                "icontains_p95_ms": round(slow["p95"], 2),
                "speedup_p95": round(slow["p95"] / fast["p95"], 1),
            }
            print(
                f"{size:>7} clients: indexed p50 {fast['median']:.2f} ms p95 {fast['p95']:.2f}"
                f" ms; icontains p50 {slow['median']:.2f} ms p95 {slow['p95']:.2f} ms",
                flush=True,
            )
    return {"benchmark": "search", "sizes": figures}


if __name__ == "__main__":
    with django_stack():
        result = main()
    emit(result)
