"""The import pipeline: upload → mapping → check (parse every row, report problems and
duplicates, write nothing to client files) → commit (all or nothing) → cleanup (nothing
personal left behind). One module per stage; the names below are the pipeline's API."""

from imports import mapping
from imports.services.check import job_check, job_set_actions, parse_row
from imports.services.cleanup import (
    client_erase,
    client_export,
    job_discard,
    job_forget,
    jobs_clear_abandoned,
)
from imports.services.commit import BATCH, copy_insert, job_commit, job_commit_claimed
from imports.services.jobs import (
    BACKGROUND_BYTES,
    SAMPLE_ROWS,
    all_targets,
    available_targets,
    in_background,
    job_check_in_worker,
    job_check_start,
    job_commit_start,
    job_create,
    job_for,
    job_map,
    job_settle,
    jobs_visible,
    may_merge,
    progress_key,
    progress_of,
    withheld_columns,
)

__all__ = [
    "BACKGROUND_BYTES",
    "BATCH",
    "SAMPLE_ROWS",
    "all_targets",
    "available_targets",
    "client_erase",
    "client_export",
    "copy_insert",
    "in_background",
    "job_check",
    "job_check_in_worker",
    "job_check_start",
    "job_commit",
    "job_commit_claimed",
    "job_commit_start",
    "job_create",
    "job_discard",
    "job_for",
    "job_forget",
    "job_map",
    "job_set_actions",
    "job_settle",
    "jobs_clear_abandoned",
    "jobs_visible",
    "mapping",
    "may_merge",
    "parse_row",
    "progress_key",
    "progress_of",
    "withheld_columns",
]
