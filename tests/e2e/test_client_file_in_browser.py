"""The issue's finish line, in a real browser: the owner imports the clinic's own
spreadsheet (health columns are imported by a clinical role only), the front desk finds a
client by typing her initials, and a practitioner opens that client and sees her allergy
warning and her history — in English and in Chinese."""

import pytest
from django.db import connection
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e


def _sheet(path):
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "姓名",
            "性别",
            "出生日期",
            "联系电话",
            "是否有药物过敏史",
            "药物过敏",
            "首次就诊日期",
            "治疗项目",
            "满意度",
            "累计消费金额",
        ]
    )
    sheet.append(
        [
            "欧阳静怡",
            "女",
            "1991/4/18",
            "139 1111 2222",
            "是",
            "青霉素",
            "2025年6月1日",
            "光子嫩肤、水光针",
            "非常满意",
            "¥3,600",
        ]
    )
    sheet.append(
        [
            "孙浩然",
            "男",
            "19800202",
            "+86 137 3333 4444",
            "否",
            "",
            "2025-01-05",
            "洁牙",
            "4",
            "500",
        ]
    )
    sheet.append(["", "女", "1990-13-01", "12", "", "", "", "", "", ""])
    book.save(path)


def test_front_desk_imports_finds_and_a_practitioner_sees_warnings_and_history(
    cast, live_server_url, browser, django_db_blocker, storage, tmp_path
):
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{cast.host_a}:{port}"
    sheet = tmp_path / "我们的客户.xlsx"
    _sheet(sheet)
    ARTIFACTS.mkdir(exist_ok=True)
    owner = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    doctor = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = owner.new_page()
        sign_in(page, base, cast.owner_a, cast.password)
        page.goto(f"{base}/clients/")
        page.get_by_role("link", name="Import").click()
        page.set_input_files("input[type=file]", str(sheet))
        page.get_by_role("button", name="Upload and continue").click()
        # The Chinese headers are recognised on the mapping page.
        assert page.locator("select[name=col_0]").input_value() == "client.name"
        assert page.locator("select[name=col_4]").input_value() == "health.has_drug_allergy"
        page.screenshot(path=str(ARTIFACTS / "import-mapping.png"), full_page=True)
        page.get_by_role("button", name="Check the rows").click()
        # The bad row is reported with its row number and reasons; nothing saved yet.
        problems = page.locator("section", has_text="Rows with problems").last.inner_text()
        assert "4" in problems and "1990-13-01" in problems
        page.screenshot(path=str(ARTIFACTS / "import-preview.png"), full_page=True)
        page.get_by_label("Skip the 1 row with problems").check()
        page.get_by_role("button", name="Import 2 rows").click()
        assert "Import finished" in page.inner_text("main")
        # The front desk finds her in one keystroke sequence: her initials.
        page = desk.new_page()
        sign_in(page, base, cast.front_desk_a, cast.password)
        page.goto(f"{base}/clients/")
        page.fill("#client-q", "oyj")
        # (expect, not wait_for_function: the CSP forbids the eval that one needs)
        results = page.locator("#results")
        expect(results).to_contain_text("欧阳静怡")
        expect(results).not_to_contain_text("孙浩然")
        assert "oyj" in page.url
        # The front desk never sees health data.
        page.get_by_role("link", name="欧阳静怡").click()
        assert "青霉素" not in page.content()

        page = doctor.new_page()
        sign_in(page, base, cast.practitioner_a, cast.password)
        page.goto(f"{base}/clients/?q=欧阳")
        page.get_by_role("link", name="欧阳静怡").click()
        alert = page.get_by_role("alert").first.inner_text()
        assert "Allergies" in alert and "青霉素" in alert
        page.get_by_role("link", name="Visits").click()
        visits = page.inner_text("main")
        assert "光子嫩肤" in visits and "5/5" in visits
        page.get_by_role("link", name="Timeline").click()
        assert "光子嫩肤" in page.inner_text("main")
        page.screenshot(path=str(ARTIFACTS / "practitioner-timeline.png"), full_page=True)
        # And in Chinese.
        with page.expect_navigation():
            page.select_option("#lang-top", "zh-hans")
        assert "过敏" in page.get_by_role("alert").first.inner_text()
        assert "时间线" in page.inner_text("nav.tabs")
        page.screenshot(path=str(ARTIFACTS / "practitioner-timeline-zh.png"), full_page=True)
    finally:
        owner.close()
        desk.close()
        doctor.close()
        with django_db_blocker.unblock():
            from django_tenants.utils import tenant_context

            from accounts.models import User
            from clients.models import Client
            from imports.models import ImportJob

            with tenant_context(cast.tenant_a):
                Client.objects.filter(name__in=["欧阳静怡", "孙浩然"]).delete()
                ImportJob.objects.all().delete()
                User.objects.filter(email=cast.practitioner_a).update(language="")
            connection.set_schema_to_public()
