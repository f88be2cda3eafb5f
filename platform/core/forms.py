"""Form helpers every app's views share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.text import search_query


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: each message beside the field it
    names, anything else (or a plain message) at the top of the form."""
    if hasattr(exc, "error_dict"):
        # The errors themselves, not their texts: a template can read their codes (a plan
        # limit's refusal links to the billing page).
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, ValidationError(errors))
    else:
        form.add_error(None, ValidationError(exc.error_list))


class SearchField(forms.CharField):
    """A search box: control characters (a NUL pasted or sent by a script) are dropped
    rather than failing the form, which would leave the list unsearched, i.e. everyone."""

    def to_python(self, value):
        return search_query(super().to_python(value))
