"""Aesthetic records through their services: the versioned skin profile and its
allergies, treatment records with products and face-map points, photos, export and
erasure, and the demo records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from tests.conftest import staff_member
from tests.factories import ClientFactory, VisitFactory
from tests.test_filestore import png_bytes

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 20)


def doctor(cast):
    return staff_member(cast.tenant_a, cast.practitioner_a)


def skin(client, actor, **values):
    from verticals.aesthetic import services

    return services.skin_profile_save(
        client=client, actor=actor, values={"skin_type": "sensitive", **values}
    )


def record_values(**values):
    return {"performed_on": TODAY, "procedure": "肉毒素除皱", "status": "done", **values}


def point(**values):
    return {"view": "front", "x": 0.42, "y": 0.31, "amount": "4", "unit": "U", **values}


@pytest.mark.clock(dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC))
def test_the_skin_profile_is_versioned_and_audited(cast):
    from audit.models import AuditEntry
    from verticals.aesthetic.models import SkinProfile

    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        first = skin(client, doctor(cast), fitzpatrick=2, concerns=["redness", "acne"])
        second = skin(client, doctor(cast), fitzpatrick=3, ingredient_allergies="水杨酸")
        versions = list(SkinProfile.objects.filter(client=client))
        entries = list(AuditEntry.objects.filter(object_type="aesthetic_skin").order_by("id"))
    assert [v.pk for v in versions] == [second.pk, first.pk]
    assert first.concerns == ["acne", "redness"]  # in the list's order
    assert [e.action for e in entries][-2:] == ["create", "update"]
    assert "ingredient_allergies" in entries[-1].fields


@pytest.mark.parametrize("value", [0, 7, "VII", -1])
def test_a_fitzpatrick_type_outside_i_to_vi_is_refused_next_to_the_field(cast, value):
    from verticals.aesthetic.models import SkinProfile

    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        with pytest.raises(ValidationError) as refused:
            skin(client, doctor(cast), fitzpatrick=value)
        assert not SkinProfile.objects.filter(client=client).exists()
    assert "I to VI" in refused.value.message_dict["fitzpatrick"][0]


def test_allergies_come_from_each_clients_newest_version_in_one_query(
    cast, django_assert_num_queries
):
    from verticals.aesthetic.services import allergies_for

    with tenant_context(cast.tenant_a):
        a, b, c = ClientFactory(), ClientFactory(), ClientFactory()
        skin(a, doctor(cast), ingredient_allergies="羊毛脂")
        skin(a, doctor(cast), ingredient_allergies="水杨酸", product_allergies="果酸精华")
        skin(b, doctor(cast))
        with django_assert_num_queries(1):
            found = allergies_for([a, b, c])
    assert found == {a.pk: ["果酸精华", "水杨酸"]}


def test_the_vertical_declares_the_allergies_the_alert_shows(cast):
    from verticals import registry

    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        skin(client, doctor(cast), ingredient_allergies="薄荷醇")
        assert registry.get("aesthetic").allergies([client]) == {client.pk: ["薄荷醇"]}


@pytest.mark.clock(dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC))
def test_face_map_points_round_trip_with_their_values(cast):
    from verticals.aesthetic import services

    points = [
        point(label="额肌"),
        point(view="profile", x=0, y=1, amount="0.05", unit="ml", label="鱼尾纹"),
    ]
    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        record = services.treatment_record_save(
            client=client, actor=doctor(cast), values=record_values(), points=points
        )
        again = services.points_data(record)
        # saving it again as read back changes nothing
        services.treatment_record_save(
            client=client,
            actor=doctor(cast),
            values=record_values(),
            points=again,
            record=record,
        )
        stored = services.points_data(record)
    assert stored == [
        {"view": "front", "x": 0.42, "y": 0.31, "amount": "4.00", "unit": "U", "label": "额肌"},
        {"view": "profile", "x": 0.0, "y": 1.0, "amount": "0.05", "unit": "ml", "label": "鱼尾纹"},
    ]


@pytest.mark.parametrize(
    "bad", [point(x=1.2), point(y=-0.01), point(x="left"), point(amount="0"), point(view="back")]
)
@pytest.mark.clock(dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC))
def test_a_point_outside_the_drawing_or_without_a_value_is_refused(cast, bad):
    from verticals.aesthetic import services
    from verticals.aesthetic.models import TreatmentRecord

    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        with pytest.raises(ValidationError) as refused:
            services.treatment_record_save(
                client=client,
                actor=doctor(cast),
                values=record_values(),
                points=[point(), bad],
            )
        assert not TreatmentRecord.objects.filter(client=client).exists()
    assert "oint 2" in refused.value.message_dict["points"][0]


@pytest.mark.clock(dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC))
def test_an_expired_product_is_refused_beside_its_expiry_date(cast):
    from verticals.aesthetic import services
    from verticals.aesthetic.models import TreatmentRecord

    products = [
        {"name": "玻尿酸", "batch_number": "HA1", "expires_on": dt.date(2027, 1, 1)},
        {
            "name": "肉毒素",
            "batch_number": "BTX9",
            "expires_on": dt.date(2026, 5, 19),
            "dose": "20",
            "unit": "U",
        },
    ]
    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        with pytest.raises(ValidationError) as refused:
            services.treatment_record_save(
                client=client, actor=doctor(cast), values=record_values(), products=products
            )
        assert not TreatmentRecord.objects.filter(client=client).exists()
        products[1]["expires_on"] = TODAY  # the last day is still good
        record = services.treatment_record_save(
            client=client, actor=doctor(cast), values=record_values(), products=products
        )
        lines = [(p.name, p.batch_number, p.dose) for p in record.products.all()]
    errors = refused.value.message_dict
    assert list(errors) == ["products-1-expires_on"]
    assert "expired on 2026-05-19" in errors["products-1-expires_on"][0]
    assert [line[:2] for line in lines] == [("玻尿酸", "HA1"), ("肉毒素", "BTX9")]


@pytest.mark.clock(dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC))
def test_a_record_of_another_clients_visit_is_refused(cast):
    from verticals.aesthetic import services

    with tenant_context(cast.tenant_a):
        visit = VisitFactory()
        with pytest.raises(ValidationError) as refused:
            services.treatment_record_save(
                client=ClientFactory(), actor=doctor(cast), values=record_values(), visit=visit
            )
    assert "visit" in refused.value.message_dict


@pytest.mark.clock(dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC))
def test_a_renamed_non_image_photo_is_refused_and_leaves_no_row(cast, storage):
    from verticals.aesthetic import services
    from verticals.aesthetic.models import TreatmentPhoto

    upload = SimpleUploadedFile("before.jpg", b"MZ\x90\x00 not a picture", "image/jpeg")
    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        with pytest.raises(ValidationError) as refused:
            services.photo_add(
                client=client,
                actor=doctor(cast),
                upload=upload,
                values={"area": "cheeks", "stage": "before", "taken_on": dt.date(2026, 1, 5)},
            )
        assert not TreatmentPhoto.objects.filter(client=client).exists()
    assert "file" in refused.value.message_dict


@pytest.mark.clock(dt.datetime(2026, 5, 20, 10, tzinfo=dt.UTC))
def test_export_and_erasure_reach_every_aesthetic_record_and_photo(cast, storage):
    from filestore.models import StoredFile

    from clients import related
    from verticals.aesthetic import services
    from verticals.aesthetic.models import InjectionPoint, SkinProfile, TreatmentRecord

    handler = next(h for h in related.handlers() if h.key == "aesthetic")
    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        actor = doctor(cast)
        skin(client, actor, ingredient_allergies="水杨酸", preferences="无香型")
        record = services.treatment_record_save(
            client=client,
            actor=actor,
            values=record_values(efficacy="抬头纹明显减轻", aftercare="四小时内不按揉"),
            products=[{"name": "肉毒素", "batch_number": "BTX9", "expires_on": TODAY}],
            points=[point(label="额肌")],
        )
        photo = services.photo_add(
            client=client,
            actor=actor,
            upload=SimpleUploadedFile("a.png", png_bytes(), "image/png"),
            values={"area": "forehead", "stage": "before", "taken_on": TODAY, "note": "术前"},
            record=record,
        )
        exported = handler.export(client, user=actor)
        front_desk = handler.export(client, user=staff_member(cast.tenant_a, cast.front_desk_a))
        handler.erase(client)
        profile = SkinProfile.objects.get(client=client)
        record.refresh_from_db()
        point_row = InjectionPoint.objects.get(record=record)
        image = StoredFile.objects.get(pk=photo.image_id)
        kept = TreatmentRecord.objects.filter(client=client).count()
    assert exported["skin_profiles"][0]["ingredient_allergies"] == "水杨酸"
    row = exported["treatment_records"][0]
    assert row["efficacy"] == "抬头纹明显减轻"
    assert row["products"][0]["batch_number"] == "BTX9"
    assert row["injection_points"][0]["label"] == "额肌"
    assert exported["photos"][0]["note"] == "术前"
    assert "held_back" in front_desk and "skin_profiles" not in front_desk
    assert profile.ingredient_allergies == "" and profile.preferences == ""
    assert record.efficacy == "" and record.aftercare == ""
    assert point_row.label == "" and kept == 1
    assert image.erased_at is not None and image.path == ""


def test_a_merge_moves_the_records_to_the_kept_file(cast):
    from clients.merge import client_merge
    from verticals.aesthetic.models import SkinProfile

    with tenant_context(cast.tenant_a):
        kept, merged = ClientFactory(), ClientFactory()
        skin(merged, doctor(cast), ingredient_allergies="羊毛脂")
        client_merge(kept=kept, merged=merged, actor=doctor(cast))
        assert SkinProfile.objects.get().client_id == kept.pk


def test_the_demo_seeds_realistic_records_on_a_tenant(cast, storage):
    from accounts.models import User
    from verticals import registry
    from verticals.aesthetic.models import (
        InjectionPoint,
        SkinProfile,
        TreatmentPhoto,
        TreatmentRecord,
    )
    from visits.services import visit_create

    vertical = registry.get("aesthetic")
    with tenant_context(cast.tenant_a):
        clients = [ClientFactory(name=f"演示{n}") for n in range(8)]
        today = dt.date.today()
        for demo in vertical.demo_businesses[0].visits:
            visit_create(
                client=clients[demo.client],
                values={
                    "visited_on": today - dt.timedelta(days=demo.days_ago),
                    "treatment_items": list(demo.items),
                    "satisfaction": demo.satisfaction,
                    "efficacy": demo.efficacy,
                },
                created_by=None,
            )
        staff = {u.email: u for u in User.objects.filter(is_active=True)}
        vertical.seed_demo_records(cast.tenant_a, clients, staff, today)
        vertical.seed_demo_records(cast.tenant_a, clients, staff, today)  # skipped
        records = TreatmentRecord.objects.count()
        points = InjectionPoint.objects.count()
        photos = TreatmentPhoto.objects.count()
        allergic = SkinProfile.objects.exclude(ingredient_allergies="").count()
    assert records == 6 and points >= 10 and photos >= 4 and allergic >= 2


CONSENT_NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # Friday 10:00 in Shanghai


@pytest.mark.clock(CONSENT_NOW)
def test_a_treatment_needing_a_consent_is_not_recorded_as_done_until_it_is_signed(cast, storage):
    import zoneinfo

    from scheduling.models import Appointment
    from scheduling.services import appointment_book
    from tests import schedule
    from verticals.aesthetic import services
    from verticals.aesthetic.consents import demo as consent_demo
    from verticals.aesthetic.consents import services as consents

    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    today = dt.date(2026, 11, 20)
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        schedule.open_business("08:00-20:00")
        schedule.working(doctor(cast), "09:00-12:00 13:00-18:00")
        botox = schedule.service("肉毒素注射", staff=[doctor(cast)], minutes=30)
        form = consents.consent_form_save(
            actor=owner, values={"name": "肉毒素注射同意书", "services": [botox], "active": True}
        )
        version = consents.consent_version_save(
            form=form, actor=owner, text_en="I agree.", text_zh="本人同意。", publish=True
        )
        client = ClientFactory(name="林小雨")
        appointment = appointment_book(
            client=client,
            services=[botox],
            starts_at=dt.datetime(2026, 11, 20, 10, 30, tzinfo=shanghai),
            staff=doctor(cast),
        )[0]
        visit = VisitFactory(client=client, visited_on=today)
        Appointment.objects.filter(pk=appointment.pk).update(visit=visit)
        values = {"performed_on": today, "procedure": "肉毒素除皱"}

        with pytest.raises(ValidationError) as refused:
            services.treatment_record_save(
                client=client, actor=doctor(cast), visit=visit, values={**values, "status": "done"}
            )
        draft = services.treatment_record_save(
            client=client, actor=doctor(cast), visit=visit, values={**values, "status": "draft"}
        )
        consents.consent_sign(
            client=client,
            version=version,
            actor=doctor(cast),
            signer_name="林小雨",
            signer_role="client",
            language="zh-hans",
            signature_png=consent_demo.signature_png(),
        )
        done = services.treatment_record_save(
            client=client,
            actor=doctor(cast),
            record=draft,
            values={**values, "status": "done"},
        )
    assert "肉毒素注射同意书" in refused.value.messages[0]
    assert done.pk == draft.pk and done.status == "done"


def test_imported_skin_columns_become_skin_profile_versions(cast):
    from verticals import registry
    from verticals.aesthetic.models import SkinProfile

    columns = {c.key: c for c in registry.get("aesthetic").import_columns}
    assert "肤质" in columns["skin_type"].aliases
    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        actor = doctor(cast)
        columns["skin_type"].apply(client, "混合性", actor)
        columns["fitzpatrick"].apply(client, "III", actor)
        columns["ingredient_allergies"].apply(client, "水杨酸", actor)
        with pytest.raises(ValidationError) as bad_type:
            columns["skin_type"].apply(client, "彩虹色", actor)
        with pytest.raises(ValidationError) as bad_fitzpatrick:
            columns["fitzpatrick"].apply(client, "VII", actor)
        current = SkinProfile.objects.filter(client=client).first()
        versions = SkinProfile.objects.filter(client=client).count()
    assert (current.skin_type, current.fitzpatrick, current.ingredient_allergies) == (
        "combination",
        3,
        "水杨酸",
    )
    assert versions == 3
    assert "彩虹色" in bad_type.value.messages[0]
    assert "I to VI" in bad_fitzpatrick.value.messages[0]


@pytest.mark.clock(dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.UTC))
def test_seed_demo_gives_the_glow_clinic_its_aesthetic_records_once(cast, db, storage):
    import io

    from django.core.management import call_command

    from tenants.models import Domain
    from verticals.aesthetic.models import InjectionPoint, TreatmentPhoto, TreatmentRecord

    call_command("seed_demo", stdout=io.StringIO())
    glow = Domain.objects.get(domain="glow.localhost").tenant
    with tenant_context(glow):
        first = (TreatmentRecord.objects.count(), TreatmentPhoto.objects.count())
        on_map = InjectionPoint.objects.count()
        procedures = set(TreatmentRecord.objects.values_list("procedure", flat=True))
    call_command("seed_demo", stdout=io.StringIO())
    with tenant_context(glow):
        again = (TreatmentRecord.objects.count(), TreatmentPhoto.objects.count())
    assert first[0] >= 5 and first[1] >= 4 and on_map >= 10
    assert {"水光针补水", "肉毒素除皱"} <= procedures
    assert again == first
