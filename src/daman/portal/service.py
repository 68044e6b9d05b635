"""The portal's use cases: the family and its rights, a claim's timeline and estimated
payment date, the record of a decision read, the thread of messages with the fund.

Every read of a person or a claim goes through the registry's and claims' services with
the caller's Principal, so an insured person reaches their family only; services flush,
the request commits.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims.models import Claim, ClaimOutcome, ClaimStatus
from daman.claims.requests import received_documents, requested_document
from daman.core.dates import aware, now, today
from daman.core.errors import FieldError, ValidationFailed
from daman.core.i18n import N_, translate
from daman.core.text import bidi_control
from daman.notifications import sms
from daman.portal import repository as repo
from daman.portal.models import DecisionRead, Message
from daman.preauth.repository import invoiced_claims
from daman.prescriptions.repository import third_party_claims
from daman.providers.models import Provider
from daman.registry import dependents
from daman.registry import service as registry
from daman.registry.models import Person
from daman.registry.schemas import EligibilityOut

# -- the family --------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    role: str  # principal, spouse, child (the principal: the account's own person)
    person: Person
    rights: EligibilityOut


def me(session: Session, who: Principal) -> Person:
    """The person of an insured person's account."""
    assert who.person_id is not None, "an insured person's account names its person"
    person = session.get(Person, who.person_id)
    assert person is not None
    return person


def family(session: Session, who: Principal, lang: str, on: date | None = None) -> list[Member]:
    """The account's person, then each dependent linked to them today, each with their
    rights today explained in ``lang`` (the registry's rights check)."""
    on = on or today()
    own = me(session, who)

    def member(person: Person, role: str) -> Member:
        rights = registry.eligibility(session, person.immatriculation, on, who, lang)
        assert isinstance(rights, EligibilityOut)  # the insured get the explained answer
        return Member(role, person, rights)

    members = [member(own, "principal")]
    for d in dependents.list_dependents(session, own.immatriculation, who):
        person = registry.get_person(session, d.person.immatriculation, who)
        members.append(member(person, d.relationship))
    return members


# -- a claim's timeline ------------------------------------------------------------------

# The way a claim goes, and what each step is called on the timeline.
STEPS = (
    (ClaimStatus.RECEIVED, N_("Received by the fund")),
    (ClaimStatus.PENDING_REVIEW, N_("Checked by a medical controller")),
    (ClaimStatus.ADJUDICATED, N_("Decided")),
    (ClaimStatus.APPROVED, N_("Approved for payment")),
    (ClaimStatus.IN_PAYMENT, N_("In a payment batch")),
    (ClaimStatus.PAID, N_("Paid to the bank account")),
)
PAID_TO_PROVIDER = N_("Paid to %(provider)s (tiers payant)")
DOCUMENT_ASKED = N_("The fund asks for a document: %(document)s")
DOCUMENT_RECEIVED = N_("Documents received (%(documents)s): the fund checks the care sheet again")
RETURNED = N_("The bank returned the payment: it is made again")
ORDER = [status for status, _ in STEPS]

# Days from reaching a status to being paid when the fund has not paid enough claims lately
# to tell (the median of the latest paid claims is used once there are MIN_SAMPLE).
TYPICAL_DAYS = {
    ClaimStatus.RECEIVED: 12,
    ClaimStatus.PENDING_REVIEW: 20,
    ClaimStatus.ADJUDICATED: 10,
    ClaimStatus.APPROVED: 7,
    ClaimStatus.IN_PAYMENT: 3,
}
SAMPLE = 500
MIN_SAMPLE = 20
KEEP_SECONDS = 3600.0
_medians: dict[str, tuple[float, float]] = {}  # status -> (monotonic deadline, days)
_lock = threading.Lock()


@dataclass(frozen=True)
class Step:
    label: str  # said in the reader's language
    at: object | None  # when it happened (a datetime), None for a step to come
    done: bool
    current: bool = False
    note: str = ""


