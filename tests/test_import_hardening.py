"""Imports leave nothing personal behind, follow the client file's rules, and read a
clinic's sheet as the clinic meant it (issue 8, section 3)."""

import datetime as dt
import random

import time_machine
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import User
from accounts.services import staff_create
from audit.models import AuditEntry
from clients.models import Client, ClientHealth
from clients.services import ClientData, client_create, client_health_update
from imports import selectors, tasks
from imports.models import ImportJob, ImportRow, JobStatus
from tests.conftest import signed_in
from tests.factories import ClientFactory
from tests.sheets import upload, xlsx_file

VALID_ID = "11010519491231002X"


def _check(client, job_id, chosen=None):
    """Confirm the guessed mapping (or ``chosen``) and return the preview."""
    if chosen is None:
        page = client.get(f"/clients/import/{job_id}/mapping/")
        chosen = {f"col_{index}": key for index, _h, _s, key in page.context["columns"]}
    response = client.post(f"/clients/import/{job_id}/mapping/", chosen)
    assert response.status_code == 302, response.content.decode()[:800]
    return client.get(f"/clients/import/{job_id}/")


def _job(tenant, job_id) -> ImportJob:
    with tenant_context(tenant):
        return ImportJob.objects.get(pk=job_id)


# --- a clinic's sheet as it really is ------------------------------------------------------

CLINIC_HEADERS = [
    "姓名",
    "性别",
    "出生日期",
    "联系电话",
    "身份证号",
    "是否有药物过敏史",
    "药物过敏",
    "是否有其他疾病",
    "其他疾病",
    "是否有手术史",
    "首次就诊日期",
    "治疗项目",
    "满意度",
    "累计消费金额",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅"


def _clinic_rows(count: int) -> list[list]:
    """A sheet of the kind clinics keep: the yes/no columns hold the detail as often as 是,
    the health text says 无, none or N/A for nothing, and a few rows are really broken."""
    rng = random.Random(8)
    rows = []
    for n in range(count):
        allergy_flag, allergy_text = rng.choice(
            [
                ("是", "青霉素"),
                ("青霉素过敏", ""),
                ("头孢类过敏", ""),
                ("有，磺胺类", ""),
                ("否", "无"),
                ("无", ""),
                ("", "none"),
                ("否", "N/A"),
                ("没有", "没有"),
            ]
        )
        illness = rng.choice(["否", "无", "高血压", "糖尿病", "", "是"])
        year, month, day = rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28)
        born = rng.choice(
            [f"{year}/{month}/{day}", f"{year}年{month}月{day}日", f"{year}{month:02d}{day:02d}"]
        )
        if n % 200 == 13:
            born = "1990-13-45"  # really broken: there is no 13th month
        rows.append(
            [
                rng.choice(SURNAMES)
                + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                rng.choice(["男", "女", "女士", "先生"]),
                born,
                f"139 {n:04d} {rng.randint(0, 9999):04d}",
                "",
                allergy_flag,
                allergy_text,
                illness,
                "" if illness != "是" else "哮喘",
                rng.choice(["无", "否", "双眼皮手术", "剖腹产", ""]),
                f"20{rng.randint(18, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                "光子嫩肤、水光针",
                rng.choice(["非常满意", "满意", "4", "5分", ""]),
                f"¥{rng.randint(0, 30000):,}",
            ]
        )
    return rows


