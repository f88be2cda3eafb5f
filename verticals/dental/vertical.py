from django.utils.translation import gettext_lazy as _

from verticals.registry import (
    DemoBusiness,
    DemoClient,
    DemoContact,
    DemoField,
    DemoSection,
    DemoStaff,
    DemoTag,
    DemoVisit,
    MenuResource,
    MenuService,
    Vertical,
)

VERTICAL = Vertical(
    key="dental",
    urls="verticals.dental.urls",
    label=_("Dental"),
    business_types=("dental",),
    business_type_labels=(_("Dental practice"),),
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
