import pytest
from django.db import connection

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def test_a_new_business_signs_up_on_the_public_page_and_lands_in_its_portal(
    live_server_url, page, django_db_blocker
):
    from tenants.models import Domain

    try:
        # given
        page.goto(f"{live_server_url}/")
        page.get_by_role("link", name="Create your business portal").click()
        # when
        page.fill("#id_business_name", "Lotus Eye Care")
        page.get_by_label("Optical shop").check()
        page.fill("#id_subdomain", "lotus")
        page.fill("#id_owner_name", "Lily Lotus")
        page.fill("#id_email", "lily@lotus.test")
        page.fill("#id_password", "Lotus-Eyes-2026!")
        page.select_option("#id_language", "en")
        page.select_option("#id_time_zone", "Asia/Shanghai")
        page.select_option("#id_currency", "CNY")
        page.get_by_role("button", name="Create my portal").click()
        # then: signed in on the business's own host
        page.wait_for_url("**/lotus.localhost:*/")
        assert page.get_by_role("heading", name="Hello, Lily").is_visible()
        assert "Lotus Eye Care" in page.inner_text(".sidebar")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "signup-landed.png"), full_page=True)
        # and: switching to Chinese is remembered for this user
        with page.expect_navigation():
            page.select_option("#lang-top", "zh-hans")
        assert "工作台" in page.inner_text(".sidebar")
        page.screenshot(path=str(ARTIFACTS / "signup-landed-zh.png"), full_page=True)
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            domain = (
                Domain.objects.filter(domain="lotus.localhost").select_related("tenant").first()
            )
            if domain is not None:
                domain.tenant.delete(force_drop=True)
