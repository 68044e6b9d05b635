"""Prescriptions: a doctor writes one; a pharmacy reads it and records the boxes it hands
over. Services only flush: the caller's transaction commits.

**Writing.** Only a doctor (a provider of kind doctor, by its account or API key). Each
line names a medicine on the list in force today (a price row covering today), its dosage,
the treatment's days and the boxes to dispense; the ALD, when given, must be an exemption
of the patient in force today. The number is ``RX`` + 8 digits of a counter + 4 random
digits (numbers cannot be guessed from one another) + a 2-digit mod-97 key (a mistyped
number is refused, not confused with another). A prescription is dispensed within
``VALID_DAYS`` days.

**Dispensing.** Each box scanned at the counter is matched to a line of the prescription:
the same EAN, else a medicine of the same DCI and dosage (a generic); it takes the line's
next free box number. ``record`` writes the boxes; the database's unique constraint on
(line, box number) refuses a box dispensed twice, even by two counters at once
(AlreadyDispensed, and the caller's transaction rolls back: nothing half-saved).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from daman.auth.access import Principal, log_read
from daman.auth.models import ReadLog, Role
from daman.core.dates import now, today
from daman.core.enums import ProviderKind
from daman.core.errors import FieldError, ValidationFailed
from daman.core.i18n import N_, translate
from daman.core.identifiers import allocate, mod97_holds, mod97_key
from daman.core.text import western_digits
from daman.notifications import sms
from daman.prescriptions import repository as repo
from daman.prescriptions.errors import (
    AlreadyDispensed,
    NotADoctor,
    NotAPharmacy,
    PrescriptionClosed,
)
from daman.prescriptions.models import (
    DispensedBox,
    Dispensing,
    Prescription,
    PrescriptionLine,
)
from daman.prescriptions.schemas import (
    MAX_BOXES,
    MAX_DAYS,
    MAX_LINES,
    DispensedBoxOut,
    PrescriptionIn,
    PrescriptionLineOut,
    PrescriptionOut,
)
from daman.providers.models import Provider
from daman.reference import repository as reference
from daman.reference.models import Drug
from daman.registry import repository as registry
from daman.registry.models import Person

# ASSUMPTION: a prescription is dispensed within three months of being written (the usual
# validity of a medical prescription in Morocco); the fund may set another figure.
VALID_DAYS = 90
_NUMBER = re.compile(r"^RX[0-9]{14}$")


# -- numbers -----------------------------------------------------------------------------


def number_of(n: int, code: int) -> str:
    """RX + the counter's value (8 digits) + a random code (4 digits) + the mod-97 key."""
    body = f"{n:08d}{code:04d}"
    return f"RX{body}{mod97_key(body)}"


def normalise(number: str) -> str:
    """A number as typed or scanned: spaces and dashes dropped, Eastern Arabic digits read,
    upper case."""
    return re.sub(r"[\s\-]", "", western_digits(number)).upper()


def number_problem(number: str) -> str | None:
    """Why a typed prescription number cannot be one, or None."""
    if not _NUMBER.fullmatch(number):
        return "RX followed by 14 digits, as printed under the QR code"
    if not mod97_holds(number[2:]):
        return "this number's key does not match: check the digits typed"
    return None


def checked_number(number: str, field: str = "number") -> str:
    found = normalise(number)
    if problem := number_problem(found):
        raise ValidationFailed.one(field, problem)
    return found


# -- who ---------------------------------------------------------------------------------


def provider_of(session: Session, who: Principal) -> Provider | None:
    if who.role != Role.PROVIDER or who.provider_id is None:
        return None
    return session.get(Provider, who.provider_id)


def doctor_of(session: Session, who: Principal) -> Provider:
    found = provider_of(session, who)
    if found is None or found.kind != ProviderKind.DOCTOR:
        raise NotADoctor("only a doctor writes a prescription")
    return found


def pharmacy_of(session: Session, who: Principal) -> Provider:
    found = provider_of(session, who)
    if found is None or found.kind != ProviderKind.PHARMACY:
        raise NotAPharmacy("only a pharmacy dispenses a prescription")
    return found


