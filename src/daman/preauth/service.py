"""Pre-authorisation use cases: request, ask for information, answer, cancel; the
controller's queue and the answer-time figures.

    submitted -> info_requested -> submitted (information supplied: the clock runs again)
    submitted | info_requested -> agreed | partly_agreed | refused   (the answer)
    submitted | info_requested -> cancelled                           (withdrawn)
    agreed | partly_agreed -> invoiced (the facility sent its invoice: see invoices.py)

Every step is a status event (who, when, why); an answer or a question queues a
notification to the requester in the same transaction. The clock (clock.py) is kept in
timestamps on the request: `due_at` moves forward by each pause when the clock resumes, so
ordering the queue by `due_at` orders it by time left.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims import repository as claims_repo
from daman.claims.intake import Limits, coefficient_problem
from daman.claims.reasons import explain, severity
from daman.claims.schemas import Explanation, StatusEventOut
from daman.config import get_settings
from daman.core.dates import BUSINESS_TZ, aware, covers, now, today
from daman.core.errors import FieldError, ValidationFailed
from daman.core.identifiers import allocate
from daman.core.money import apply_rate, format_mad, mul_half_up
from daman.core.schemas import from_row
from daman.documents.schemas import DocumentOut
from daman.notifications import service as notifications
from daman.notifications.texts import render
from daman.preauth import repository as repo
from daman.preauth.clock import Clock, clock, paused_for
from daman.preauth.errors import NotWaitingForInformation, PreauthNotOpen
from daman.preauth.models import (
    OPEN,
    PreauthEvent,
    PreauthLine,
    PreauthRequest,
    PreauthStatus,
)
from daman.preauth.schemas import (
    ClockOut,
    Expected,
    Figures,
    InformationIn,
    InvoiceSummary,
    PlannedLineOut,
    PreauthAction,
    PreauthDecisionIn,
    PreauthIn,
    PreauthOut,
    PreauthSummary,
    PreauthTotals,
    Rights,
)
from daman.providers.models import Provider
from daman.reference.repository import policies, policy_on
from daman.registry.models import Person
from daman.registry.repository import immatriculations, person_by_immatriculation

MAX_QUANTITY = 999


def limit_seconds(row: PreauthRequest) -> int:
    """The answer limit of this request (fixed at submission, kept in due_at)."""
    return int((aware(row.due_at) - aware(row.submitted_at)).total_seconds()) - row.paused_seconds


def clock_of(row: PreauthRequest, at: datetime | None = None) -> Clock:
    if row.status == PreauthStatus.CANCELLED:  # withdrawn: the clock stopped then
        at = aware(row.updated_at)
    return clock(
        submitted_at=aware(row.submitted_at),
        limit_seconds=limit_seconds(row),
        paused_seconds=row.paused_seconds,
        paused_at=aware(row.paused_at) if row.paused_at else None,
        answered_at=aware(row.answered_at) if row.answered_at else None,
        at=at or now(),
    )


def _event(session: Session, row: PreauthRequest, to: PreauthStatus, by: str, reason: str) -> None:
    session.add(
        PreauthEvent(
            request_id=row.id,
            from_status=row.status,
            to_status=to,
            at=now(),
            by=by,
            reason=reason,
        )
    )
    row.status = to


# ---------------------------------------------------------------------------------------
# Request


def request(session: Session, payload: PreauthIn, who: Principal) -> PreauthRequest:
    """Check and store a request; the clock starts now. The counter values it in the same
    request (daman.counter.service.request_preauth)."""
    errs: list[FieldError] = []

    def bad(field: str, reason: str) -> None:
        errs.append(FieldError(field=field, reason=reason))

    patient = person_by_immatriculation(session, payload.patient)
    if patient is None:
        bad("patient", f"unknown patient (no immatriculation {payload.patient})")
    provider = claims_repo.providers(session, [payload.provider_inpe.strip()]).get(
        payload.provider_inpe.strip()
    )
    if provider is None:
        bad("provider_inpe", f"unknown provider (no INPE {payload.provider_inpe})")
    elif who.role == Role.PROVIDER and not who.unrestricted and provider.id != who.provider_id:
        bad("provider_inpe", "a provider asks for its own care only")
    elif not covers(provider.valid_from, provider.valid_to, payload.planned_start):
        bad("provider_inpe", f"provider {provider.inpe} is not practising on the planned start")
    if payload.planned_end is not None and payload.planned_end < payload.planned_start:
        bad("planned_end", f"is before the planned start ({payload.planned_start})")
    if payload.ald_code and not claims_repo.ald_codes(session, [payload.ald_code]):
        bad("ald_code", f"unknown ALD code {payload.ald_code}")
    if not payload.lines:
        bad("lines", "a request needs at least one planned line")
    keys = claims_repo.act_keys(session, [ln.act_key for ln in payload.lines if ln.act_key])
    limits = Limits.of(policy_on(policies(session), today()))  # the claims' limits
    for i, ln in enumerate(payload.lines):
        place = f"lines[{i}]"
        if problem := limits.line_problem(ln.estimate_centimes):
            bad(f"{place}.estimate_centimes", problem)
        if not 1 <= ln.quantity <= MAX_QUANTITY:
            bad(f"{place}.quantity", f"must be between 1 and {MAX_QUANTITY}")
        if ln.act_key and ln.act_key not in keys:
            bad(f"{place}.act_key", f"unknown TNR key {ln.act_key}")
        if problem := coefficient_problem(ln.coefficient):
            bad(f"{place}.coefficient", problem)
    if problem := limits.claim_problem([ln.estimate_centimes for ln in payload.lines], "estimated"):
        bad("lines", problem)
    if errs:
        raise ValidationFailed(errs)
    assert patient is not None and provider is not None
    at = now()
    hours = get_settings().preauth_answer_hours
    row = PreauthRequest(
        number=f"PA{allocate(session, 'preauth')[0]:08d}",
        patient_id=patient.id,
        provider_id=provider.id,
        care_kind=payload.care_kind,
        planned_start=payload.planned_start,
        planned_end=payload.planned_end,
        ald_code=payload.ald_code,
        diagnosis=payload.diagnosis.strip(),
        notify_email=payload.notify_email,
        status=PreauthStatus.SUBMITTED,
        submitted_at=at,
        due_at=at + timedelta(hours=hours),
        paused_seconds=0,
        decision_reason="",
        information_asked="",
        created_at=at,
        created_by=who.actor,
        updated_at=at,
        updated_by=who.actor,
    )
    row.lines = [
        PreauthLine(
            line_no=i + 1,
            category=ln.category,
            act_key=ln.act_key,
            coefficient_milli=None if ln.coefficient is None else int(ln.coefficient * 1000),
            act_code=ln.act_code,
            description=ln.description,
            quantity=ln.quantity,
            estimate_centimes=ln.estimate_centimes,
        )
        for i, ln in enumerate(payload.lines)
    ]
    session.add(row)
    session.flush()
    session.add(
        PreauthEvent(
            request_id=row.id,
            from_status=None,
            to_status=PreauthStatus.SUBMITTED,
            at=at,
            by=who.actor,
            reason=f"requested; answer due within {hours} h",
        )
    )
    session.flush()
    return repo.by_number(session, row.number, who)


# ---------------------------------------------------------------------------------------
# The answer


def decide(
    session: Session, number: str, payload: PreauthDecisionIn, who: Principal
) -> PreauthRequest:
    """Agree (fully or partly), refuse, or ask for more information."""
    row = repo.by_number(session, number, who)
    repo.lock(session, row.id)
    row = repo.by_number(session, number, who)
    if row.status not in OPEN:
        raise PreauthNotOpen(f"pre-authorisation {row.number} is {row.status}: already answered")
    at = now()
    reason = payload.reason.strip()
    if payload.action == PreauthAction.ASK_INFORMATION:
        if row.status == PreauthStatus.INFO_REQUESTED:
            raise NotWaitingForInformation(
                f"{row.number} already waits for information asked on {row.paused_at}"
            )
        if not reason:
            raise ValidationFailed.one("reason", "required: the information asked for")
        _no_agreement_fields(payload)
        row.paused_at, row.information_asked = at, reason
        _event(session, row, PreauthStatus.INFO_REQUESTED, who.actor, reason)
        topic = "preauth_info_requested"
    elif payload.action == PreauthAction.REFUSE:
        if not reason:
            raise ValidationFailed.one("reason", "required when refusing: say why")
        _no_agreement_fields(payload)
        for ln in row.lines:
            ln.agreed_quantity, ln.agreed_base_centimes, ln.agreed_amo_centimes = 0, 0, 0
        _answer(row, at, who, reason)
        _event(session, row, PreauthStatus.REFUSED, who.actor, reason)
        topic = "preauth_refused"
    else:
        status = _agree(row, payload)
        _answer(row, at, who, reason)
        _event(
            session,
            row,
            status,
            who.actor,
            reason or f"valid {row.valid_from}..{row.valid_to}",
        )
        topic = "preauth_agreed"
    row.updated_at, row.updated_by = at, who.actor
    session.flush()
    _notify(session, row, topic, who)
    return repo.by_number(session, row.number, who)


def _no_agreement_fields(payload: PreauthDecisionIn) -> None:
    errs = [
        FieldError(field=name, reason=f"only an agreement carries {name}")
        for name, value in (
            ("valid_from", payload.valid_from),
            ("valid_to", payload.valid_to),
            ("lines", payload.lines),
        )
        if value
    ]
    if errs:
        raise ValidationFailed(errs)


def _agree(row: PreauthRequest, payload: PreauthDecisionIn) -> PreauthStatus:
    """Set the agreed units and bases of each line and the validity; agreed or partly."""
    errs: list[FieldError] = []
    start = payload.valid_from or row.planned_start
    if payload.valid_to is None:
        errs.append(FieldError(field="valid_to", reason="required: the last day covered"))
    elif payload.valid_to < start:
        errs.append(FieldError(field="valid_to", reason=f"is before valid_from ({start})"))
    by_no = {ln.line_no: ln for ln in row.lines}
    given: dict[int, tuple[int, int | None]] = {}
    for i, item in enumerate(payload.lines):
        line = by_no.get(item.line_no)
        if line is None:
            errs.append(FieldError(field=f"lines[{i}].line_no", reason=f"no line {item.line_no}"))
            continue
        if item.line_no in given:
            errs.append(FieldError(field=f"lines[{i}].line_no", reason="given twice"))
        if not 0 <= item.quantity <= line.quantity:
            errs.append(
                FieldError(
                    field=f"lines[{i}].quantity", reason=f"must be between 0 and {line.quantity}"
                )
            )
        if item.base_centimes is not None and not 0 <= item.base_centimes <= line.estimate_centimes:
            errs.append(
                FieldError(
                    field=f"lines[{i}].base_centimes",
                    reason=f"must be between 0 and the estimate {line.estimate_centimes}",
                )
            )
        given[item.line_no] = (item.quantity, item.base_centimes)
    partly = False
    agreed: dict[int, tuple[int, int]] = {}
    for line in row.lines:
        quantity, base = given.get(line.line_no, (line.quantity, None))
        default = mul_half_up(line.base_centimes, max(quantity, 0), line.quantity)
        if base is None:
            if quantity > 0 and default == 0:
                errs.append(
                    FieldError(
                        field="lines",
                        reason=f"line {line.line_no} has no reference price: give base_centimes",
                    )
                )
            base = default
        partly = partly or quantity < line.quantity or base < line.base_centimes
        agreed[line.line_no] = (quantity, base if quantity > 0 else 0)
    if agreed and all(q == 0 for q, _ in agreed.values()):
        errs.append(FieldError(field="lines", reason="nothing agreed: refuse the request instead"))
    if payload.action == PreauthAction.AGREE_PARTLY and not partly:
        errs.append(FieldError(field="lines", reason="nothing is reduced: agree instead"))
    if errs:
        raise ValidationFailed(errs)
    for line in row.lines:
        quantity, base = agreed[line.line_no]
        line.agreed_quantity = quantity
        line.agreed_base_centimes = base
        line.agreed_amo_centimes = apply_rate(base, line.rate_bp)
    row.valid_from, row.valid_to = start, payload.valid_to
    row.agreed_amo_centimes = sum(ln.agreed_amo_centimes or 0 for ln in row.lines)
    row.agreed_patient_centimes = row.estimate_centimes - row.agreed_amo_centimes
    return PreauthStatus.PARTLY_AGREED if partly else PreauthStatus.AGREED


def _answer(row: PreauthRequest, at: datetime, who: Principal, reason: str) -> None:
    """Stop the clock for good and record how long the answer took."""
    if row.paused_at is not None:
        paused = paused_for(aware(row.paused_at), at)
        row.paused_seconds += paused
        row.due_at = aware(row.due_at) + timedelta(seconds=paused)
        row.paused_at = None
    row.answered_at = at
    c = clock_of(row, at)
    row.answer_seconds = c.elapsed_seconds
    row.answered_late = c.elapsed_seconds > c.limit_seconds
    row.decided_by, row.decision_reason = who.actor, reason


def supply_information(
    session: Session, number: str, payload: InformationIn, who: Principal
) -> PreauthRequest:
    """The requester answers the controller's question: the clock runs again."""
    row = repo.by_number(session, number, who)
    repo.lock(session, row.id)
    row = repo.by_number(session, number, who)
    if row.status != PreauthStatus.INFO_REQUESTED or row.paused_at is None:
        raise NotWaitingForInformation(f"{row.number} is {row.status}: no question to answer")
    message = payload.message.strip()
    if not message:
        raise ValidationFailed.one("message", "required: the information asked for")
    at = now()
    paused = paused_for(aware(row.paused_at), at)
    row.paused_seconds += paused
    row.due_at = aware(row.due_at) + timedelta(seconds=paused)
    row.paused_at = None
    _event(session, row, PreauthStatus.SUBMITTED, who.actor, f"information supplied: {message}")
    row.updated_at, row.updated_by = at, who.actor
    session.flush()
    return repo.by_number(session, row.number, who)


