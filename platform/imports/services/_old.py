"""The import pipeline: upload → mapping → check (parse every row, report problems and
duplicates, write nothing to client files) → commit (all or nothing)."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit import services as audit
from audit.models import Action
from clients import custom_fields
from clients.models import Client, ClientHealth
from clients.services import (
    client_derive,
    file_numbers_allocate,
    health_derive,
    phone_region,
)
from core.crypto import blind_index
from core.storage import tenant_file_path
from imports import cleaning, mapping
from imports.models import ImportJob, ImportRow, JobStatus, RowAction
from imports.reading import read_rows
from visits.models import Visit, VisitOrigin
from visits.services import refresh_client_visit_stats

SAMPLE_ROWS = 5
BATCH = 2000
# Files larger than this are checked and committed by a Celery worker, with a progress bar.
BACKGROUND_BYTES = 200_000


def progress_key(job: ImportJob) -> str:
    return f"imports:{job.pk}:progress"


def _set_progress(job: ImportJob, done: int) -> None:
    cache.set(progress_key(job), done, 3600)


def progress_of(job: ImportJob) -> int:
    """Rows done so far: the job row during the check (written in batches), the cache
    during the commit (its transaction hides the job row's updates until the end)."""
    if job.status == JobStatus.COMMITTING:
        return cache.get(progress_key(job), 0)
    return job.done_rows


def job_create(*, upload, user) -> ImportJob:
    """Store the upload under the tenant's prefix and read its header and first rows."""
    name = upload.name or "import"
    if not name.lower().endswith((".xlsx", ".csv")):
        raise ValidationError({"file": _("Upload an .xlsx or .csv file.")})
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    path = default_storage.save(
        tenant_file_path(connection.tenant, "imports", f"{secrets.token_hex(12)}{suffix}"), upload
    )
    headers, samples = [], []
    try:
        with default_storage.open(path, "rb") as handle:
            for _number, cells in read_rows(handle, path):
                if not headers:
                    headers = [cleaning.text(c) or f"#{i + 1}" for i, c in enumerate(cells)]
                    continue
                samples.append([cleaning.text(c) for c in cells][: len(headers)])
                if len(samples) == SAMPLE_ROWS:
                    break
    except ValidationError as exc:
        default_storage.delete(path)
        raise ValidationError({"file": exc.messages}) from exc
    if not headers:
        default_storage.delete(path)
        raise ValidationError({"file": _("The file is empty.")})
    return ImportJob.objects.create(
        created_by=user, original_name=name[:200], file=path, headers=headers, samples=samples
    )


def available_targets(fields=None) -> list[mapping.Target]:
    """Health columns are offered to everyone who may import: the clinic's sheet holds
    them (seed 000), and the front desk who brings it in writes them without ever seeing
    them in the portal afterwards (the preview shows names and problems, not health).
    ``fields``: the active custom fields, when the caller has them already."""
    if fields is None:
        fields = custom_fields.active_fields()
    return mapping.targets(custom_fields=fields)


def job_map(*, job: ImportJob, chosen: dict[str, str]) -> ImportJob:
    keys = {t.key for t in available_targets()}
    clean = {col: key for col, key in chosen.items() if key in keys}
    seen: dict[str, str] = {}
    for col, key in clean.items():
        if key in seen:
            raise ValidationError(
                _("Columns “%(a)s” and “%(b)s” both go to the same field.")
                % {"a": job.headers[int(seen[key])], "b": job.headers[int(col)]}
            )
        seen[key] = col
    if "client.name" not in clean.values():
        raise ValidationError(_("Choose the column that holds the client's name."))
    job.mapping = clean
    job.status = JobStatus.UPLOADED
    job.save(update_fields=["mapping", "status"])
    return job


# --- checking ---------------------------------------------------------------------------


class _Existing:
    """Keys of the clients already on file, for duplicate checks (one query)."""

    def __init__(self):
        self.phone: dict[str, int] = {}
        self.id_index: dict[str, int] = {}
        self.name_dob: dict[tuple, int] = {}
        self.file_numbers: set[str] = set()
        rows = Client.objects.filter(erased_at__isnull=True).values_list(
            "pk",
            "mobile",
            "other_phones",
            "national_id_index",
            "name",
            "date_of_birth",
            "file_number",
        )
        for pk, mobile, others, id_index, name, born, number in rows.iterator(chunk_size=5000):
            for phone in [mobile, *others]:
                if phone:
                    self.phone.setdefault(phone, pk)
            if id_index:
                self.id_index.setdefault(id_index, pk)
            if born:
                self.name_dob.setdefault((name, born.isoformat()), pk)
            self.file_numbers.add(number.upper())

    def match(self, values: dict) -> tuple[int | None, str]:
        mobile = values.get("client.mobile")
        if mobile and mobile in self.phone:
            return self.phone[mobile], "phone"
        national = values.get("client.national_id")
        if national:
            hit = self.id_index.get(blind_index(national, purpose="national_id"))
            if hit:
                return hit, "national_id"
        born = values.get("client.date_of_birth")
        if born and (values.get("client.name"), born) in self.name_dob:
            return self.name_dob[(values["client.name"], born)], "name_dob"
        return None, ""


def _parse_row(cells: list, columns: list, region: str) -> tuple[dict, list]:
    values, errors = {}, []
    for position, target, field, header in columns:
        raw = cells[position] if position < len(cells) else None
        kind = target.kind
        try:
            value = cleaning.parse(kind, raw, region=region, field=field)
        except ValidationError as exc:
            errors.append([header, " ".join(exc.messages)])
            continue
        if value not in (None, "", []):
            values[target.key] = value
    if not values.get("client.name"):
        header = next((h for _p, t, _f, h in columns if t.key == "client.name"), _("Name"))
        if not any(h == header for h, _m in errors):
            errors.append([header, _("A name is required.")])
    if "client.age" in values and "client.date_of_birth" not in values:
        values["client.birth_year"] = timezone.localdate().year - values.pop("client.age")
    values.pop("client.age", None)
    return values, errors


def job_check(job: ImportJob) -> ImportJob:
    """Parse every row with the confirmed mapping; store each row's values, problems and
    duplicate finding. Writes only to the job's own tables."""
    job = ImportJob.objects.get(pk=job.pk)
    job.rows.all().delete()
    region = phone_region()
    active = custom_fields.active_fields()
    targets = {t.key: t for t in available_targets(active)}
    fields = {f"custom.{f.key}": f for f in active}
    columns = [
        (int(col), targets[key], fields.get(key), job.headers[int(col)])
        for col, key in sorted(job.mapping.items(), key=lambda kv: int(kv[0]))
        if key in targets
    ]
    existing = _Existing()
    seen_phone: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    seen_name_dob: dict[tuple, int] = {}
    seen_numbers: dict[str, int] = {}
    counts = {"total": 0, "good": 0, "bad": 0, "dup": 0}
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.CHECKING, done_rows=0, error="")
    batch: list[ImportRow] = []

    def flush():
        copy_insert(batch)
        batch.clear()
        ImportJob.objects.filter(pk=job.pk).update(done_rows=counts["total"])

    with default_storage.open(job.file, "rb") as handle:
        rows = read_rows(handle, job.file)
        next(rows, None)  # the header
        for number, cells in rows:
            values, errors = _parse_row(cells, columns, region)
            row = ImportRow(job=job, row_number=number, values=values, errors=errors)
            file_number = (values.get("client.file_number") or "").upper()
            if file_number:
                if file_number in existing.file_numbers:
                    errors.append([_("File number"), _("This file number is already in use.")])
                elif file_number in seen_numbers:
                    errors.append(
                        [
                            _("File number"),
                            _("Row %(row)s has the same file number.")
                            % {"row": seen_numbers[file_number]},
                        ]
                    )
                else:
                    seen_numbers[file_number] = number
            if not errors:
                row.duplicate_of, reason = existing.match(values)
                if row.duplicate_of:
                    row.duplicate_reason, row.action = reason, RowAction.MERGE
                else:
                    keys = [
                        (seen_phone, values.get("client.mobile"), "phone"),
                        (seen_id, values.get("client.national_id"), "national_id"),
                        (
                            seen_name_dob,
                            (values["client.name"], values["client.date_of_birth"])
                            if values.get("client.date_of_birth")
                            else None,
                            "name_dob",
                        ),
                    ]
                    for table, key, why in keys:
                        if key and key in table:
                            row.duplicate_row, row.duplicate_reason = table[key], why
                            row.action = RowAction.SKIP
                            break
                    for table, key, _why in keys:
                        if key:
                            table.setdefault(key, number)
                counts["dup"] += bool(row.duplicate_of or row.duplicate_row)
            else:
                row.action = RowAction.SKIP
            counts["good" if not errors else "bad"] += 1
            counts["total"] += 1
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
    flush()
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.CHECKED,
        total_rows=counts["total"],
        done_rows=counts["total"],
        good_rows=counts["good"],
        bad_rows=counts["bad"],
        duplicate_rows=counts["dup"],
    )
    job.refresh_from_db()
    return job