def test_a_500_row_clinic_sheet_imports_nearly_every_row_reading_it_as_the_clinic_meant(
    cast, storage, owner_a
):
    # given: 500 rows, the yes/no columns often holding the detail instead of 是
    rows = _clinic_rows(500)
    rows[0][5:10] = ["青霉素过敏", "", "高血压", "", "无"]
    rows[1][5:10] = ["否", "无", "没有", "N/A", "否"]
    rows[2][5:10] = ["是", "青霉素", "是", "哮喘", "双眼皮手术"]
    job_id = upload(owner_a, xlsx_file(CLINIC_HEADERS, rows))
    # when
    preview = _check(owner_a, job_id)
    # then: only the three rows with an impossible birth date have a problem
    job = preview.context["job"]
    assert (job.total_rows, job.good_rows, job.bad_rows) == (500, 497, 3)
    response = owner_a.post(f"/clients/import/{job_id}/commit/", {"skip_bad": "1"})
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        job = ImportJob.objects.get(pk=job_id)
        assert job.status == JobStatus.DONE and job.created_count == 497
        assert Client.objects.count() == 497
        first = ClientHealth.objects.get(client__mobile=_mobile(rows[0][3]))
        assert first.has_drug_allergy and first.drug_allergies == "青霉素过敏"
        assert first.has_chronic_condition and first.chronic_conditions == "高血压"
        assert not first.has_surgery_history and first.surgery_history == ""
        second = ClientHealth.objects.filter(client__mobile=_mobile(rows[1][3])).first()
        assert second is None or (
            not second.has_drug_allergy
            and second.drug_allergies == ""
            and second.chronic_conditions == ""
            and not second.has_chronic_condition
        )
        third = ClientHealth.objects.get(client__mobile=_mobile(rows[2][3]))
        assert third.drug_allergies == "青霉素" and third.chronic_conditions == "哮喘"
        assert third.has_surgery_history and third.surgery_history == "双眼皮手术"
        # 无, none, N/A and 没有 became nothing on file anywhere in the sheet
        texts = set(ClientHealth.objects.values_list("drug_allergies", flat=True))
        assert not texts & {"无", "none", "N/A", "没有"}


def _mobile(cell: str) -> str:
    return "+86" + cell.replace(" ", "")


# --- nothing personal left behind ---------------------------------------------------------


