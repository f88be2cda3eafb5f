"""Importing a clinic's own spreadsheet and exporting the client list."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from django_tenants.utils import tenant_context
from openpyxl import load_workbook

from audit.models import AuditEntry
from clients.models import Client, ClientHealth
from clients.services import ClientData, client_create, client_health_update
from imports import services, tasks
from imports.models import ImportJob, JobStatus
from tests.sheets import upload, xlsx_file
from visits.models import Visit

VALID_ID = "11010519491231002X"
HEADERS = [
    "姓名",
    "性别",
    "出生日期",
    "联系电话",
    "电子邮箱",
    "身份证号",
    "职业",
    "住址",
    "是否有药物过敏史",
    "药物过敏",
    "首次就诊日期",
    "治疗项目",
    "满意度",
    "累计消费金额",
    "付款方式",
]
ROWS = [
    [
        "张三",
        "男",
        "1990/5/3",
        "138 1234 5678",
        "zs@example.com",
        VALID_ID,
        "教师",
        "上海",
        "是",
        "青霉素",
        "2024年3月1日",
        "光子嫩肤、水光针",
        "非常满意",
        "¥12,800",
        "微信支付",
    ],
    [
        "李四",
        "女",
        datetime(1985, 7, 9),
        "+86-139-0000-1111",
        "",
        "",
        "",
        "",
        "否",
        "",
        "20240405",
        "洁牙",
        "4",
        "500元",
        "现金",
    ],
    ["王五", "F", "19881203", "(0086) 137 0123 4567", "", "", "", "", "", "", "", "", "", "", ""],
    [
        "",
        "女",
        "1990-13-01",
        "12345",
        "not-an-email",
        "123",
        "",
        "",
        "也许",
        "",
        "",
        "",
        "9",
        "abc",
        "",
    ],
    ["赵六", "X", "1992-02-30", "13800000000", "", "", "", "", "", "", "", "", "", "", ""],
    ["张三", "男", "1990-05-03", "13812345678", "", "", "", "", "", "", "", "", "", "", ""],
]


def _map_and_check(client, job_id):
    page = client.get(f"/clients/import/{job_id}/mapping/")
    data = {f"col_{index}": chosen for index, _h, _s, chosen in page.context["columns"]}
    response = client.post(f"/clients/import/{job_id}/mapping/", data)
    assert response.status_code == 302
    return page, client.get(f"/clients/import/{job_id}/")


def _clients(tenant):
    with tenant_context(tenant):
        return {c.name: c for c in Client.objects.all()}


def test_a_messy_sheet_reports_every_bad_row_and_imports_nothing_until_they_are_skipped(
    cast, storage, front_desk_a, owner_a
):
    job_id = upload(front_desk_a, xlsx_file(HEADERS, ROWS))
    mapping_page, preview = _map_and_check(front_desk_a, job_id)
    # Chinese headers were recognised.
    chosen = {header: target for _i, header, _s, target in mapping_page.context["columns"]}
    assert chosen["姓名"] == "client.name" and chosen["联系电话"] == "client.mobile"
    assert (
        chosen["首次就诊日期"] == "visit.visited_on"
        and chosen["累计消费金额"] == "client.opening_spend"
    )
    # Health columns are left out for the front desk: only a clinical role imports them.
    assert (
        chosen["是否有药物过敏史"] == "" and "是否有药物过敏史" in mapping_page.context["withheld"]
    )
    assert preview.status_code == 200
    page = preview.content.decode()
    bad = {row.row_number: dict(row.errors) for row in preview.context["bad"]}
    assert set(bad) == {5, 6}
    assert "“1990-13-01” is not a date." in bad[5]["出生日期"] or "not a date" in bad[5]["出生日期"]
    assert {
        "姓名",
        "出生日期",
        "联系电话",
        "电子邮箱",
        "身份证号",
        "满意度",
        "累计消费金额",
    } <= set(bad[5])
    assert "性别" in bad[6] and "出生日期" in bad[6]
    assert "Row" in page and "Rows with problems" in page
    # Row 7 repeats row 2 (same mobile after normalising): flagged, skipped by default.
    dup = {row.row_number: row for row in preview.context["duplicates"]}
    assert dup[7].duplicate_row == 2 and dup[7].action == "skip"
    # Nothing written yet; committing without skipping the bad rows is refused.
    assert _clients(cast.tenant_a) == {}
    response = front_desk_a.post(f"/clients/import/{job_id}/commit/", {}, follow=True)
    assert "Fix the rows with problems" in response.content.decode()
    assert _clients(cast.tenant_a) == {}
    # Skipping them imports the three good rows, all or nothing.
    front_desk_a.post(f"/clients/import/{job_id}/commit/", {"skip_bad": "1"})
    clients = _clients(cast.tenant_a)
    assert set(clients) == {"张三", "李四", "王五"}
    zhang, li, wang = clients["张三"], clients["李四"], clients["王五"]
    assert (zhang.gender, zhang.date_of_birth, zhang.mobile) == (
        "male",
        date(1990, 5, 3),
        "+8613812345678",
    )
    assert zhang.national_id == VALID_ID and zhang.email == "zs@example.com"
    assert "微信支付" in zhang.special_notes
    assert (li.date_of_birth, li.mobile) == (date(1985, 7, 9), "+8613900001111")
    assert (wang.gender, wang.date_of_birth, wang.mobile) == (
        "female",
        date(1988, 12, 3),
        "+8613701234567",
    )
    assert zhang.total_spend == Decimal("12800.00") and zhang.visit_count == 1
    assert zhang.first_visit_on == date(2024, 3, 1)
    with tenant_context(cast.tenant_a):
        assert not ClientHealth.objects.filter(client=zhang).exists()
        visit = Visit.objects.get(client=zhang)
        assert visit.treatment_items == ["光子嫩肤", "水光针"] and visit.satisfaction == 5
        assert Visit.objects.get(client=li).satisfaction == 4
        job = ImportJob.objects.get(pk=job_id)
        assert (job.created_count, job.skipped_count, job.status) == (3, 3, JobStatus.DONE)
        assert AuditEntry.objects.filter(action="import", object_id=str(job_id)).exists()
    # And the front desk finds them at once.
    found = front_desk_a.get("/clients/", {"q": "zs"}).context["page"].object_list
    assert [c.name for c in found] == ["张三"]


def test_health_columns_import_for_clinical_staff_and_gbk_csv_is_read(cast, storage, owner_a):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["姓名", "手机", "是否有药物过敏史", "药物过敏", "生日"])
    writer.writerow(["陈婷婷", "15800002222", "有", "磺胺类药物", "1996年1月30日"])
    fileobj = io.BytesIO(text.getvalue().encode("gbk"))
    fileobj.name = "clients.csv"
    job_id = upload(owner_a, fileobj)
    mapping_page, preview = _map_and_check(owner_a, job_id)
    assert preview.context["job"].good_rows == 1
    owner_a.post(f"/clients/import/{job_id}/commit/", {})
    with tenant_context(cast.tenant_a):
        client = Client.objects.get(name="陈婷婷")
        health = ClientHealth.objects.get(client=client)
        assert health.has_drug_allergy and health.drug_allergies == "磺胺类药物"
        assert client.date_of_birth == date(1996, 1, 30)


def test_duplicates_of_existing_files_merge_skip_or_create_as_chosen(cast, storage, owner_a):
    with tenant_context(cast.tenant_a):
        existing = client_create(
            data=ClientData({"name": "李静", "mobile": "+8613900001111"}), created_by=None
        )
        client_health_update(client=existing, values={"notes": "原有"}, updated_by=None)
    rows = [
        ["李静", "139 0000 1111", "上海", "", "2024-01-02"],
        ["李静", "139 0000 1111", "北京", "", ""],
        ["周雅琪", "159 3333 4444", "", VALID_ID, ""],
    ]
    job_id = upload(
        owner_a, xlsx_file(["姓名", "联系电话", "住址", "身份证号", "首次就诊日期"], rows)
    )
    _page, preview = _map_and_check(owner_a, job_id)
    dup = {row.row_number: row for row in preview.context["duplicates"]}
    assert dup[2].duplicate_of == existing.pk and dup[2].action == "merge"
    assert dup[3].duplicate_of == existing.pk
    owner_a.post(f"/clients/import/{job_id}/commit/", {f"row_{dup[3].pk}": "skip"})
    with tenant_context(cast.tenant_a):
        kept = Client.objects.get(pk=existing.pk)
        assert kept.address == "上海" and kept.visit_count == 1
        assert Client.objects.filter(name="李静").count() == 1
        assert Client.objects.filter(name="周雅琪").count() == 1
        job = ImportJob.objects.get(pk=job_id)
        assert (job.created_count, job.merged_count, job.skipped_count) == (1, 1, 1)


def test_a_failure_during_the_commit_leaves_nothing_behind(cast, storage, owner_a, monkeypatch):
    job_id = upload(owner_a, xlsx_file(HEADERS, ROWS[:3]))
    _map_and_check(owner_a, job_id)

    real = services.copy_insert

    def broken(objects):
        # Clients are written first; the visits after them fail.
        if objects and isinstance(objects[0], Visit):
            raise RuntimeError("disk full")
        real(objects)

    monkeypatch.setattr(services.commit, "copy_insert", broken)
    response = owner_a.post(f"/clients/import/{job_id}/commit/", {}, follow=True)
    assert "nothing was saved" in response.content.decode()
    with tenant_context(cast.tenant_a):
        assert not Client.objects.exists() and not ClientHealth.objects.exists()
        assert ImportJob.objects.get(pk=job_id).status == JobStatus.FAILED


def test_large_files_run_in_the_worker_tasks(
    cast, storage, owner_a, monkeypatch, django_capture_on_commit_callbacks
):
    # Every file counts as large; the queued tasks run as the worker would run them.
    monkeypatch.setattr(services.jobs, "BACKGROUND_BYTES", 0)
    monkeypatch.setattr(tasks.check, "delay", tasks.check.run)
    monkeypatch.setattr(tasks.commit, "delay", tasks.commit.run)
    job_id = upload(owner_a, xlsx_file(HEADERS, ROWS[:2]))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        owner_a.post(
            f"/clients/import/{job_id}/mapping/", {"col_0": "client.name", "col_3": "client.mobile"}
        )
    assert len(queued) == 1
    with tenant_context(cast.tenant_a):
        assert ImportJob.objects.get(pk=job_id).good_rows == 2
    with django_capture_on_commit_callbacks(execute=True) as queued:
        owner_a.post(f"/clients/import/{job_id}/commit/", {"skip_bad": "1"})
    # one commit task; the audit trail's after-commit sealer and the file's deletion aside
    tasks_queued = [f for f in queued if "job_commit_start" in getattr(f, "__qualname__", "")]
    assert len(tasks_queued) == 1
    with tenant_context(cast.tenant_a):
        assert Client.objects.count() == 2
        assert ImportJob.objects.get(pk=job_id).status == "done"
    # A second commit of the same job is refused, and writes nothing.
    owner_a.post(f"/clients/import/{job_id}/commit/", {"skip_bad": "1"})
    with tenant_context(cast.tenant_a):
        assert Client.objects.count() == 2


def test_tenant_b_cannot_reach_tenant_as_import_or_its_file(cast, storage, owner_a, owner_b):
    job_id = upload(owner_a, xlsx_file(HEADERS, ROWS[:1]))
    with tenant_context(cast.tenant_a):
        path = ImportJob.objects.get(pk=job_id).file
    assert path.startswith(f"tenants/{cast.tenant_a.schema_name}/imports/")
    for url in (f"/clients/import/{job_id}/", f"/clients/import/{job_id}/mapping/"):
        assert owner_b.get(url).status_code == 404
    assert owner_b.post(f"/clients/import/{job_id}/commit/", {}).status_code == 404
    assert "客户档案.xlsx" not in owner_b.get("/clients/import/").content.decode()


def test_export_follows_the_list_and_the_users_rights(cast, owner_a, owner_b, front_desk_a, db):
    from accounts.services import staff_create
    from tests.conftest import signed_in

    with tenant_context(cast.tenant_a):
        zhang = client_create(
            data=ClientData({"name": "张三", "mobile": "+8613812345678", "national_id": VALID_ID}),
            created_by=None,
        )
        from clients.models import Tag

        zhang.tags.set([Tag.objects.create(name="老带新"), Tag.objects.create(name="储值卡")])
        client_health_update(client=zhang, values={"drug_allergies": "青霉素"}, updated_by=None)
        client_create(data=ClientData({"name": "李四"}), created_by=None)
        staff_create(
            full_name="Mia Manager",
            email="mgr@alpha.test",
            password=cast.password,
            roles=["manager"],
        )
    assert front_desk_a.get("/clients/export.csv").status_code == 403
    # Tenant B's export holds only tenant B's clients.
    other = b"".join(owner_b.get("/clients/export.csv").streaming_content).decode("utf-8")
    assert "张三" not in other and "李四" not in other
    response = owner_a.get("/clients/export.csv", {"q": "张"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][1] == "张三" and VALID_ID in rows[1]
    assert "青霉素" in rows[1] and "储值卡、老带新" in rows[1]
    manager = signed_in(cast.tenant_a, cast.host_a, "mgr@alpha.test")
    xlsx = manager.get("/clients/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 3
    flat = [str(v) for row in values for v in row]
    assert VALID_ID not in flat and "青霉素" not in flat
    with tenant_context(cast.tenant_a):
        assert AuditEntry.objects.filter(action="export").count() == 2


def test_the_import_pages_keep_a_constant_number_of_queries(
    cast, storage, owner_a, django_assert_max_num_queries
):
    small = upload(owner_a, xlsx_file(HEADERS, ROWS[:2]))
    _map_and_check(owner_a, small)
    big = upload(owner_a, xlsx_file(HEADERS, ROWS * 20))
    _map_and_check(owner_a, big)
    with django_assert_max_num_queries(12):
        owner_a.get(f"/clients/import/{small}/")
    with django_assert_max_num_queries(12):
        owner_a.get(f"/clients/import/{big}/")
