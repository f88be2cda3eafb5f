from datetime import date

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from clients.models import Client, ClientHealth
from clients.services import client_derive, client_health_update
from tests.conftest import signed_in
from tests.factories import ClientFactory

VALID_ID = "11010519491231002X"  # a checksum-valid sample number

FULL_FORM = {
    "name": "张三",
    "gender": "male",
    "date_of_birth": "1990-05-03",
    "mobile": "138 1234 5678",
    "other_phones": "021-6234 5678, +86 139 0000 1111",
    "email": "Zhang.San@Example.com",
    "national_id": VALID_ID,
    "occupation": "教师",
    "address": "上海市徐汇区淮海中路 1 号",
    "emergency_contact_name": "李四",
    "emergency_contact_relation": "配偶",
    "emergency_contact_phone": "13900001111",
    "source": "referral",
    "preferred_channel": "wechat",
    "service_preferences": "喜欢安静的房间",
    "special_notes": "怕痛，操作前多沟通",
}


def test_every_field_round_trips_through_the_form_and_database(cast, owner_a):
    # when
    response = owner_a.post("/clients/new/", FULL_FORM)
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        client = Client.objects.get()
        assert client.file_number == "C000001"
        assert client.name == "张三" and client.gender == "male"
        assert client.date_of_birth == date(1990, 5, 3)
        assert client.mobile == "+8613812345678"
        assert client.other_phones == ["+862162345678", "+8613900001111"]
        assert client.email == "Zhang.San@Example.com"
        assert client.national_id == VALID_ID and client.national_id_last4 == "002X"
        assert (client.occupation, client.address) == ("教师", "上海市徐汇区淮海中路 1 号")
        assert (
            client.emergency_contact_name,
            client.emergency_contact_relation,
            client.emergency_contact_phone,
        ) == ("李四", "配偶", "+8613900001111")
        assert (client.source, client.preferred_channel) == ("referral", "wechat")
        assert client.service_preferences == "喜欢安静的房间"
        assert client.special_notes == "怕痛，操作前多沟通"
    # and: the edit form shows it all again
    edit = owner_a.get(f"/clients/{client.pk}/edit/").content.decode()
    assert 'value="张三"' in edit and 'value="+8613812345678"' in edit
    assert "021" in edit or "+862162345678" in edit


def test_the_national_id_is_encrypted_at_rest_and_found_through_its_blind_index(cast, db):
    client = ClientFactory(tenant=cast.tenant_a, name="王五", national_id=VALID_ID)
    with tenant_context(cast.tenant_a), connection.cursor() as cursor:
        cursor.execute(
            "SELECT national_id, national_id_index FROM clients_client WHERE id=%s", [client.pk]
        )
        stored, index = cursor.fetchone()
    assert VALID_ID not in stored and len(index) == 64


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11010519491231002", "17 digits followed by a digit or X"),
        ("110105194913310021", "not a real date"),
        ("110105194912310021", "check digit is wrong"),
    ],
)
def test_bad_id_numbers_are_refused_beside_the_field(cast, owner_a, value, message):
    response = owner_a.post("/clients/new/", {**FULL_FORM, "national_id": value})
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors["national_id"])


def test_bad_phone_numbers_are_refused_and_nothing_is_saved(cast, owner_a):
    response = owner_a.post("/clients/new/", {**FULL_FORM, "mobile": "12345"})
    assert response.status_code == 400 and "mobile" in response.context["form"].errors
    with tenant_context(cast.tenant_a):
        assert not Client.objects.exists()


def test_front_desk_sees_neither_health_data_nor_the_full_id(cast, front_desk_a):
    # given
    client = ClientFactory(tenant=cast.tenant_a, name="赵六", national_id=VALID_ID)
    with tenant_context(cast.tenant_a):
        client_health_update(client=client, values={"drug_allergies": "青霉素"}, updated_by=None)
    # when
    page = front_desk_a.get(f"/clients/{client.pk}/").content.decode()
    # then
    assert "青霉素" not in page and "Health" not in page
    assert VALID_ID not in page and "002X" in page
    assert front_desk_a.get(f"/clients/{client.pk}/health/").status_code == 403
    assert front_desk_a.get(f"/clients/{client.pk}/health/edit/").status_code == 403
    assert "青霉素" not in front_desk_a.get("/clients/").content.decode()


def test_a_practitioner_sees_the_allergy_warning_and_the_health_record(cast, practitioner_a):
    client = ClientFactory(tenant=cast.tenant_a, name="赵六", national_id=VALID_ID)
    with tenant_context(cast.tenant_a):
        client_health_update(client=client, values={"drug_allergies": "青霉素"}, updated_by=None)
    page = practitioner_a.get(f"/clients/{client.pk}/").content.decode()
    assert "青霉素" in page and 'role="alert"' in page
    assert VALID_ID not in page  # full IDs are for owners
    assert "Allergy" in practitioner_a.get("/clients/").content.decode()


