"""The dental vertical, declared in one place (registered by DentalConfig.ready()).

Its records (verticals.dental.models) need no capability of their own: reading them is
``clients.health``, writing them ``treatment.record``, as for every clinical record."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability
from audit.display import ObjectType
from clients.profile import ProfileTab, TimelineSource
from clients.related import ClientData
from verticals.dental import models as m
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
    MenuResource,
    MenuService,
    Vertical,
    VisitRecord,
)


# The client-file functions are imported when called, so that declaring the vertical
# loads no view code.
def _chart_tab(request, client):
    from verticals.dental.client_file import chart_tab_context

    return chart_tab_context(request, client)


def _perio_tab(request, client):
    from verticals.dental.client_file import perio_tab_context

    return perio_tab_context(request, client)


def _plan_tab(request, client):
    from verticals.dental.client_file import plan_tab_context

    return plan_tab_context(request, client)


def _timeline(client, user, limit):
    from verticals.dental.client_file import timeline_entries

    return timeline_entries(client, user, limit)


def _export(client, *, user):
    from verticals.dental.client_file import dental_export

    return dental_export(client, user=user)


def _erase(client):
    from verticals.dental.client_file import dental_erase

    dental_erase(client)


def _seed(tenant, clients, staff_by_email, today):
    from verticals.dental.demo import seed_demo_records

    seed_demo_records(tenant, clients, staff_by_email, today)


def _billables(client):
    """The client's accepted plan items not billed yet, for the till."""
    from verticals.dental.services import open_plan_items
    from verticals.registry import Billable

    return [
        Billable(
            source_ref=f"dental.plan_item:{item.pk}",
            description=f"{item.procedure} ({item.tooth})" if item.tooth else item.procedure,
            unit_price=item.estimated_cost,
            category=str(_("Treatment plan")),
        )
        for item in open_plan_items(client)
    ]


def _plan_item(source_ref: str):
    from verticals.dental.models import PlanItem

    kind, _sep, pk = source_ref.partition(":")
    if kind == "dental.plan_item" and pk.isdigit():
        return PlanItem.objects.filter(pk=int(pk)).first()
    return None


def _billed(source_ref: str, *, reference: str, actor) -> None:
    from verticals.dental.services import plan_item_billed

    if (item := _plan_item(source_ref)) is not None:
        plan_item_billed(item=item, reference=reference, actor=actor)


def _unbilled(source_ref: str, *, reference: str, actor) -> None:
    from verticals.dental.services import plan_item_unbilled

    if (item := _plan_item(source_ref)) is not None:
        plan_item_unbilled(item=item, reference=reference, actor=actor)


