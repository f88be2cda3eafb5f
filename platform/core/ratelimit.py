"""Fixed-window counters in the cache. Keys pass through the tenant-aware key function,
so one tenant's counters never touch another's."""

from __future__ import annotations

from django.core.cache import cache


def hit(key: str, *, window_seconds: int) -> int:
    """Count one event under ``key`` and return the count within the current window."""
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds)
        return 1


def count(key: str) -> int:
    return int(cache.get(key) or 0)


def reset(key: str) -> None:
    cache.delete(key)
