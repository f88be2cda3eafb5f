"""The fields of a client file that people write, declared once. The services' accepted
names, the conflict page's comparison, the merge's questions, erasure and the importer's
plain-text columns are all read from ``FIELDS``, so a field added to the file is added
here and nowhere else.

Labels, empty values and kinds come from the model field of the same name."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import capfirst

from clients.models import Client


@dataclass(frozen=True)
class ClientField:
    name: str
    # The form field that carries it, where that is not its own name.
    form_name: str = ""
    # Blanked when the client's personal data is erased. The name is replaced by a
    # placeholder instead; how the client came and whom they prefer, flags and tags say
    # nothing about the person and keep the books and reports whole.
    erased: bool = True
    # A question of the merge page. Tags are not: the kept file gets both files' tags.
    merged: bool = True
    # Compared field by field on the conflict page. Custom values are compared per
    # custom field instead.
    compared: bool = True

    @property
    def model_field(self):
        return Client._meta.get_field(self.name)

    @property
    def label(self):
        return capfirst(self.model_field.verbose_name)


FIELDS = (
    ClientField("name", erased=False),
    ClientField("gender"),
    ClientField("date_of_birth"),
    ClientField("mobile"),
    ClientField("other_phones"),
    ClientField("email"),
    ClientField("national_id"),
    ClientField("occupation"),
    ClientField("address"),
    ClientField("emergency_contact_name"),
    ClientField("emergency_contact_relation"),
    ClientField("emergency_contact_phone"),
    ClientField("source", erased=False),
    ClientField("referred_by", form_name="referred_by_file_number", erased=False),
    ClientField("preferred_staff", erased=False),
    ClientField("preferred_channel"),
    # The language of the messages and receipts the client gets (blank: the business's).
    ClientField("language", erased=False),
    ClientField("service_preferences"),
    ClientField("special_notes"),
    ClientField("flags", erased=False),
    ClientField("custom", compared=False),
    ClientField("tags", erased=False, merged=False),
)

NAMES = tuple(f.name for f in FIELDS)
MERGED = tuple(f.name for f in FIELDS if f.merged)
COMPARED = tuple(f for f in FIELDS if f.compared)
FORM_NAMES = {f.name: f.form_name for f in FIELDS if f.form_name}
# Fields held as one string (text, choices, phones, the encrypted ID): what a
# spreadsheet cell can fill as it is.
TEXT = tuple(
    f.name
    for f in FIELDS
    if not f.model_field.is_relation and isinstance(f.model_field.get_default(), str)
)


def erased_values() -> dict:
    """Each erased field's empty value (a fresh list or dict each time)."""
    return {f.name: f.model_field.get_default() for f in FIELDS if f.erased}
