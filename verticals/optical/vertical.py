"""The optical vertical, declared in one place (registered by OpticalConfig.ready()).

Its records (verticals.optical.models) need no capability of their own: reading them is
``clients.health``, writing them ``treatment.record``, as for every clinical record; the
acuity notation is a business setting (``settings.manage``)."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability
from audit.display import ObjectType
from clients.profile import ProfileTab, TimelineSource
from clients.related import ClientData
from portal.dashboard import DashboardWidget
from portal.navigation import NavItem
from verticals.optical import models as m
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
def _exams_tab(request, client):
    from verticals.optical.client_file import exams_tab_context

    return exams_tab_context(request, client)


def _dispensing_tab(request, client):
    from verticals.optical.client_file import dispensing_tab_context

    return dispensing_tab_context(request, client)


def _myopia_tab(request, client):
    from verticals.optical.client_file import myopia_tab_context

    return myopia_tab_context(request, client)


def _timeline(client, user, limit):
    from verticals.optical.client_file import timeline_entries

    return timeline_entries(client, user, limit)


def _lab_orders(request):
    from verticals.optical.client_file import lab_orders_widget_context

    return lab_orders_widget_context(request)


def _export(client, *, user):
    from verticals.optical.client_file import optical_export

    return optical_export(client, user=user)


def _erase(client):
    from verticals.optical.client_file import optical_erase

    optical_erase(client)


def _seed(tenant, clients, staff_by_email, today):
    from verticals.optical.demo import seed_demo_records

    seed_demo_records(tenant, clients, staff_by_email, today)


VERTICAL = Vertical(
    key="optical",
    urls="verticals.optical.urls",
    label=_("Optical"),
    business_types=("optical",),
    business_type_labels=(_("Optical shop"),),
    recall_months=12,
    tabs=(
        ProfileTab(
            "optical_exams",
            _("Eye exams"),
            50,
            Capability.VIEW_HEALTH,
            "optical/tabs/exams.html",
            _exams_tab,
        ),
        ProfileTab(
            "optical_dispensing",
            _("Dispensing"),
            51,
            Capability.VIEW_HEALTH,
            "optical/tabs/dispensing.html",
            _dispensing_tab,
        ),
        ProfileTab(
            "optical_myopia",
            _("Myopia chart"),
            52,
            Capability.VIEW_HEALTH,
            "optical/tabs/myopia.html",
            _myopia_tab,
        ),
    ),
    timeline=(TimelineSource("optical", Capability.VIEW_HEALTH, _timeline),),
    nav=(
        NavItem(
            "optical_settings",
            _("Optical settings"),
            "optical:settings",
            Capability.MANAGE_SETTINGS,
            "cog",
            925,
            section="admin",
        ),
    ),
    widgets=(
        DashboardWidget(
            "optical_lab_orders",
            25,
            Capability.VIEW_HEALTH,
            "optical/dashboard_lab_orders.html",
            _lab_orders,
        ),
    ),
    client_data=(ClientData("optical", _("Optical records"), _export, _erase),),
    audit_types=(
        ObjectType("optical_exam", _("vision exam"), m.VisionExam),
        ObjectType("optical_dispensing", _("dispensing"), m.Dispensing),
        ObjectType("optical_settings", _("optical settings"), m.OpticalSettings),
    ),
    visit_record=VisitRecord(_("Eye exam"), "optical:visit_record", Capability.RECORD_TREATMENT),
    documents=(
        Document(
            "spectacle_rx",
            _("Spectacle prescription"),
            "optical:spectacle_rx",
            Capability.VIEW_HEALTH,
        ),
        Document(
            "contact_lens_rx",
            _("Contact lens prescription"),
            "optical:contact_lens_rx",
            Capability.VIEW_HEALTH,
        ),
    ),
    seed_demo_records=_seed,
    visit_examples=(_("Eye test"), _("Contact lens fitting")),
    starting_resources=(MenuResource("Exam room", "room"),),
    starting_menu=(
        MenuService(
            "Eye examination",
            "Eye care",
            30,
            "200",
            buffer_after_minutes=5,
            recall_days=365,
            resource="Exam room",
        ),
        MenuService(
            "Contact lens fitting",
            "Eye care",
            45,
            "300",
            colour="blue",
            recall_days=365,
            resource="Exam room",
        ),
        MenuService("Frame fitting and adjustment", "Eyewear", 20, "0", colour="green"),
    ),
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
            clients=(
                DemoClient("张伟", "male", "1984-05-20", "+8613812340001"),
                DemoClient(
                    "王芳",
                    "female",
                    "1990-10-09",
                    "+8613812340002",
                    flags=("important",),
                    tags=("会员", "隐形眼镜"),
                ),
                DemoClient(
                    "李娜", "female", "1969-01-15", "+8613812340003", tags=("渐进镜片", "会员")
                ),
                DemoClient(
                    "刘子轩", "male", "2012-07-01", "+8613812340004", tags=("青少年近视管理",)
                ),
                DemoClient("陈静", "female", "1993-03-28", "+8613812340005", "青霉素"),
                DemoClient("杨洋", "male", "1979-12-12", "+8613812340006"),
                DemoClient(
                    "黄晓燕",
                    "female",
                    "1998-08-08",
                    "+8613812340007",
                    flags=("special_attention",),
                    tags=("隐形眼镜",),
                ),
                DemoClient("周杰", "male", "1987-04-04", "+8613812340008"),
            ),
            tags=(
                DemoTag("会员", "violet"),
                DemoTag("隐形眼镜", "blue"),
                DemoTag("渐进镜片", "teal"),
                DemoTag("青少年近视管理", "green"),
            ),
            sections=(
                DemoSection(
                    "用眼习惯",
                    (
                        DemoField("佩戴", "choice", ("框架眼镜", "隐形眼镜", "都戴", "不戴")),
                        DemoField("每天看屏幕（小时）", "number"),
                        DemoField("夜间驾驶", "boolean"),
                    ),
                ),
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
