"""Where appointments plug into the rest of the portal: audit names, the client file's
tab and timeline, merge/export/erasure, navigation and the dashboard."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from audit import display
    from scheduling.models import Appointment, Service

    display.register(display.ObjectType("appointment", _("appointment"), Appointment))
    display.register(display.ObjectType("service", _("service"), Service))
