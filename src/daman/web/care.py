"""The care provider's desk (issue 15): a doctor finds a patient, records the visit and
writes an electronic prescription; a pharmacy reads a prescription at its counter
(pharmacy_counter.py); both follow their care sheets and payments (provider_claims.py).

``/care`` is the desk, by the provider's kind: a doctor finds a patient by immatriculation
or CNIE, a pharmacy types or scans a prescription's number. ``/care/visit?patient=``: the
patient's rights today (the counter's answer, the look-up logged) and one form for the
visit: the consultation billed (its act key and fee: a care sheet submitted through the
counter, valued by the engine) and the medicines prescribed (each found by name or EAN as
one types, with its dosage, days and boxes; lines added without JavaScript). Saving is
daman.counter.pharmacy.record_visit: both or neither, once per form (Idempotency-Key).
Then ``/care/prescriptions/{number}``: its number and QR code, the PDF to print, and
"send to the patient's phone" (an SMS through the outbox).

A page for the other kind of provider (a pharmacy on the doctor's pages) sends it back to
its desk.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims.models import Claim
from daman.claims.schemas import ClaimLineIn
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.enums import CareCategory, ProviderKind
from daman.core.errors import DamanError, NotFound, ValidationFailed
from daman.core.i18n import N_
from daman.core.identifiers import normalise_cnie
from daman.core.money import MoneyError, parse_mad
from daman.core.text import western_digits
from daman.counter import pharmacy
from daman.counter import prescription_pdf as printed
from daman.counter.receipt import qr_png
from daman.prescriptions import repository as prescriptions_repo
from daman.prescriptions import service as prescriptions
from daman.prescriptions.errors import PrescriptionNotFound
from daman.prescriptions.models import Prescription
from daman.prescriptions.schemas import MAX_LINES, PrescriptionIn, PrescriptionLineIn
from daman.providers.models import Provider
from daman.reference import repository as reference
from daman.registry import repository as persons
from daman.registry import service as registry
from daman.registry.models import Person
from daman.registry.schemas import CounterEligibilityOut
from daman.web.shell import FORM, language, nav_item, page, render

router = APIRouter(include_in_schema=False)
PROVIDER = page(Role.PROVIDER)
nav_item("/care", N_("Desk"), Role.PROVIDER, rank=60)

FIRST_LINES = 2
SCANNER = "/static/vendor/zxing-browser-0.2.1.min.js"  # pinned: static/vendor/VERSIONS.md
SUGGESTIONS = 12
_IMMATRICULATION = re.compile(r"^[A-Z]{2}[0-9]{10}$")

# What the visit form says of a refused field, in the reader's language.
ADVICE = {
    "patient": N_("No insured person has this immatriculation or CNIE."),
    "ald_code": N_("The patient has no exemption for this ALD today."),
    "drug": N_("Choose a medicine of the list in force, by name or barcode."),
    "dosage": N_("Say how to take it, for example 1 tablet morning and evening."),
    "days": N_("Give the treatment's days, from 1 to 365."),
    "boxes": N_("Give the boxes to dispense, from 1 to 12."),
    "lines": N_("Prescribe a medicine or bill the consultation."),
    "act_key": N_("Choose the act key of the consultation."),
    "charged": N_("Give the fee charged, in dirhams, for example 150 or 150.00."),
    "consultation": N_("The consultation cannot be billed as typed: check its key and fee."),
    "action": N_("Bill the consultation or prescribe a medicine."),
    "phone": N_("No mobile number is recorded for the patient: print the prescription."),
    "hospital": N_("This medicine is sold to hospitals only: prescribe one a pharmacy dispenses."),
}


def provider_of(session: Session, who: Principal) -> Provider | None:
    return session.get(Provider, who.provider_id) if who.provider_id is not None else None


def _back_to_desk() -> RedirectResponse:
    return RedirectResponse("/care", status_code=303)


@router.get("/care", response_class=HTMLResponse)
def desk(
    request: Request,
    q: str = Query("", max_length=40),
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> Response:
    """A doctor's desk (find a patient) or a pharmacy's (read a prescription)."""
    provider = provider_of(session, who)
    kind = provider.kind if provider else None
    context: dict[str, Any] = {
        "provider": provider,
        "kind": kind,
        "q": q,
        "error": "",
        "scanner": SCANNER,
    }
    if kind == ProviderKind.DOCTOR:
        context["recent"] = prescriptions_repo.written_by(session, provider.id, 10)  # type: ignore[union-attr]
        if q.strip():
            number = patient_number(session, q)
            if number is not None:
                return RedirectResponse(f"/care/visit?patient={number}", status_code=303)
            context["error"] = ADVICE["patient"]
            return render(request, "care/desk.html", context, who=who, session=session, status=404)
    return render(request, "care/desk.html", context, who=who, session=session)


def patient_number(session: Session, typed: str) -> str | None:
    """The immatriculation of the person typed by immatriculation or CNIE, or None."""
    text = western_digits(typed).strip().upper().replace(" ", "")
    if _IMMATRICULATION.fullmatch(text):
        found = persons.person_by_immatriculation(session, text)
    else:
        found = persons.person_by_cnie(session, normalise_cnie(text))
    return found.immatriculation if found is not None else None


# ---------------------------------------------------------------------------------------
# The visit: rights, consultation, prescription


@dataclass
class DrugRow:
    drug: str = ""
    dosage: str = ""
    days: str = ""
    boxes: str = "1"

    @property
    def empty(self) -> bool:
        return not (self.drug.strip() or self.dosage.strip() or self.days.strip())


@dataclass
class Visit:
    patient: str
    key: str
    bill: bool = True
    act_key: str = "C"
    charged: str = ""
    ald_code: str = ""
    rows: list[DrugRow] = field(default_factory=list)


def _rights(
    session: Session, number: str, who: Principal
) -> tuple[Person, CounterEligibilityOut] | None:
    person = persons.person_by_immatriculation(session, number)
    if person is None:
        return None
    rights = registry.eligibility(session, number, today(), who)  # the look-up is logged
    assert isinstance(rights, CounterEligibilityOut)  # a provider gets the counter's answer
    return person, rights


def _act_keys(session: Session, regime: str | None) -> list[tuple[str, str, int]]:
    """The consultation keys in force today, with their value for the patient's regime."""
    chosen: dict[str, Any] = {}
    for row in reference.tariffs_starting(session, "C", today(), 40):
        if row.regime_code is None or row.regime_code == regime:
            chosen[row.key] = row
    return [(key, row.label, row.value_centimes) for key, row in chosen.items()]


