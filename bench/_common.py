"""Shared start-up for the benchmarks: each runs alone as `.venv/bin/python bench/NAME.py`.

Without DATABASE_URL/REDIS_URL a throw-away embedded PostgreSQL and Redis are started for
the run (and removed after); with them, the named servers are used (a database named
clinicdesk_bench is created on the embedded cluster only)."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Ahead of this folder, which Python puts first: bench/audit.py must not stand in for the
# audit app, even when PYTHONPATH (as make sets it) already names these folders.
for entry in (ROOT / "platform", ROOT):
    if str(entry) in sys.path:
        sys.path.remove(str(entry))
    sys.path.insert(0, str(entry))


@contextlib.contextmanager
def django_stack() -> Iterator[None]:
    from devstack.__main__ import backing_services

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    with backing_services(throwaway=True, database="clinicdesk_bench") as env:
        os.environ.update(env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate_schemas", shared=True, verbosity=0)
        call_command("platform_bootstrap", verbosity=0)
        yield


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p95": p95, "n": len(ordered)}


def emit(figures: dict) -> None:
    """The last line of every benchmark: one JSON object of its figures."""
    print(json.dumps(figures, sort_keys=True), flush=True)


def run_forked(processes: list, start, *, timeout: float | None = None) -> float:
    """Start forked ``processes``, release them together through the ``start`` barrier
    (they wait on it too) and return the seconds until the last one ends; any still
    alive when this leaves (an error, an interrupt) is terminated."""
    try:
        for process in processes:
            process.start()
        start.wait(timeout=timeout)
        began = time.perf_counter()
        for process in processes:
            process.join()
        return time.perf_counter() - began
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
