from django.utils.translation import gettext_lazy as _

from verticals.registry import DemoBusiness, DemoStaff, Vertical

VERTICAL = Vertical(
    key="aesthetic",
    label=_("Beauty and medical aesthetics"),
    business_types=("beauty_salon", "medical_aesthetic"),
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
        ),
    ),
)
