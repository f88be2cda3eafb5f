from django.utils.translation import gettext_lazy as _

from verticals.registry import DemoBusiness, DemoStaff, Vertical

VERTICAL = Vertical(
    key="optical",
    label=_("Optical"),
    business_types=("optical",),
    demo_businesses=(
        DemoBusiness(
            name="明视眼镜",
            subdomain="vision",
            business_type="optical",
            staff=(
                DemoStaff("张明", "owner", ("owner",)),
                DemoStaff("李验光师", "optometrist", ("practitioner",)),
                DemoStaff("赵丽", "desk", ("front_desk",)),
            ),
        ),
    ),
)
