"""ALD/ALC exemption use cases: request (with evidence), grant or refuse, renew.

    requested -> granted (an AldExemption row for a period) | refused (with the reason)
    requested -> cancelled (withdrawn by the requester)

Each step is a status event (who, when, why) and, for a decision, a notification to the
requester queued in the same transaction. A grant creates an `AldExemption` row: from then
on the engine rates the lines linked to the disease at the ALD rate of the regime, and the
registry keeps the patient's rights as rules.md says, both only while the period covers
the date of care, so an exemption that expired stops applying by itself. A renewal is a
new request naming the exemption it extends; its grant starts the day after that one ends
(periods of the same disease never overlap).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.claims.schemas import StatusEventOut
from daman.config import get_settings
from daman.core.dates import add_months, covers, now, today
from daman.core.errors import FieldError, ValidationFailed
from daman.core.identifiers import allocate
from daman.core.schemas import from_row
from daman.documents.schemas import DocumentOut
from daman.exemptions import repository as repo
from daman.exemptions.errors import (
    AlreadyExempted,
    ExemptionOverlaps,
    RequestAlreadyOpen,
    RequestNotOpen,
)
from daman.exemptions.models import (
    AldExemptionRequest,
    AldRequestEvent,
    RequestKind,
    RequestStatus,
)
from daman.exemptions.schemas import (
    AldAction,
    AldDecisionIn,
    AldExemptionOut,
    AldRequestIn,
    AldRequestOut,
    AldRequestSummary,
    ExemptionState,
    RenewalIn,
)
from daman.notifications import service as notifications
from daman.notifications.texts import FOREVER, render
from daman.providers.models import Provider
from daman.reference.models import AldDisease, AldKind
from daman.registry.models import AldExemption, Person
from daman.registry.repository import immatriculations, person_by_immatriculation


def _disease(session: Session, code: str) -> AldDisease | None:
    return session.scalar(select(AldDisease).where(AldDisease.code == code.strip().upper()))


def _doctor(session: Session, inpe: str | None) -> Provider | None:
    if not inpe:
        return None
    return session.scalar(select(Provider).where(Provider.inpe == inpe.strip()))


def _event(
    session: Session, row: AldExemptionRequest, to: RequestStatus, by: str, reason: str
) -> None:
    session.add(
        AldRequestEvent(
            request_id=row.id,
            from_status=None if to == RequestStatus.REQUESTED and not row.events else row.status,
            to_status=to,
            at=now(),
            by=by,
            reason=reason,
        )
    )


def _create(
    session: Session,
    *,
    person: Person,
    disease: AldDisease,
    kind: RequestKind,
    renews: AldExemption | None,
    start: date,
    icd10: str,
    evidence: str,
    doctor: Provider | None,
    notify_email: str | None,
    who: Principal,
) -> AldExemptionRequest:
    if repo.open_request(session, person.id, disease.code) is not None:
        raise RequestAlreadyOpen(
            f"{person.immatriculation} already has an open request for {disease.code}"
        )
    at = now()
    row = AldExemptionRequest(
        number=f"EX{allocate(session, 'ald_request')[0]:08d}",
        person_id=person.id,
        ald_code=disease.code,
        kind=kind,
        renews_id=renews.id if renews else None,
        status=RequestStatus.REQUESTED,
        requested_from=start,
        icd10=icd10.strip(),
        evidence=evidence.strip(),
        doctor_id=doctor.id if doctor else None,
        notify_email=notify_email,
        requested_at=at,
        decision_reason="",
        created_at=at,
        created_by=who.actor,
        updated_at=at,
        updated_by=who.actor,
    )
    session.add(row)
    session.flush()
    session.add(
        AldRequestEvent(
            request_id=row.id,
            from_status=None,
            to_status=RequestStatus.REQUESTED,
            at=at,
            by=who.actor,
            reason="renewal requested" if renews else "exemption requested",
        )
    )
    session.flush()
    return row


def request(session: Session, payload: AldRequestIn, who: Principal) -> AldExemptionRequest:
    """A first request for a disease (a renewal goes through `renew`)."""
    errs: list[FieldError] = []
    person = person_by_immatriculation(session, payload.patient, who)
    if person is None:
        errs.append(FieldError(field="patient", reason="unknown patient, or not one of yours"))
    disease = _disease(session, payload.ald_code)
    start = payload.requested_from or today()
    if disease is None:
        errs.append(FieldError(field="ald_code", reason=f"not on the ALD list: {payload.ald_code}"))
    elif not covers(disease.valid_from, disease.valid_to, start):
        errs.append(FieldError(field="ald_code", reason=f"not on the ALD list on {start}"))
    errs += _evidence_problems(session, payload.evidence, payload.doctor_inpe)
    if errs:
        raise ValidationFailed(errs)
    assert person is not None and disease is not None
    current = repo.overlapping(session, person.id, disease.code, start, start)
    if current is not None:
        raise AlreadyExempted(
            f"{person.immatriculation} is exempted for {disease.code} from "
            f"{current.valid_from} to {current.valid_to or 'no end date'} (exemption "
            f"{current.id}): ask for its renewal instead"
        )
    return _create(
        session,
        person=person,
        disease=disease,
        kind=RequestKind.FIRST,
        renews=None,
        start=start,
        icd10=payload.icd10,
        evidence=payload.evidence,
        doctor=_doctor(session, payload.doctor_inpe),
        notify_email=payload.notify_email,
        who=who,
    )


def _evidence_problems(
    session: Session, evidence: str, doctor_inpe: str | None
) -> list[FieldError]:
    errs: list[FieldError] = []
    if not evidence.strip():
        errs.append(FieldError(field="evidence", reason="required: the medical summary"))
    if doctor_inpe and _doctor(session, doctor_inpe) is None:
        errs.append(FieldError(field="doctor_inpe", reason=f"unknown provider {doctor_inpe}"))
    return errs


def renew(
    session: Session, exemption_id: int, payload: RenewalIn, who: Principal
) -> AldExemptionRequest:
    """A request to extend an exemption beyond its end."""
    current = repo.exemption_by_id(session, exemption_id, who)
    if current.valid_to is None:
        raise AlreadyExempted(f"exemption {current.id} has no end date: nothing to renew")
    later = [
        e
        for e in repo.exemptions_of(session, current.person_id, current.ald_code)
        if e.valid_from > current.valid_to
    ]
    if later:
        raise AlreadyExempted(
            f"exemption {current.id} was already renewed (exemption {later[0].id} from "
            f"{later[0].valid_from})"
        )
    errs = _evidence_problems(session, payload.evidence, payload.doctor_inpe)
    start = payload.requested_from or current.valid_to + timedelta(days=1)
    if start <= current.valid_to:
        errs.append(
            FieldError(
                field="requested_from", reason=f"must be after the current end {current.valid_to}"
            )
        )
    if errs:
        raise ValidationFailed(errs)
    person = session.get(Person, current.person_id)
    disease = _disease(session, current.ald_code)
    assert person is not None and disease is not None
    return _create(
        session,
        person=person,
        disease=disease,
        kind=RequestKind.RENEWAL,
        renews=current,
        start=start,
        icd10=payload.icd10,
        evidence=payload.evidence,
        doctor=_doctor(session, payload.doctor_inpe),
        notify_email=payload.notify_email,
        who=who,
    )


def decide(
    session: Session, number: str, decision: AldDecisionIn, who: Principal
) -> AldExemptionRequest:
    """Grant the exemption for a period, or refuse it with the reason."""
    row = repo.request_by_number(session, number, who)
    row = repo.request_for_update(session, row.id)
    if row.status != RequestStatus.REQUESTED:
        raise RequestNotOpen(f"request {row.number} is {row.status}: it was already answered")
    if decision.action == AldAction.REFUSE:
        return _refuse(session, row, decision.reason.strip(), who)
    return _grant(session, row, decision, who)


def _grant(
    session: Session, row: AldExemptionRequest, decision: AldDecisionIn, who: Principal
) -> AldExemptionRequest:
    start = decision.valid_from or row.requested_from
    if decision.for_life:
        end = None
    elif decision.valid_to is not None:
        end = decision.valid_to
    else:
        anniversary = add_months(start, 12 * get_settings().ald_default_years)
        if anniversary.day < start.day:  # 29 February's is 1 March in a common year (age_on)
            anniversary += timedelta(days=1)
        end = anniversary - timedelta(days=1)
    if end is not None and end < start:
        raise ValidationFailed(
            [FieldError(field="valid_to", reason=f"is before the start {start}")]
        )
    if decision.for_life and decision.valid_to is not None:
        raise ValidationFailed(
            [FieldError(field="valid_to", reason="a grant for life has no end date")]
        )
    other = repo.overlapping(session, row.person_id, row.ald_code, start, end)
    if other is not None:
        raise ExemptionOverlaps(
            f"exemption {other.id} already covers {row.ald_code} from {other.valid_from} to "
            f"{other.valid_to or 'no end date'}: periods of a disease never overlap"
        )
    reason = decision.reason.strip()
    exemption = AldExemption(
        person_id=row.person_id,
        ald_code=row.ald_code,
        valid_from=start,
        valid_to=end,
        reference=row.number,
        note=reason,
        created_by=who.actor,
        updated_by=who.actor,
    )
    session.add(exemption)
    session.flush()
    _event(session, row, RequestStatus.GRANTED, who.actor, reason or "exemption granted")
    _decided(row, RequestStatus.GRANTED, reason, who)
    row.exemption_id = exemption.id
    session.flush()
    session.refresh(row, ["exemption"])
    _notify(session, row, "ald_granted", reason, start, end, who)
    return row


def _refuse(
    session: Session, row: AldExemptionRequest, reason: str, who: Principal
) -> AldExemptionRequest:
    if not reason:
        raise ValidationFailed(
            [FieldError(field="reason", reason="required when refusing: say why")]
        )
    _event(session, row, RequestStatus.REFUSED, who.actor, reason)
    _decided(row, RequestStatus.REFUSED, reason, who)
    session.flush()
    _notify(session, row, "ald_refused", reason, None, None, who)
    return row


def _decided(row: AldExemptionRequest, status: RequestStatus, reason: str, who: Principal) -> None:
    row.status = status
    row.decided_at = now()
    row.decided_by = who.actor
    row.decision_reason = reason
    row.updated_by = who.actor


def _notify(
    session: Session,
    row: AldExemptionRequest,
    topic: str,
    reason: str,
    start: date | None,
    end: date | None,
    who: Principal,
) -> None:
    """Tell the requester, in the patient's language, in the decision's transaction."""
    person = session.get(Person, row.person_id)
    lang = person.preferred_language if person else "fr"
    values: dict[str, object] = {
        "number": row.number,
        "patient": person.immatriculation if person else "",
        "ald_code": row.ald_code,
        "ald_name": _disease_name(session, row.ald_code),
        "valid_from": start,
        "valid_to": end if end is not None else FOREVER,
        "reason": reason if topic == "ald_refused" else (f"\n{reason}" if reason else ""),
    }
    subject, body = render(topic, lang, values)
    notifications.queue(
        session,
        recipient=row.notify_email,
        subject=subject,
        body=body,
        topic=topic,
        reference=row.number,
        actor=who.actor,
    )


def cancel(session: Session, number: str, who: Principal) -> AldExemptionRequest:
    """Withdraw a request that was not answered yet."""
    row = repo.request_by_number(session, number, who)
    row = repo.request_for_update(session, row.id)
    if row.status != RequestStatus.REQUESTED:
        raise RequestNotOpen(f"request {row.number} is {row.status}: it cannot be cancelled")
    _event(session, row, RequestStatus.CANCELLED, who.actor, "withdrawn by the requester")
    row.status = RequestStatus.CANCELLED
    row.updated_by = who.actor
    session.flush()
    return row


def takes_documents(row: AldExemptionRequest) -> None:
    """Evidence is attached only to an open request (RequestNotOpen otherwise)."""
    if row.status != RequestStatus.REQUESTED:
        raise RequestNotOpen(f"request {row.number} is {row.status}: no more documents")


def _disease_name(session: Session, code: str) -> str:
    disease = _disease(session, code)
    return disease.name_fr if disease else code


# ---------------------------------------------------------------------------------------
# Views


def state_of(row: AldExemption, on: date) -> ExemptionState:
    if on < row.valid_from:
        return ExemptionState.UPCOMING
    if row.valid_to is not None and on > row.valid_to:
        return ExemptionState.EXPIRED
    return ExemptionState.ACTIVE


def exemption_out(
    session: Session,
    row: AldExemption,
    patient: str | None = None,
    who: Principal | None = None,
) -> AldExemptionOut:
    """A granted exemption as ``who`` may see it (staff shown by role only to the insured:
    Principal.shown)."""
    disease = _disease(session, row.ald_code)
    if patient is None:
        patient = immatriculations(session, [row.person_id]).get(row.person_id, "")
    return from_row(
        AldExemptionOut,
        row,
        patient=patient,
        ald_name=disease.name_fr if disease else row.ald_code,
        kind=disease.kind if disease else AldKind.ALD,
        state=state_of(row, today()),
        granted_at=row.created_at,
        granted_by=who.shown(row.created_by) if who is not None else row.created_by,
    )


def request_out(
    session: Session, row: AldExemptionRequest, who: Principal | None = None
) -> AldRequestOut:
    """A request as ``who`` may see it: staff names shown by role only to the insured
    (Principal.shown)."""
    patient = immatriculations(session, [row.person_id]).get(row.person_id, "")
    doctor = session.get(Provider, row.doctor_id) if row.doctor_id else None
    return from_row(
        AldRequestOut,
        row,
        patient=patient,
        ald_name=_disease_name(session, row.ald_code),
        renews=row.renews_id,
        doctor_inpe=doctor.inpe if doctor else None,
        requested_by=who.shown(row.created_by) if who is not None else row.created_by,
        decided_by=who.shown(row.decided_by) if who and row.decided_by else row.decided_by,
        exemption=(exemption_out(session, row.exemption, patient, who) if row.exemption else None),
        documents=[DocumentOut.seen_by(d, who) for d in row.documents],
        history=[StatusEventOut.seen_by(e, who) for e in row.events],
    )


def summaries(session: Session, rows: list[AldExemptionRequest]) -> list[AldRequestSummary]:
    numbers = immatriculations(session, sorted({r.person_id for r in rows}))
    return [from_row(AldRequestSummary, r, patient=numbers.get(r.person_id, "")) for r in rows]