def test_the_owner_sees_the_full_id(cast, owner_a):
    client = ClientFactory(tenant=cast.tenant_a, name="赵六", national_id=VALID_ID)
    assert VALID_ID in owner_a.get(f"/clients/{client.pk}/").content.decode()


def test_health_fields_are_encrypted_at_rest(cast, practitioner_a):
    client = ClientFactory(tenant=cast.tenant_a, name="孙七")
    practitioner_a.post(
        f"/clients/{client.pk}/health/edit/",
        {"has_drug_allergy": "on", "drug_allergies": "磺胺类药物", "pregnancy": "no"},
    )
    with tenant_context(cast.tenant_a):
        assert ClientHealth.objects.get(client=client).drug_allergies == "磺胺类药物"
        with connection.cursor() as cursor:
            cursor.execute("SELECT drug_allergies FROM clients_clienthealth")
            assert "磺胺" not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    "query",
    ["张三", "zhangsan", "zs", "ZS", "5678", "138 1234", "c000001", "zhang.san@", "张", "三"],
)
def test_one_box_finds_a_client_by_name_pinyin_initials_phone_file_number_or_email(
    cast, owner_a, query
):
    # given
    ClientFactory(
        tenant=cast.tenant_a, name="张三", mobile="+8613812345678", email="zhang.san@example.com"
    )
    ClientFactory(tenant=cast.tenant_a, name="李四", mobile="+8613900001111")
    # when
    response = owner_a.get("/clients/", {"q": query})
    # then
    names = [c.name for c in response.context["page"].object_list]
    assert names == ["张三"]