def median_days(session: Session, status: ClaimStatus) -> float:
    """Days from ``status`` to paid: the median over the latest paid claims, else typical
    (kept for an hour in the process)."""
    with _lock:
        kept = _medians.get(status)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
    found = repo.days_to_paid(session, status.value, SAMPLE)
    days = statistics.median(found) if len(found) >= MIN_SAMPLE else TYPICAL_DAYS[status]
    with _lock:
        _medians[status] = (time.monotonic() + KEEP_SECONDS, float(days))
    return float(days)


def estimated_payment(session: Session, claim: Claim, on: date | None = None) -> date | None:
    """When the claim should be paid: the day it reached its status plus the days claims
    took from there lately; None when paid or when nothing is to be paid."""
    on = on or today()
    status = ClaimStatus(claim.status)
    if status == ClaimStatus.PAID:
        return None
    decided = status != ClaimStatus.RECEIVED and status != ClaimStatus.PENDING_REVIEW
    if claim.outcome == ClaimOutcome.REJECTED or (decided and claim.payable_centimes <= 0):
        return None
    reached = next(
        (aware(e.at) for e in reversed(claim.events) if e.to_status == status),
        aware(claim.received_at),
    )
    estimate = reached.date() + timedelta(days=round(median_days(session, status)))
    return max(estimate, on + timedelta(days=1))


def timeline(
    claim: Claim, lang: str, estimate: date | None, paid_to: Provider | None = None
) -> list[Step]:
    """The statuses the claim went through, with when, then the steps still to come (the
    payment with its estimated date); a document asked or a payment returned on its day.
    A care sheet the fund pays to its provider (``paid_to``, see `paid_directly`) says so
    at its payment."""
    steps: list[Step] = []
    seen: set[str] = set()

    def said(status: ClaimStatus, label: str) -> str:
        if status == ClaimStatus.PAID and paid_to is not None:
            return translate(PAID_TO_PROVIDER, lang, provider=paid_to.name)
        return translate(label, lang)

    for event in claim.events:
        document = requested_document(event.reason or "")
        if document is not None:
            steps.append(Step(translate(DOCUMENT_ASKED, lang, document=document), event.at, True))
            continue
        received = received_documents(event.reason or "")
        if received is not None:
            said_received = translate(DOCUMENT_RECEIVED, lang, documents=received)
            steps.append(Step(said_received, event.at, True))
            continue
        if event.from_status == ClaimStatus.PAID and event.to_status == ClaimStatus.APPROVED:
            steps.append(Step(translate(RETURNED, lang), event.at, True))
            continue
        label = dict(STEPS).get(ClaimStatus(event.to_status)) if event.to_status in ORDER else None
        if label is not None and event.from_status != event.to_status:
            steps.append(Step(said(ClaimStatus(event.to_status), label), event.at, True))
            seen.add(event.to_status)
    if steps:
        last = max(i for i, s in enumerate(steps) if s.done)
        steps[last] = Step(steps[last].label, steps[last].at, True, True, steps[last].note)
    if estimate is not None:
        position = ORDER.index(ClaimStatus(claim.status))
        for status, label in STEPS[position + 1 :]:
            if status == ClaimStatus.PENDING_REVIEW or status in seen:
                continue
            note = ""
            if status == ClaimStatus.PAID:
                note = translate(N_("Expected around %(date)s"), lang, date=estimate)
            steps.append(Step(said(status, label), None, False, note=note))
    return steps


# -- who is paid -------------------------------------------------------------------------


