"""Export of the client list as the user sees it (same search, filters and sort), to
.xlsx (streamed by openpyxl's write-only mode) or .csv (UTF-8 with BOM, which Excel opens
as Chinese). Health columns only with clinical access; the full ID only for those who may
see it."""

from __future__ import annotations

import csv
import io
import tempfile

from django.utils import formats
from django.utils.translation import gettext as _

from accounts.roles import Capability
from clients import custom_fields
from clients.lifecycle import Category
from clients.validators import format_phone

# A cell starting with one of these is a formula to Excel and WPS (=HYPERLINK(...) that
# sends the row away, +cmd|...), whoever typed it: a client's name or a tenant's own
# field label is enough.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """A .csv cell's value that no spreadsheet reads as a formula: text that would be one
    is prefixed with an apostrophe, so it opens as the text it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def columns(user, *, region: str) -> list[tuple[str, callable]]:
    cols = [
        (_("File number"), lambda c: c.file_number),
        (_("Name"), lambda c: c.name),
        (_("Gender"), lambda c: str(c.get_gender_display()) if c.gender else ""),
        (_("Date of birth"), lambda c: c.date_of_birth.isoformat() if c.date_of_birth else ""),
        (_("Mobile phone"), lambda c: format_phone(c.mobile, region=region)),
        (_("Other phones"), lambda c: ", ".join(c.other_phones)),
        (_("Email"), lambda c: c.email),
        (
            _("National ID number"),
            (lambda c: c.national_id)
            if user.can(Capability.VIEW_FULL_ID)
            else (lambda c: c.masked_national_id),
        ),
        (_("Occupation"), lambda c: c.occupation),
        (_("Address"), lambda c: c.address),
        (_("Category"), lambda c: str(Category(c.category).label)),
        (_("Flags"), lambda c: "、".join(str(label) for label, _s in c.flag_badges)),
        (_("Tags"), lambda c: "、".join(t.name for t in c.tag_list)),
        (_("Visits"), lambda c: c.visit_count),
        (_("First visit"), lambda c: c.first_visit_on.isoformat() if c.first_visit_on else ""),
        (_("Last visit"), lambda c: c.last_visit_on.isoformat() if c.last_visit_on else ""),
        (_("Total spend"), lambda c: formats.number_format(c.total_spend, 2)),
        (_("Preferred staff"), lambda c: str(c.preferred_staff or "")),
        (_("Special notes"), lambda c: c.special_notes),
    ]
    for cf in custom_fields.active_fields():
        cols.append((cf.label, lambda c, cf=cf: custom_fields.display(cf, c.custom.get(cf.key))))
    if user.can(Capability.VIEW_HEALTH):

        def health(name):
            return lambda c: getattr(getattr(c, "health", None), name, "") or ""

        cols += [
            (_("Drug allergies"), health("drug_allergies")),
            (_("Other allergies"), health("other_allergies")),
            (_("Surgery history"), health("surgery_history")),
            (_("Chronic conditions"), health("chronic_conditions")),
            (_("Current medications"), health("current_medications")),
        ]
    return cols


def csv_stream(clients, cols):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    writer.writerow([inert(label) for label, _f in cols])
    for client in clients.iterator(chunk_size=2000):
        writer.writerow([inert(fn(client)) for _label, fn in cols])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def xlsx_file(clients, cols):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Clients"))

    def row(values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                # openpyxl makes "=..." a formula; a string cell is only ever text, so
                # the value stays as typed (no apostrophe needed in .xlsx).
                cell.data_type = "s"
            cells.append(cell)
        return cells

    sheet.append(row(label for label, _f in cols))
    for client in clients.iterator(chunk_size=2000):
        sheet.append(row(fn(client) for _label, fn in cols))
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the FileResponse
    book.save(handle)
    handle.seek(0)
    return handle
