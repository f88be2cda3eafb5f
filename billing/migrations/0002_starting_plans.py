"""The plans a new platform starts with (operators change them in the console), and a
subscription on the default plan for every business that signed up before billing."""

from decimal import Decimal

from django.db import migrations

PLANS = [
    {
        "code": "starter",
        "name_en": "Starter",
        "name_zh": "入门版",
        "staff_seats": 3,
        "clients": 1000,
        "sms_per_month": 200,
        "storage_mb": 2048,
        "online_booking": True,
        "api_access": False,
        "second_vertical": False,
        "is_default": True,
        "ordering": 10,
        "prices": {
            "CNY": ("199.00", "1990.00"),
            "HKD": ("229.00", "2290.00"),
            "USD": ("29.00", "290.00"),
            "GBP": ("23.00", "230.00"),
        },
    },
    {
        "code": "clinic",
        "name_en": "Clinic",
        "name_zh": "诊所版",
        "staff_seats": 15,
        "clients": 10000,
        "sms_per_month": 1000,
        "storage_mb": 20480,
        "online_booking": True,
        "api_access": True,
        "second_vertical": True,
        "is_default": False,
        "ordering": 20,
        "prices": {
            "CNY": ("499.00", "4990.00"),
            "HKD": ("569.00", "5690.00"),
            "USD": ("79.00", "790.00"),
            "GBP": ("62.00", "620.00"),
        },
    },
    {
        "code": "group",
        "name_en": "Group",
        "name_zh": "集团版",
        "staff_seats": None,
        "clients": None,
        "sms_per_month": 5000,
        "storage_mb": 102400,
        "online_booking": True,
        "api_access": True,
        "second_vertical": True,
        "is_default": False,
        "ordering": 30,
        "prices": {
            "CNY": ("1299.00", "12990.00"),
            "HKD": ("1499.00", "14990.00"),
            "USD": ("199.00", "1990.00"),
            "GBP": ("159.00", "1590.00"),
        },
    },
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    PlanPrice = apps.get_model("billing", "PlanPrice")
    Subscription = apps.get_model("billing", "Subscription")
    Tenant = apps.get_model("tenants", "Tenant")
    default = None
    for spec in PLANS:
        spec = dict(spec)
        prices = spec.pop("prices")
        plan, created = Plan.objects.get_or_create(code=spec["code"], defaults=spec)
        if created:
            for currency, (monthly, yearly) in prices.items():
                PlanPrice.objects.create(
                    plan=plan,
                    currency=currency,
                    monthly=Decimal(monthly),
                    yearly=Decimal(yearly),
                )
        if plan.is_default:
            default = plan
    if default is None:
        return
    for tenant in Tenant.objects.filter(status__in=["active", "suspended", "closed"]):
        Subscription.objects.get_or_create(
            tenant=tenant,
            defaults={
                "plan": default,
                "status": "closed" if tenant.status == "closed" else "active",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("tenants", "0006_alter_operatoraction_kind")]

    operations = [migrations.RunPython(create_plans, migrations.RunPython.noop)]
