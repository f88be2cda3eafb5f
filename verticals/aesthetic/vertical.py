from django.utils.translation import gettext_lazy as _

from verticals.registry import DemoBusiness, DemoContact, DemoStaff, DemoVisit, Vertical

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