def cancel(session: Session, number: str, who: Principal, reason: str) -> PreauthRequest:
    row = repo.by_number(session, number, who)
    repo.lock(session, row.id)
    row = repo.by_number(session, number, who)
    if row.status not in OPEN:
        raise PreauthNotOpen(f"pre-authorisation {row.number} is {row.status}: too late to cancel")
    at = now()
    if row.paused_at is not None:
        paused = paused_for(aware(row.paused_at), at)
        row.paused_seconds += paused
        row.due_at = aware(row.due_at) + timedelta(seconds=paused)
        row.paused_at = None
    _event(session, row, PreauthStatus.CANCELLED, who.actor, reason.strip() or "withdrawn")
    row.updated_at, row.updated_by = at, who.actor
    session.flush()
    return repo.by_number(session, row.number, who)


def takes_documents(row: PreauthRequest) -> None:
    """A document is attached only to an open request (PreauthNotOpen otherwise)."""
    if row.status not in OPEN:
        raise PreauthNotOpen(f"pre-authorisation {row.number} is {row.status}: no more documents")


def _notify(session: Session, row: PreauthRequest, topic: str, who: Principal) -> None:
    """Tell the requester, in the patient's language, in the decision's transaction."""
    patient = immatriculations(session, [row.patient_id]).get(row.patient_id, "")
    lines = "".join(
        f"- {ln.line_no}. {ln.category} {ln.act_key or ''} x{ln.agreed_quantity}: "
        f"{format_mad(ln.agreed_amo_centimes or 0)} MAD\n"
        for ln in row.lines
        if ln.agreed_quantity
    )
    values: dict[str, object] = {
        "number": row.number,
        "patient": patient,
        "status": row.status,
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
        "agreed_amo": f"{format_mad(row.agreed_amo_centimes)} MAD",
        "patient_share": f"{format_mad(row.agreed_patient_centimes)} MAD",
        "lines": lines,
        "reason": row.decision_reason
        if topic != "preauth_info_requested"
        else row.information_asked,
    }
    person = session.get(Person, row.patient_id)
    subject, body = render(topic, person.preferred_language if person else "fr", values)
    notifications.queue(
        session,
        recipient=row.notify_email,
        subject=subject,
        body=body,
        topic=topic,
        reference=row.number,
        actor=who.actor,
    )