def _raw(sql: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_an_imports_cells_are_encrypted_at_rest_and_gone_with_its_file_once_committed(
    cast, storage, owner_a, django_capture_on_commit_callbacks
):
    # given: a checked job holding an ID number and a drug allergy
    rows = [["周雅琪", "159 3333 4444", VALID_ID, "是", "磺胺类药物"]]
    headers = ["姓名", "联系电话", "身份证号", "是否有药物过敏史", "药物过敏"]
    job_id = upload(owner_a, xlsx_file(headers, rows))
    _check(owner_a, job_id)
    with tenant_context(cast.tenant_a):
        path = ImportJob.objects.get(pk=job_id).file
        stored = _raw("SELECT samples FROM imports_importjob WHERE id = %s", [job_id])
        stored += _raw('SELECT "values" FROM imports_importrow WHERE job_id = %s', [job_id])
        assert default_storage.exists(path)
    # then: no plain ID or allergy in the job's tables
    assert stored and all(VALID_ID not in text and "磺胺" not in text for (text,) in stored)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        owner_a.post(f"/clients/import/{job_id}/commit/", {})
    # then: the client is in, and the job keeps only its counts
    with tenant_context(cast.tenant_a):
        job = ImportJob.objects.get(pk=job_id)
        assert job.status == JobStatus.DONE and job.created_count == 1
        assert Client.objects.get(name="周雅琪").national_id == VALID_ID
        assert not ImportRow.objects.filter(job_id=job_id).exists()
        assert job.samples == [] and job.file == ""
        assert not default_storage.exists(path)


def test_a_job_left_unfinished_is_cleared_by_the_periodic_task_after_the_set_time(
    cast, storage, owner_a, settings, django_capture_on_commit_callbacks
):
    # given: one job left yesterday morning, one started now
    settings.IMPORT_ABANDONED_AFTER_HOURS = 6
    headers, rows = ["姓名", "联系电话"], [["李静", "139 0000 1111"]]
    with time_machine.travel(timezone.now() - dt.timedelta(hours=7)):
        old = upload(owner_a, xlsx_file(headers, rows))
        _check(owner_a, old)
    fresh = upload(owner_a, xlsx_file(headers, rows))
    with tenant_context(cast.tenant_a):
        old_path = ImportJob.objects.get(pk=old).file
        # when: the hourly task runs in this tenant (tenants.fan_out sends it there)
        with django_capture_on_commit_callbacks(execute=True):
            result = tasks.clear_abandoned.run()
        # then
        assert result["discarded"] == 1
        job = ImportJob.objects.get(pk=old)
        assert job.status == JobStatus.DISCARDED and job.file == "" and job.samples == []
        assert not job.rows.exists() and not default_storage.exists(old_path)
        kept = ImportJob.objects.get(pk=fresh)
        assert kept.status == JobStatus.UPLOADED and default_storage.exists(kept.file)
    from config.celery_app import app

    beat = [e for e in app.conf.beat_schedule.values() if e["task"] == "tenants.fan_out"]
    assert ("imports.clear_abandoned",) in [e["args"] for e in beat]


def test_discarding_an_import_deletes_its_file_and_rows_at_once(
    cast, storage, front_desk_a, django_capture_on_commit_callbacks
):
    # given
    job_id = upload(front_desk_a, xlsx_file(["姓名"], [["李静"]]))
    _check(front_desk_a, job_id)
    path = _job(cast.tenant_a, job_id).file
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = front_desk_a.post(f"/clients/import/{job_id}/discard/")
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        job = ImportJob.objects.get(pk=job_id)
        assert job.status == JobStatus.DISCARDED and not job.rows.exists()
        assert not default_storage.exists(path)
    assert front_desk_a.post(f"/clients/import/{job_id}/commit/", {}).status_code == 404


def test_erasing_a_client_reaches_the_rows_an_unfinished_import_holds_about_them(
    cast, storage, owner_a, django_capture_on_commit_callbacks
):
    # given: a checked import with a row about a client on file, and one about someone else
    from privacy.services import client_erase

    client = ClientFactory(tenant=cast.tenant_a, name="李静", mobile="+8613900001111")
    rows = [["李静", "139 0000 1111", "上海"], ["王芳", "139 0000 2222", "北京"]]
    job_id = upload(owner_a, xlsx_file(["姓名", "联系电话", "住址"], rows))
    _check(owner_a, job_id)
    with tenant_context(cast.tenant_a):
        path = ImportJob.objects.get(pk=job_id).file
        # when
        with django_capture_on_commit_callbacks(execute=True):
            client_erase(client=client, actor=None)
        # then: her row, the first rows and the file are gone; the other row is still there
        job = ImportJob.objects.get(pk=job_id)
        assert [r.name for r in job.rows.all()] == ["王芳"]
        assert job.samples == [] and job.file == ""
    assert not default_storage.exists(path)
    # and the job can still bring in the other row, not her
    owner_a.post(f"/clients/import/{job_id}/commit/", {})
    with tenant_context(cast.tenant_a):
        assert Client.objects.count() == 2 and Client.objects.filter(name="王芳").exists()
        assert not Client.objects.filter(name="李静").exists()


# --- the client file's rules --------------------------------------------------------------


def test_a_job_is_seen_and_committed_only_by_its_starter_or_an_owner(
    cast, storage, front_desk_a, owner_a, owner_b
):
    # given: a job the front desk started, and a manager who may import too
    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mia Manager",
            email="mgr@alpha.test",
            password=cast.password,
            roles=["manager"],
        )
    manager = signed_in(cast.tenant_a, cast.host_a, "mgr@alpha.test")
    job_id = upload(front_desk_a, xlsx_file(["姓名"], [["李静"]]))
    _check(front_desk_a, job_id)
    urls = [f"/clients/import/{job_id}/", f"/clients/import/{job_id}/mapping/"]
    posts = [f"/clients/import/{job_id}/{action}/" for action in ("commit", "settle", "discard")]
    # when / then: the manager and tenant B's owner get 404 everywhere, and nothing moves
    for other in (manager, owner_b):
        assert [other.get(url).status_code for url in urls] == [404, 404]
        assert [other.post(url, {}).status_code for url in posts] == [404, 404, 404]
    assert "客户档案.xlsx" not in manager.get("/clients/import/").content.decode()
    with tenant_context(cast.tenant_a):
        assert ImportJob.objects.get(pk=job_id).status == JobStatus.CHECKED
        assert not Client.objects.exists()
    # the owner sees it and may commit it
    assert owner_a.get(urls[0]).status_code == 200
    assert "客户档案.xlsx" in owner_a.get("/clients/import/").content.decode()
    owner_a.post(posts[0], {})
    with tenant_context(cast.tenant_a):
        assert ImportJob.objects.get(pk=job_id).status == JobStatus.DONE
        assert Client.objects.filter(name="李静").exists()


