"""What the fund's PDF documents share (a deposit receipt, a statement): one font that
writes Arabic and Latin, Arabic shaped by HarfBuzz and laid out right to left.

The font is IBM Plex Sans Arabic, which also covers Latin and ships as a Python package;
a document embeds the subset of the glyphs it uses. ``Pdf`` is an A4 fpdf2 document with the
font loaded (regular ``""`` and bold ``"B"``, family ``FAMILY``) and text shaping on;
``FontMissing`` (503) names the package to install when the font is not there.
"""

from __future__ import annotations

import re
from pathlib import Path

from fpdf import FPDF

from daman.core.errors import DamanError

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

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        for style, path in font_paths().items():
            self.add_font(FAMILY, style, str(path))
        self.set_text_shaping(True)
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=16)