def paid_directly(session: Session, claim_ids: Sequence[int]) -> dict[int, Provider]:
    """The care sheets among ``claim_ids`` that the fund pays to their provider rather than
    to the family (tiers payant: a facility's invoice under a pre-authorisation, a
    pharmacy's care sheet of medicines for an ALD the patient is exempted for), by claim
    id, each with that provider: what the payment run's payee rule decides
    (daman.payments.service.facility_or_insured)."""
    ids = sorted(set(claim_ids))
    if not ids:
        return {}
    found = invoiced_claims(session, ids) | third_party_claims(session, ids)
    out = {}
    for claim_id, provider_id in found.items():
        provider = session.get(Provider, provider_id)
        if provider is not None:
            out[claim_id] = provider
    return out


def paid_directly_by_number(session: Session, numbers: Sequence[str]) -> dict[str, Provider]:
    """`paid_directly` for care sheets known by their numbers (a page of a list)."""
    ids = repo.claim_ids(session, numbers)
    direct = paid_directly(session, list(ids.values()))
    return {number: direct[i] for number, i in ids.items() if i in direct}


# -- decisions read ----------------------------------------------------------------------

DECIDED = frozenset(
    {ClaimStatus.ADJUDICATED, ClaimStatus.APPROVED, ClaimStatus.IN_PAYMENT, ClaimStatus.PAID}
)


def record_read(session: Session, claim: Claim, who: Principal) -> DecisionRead | None:
    """An insured person opened the claim: when it carries a decision, record that they
    read it (once per decision: a later decision is recorded again)."""
    if who.role != Role.INSURED or who.person_id is None or not claim.events:
        return None
    if claim.status not in DECIDED:
        return None
    event_id = claim.events[-1].id
    found = repo.decision_read(session, claim.id, who.person_id, event_id)
    if found is not None:
        return found
    row = DecisionRead(
        claim_id=claim.id,
        person_id=who.person_id,
        event_id=event_id,
        status=claim.status.value,
        outcome=claim.outcome.value if claim.outcome else None,
        by=who.actor,
        at=now(),
    )
    try:
        with session.begin_nested():  # the same page opened twice at once: one row
            session.add(row)
            session.flush()
    except IntegrityError:
        return repo.decision_read(session, claim.id, who.person_id, event_id)
    return row


# -- messages ----------------------------------------------------------------------------

MAX_MESSAGE = 2000
SHOWN = 100
ANSWERED = N_("Daman: the fund answered your message. Read it in your portal.")


def post_message(
    session: Session,
    person: Person,
    body: str,
    who: Principal,
    claim_number: str | None = None,
) -> Message:
    """Add a message to a person's thread: from the person (an insured person's account)
    or from the fund (staff), who is then told by SMS. ValidationFailed names ``body``."""
    text = body.strip()
    errors = []
    if not text:
        errors.append(FieldError(field="body", reason="write the message"))
    elif len(text) > MAX_MESSAGE:
        errors.append(FieldError(field="body", reason=f"at most {MAX_MESSAGE} characters"))
    elif (found := bidi_control(text)) is not None:
        errors.append(FieldError(field="body", reason=f"holds a control character {found}"))
    if errors:
        raise ValidationFailed(errors)
    from_fund = who.is_staff
    row = Message(
        person_id=person.id,
        from_fund=from_fund,
        body=text,
        claim_number=claim_number,
        by=who.actor,
        at=now(),
    )
    session.add(row)
    session.flush()
    if from_fund:
        sms.queue(
            session,
            phone=person.phone,
            body=translate(ANSWERED, person.preferred_language),
            topic="message_answered",
            reference=person.immatriculation,
            actor=who.actor,
        )
    return row


def decisions_read(session: Session, person: Person, limit: int = 20) -> list[Any]:
    """The decisions the person opened in the portal, newest first, with claim numbers."""
    return repo.reads_by(session, person.id, limit)


def read_thread(session: Session, person: Person, who: Principal) -> list[Message]:
    """The thread as its reader sees it; the other side's messages are marked read."""
    rows = repo.thread(session, person.id, SHOWN)
    repo.mark_read(session, person.id, from_fund=not who.is_staff, at=now())
    return rows
