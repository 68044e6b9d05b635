"""Asking for a document a claim still needs (a prescription, an invoice, a report).

The request is a row of the claim's history (its status does not change: the claim waits
where it is) with what was asked, who asked and when, and, when an e-mail address is given,
a message in the outbox to the insured person or the provider, in the patient's language,
sent after the request commits (daman.notifications). The answer is another row, ``document
received: <files>``, written when documents arrive for a claim with a request open
(daman.adjudication.service.document_received, which also sends the claim back to review);
it answers every request before it. Services only flush.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.claims import repository as repo
from daman.claims.models import Claim, ClaimStatus, ClaimStatusEvent
from daman.core.dates import now
from daman.core.errors import Conflict, FieldError, ValidationFailed
from daman.core.i18n import N_, translate
from daman.notifications import service as notifications

# What a history row of a request starts with (the page says it in the reader's language).
DOCUMENT_REQUESTED = "document requested"
DOCUMENT_RECEIVED = "document received"  # the answer: the files that came, then
# A claim still being settled: once approved for payment, nothing more is asked.
OPEN = frozenset({ClaimStatus.RECEIVED, ClaimStatus.PENDING_REVIEW, ClaimStatus.ADJUDICATED})
MAX_LENGTH = 500

SUBJECT = N_("Care sheet %(number)s: a document is needed")
BODY = N_(
    "To settle the care sheet %(number)s of patient %(patient)s, the health insurance "
    "fund needs:\n"
    "%(document)s\n"
    "Hand it in at an agency of the fund or send it online, with the care sheet's number."
)

_EMAIL = TypeAdapter(EmailStr)


class ClaimClosed(Conflict):
    code = "claim_closed"


class DocumentAwaited(Conflict):
    code = "document_requested"


def ask_for_document(
    session: Session, number: str, document: str, notify_email: str | None, who: Principal
) -> Claim:
    """Record that ``document`` is needed on the claim's history and, when an address is
    given, tell it. ValidationFailed names ``document`` (empty, too long) or
    ``notify_email`` (not an address); ClaimClosed once the claim is approved or paid."""
    document = " ".join(document.split())
    address = (notify_email or "").strip() or None
    errors = []
    if not document:
        errors.append(FieldError(field="document", reason="say which document is needed"))
    elif len(document) > MAX_LENGTH:
        errors.append(FieldError(field="document", reason=f"at most {MAX_LENGTH} characters"))
    if address is not None:
        try:
            address = _EMAIL.validate_python(address)
        except ValidationError:
            errors.append(FieldError(field="notify_email", reason="not an e-mail address"))
    if errors:
        raise ValidationFailed(errors)
    claim = repo.by_number(session, number, who)
    if claim.status not in OPEN:
        raise ClaimClosed(
            f"claim {claim.number} is {claim.status}: documents are asked before approval"
        )
    repo.add_events(
        session,
        [claim.id],
        from_status=claim.status,
        to_status=claim.status,
        at=now(),
        by=who.actor,
        reason=f"{DOCUMENT_REQUESTED}: {document}",
    )
    lang = claim.patient.preferred_language
    values = {
        "number": claim.number,
        "patient": claim.patient.immatriculation,
        "document": document,
    }
    notifications.queue(
        session,
        recipient=address,
        subject=translate(SUBJECT, lang, **values),
        body=translate(BODY, lang, **values),
        topic="claim_document_requested",
        reference=claim.number,
        actor=who.actor,
    )
    session.expire(claim, ["events"])
    return claim


def requested_document(reason: str) -> str | None:
    """What a history row asked for, if it is a request (else None)."""
    prefix = f"{DOCUMENT_REQUESTED}: "
    return reason[len(prefix) :] if reason.startswith(prefix) else None


def received_documents(reason: str) -> str | None:
    """The files a history row says arrived, if it answers a request (else None)."""
    prefix = f"{DOCUMENT_RECEIVED}: "
    return reason[len(prefix) :] if reason.startswith(prefix) else None


class Event(Protocol):
    """A row of a claim's history (a stored status event or its API form)."""

    @property
    def at(self) -> datetime: ...

    @property
    def reason(self) -> str | None: ...


@dataclass(frozen=True)
class Request:
    document: str  # what was asked
    asked_at: datetime
    answered_at: datetime | None  # when documents came for it, None while open


def requests_of(history: Iterable[Event]) -> list[Request]:
    """The documents asked in a claim's history, in order, each answered by the first
    ``document received`` row after it (one answers every request still open)."""
    asked: list[tuple[str, datetime]] = []
    answered: dict[int, datetime] = {}
    for event in history:
        reason = event.reason or ""
        if (document := requested_document(reason)) is not None:
            asked.append((document, event.at))
        elif received_documents(reason) is not None:
            for i in range(len(asked)):
                answered.setdefault(i, event.at)
    return [Request(doc, at, answered.get(i)) for i, (doc, at) in enumerate(asked)]


def open_requests(claim: Claim) -> list[str]:
    """The documents asked for the claim and not answered yet."""
    return [r.document for r in requests_of(claim.events) if r.answered_at is None]


def awaiting_document() -> ColumnElement[bool]:
    """SQL: the claim has a request for a document that no document answered yet (its last
    request is later than its last answer): `open_requests` for many claims at once."""
    event = ClaimStatusEvent

    def last(prefix: str) -> ColumnElement[int]:
        return func.coalesce(
            select(func.max(event.id))
            .where(event.claim_id == Claim.id, event.reason.like(f"{prefix}: %"))
            .scalar_subquery(),
            0,
        )

    return last(DOCUMENT_REQUESTED) > last(DOCUMENT_RECEIVED)
