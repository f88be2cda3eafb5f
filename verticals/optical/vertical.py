from django.utils.translation import gettext_lazy as _

from verticals.registry import DemoBusiness, DemoContact, DemoStaff, DemoVisit, Vertical

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
            visits=(
                DemoVisit(0, 120, ("视力检查", "验光配镜"), 5, "1150.00", "新镜片清晰，无头晕"),
                DemoVisit(0, 30, ("镜架调整",), 4, "0.00"),
                DemoVisit(1, 60, ("角膜塑形镜复查",), 5, "300.00", "夜戴适应良好"),
                DemoVisit(2, 200, ("渐进多焦点镜片",), 3, "3680.00", "近用区适应较慢，两周后复查"),
                DemoVisit(2, 14, ("渐进镜适应复查",), 5, "0.00"),
                DemoVisit(3, 45, ("隐形眼镜验配",), 4, "560.00"),
            ),
            contacts=(
                DemoContact(0, 29, "follow_up", "phone", "配镜后回访，询问佩戴感受", "佩戴舒适", 0),
                DemoContact(
                    1, 10, "appointment", "wechat", "确认角膜塑形镜复查时间", "客户说下周再约", -2
                ),
                DemoContact(
                    2, 13, "complaint", "in_person", "反映取镜等待时间长", "已致歉并赠送护理液", 3
                ),
                DemoContact(
                    3, 5, "consultation", "phone", "咨询渐进多焦点镜片", "发送了价目表", -1
                ),
                DemoContact(4, 2, "marketing", "sms", "春季验光活动通知"),
            ),
        ),
    ),
)
