"""Everything else a client's file holds, for the operations that must reach all of it:
a subject-access export and erasure (the ``privacy`` app) and a merge of two files.

Each area that keeps personal data about a client (visits, contact log, consents,
appointments, bills, vertical records…) registers one ``ClientData`` handler from its
app's ``ready()``:

- ``export(client, user=...)`` returns JSON-safe data of that area for the client's
  export, holding back what ``user``'s roles may not see (clinical notes, for instance);
- ``erase(client)`` removes or anonymises the area's personal data of that client (keep
  what the law requires and what finance needs, e.g. amounts), inside the caller's
  transaction;
- ``merge(kept, merged)`` is optional: a merge moves every foreign key that points at the
  merged client to the kept one by itself; an area only needs this for data that does not
  fit that (one-to-one rows, denormalised copies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class ClientData:
    key: str
    label: str | Promise
    export: Callable = field(repr=False)
    erase: Callable = field(repr=False)
    merge: Callable | None = field(default=None, repr=False)


_handlers: dict[str, ClientData] = {}


def register(handler: ClientData) -> None:
    _handlers[handler.key] = handler


def handlers() -> list[ClientData]:
    return list(_handlers.values())
