"""The rights certificate (attestation de droits, شهادة الحقوق): a PDF saying that a person
is covered today and until when, with a reference anyone can check.

The reference carries what it certifies and a signature:
``<immatriculation>-<issued YYYYMMDD>-<valid until YYYYMMDD>-<16 characters>``, the last part
an HMAC-SHA256 of the rest under the app's secret (base32, 80 bits). Nothing is stored: the
verification page recomputes the signature, so a reference with one character changed is
invalid, and a certificate past its date says so. A new secret (DAMAN_SECRET_KEY) voids
every certificate issued before it.

A certificate is issued only for a person covered on the day, to whoever may read that
person (an insured person: their family; staff), and lasts until the end of the rights
known that day, at most ``VALID_DAYS``. The PDF is in the reader's language (Arabic laid
out right to left), with the reference as a QR code of the verification address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

from fpdf.enums import XPos, YPos
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.config import get_settings
from daman.core.dates import today
from daman.core.errors import Conflict
from daman.core.i18n import DEFAULT, N_, RTL, Text, translate
from daman.core.pdf import FAMILY, Pdf, ltr_dates
from daman.core.qr import qr_png
from daman.core.text import strip_bidi, western_digits
from daman.registry import dependents, service
from daman.registry import repository as repo
from daman.registry.schemas import EligibilityOut

VALID_DAYS = 90
SIGNATURE_CHARS = 16
VERIFY_PATH = "/verify"
_REFERENCE = re.compile(r"([A-Z0-9]{12})-([0-9]{8})-([0-9]{8})-([A-Z2-7]{16})")
QR_SIZE = 38  # mm


class NotCovered(Conflict):
    """No certificate for a person who is not covered on the day."""

    code = "not_covered"


@dataclass(frozen=True)
class Certificate:
    reference: str
    immatriculation: str
    name: str
    name_ar: str
    birth_date: date
    issued_on: date
    valid_until: date
    regime_code: str | None
    principal_name: str | None  # a dependent's principal insured
    principal_name_ar: str | None
    explanation: Text | str  # why the person is covered, in the reader's language


@dataclass(frozen=True)
class Verdict:
    """What the public verification page shows: valid or not, and for a genuine reference
    the name and the dates (nothing else)."""

    valid: bool
    genuine: bool  # signed by the fund (valid, or past its date)
    name: str = ""
    name_ar: str = ""
    issued_on: date | None = None
    valid_until: date | None = None


def _signature(payload: str) -> str:
    key = get_settings().secret_key.encode()
    mac = hmac.new(key, b"rights-certificate:" + payload.encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:SIGNATURE_CHARS]


def reference_of(immatriculation: str, issued_on: date, valid_until: date) -> str:
    payload = f"{immatriculation}-{issued_on:%Y%m%d}-{valid_until:%Y%m%d}"
    return f"{payload}-{_signature(payload)}"


def _names(person: object) -> tuple[str, str]:
    latin = f"{getattr(person, 'last_name', '')} {getattr(person, 'first_name', '')}".strip()
    arabic = " ".join(
        p
        for p in (getattr(person, "last_name_ar", None), getattr(person, "first_name_ar", None))
        if p
    )
    return latin, arabic or latin


def issue(
    session: Session,
    number: str,
    who: Principal | None = None,
    lang: str = DEFAULT,
    on: date | None = None,
) -> Certificate:
    """The certificate of a person covered on ``on`` (today), as ``who`` may read them
    (PersonNotFound outside their scope; NotCovered when not covered)."""
    on = on or today()
    person = service.get_person(session, number, who)
    rights = service.eligibility(session, person.immatriculation, on, who, lang)
    assert isinstance(rights, EligibilityOut)  # the explained answer, never the counter's
    if not rights.covered:
        raise NotCovered(f"{person.immatriculation} is not covered on {on}: {rights.explanation}")
    until = on + timedelta(days=VALID_DAYS)
    if rights.rights_until is not None:
        until = min(until, rights.rights_until)
    principal = dependents.principal_of(session, person) if rights.as_dependent else None
    principal_names = _names(principal) if principal is not None else (None, None)
    name, name_ar = _names(person)
    return Certificate(
        reference=reference_of(person.immatriculation, on, until),
        immatriculation=person.immatriculation,
        name=name,
        name_ar=name_ar,
        birth_date=person.birth_date,
        issued_on=on,
        valid_until=until,
        regime_code=rights.regime_code,
        principal_name=principal_names[0],
        principal_name_ar=principal_names[1],
        explanation=rights.explanation,
    )


def normalised(reference: str) -> str:
    """A reference as typed (spaces, lower case, Eastern Arabic digits) in its own form."""
    return re.sub(r"\s+", "", western_digits(reference)).upper()


def verify(session: Session, reference: str, on: date | None = None) -> Verdict:
    """Whether a reference is one the fund signed, and still in force on ``on`` (today)."""
    on = on or today()
    found = _REFERENCE.fullmatch(normalised(reference)[:80])
    if found is None:
        return Verdict(valid=False, genuine=False)
    number, issued, until, signature = found.groups()
    payload = f"{number}-{issued}-{until}"
    if not hmac.compare_digest(signature, _signature(payload)):
        return Verdict(valid=False, genuine=False)
    person = repo.person_by_immatriculation(session, number)
    try:
        issued_on = date(int(issued[:4]), int(issued[4:6]), int(issued[6:]))
        valid_until = date(int(until[:4]), int(until[4:6]), int(until[6:]))
    except ValueError:
        return Verdict(valid=False, genuine=False)
    if person is None:
        return Verdict(valid=False, genuine=False)
    name, name_ar = _names(person)
    return Verdict(
        valid=issued_on <= on <= valid_until,
        genuine=True,
        name=name,
        name_ar=name_ar,
        issued_on=issued_on,
        valid_until=valid_until,
    )


# -- the PDF -----------------------------------------------------------------------------


class _Page(Pdf):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.rtl = lang in RTL
        self.start = "R" if self.rtl else "L"

    def said(self, text: Text | str) -> str:
        shown = strip_bidi(text.render(self.lang) if isinstance(text, Text) else text)
        return ltr_dates(shown) if self.rtl else shown

    def para(
        self, text: Text | str, *, size: float = 11, style: str = "", h: float = 6.5, w: float = 0
    ) -> None:
        self.set_font(FAMILY, style, size)
        self.multi_cell(
            w, h, self.said(text), align=self.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )


def render(certificate: Certificate, lang: str, verify_url: str) -> bytes:
    """The certificate as a PDF in ``lang``; ``verify_url``: the verification page's address
    (``https://.../verify``), printed and put in the QR code with the reference."""
    c = certificate
    pdf = _Page(lang)
    fund = get_settings().fund_name
    title = Text("Rights certificate")
    pdf.set_title(f"{title.render(lang)} {c.reference}")
    pdf.set_author(fund)
    pdf.set_creator("Daman")
    pdf.add_page()
    link = f"{verify_url.rstrip('/')}/{c.reference}"

    top = pdf.get_y()
    qr_x = pdf.l_margin if pdf.rtl else pdf.w - pdf.r_margin - QR_SIZE
    pdf.image(io.BytesIO(qr_png(link)), x=qr_x, y=top, w=QR_SIZE, h=QR_SIZE)
    text_w = pdf.epw - QR_SIZE - 4
    for text, size, style, h in (
        (fund, 9, "", 5),
        (title, 18, "B", 10),
        (Text("Mandatory health insurance (AMO)"), 10, "", 6),
        (Text("Reference"), 9, "", 5),
        (c.reference, 10, "B", 6),
    ):
        if pdf.rtl:
            pdf.set_x(pdf.l_margin + QR_SIZE + 4)
        pdf.para(text, size=size, style=style, h=h, w=text_w)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE) + 6)

    name = c.name_ar if pdf.rtl else c.name
    principal = c.principal_name_ar if pdf.rtl else c.principal_name
    pdf.para(Text("The health insurance fund certifies that"))
    pdf.para(name, size=15, style="B", h=9)
    for label, value in (
        (N_("Immatriculation"), c.immatriculation),
        (N_("Birth date"), c.birth_date.isoformat()),
        (N_("Regime"), c.regime_code or ""),
    ):
        pdf.para(f"{translate(label, lang)}: {value}")
    pdf.ln(2)
    if principal:
        pdf.para(Text("is covered as a dependent of %(principal)s,", principal=principal))
    else:
        pdf.para(Text("is covered as principal insured,"))
    pdf.para(
        Text(
            "with rights open from %(issued)s until %(until)s.",
            issued=c.issued_on,
            until=c.valid_until,
        ),
        style="B",
    )
    pdf.ln(2)
    why = c.explanation.render(lang) if isinstance(c.explanation, Text) else c.explanation
    pdf.para(Text("Why: %(why)s", why=why), size=9.5, h=5.5)
    pdf.ln(6)
    pdf.para(Text("Issued on %(date)s.", date=c.issued_on), size=10)
    pdf.para(
        Text(
            "Anyone may check this certificate: scan its QR code, or open %(url)s and type "
            "its reference. The check shows only whether it is valid, the name and the dates.",
            url=verify_url,
        ),
        size=9,
        h=5,
    )
    return bytes(pdf.output())