# -- writing -----------------------------------------------------------------------------


def write(
    session: Session,
    draft: PrescriptionIn,
    who: Principal,
    *,
    visit_claim_id: int | None = None,
    idempotency_key: str | None = None,
    on: date | None = None,
) -> Prescription:
    """Check and store a prescription written by the doctor ``who``; ValidationFailed names
    every field refused (``patient``, ``ald_code``, ``lines``, ``lines[i].drug_code`` ...).
    The same ``idempotency_key`` from the same writer returns the first prescription."""
    doctor = doctor_of(session, who)
    if idempotency_key and (first := repo.by_key(session, who.actor, idempotency_key)):
        return repo.by_number(session, first)
    day = on or today()
    errors: list[FieldError] = []
    patient = registry.person_by_immatriculation(session, draft.patient)
    if patient is None:
        errors.append(FieldError(field="patient", reason="no insured person has this number"))
    elif patient.death_date is not None and patient.death_date <= day:
        errors.append(FieldError(field="patient", reason="this person is recorded as deceased"))
    ald = (draft.ald_code or "").strip().upper() or None
    held = registry.ald_codes_on(session, patient.id, day) if patient is not None else []
    if ald is not None and patient is not None and ald not in held:
        errors.append(
            FieldError(field="ald_code", reason=f"the patient has no {ald} exemption today")
        )
    if not draft.lines:
        errors.append(FieldError(field="lines", reason="prescribe at least one medicine"))
    elif len(draft.lines) > MAX_LINES:
        errors.append(FieldError(field="lines", reason=f"at most {MAX_LINES} medicines"))
    drugs: list[Drug | None] = []
    for i, line in enumerate(draft.lines[:MAX_LINES]):
        code = western_digits(line.drug_code).strip()
        drug = reference.drug_by_code(session, code)
        price = reference.price_at(session, drug.id, day) if drug is not None else None
        if drug is None:
            errors.append(
                FieldError(field=f"lines[{i}].drug_code", reason="no medicine has this code")
            )
        elif price is None:
            errors.append(
                FieldError(
                    field=f"lines[{i}].drug_code",
                    reason=f"{drug.name} is not on the list in force today",
                )
            )
        elif price.ppv_centimes <= 0:  # no public price: hospital use only (PH)
            errors.append(
                FieldError(
                    field=f"lines[{i}].drug_code",
                    reason=f"{drug.name} is sold to hospitals only: no pharmacy dispenses it",
                )
            )
        drugs.append(drug)
        if not " ".join(line.dosage.split()):
            errors.append(FieldError(field=f"lines[{i}].dosage", reason="say how to take it"))
        if not 1 <= line.duration_days <= MAX_DAYS:
            errors.append(
                FieldError(field=f"lines[{i}].duration_days", reason=f"1 to {MAX_DAYS} days")
            )
        if not 1 <= line.boxes <= MAX_BOXES:
            errors.append(FieldError(field=f"lines[{i}].boxes", reason=f"1 to {MAX_BOXES} boxes"))
    if errors:
        raise ValidationFailed(errors)
    assert patient is not None
    n = allocate(session, "prescription")[0]
    row = Prescription(
        number=number_of(n, secrets.randbelow(10_000)),
        patient_id=patient.id,
        prescriber_id=doctor.id,
        prescribed_on=day,
        valid_until=day + timedelta(days=VALID_DAYS),
        ald_code=ald,
        visit_claim_id=visit_claim_id,
        idempotency_key=idempotency_key,
        created_by=who.actor,
        updated_by=who.actor,
    )
    session.add(row)
    session.flush()
    for i, (line, drug) in enumerate(zip(draft.lines, drugs, strict=True)):
        assert drug is not None
        session.add(
            PrescriptionLine(
                prescription_id=row.id,
                line_no=i + 1,
                drug_id=drug.id,
                dosage=" ".join(line.dosage.split()),
                duration_days=line.duration_days,
                boxes=line.boxes,
            )
        )
    session.flush()
    return repo.by_number(session, row.number)


