"""The Celery app. Tasks come from tenant-schemas-celery's app, so each carries the schema
it was sent from and runs there; periodic jobs run once in the public schema and fan out
one task per active tenant (tenants.tasks.fan_out)."""

import os

from celery.schedules import crontab
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = CeleryApp("clinicdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "refill-spare-schemas": {
        "task": "tenants.refill_spare_pool",
        "schedule": 300.0,
    },
    "clear-expired-sessions": {
        "task": "tenants.fan_out",
        "schedule": crontab(minute=17),
        "args": ("accounts.clear_expired_sessions",),
    },
    "clear-abandoned-imports": {
        "task": "tenants.fan_out",
        "schedule": crontab(minute=41),
        "args": ("imports.clear_abandoned",),
    },
    "seal-audit-stragglers": {
        "task": "tenants.fan_out",
        "schedule": crontab(minute="*/10"),
        "args": ("audit.seal",),
    },
    "billing-enforce-grace": {
        "task": "billing.enforce_grace",
        "schedule": crontab(minute=29),
    },
}
# The outbox: each active tenant, every minute, recovers, writes and sends what is due.
app.conf.beat_schedule["notifications-dispatch-due"] = {
    "task": "tenants.fan_out",
    "schedule": 60.0,
    "args": ("notifications.dispatch_due", 10),
}
# The till: what is left on cards past their last day expires, hourly per tenant (each
# business's day starts in its own time zone; a run finds nothing once the day's are done).
app.conf.beat_schedule["finance-expire-cards"] = {
    "task": "tenants.fan_out",
    "schedule": crontab(minute=7),
    "args": ("finance.expire_cards",),
}
