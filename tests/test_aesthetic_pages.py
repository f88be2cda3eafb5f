"""The aesthetic pages: the skin profile form, the treatment record with its face map and
products, the visit-record and print pages, photos and their comparison, the profile tabs;
roles, tenants without the vertical, and cross-tenant ids."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from tests.conftest import staff_member
from tests.factories import ClientFactory, VisitFactory
from tests.test_filestore import png_bytes

pytestmark = pytest.mark.django_db

CLOCK = dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 20)


def a_client(cast, **values):
    with tenant_context(cast.tenant_a):
        return ClientFactory(**values)


def record_post(**values) -> dict:
    data = {
        "performed_on": "2026-05-20",
        "procedure": "肉毒素除皱",
        "areas": ["forehead", "glabella"],
        "device": "",
        "device_settings": "",
        "points": "",
        "aftercare": "四小时内不按揉",
        "efficacy": "",
        "satisfaction": "5",
        "notes": "",
        "status": "done",
        "products-TOTAL_FORMS": "3",
        "products-INITIAL_FORMS": "0",
        "products-MIN_NUM_FORMS": "0",
        "products-MAX_NUM_FORMS": "20",
    }
    data.update(values)
    return data


def make_record(cast, client, **values):
    from verticals.aesthetic import services

    with tenant_context(cast.tenant_a):
        return services.treatment_record_save(
            client=client,
            actor=staff_member(cast.tenant_a, cast.practitioner_a),
            values={"performed_on": TODAY, "procedure": "水光针补水", "status": "done", **values},
            points=values.pop("points", None),
        )


def add_photo(cast, client, taken_on, *, area="cheeks", stage="before", color=(200, 30, 30)):
    from verticals.aesthetic import services

    with tenant_context(cast.tenant_a):
        return services.photo_add(
            client=client,
            actor=staff_member(cast.tenant_a, cast.practitioner_a),
            upload=SimpleUploadedFile("p.png", png_bytes(color=color), "image/png"),
            values={"area": area, "stage": stage, "taken_on": taken_on},
        )


def errors_of(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}_errors">(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


# ---------- skin profile ----------


@pytest.mark.clock(CLOCK)
def test_the_skin_profile_form_saves_a_version_shown_on_the_skin_tab(cast, practitioner_a):
    client = a_client(cast)
    form = practitioner_a.get(f"/aesthetic/client/{client.pk}/skin/")
    assert form.status_code == 200 and 'name="fitzpatrick"' in form.content.decode()
    saved = practitioner_a.post(
        f"/aesthetic/client/{client.pk}/skin/",
        {
            "skin_type": "sensitive",
            "fitzpatrick": "2",
            "concerns": ["redness", "dehydration"],
            "ingredient_allergies": "水杨酸",
            "preferences": "无香型产品",
        },
    )
    assert saved.status_code == 302
    tab = practitioner_a.get(f"/clients/{client.pk}/aesthetic_skin/").content.decode()
    assert "水杨酸" in tab and "无香型产品" in tab and ">II<" in tab


def test_a_fitzpatrick_type_out_of_range_is_refused_next_to_the_field(cast, practitioner_a):
    client = a_client(cast)
    page = practitioner_a.post(
        f"/aesthetic/client/{client.pk}/skin/", {"skin_type": "dry", "fitzpatrick": "7"}
    )
    assert page.status_code == 400
    assert "I to VI" in errors_of(page.content.decode(), "id_fitzpatrick")


def test_the_allergy_alert_shows_an_ingredient_allergy_on_the_treatment_form(cast, practitioner_a):
    client = a_client(cast)
    practitioner_a.post(
        f"/aesthetic/client/{client.pk}/skin/",
        {"skin_type": "sensitive", "ingredient_allergies": "薄荷醇"},
    )
    page = practitioner_a.get(f"/aesthetic/client/{client.pk}/record/new/").content.decode()
    alert = re.search(r'<div class="alert danger" role="alert">(.*?)</div>', page, re.S)
    assert alert is not None and "薄荷醇" in alert.group(1)


# ---------- treatment records and the face map ----------


@pytest.mark.clock(CLOCK)
def test_face_map_points_round_trip_through_the_form_and_show_read_only(cast, practitioner_a):
    client = a_client(cast)
    points = [
        {"view": "front", "x": 0.5, "y": 0.25, "amount": "4", "unit": "U", "label": "额肌"},
        {"view": "profile", "x": 0.8, "y": 0.4, "amount": "2", "unit": "U", "label": "鱼尾纹"},
    ]
    saved = practitioner_a.post(
        f"/aesthetic/client/{client.pk}/record/new/",
        record_post(
            points=json.dumps(points),
            **{
                "products-0-name": "A 型肉毒毒素",
                "products-0-batch_number": "BTX-26J07",
                "products-0-expires_on": "2027-01-31",
                "products-0-dose": "6",
                "products-0-unit": "U",
            },
        ),
    )
    assert saved.status_code == 302
    detail = practitioner_a.get(saved["Location"]).content.decode()
    # the front point at (0.5, 0.25) of the 200×260 drawing
    assert 'cx="100.0" cy="65.0"' in detail and "鱼尾纹" in detail and "BTX-26J07" in detail
    edit = practitioner_a.get(saved["Location"] + "edit/").content.decode()
    textarea = re.search(r"<textarea[^>]*data-facemap-input[^>]*>(.*?)</textarea>", edit, re.S)
    import html

    assert [
        (p["view"], p["x"], p["y"], p["amount"], p["label"])
        for p in json.loads(html.unescape(textarea.group(1)))
    ] == [("front", 0.5, 0.25, "4.00", "额肌"), ("profile", 0.8, 0.4, "2.00", "鱼尾纹")]
    assert "aesthetic/facemap.js" in edit and "<script>" not in edit and "style=" not in edit


@pytest.mark.clock(CLOCK)
def test_a_point_outside_the_drawing_is_refused_next_to_the_face_map(cast, practitioner_a):
    from verticals.aesthetic.models import TreatmentRecord

    client = a_client(cast)
    points = [{"view": "front", "x": 1.4, "y": 0.2, "amount": "2", "unit": "U"}]
    page = practitioner_a.post(
        f"/aesthetic/client/{client.pk}/record/new/", record_post(points=json.dumps(points))
    )
    assert page.status_code == 400
    assert "outside the drawing" in errors_of(page.content.decode(), "id_points")
    with tenant_context(cast.tenant_a):
        assert not TreatmentRecord.objects.filter(client=client).exists()


@pytest.mark.clock(CLOCK)
def test_an_expired_product_is_refused_next_to_its_expiry_date(cast, practitioner_a):
    client = a_client(cast)
    page = practitioner_a.post(
        f"/aesthetic/client/{client.pk}/record/new/",
        record_post(
            **{
                "products-1-name": "玻尿酸",
                "products-1-batch_number": "HA-118",
                "products-1-expires_on": "2026-04-30",
            }
        ),
    )
    assert page.status_code == 400
    assert "expired on 2026-04-30" in errors_of(page.content.decode(), "id_products-1-expires_on")


@pytest.mark.clock(CLOCK)
def test_the_visit_record_page_writes_the_visits_treatment_record(cast, practitioner_a):
    from verticals.aesthetic.models import TreatmentRecord

    with tenant_context(cast.tenant_a):
        visit = VisitFactory(visited_on=TODAY, treatment_items=["光子嫩肤"], satisfaction=4)
    page = practitioner_a.get(f"/aesthetic/visit/{visit.pk}/").content.decode()
    assert 'value="光子嫩肤"' in page
    saved = practitioner_a.post(
        f"/aesthetic/visit/{visit.pk}/",
        record_post(procedure="光子嫩肤 IPL", device="M22", device_settings="560 nm 14 J"),
    )
    assert saved.status_code == 302
    again = practitioner_a.post(f"/aesthetic/visit/{visit.pk}/", record_post(procedure="光子嫩肤"))
    assert again.status_code == 302
    with tenant_context(cast.tenant_a):
        records = list(TreatmentRecord.objects.filter(visit=visit))
    assert [r.procedure for r in records] == ["光子嫩肤"]  # one record per visit, edited


@pytest.mark.clock(CLOCK)
def test_the_print_page_shows_the_record_and_its_face_map(cast, practitioner_a):
    client = a_client(cast, name="赵敏")
    record = make_record(
        cast,
        client,
        efficacy="抬头纹明显减轻",
        points=[{"view": "front", "x": 0.25, "y": 0.5, "amount": "3", "unit": "U"}],
    )
    page = practitioner_a.get(f"/aesthetic/client/{client.pk}/print/?record={record.pk}")
    body = page.content.decode()
    assert page.status_code == 200
    assert "赵敏" in body and "抬头纹明显减轻" in body and 'cx="50.0" cy="130.0"' in body
    assert (
        practitioner_a.get(f"/aesthetic/client/{client.pk}/print/?record=999999").status_code == 404
    )


# ---------- photos ----------


@pytest.mark.clock(CLOCK)
def test_a_renamed_non_image_upload_is_refused_next_to_the_file(cast, storage, practitioner_a):
    client = a_client(cast)
    page = practitioner_a.post(
        f"/aesthetic/client/{client.pk}/photos/new/",
        {
            "file": SimpleUploadedFile("face.jpg", b"#!/bin/sh\necho hi\n", "image/jpeg"),
            "area": "cheeks",
            "stage": "before",
            "taken_on": "2026-01-05",
        },
    )
    assert page.status_code == 400
    assert "JPEG, PNG or WebP" in errors_of(page.content.decode(), "id_file")


@pytest.mark.clock(CLOCK)
def test_the_comparison_shows_any_two_dates_of_an_area_side_by_side_and_as_a_slider(
    cast, storage, practitioner_a
):
    client = a_client(cast)
    first = add_photo(cast, client, dt.date(2026, 1, 5))
    middle = add_photo(cast, client, dt.date(2026, 2, 5), stage="follow_up")
    last = add_photo(cast, client, dt.date(2026, 3, 5), stage="after")
    add_photo(cast, client, dt.date(2026, 3, 6), area="forehead")
    url = f"/aesthetic/client/{client.pk}/photos/compare/"
    default = practitioner_a.get(url + "?area=cheeks").content.decode()
    assert first.image.url in default and last.image.url in default
    chosen = practitioner_a.get(url + f"?area=cheeks&a={middle.pk}&b={last.pk}")
    body = chosen.content.decode()
    assert chosen.status_code == 200
    assert middle.image.url in body and last.image.url in body and first.image.url not in body
    assert "data-compare-range" in body and "aesthetic/compare.js" in body
    assert "style=" not in body and "<script>" not in body
    # a photo of another area is not one of this area's dates
    assert practitioner_a.get(url + f"?area=forehead&a={middle.pk}").status_code == 404
    tab = practitioner_a.get(f"/clients/{client.pk}/aesthetic_photos/").content.decode()
    assert tab.count('class="file-thumb"') == 4


# ---------- roles, tenants and ids ----------

PAGES = (
    "/aesthetic/client/{c}/skin/",
    "/aesthetic/client/{c}/record/new/",
    "/aesthetic/client/{c}/print/",
    "/aesthetic/client/{c}/photos/new/",
    "/aesthetic/client/{c}/photos/compare/",
    "/aesthetic/record/{r}/",
    "/aesthetic/record/{r}/edit/",
)


@pytest.mark.clock(CLOCK)
def test_front_desk_sees_neither_the_tabs_nor_the_pages(cast, front_desk_a):
    client = a_client(cast)
    record = make_record(cast, client)
    profile = front_desk_a.get(f"/clients/{client.pk}/").content.decode()
    assert "aesthetic_skin" not in profile and "aesthetic_photos" not in profile
    for tab in ("aesthetic_skin", "aesthetic_treatments", "aesthetic_photos"):
        assert front_desk_a.get(f"/clients/{client.pk}/{tab}/").status_code == 403
    for page in PAGES:
        assert front_desk_a.get(page.format(c=client.pk, r=record.pk)).status_code == 403


@pytest.mark.clock(CLOCK)
def test_the_practitioner_sees_the_three_tabs_on_the_profile(cast, practitioner_a):
    client = a_client(cast)
    make_record(cast, client, areas=["cheeks"])
    profile = practitioner_a.get(f"/clients/{client.pk}/").content.decode()
    for tab in ("aesthetic_skin", "aesthetic_treatments", "aesthetic_photos"):
        assert f"/clients/{client.pk}/{tab}/" in profile
    treatments = practitioner_a.get(f"/clients/{client.pk}/aesthetic_treatments/")
    assert treatments.status_code == 200 and "水光针补水" in treatments.content.decode()
    timeline = practitioner_a.get(f"/clients/{client.pk}/timeline/").content.decode()
    assert "水光针补水" in timeline


def _other_tenant_pages(client_pk):
    return [p.format(c=client_pk, r=1) for p in PAGES[:5]] + ["/aesthetic/visit/1/"]


def test_dental_and_optical_tenants_get_404_until_they_turn_aesthetic_on(
    cast, optical, owner_b, owner_c
):
    from verticals.aesthetic.models import SkinProfile

    for tenant, browser in ((cast.tenant_b, owner_b), (optical.tenant, owner_c)):
        with tenant_context(tenant):
            client = ClientFactory()
        for page in _other_tenant_pages(client.pk):
            assert browser.get(page).status_code == 404, page
        assert browser.get(f"/clients/{client.pk}/aesthetic_skin/").status_code in (403, 404)
        tenant.extra_verticals = ["aesthetic"]
        tenant.save(update_fields=["extra_verticals"])
        assert browser.get(f"/aesthetic/client/{client.pk}/skin/").status_code == 200
        assert browser.get(f"/clients/{client.pk}/aesthetic_skin/").status_code == 200
        saved = browser.post(
            f"/aesthetic/client/{client.pk}/skin/", {"skin_type": "dry", "fitzpatrick": "4"}
        )
        assert saved.status_code == 302
        # turned off again: the pages and tab go, the records stay
        tenant.extra_verticals = []
        tenant.save(update_fields=["extra_verticals"])
        assert browser.get(f"/aesthetic/client/{client.pk}/skin/").status_code == 404
        profile = browser.get(f"/clients/{client.pk}/").content.decode()
        assert "aesthetic_skin" not in profile
        with tenant_context(tenant):
            assert SkinProfile.objects.filter(client_id=client.pk, fitzpatrick=4).exists()


@pytest.mark.clock(CLOCK)
def test_a_record_of_tenant_a_is_404_on_tenant_bs_host_through_the_same_id(cast, owner_b, twins):
    from verticals.aesthetic import services
    from verticals.aesthetic.models import TreatmentRecord

    def make(tenant):
        procedure = "热玛吉" if tenant.pk == cast.tenant_a.pk else "冷光美白"
        return services.treatment_record_save(
            client=ClientFactory(),
            actor=None,
            values={"performed_on": TODAY, "procedure": procedure},
        )

    mine, theirs = twins(TreatmentRecord, make)
    cast.tenant_b.extra_verticals = ["aesthetic"]
    cast.tenant_b.save(update_fields=["extra_verticals"])
    page = owner_b.get(f"/aesthetic/record/{mine.pk}/").content.decode()
    assert "冷光美白" in page and "热玛吉" not in page
    with tenant_context(cast.tenant_b):
        TreatmentRecord.objects.filter(pk=theirs.pk).delete()
    assert owner_b.get(f"/aesthetic/record/{mine.pk}/").status_code == 404
    assert owner_b.get(f"/aesthetic/client/{mine.client_id}/print/").status_code in (404,)


@pytest.mark.clock(CLOCK)
def test_the_tabs_run_a_bounded_number_of_queries(
    cast, storage, practitioner_a, django_assert_max_num_queries
):
    client = a_client(cast)
    for n in range(6):
        make_record(
            cast,
            client,
            areas=["cheeks"],
            points=[{"view": "front", "x": 0.1 * n, "y": 0.5, "amount": "1", "unit": "ml"}],
        )
        add_photo(cast, client, dt.date(2026, 1, 1 + n))
    for tab in ("aesthetic_skin", "aesthetic_treatments", "aesthetic_photos", "timeline"):
        practitioner_a.get(f"/clients/{client.pk}/{tab}/")  # warm the session
        with django_assert_max_num_queries(30):
            assert practitioner_a.get(f"/clients/{client.pk}/{tab}/").status_code == 200


@pytest.mark.clock(CLOCK)
def test_a_writer_deletes_a_photo_and_its_file_goes_with_it(cast, storage, practitioner_a):
    from filestore.models import StoredFile

    from verticals.aesthetic.models import TreatmentPhoto

    client = a_client(cast)
    photo = add_photo(cast, client, dt.date(2026, 1, 5))
    tab = practitioner_a.get(f"/clients/{client.pk}/aesthetic_photos/").content.decode()
    assert f"/aesthetic/photo/{photo.pk}/delete/" in tab
    deleted = practitioner_a.post(f"/aesthetic/photo/{photo.pk}/delete/")
    assert deleted.status_code == 302
    with tenant_context(cast.tenant_a):
        assert not TreatmentPhoto.objects.filter(pk=photo.pk).exists()
        assert not StoredFile.objects.filter(pk=photo.image_id).exists()
    assert practitioner_a.post(f"/aesthetic/photo/{photo.pk}/delete/").status_code == 404


def test_the_printable_record_of_a_client_without_records_says_so_on_the_tab(cast, practitioner_a):
    """The profile lists the "Treatment record" document for every client: one with
    nothing to print is sent to the tab with a note, not to a 404."""
    client = a_client(cast)
    answer = practitioner_a.get(f"/aesthetic/client/{client.pk}/print/")
    assert answer.status_code == 302
    assert answer["Location"] == f"/clients/{client.pk}/aesthetic_treatments/"
    assert "No treatment records yet." in practitioner_a.get(answer["Location"]).content.decode()
    # a record that is not this client's is still 404
    assert (
        practitioner_a.get(f"/aesthetic/client/{client.pk}/print/?record=999999").status_code == 404
    )


@pytest.mark.clock(CLOCK)
@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_an_amount_that_is_not_a_number_is_refused_not_a_500(cast, practitioner_a, amount):
    """The face map posts its points as JSON: a non-finite amount is refused beside it."""
    from verticals.aesthetic.models import TreatmentRecord

    client = a_client(cast)
    points = [{"view": "front", "x": 0.5, "y": 0.2, "amount": amount, "unit": "U"}]
    page = practitioner_a.post(
        f"/aesthetic/client/{client.pk}/record/new/", record_post(points=json.dumps(points))
    )
    assert page.status_code == 400
    assert "amount injected at point 1" in errors_of(page.content.decode(), "id_points")
    with tenant_context(cast.tenant_a):
        assert not TreatmentRecord.objects.filter(client=client).exists()