def _visit_page(
    request: Request,
    session: Session,
    who: Principal,
    visit: Visit,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = _rights(session, visit.patient, who)
    if found is None:
        return RedirectResponse("/care?q=" + visit.patient, status_code=303)
    person, rights = found
    errors = errors or {}
    context = {
        "visit": visit,
        "person": person,
        "rights": rights,
        "acts": _act_keys(session, rights.regime_code),
        "errors": errors,
        "summary": list(errors.items()),
        "max_lines": MAX_LINES,
        "previous": [
            rx
            for rx in prescriptions_repo.of_patient(session, person.id, 20)
            if rx.prescriber_id == who.provider_id
        ][:5],
    }
    return render(request, "care/visit.html", context, who=who, session=session, status=status)


def _is_doctor(session: Session, who: Principal) -> bool:
    provider = provider_of(session, who)
    return provider is not None and provider.kind == ProviderKind.DOCTOR


@router.get("/care/visit", response_class=HTMLResponse)
def visit_form(
    request: Request,
    patient: str = Query("", max_length=40),
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> Response:
    if not _is_doctor(session, who):
        return _back_to_desk()
    number = patient_number(session, patient) if patient.strip() else None
    if number is None:
        return RedirectResponse("/care", status_code=303)
    rows = [DrugRow() for _ in range(FIRST_LINES)]
    return _visit_page(request, session, who, Visit(number, uuid.uuid4().hex, rows=rows))


@router.post("/care/visit", response_model=None)
def save_visit(
    request: Request,
    action: str = Form("save", max_length=20),
    patient: str = Form("", max_length=40),
    key: str = Form("", max_length=64),
    bill: str = Form("", max_length=5),
    act_key: str = Form("", max_length=20),
    charged: str = Form("", max_length=20),
    ald_code: str = Form("", max_length=20),
    drug: list[str] = Form([]),
    dosage: list[str] = Form([]),
    days: list[str] = Form([]),
    boxes: list[str] = Form([]),
    who: Principal = Depends(PROVIDER),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    if not _is_doctor(session, who):
        return _back_to_desk()
    number = patient_number(session, patient)
    if number is None:
        return _back_to_desk()
    rows = [DrugRow(d, s, n, b) for d, s, n, b in zip(drug, dosage, days, boxes, strict=False)][
        :MAX_LINES
    ]
    visit = Visit(number, key or uuid.uuid4().hex, bool(bill), act_key, charged, ald_code, rows)
    if action == "add_line":
        if len(visit.rows) < MAX_LINES:
            visit.rows.append(DrugRow())
        return _visit_page(request, session, who, visit)
    errors: dict[str, str] = {}
    consultation = _consultation(session, visit, who, errors)
    written = _prescription(session, visit, errors)
    if errors:
        return _visit_page(request, session, who, visit, errors=errors, status=400)
    try:
        with session.begin_nested():  # a refused visit leaves nothing behind
            claim, rx = pharmacy.record_visit(
                session,
                patient=number,
                consultation=consultation,
                prescription=written,
                key=visit.key,
                who=who,
            )
    except ValidationFailed as exc:
        return _visit_page(request, session, who, visit, errors=_refused(exc, visit), status=400)
    if rx is not None:
        return RedirectResponse(f"/care/prescriptions/{rx.number}", status_code=303)
    done = claim.number if claim is not None else ""
    return RedirectResponse(f"/care/claims/{done}?done=visit", status_code=303)


def _consultation(
    session: Session, visit: Visit, who: Principal, errors: dict[str, str]
) -> ClaimLineIn | None:
    if not visit.bill:
        return None
    provider = provider_of(session, who)
    assert provider is not None
    try:
        fee = parse_mad(western_digits(visit.charged))
    except MoneyError:
        errors["charged"] = ADVICE["charged"]
        return None
    if fee <= 0:
        errors["charged"] = ADVICE["charged"]
        return None
    return ClaimLineIn(
        category=CareCategory.CONSULTATION,
        care_date=today(),
        provider_inpe=provider.inpe,
        charged_centimes=fee,
        act_key=visit.act_key.strip() or None,
    )


def _drug_code(session: Session, typed: str) -> str:
    """The EAN of a medicine typed by barcode or chosen by name (the first word of an
    option is its code); what was typed when nothing matches one medicine."""
    text = western_digits(typed).strip()
    head = text.split(" ", 1)[0]
    if head.isdigit():
        return head
    found = reference.drugs_listed_on(session, text, today(), 2)
    return found[0][0].code if len(found) == 1 else text[:13]


def _prescription(session: Session, visit: Visit, errors: dict[str, str]) -> PrescriptionIn | None:
    """The medicines typed (empty rows left out, the others moved up: their numbers are
    then the service's line numbers), or None when there are none."""
    kept = [r for r in visit.rows if not r.empty]
    visit.rows = kept + [DrugRow() for _ in range(len(visit.rows) - len(kept))]
    if not kept:
        if not visit.bill:
            errors["lines"] = ADVICE["lines"]
        return None
    lines = []
    for i, row in enumerate(kept):
        numbers = {}
        for name, value, low, high in (("days", row.days, 1, 365), ("boxes", row.boxes, 1, 12)):
            try:
                numbers[name] = int(western_digits(value).strip())
            except ValueError:
                numbers[name] = 0
            if not low <= numbers[name] <= high:
                errors[f"line-{i}-{name}"] = ADVICE[name]
        lines.append(
            PrescriptionLineIn(
                drug_code=_drug_code(session, row.drug) or "-",
                dosage=row.dosage.strip()[:200] or " ",
                duration_days=numbers["days"],
                boxes=numbers["boxes"],
            )
        )
    return PrescriptionIn(patient=visit.patient, ald_code=visit.ald_code or None, lines=lines)


_LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
_FORM_NAME = {"drug_code": "drug", "dosage": "dosage", "duration_days": "days", "boxes": "boxes"}


def _refused(exc: DamanError, visit: Visit) -> dict[str, str]:
    """A service's refusal as the form's errors, each under its field."""
    found = exc.detail if isinstance(exc.detail, list) else []
    errors: dict[str, str] = {}
    for refusal in found:
        if m := _LINE_FIELD.match(refusal.field):
            name = _FORM_NAME.get(m.group(2), "drug")
            hospital = name == "drug" and "hospitals only" in refusal.reason
            errors[f"line-{m.group(1)}-{name}"] = ADVICE["hospital" if hospital else name]
        elif refusal.field.startswith("consultation.act_key"):
            errors["act_key"] = ADVICE["act_key"]
        elif refusal.field.startswith("consultation.charged"):
            errors["charged"] = ADVICE["charged"]
        elif refusal.field.startswith("consultation"):
            errors["act_key"] = ADVICE["consultation"]
        else:
            name = refusal.field if refusal.field in ADVICE else "action"
            errors[name] = ADVICE[name]
    return errors or {"action": ADVICE["action"]}


@router.get("/care/drugs", response_class=HTMLResponse)
def drug_options(
    request: Request,
    drug: list[str] = Query([]),
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> HTMLResponse:
    """The medicines of the list in force whose barcode starts with, or name or DCI holds,
    what was typed (the row's field), for the field's list."""
    typed = western_digits(next((d for d in reversed(drug) if d.strip()), "")).strip()
    options = []
    if len(typed) >= 2:
        for found, price in reference.drugs_listed_on(session, typed, today(), SUGGESTIONS):
            if price.ppv_centimes > 0:  # a hospital product (no public price) is not offered
                options.append((found.code, f"{found.name} · {price.ppv_centimes / 100:.2f} MAD"))
    return render(request, "paper/_options.html", {"options": options}, who=who, session=session)


# ---------------------------------------------------------------------------------------
# A prescription written: number, QR code, PDF, SMS


def _own(session: Session, number: str, who: Principal) -> Prescription | None:
    """A prescription the doctor ``who`` wrote, or None."""
    try:
        row = prescriptions.get(session, number, who)
    except PrescriptionNotFound:
        return None
    return row if row.prescriber_id == who.provider_id else None


def _not_found(request: Request, who: Principal, session: Session) -> HTMLResponse:
    message = N_("You wrote no prescription with this number.")
    return render(
        request, "message.html", {"message": message}, who=who, session=session, status=404
    )


SENT = {"sms": N_("The prescription was sent to the patient's phone (%(phone)s).")}


@router.get("/care/prescriptions/{number}", response_class=HTMLResponse)
def prescription_page(
    request: Request,
    number: str,
    sent: str = Query("", max_length=20),
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> HTMLResponse:
    row = _own(session, number, who)
    if row is None:
        return _not_found(request, who, session)
    return _prescription_page(request, session, who, row, sent=sent)


def _prescription_page(
    request: Request,
    session: Session,
    who: Principal,
    row: Prescription,
    *,
    sent: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    visit = session.get(Claim, row.visit_claim_id) if row.visit_claim_id is not None else None
    context = {
        "rx": row,
        "out": prescriptions.prescription_out(row),
        "visit_claim": visit.number if visit is not None else "",
        "sent": sent,
        "phone_known": prescriptions.phone_of(session, row) is not None,
        "errors": errors or {},
        "grouped": " ".join(re.findall(".{1,4}", row.number)),
    }
    return render(
        request, "care/prescription.html", context, who=who, session=session, status=status
    )


@router.get("/care/prescriptions/{number}/qr.png", response_model=None)
def prescription_qr(
    number: str, who: Principal = Depends(PROVIDER), session: Session = SESSION
) -> Response:
    row = _own(session, number, who)
    if row is None:
        raise NotFound("no such prescription")
    return Response(qr_png(row.number), media_type="image/png")


@router.get("/care/prescriptions/{number}/print.pdf", response_model=None)
def prescription_print(
    request: Request, number: str, who: Principal = Depends(PROVIDER), session: Session = SESSION
) -> Response:
    """The prescription to print, in the doctor's language."""
    row = _own(session, number, who)
    if row is None:
        return _not_found(request, who, session)
    lang = language(request, who, session)
    pdf = printed.render(printed.printed_of(row), lang)
    name = f"prescription-{row.number}-{lang}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{name}"'},
    )


@router.post("/care/prescriptions/{number}/sms", response_model=None)
def prescription_sms(
    request: Request,
    number: str,
    who: Principal = Depends(PROVIDER),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    """Send the prescription to the patient's phone (through the SMS outbox)."""
    row = _own(session, number, who)
    if row is None:
        return _not_found(request, who, session)
    try:
        masked = prescriptions.send_to_phone(session, row, who)
    except ValidationFailed:
        errors = {"phone": ADVICE["phone"]}
        return _prescription_page(request, session, who, row, errors=errors, status=400)
    return RedirectResponse(f"/care/prescriptions/{row.number}?sent={masked[-2:]}", status_code=303)