def test_health_and_visit_note_columns_are_imported_only_by_a_clinical_role(
    cast, storage, front_desk_a, owner_a
):
    # given
    headers = ["姓名", "是否有药物过敏史", "药物过敏", "首次就诊日期", "效果评价"]
    rows = [["陈婷婷", "是", "磺胺类药物", "2024-03-01", "色斑淡化明显"]]
    # when: the front desk maps every column, health and clinical notes included
    job_id = upload(front_desk_a, xlsx_file(headers, rows))
    mapping = front_desk_a.get(f"/clients/import/{job_id}/mapping/")
    chosen = {
        "col_0": "client.name",
        "col_1": "health.has_drug_allergy",
        "col_2": "health.drug_allergies",
        "col_3": "visit.visited_on",
        "col_4": "visit.efficacy",
    }
    preview = _check(front_desk_a, job_id, chosen)
    front_desk_a.post(f"/clients/import/{job_id}/commit/", {})
    # then: the mapping page neither offers nor shows them, and only the rest was written
    page = mapping.content.decode()
    assert "磺胺" not in page and "色斑" not in page
    assert 'value="health.drug_allergies"' not in page
    assert set(mapping.context["withheld"]) == {"是否有药物过敏史", "药物过敏", "效果评价"}
    assert "磺胺" not in preview.content.decode()
    with tenant_context(cast.tenant_a):
        client = Client.objects.get(name="陈婷婷")
        assert not ClientHealth.objects.filter(client=client).exists()
        assert client.visits.get().efficacy == ""
    # an owner brings the same sheet in whole; the preview says health is written, not what
    job_id = upload(
        owner_a, xlsx_file(headers, [["孙浩然", "是", "磺胺类药物", "2024-03-01", "好"]])
    )
    preview = _check(owner_a, job_id)
    body = preview.content.decode()
    assert "磺胺" not in body and "health: written, values not shown here" in body
    owner_a.post(f"/clients/import/{job_id}/commit/", {})
    with tenant_context(cast.tenant_a):
        health = ClientHealth.objects.get(client__name="孙浩然")
        assert health.has_drug_allergy and health.drug_allergies == "磺胺类药物"


def test_merging_into_existing_files_needs_the_merge_permission(cast, storage, front_desk_a):
    # given: a file on record, and a sheet row with the same mobile
    existing = ClientFactory(tenant=cast.tenant_a, name="李静", mobile="+8613900001111")
    job_id = upload(
        front_desk_a, xlsx_file(["姓名", "联系电话", "住址"], [["李静", "13900001111", "上海"]])
    )
    preview = _check(front_desk_a, job_id)
    (row,) = preview.context["duplicates"]
    # then: the front desk is not offered a merge; asking for one anyway does not merge
    assert row.action == "skip" and "merge" not in [v for v, _l in preview.context["actions"]]
    front_desk_a.post(f"/clients/import/{job_id}/commit/", {f"row_{row.pk}": "merge"})
    with tenant_context(cast.tenant_a):
        existing.refresh_from_db()
        assert existing.address == "" and Client.objects.count() == 1
        assert ImportJob.objects.get(pk=job_id).merged_count == 0


