"""The printed prescription (ordonnance, الوصفة الطبية) as a PDF: what the doctor hands the
patient when it is not sent to their phone.

Its number, written out and as a QR code (the pharmacy scans it, or types the number), the
doctor (name, INPE, specialty, city), the patient (name, immatriculation), the date and the
last day it may be dispensed, the ALD it is for, and each medicine with its dosage, days
and boxes. In one language, the doctor's (Arabic laid out right to left), every text from
the catalogue. `render` is a pure function of the data.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from fpdf.enums import XPos, YPos

from daman.config import get_settings
from daman.core.i18n import N_, RTL, Text, translate
from daman.core.pdf import FAMILY, Pdf, ltr_dates
from daman.core.text import strip_bidi
from daman.counter.receipt import qr_png
from daman.prescriptions.models import Prescription

QR_SIZE = 38  # mm
WIDTHS = (10, 70, 62, 20, 20)  # mm, 182 in all
HEAD = (N_("No."), N_("Medicine"), N_("Dosage"), N_("Days"), N_("Boxes"))


@dataclass(frozen=True)
class PrintedLine:
    line_no: int
    medicine: str  # name and EAN
    dosage: str
    days: int
    boxes: int


@dataclass(frozen=True)
class Printed:
    fund_name: str
    number: str
    prescribed_on: date
    valid_until: date
    doctor: str
    doctor_inpe: str
    doctor_detail: str  # specialty, city
    patient: str  # immatriculation
    patient_name: str
    patient_name_ar: str
    ald_code: str | None
    lines: tuple[PrintedLine, ...]


def printed_of(row: Prescription) -> Printed:
    doctor, patient = row.prescriber, row.patient
    return Printed(
        fund_name=get_settings().fund_name,
        number=row.number,
        prescribed_on=row.prescribed_on,
        valid_until=row.valid_until,
        doctor=doctor.name,
        doctor_inpe=doctor.inpe,
        doctor_detail=", ".join(p for p in (doctor.specialty, doctor.city) if p),
        patient=patient.immatriculation,
        patient_name=f"{patient.last_name} {patient.first_name}",
        patient_name_ar=f"{patient.last_name_ar or ''} {patient.first_name_ar or ''}".strip(),
        ald_code=row.ald_code,
        lines=tuple(
            PrintedLine(
                line_no=ln.line_no,
                medicine=f"{ln.drug.name} ({ln.drug.code})",
                dosage=ln.dosage,
                days=ln.duration_days,
                boxes=ln.boxes,
            )
            for ln in row.lines
        ),
    )


class _Printed(Pdf):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.rtl = lang in RTL
        self.start = "R" if self.rtl else "L"

    def said(self, text: Text | str) -> str:
        shown = strip_bidi(text.render(self.lang) if isinstance(text, Text) else text)
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
        order = list(zip(WIDTHS, cells, strict=True))
        if self.rtl:
            order.reverse()
        for width, text in order:
            text = self.said(text)
            while self.get_string_width(text) > width - 2 and len(text) > 1:
                text = text[:-2] + "…"
            self.cell(width, 7, text, border="B" if style else 0, align=self.start, fill=fill)
        self.ln(7)


def render(data: Printed, lang: str) -> bytes:
    pdf = _Printed(lang)
    pdf.set_title(Text("Prescription %(number)s", number=data.number).render(lang))
    pdf.set_author(data.doctor)
    pdf.set_creator("Daman")
    pdf.add_page()

    top = pdf.get_y()
    qr_x = pdf.l_margin if pdf.rtl else pdf.w - pdf.r_margin - QR_SIZE
    pdf.image(io.BytesIO(qr_png(data.number)), x=qr_x, y=top, w=QR_SIZE, h=QR_SIZE)
    text_w = pdf.epw - QR_SIZE - 4
    for text, size, style, h in (
        (data.fund_name, 9, "", 5),
        (Text("Electronic prescription"), 15, "B", 9),
        (Text("Prescription number"), 9, "", 5),
        (data.number, 18, "B", 10),
    ):
        if pdf.rtl:
            pdf.set_x(pdf.l_margin + QR_SIZE + 4)
        pdf.para(text, size=size, style=style, h=h, w=text_w)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE) + 4)

    name = data.patient_name_ar if pdf.rtl and data.patient_name_ar else data.patient_name
    facts = [
        (N_("Doctor"), f"{data.doctor} · INPE {data.doctor_inpe} · {data.doctor_detail}"),
        (N_("Patient"), f"{name} · {data.patient}"),
        (N_("Prescribed on"), data.prescribed_on.isoformat()),
        (N_("To be dispensed by"), data.valid_until.isoformat()),
    ]
    if data.ald_code:
        facts.append((N_("Long-term illness (ALD)"), data.ald_code))
    for label, value in facts:
        pdf.para(f"{translate(label, lang)}: {value}", size=10.5)
    pdf.ln(3)
    pdf.set_fill_color(235, 238, 242)
    pdf.row([translate(head, lang) for head in HEAD], style="B", fill=True)
    for ln in data.lines:
        pdf.row((str(ln.line_no), ln.medicine, ln.dosage, str(ln.days), str(ln.boxes)))
    pdf.ln(4)
    pdf.para(
        Text(
            "Show this prescription at any pharmacy: it scans the QR code or types the "
            "number. Each box is dispensed once."
        ),
        size=9,
    )
    return bytes(pdf.output())
