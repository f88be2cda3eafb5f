"""Reads for the import preview: problems grouped by column and cause, the rows left
outside the groups (paged), and what each mapped column will write."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Paginator

from imports.models import ImportJob
from imports.services import all_targets, withheld_columns
from imports.services.check import SENSITIVE_KINDS

# A problem shared by this many rows is shown as one group to settle at once.
GROUP_MIN = 3
PAGE_SIZE = 50
EXAMPLE_ROWS = 8


@dataclass
class ProblemGroup:
    key: str
    cause: str
    column: str
    example: str
    settled: str = ""
    sensitive: bool = False
    rows: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def examples(self) -> list[int]:
        return self.rows[:EXAMPLE_ROWS]


def problem_groups(job: ImportJob) -> tuple[list[ProblemGroup], dict[int, set]]:
    """Every (column, cause) among the rows with problems, largest first; and for each
    such row, the groups it belongs to."""
    kinds = {t.key: t.kind for t in all_targets()}
    groups: dict[tuple, ProblemGroup] = {}
    membership: dict[int, set] = {}
    rows = job.rows.exclude(errors=[]).values_list(
        "pk", "row_number", "errors", "causes", "settled"
    )
    for pk, number, errors, causes, settled in rows.order_by("row_number"):
        for (header, message), (key, cause, how) in zip(errors, causes, strict=False):
            group = groups.get((key, cause))
            if group is None:
                group = groups[(key, cause)] = ProblemGroup(
                    key, cause, header, message, how, kinds.get(key) in SENSITIVE_KINDS
                )
            if not group.rows or group.rows[-1] != number:
                group.rows.append(number)
            if not settled:
                membership.setdefault(pk, set()).add((key, cause))
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.column))
    return ordered, membership


def rest_page(job: ImportJob, groups, membership, page_number):
    """The rows with a problem outside every large group, one page of them."""
    large = {(g.key, g.cause) for g in groups if g.count >= GROUP_MIN}
    ids = [pk for pk, keys in membership.items() if keys - large]
    paginator = Paginator(ids, PAGE_SIZE)
    page = paginator.get_page(page_number)
    rows = list(job.rows.filter(pk__in=list(page.object_list)).order_by("row_number"))
    return page, rows


def written_columns(job: ImportJob, user) -> tuple[list[tuple], list[str]]:
    """(column, target label, is health) for each mapped column, and the headers of the
    clinical columns left out for this user."""
    targets = {t.key: t for t in all_targets()}
    written = [
        (job.headers[int(col)], targets[key].label, targets[key].clinical)
        for col, key in sorted(job.mapping.items(), key=lambda kv: int(kv[0]))
        if key in targets
    ]
    mapped = set(job.mapping)
    left_out = [job.headers[int(c)] for c in withheld_columns(job, user) if c not in mapped]
    return written, left_out
