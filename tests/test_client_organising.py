"""Categories, tags, flags, custom fields, filters, bulk tagging, saved lists, birthdays,
photos and concurrent edits of client files."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from PIL import Image

from audit.models import AuditEntry
from clients import lifecycle
from clients.custom_fields import custom_field_save
from clients.models import Category, Client, CustomFieldSection, SavedList, Tag
from clients.selectors import client_list
from clients.services import client_settings
from tests.factories import ClientFactory
from tests.test_clients import FULL_FORM


def _set(tenant, client, **values):
    with tenant_context(tenant):
        Client.objects.filter(pk=client.pk).update(**values)


class _Owner:
    def can(self, capability):
        return True


@pytest.mark.clock(datetime(2026, 11, 20, 4, 0, tzinfo=UTC))
def test_lifecycle_categories_follow_the_tenants_thresholds_in_sql_and_python(cast, db):
    today = date(2026, 11, 20)
    new = ClientFactory(tenant=cast.tenant_a, name="新客")
    back = ClientFactory(tenant=cast.tenant_a, name="回头客")
    vip = ClientFactory(tenant=cast.tenant_a, name="贵宾")
    rich = ClientFactory(tenant=cast.tenant_a, name="大客户")
    asleep = ClientFactory(tenant=cast.tenant_a, name="沉睡")
    _set(cast.tenant_a, back, visit_count=2, last_visit_on=date(2026, 10, 1))
    _set(cast.tenant_a, vip, visit_count=10, last_visit_on=date(2026, 11, 1))
    _set(cast.tenant_a, rich, visit_count=1, total_spend=Decimal("10000"), last_visit_on=today)
    _set(cast.tenant_a, asleep, visit_count=30, last_visit_on=date(2026, 5, 19))
    expected = {
        new.pk: Category.NEW,
        back.pk: Category.RETURNING,
        vip.pk: Category.VIP,
        rich.pk: Category.VIP,
        asleep.pk: Category.DORMANT,
    }
    with tenant_context(cast.tenant_a):
        rules = client_settings()
        rows = {c.pk: c.category for c in client_list(user=_Owner()) if c.pk in expected}
        python = {
            pk: lifecycle.category_of(Client.objects.get(pk=pk), rules, today) for pk in expected
        }
        assert rows == expected == python
        # A tenant that waits twelve months before calling a client dormant:
        rules.dormant_after_months = 12
        rules.vip_min_visits = 40
        rules.save()
        assert lifecycle.category_of(Client.objects.get(pk=asleep.pk), rules, today) == (
            Category.RETURNING
        )
        filtered = client_list(user=_Owner(), filters_data={"category": "returning"})
        assert asleep.pk in {c.pk for c in filtered}


def test_flags_and_tags_round_trip_and_show_on_list_and_profile(cast, owner_a):
    with tenant_context(cast.tenant_a):
        vip_tag = Tag.objects.create(name="光子嫩肤", colour="pink")
    response = owner_a.post(
        "/clients/new/",
        {**FULL_FORM, "flags": ["important", "special_attention"], "tags": [vip_tag.pk]},
    )
    assert response.status_code == 302, response.context["form"].errors
    with tenant_context(cast.tenant_a):
        client = Client.objects.get(name="张三")
        assert client.flags == ["important", "special_attention"]
        assert list(client.tags.all()) == [vip_tag]
    listing = owner_a.get("/clients/").content.decode()
    profile = owner_a.get(f"/clients/{client.pk}/").content.decode()
    for page in (listing, profile):
        assert "Important" in page and "Special attention" in page and "光子嫩肤" in page
    assert 'class="badge flag danger"' in profile


@pytest.mark.clock(datetime(2026, 7, 15, 4, 0, tzinfo=UTC))
def test_the_list_filters_by_tag_flag_category_birthday_last_visit_staff_and_custom_field(
    cast, owner_a
):
    # A last visit six weeks before the frozen today is "returning" whatever the real date.
    from accounts.models import User

    with tenant_context(cast.tenant_a):
        tag = Tag.objects.create(name="敏感肌")
        doctor = User.objects.get(email=cast.practitioner_a)
        section = CustomFieldSection.objects.create(name="皮肤评估")
        skin = custom_field_save(
            field=None,
            values={
                "section": section,
                "label": "肤质",
                "kind": "choice",
                "choices": ["干性", "油性", "混合性"],
            },
        )
    a = ClientFactory(tenant=cast.tenant_a, name="甲", tags=[tag], date_of_birth=date(1990, 3, 3))
    b = ClientFactory(tenant=cast.tenant_a, name="乙", flags=["important"], preferred_staff=doctor)
    c = ClientFactory(tenant=cast.tenant_a, name="丙", custom={skin.key: "油性"})
    _set(cast.tenant_a, b, last_visit_on=date(2026, 6, 1), visit_count=3)

    def names(**params):
        response = owner_a.get("/clients/", params)
        assert response.status_code == 200
        return {row.name for row in response.context["page"].object_list}

    assert names(tag=tag.pk) == {"甲"}
    assert names(flag="important") == {"乙"}
    assert names(birthday_month=3) == {"甲"}
    assert names(last_visit_from="2026-05-01", last_visit_to="2026-06-30") == {"乙"}
    assert names(preferred_staff=doctor.pk) == {"乙"}
    assert names(cf=skin.key, cf_value="油性") == {"丙"}
    assert names(category="returning") == {"乙"}
    assert {"甲", "丙"} <= names(category="new")
    assert c.pk and a.pk
    # A backwards range is reported beside the field, not silently ignored.
    response = owner_a.get(
        "/clients/", {"last_visit_from": "2026-06-30", "last_visit_to": "2026-01-01"}
    )
    assert "last_visit_to" in response.context["form"].errors


def test_bulk_tagging_the_ticked_clients_or_everything_matching(cast, owner_a, owner_b):
    with tenant_context(cast.tenant_a):
        tag = Tag.objects.create(name="双十一活动")
    ticked = [ClientFactory(tenant=cast.tenant_a, name=f"王{n}") for n in range(3)]
    others = [ClientFactory(tenant=cast.tenant_a, name=f"李{n}") for n in range(2)]
    response = owner_a.post(
        "/clients/bulk-tag/",
        {"action": "add", "tag": tag.pk, "ids": [c.pk for c in ticked[:2]], "params": "q=王"},
    )
    assert response.status_code == 302 and unquote(response["Location"]).endswith("?q=王")
    with tenant_context(cast.tenant_a):
        assert set(tag.clients.values_list("pk", flat=True)) == {c.pk for c in ticked[:2]}
    # everything matching the search "李", not just ticked ones
    owner_a.post(
        "/clients/bulk-tag/",
        {"action": "add", "tag": tag.pk, "everything": "1", "params": "q=李"},
    )
    with tenant_context(cast.tenant_a):
        assert set(tag.clients.values_list("pk", flat=True)) == {
            *(c.pk for c in ticked[:2]),
            *(c.pk for c in others),
        }
        assert AuditEntry.objects.filter(action="update", fields=["tags"]).count() == 4
    owner_a.post("/clients/bulk-tag/", {"action": "remove", "tag": tag.pk, "everything": "1"})
    with tenant_context(cast.tenant_a):
        assert not tag.clients.exists()
    # Nothing ticked: a clear message, nothing changes.
    response = owner_a.post("/clients/bulk-tag/", {"action": "add", "tag": tag.pk}, follow=True)
    assert "Tick at least one client" in response.content.decode()
    # Tenant B posting A's ids and tag reaches nothing of A's.
    owner_b.post("/clients/bulk-tag/", {"action": "add", "tag": tag.pk, "ids": [ticked[2].pk]})
    with tenant_context(cast.tenant_a):
        assert not tag.clients.exists()


def test_saved_lists_keep_filters_and_are_private_unless_shared(cast, owner_a, front_desk_a):
    owner_a.post(
        "/clients/saved-lists/", {"name": "重要客户", "params": "flag=important&q=x&page=3"}
    )
    owner_a.post(
        "/clients/saved-lists/", {"name": "大家的", "params": "sort=-spend", "shared": "on"}
    )
    with tenant_context(cast.tenant_a):
        mine = SavedList.objects.get(name="重要客户")
        assert mine.params == {"flag": ["important"]}
    owner_page = owner_a.get("/clients/").content.decode()
    desk_page = front_desk_a.get("/clients/").content.decode()
    assert "重要客户" in owner_page and "flag=important" in owner_page
    assert "重要客户" not in desk_page and "大家的" in desk_page
    # Each user can delete their own lists from the menu, not a colleague's shared one.
    assert f'action="/clients/saved-lists/{mine.pk}/delete/"' in owner_page
    with tenant_context(cast.tenant_a):
        shared = SavedList.objects.get(name="大家的")
    button = f"delete-saved-{shared.pk}"
    assert button in owner_page and button not in desk_page
    assert front_desk_a.post(f"/clients/saved-lists/{mine.pk}/delete/").status_code == 404
    assert owner_a.post(f"/clients/saved-lists/{mine.pk}/delete/").status_code == 302


def test_custom_fields_are_defined_validated_saved_and_shown(cast, owner_a, front_desk_a):
    assert front_desk_a.get("/clients/settings/").status_code == 403
    owner_a.post("/clients/settings/", {"form": "section", "name": "生活习惯", "order": 1})
    with tenant_context(cast.tenant_a):
        section = CustomFieldSection.objects.get(name="生活习惯")
    bad = owner_a.post(
        "/clients/settings/fields/new/",
        {"section": section.pk, "label": "运动", "kind": "choice", "choices": "每周", "order": 0},
    )
    assert bad.status_code == 400 and "choices" in bad.context["form"].errors
    for values in (
        {"label": "吸烟", "kind": "boolean", "required": "on"},
        {"label": "运动", "kind": "multi_choice", "choices": "跑步\n瑜伽\n游泳"},
        {"label": "睡眠时长", "kind": "number"},
        {"label": "上次体检", "kind": "date"},
    ):
        response = owner_a.post(
            "/clients/settings/fields/new/",
            {"section": section.pk, "order": 0, "active": "on", **values},
        )
        assert response.status_code == 302, response.context["form"].errors
    with tenant_context(cast.tenant_a):
        keys = {f.label: f.key for f in section.fields.all()}
    form = {**FULL_FORM, "mobile": "13711112222"}
    missing = owner_a.post("/clients/new/", form)
    assert missing.status_code == 400 and f"cf_{keys['吸烟']}" in missing.context["form"].errors
    response = owner_a.post(
        "/clients/new/",
        {
            **form,
            f"cf_{keys['吸烟']}": "no",
            f"cf_{keys['运动']}": ["瑜伽", "跑步"],
            f"cf_{keys['睡眠时长']}": "7.5",
            f"cf_{keys['上次体检']}": "2026-02-01",
        },
    )
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        client = Client.objects.get(mobile="+8613711112222")
    assert client.custom == {
        keys["吸烟"]: False,
        keys["运动"]: ["跑步", "瑜伽"],
        keys["睡眠时长"]: "7.5",
        keys["上次体检"]: "2026-02-01",
    }
    tab = owner_a.get(f"/clients/{client.pk}/custom/").content.decode()
    assert "生活习惯" in tab and "跑步、瑜伽" in tab and "7.5" in tab


def _edit_form(client, response):
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif name not in ("photo_upload", "remove_photo"):
            data[name] = getattr(value, "pk", value)
    return data


def test_a_concurrent_edit_gets_the_conflict_page_and_nothing_is_overwritten(
    cast, owner_a, front_desk_a
):
    client = ClientFactory(tenant=cast.tenant_a, name="赵六", occupation="教师", address="北京")
    mine = _edit_form(client, owner_a.get(f"/clients/{client.pk}/edit/"))
    theirs = _edit_form(client, front_desk_a.get(f"/clients/{client.pk}/edit/"))
    # The front desk saves first: a new address.
    assert (
        front_desk_a.post(f"/clients/{client.pk}/edit/", {**theirs, "address": "上海"}).status_code
        == 302
    )
    # The owner, still on the old page, changes the occupation.
    response = owner_a.post(f"/clients/{client.pk}/edit/", {**mine, "occupation": "医生"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this file" in page
    rows = {c.name: c for c in response.context["changes"]}
    assert (rows["address"].opened, rows["address"].saved, rows["address"].yours) == (
        "北京",
        "上海",
        False,
    )
    assert (rows["occupation"].saved, rows["occupation"].mine) == ("教师", "医生")
    with tenant_context(cast.tenant_a):
        saved = Client.objects.get(pk=client.pk)
        assert (saved.address, saved.occupation) == ("上海", "教师")
    # The form handed back holds both changes at the new version; saving it keeps both.
    again = _edit_form(client, response)
    assert again["address"] == "上海" and again["occupation"] == "医生"
    assert owner_a.post(f"/clients/{client.pk}/edit/", again).status_code == 302
    with tenant_context(cast.tenant_a):
        saved = Client.objects.get(pk=client.pk)
        assert (saved.address, saved.occupation, saved.version) == ("上海", "医生", 3)


@pytest.mark.clock(datetime(2026, 2, 24, 20, 0, tzinfo=UTC))
def test_birthdays_this_week_and_month(cast, owner_a, front_desk_a):
    # Already Wednesday 25 February 2026 in Shanghai: the week runs 23 February – 1 March;
    # 2026 is no leap year, so a 29 February birthday is celebrated on the 28th.
    ClientFactory(tenant=cast.tenant_a, name="周一", date_of_birth=date(1990, 2, 23))
    ClientFactory(tenant=cast.tenant_a, name="闰日", date_of_birth=date(1996, 2, 29))
    ClientFactory(tenant=cast.tenant_a, name="月初", date_of_birth=date(1985, 2, 2))
    ClientFactory(tenant=cast.tenant_a, name="下月", date_of_birth=date(1985, 3, 1))
    ClientFactory(tenant=cast.tenant_a, name="下周", date_of_birth=date(1985, 3, 2))
    week = front_desk_a.get("/clients/birthdays/")
    assert [(w, age, c.name) for w, age, c in week.context["rows"]] == [
        (date(2026, 2, 23), 36, "周一"),
        (date(2026, 2, 28), 30, "闰日"),
        (date(2026, 3, 1), 41, "下月"),
    ]
    month = owner_a.get("/clients/birthdays/?period=month")
    assert [c.name for _w, _a, c in month.context["rows"]] == ["月初", "周一", "闰日"]


def _jpeg_with_exif() -> io.BytesIO:
    image = Image.new("RGB", (1600, 1200), "pink")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = "face.jpg"
    return buffer


def test_a_photo_is_stored_privately_per_tenant_without_exif(
    cast, owner_a, owner_b, storage, tmp_path
):
    response = owner_a.post("/clients/new/", {**FULL_FORM, "photo_upload": _jpeg_with_exif()})
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        client = Client.objects.get(name="张三")
    assert client.photo.name.startswith(f"tenants/{cast.tenant_a.schema_name}/clients/photos/")
    stored = Image.open(tmp_path / client.photo.name)
    assert max(stored.size) == 1024 and "SecretCam" not in str(dict(stored.getexif()))
    assert owner_a.get(f"/clients/{client.pk}/photo/").status_code == 200
    assert owner_b.get(f"/clients/{client.pk}/photo/").status_code == 404
    # Removing it deletes the file.
    form = _edit_form(client, owner_a.get(f"/clients/{client.pk}/edit/"))
    owner_a.post(f"/clients/{client.pk}/edit/", {**form, "remove_photo": "on"})
    assert not (tmp_path / client.photo.name).exists()
    # Both changes are in the trail, by who made them, named without the picture.
    from audit.display import note_text
    from audit.models import AuditEntry

    with tenant_context(cast.tenant_a):
        entries = AuditEntry.objects.filter(client_id=client.pk, fields=["photo"]).order_by("id")
        assert [note_text(e.note) for e in entries] == ["photo added", "photo removed"]
        assert all("owner@alpha.test" in e.actor_label and not e.changes for e in entries)


def test_client_file_settings_refuse_bad_thresholds_beside_the_field(cast, owner_a):
    response = owner_a.post(
        "/clients/settings/",
        {
            "form": "rules",
            "file_prefix": "GL-",
            "phone_region": "XX",
            "returning_min_visits": 5,
            "vip_min_visits": 3,
            "vip_min_spend": "5000",
            "dormant_after_months": 6,
        },
    )
    assert response.status_code == 400
    assert set(response.context["rules_form"].errors) == {
        "file_prefix",
        "phone_region",
        "vip_min_visits",
    }
    with tenant_context(cast.tenant_a):
        assert client_settings().file_prefix == "C"
    connection.set_schema_to_public()


@pytest.mark.clock(datetime(2026, 5, 12, 10, 0, tzinfo=UTC))
@pytest.mark.parametrize("path", ["/clients/settings/", "/clients/birthdays/"])
def test_tenant_b_sees_nothing_of_tenant_as_tags_fields_or_birthdays(cast, owner_a, owner_b, path):
    # given: a tag, a section and a client whose birthday is today, all in tenant A
    with tenant_context(cast.tenant_a):
        Tag.objects.create(name="阿尔法专属")
        CustomFieldSection.objects.create(name="阿尔法问卷")
    ClientFactory(tenant=cast.tenant_a, name="阿尔法客户", date_of_birth=date(1990, 5, 12))
    # then: tenant A's own page shows them, tenant B's does not
    assert "阿尔法" in owner_a.get(path).content.decode()
    assert "阿尔法" not in owner_b.get(path).content.decode()
