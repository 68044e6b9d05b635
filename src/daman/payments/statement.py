"""The insured person's statement of a payment (décompte, كشف التعويض) as a PDF.

French and Arabic on the same page: every heading and label in both languages, each line's
explanation in both, all from the catalogue of texts (daman.core.i18n). Arabic is shaped
(HarfBuzz) and laid out right to left, in IBM Plex Sans Arabic, a font that also covers
Latin and that ships as a Python package; the PDF embeds the subset of the glyphs it uses.
`render` is a pure function of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fpdf.enums import XPos, YPos

from daman.core.i18n import N_, Text, translate
from daman.core.money import BP, format_mad
from daman.core.pdf import FAMILY, TwoLanguages, ltr_dates
from daman.core.text import strip_bidi

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
STATUS = {
    "in_payment": Text("being paid"),
    "pending": Text("sent to the bank"),
    "settled": Text("paid"),
    "rejected": Text("rejected by the bank"),
}


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


def percent(bp: int) -> str:
    whole, rest = divmod(bp, BP // 100)
    return f"{whole} %" if not rest else f"{whole}.{rest:02d}".rstrip("0") + " %"


class _Pdf(TwoLanguages):
    WIDTHS = WIDTHS
    ALIGN = "CLLRRRRRR"

    def pair(
        self,
        french: Text | str,
        arabic: Text | str | None = None,
        *,
        size: float = 9,
        style: str = "",
        h: float = 5.5,
    ) -> None:
        """The same text in both languages when `arabic` is left out."""
        said = _said(french, FRENCH), _said(french if arabic is None else arabic, ARABIC)
        super().pair(*said, size=size, style=style, h=h)


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
