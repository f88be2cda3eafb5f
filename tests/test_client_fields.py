"""The client file's fields are declared once (clients.fields); every other list of them
is read from that declaration."""

from __future__ import annotations

from clients import conflicts, fields
from clients.models import Client

# Columns nobody types into a client file: numbering, search and index columns, visit
# figures, bookkeeping, the photo (its own upload), erasure's mark and the household.
NOT_TYPED = {
    "id",
    "file_number",
    "national_id_index",
    "national_id_last4",
    "photo",
    "visit_count",
    "first_visit_on",
    "last_visit_on",
    "opening_spend",
    "total_spend",
    "version",
    "name_pinyin",
    "name_initials",
    "name_grams",
    "search_text",
    "sort_key",
    "created_at",
    "updated_at",
    "created_by",
    "erased_at",
    # Linked on the client's Finance tab (clients.households), not typed into the form.
    "household",
}


def test_every_field_of_the_client_model_is_declared_or_named_as_not_typed():
    model_fields = {f.name for f in Client._meta.get_fields() if f.concrete or f.many_to_many} - {
        f.name for f in Client._meta.get_fields() if f.auto_created and not f.concrete
    }
    assert set(fields.NAMES) | NOT_TYPED == model_fields
    assert not set(fields.NAMES) & NOT_TYPED


def test_the_form_carries_every_declared_field_under_its_form_name(cast, db):
    from django_tenants.utils import tenant_context

    from clients.forms import ClientForm

    with tenant_context(cast.tenant_a):
        form = ClientForm(region="CN", editing=None, custom=[])
    for field in fields.FIELDS:
        if field.name != "custom":  # custom values have one form field per custom field
            assert fields.FORM_NAMES.get(field.name, field.name) in form.fields, field.name


def test_the_conflict_page_and_erasure_read_the_declaration():
    client = Client(name="张三", mobile="+8613812345678", other_phones=["+8613900001111"])
    assert list(conflicts.state(client, tags=[])) == [f.name for f in fields.COMPARED]
    erased = fields.erased_values()
    assert "name" not in erased and erased["other_phones"] == [] and erased["custom"] == {}
    assert erased["date_of_birth"] is None and erased["national_id"] == ""
    assert erased["other_phones"] is not fields.erased_values()["other_phones"]