def job_set_actions(*, job: ImportJob, existing: str, in_file: str, rows: dict[int, str]) -> None:
    """Bulk defaults for duplicates of existing files and repeats within the file, then
    the per-row choices the user made."""
    valid = set(RowAction.values)
    clean = job.rows.filter(errors=[])
    if existing in valid:
        clean.filter(duplicate_of__isnull=False).update(action=existing)
    if in_file in valid - {RowAction.MERGE}:
        clean.filter(duplicate_row__isnull=False).update(action=in_file)
    chosen: dict[str, list[int]] = {}
    for row_id, action in rows.items():
        if action in valid:
            chosen.setdefault(action, []).append(row_id)
    for action, ids in chosen.items():  # one update per action, not per row
        query = clean.filter(pk__in=ids)
        if action == RowAction.MERGE:
            query = query.filter(duplicate_of__isnull=False)
        query.update(action=action)


# --- committing -------------------------------------------------------------------------

_CLIENT_TEXT = (
    "name",
    "gender",
    "email",
    "national_id",
    "occupation",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
    "service_preferences",
    "special_notes",
)


def _client_values(values: dict) -> dict:
    out = {name: values[f"client.{name}"] for name in _CLIENT_TEXT if f"client.{name}" in values}
    if "client.mobile" in values:
        out["mobile"] = values["client.mobile"]
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
        with raw.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                )