def test_an_import_merge_goes_through_the_client_rules_and_joins_what_differs(
    cast, storage, owner_a
):
    # given: a file with an allergy on record, and a row that brings another one
    existing = ClientFactory(tenant=cast.tenant_a, name="李静", mobile="+8613900001111")
    with tenant_context(cast.tenant_a):
        client_health_update(client=existing, values={"drug_allergies": "青霉素"}, updated_by=None)
    headers = ["姓名", "联系电话", "住址", "药物过敏"]
    job_id = upload(owner_a, xlsx_file(headers, [["李静", "13900001111", "上海", "头孢"]]))
    _check(owner_a, job_id)
    # when
    owner_a.post(f"/clients/import/{job_id}/commit/", {})
    # then: nothing on file was lost, the new allergy is marked with its row, all audited
    with tenant_context(cast.tenant_a):
        existing.refresh_from_db()
        health = ClientHealth.objects.get(client=existing)
        assert existing.address == "上海"
        assert health.drug_allergies == "青霉素\n[import row 2] 头孢"
        entries = AuditEntry.objects.filter(client_id=existing.pk, action="update")
        assert entries.filter(object_type="client", fields__contains=["address"]).exists()
        assert entries.filter(object_type="health", fields__contains=["drug_allergies"]).exists()


def test_an_import_does_not_write_into_a_file_erased_after_the_check(cast, storage, owner_a):
    # given: a row matching a file, which is erased between the check and the commit
    existing = ClientFactory(tenant=cast.tenant_a, name="李静", mobile="+8613900001111")
    job_id = upload(
        owner_a, xlsx_file(["姓名", "联系电话", "住址"], [["李静", "13900001111", "上海"]])
    )
    _check(owner_a, job_id)
    with tenant_context(cast.tenant_a):
        Client.objects.filter(pk=existing.pk).update(erased_at=timezone.now())
    # when
    response = owner_a.post(f"/clients/import/{job_id}/commit/", {}, follow=True)
    # then
    assert "Row 2: This file was erased." in response.content.decode()
    with tenant_context(cast.tenant_a):
        existing.refresh_from_db()
        assert existing.address == ""
        assert ImportJob.objects.get(pk=job_id).status == JobStatus.FAILED


def test_a_failed_commit_names_the_sheet_row_in_the_users_language(cast, storage, owner_a):
    # given: the sheet's row 3 takes a file number someone gave by hand after the check
    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.owner_a).update(language="zh-hans")
    rows = [["A-100", "李静"], ["A-101", "王芳"], ["A-102", "张伟"]]
    job_id = upload(owner_a, xlsx_file(["档案编号", "姓名"], rows))
    _check(owner_a, job_id)
    with tenant_context(cast.tenant_a):
        client = client_create(data=ClientData({"name": "赵敏"}), created_by=None)
        Client.objects.filter(pk=client.pk).update(file_number="A-101")
    # when
    response = owner_a.post(f"/clients/import/{job_id}/commit/", {}, follow=True)
    # then: Chinese, and the sheet's row (3), not PostgreSQL's COPY line (2)
    body = response.content.decode()
    assert "第 3 行无法保存" in body and "duplicate key" not in body
    with tenant_context(cast.tenant_a):
        job = ImportJob.objects.get(pk=job_id)
        assert job.status == JobStatus.FAILED and "第 3 行" in job.error
        assert Client.objects.count() == 1


# --- problems in groups -------------------------------------------------------------------


