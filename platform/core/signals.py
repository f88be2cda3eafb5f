"""Muting the product's own signals for a block: demo data made by the real services
(the demo week's bookings, the optical lab orders) must not tell anyone — its clients are
made up, so no confirmation, reminder or "glasses ready" text is written for them."""

from __future__ import annotations

import contextlib
import contextvars

_muted = contextvars.ContextVar("core_signals_muted", default=False)


@contextlib.contextmanager
def muted():
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def send(signal, sender, **kwargs) -> None:
    """``signal.send(sender, **kwargs)`` unless inside :func:`muted`."""
    if not _muted.get():
        signal.send(sender=sender, **kwargs)