def _fill_health(health: ClientHealth, values: dict) -> None:
    for name, value in values.items():
        if value in (None, "", False):
            continue
        if getattr(health, name) in (None, "", False):
            setattr(health, name, value)
    health_derive(health)


def in_background(job: ImportJob) -> bool:
    """Large files are checked and committed by a worker, with a progress bar."""
    return default_storage.size(job.file) > BACKGROUND_BYTES


def _job_failed(job_id: int, exc: Exception) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, error=str(exc)[:2000])


def job_check_start(job: ImportJob) -> None:
    """Check a mapped job now, or hand a large one to a worker (``imports.check``)."""
    from imports import tasks

    if not in_background(job):
        job_check(job)
        return
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.CHECKING)
    transaction.on_commit(lambda: tasks.check.delay(job.pk))


def job_check_in_worker(job_id: int) -> None:
    """The worker's side of ``job_check_start``: a failure is recorded on the job."""
    try:
        job_check(ImportJob.objects.get(pk=job_id))
    except Exception as exc:
        _job_failed(job_id, exc)
        raise


def _claim_commit(job_id: int) -> None:
    """Move a checked job to COMMITTING, once: a second click, tab or worker finds it
    taken and is refused."""
    if not ImportJob.objects.filter(pk=job_id, status=JobStatus.CHECKED).update(
        status=JobStatus.COMMITTING
    ):
        raise ValidationError(_("This import is not ready to be committed."), code="not_ready")


def job_commit_start(job: ImportJob, *, actor) -> ImportJob | None:
    """Commit a checked job now (returns it, done), or claim it and hand it to a worker
    (``imports.commit``; returns None, the job page shows the progress)."""
    from imports import tasks

    if not in_background(job):
        return job_commit(job, actor=actor)
    _claim_commit(job.pk)
    actor_id = actor.pk if actor is not None else None
    transaction.on_commit(lambda: tasks.commit.delay(job.pk, actor_id))
    return None


