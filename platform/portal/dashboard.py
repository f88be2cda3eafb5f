"""Dashboard blocks from other areas. An area registers a widget from its app's
``ready()``: a template fragment, the capability that shows it, and a function that
returns its context for the request (keep it to a fixed number of queries). The
dashboard shows a user the widgets their roles open, in ``order``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.roles import Capability, capability_in_use
from verticals import registry


@dataclass(frozen=True)
class DashboardWidget:
    key: str
    order: int
    capability: Capability
    template: str
    # (request) -> context for the template, available there as ``widget``.
    context: Callable = field(repr=False)
    # A vertical's widget (its key): shown only where the business has that vertical on.
    vertical: str = ""


_widgets: dict[str, DashboardWidget] = {}


def register(widget: DashboardWidget) -> None:
    capability_in_use(widget.capability)
    _widgets[widget.key] = widget


def widgets_for(request) -> list[tuple[DashboardWidget, dict]]:
    chosen = sorted(
        (
            w
            for w in _widgets.values()
            if request.user.can(w.capability)
            and (not w.vertical or registry.is_enabled(w.vertical))
        ),
        key=lambda w: w.order,
    )
    return [(w, w.context(request)) for w in chosen]
