"""A client sheet for the import tests: built in memory and uploaded to the import page."""

from __future__ import annotations

import io

from openpyxl import Workbook


def xlsx_file(headers: list, rows: list[list]) -> io.BytesIO:
    """An .xlsx upload with ``headers`` in the first row and ``rows`` below."""
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "客户档案.xlsx"
    return buffer


def upload(client, fileobj) -> int:
    """Upload ``fileobj`` to the import page; returns the new job's id."""
    response = client.post("/clients/import/", {"file": fileobj})
    assert response.status_code == 302, response.content.decode()[:500]
    return int(response["Location"].rstrip("/").split("/")[-2])
