"""The two links every vertical's clinical record has: to its client (PROTECT: a client
with records is erased, never deleted) and, optionally, to the visit it was written for."""

from django.db import models
from django.utils.translation import gettext_lazy as _


def client_field(vertical: str) -> models.ForeignKey:
    return models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name=f"{vertical}_%(class)s_set",
        verbose_name=_("client"),
    )


def visit_field() -> models.ForeignKey:
    return models.ForeignKey(
        "visits.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visit"),
    )
