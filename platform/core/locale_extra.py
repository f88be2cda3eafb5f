"""Messages Django shows that its own zh-Hans catalogue misses: Django 5.2 changed these
msgids, and the upstream translation still carries the old ones. Naming them here puts
them in this project's catalogue (``make messages``), which then translates them."""

from django.utils.translation import ngettext_lazy

DJANGO_MESSAGES = (
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
)
