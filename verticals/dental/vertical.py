from django.utils.translation import gettext_lazy as _

from verticals.registry import DemoBusiness, DemoContact, DemoStaff, DemoVisit, Vertical

VERTICAL = Vertical(
    key="dental",
    label=_("Dental"),
    business_types=("dental",),
    demo_businesses=(
        DemoBusiness(
            name="Bright Smile Dental",
            subdomain="smile",
            business_type="dental",
            language="en",
            time_zone="Asia/Hong_Kong",
            currency="HKD",
            staff=(
                DemoStaff("Grace Ho", "owner", ("owner",)),
                DemoStaff("Dr. Daniel Lam", "dentist", ("practitioner",)),
                DemoStaff("Mandy Cheung", "desk", ("front_desk",)),
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
