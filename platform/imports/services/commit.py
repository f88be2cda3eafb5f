"""The commit: write the checked rows (create, merge or skip each as decided) in one
transaction, then forget the job's personal data. A failure names the spreadsheet row
and the reason in the user's language, and leaves nothing of the import behind."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import psycopg
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit import services as audit
from audit.models import Action
from clients import fields as client_fields
from clients.fill import client_fill, health_fill
from clients.models import Client, ClientHealth
from clients.services import client_derive, file_numbers_allocate
from finance import summary as finance_summary
from imports.mapping import vertical_target_key
from imports.models import ImportJob, ImportRow, JobStatus, RowAction
from imports.services import cleanup
from imports.services.jobs import (
    all_targets,
    available_targets,
    claim_commit,
    job_failed,
    may_merge,
    set_progress,
)
from visits.models import Visit, VisitOrigin
from visits.services import refresh_client_visit_stats

BATCH = 2000

# Client fields a cell fills as it is (text, choices, phones, the ID: clients.fields).
_CLIENT_TEXT = client_fields.TEXT


def _client_values(values: dict) -> dict:
    out = {name: values[f"client.{name}"] for name in _CLIENT_TEXT if f"client.{name}" in values}
    if "client.other_phones" in values:
        out["other_phones"] = values["client.other_phones"]
    if "client.date_of_birth" in values:
        out["date_of_birth"] = dt.date.fromisoformat(values["client.date_of_birth"])
    if "client.payment_method" in values:
        note = _("Payment method: %(method)s") % {"method": values["client.payment_method"]}
        out["special_notes"] = "\n".join(p for p in (out.get("special_notes", ""), note) if p)
    custom = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("custom.")}
    if custom:
        out["custom"] = custom
    return out


def _health_values(values: dict) -> dict:
    return {
        k.split(".", 1)[1]: v
        for k, v in values.items()
        if k.startswith("health.") and v is not None
    }


def _visit(values: dict, client_id: int, actor) -> Visit | None:
    if "visit.visited_on" not in values:
        return None
    return Visit(
        client_id=client_id,
        visited_on=dt.date.fromisoformat(values["visit.visited_on"]),
        treatment_items=values.get("visit.treatment_items", []),
        satisfaction=values.get("visit.satisfaction"),
        efficacy=values.get("visit.efficacy", ""),
        suggestions=values.get("visit.suggestions", ""),
        origin=VisitOrigin.IMPORT,
        created_by=actor,
    )


_DB_REASONS = {
    "23505": gettext_noop("a value that must be unique, such as the file number, is in use"),
    "22001": gettext_noop("a value is too long"),
    "23502": gettext_noop("a required value is missing"),
}


def _row_failed(objects: list, exc: psycopg.Error) -> ValidationError:
    """PostgreSQL's error, as the user's own: the sheet's row (COPY counts its lines from
    1 within the batch) and the reason in their language."""
    context = getattr(exc.diag, "context", "") or ""
    found = re.search(r"line (\d+)", context)
    line = int(found.group(1)) if found else 0
    row = getattr(objects[line - 1], "_sheet_row", None) if 0 < line <= len(objects) else None
    reason = _(_DB_REASONS.get(exc.sqlstate or "", gettext_noop("the database refused it")))
    if row is None:
        return ValidationError(_("A row could not be saved: %(reason)s.") % {"reason": reason})
    return ValidationError(
        _("Row %(row)s could not be saved: %(reason)s.") % {"row": row, "reason": reason},
        code="row",
    )


def copy_insert(objects: list) -> None:
    """Insert model instances of one model with COPY, ids taken from the sequence first.
    At 100,000 rows, INSERT … VALUES spent most of its time building and parsing SQL in
    Python (bench/import.py); COPY streams the rows. Values are prepared exactly as the
    ORM prepares them (encryption, arrays, JSON)."""
    if not objects:
        return
    model = type(objects[0])
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
        for obj in objects:
            for field in fields:
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    field.pre_save(obj, add=True)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        raw = cursor.cursor  # psycopg's own cursor under Django's wrapper
        try:
            with raw.copy(
                f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
            ) as copy:
                for obj in objects:
                    copy.write_row(
                        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                    )
        except psycopg.Error as exc:
            raise _row_failed(objects, exc) from exc


def _field_label(name: str) -> str:
    for model in (Client, ClientHealth):
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return ""


def _named(row: ImportRow, exc: ValidationError) -> ValidationError:
    """A model's complaint about one row, naming the row and the field."""
    problems = []
    for name, errors in getattr(exc, "error_dict", {"__all__": exc.error_list}).items():
        label = _field_label(name)
        text = " ".join(ValidationError(errors).messages)
        problems.append(f"{label}: {text}" if label else text)
    return ValidationError(
        _("Row %(row)s: %(problem)s") % {"row": row.row_number, "problem": "; ".join(problems)},
        code="row",
    )


