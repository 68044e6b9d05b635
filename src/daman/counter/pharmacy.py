"""The pharmacy's counter and the doctor's visit: where prescriptions meet care sheets.

**The doctor's visit** (`record_visit`): the consultation, when billed, is a care sheet
submitted like any other (`service.submit_claim`: checked, stored, valued by the engine);
the prescription written at it is stored with a link to that sheet. One transaction: both
or neither. The form's Idempotency-Key makes a double click store them once.

**The pharmacy's counter.** The pharmacist reads the prescription (its QR code holds the
number) and scans each box handed over. `value` is the real-time valuation of those boxes
as a care sheet, a dry run (`service.value_claim`: the same checks, context and engine as
submitting, nothing written): for each line what AMO and the mutual pay and what the
patient pays. `dispense` submits that care sheet (`service.submit_claim`) and records each
box against the prescription (daman.prescriptions: a box is never dispensed twice, the
database refuses it). Medicines for an ALD the patient is exempted for today, on a
prescription written for that ALD, are billed to the fund directly (tiers payant): the
patient pays only their share at the counter and the fund pays the pharmacy (the payment
run's payee rule, daman.payments.service.facility_or_insured); any other sheet is paid by
the patient at the counter and reimbursed to the insured.

A care sheet line is one medicine (an EAN) with the number of its boxes, charged at its
public price (PPV) on the list in force today.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.claims import repository as claims_repo
from daman.claims.models import Claim
from daman.claims.schemas import ClaimIn, ClaimLineIn
from daman.core.dates import today
from daman.core.enums import CareCategory
from daman.core.errors import FieldError, ValidationFailed
from daman.counter import service
from daman.prescriptions import repository as prescriptions_repo
from daman.prescriptions import service as prescriptions
from daman.prescriptions.models import Dispensing, Prescription
from daman.prescriptions.schemas import PrescriptionIn
from daman.reference import repository as reference
from daman.registry import repository as registry


@dataclass(frozen=True)
class Valuation:
    """The boxes scanned, valued: the care sheet (a dry run, or stored once dispensed)."""

    prescription: Prescription
    boxes: list[prescriptions.Box]
    claim: Claim
    third_party: bool  # tiers payant: the fund pays the pharmacy

    @property
    def patient_pays_now(self) -> int:
        """What the patient pays at the counter: their share under tiers payant, else the
        whole price (the fund then reimburses the insured)."""
        return self.claim.patient_centimes if self.third_party else self.claim.charged_centimes


@dataclass(frozen=True)
class Dispensed(Valuation):
    dispensing: Dispensing | None = None


def _sheet(
    session: Session, row: Prescription, boxes: Sequence[prescriptions.Box], inpe: str
) -> tuple[ClaimIn, dict[str, int]]:
    """The care sheet of the boxes (one line per EAN, in the order first scanned) and each
    EAN's line number on it."""
    day = today()
    count = Counter(box.ean for box in boxes)
    first = {box.ean: box for box in reversed(boxes)}
    ald = row.ald_code
    if ald is not None and ald not in registry.ald_codes_on(session, row.patient_id, day):
        ald = None  # the exemption ended since the prescription was written
    lines, errors = [], []
    for ean in count:
        price = reference.price_at(session, first[ean].drug.id, day)
        where = next(i for i, b in enumerate(boxes) if b.ean == ean)
        if price is None:
            reason = f"{first[ean].drug.name} is not on the list in force today"
            errors.append(FieldError(field=f"boxes[{where}]", reason=reason))
            continue
        if price.ppv_centimes <= 0:  # no public price: a hospital product (PH only)
            reason = f"{first[ean].drug.name} is sold to hospitals only: no pharmacy dispenses it"
            errors.append(FieldError(field=f"boxes[{where}]", reason=reason))
            continue
        lines.append(
            ClaimLineIn(
                category=CareCategory.MEDICINE,
                care_date=day,
                provider_inpe=inpe,
                charged_centimes=price.ppv_centimes * count[ean],
                quantity=count[ean],
                drug_code=ean,
                prescriber_inpe=row.prescriber.inpe,
                prescription_date=row.prescribed_on,
                ald_code=ald,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    draft = ClaimIn(patient=row.patient.immatriculation, ald_code=ald, lines=lines)
    return draft, {ean: n + 1 for n, ean in enumerate(count)}


def _third_party(draft: ClaimIn, claim: Claim) -> bool:
    return draft.ald_code is not None and claim.payable_centimes > 0


def value(session: Session, number: str, eans: Sequence[str], who: Principal) -> Valuation:
    """The real-time valuation of the boxes scanned against a prescription, nothing
    written: ValidationFailed naming ``boxes[i]`` for a box that cannot be dispensed."""
    pharmacy = prescriptions.pharmacy_of(session, who)
    row = prescriptions.get(session, number, who)
    boxes = prescriptions.match(session, row, eans)
    draft, _ = _sheet(session, row, boxes, pharmacy.inpe)
    claim = service.value_claim(session, draft, who=who)
    return Valuation(row, boxes, claim, _third_party(draft, claim))


def dispense(
    session: Session, number: str, eans: Sequence[str], key: str | None, who: Principal
) -> tuple[Dispensed, bool]:
    """Submit the care sheet of the boxes and record them against the prescription, in the
    caller's transaction; False with the first dispensing for a replay of ``key``.
    AlreadyDispensed when another counter dispensed one of the boxes meanwhile."""
    pharmacy = prescriptions.pharmacy_of(session, who)
    if key and (first := claims_repo.by_key(session, who.actor, key)) is not None:
        done = prescriptions_repo.dispensing_of_claim(session, first.id)
        if done is not None:
            row = prescriptions.get(session, number, who)
            claim = claims_repo.by_number(session, first.number)
            return Dispensed(row, [], claim, done.third_party, done), False
    row = prescriptions.get(session, number, who)
    boxes = prescriptions.match(session, row, eans)
    draft, line_of = _sheet(session, row, boxes, pharmacy.inpe)
    claim, _created = service.submit_claim(
        session, draft, actor=who.actor, idempotency_key=key, who=who
    )
    third_party = _third_party(draft, claim)
    dispensing = prescriptions.record(
        session,
        row,
        boxes,
        claim_id=claim.id,
        claim_number=claim.number,
        claim_line_of=line_of,
        third_party=third_party,
        who=who,
    )
    row = prescriptions_repo.by_number(session, row.number)
    return Dispensed(row, boxes, claim, third_party, dispensing), True


def record_visit(
    session: Session,
    *,
    patient: str,
    consultation: ClaimLineIn | None,
    prescription: PrescriptionIn | None,
    key: str,
    who: Principal,
) -> tuple[Claim | None, Prescription | None]:
    """The doctor's visit to ``patient`` (immatriculation): the consultation's care sheet
    (when billed) and the prescription (when written, for the same patient), in the
    caller's transaction. ValidationFailed names the fields refused; a replay of ``key``
    returns what the first stored."""
    if consultation is None and prescription is None:
        raise ValidationFailed.one("action", "bill a consultation or prescribe a medicine")
    prescriptions.doctor_of(session, who)
    if prescription is not None and prescription.patient != patient:
        raise ValidationFailed.one("patient", "the prescription is for another patient")
    claim = None
    if consultation is not None:
        draft = ClaimIn(patient=patient, lines=[consultation])
        try:
            claim, created = service.submit_claim(
                session, draft, actor=who.actor, idempotency_key=key, who=who
            )
        except ValidationFailed as exc:  # the consultation's fields, named as such
            found = exc.detail if isinstance(exc.detail, list) else []
            raise ValidationFailed(
                [FieldError(field=_consultation_field(e.field), reason=e.reason) for e in found]
                or [FieldError(field="consultation", reason=str(exc.detail))],
                code=exc.code,
            ) from exc
        if not created:
            number = prescriptions_repo.of_visit(session, claim.id)
            return claim, prescriptions.get(session, number, who) if number else None
    written = None
    if prescription is not None:
        written = prescriptions.write(
            session,
            prescription,
            who,
            visit_claim_id=claim.id if claim is not None else None,
            idempotency_key=key,
        )
    return claim, written


def _consultation_field(field: str) -> str:
    """A care sheet's field as the visit's form names it: ``lines[0].act_key`` ->
    ``consultation.act_key``; the patient stays the patient."""
    if field == "patient":
        return field
    last = field.split(".")[-1]
    return (
        "consultation"
        if "[" in last or last.isdigit() or last == "lines"
        else f"consultation.{last}"
    )
