from celery import shared_task
from django.db import connection


@shared_task(name="accounts.clear_expired_sessions")
def clear_expired_sessions() -> dict:
    """Housekeeping in the schema the task was sent for (see tenants.fan_out)."""
    from accounts.services import sessions_clear_expired

    return {"schema": connection.schema_name, "deleted": sessions_clear_expired()}