def test_search_results_come_back_as_a_fragment_for_live_search(cast, owner_a):
    ClientFactory(tenant=cast.tenant_a, name="张三")
    response = owner_a.get("/clients/", {"q": "zs"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "张三" in html and "<html" not in html


def test_tenant_b_finds_and_opens_only_its_own_clients(cast, owner_b, twins):
    # given: a client in each tenant with the same id
    client_a, _client_b = twins(
        Client,
        lambda tenant: ClientFactory(name="张三" if tenant.pk == cast.tenant_a.pk else "李四"),
    )
    # when / then: B's list, search, profile and edit page hold B's client only
    assert owner_b.get("/clients/", {"q": "张三"}).context["page"].paginator.count == 0
    assert owner_b.get("/clients/", {"q": "李四"}).context["page"].paginator.count == 1
    for path in ("/clients/", f"/clients/{client_a.pk}/", f"/clients/{client_a.pk}/edit/"):
        page = owner_b.get(path).content.decode()
        assert "李四" in page and "张三" not in page, path


def test_marketing_cannot_create_or_edit_clients(cast, db):
    from accounts.services import staff_create

    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mark", email="mark@alpha.test", password="Mark-Mkt-2026", roles=["marketing"]
        )
    marketer = signed_in(cast.tenant_a, cast.host_a, "mark@alpha.test")
    client = ClientFactory(tenant=cast.tenant_a, name="张三")
    assert marketer.get("/clients/").status_code == 200
    assert marketer.get("/clients/new/").status_code == 403
    assert marketer.get(f"/clients/{client.pk}/edit/").status_code == 403


def test_the_client_list_keeps_a_constant_number_of_queries(
    cast, practitioner_a, django_assert_max_num_queries
):
    from clients.models import Tag

    with tenant_context(cast.tenant_a):
        tags = [Tag.objects.create(name=f"标签{n}") for n in range(3)]
    for n in range(3):
        ClientFactory(tenant=cast.tenant_a, name=f"客户{n}")
    with django_assert_max_num_queries(14):
        practitioner_a.get("/clients/")
    for n in range(3, 30):
        client = ClientFactory(
            tenant=cast.tenant_a, name=f"客户{n}", flags=["important"], tags=tags
        )
        with tenant_context(cast.tenant_a):
            client_health_update(client=client, values={"drug_allergies": "花粉"}, updated_by=None)
    with django_assert_max_num_queries(14):
        response = practitioner_a.get("/clients/")
    assert len(response.context["page"].object_list) == 30


def test_the_profile_keeps_a_constant_number_of_queries(
    cast, practitioner_a, django_assert_max_num_queries
):
    referrer = ClientFactory(tenant=cast.tenant_a, name="介绍人")
    client = ClientFactory(tenant=cast.tenant_a, name="客户", referred_by=referrer)
    with django_assert_max_num_queries(12):
        practitioner_a.get(f"/clients/{client.pk}/")


def test_file_numbers_follow_the_tenants_prefix(cast, db):
    from clients.services import client_settings_update

    with tenant_context(cast.tenant_a):
        client_settings_update(file_prefix="GLOW")
    assert ClientFactory(tenant=cast.tenant_a, name="甲").file_number == "GLOW000001"
    assert ClientFactory(tenant=cast.tenant_b, name="乙").file_number == "C000001"


def test_the_profile_has_a_timeline_tab_and_unknown_or_closed_tabs_are_not_found(
    cast, owner_a, front_desk_a
):
    client = ClientFactory(tenant=cast.tenant_a, name="时间线")
    response = owner_a.get(f"/clients/{client.pk}/timeline/")
    assert response.status_code == 200
    assert [t.key for t in response.context["tabs"]][:2] == ["details", "timeline"]
    assert owner_a.get(f"/clients/{client.pk}/nonsense/").status_code == 404
    assert front_desk_a.get(f"/clients/{client.pk}/health/").status_code == 403
    assert "health" not in [
        t.key for t in front_desk_a.get(f"/clients/{client.pk}/").context["tabs"]
    ]


def test_search_results_page_with_the_right_total(cast, owner_a):
    from clients.models import Client as ClientRow

    with tenant_context(cast.tenant_a):
        rows = []
        for n in range(60):
            row = ClientRow(name=f"林{n:02d}", file_number=f"P{n:05d}")
            client_derive(row)
            rows.append(row)
        ClientRow.objects.bulk_create(rows)
    first = owner_a.get("/clients/", {"q": "林"})
    assert first.context["page"].paginator.count == 60
    assert len(first.context["page"].object_list) == 50
    second = owner_a.get("/clients/", {"q": "林", "page": 2})
    names = [c.name for c in second.context["page"].object_list]
    assert len(names) == 10 and names == sorted(names)
    beyond = owner_a.get("/clients/", {"q": "林", "page": 9})
    assert beyond.context["page"].number == 2
    assert owner_a.get("/clients/", {"q": "没有这个人"}).context["page"].paginator.count == 0


def test_short_searches_read_the_name_gram_index_and_agree_with_the_full_search(cast, owner_a):
    from clients.filters import single_gram
    from clients.models import Client as ClientRow
    from clients.search import filter_clients

    names = ["王静", "静怡", "李静雯", "张三", "Jing Wang", "赵敏"]
    clients = [ClientFactory(tenant=cast.tenant_a, name=name) for name in names]
    # renaming and deleting keep the index right (it is kept by a trigger)
    with tenant_context(cast.tenant_a):
        client_update_name = clients[3]
        client_update_name.name = "静香"
        client_derive(client_update_name)
        client_update_name.save()
        clients[5].delete()
    for term in ("静", "j", "w", "王静", "jy", "静雯"):
        response = owner_a.get("/clients/", {"q": term})
        assert single_gram({"q": term}) == term
        with tenant_context(cast.tenant_a):
            expected = [
                c.name for c in filter_clients(ClientRow.objects.all(), term).order_by("sort_key")
            ]
        assert [c.name for c in response.context["page"].object_list] == expected
        assert response.context["page"].paginator.count == len(expected)
    assert single_gram({"q": "静", "flag": "important"}) is None
    assert single_gram({"q": "静", "sort": "file"}) is None


def test_field_keys_rotate_and_the_old_key_can_then_be_dropped(cast, db, settings):
    from django.core.management import call_command

    old, new = settings.FIELD_ENCRYPTION_KEYS[0], "a-brand-new-field-key-for-2027-0123456789"
    client = ClientFactory(tenant=cast.tenant_a, name="轮换", national_id=VALID_ID)
    with tenant_context(cast.tenant_a):
        client_health_update(client=client, values={"drug_allergies": "青霉素"}, updated_by=None)
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    connection.set_schema_to_public()
    call_command("rotate_field_keys", verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone
    with tenant_context(cast.tenant_a):
        stored = Client.objects.get(pk=client.pk)
        assert stored.national_id == VALID_ID
        assert ClientHealth.objects.get(client=client).drug_allergies == "青霉素"


def test_erased_files_leave_the_search_indexes(cast, owner_a):
    from django.utils import translation

    from privacy.services import client_erase

    kept = ClientFactory(tenant=cast.tenant_a, name="客户甲")
    gone = ClientFactory(tenant=cast.tenant_a, name="王静")
    with tenant_context(cast.tenant_a), translation.override("zh-hans"):
        client_erase(client=gone, actor=None)  # renamed 已删除客户 C…
        gone.refresh_from_db()
        assert gone.name.startswith("已删除客户")
        assert gone.name_grams == [] and gone.search_text == ""
    for term in ("客户", "客", "kh", gone.file_number):
        page = owner_a.get("/clients/", {"q": term}).context["page"]
        assert [c.pk for c in page.object_list] == ([kept.pk] if term != gone.file_number else [])
        assert page.paginator.count == len(page.object_list)
