"""A printable summary of one client's file, as PDF.

Chinese needs a CJK font embedded in the PDF. The repository already ships Noto Sans SC
(SIL OFL) for the portal, as the ~100 unicode-range chunks of the web font
(portal/static/vendor/noto-sans-sc); no system font is assumed. fpdf2 reads WOFF2, so the
summary loads only the chunks its text needs (found from the CSS ``unicode-range`` of
each chunk) and lets fpdf2 fall back from one chunk to the next per character, embedding
just the glyphs used."""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

import portal

# fontTools logs every subsetting step at INFO; one PDF would fill the server log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path(portal.__file__).resolve().parent / "static/vendor/noto-sans-sc"
_BLOCK = re.compile(
    r"font-weight:\s*400;\s*src:\s*url\(\./files/([^)]+\.woff2)\)\s*format\('woff2'\);"
    r"\s*unicode-range:\s*([^;]+);"
)


@cache
def _chunks() -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """(file name, code point ranges) of each regular-weight chunk, from the CSS."""
    css = (FONT_DIR / "noto-sans-sc.css").read_text(encoding="utf-8")
    chunks = []
    for name, ranges in _BLOCK.findall(css):
        spans = []
        for part in ranges.split(","):
            first, _sep, last = part.strip().removeprefix("U+").removeprefix("u+").partition("-")
            spans.append((int(first, 16), int(last or first, 16)))
        chunks.append((name, tuple(spans)))
    return tuple(chunks)


def _chunk_for(char: str) -> str | None:
    point = ord(char)
    for name, spans in _chunks():
        if any(first <= point <= last for first, last in spans):
            return name
    return None


def fonts_for(text: str) -> list[str]:
    """The chunk files that cover ``text``, the one with basic Latin first."""
    needed = {_chunk_for(c) for c in set(text) | {"A"} if not c.isspace()}
    needed.discard(None)
    latin = _chunk_for("A")
    return [latin, *sorted(needed - {latin})]


class Summary:
    """Lines of a one-client summary, rendered to PDF once they are all known (the fonts
    to embed depend on the text)."""

    def __init__(self, title: str):
        self.title = title
        self.lines: list[tuple[str, str]] = []

    def heading(self, text: str) -> None:
        self.lines.append(("heading", text))

    def fact(self, label: str, value) -> None:
        self.lines.append(("fact", f"{label}: {value if value not in (None, '') else '—'}"))

    def text(self, text: str) -> None:
        self.lines.append(("text", text))

    def render(self) -> bytes:
        pdf = FPDF(format="A4")
        pdf.set_title(self.title)
        pdf.set_creator("clinicdesk")
        pdf.set_auto_page_break(auto=True, margin=15)
        every = self.title + "".join(text for _kind, text in self.lines)
        families = []
        for index, file_name in enumerate(fonts_for(every)):
            family = f"noto-sc-{index}"
            pdf.add_font(family, "", str(FONT_DIR / "files" / file_name))
            families.append(family)
        pdf.set_fallback_fonts(families[1:], exact_match=False)
        pdf.add_page()
        pdf.set_font(families[0], size=18)
        pdf.multi_cell(0, 10, self.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        sizes = {"heading": (13, 9), "fact": (10, 6), "text": (10, 6)}
        for kind, text in self.lines:
            size, height = sizes[kind]
            if kind == "heading":
                pdf.ln(3)
            pdf.set_font(families[0], size=size)
            pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return bytes(pdf.output())