def test_rows_sharing_a_problem_are_one_group_settled_at_once_and_the_rest_paged(
    cast, storage, owner_a, monkeypatch
):
    # given: 40 rows with the same impossible date, 2 with a problem of their own
    rows = [[f"客户{n}", f"1390000{n:04d}", "1990-13-45"] for n in range(40)]
    rows += [["王芳", "12345", "1990-01-01"], ["", "13911112222", "1990-01-01"]]
    job_id = upload(owner_a, xlsx_file(["姓名", "联系电话", "出生日期"], rows))
    preview = _check(owner_a, job_id)
    # then: one group with its count; the page lists only the rows outside it
    (group,) = preview.context["groups"]
    assert (group.column, group.count) == ("出生日期", 40)
    assert "40 rows: 出生日期" in preview.content.decode()
    assert sorted(r.row_number for r in preview.context["bad"]) == [42, 43]
    # when: the whole group is read without its date
    owner_a.post(
        f"/clients/import/{job_id}/settle/",
        {"key": group.key, "cause": group.cause, "how": "drop"},
    )
    # then
    job = _job(cast.tenant_a, job_id)
    assert (job.good_rows, job.bad_rows) == (40, 2)
    owner_a.post(f"/clients/import/{job_id}/commit/", {"skip_bad": "1"})
    with tenant_context(cast.tenant_a):
        assert Client.objects.count() == 40
        assert not Client.objects.filter(date_of_birth__isnull=False).exists()


def test_a_group_can_be_kept_in_the_notes_or_skipped_without_ticking_skip(cast, storage, owner_a):
    # given
    rows = [[f"客户{n}", "1990-13-45", "x" if n < 3 else ""] for n in range(6)]
    job_id = upload(owner_a, xlsx_file(["姓名", "出生日期", "性别"], rows))
    preview = _check(owner_a, job_id)
    groups = {g.column: g for g in preview.context["groups"]}
    # when: the dates go to the notes, the unreadable genders' rows are skipped
    for column, how in (("出生日期", "notes"), ("性别", "skip")):
        g = groups[column]
        owner_a.post(
            f"/clients/import/{job_id}/settle/", {"key": g.key, "cause": g.cause, "how": how}
        )
    job = _job(cast.tenant_a, job_id)
    assert (job.good_rows, job.bad_rows) == (3, 0)
    owner_a.post(f"/clients/import/{job_id}/commit/", {})
    # then
    with tenant_context(cast.tenant_a):
        assert ImportJob.objects.get(pk=job_id).status == JobStatus.DONE
        notes = sorted(Client.objects.values_list("special_notes", flat=True))
        assert notes == ["出生日期: 1990-13-45"] * 3


def test_the_rows_outside_the_groups_are_paged(cast, storage, owner_a, monkeypatch):
    # given: every problem its own (no group), 120 of them
    monkeypatch.setattr(selectors, "GROUP_MIN", 10_000)
    rows = [[f"客户{n}", "1990-13-45"] for n in range(120)]
    job_id = upload(owner_a, xlsx_file(["姓名", "出生日期"], rows))
    _check(owner_a, job_id)
    # when
    first = owner_a.get(f"/clients/import/{job_id}/")
    last = owner_a.get(f"/clients/import/{job_id}/", {"page": 3})
    # then
    assert len(first.context["bad"]) == selectors.PAGE_SIZE == 50
    assert [r.row_number for r in last.context["bad"]] == list(range(102, 122))
    assert "Page 1 of 3" in first.content.decode()


def test_an_unreadable_health_cell_is_reported_without_its_value(cast, storage, owner_a):
    # given
    job_id = upload(owner_a, xlsx_file(["姓名", "是否有药物过敏史"], [["李静", "也许"]]))
    # when
    preview = _check(owner_a, job_id)
    # then
    (row,) = preview.context["bad"]
    assert row.errors == [["是否有药物过敏史", "This value could not be read."]]
    assert "也许" not in preview.content.decode()


def test_services_keep_their_public_names_in_a_package_of_stages():
    import imports.services as package

    for name in ("job_create", "job_map", "job_check", "job_commit", "copy_insert"):
        assert callable(getattr(package, name))
    assert {"jobs", "check", "commit", "cleanup"} <= set(vars(package))
