"""The spectacle and contact-lens prescriptions as PDF, with the privacy app's summary
renderer (it embeds the chunks of the vendored Noto Sans SC the text needs, so Chinese
renders)."""

from __future__ import annotations

from django.db import connection
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from privacy.pdf import Summary
from verticals.optical.models import Eye


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def _power(value) -> str:
    return "—" if value is None else f"{value:+.2f}"


def _subjective(exam) -> list:
    by_eye = {r.eye: r for r in exam.refractions.all() if r.kind == "subjective"}
    return [(str(Eye(eye).label), by_eye.get(eye)) for eye in ("od", "os")]


def _head(doc: Summary, client, exam) -> None:
    tenant = getattr(connection, "tenant", None)
    if tenant is not None and getattr(tenant, "name", ""):
        doc.fact(_("Issued by"), tenant.name)
    doc.fact(_("Client"), client.name)
    doc.fact(_("File number"), client.file_number)
    if client.date_of_birth:
        doc.fact(_("Date of birth"), _date(client.date_of_birth))
    if exam is not None:
        doc.fact(_("Examined on"), _date(exam.examined_on))
        if exam.recorded_by:
            doc.fact(_("Examined by"), exam.recorded_by.full_name)


def _refraction_lines(doc: Summary, exam) -> None:
    for label, r in _subjective(exam):
        if r is None:
            doc.fact(label, "—")
            continue
        parts = [
            f"{_('Sphere')} {_power(r.sphere)}",
            f"{_('Cylinder')} {_power(r.cylinder)}",
        ]
        if r.axis:
            parts.append(f"{_('Axis')} {r.axis}°")
        if r.add is not None:
            parts.append(f"{pgettext('refraction', 'Add')} {_power(r.add)}")
        if r.prism is not None:
            parts.append(f"{_('Prism')} {r.prism}Δ {r.get_prism_base_display()}")
        if r.pd is not None:
            parts.append(f"{_('PD')} {r.pd:.1f} mm")
        doc.fact(label, " · ".join(parts))


def spectacle_pdf(exam) -> bytes:
    client = exam.client
    doc = Summary(_("Spectacle prescription"))
    _head(doc, client, exam)
    doc.heading(_("Refraction"))
    _refraction_lines(doc, exam)
    if exam.pd_binocular is not None:
        doc.fact(_("Binocular PD"), f"{exam.pd_binocular:.1f} mm")
    if exam.advice:
        doc.heading(_("Advice"))
        doc.text(exam.advice)
    if exam.next_recheck:
        doc.fact(_("Next recheck"), _date(exam.next_recheck))
    return doc.render()


def contact_lens_pdf(lens) -> bytes:
    client = lens.client
    exam = lens.exam
    doc = Summary(_("Contact lens prescription"))
    _head(doc, client, exam)
    doc.heading(_("Lens"))
    if lens.lens_product:
        doc.fact(_("Lens product"), lens.lens_product)
    doc.fact(_("Base curve"), f"{lens.cl_base_curve} mm")
    doc.fact(_("Diameter"), f"{lens.cl_diameter} mm")
    doc.fact(
        _("Lens power"),
        f"{_('R')} {_power(lens.cl_power_od)} · {_('L')} {_power(lens.cl_power_os)}",
    )
    doc.fact(_("Dispensed on"), _date(lens.dispensed_on))
    if exam is not None:
        doc.heading(_("Spectacle refraction"))
        _refraction_lines(doc, exam)
        if exam.next_recheck:
            doc.fact(_("Next recheck"), _date(exam.next_recheck))
    doc.text(_("Follow the wearing schedule and replace the lenses as advised."))
    return doc.render()