# -- reading -----------------------------------------------------------------------------


def get(session: Session, number: str, who: Principal) -> Prescription:
    """A prescription ``who`` may see (PrescriptionNotFound otherwise, or for a number that
    cannot be one). Staff reads are logged, and so is every pharmacy's read of a
    prescription it did not write (a pharmacy may open any prescription)."""
    found = normalise(number)
    if number_problem(found):
        raise repo.PrescriptionNotFound(f"no prescription numbered {number}")
    row = repo.by_number(session, found, who)
    if who.role == Role.PROVIDER and who.provider_id != row.prescriber_id:
        session.add(
            ReadLog(
                at=now(), actor=who.actor, role=who.role.value, what="prescription", key=row.number
            )
        )
    else:
        log_read(session, who, "prescription", row.number)
    return row


def boxes_left(line: PrescriptionLine) -> int:
    return line.boxes - len(line.dispensed)


def dispensable(row: Prescription, on: date | None = None) -> bool:
    day = on or today()
    return row.prescribed_on <= day <= row.valid_until and any(
        boxes_left(ln) > 0 for ln in row.lines
    )


def prescription_out(row: Prescription) -> PrescriptionOut:
    claim_of = {b.id: b.dispensing for ln in row.lines for b in ln.dispensed}
    return PrescriptionOut(
        number=row.number,
        patient=row.patient.immatriculation,
        prescriber=row.prescriber.inpe,
        prescriber_name=row.prescriber.name,
        prescribed_on=row.prescribed_on,
        valid_until=row.valid_until,
        ald_code=row.ald_code,
        dispensable=dispensable(row),
        lines=[
            PrescriptionLineOut(
                line_no=ln.line_no,
                drug_code=ln.drug.code,
                drug_name=ln.drug.name,
                dosage=ln.dosage,
                duration_days=ln.duration_days,
                boxes=ln.boxes,
                boxes_left=boxes_left(ln),
                dispensed=[
                    DispensedBoxOut(
                        box_no=b.box_no,
                        ean=b.ean,
                        claim=claim_of[b.id].claim_number,
                        dispensed_at=claim_of[b.id].dispensed_at,
                    )
                    for b in ln.dispensed
                ],
            )
            for ln in row.lines
        ],
    )


# -- dispensing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A box scanned at the counter, matched to a line of the prescription."""

    ean: str
    drug: Drug
    line: PrescriptionLine
    generic: bool  # another medicine of the same DCI and dosage than the one prescribed


def _same_medicine(a: Drug, b: Drug) -> bool:
    return bool(a.dci) and (a.dci, a.dosage, a.dosage_unit) == (b.dci, b.dosage, b.dosage_unit)


def match(
    session: Session, row: Prescription, eans: Sequence[str], on: date | None = None
) -> list[Box]:
    """Each EAN scanned matched to a line with a box left (ValidationFailed naming
    ``boxes[i]`` for each box that cannot be dispensed, PrescriptionClosed when the
    prescription has expired or has no box left)."""
    day = on or today()
    if day > row.valid_until:
        raise PrescriptionClosed(
            f"prescription {row.number} expired on {row.valid_until.isoformat()}"
        )
    if not dispensable(row, day):
        raise PrescriptionClosed(f"every box of prescription {row.number} is dispensed")
    left = {ln.id: boxes_left(ln) for ln in row.lines}
    out: list[Box] = []
    errors: list[FieldError] = []
    if not eans:
        errors.append(FieldError(field="boxes", reason="scan the barcode of each box handed over"))
    for i, typed in enumerate(eans):
        ean = western_digits(typed).strip()
        drug = reference.drug_by_code(session, ean)
        if drug is None:
            errors.append(
                FieldError(field=f"boxes[{i}]", reason=f"no medicine has the barcode {ean}")
            )
            continue
        same = [ln for ln in row.lines if ln.drug_id == drug.id]
        generic = [
            ln for ln in row.lines if ln.drug_id != drug.id and _same_medicine(ln.drug, drug)
        ]
        candidates = same + generic
        line = next((ln for ln in candidates if left[ln.id] > 0), None)
        if line is None:
            reason = (
                f"every box of {drug.name} prescribed is dispensed already"
                if candidates
                else f"{drug.name} is not on this prescription"
            )
            errors.append(FieldError(field=f"boxes[{i}]", reason=reason))
            continue
        left[line.id] -= 1
        out.append(Box(ean=ean, drug=drug, line=line, generic=line.drug_id != drug.id))
    if errors:
        raise ValidationFailed(errors)
    return out


