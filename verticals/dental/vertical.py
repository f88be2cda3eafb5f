from django.utils.translation import gettext_lazy as _

from verticals.registry import DemoBusiness, DemoStaff, Vertical

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
        ),
    ),
)