VERTICAL = Vertical(
    key="dental",
    billables=_billables,
    billed=_billed,
    unbilled=_unbilled,
    urls="verticals.dental.urls",
    file_purposes=("dental.xray",),
    label=_("Dental"),
    business_types=("dental",),
    business_type_labels=(_("Dental practice"),),
    recall_months=6,
    tabs=(
        ProfileTab(
            "dental_chart",
            _("Dental chart"),
            50,
            Capability.VIEW_HEALTH,
            "dental/tabs/chart.html",
            _chart_tab,
        ),
        ProfileTab(
            "dental_perio",
            _("Perio"),
            51,
            Capability.VIEW_HEALTH,
            "dental/tabs/perio.html",
            _perio_tab,
        ),
        ProfileTab(
            "dental_plan",
            _("Treatment plan"),
            52,
            Capability.VIEW_HEALTH,
            "dental/tabs/plan.html",
            _plan_tab,
        ),
    ),
    timeline=(TimelineSource("dental", Capability.VIEW_HEALTH, _timeline),),
    client_data=(ClientData("dental", _("Dental records"), _export, _erase),),
    audit_types=(
        ObjectType("dental_oral", _("oral health record"), m.OralHealthRecord),
        ObjectType("dental_xray", _("X-ray"), m.XRay),
        ObjectType("dental_tooth", _("tooth chart entry"), m.ToothEntry),
        ObjectType("dental_perio", _("periodontal exam"), m.PerioExam),
        ObjectType("dental_cleaning", _("cleaning record"), m.CleaningRecord),
        ObjectType("dental_plan", _("treatment plan"), m.TreatmentPlan),
        ObjectType("dental_plan_item", _("treatment plan item"), m.PlanItem),
    ),
    visit_record=VisitRecord(
        _("Dental record"), "dental:visit_record", Capability.RECORD_TREATMENT
    ),
    documents=(
        Document(
            "treatment_plan", _("Treatment plan"), "dental:plan_print", Capability.VIEW_HEALTH
        ),
        Document(
            "perio_chart", _("Periodontal chart"), "dental:perio_print", Capability.VIEW_HEALTH
        ),
    ),
    seed_demo_records=_seed,
    visit_examples=(_("Scale and polish"), _("Composite filling")),
    starting_resources=(
        MenuResource("Chair 1", "chair"),
        MenuResource("Chair 2", "chair"),
    ),
    starting_menu=(
        MenuService(
            "New patient examination", "Check-ups", 45, "600", colour="slate", resource_kind="chair"
        ),
        MenuService(
            "Check-up and cleaning",
            "Check-ups",
            45,
            "650",
            buffer_after_minutes=10,
            recall_days=182,
            resource_kind="chair",
        ),
        MenuService(
            "Filling",
            "Treatment",
            60,
            "1200",
            buffer_after_minutes=10,
            colour="blue",
            resource_kind="chair",
        ),
        MenuService(
            "Teeth whitening", "Cosmetic", 90, "2980", colour="violet", resource_kind="chair"
        ),
    ),
    demo_businesses=(
        DemoBusiness(
            name="Bright Smile Dental",
            subdomain="smile",
            business_type="dental",
            language="en",
            time_zone="Asia/Hong_Kong",
            currency="HKD",
            phone_region="HK",
            staff=(
                DemoStaff("Grace Ho", "owner", ("owner",)),
                DemoStaff("Dr. Daniel Lam", "dentist", ("practitioner",)),
                DemoStaff("Mandy Cheung", "desk", ("front_desk",)),
            ),
            clients=(
                DemoClient("Chan Tai Man 陳大文", "male", "1986-04-03", "+85291230001"),
                DemoClient(
                    "Wong Mei Ling 黃美玲",
                    "female",
                    "1991-09-17",
                    "+85291230002",
                    "Penicillin",
                    ("important",),
                    ("Payment plan", "Orthodontic case"),
                ),
                DemoClient(
                    "Lee Ka Fai 李家輝",
                    "male",
                    "1974-02-25",
                    "+85291230003",
                    tags=("Nervous patient",),
                ),
                DemoClient("Emily Wong", "female", "1990-12-01", "+85291234567", "Latex"),
                DemoClient("Cheung Wing Yan 張詠欣", "female", "2001-06-08", "+85291230005"),
                DemoClient(
                    "Ho Chun Kit 何俊傑",
                    "male",
                    "1968-11-30",
                    "+85291230006",
                    flags=("special_attention",),
                    tags=("Nervous patient", "Payment plan"),
                ),
                DemoClient("Lam Siu Wai 林小慧", "female", "1995-03-12", "+85291230007"),
                DemoClient(
                    "Tse Hoi Ming 謝凱明",
                    "male",
                    "2010-08-21",
                    "+85291230008",
                    tags=("Orthodontic case",),
                ),
            ),
            tags=(
                DemoTag("Payment plan", "violet"),
                DemoTag("Nervous patient", "orange"),
                DemoTag("Orthodontic case", "blue"),
            ),
            sections=(
                DemoSection(
                    "Dental habits",
                    (
                        DemoField(
                            "Brushing", "choice", ("Twice a day", "Once a day", "Less often")
                        ),
                        DemoField("Grinds teeth at night", "boolean"),
                        DemoField("Recall interval (months)", "number"),
                    ),
                ),
            ),
            visits=(
                DemoVisit(
                    0, 120, ("Scale and polish",), 5, "650.00", "Gums healthier, no bleeding"
                ),
                DemoVisit(0, 30, ("Composite filling 36",), 4, "1200.00"),
                DemoVisit(1, 60, ("Check-up", "Bitewing X-rays"), 5, "480.00"),
                DemoVisit(
                    2,
                    200,
                    ("Root canal treatment 46",),
                    3,
                    "6800.00",
                    "Crown advised within 3 months",
                ),
                DemoVisit(2, 14, ("Crown fit 46",), 5, "5200.00"),
                DemoVisit(3, 45, ("Whitening",), 4, "2980.00", "Two shades lighter"),
            ),
            contacts=(
                DemoContact(
                    0, 29, "follow_up", "phone", "Call after the extraction", "Healing well", 0
                ),
                DemoContact(
                    1,
                    10,
                    "appointment",
                    "wechat",
                    "Confirm the next hygiene visit",
                    "Will book next week",
                    -2,
                ),
                DemoContact(
                    2,
                    13,
                    "complaint",
                    "in_person",
                    "Waited 40 minutes past the booking",
                    "Apologised; next polish free",
                    3,
                ),
                DemoContact(
                    3,
                    5,
                    "consultation",
                    "phone",
                    "Asked about clear aligners",
                    "Sent the price list",
                    -1,
                ),
                DemoContact(4, 2, "marketing", "sms", "Six-month check-up reminder"),
            ),
        ),
    ),
)
