"""The insured person's statement of a payment (décompte, كشف التعويض) as a PDF.

French and Arabic on the same page: every heading and label in both languages, each line's
explanation in both, all from the catalogue of texts (daman.core.i18n). Arabic is shaped
(HarfBuzz) and laid out right to left, in IBM Plex Sans Arabic, a font that also covers
Latin and that ships as a Python package; the PDF embeds the subset of the glyphs it uses.
`render` is a pure function of the data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from daman.core.errors import DamanError
from daman.core.i18n import N_, Text, translate
from daman.core.money import BP, format_mad
from daman.core.text import strip_bidi

FONT_PACKAGE = "fontpkg-ibm-plex-sans-arabic"
FONT_FILES = {"": "IBMPlexSansArabic-Regular.ttf", "B": "IBMPlexSansArabic-Bold.ttf"}
FAMILY = "plex"
WIDTHS = (8, 19, 37, 20, 20, 14, 20, 22, 26)  # mm, 186 in all
FRENCH, ARABIC = "fr", "ar"  # the languages of the statement, left and right
HEAD = (
    N_("No."),
    N_("Date"),
    N_("Care"),
    N_("Charged"),
    N_("Base"),
    N_("Rate"),
    N_("AMO"),
    N_("Mutual"),
    N_("Patient pays"),
)
_ISO_DATE = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")
STATUS = {
    "in_payment": Text("being paid"),
    "pending": Text("sent to the bank"),
    "settled": Text("paid"),
    "rejected": Text("rejected by the bank"),
}


class FontMissing(DamanError):
    code = "statement_font_missing"
    status = 503


@dataclass(frozen=True)
class StatementLine:
    line_no: int
    care_date: date
    care: str  # the act key and coefficient, or the medicine
    charged_centimes: int
    base_centimes: int
    rate_bp: int
    amo_centimes: int
    complementary_centimes: int
    patient_centimes: int
    reasons_fr: tuple[str, ...]
    reasons_ar: tuple[str, ...]


@dataclass(frozen=True)
class StatementClaim:
    number: str
    patient: str  # immatriculation
    patient_name: str
    patient_name_ar: str
    deposit_date: date
    paid_centimes: int
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True)
class Statement:
    fund_name: str
    reference: str
    batch: str
    execution_date: date
    status: str
    payee: str  # immatriculation
    payee_name: str
    payee_name_ar: str
    rib: str
    amount_centimes: int
    claims: tuple[StatementClaim, ...]


def font_paths() -> dict[str, Path]:
    """The font files, or FontMissing naming the package to install."""
    try:
        import fontpkg_ibm_plex_sans_arabic as package
    except ImportError as exc:
        raise FontMissing(
            f"the statement needs the IBM Plex Sans Arabic font: install {FONT_PACKAGE}"
        ) from exc
    paths = {style: package.ROOT / "files" / name for style, name in FONT_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FontMissing(f"font file missing: {', '.join(missing)} (reinstall {FONT_PACKAGE})")
    return paths


def ltr_dates(text: str) -> str:
    """ISO dates kept left to right inside Arabic text (first-strong isolates)."""
    return _ISO_DATE.sub(lambda m: f"\u2066{m.group(0)}\u2069", text)


def percent(bp: int) -> str:
    whole, rest = divmod(bp, BP // 100)
    return f"{whole} %" if not rest else f"{whole}.{rest:02d}".rstrip("0") + " %"


class _Pdf(FPDF):
    def __init__(self, fund: str, reference: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.fund, self.reference = fund, reference
        for style, path in font_paths().items():
            self.add_font(FAMILY, style, str(path))
        self.set_text_shaping(True)
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, "", 7)
        self.cell(0, 4, f"{self.fund} · {self.reference} · {self.page_no()}/{{nb}}", align="C")

    def pair(
        self,
        french: Text | str,
        arabic: Text | str | None = None,
        *,
        size: float = 9,
        style: str = "",
        h: float = 5.5,
    ) -> None:
        """A text in French on the left and one in Arabic on the right (the same text in
        both languages when `arabic` is left out), on one row when both fit."""
        self.set_font(FAMILY, style, size)
        french, arabic = _said(french, FRENCH), _said(french if arabic is None else arabic, ARABIC)
        french, arabic = strip_bidi(french), ltr_dates(strip_bidi(arabic))
        if self.get_string_width(french) + self.get_string_width(arabic) + 6 > self.epw:
            self.multi_cell(0, h, french, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.multi_cell(0, h, arabic, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        self.cell(self.epw / 2, h, french, align="L")
        self.cell(self.epw / 2, h, arabic, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def row(self, cells: Sequence[str], *, style: str = "", fill: bool = False) -> None:
        self.set_font(FAMILY, style, 8)
        for n, (width, text) in enumerate(zip(WIDTHS, cells, strict=True)):
            align = "L" if n in (1, 2) else ("C" if n == 0 else "R")
            text = strip_bidi(text)  # stored text may predate the refusal of bidi controls
            self.cell(width, 5, text, border="B" if style else 0, align=align, fill=fill)
        self.ln(5)


def _said(text: Text | str, lang: str) -> str:
    return text.render(lang) if isinstance(text, Text) else text


def render(statement: Statement) -> bytes:
    pdf = _Pdf(statement.fund_name, statement.reference)
    pdf.set_title(Text("Statement %(reference)s", reference=statement.reference).render(FRENCH))
    pdf.set_author(statement.fund_name)
    pdf.set_creator("Daman")
    pdf.add_page()

    pdf.pair(Text("AMO reimbursement statement"), size=14, style="B", h=8)
    pdf.pair(statement.fund_name, Text("Mandatory health insurance"), size=9)
    pdf.ln(2)
    amount = format_mad(statement.amount_centimes)
    reference = statement.reference
    for french, arabic in (
        (
            Text("Payee: %(name)s", name=statement.payee_name),
            Text("Payee: %(name)s", name=statement.payee_name_ar),
        ),
        (Text("Registration number: %(number)s", number=statement.payee), None),
        (
            Text(
                "Transfer: %(reference)s (batch %(batch)s)",
                reference=reference,
                batch=statement.batch,
            ),
            Text("Transfer: %(reference)s", reference=reference),
        ),
        (Text("Execution date: %(date)s", date=statement.execution_date), None),
        (Text("RIB: %(rib)s", rib=statement.rib), None),
        (
            Text(
                "Amount transferred: %(amount)s MAD (%(status)s)",
                amount=amount,
                status=STATUS.get(statement.status, statement.status),
            ),
            None,
        ),
    ):
        pdf.pair(french, arabic)
    pdf.ln(3)

    for claim in statement.claims:
        _claim(pdf, claim)

    pdf.ln(2)
    pdf.pair(Text("Total transferred: %(amount)s MAD", amount=amount), size=11, style="B", h=7)
    return bytes(pdf.output())


def _claim(pdf: _Pdf, claim: StatementClaim) -> None:
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.pair(
        Text(
            "Claim %(number)s · %(name)s (%(patient)s) · filed on %(date)s",
            number=claim.number,
            name=claim.patient_name,
            patient=claim.patient,
            date=claim.deposit_date,
        ),
        Text(
            "Claim %(number)s · patient: %(name)s", number=claim.number, name=claim.patient_name_ar
        ),
        size=9.5,
        style="B",
        h=6,
    )
    pdf.set_fill_color(235, 238, 242)
    pdf.row([translate(head, FRENCH) for head in HEAD], style="B", fill=True)
    pdf.row([translate(head, ARABIC) for head in HEAD], style="B", fill=True)
    for line in claim.lines:
        pdf.row(
            (
                str(line.line_no),
                line.care_date.isoformat(),
                line.care,
                format_mad(line.charged_centimes),
                format_mad(line.base_centimes),
                percent(line.rate_bp),
                format_mad(line.amo_centimes),
                format_mad(line.complementary_centimes),
                format_mad(line.patient_centimes),
            )
        )
        pdf.set_font(FAMILY, "", 7.5)
        for text in line.reasons_fr:
            pdf.multi_cell(
                0,
                4,
                f"{line.line_no}. {strip_bidi(text)}",
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        for text in line.reasons_ar:
            pdf.multi_cell(
                0,
                4,
                ltr_dates(
                    Text(
                        "Line %(line)s: %(reason)s", line=line.line_no, reason=strip_bidi(text)
                    ).render(ARABIC)
                ),
                align="R",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
    paid = format_mad(claim.paid_centimes)
    pdf.pair(Text("Paid for this claim (AMO + mutual): %(amount)s MAD", amount=paid), style="B")
    pdf.ln(3)