def _vertical_columns() -> dict:
    """Target key -> the trade's ImportColumn, for the trades the business has on."""
    from verticals import registry

    return {
        vertical_target_key(vertical.key, column.key): column
        for vertical in registry.enabled_verticals()
        for column in vertical.import_columns
        if column.apply is not None
    }


def _apply_vertical_columns(row: ImportRow, values: dict, client, actor, columns: dict) -> None:
    """Hand each trade's column of the row to its trade (a skin type, a prescription), in
    the import's transaction; its refusal names the row and the column."""
    for key, value in values.items():
        column = columns.get(key)
        if column is None or value in (None, "", []):
            continue
        try:
            column.apply(client, value, actor)
        except ValidationError as exc:
            raise ValidationError(
                _("Row %(row)s: %(problem)s")
                % {
                    "row": row.row_number,
                    "problem": f"{column.header}: {' '.join(exc.messages)}",
                },
                code="row",
            ) from exc


def job_commit(job: ImportJob, *, actor) -> ImportJob:
    """Write the checked rows: create, merge or skip each as decided. One transaction:
    any failure leaves no client, health record or visit of this import behind."""
    claim_commit(job.pk)
    return job_commit_claimed(job.pk, actor=actor)


def job_commit_claimed(job_id: int, *, actor) -> ImportJob:
    """``job_commit`` for a job already claimed by ``job_commit_start`` (the worker)."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != JobStatus.COMMITTING:
        raise ValidationError(_("This import is not ready to be committed."), code="not_ready")
    set_progress(job, 0)
    try:
        with transaction.atomic():
            counts = _commit_rows(job, actor)
            audit.record(
                action=Action.IMPORT,
                actor=actor,
                object_type="import",
                object_id=job.pk,
                note=audit.note(
                    gettext_noop(
                        "import %(job)s: %(created)s created, %(merged)s merged, "
                        "%(skipped)s skipped"
                    ),
                    job=job.pk,
                    **counts,
                ),
            )
            ImportJob.objects.filter(pk=job.pk).update(
                status=JobStatus.DONE,
                created_count=counts["created"],
                merged_count=counts["merged"],
                skipped_count=counts["skipped"],
                finished_at=timezone.now(),
            )
            cleanup.job_forget(job)
    except Exception as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        job_failed(job.pk, message)
        raise
    job.refresh_from_db()
    return job


def _blocked_keys(actor) -> set[str]:
    """Clinical columns the committing user may not write (their rights may have changed
    since the mapping)."""
    allowed = {t.key for t in available_targets(actor)}
    return {t.key for t in all_targets()} - allowed


_CLIENT_FIELD_NAMES = tuple(f.name for f in Client._meta.concrete_fields)


def _new_client(row: ImportRow, values: dict, actor, numbers) -> Client:
    cells = _client_values(values)
    client = Client(created_by=actor, **cells)
    client.file_number = values.get("client.file_number") or next(numbers)
    if "client.birth_year" in values and not client.date_of_birth:
        client.special_notes = "\n".join(
            p
            for p in (
                client.special_notes,
                _("Born about %(year)s") % {"year": values["client.birth_year"]},
            )
            if p
        )
    client.opening_spend = Decimal(values.get("client.opening_spend") or 0)
    client.total_spend = client.opening_spend
    if "visit.visited_on" in values:
        on = dt.date.fromisoformat(values["visit.visited_on"])
        client.visit_count, client.first_visit_on, client.last_visit_on = 1, on, on
    client_derive(client)
    # The fields the sheet filled (the rest are the model's defaults and derived columns:
    # checking them all cost a sixth of the commit). Uniqueness is the check's and the
    # allocator's; COPY reports what slips past.
    checked = {*cells, "file_number", "special_notes"}
    try:
        client.clean_fields(exclude=[n for n in _CLIENT_FIELD_NAMES if n not in checked])
    except ValidationError as exc:
        raise _named(row, exc) from exc
    client._sheet_row = row.row_number
    return client


def _check_client_room(wanted, creating: int) -> None:
    """Refuse the import before writing anything when its new files would pass the
    plan's client limit, naming the first row beyond it."""
    from billing import limits

    tenant = getattr(connection, "tenant", None)
    if not creating or tenant is None or not getattr(tenant, "pk", None):
        return
    room = limits.room(tenant, limits.CLIENTS)
    if room is None or creating <= room:
        return
    first = wanted.filter(action=RowAction.CREATE).order_by("row_number")[room]
    plan = limits.plan_of(tenant)
    raise ValidationError(
        _(
            "Row %(row)s and the %(more)s new clients after it are beyond your plan "
            "“%(plan)s”, which allows %(count)s clients; nothing was imported. Upgrade on the "
            "billing page, or import fewer rows."
        ),
        code=limits.LIMIT_CODE,
        params={
            "row": first.row_number,
            "more": creating - room - 1,
            "plan": plan.name,
            "count": plan.clients,
        },
    )


