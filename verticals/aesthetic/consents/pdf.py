"""A signed consent as PDF: the exact version's text, the drawn signature, who signed,
when, and the version number. privacy.pdf.Summary takes no image, so this lays the page
out with fpdf2 itself, loading the vendored Noto Sans SC chunks the text needs the same
way (privacy.pdf.fonts_for), so Chinese renders."""

from __future__ import annotations

import io

from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from privacy.pdf import FONT_DIR, fonts_for

SIGNATURE_WIDTH_MM = 70


def consent_pdf(**kwargs) -> bytes:
    """The PDF in the language the signer read the text in (labels included)."""
    with translation.override(kwargs["language"]):
        return _render(**kwargs)


def _render(
    *,
    version,
    client,
    signer_name: str,
    signer_role_label,
    signed_at,
    language: str,
    signature_png: bytes,
) -> bytes:
    title = version.form.name
    body = version.text_for(language)
    when = formats.date_format(timezone.localtime(signed_at), "DATETIME_FORMAT")
    facts = [
        (_("Client"), client.name),
        (_("File number"), client.file_number or "—"),
        (_("Consent form version"), str(version.number)),
        (_("Signed by"), f"{signer_name} ({signer_role_label})"),
        (_("Signed at"), when),
    ]
    lines = [f"{label}: {value}" for label, value in facts]
    signature_label = _("Signature")
    business = getattr(connection.tenant, "name", "") or ""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("clinicdesk")
    pdf.set_auto_page_break(auto=True, margin=15)
    families = []
    for index, file_name in enumerate(
        fonts_for(business + title + body + signature_label + "".join(lines))
    ):
        family = f"noto-sc-{index}"
        pdf.add_font(family, "", str(FONT_DIR / "files" / file_name))
        families.append(family)
    pdf.set_fallback_fonts(families[1:], exact_match=False)
    pdf.add_page()
    if business:
        pdf.set_font(families[0], size=9)
        pdf.multi_cell(0, 5, business, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(families[0], size=18)
    pdf.multi_cell(0, 10, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(families[0], size=9)
    pdf.multi_cell(
        0,
        5,
        _("Version %(number)s") % {"number": version.number},
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)
    pdf.set_font(families[0], size=10)
    pdf.multi_cell(0, 6, body, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    for line in lines:
        pdf.multi_cell(0, 6, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.multi_cell(0, 6, f"{signature_label}:", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.image(io.BytesIO(signature_png), w=SIGNATURE_WIDTH_MM)
    return bytes(pdf.output())
