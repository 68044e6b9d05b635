"""What the fund's PDF documents share (a deposit receipt, a statement): one font that
writes Arabic and Latin, Arabic shaped by HarfBuzz and laid out right to left.

The font is IBM Plex Sans Arabic, which also covers Latin and ships as a Python package;
a document embeds the subset of the glyphs it uses. ``Pdf`` is an A4 fpdf2 document with the
font loaded (regular ``""`` and bold ``"B"``, family ``FAMILY``) and text shaping on;
``FontMissing`` (503) names the package to install when the font is not there.
``TwoLanguages`` is a statement's page (payments to an insured person, a payer's
contributions): French on the left and Arabic on the right of each row, a table of fixed
columns, and a footer with the fund, the reference and the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from daman.core.errors import DamanError
from daman.core.text import strip_bidi

FONT_PACKAGE = "fontpkg-ibm-plex-sans-arabic"
FONT_FILES = {"": "IBMPlexSansArabic-Regular.ttf", "B": "IBMPlexSansArabic-Bold.ttf"}
FAMILY = "plex"
_ISO_DATE = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")


class FontMissing(DamanError):
    code = "pdf_font_missing"
    status = 503


def font_paths() -> dict[str, Path]:
    """The font files by style, or FontMissing naming the package to install."""
    try:
        import fontpkg_ibm_plex_sans_arabic as package
    except ImportError as exc:
        raise FontMissing(
            f"PDF documents need the IBM Plex Sans Arabic font: install {FONT_PACKAGE}"
        ) from exc
    paths = {style: package.ROOT / "files" / name for style, name in FONT_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FontMissing(f"font file missing: {', '.join(missing)} (reinstall {FONT_PACKAGE})")
    return paths


def ltr_dates(text: str) -> str:
    """ISO dates kept left to right inside Arabic text (first-strong isolates)."""
    return _ISO_DATE.sub(lambda m: f"\u2066{m.group(0)}\u2069", text)


class Pdf(FPDF):
    """An A4 page in millimetres with the fund's font and text shaping."""

    def __init__(self, margin: float = 14, bottom: float = 16) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        for style, path in font_paths().items():
            self.add_font(FAMILY, style, str(path))
        self.set_text_shaping(True)
        self.set_margins(margin, margin, margin)
        self.set_auto_page_break(True, margin=bottom)


class TwoLanguages(Pdf):
    """A statement in French and Arabic: ``pair`` writes a French text on the left and an
    Arabic one on the right (on one row when both fit), ``row`` a row of the table in the
    columns ``WIDTHS`` (mm) aligned as ``ALIGN`` says (one letter a column: L, C or R)."""

    WIDTHS: Sequence[float] = ()
    ALIGN = ""

    def __init__(self, fund: str, reference: str) -> None:
        super().__init__(margin=12, bottom=14)
        self.fund, self.reference = fund, reference

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, "", 7)
        self.cell(0, 4, f"{self.fund} · {self.reference} · {self.page_no()}/{{nb}}", align="C")

    def pair(
        self, french: str, arabic: str, *, size: float = 9, style: str = "", h: float = 5.5
    ) -> None:
        self.set_font(FAMILY, style, size)
        french, arabic = strip_bidi(french), ltr_dates(strip_bidi(arabic))
        if self.get_string_width(french) + self.get_string_width(arabic) + 6 > self.epw:
            self.multi_cell(0, h, french, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.multi_cell(0, h, arabic, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        self.cell(self.epw / 2, h, french, align="L")
        self.cell(self.epw / 2, h, arabic, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def row(self, cells: Sequence[str], *, style: str = "", fill: bool = False) -> None:
        self.set_font(FAMILY, style, 8)
        for width, align, text in zip(self.WIDTHS, self.ALIGN, cells, strict=True):
            # stored text may predate the refusal of bidi controls
            self.cell(
                width, 5, strip_bidi(text), border="B" if style else 0, align=align, fill=fill
            )
        self.ln(5)
