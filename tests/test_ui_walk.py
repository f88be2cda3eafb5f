"""What a new user tripped over walking the portal: lists joined the Chinese way on English
pages, another trade's examples and demo data, dates in two formats, codes instead of
names in choices."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import translation
from django_tenants.utils import tenant_context

from tests.factories import ClientFactory, VisitFactory
from verticals import registry
from visits.models import Visit


def test_english_pages_join_visit_items_with_commas_and_chinese_ones_with_the_dun_hao(
    cast, owner_a
):
    # given a visit of two items
    client = ClientFactory(tenant=cast.tenant_a, name="张三")
    VisitFactory(
        tenant=cast.tenant_a,
        client=client,
        visited_on=date(2026, 3, 9),
        treatment_items=["Peel", "Facial"],
    )
    # when the owner reads the visits tab in English, then in Chinese
    english = owner_a.get(f"/clients/{client.pk}/visits/").content.decode()
    owner_a.post("/accounts/language/", {"language": "zh-hans", "next": "/"})
    chinese = owner_a.get(f"/clients/{client.pk}/visits/").content.decode()
    # then each page joins them in its own language
    assert "Peel, Facial" in english and "Peel、Facial" not in english
    assert "Peel、Facial" in chinese
    with tenant_context(cast.tenant_a):
        assert Visit.objects.get(client=client).treatment_items == ["Peel", "Facial"]


def test_the_visit_form_gives_examples_from_the_business_s_own_trade(cast, owner_a, owner_b):
    # given an aesthetic clinic (A) and a dental practice (B), each with a client
    a = ClientFactory(tenant=cast.tenant_a, name="张三")
    b = ClientFactory(tenant=cast.tenant_b, name="Sam Smith")
    # when each owner opens a new visit
    aesthetic = owner_a.get(f"/visits/client/{a.pk}/new/").content.decode()
    dental = owner_b.get(f"/visits/client/{b.pk}/new/").content.decode()
    # then the dental form speaks of dentistry and the clinic's of aesthetics
    assert "Scale and polish, Composite filling" in dental
    assert "水光针" not in dental and "IPL" not in dental
    assert "Hydrating injection, IPL photorejuvenation" in aesthetic


def test_every_vertical_declares_visit_examples_and_demo_data_of_its_own_trade():
    # given the registered verticals
    verticals = {v.key: v for v in registry.all_verticals()}
    # then each offers visit examples, and each demo business has clients, tags and a
    # section; the clients' tags are the business's own
    for vertical in verticals.values():
        assert vertical.visit_examples, vertical.key
        for demo in vertical.demo_businesses:
            declared = {tag.name for tag in demo.tags}
            assert demo.clients and demo.tags and demo.sections, demo.name
            assert {t for c in demo.clients for t in c.tags} <= declared, demo.name
            assert len(demo.clients) >= 5, "the demo history needs five clients"
    dental = verticals["dental"].demo_businesses[0]
    assert "敏感肌" not in {tag.name for tag in dental.tags}


def test_the_demo_seed_gives_a_dental_practice_dental_tags_and_sections(cast, db):
    from clients.models import Client, ClientSettings, CustomField, Tag
    from tenants.management.commands.seed_demo import Command

    # given the dental demo business's declaration, seeded into tenant B's schema
    dental = registry.for_business_type("dental").demo_businesses[0]
    with tenant_context(cast.tenant_b):
        command = Command()
        # when the seed makes its clients, tags and sections (twice: it is idempotent)
        command._demo_clients(dental)
        command._demo_tags_and_fields(dental)
        command._demo_tags_and_fields(dental)
        # then the practice has its own tags and fields, none of the aesthetic clinic's
        tags = set(Tag.objects.values_list("name", flat=True))
        assert {"Payment plan", "Nervous patient", "Orthodontic case"} <= tags
        assert "敏感肌" not in tags and "储值卡会员" not in tags
        assert CustomField.objects.filter(label="Grinds teeth at night").count() == 1
        nervous = Client.objects.get(name="Ho Chun Kit 何俊傑")
        assert {t.name for t in nervous.tags.all()} == {"Nervous patient", "Payment plan"}
        assert nervous.flags == ["special_attention"]
        # and numbers typed without +code are read as Hong Kong's, where the practice is
        assert ClientSettings.objects.get().phone_region == "HK"


@pytest.mark.clock("2026-12-02T04:00:00Z")
def test_dates_read_the_same_in_the_top_bar_and_in_tables(cast, owner_a):
    # given a client who last came on a known day
    client = ClientFactory(tenant=cast.tenant_a, name="张三")
    VisitFactory(
        tenant=cast.tenant_a, client=client, visited_on=date(2026, 3, 9), treatment_items=["Peel"]
    )
    # when the owner opens the client list in English
    page = owner_a.get("/clients/").content.decode()
    # then the top bar's today and the table's last visit share one format
    assert "Dec 2, 2026" in page and "Mar 9, 2026" in page
    assert not re.search(r"\b\d{2}/\d{2}/\d{4}\b", page) and "Dec. 2" not in page
    with translation.override("zh-hans"):
        from django.utils.formats import date_format

        assert date_format(date(2026, 3, 9), "SHORT_DATE_FORMAT") == "2026年3月9日"
        assert date_format(date(2026, 3, 9), "DATE_FORMAT") == "2026年3月9日"


def test_time_zones_are_chosen_by_translated_country_and_city_names(cast, db):
    from django.test import Client as HttpClient

    # given a visitor signing up, in English and then in Chinese
    english = HttpClient(HTTP_HOST="localhost").get("/signup/").content.decode()
    chinese_visitor = HttpClient(HTTP_HOST="localhost")
    chinese_visitor.cookies["clinicdesk_language"] = "zh-hans"
    chinese = chinese_visitor.get("/signup/").content.decode()
    # then each zone reads as a place with its offset, searchable, not as a code
    assert re.search(r'<option value="Asia/Shanghai"[^>]*>China — Shanghai \(UTC\+8\)<', english)
    assert '<option value="Asia/Hong_Kong">Hong Kong (UTC+8)<' in english
    assert ">Asia/Shanghai<" not in english and "data-searchable" in english
    assert re.search(r'<option value="Asia/Shanghai"[^>]*>中国 — 上海 \(UTC\+8\)<', chinese)


def test_the_default_phone_region_is_a_country_by_name(cast, owner_a):
    from clients.models import ClientSettings

    # when the owner opens the client file settings
    page = owner_a.get("/clients/settings/").content.decode()
    # then the region is a choice of countries by name, the current one chosen
    assert re.search(r'<option value="CN" selected>China \(\+86\)</option>', page)
    assert '<option value="HK">Hong Kong (+852)</option>' in page
    assert 'name="phone_region" maxlength' not in page
    # and the top bar names the business's zone rather than its code
    assert "China — Shanghai (UTC+8)" in page and "· Asia/Shanghai" not in page
    with tenant_context(cast.tenant_a):
        assert ClientSettings.objects.get().phone_region == "CN"


def test_empty_choices_read_as_a_word_not_dashes(cast, owner_a):
    # when the owner opens a new client's form (gender, source, preferred staff…)
    page = owner_a.get("/clients/new/").content.decode()
    # then no empty choice is a row of dashes
    assert "---------" not in page
    assert '<option value="" selected>— choose —</option>' in page


def test_the_landing_page_promises_only_what_exists(cast, db):
    from django.test import Client as HttpClient

    from tenants import landing

    # given a visitor, in English and in Chinese
    visitor = HttpClient(HTTP_HOST="localhost")
    english = visitor.get("/").content.decode()
    visitor.cookies["clinicdesk_language"] = "zh-hans"
    chinese = visitor.get("/").content.decode()
    # then it names the features the portal has, and none that have not landed
    with translation.override("en"):
        for feature in landing.FEATURES:
            assert str(feature).replace("'", "&#x27;") in english
    for promise in ("calendar", "till", "reminder", "appointment", "SMS", "payment"):
        assert promise not in english.lower().replace("ClinicDesk".lower(), ""), promise
    for promise in ("预约", "收银", "提醒", "短信"):
        assert promise not in chinese, promise


def test_a_zone_chosen_before_zones_had_names_is_kept_by_the_settings_form(cast, owner_a):
    from tenants.models import Tenant

    # given a business on a zone alias the named list leaves out
    Tenant.objects.filter(pk=cast.tenant_a.pk).update(time_zone="Asia/Chongqing")
    # when the owner opens the settings
    page = owner_a.get("/settings/").content.decode()
    # then that zone is still the one chosen, not the first zone of the list
    assert '<option value="Asia/Chongqing" selected>Asia/Chongqing</option>' in page


def test_no_page_of_the_portal_shell_shows_a_raw_zone_code(cast, owner_a):
    # given: tenant A runs on Asia/Shanghai
    # when: the owner opens the dashboard (top bar and the settings card both name the zone)
    page = owner_a.get("/").content.decode()
    # then: the zone reads by its name, never by its tz database code
    assert "China — Shanghai" in page
    assert "Asia/Shanghai" not in page