# ---------------------------------------------------------------------------------------
# The queue and the figures


def queue(
    session: Session, *, include_paused: bool, limit: int, offset: int
) -> tuple[list[PreauthSummary], int]:
    rows, total = repo.queue(session, include_paused=include_paused, limit=limit, offset=offset)
    return summaries(session, rows), total


def figures(session: Session, start: date | None, end: date | None) -> Figures:
    """Answer-time figures of the requests submitted from `start` to `end` (business dates,
    inclusive; default the last 30 days) and of the requests open now. Aggregates only."""
    end = end or today()
    start = start or end - timedelta(days=29)
    if start > end:
        raise ValidationFailed.one("from", f"is after to ({end})")
    lower = datetime.combine(start, time(), BUSINESS_TZ)
    upper = datetime.combine(end + timedelta(days=1), time(), BUSINESS_TZ)
    rows = repo.submitted_between(session, lower, upper)
    answered = sorted(s for _, s, _ in rows if s is not None)
    late = sum(1 for _, s, lt in rows if s is not None and lt)
    by_status: dict[str, int] = {}
    for status, _, _ in rows:
        by_status[status] = by_status.get(status, 0) + 1
    n_open, overdue, paused = repo.open_counts(session, now())
    minutes = [s // 60 for s in answered]
    return Figures(
        submitted_from=start,
        submitted_to=end,
        limit_hours=get_settings().preauth_answer_hours,
        submitted=len(rows),
        answered=len(answered),
        answered_on_time=len(answered) - late,
        answered_late=late,
        on_time_percent=(
            (Decimal(100 * (len(answered) - late)) / len(answered)).quantize(Decimal("0.1"))
            if answered
            else None
        ),
        median_answer_minutes=int(statistics.median_low(minutes)) if minutes else None,
        p90_answer_minutes=minutes[max(0, -(-9 * len(minutes) // 10) - 1)] if minutes else None,
        max_answer_minutes=minutes[-1] if minutes else None,
        open_waiting_for_fund=n_open,
        open_overdue=overdue,
        waiting_for_information=paused,
        by_status=by_status,
    )


# ---------------------------------------------------------------------------------------
# Views


def clock_out(row: PreauthRequest, at: datetime | None = None) -> ClockOut:
    c = clock_of(row, at)
    return from_row(ClockOut, c, limit_hours=c.limit_seconds // 3600)


def summaries(session: Session, rows: list[PreauthRequest]) -> list[PreauthSummary]:
    numbers = immatriculations(session, sorted({r.patient_id for r in rows}))
    providers = {
        p.id: p.inpe
        for p in (session.get(Provider, pid) for pid in sorted({r.provider_id for r in rows}))
        if p is not None
    }
    at = now()
    return [
        from_row(
            PreauthSummary,
            r,
            patient=numbers.get(r.patient_id, ""),
            provider_inpe=providers.get(r.provider_id, ""),
            clock=clock_out(r, at),
        )
        for r in rows
    ]


def _explained(codes: list[str] | None, values: dict[str, object], lang: str) -> list[Explanation]:
    return [
        Explanation(code=c, severity=severity(c), text=explain(c, lang, **values))
        for c in codes or []
    ]


def preauth_out(
    session: Session, row: PreauthRequest, lang: str, who: Principal | None = None
) -> PreauthOut:
    """The request as ``who`` may see it: staff names shown by role only to insured persons
    and providers (Principal.shown)."""
    summary = summaries(session, [row])[0]
    lines = []
    for ln in row.lines:
        values: dict[str, object] = {
            "amo_centimes": ln.expected_amo_centimes,
            "base_centimes": ln.base_centimes,
            "charged_centimes": ln.estimate_centimes,
            "rate_bp": ln.rate_bp,
            "care_date": row.planned_start,
            "act_key": ln.act_key,
            "ald_code": row.ald_code,
        }
        coefficient = None
        if ln.coefficient_milli is not None:
            coefficient = f"{ln.coefficient_milli / 1000:.3f}".rstrip("0").rstrip(".")
        expected = from_row(
            Expected,
            ln,
            amo_centimes=ln.expected_amo_centimes,
            complementary_centimes=ln.expected_complementary_centimes,
            patient_centimes=ln.expected_patient_centimes,
            reasons=_explained(ln.reasons, values, lang),
        )
        lines.append(from_row(PlannedLineOut, ln, coefficient=coefficient, expected=expected))
    claims = {c.id: c for c in claims_repo.by_ids(session, [i.claim_id for i in row.invoices])}
    invoices = [
        from_row(
            InvoiceSummary,
            claims[i.claim_id],
            claim=claims[i.claim_id].number,
            reference=i.reference,
            sent_at=i.created_at,
        )
        for i in row.invoices
        if i.claim_id in claims
    ]
    return from_row(
        PreauthOut,
        row,
        patient=summary.patient,
        provider_inpe=summary.provider_inpe,
        clock=summary.clock,
        provider_name=row.provider.name,
        rights=Rights(
            covered=row.covered, reason=row.eligibility_reason, regime_code=row.regime_code
        ),
        decided_by=who.shown(row.decided_by) if who and row.decided_by else row.decided_by,
        totals=PreauthTotals.model_validate(row, from_attributes=True),
        lines=lines,
        documents=[DocumentOut.seen_by(d, who) for d in row.documents],
        invoices=invoices,
        history=[StatusEventOut.seen_by(e, who) for e in row.events],
    )