def _commit_rows(job: ImportJob, actor) -> dict:
    counts = {"created": 0, "merged": 0, "skipped": 0}
    blocked = _blocked_keys(actor)
    columns = _vertical_columns()
    taken = set(n.upper() for n in Client.objects.values_list("file_number", flat=True))
    rows = job.rows.order_by("row_number")
    counts["skipped"] = (
        rows.exclude(errors=[]).count() + rows.filter(errors=[], action=RowAction.SKIP).count()
    )
    wanted = rows.filter(errors=[]).exclude(action=RowAction.SKIP)
    if not may_merge(actor) and wanted.filter(action=RowAction.MERGE).exists():
        raise ValidationError(
            _("Merging into existing files needs the merge permission."), code="merge"
        )
    creating = wanted.filter(action=RowAction.CREATE).count()
    _check_client_room(wanted, creating)
    numbers = iter(file_numbers_allocate(creating, taken=lambda n: n.upper() in taken))
    done = 0
    batch: list[ImportRow] = []
    merged_ids: list[int] = []

    def write(batch_rows: list[ImportRow]) -> None:
        clients, healths, visits = [], [], []
        for row in batch_rows:
            values = {k: v for k, v in row.values.items() if k not in blocked}
            clients.append((row, values, _new_client(row, values, actor, numbers)))
        copy_insert([c for _r, _v, c in clients])
        for row, values, client in clients:
            health = _health_values(values)
            if health:
                record = ClientHealth(client=client, updated_by=actor)
                health_fill(record, health)
                healths.append(record)
            visit = _visit(values, client.pk, actor)
            if visit is not None:
                visit._sheet_row = row.row_number
                visits.append(visit)
        ClientHealth.objects.bulk_create(healths)
        copy_insert(visits)
        for row, values, client in clients:
            _apply_vertical_columns(row, values, client, actor, columns)

    for row in wanted.iterator(chunk_size=BATCH):
        if row.action == RowAction.MERGE and row.duplicate_of:
            _merge_row(row, actor, blocked, columns)
            merged_ids.append(row.duplicate_of)
            counts["merged"] += 1
        else:
            batch.append(row)
            counts["created"] += 1
        done += 1
        if len(batch) >= BATCH:
            write(batch)
            batch = []
            set_progress(job, done)
    if batch:
        write(batch)
    refresh_client_visit_stats(merged_ids)
    finance_summary.refresh(merged_ids)  # their opening spend grew
    set_progress(job, done)
    return counts


def _merge_row(row: ImportRow, actor, blocked: set[str], columns: dict) -> None:
    """Fill the existing client's empty fields from the row; add its visit and spend."""
    client = Client.objects.filter(pk=row.duplicate_of).first()
    if client is None:
        raise ValidationError(
            _("Row %(row)s: the client to merge into no longer exists.") % {"row": row.row_number}
        )
    values = {k: v for k, v in row.values.items() if k not in blocked}
    filled = _client_values(values)
    spend = Decimal(values.get("client.opening_spend") or 0)
    if spend:
        filled["opening_spend"] = spend
    try:
        client_fill(
            client=client,
            values=filled,
            health=_health_values(values),
            source=_("import row %(row)s") % {"row": row.row_number},
            actor=actor,
            note=audit.note(gettext_noop("filled from import row %(row)s"), row=row.row_number),
        )
    except ValidationError as exc:
        raise _named(row, exc) from exc
    _apply_vertical_columns(row, values, client, actor, columns)
    visit = _visit(values, client.pk, actor)
    if visit is not None:
        visit.save()
