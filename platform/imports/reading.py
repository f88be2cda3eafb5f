"""Reading uploaded sheets row by row: .xlsx through openpyxl's streaming reader, .csv in
UTF-8 (with or without BOM) or GBK/GB18030, as Chinese Excel saves it."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ENCODINGS = ("utf-8-sig", "gb18030")


def _csv_text(raw: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        _("The file is neither UTF-8 nor GBK text. Save it from Excel as CSV or .xlsx."),
        code="encoding",
    )


def _blank(row) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in row)


def read_rows(fileobj, name: str) -> Iterator[tuple[int, list]]:
    """Yield (spreadsheet row number, cells) for every non-empty row, header first."""
    lower = name.lower()
    if lower.endswith(".xlsx"):
        # calamine (Rust) reads a 100,000-row sheet several times faster than openpyxl's
        # streaming reader, whose XML parsing was most of an import's time (bench/import.py).
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(fileobj).get_sheet_by_index(0)
            rows = sheet.iter_rows()
        except (CalamineError, OSError, ValueError, IndexError) as exc:
            raise ValidationError(_("This is not a readable .xlsx file."), code="xlsx") from exc
        # Rows are numbered as Excel shows them, even when the data starts lower down.
        first = (sheet.start or (0, 0))[0] + 1
        for number, row in enumerate(rows, start=first):
            if not _blank(row):
                yield number, list(row)
    elif lower.endswith(".csv"):
        text = _csv_text(fileobj.read())
        dialect = csv.excel
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        for number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            if not _blank(row):
                yield number, row
    else:
        raise ValidationError(_("Upload an .xlsx or .csv file."), code="type")
