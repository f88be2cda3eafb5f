"""The check: parse every row with the confirmed mapping, read each cell as the clinic
meant it, report problems (grouped by column and cause) and duplicates. Writes only to
the job's own tables."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import custom_fields
from clients.models import Client
from clients.services import phone_region
from core.crypto import blind_index
from imports import cleaning
from imports.models import ImportJob, ImportRow, JobStatus, RowAction
from imports.reading import read_rows
from imports.services.commit import BATCH, copy_insert
from imports.services.jobs import available_targets, may_merge

# Kinds whose cells are sensitive: a problem with one is described without its value.
SENSITIVE_KINDS = {"id", "flag", "health_text"}


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
        # Erased files keep their number (the books still point at it).
        self.file_numbers.update(
            n.upper()
            for n in Client.objects.filter(erased_at__isnull=False).values_list(
                "file_number", flat=True
            )
        )

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


def _problem(target, exc: ValidationError) -> tuple[str, str]:
    """The cause (for grouping) and the message the preview shows."""
    cause = getattr(exc, "code", None) or target.kind
    if target.kind in SENSITIVE_KINDS:
        # The preview is seen by whoever imports; it names the problem, not the value.
        return cause, _("This value could not be read.")
    return cause, " ".join(exc.messages)


def parse_row(cells: list, columns: list, region: str, settled: dict) -> ImportRow:
    """One sheet row as the clinic meant it; problems the user settled are applied."""
    values, errors, causes, rejected, details = {}, [], [], {}, []
    skipped = False
    for position, target, field, header in columns:
        raw = cells[position] if position < len(cells) else None
        try:
            value = cleaning.parse(target.kind, raw, region=region, field=field)
        except ValidationError as exc:
            cause, message = _problem(target, exc)
            how = settled.get(f"{target.key}|{cause}")
            if how == "notes" and target.kind in SENSITIVE_KINDS:
                how = "drop"  # special notes are not encrypted: no ID or health there
            if how == "notes":
                details.append(("client.special_notes", f"{header}: {cleaning.text(raw)}"))
            elif how != "drop":
                skipped = skipped or how == "skip"
                errors.append([header, message])
                causes.append([target.key, cause, how or ""])
                rejected[target.key] = cleaning.text(raw)
            continue
        if target.kind == "flag":
            value, detail = value
            if detail:
                details.append((target.detail, detail))
        if value not in (None, "", []):
            values[target.key] = value
    for key, detail in details:  # the detail joins the text column, not replaces it
        current = values.get(key, "")
        joint = "\n" if key == "client.special_notes" else "；"
        if detail not in current:
            values[key] = f"{current}{joint}{detail}" if current else detail
    if not values.get("client.name") and "client.name" not in rejected:
        header = next((h for _p, t, _f, h in columns if t.key == "client.name"), _("Name"))
        how = settled.get("client.name|required")
        errors.append([header, _("A name is required.")])
        causes.append(["client.name", "required", how or ""])
        skipped = skipped or how == "skip"
    if "client.age" in values and "client.date_of_birth" not in values:
        values["client.birth_year"] = timezone.localdate().year - values.pop("client.age")
    values.pop("client.age", None)
    row = ImportRow(values=values, errors=errors, causes=causes, rejected=rejected)
    # Settled as "skip" only when every problem of the row was.
    row.settled = bool(errors) and skipped and all(c[2] == "skip" for c in causes)
    return row


def _file_number_problem(row, number, existing, seen_numbers) -> None:
    file_number = (row.values.get("client.file_number") or "").upper()
    if not file_number:
        return
    if file_number in existing.file_numbers:
        message = _("This file number is already in use.")
    elif file_number in seen_numbers:
        message = _("Row %(row)s has the same file number.") % {"row": seen_numbers[file_number]}
    else:
        seen_numbers[file_number] = number
        return
    row.errors.append([_("File number"), message])
    row.causes.append(["client.file_number", "taken", ""])
    row.settled = False


class _Repeats:
    """Rows repeating an earlier row of the same file (same mobile, ID or name and birth
    date)."""

    def __init__(self):
        self.tables: dict[str, dict] = {"phone": {}, "national_id": {}, "name_dob": {}}

    def find(self, row: ImportRow, number: int) -> None:
        values = row.values
        keys = {
            "phone": values.get("client.mobile"),
            "national_id": values.get("client.national_id"),
            "name_dob": (values["client.name"], values["client.date_of_birth"])
            if values.get("client.date_of_birth")
            else None,
        }
        for why, key in keys.items():
            if key and key in self.tables[why]:
                row.duplicate_row, row.duplicate_reason = self.tables[why][key], why
                row.action = RowAction.SKIP
                break
        for why, key in keys.items():
            if key:
                self.tables[why].setdefault(key, number)


def job_check(job: ImportJob) -> ImportJob:
    """Parse every row with the confirmed mapping; store each row's values, problems and
    duplicate finding."""
    job = ImportJob.objects.select_related("created_by").get(pk=job.pk)
    if not job.file:
        raise ValidationError(
            _("The uploaded file was removed; upload it again."), code="file_gone"
        )
    job.rows.all().delete()
    region = phone_region()
    active = custom_fields.active_fields()
    targets = {t.key: t for t in available_targets(job.created_by, active)}
    fields = {f"custom.{f.key}": f for f in active}
    columns = [
        (int(col), targets[key], fields.get(key), job.headers[int(col)])
        for col, key in sorted(job.mapping.items(), key=lambda kv: int(kv[0]))
        if key in targets
    ]
    on_existing = RowAction.MERGE if may_merge(job.created_by) else RowAction.SKIP
    existing = _Existing()
    repeats = _Repeats()
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
            row = parse_row(cells, columns, region, job.settled)
            row.job, row.row_number = job, number
            _file_number_problem(row, number, existing, seen_numbers)
            if not row.errors:
                row.duplicate_of, reason = existing.match(row.values)
                if row.duplicate_of:
                    row.duplicate_reason, row.action = reason, on_existing
                else:
                    repeats.find(row, number)
                counts["dup"] += bool(row.duplicate_of or row.duplicate_row)
                counts["good"] += 1
            else:
                row.action = RowAction.SKIP
                counts["bad"] += not row.settled
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


def job_set_actions(
    *, job: ImportJob, existing: str, in_file: str, rows: dict[int, str], actor=None
) -> None:
    """Bulk defaults for duplicates of existing files and repeats within the file, then
    the per-row choices the user made. Merging needs the merge permission."""
    valid = set(RowAction.values)
    if not may_merge(actor):
        valid.discard(RowAction.MERGE)
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