def record(
    session: Session,
    row: Prescription,
    boxes: Sequence[Box],
    *,
    claim_id: int,
    claim_number: str,
    claim_line_of: dict[str, int],
    third_party: bool,
    who: Principal,
) -> Dispensing:
    """Record the boxes handed over, each with the next free box number of its line, on
    the care sheet that bills them (``claim_line_of``: EAN -> the sheet's line number).
    AlreadyDispensed when another counter took one of these boxes in the meantime."""
    pharmacy = pharmacy_of(session, who)
    taken = {ln.id: {b.box_no for b in ln.dispensed} for ln in row.lines}
    try:
        with session.begin_nested():
            dispensing = Dispensing(
                prescription_id=row.id,
                claim_id=claim_id,
                claim_number=claim_number,
                pharmacy_id=pharmacy.id,
                third_party=third_party,
                dispensed_at=now(),
                dispensed_by=who.actor,
            )
            for box in boxes:
                free = range(1, box.line.boxes + 1)
                number = next(n for n in free if n not in taken[box.line.id])
                taken[box.line.id].add(number)
                dispensing.boxes.append(
                    DispensedBox(
                        line_id=box.line.id,
                        box_no=number,
                        ean=box.ean,
                        claim_line_no=claim_line_of[box.ean],
                    )
                )
            session.add(dispensing)
            session.flush()
    except IntegrityError as exc:
        raise AlreadyDispensed(
            f"a box of prescription {row.number} was dispensed by another counter in the "
            f"meantime: read the prescription again"
        ) from exc
    return dispensing


# -- sent to the patient's phone ---------------------------------------------------------

SMS_TEXT = N_(
    "Prescription %(number)s of %(date)s by %(doctor)s for %(patient)s: %(medicines)s. "
    "Show this number at any pharmacy until %(until)s."
)


def phone_of(session: Session, row: Prescription) -> str | None:
    """The patient's mobile number, or for a dependent without one their principal's."""
    if sms.national(row.patient.phone):
        return row.patient.phone
    link = registry.open_link(session, row.patient_id, today())
    if link is not None:
        principal = session.get(Person, link.principal_id)
        if principal is not None and sms.national(principal.phone):
            return principal.phone
    return None


def send_to_phone(session: Session, row: Prescription, who: Principal) -> str:
    """Queue the prescription's number and medicines as an SMS to the patient's phone (the
    outbox sends it once this transaction commits), in the patient's language; the number
    it goes to, masked but its last two digits. ValidationFailed (``phone``) when no mobile
    number is recorded for the patient or their principal insured."""
    phone = phone_of(session, row)
    lang = row.patient.preferred_language or "fr"
    text = translate(
        SMS_TEXT,
        lang,
        number=row.number,
        date=row.prescribed_on,
        doctor=row.prescriber.name,
        patient=f"{row.patient.first_name} {row.patient.last_name[:1]}.",
        medicines=", ".join(f"{ln.drug.name} x{ln.boxes}" for ln in row.lines),
        until=row.valid_until,
    )
    queued = sms.queue(
        session, phone=phone, body=text, topic="prescription", reference=row.number, actor=who.actor
    )
    if queued is None:
        raise ValidationFailed.one(
            "phone", "no mobile number is recorded for the patient: print the prescription"
        )
    return "•" * 6 + queued.phone[-2:]
