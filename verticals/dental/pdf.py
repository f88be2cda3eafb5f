"""The treatment plan as PDF, with the privacy app's summary renderer (it embeds only the
chunks of the vendored Noto Sans SC the text needs, so Chinese renders)."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _

from privacy.pdf import Summary
from verticals.dental import services


def treatment_plan_pdf(plan, *, currency: str) -> bytes:
    client = plan.client
    items = list(plan.items.all())
    totals = services.plan_totals(items)
    doc = Summary(_("Treatment plan"))
    doc.fact(_("Client"), client.name)
    doc.fact(_("File number"), client.file_number)
    doc.fact(_("Plan"), plan.title)
    doc.fact(_("Date"), formats.date_format(plan.created_at.date(), "SHORT_DATE_FORMAT"))
    if plan.note:
        doc.text(plan.note)
    for phase, subtotal in totals["phases"]:
        doc.heading(_("Phase %(n)s") % {"n": phase})
        for item in items:
            if item.phase != phase or item.status == "declined":
                continue
            tooth = f"{item.tooth} · " if item.tooth else ""
            doc.text(
                f"{tooth}{item.procedure} — {item.get_status_display()} — "
                f"{formats.number_format(item.estimated_cost, 2, use_l10n=True)} {currency}"
            )
            if item.note:
                doc.text(f"    {item.note}")
        doc.fact(_("Subtotal"), f"{formats.number_format(subtotal, 2)} {currency}")
    declined = [i for i in items if i.status == "declined"]
    if declined:
        doc.heading(_("Declined"))
        for item in declined:
            doc.text(f"{item.tooth or ''} {item.procedure}".strip())
    doc.heading(_("Total"))
    doc.fact(_("Estimated total"), f"{formats.number_format(totals['total'], 2)} {currency}")
    doc.fact(_("Accepted so far"), f"{formats.number_format(totals['accepted'], 2)} {currency}")
    doc.text(_("Estimates; the final cost may change with the treatment."))
    return doc.render()
