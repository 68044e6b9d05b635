"""The deposit receipt of a paper care sheet (récépissé de dépôt, وصل الإيداع) as a PDF.

What an agency hands back to the person who brought a care sheet: the claim's number
(written out and as a QR code, so the number can be read back without typing it), the
deposit date, the patient, the agency, each line as it was keyed in and the documents
scanned. In one language, the agent's (Arabic laid out right to left), every text from the
catalogue (daman.core.i18n). No amount the fund pays is on it: the claim may still wait
for review; what was charged is. `render` is a pure function of the data.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.claims.models import Claim, ClaimLine
from daman.config import get_settings
from daman.core.enums import CATEGORY_LABELS, CareCategory
from daman.core.i18n import N_, RTL, Text, translate
from daman.core.money import format_mad
from daman.core.pdf import FAMILY, Pdf, ltr_dates
from daman.core.qr import qr_png
from daman.core.text import strip_bidi
from daman.reference.models import Agency, Drug

QR_SIZE = 34  # mm
WIDTHS = (10, 24, 80, 40, 28)  # mm, 182 in all
HEAD = (N_("No."), N_("Care date"), N_("Care"), N_("Provider (INPE)"), N_("Charged"))


@dataclass(frozen=True)
class ReceiptLine:
    line_no: int
    care_date: date
    category: CareCategory
    item: str  # the act key and coefficient, or the medicine's code and name
    provider: str  # INPE
    charged_centimes: int


@dataclass(frozen=True)
class Receipt:
    fund_name: str
    number: str
    deposit_date: date
    patient: str  # immatriculation
    patient_name: str
    patient_name_ar: str
    agency_code: str
    agency_name: str
    agency_name_ar: str
    agency_city: str
    lines: tuple[ReceiptLine, ...]
    documents: int

    @property
    def charged_centimes(self) -> int:
        return sum(ln.charged_centimes for ln in self.lines)


def receipt_of(session: Session, claim: Claim) -> Receipt:
    """The receipt of a stored claim."""
    agency = session.get(Agency, claim.agency_code) if claim.agency_code else None
    codes = sorted({ln.drug_code for ln in claim.lines if ln.drug_code})
    names: dict[str, str] = {}
    if codes:
        found = session.execute(select(Drug.code, Drug.name).where(Drug.code.in_(codes)))
        names = {code: name for code, name in found}
    patient = claim.patient

    def item(ln: ClaimLine) -> str:
        if ln.drug_code:
            return f"{ln.drug_code} {names.get(ln.drug_code, '')}".strip()
        if ln.act_key and ln.coefficient_milli is not None:
            return f"{ln.act_key} {ln.coefficient_milli / 1000:.3f}".rstrip("0").rstrip(".")
        return ln.act_key or ""

    return Receipt(
        fund_name=get_settings().fund_name,
        number=claim.number,
        deposit_date=claim.deposit_date,
        patient=patient.immatriculation,
        patient_name=f"{patient.last_name} {patient.first_name}",
        patient_name_ar=f"{patient.last_name_ar or ''} {patient.first_name_ar or ''}".strip(),
        agency_code=agency.code if agency else "",
        agency_name=agency.name_fr if agency else "",
        agency_name_ar=agency.name_ar if agency else "",
        agency_city=agency.city if agency else "",
        lines=tuple(
            ReceiptLine(
                line_no=ln.line_no,
                care_date=ln.care_date,
                category=CareCategory(ln.category),
                item=item(ln),
                provider=ln.provider.inpe,
                charged_centimes=ln.charged_centimes,
            )
            for ln in claim.lines
        ),
        documents=len(claim.documents),
    )


class _Receipt(Pdf):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.rtl = lang in RTL
        self.start = "R" if self.rtl else "L"

    def said(self, text: Text | str) -> str:
        shown = text.render(self.lang) if isinstance(text, Text) else text
        shown = strip_bidi(shown)
        return ltr_dates(shown) if self.rtl else shown

    def para(
        self, text: Text | str, *, size: float = 10, style: str = "", h: float = 6, w: float = 0
    ) -> None:
        self.set_font(FAMILY, style, size)
        self.multi_cell(
            w, h, self.said(text), align=self.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def row(self, cells: Sequence[str], *, style: str = "", fill: bool = False) -> None:
        self.set_font(FAMILY, style, 9)
        widths = list(WIDTHS)
        aligns = [self.start] * len(cells)
        aligns[-1] = "L" if self.rtl else "R"  # amounts line up on their end
        order = list(zip(widths, cells, aligns, strict=True))
        if self.rtl:
            order.reverse()
        for width, text, align in order:
            text = self.said(text)
            while self.get_string_width(text) > width - 2 and len(text) > 1:
                text = text[:-2] + "…"
            self.cell(width, 6, text, border="B" if style else 0, align=align, fill=fill)
        self.ln(6)


def render(receipt: Receipt, lang: str) -> bytes:
    pdf = _Receipt(lang)
    title = Text("Deposit receipt %(number)s", number=receipt.number)
    pdf.set_title(title.render(lang))
    pdf.set_author(receipt.fund_name)
    pdf.set_creator("Daman")
    pdf.add_page()

    top = pdf.get_y()
    qr_x = pdf.l_margin if pdf.rtl else pdf.w - pdf.r_margin - QR_SIZE
    pdf.image(io.BytesIO(qr_png(receipt.number)), x=qr_x, y=top, w=QR_SIZE, h=QR_SIZE)
    text_w = pdf.epw - QR_SIZE - 4
    if pdf.rtl:
        pdf.set_x(pdf.l_margin + QR_SIZE + 4)
    pdf.para(receipt.fund_name, size=9, w=text_w)
    for text, size, style, h in (
        (Text("Deposit receipt for a care sheet"), 15, "B", 9),
        (Text("Claim number"), 9, "", 5),
        (receipt.number, 20, "B", 10),
    ):
        if pdf.rtl:
            pdf.set_x(pdf.l_margin + QR_SIZE + 4)
        pdf.para(text, size=size, style=style, h=h, w=text_w)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE) + 4)

    arabic_name = pdf.rtl and receipt.patient_name_ar
    name = receipt.patient_name_ar if arabic_name else receipt.patient_name
    agency = receipt.agency_name_ar if pdf.rtl and receipt.agency_name_ar else receipt.agency_name
    for label, value in (
        (N_("Deposited on"), receipt.deposit_date.isoformat()),
        (N_("Agency"), f"{agency} ({receipt.agency_city}, {receipt.agency_code})"),
        (N_("Patient"), f"{name} · {receipt.patient}"),
        (N_("Documents scanned"), str(receipt.documents)),
    ):
        pdf.para(f"{translate(label, lang)}: {value}", size=10.5)
    pdf.ln(3)

    pdf.set_fill_color(235, 238, 242)
    pdf.row([translate(head, lang) for head in HEAD], style="B", fill=True)
    for ln in receipt.lines:
        category = translate(CATEGORY_LABELS[ln.category], lang)
        pdf.row(
            (
                str(ln.line_no),
                ln.care_date.isoformat(),
                f"{category} · {ln.item}" if ln.item else category,
                ln.provider,
                f"{format_mad(ln.charged_centimes)} MAD",
            )
        )
    total = format_mad(receipt.charged_centimes)
    pdf.ln(2)
    pdf.para(Text("Charged in all: %(amount)s MAD", amount=total), style="B")
    pdf.ln(4)
    pdf.para(
        Text(
            "Keep this receipt. The fund answers within 60 days of the deposit date; give "
            "the claim number with any question about this care sheet."
        ),
        size=9,
    )
    return bytes(pdf.output())
