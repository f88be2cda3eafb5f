"""The aesthetic vertical (beauty salons and medical aesthetics), declared in one place
(registered by AestheticConfig.ready()).

Its records need no capability of their own: reading them is ``clients.health``, writing
them ``treatment.record``, as for every clinical record. The consent forms
(``verticals.aesthetic.consents``) add their own tabs, documents and checks here."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability
from audit.display import ObjectType
from clients.profile import ProfileTab, TimelineSource
from clients.related import ClientData
from verticals.aesthetic import models as m
from verticals.aesthetic.consents import declarations as consents
from verticals.registry import (
    DemoBusiness,
    DemoClient,
    DemoContact,
    DemoField,
    DemoSection,
    DemoStaff,
    DemoTag,
    DemoVisit,
    Document,
    ImportColumn,
    MenuResource,
    MenuService,
    Vertical,
    VisitRecord,
)


# The client-file functions are imported when called, so that declaring the vertical
# loads no view code.
def _client_file():
    from verticals.aesthetic import client_file

    return client_file


def _skin_tab(request, client):
    return _client_file().skin_tab_context(request, client)


def _treatments_tab(request, client):
    return _client_file().treatments_tab_context(request, client)


def _photos_tab(request, client):
    return _client_file().photos_tab_context(request, client)


def _timeline(client, user, limit):
    return _client_file().timeline_entries(client, user, limit)


def _export(client, *, user):
    return _client_file().aesthetic_export(client, user=user)


def _erase(client):
    _client_file().aesthetic_erase(client)


def _allergies(clients):
    from verticals.aesthetic.services import allergies_for

    return allergies_for(clients)


def _seed(tenant, clients, staff_by_email, today):
    from verticals.aesthetic.demo import seed_demo_records

    seed_demo_records(tenant, clients, staff_by_email, today)
    # After the records: a consent form made first would refuse the demo's treatments of
    # clients who have not signed it.
    consents.seed_demo_consents(tenant, clients, staff_by_email, today)


def _import(name):
    def apply(client, value, actor):
        from verticals.aesthetic import import_columns

        getattr(import_columns, name)(client, value, actor)

    return apply


IMPORT_COLUMNS = (
    ImportColumn(
        "skin_type", _("Skin type"), ("肤质", "皮肤类型", "skin type"), _import("apply_skin_type")
    ),
    ImportColumn(
        "fitzpatrick",
        _("Fitzpatrick type"),
        ("fitzpatrick", "光敏分型", "皮肤分型", "Fitzpatrick分型"),
        _import("apply_fitzpatrick"),
    ),
    ImportColumn(
        "product_allergies",
        _("Product allergies"),
        ("过敏产品", "产品过敏", "product allergies"),
        _import("apply_product_allergies"),
    ),
    ImportColumn(
        "ingredient_allergies",
        _("Ingredient allergies"),
        ("过敏成分", "成分过敏", "ingredient allergies"),
        _import("apply_ingredient_allergies"),
    ),
)


TABS = (
    ProfileTab(
        "aesthetic_skin",
        _("Skin"),
        21,
        Capability.VIEW_HEALTH,
        "aesthetic/tabs/skin.html",
        _skin_tab,
    ),
    ProfileTab(
        "aesthetic_treatments",
        _("Treatments"),
        31,
        Capability.VIEW_HEALTH,
        "aesthetic/tabs/treatments.html",
        _treatments_tab,
    ),
    ProfileTab(
        "aesthetic_photos",
        _("Photos"),
        32,
        Capability.VIEW_HEALTH,
        "aesthetic/tabs/photos.html",
        _photos_tab,
    ),
)

VERTICAL = Vertical(
    key="aesthetic",
    urls="verticals.aesthetic.urls",
    file_purposes=("aesthetic.photo", "aesthetic_consent", "aesthetic_consent_signature"),
    label=_("Beauty and medical aesthetics"),
    business_types=("beauty_salon", "medical_aesthetic"),
    business_type_labels=(_("Beauty salon"), _("Medical aesthetic clinic")),
    visit_examples=(_("Hydrating injection"), _("IPL photorejuvenation")),
    tabs=(*TABS, *consents.TABS),
    timeline=(TimelineSource("aesthetic", Capability.VIEW_HEALTH, _timeline), *consents.TIMELINE),
    client_data=(
        ClientData("aesthetic", _("Aesthetic records"), _export, _erase),
        *consents.CLIENT_DATA,
    ),
    audit_types=(
        ObjectType("aesthetic_skin", _("skin profile"), m.SkinProfile),
        ObjectType("aesthetic_treatment", _("treatment record"), m.TreatmentRecord),
        ObjectType("aesthetic_photo", _("treatment photo"), m.TreatmentPhoto),
        *consents.AUDIT_TYPES,
    ),
    visit_record=VisitRecord(
        _("Treatment record"), "aesthetic:visit_record", Capability.RECORD_TREATMENT
    ),
    documents=(
        Document(
            "treatment_record",
            _("Treatment record"),
            "aesthetic:record_print",
            Capability.VIEW_HEALTH,
        ),
        *consents.DOCUMENTS,
    ),
    completion_checks=tuple(consents.COMPLETION_CHECKS),
    allergies=_allergies,
    import_columns=IMPORT_COLUMNS,
    seed_demo_records=_seed,
    starting_resources=(
        MenuResource("治疗室 1", "room"),
        MenuResource("治疗室 2", "room"),
        MenuResource("光子治疗仪", "device"),
    ),
    starting_menu=(
        MenuService("初诊面诊", "咨询", 30, "0", colour="slate"),
        MenuService(
            "面部深层清洁", "皮肤护理", 60, "380", buffer_after_minutes=10, resource_kind="room"
        ),
        MenuService(
            "水光针补水",
            "注射",
            45,
            "1280",
            buffer_after_minutes=15,
            colour="blue",
            recall_days=28,
            resource_kind="room",
        ),
        MenuService(
            "光子嫩肤 IPL",
            "光电",
            45,
            "1680",
            buffer_after_minutes=15,
            colour="violet",
            recall_days=30,
            resource="光子治疗仪",
        ),
    ),
    demo_businesses=(
        DemoBusiness(
            name="悦颜医学美容诊所",
            subdomain="glow",
            business_type="medical_aesthetic",
            staff=(
                DemoStaff("林雅婷", "owner", ("owner",)),
                DemoStaff("陈医生 Dr. Chen", "doctor", ("practitioner",)),
                DemoStaff("王小美", "desk", ("front_desk",)),
            ),
            clients=(
                DemoClient("张三", "male", "1988-03-14", "+8613812345678"),
                DemoClient(
                    "李静",
                    "female",
                    "1992-07-02",
                    "+8613900001111",
                    "青霉素",
                    ("important",),
                    ("储值卡会员", "敏感肌"),
                ),
                DemoClient(
                    "王丽娟",
                    "female",
                    "1979-11-23",
                    "+8613701234567",
                    tags=("储值卡会员", "老带新"),
                ),
                DemoClient("陈婷婷", "female", "1996-01-30", "+8615800002222", "磺胺类药物"),
                DemoClient("刘洋", "male", "1985-09-09", "+8618612340000"),
                DemoClient("欧阳娜娜", "female", "2000-05-18", "+8613511112222"),
                DemoClient("Emily Wong", "female", "1990-12-01", "+85291234567", tags=("老带新",)),
                DemoClient(
                    "赵敏",
                    "female",
                    "1983-04-27",
                    "+8613366668888",
                    "阿司匹林",
                    ("special_attention",),
                    ("敏感肌",),
                ),
                DemoClient("孙浩", "male", "1975-08-15", "+8613022223333"),
                DemoClient("周雅琪", "female", "1998-02-11", "+8615933334444"),
            ),
            tags=(
                DemoTag("储值卡会员", "violet"),
                DemoTag("敏感肌", "pink"),
                DemoTag("老带新", "green"),
            ),
            sections=(
                DemoSection(
                    "皮肤与生活习惯",
                    (
                        DemoField("肤质", "choice", ("干性", "油性", "混合性", "敏感性")),
                        DemoField("作息", "choice", ("早睡早起", "经常熬夜", "倒班")),
                        DemoField("吸烟", "boolean"),
                    ),
                ),
            ),
            visits=(
                DemoVisit(0, 120, ("水光针",), 5, "1280.00", "皮肤水润度明显改善"),
                DemoVisit(
                    0, 30, ("光子嫩肤", "面部清洁"), 4, "1680.00", "色斑变淡，轻微泛红一天消退"
                ),
                DemoVisit(1, 60, ("果酸焕肤",), 5, "680.00"),
                DemoVisit(2, 200, ("热玛吉",), 3, "9800.00", "紧致效果一般，建议三个月后复查"),
                DemoVisit(2, 14, ("补水护理",), 5, "398.00"),
                DemoVisit(3, 45, ("肉毒素除皱",), 4, "2800.00", "抬头纹明显减轻"),
            ),
            contacts=(
                DemoContact(
                    0, 29, "follow_up", "phone", "术后回访，询问恢复情况", "恢复良好，无不适", 0
                ),
                DemoContact(
                    1, 10, "appointment", "wechat", "确认下次果酸焕肤时间", "客户说下周再约", -2
                ),
                DemoContact(
                    2, 13, "complaint", "in_person", "反映等候时间太长", "已致歉并赠送护理一次", 3
                ),
                DemoContact(3, 5, "consultation", "phone", "咨询玻尿酸填充", "发送了价目表", -1),
                DemoContact(4, 2, "marketing", "sms", "春季护理活动通知"),
            ),
        ),
    ),
)