def job_commit(job: ImportJob, *, actor) -> ImportJob:
    """Write the checked rows: create, merge or skip each as decided. One transaction:
    any failure leaves no client, health record or visit of this import behind."""
    _claim_commit(job.pk)
    return job_commit_claimed(job.pk, actor=actor)


def job_commit_claimed(job_id: int, *, actor) -> ImportJob:
    """``job_commit`` for a job already claimed by ``job_commit_start`` (the worker)."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != JobStatus.COMMITTING:
        raise ValidationError(_("This import is not ready to be committed."), code="not_ready")
    _set_progress(job, 0)
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
    except Exception as exc:
        _job_failed(job.pk, exc)
        raise
    job.refresh_from_db()
    return job


def _commit_rows(job: ImportJob, actor) -> dict:
    counts = {"created": 0, "merged": 0, "skipped": 0}
    taken = set(n.upper() for n in Client.objects.values_list("file_number", flat=True))
    rows = job.rows.order_by("row_number")
    counts["skipped"] = (
        rows.exclude(errors=[]).count() + rows.filter(errors=[], action=RowAction.SKIP).count()
    )
    wanted = rows.filter(errors=[]).exclude(action=RowAction.SKIP)
    creating = list(wanted.filter(action=RowAction.CREATE).values_list("pk", flat=True))
    numbers = iter(file_numbers_allocate(len(creating), taken=lambda n: n.upper() in taken))
    done = 0
    batch: list[ImportRow] = []
    merged_ids: list[int] = []

    def write(batch_rows: list[ImportRow]) -> None:
        clients, healths, visits = [], [], []
        for row in batch_rows:
            values = row.values
            client = Client(created_by=actor, **_client_values(values))
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
            clients.append((row, client))
        copy_insert([c for _r, c in clients])
        for row, client in clients:
            health = _health_values(row.values)
            if health:
                record = ClientHealth(client=client, updated_by=actor)
                _fill_health(record, health)
                healths.append(record)
            visit = _visit(row.values, client.pk, actor)
            if visit is not None:
                visits.append(visit)
        ClientHealth.objects.bulk_create(healths)
        copy_insert(visits)

    for row in wanted.iterator(chunk_size=BATCH):
        if row.action == RowAction.MERGE and row.duplicate_of:
            _merge_row(row, actor)
            merged_ids.append(row.duplicate_of)
            counts["merged"] += 1
        else:
            batch.append(row)
            counts["created"] += 1
        done += 1
        if len(batch) >= BATCH:
            write(batch)
            batch = []
            _set_progress(job, done)
    if batch:
        write(batch)
    refresh_client_visit_stats(merged_ids)
    _set_progress(job, done)
    return counts


def _merge_row(row: ImportRow, actor) -> None:
    """Fill the existing client's empty fields from the row; add its visit and spend."""
    client = Client.objects.select_for_update().filter(pk=row.duplicate_of).first()
    if client is None:
        raise ValidationError(
            _("Row %(row)s: the client to merge into no longer exists.") % {"row": row.row_number}
        )
    values = _client_values(row.values)
    changed = []
    for name, value in values.items():
        if name == "custom":
            merged = {**value, **client.custom}
            if merged != client.custom:
                client.custom = merged
                changed.append("custom")
        elif name == "other_phones":
            extra = [p for p in value if p not in client.other_phones and p != client.mobile]
            if extra:
                client.other_phones = [*client.other_phones, *extra]
                changed.append(name)
        elif not getattr(client, name):
            setattr(client, name, value)
            changed.append(name)
    spend = Decimal(row.values.get("client.opening_spend") or 0)
    if spend:
        client.opening_spend += spend
        changed.append("opening_spend")
    if changed:
        client_derive(client)
        client.version += 1
        client.save()
        audit.record(
            action=Action.UPDATE,
            actor=actor,
            object_type="client",
            object_id=client.pk,
            client_id=client.pk,
            fields=sorted(set(changed)),
            note=audit.note(gettext_noop("filled from import row %(row)s"), row=row.row_number),
        )
    health = _health_values(row.values)
    if health:
        record, _created = ClientHealth.objects.get_or_create(client=client)
        _fill_health(record, health)
        record.updated_by = actor
        record.save()
    visit = _visit(row.values, client.pk, actor)
    if visit is not None:
        visit.save()
