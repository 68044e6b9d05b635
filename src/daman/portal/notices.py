"""Decisions with consequences told to the insured person by SMS, through the outbox.

`tell_decisions` reads the claims' status events after its mark, in order, and queues an SMS
for each one that changes something for the person:

- a claim decided with part or all of it refused (``claim_decided``): what is paid of what
  was charged, and that the portal says why and what to do;
- a claim paid (``claim_paid``): the amount sent to the bank account (not a care sheet the
  fund pays to its provider, tiers payant: nothing reaches the person's account);
- a document the fund asks for (``document_requested``): which one.

The SMS goes to the account holder of the family (the principal insured the patient is a
dependent of today, else the patient), in their language, when the registry has a mobile
number for them. Each event told is a DecisionNotice row (its SMS, or none without a
number), and the mark moves on in the same transaction: run twice, nothing is told twice.
`daman portal notify` runs it (a cron, or after `daman adjudicate` and `daman payments
run`), then sends the outbox. The first run only sets the mark at the latest event: turning
notices on tells nobody about decisions made before.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from daman.claims.models import Claim, ClaimOutcome, ClaimStatus, ClaimStatusEvent
from daman.claims.requests import requested_document
from daman.core.dates import now
from daman.core.i18n import N_, translate
from daman.core.money import format_mad
from daman.notifications import sms
from daman.portal import repository as repo
from daman.portal.models import DecisionNotice
from daman.portal.service import paid_directly
from daman.registry import dependents

MARK = "claim_status_events"
CHUNK = 5000

TEXTS = {
    "claim_decided": N_(
        "Daman: decision on care sheet %(number)s (%(patient)s): %(paid)s reimbursed of "
        "%(charged)s. See why and what to do in your portal."
    ),
    "claim_paid": N_(
        "Daman: care sheet %(number)s (%(patient)s) is paid: %(paid)s sent to your bank "
        "account. The statement is in your portal."
    ),
    "document_requested": N_(
        "Daman: to settle care sheet %(number)s (%(patient)s), the fund needs: %(document)s. "
        "Send it from your portal."
    ),
}


@dataclass
class Told:
    read: int = 0  # status events read
    told: int = 0  # decisions told (an SMS queued)
    unreachable: int = 0  # decisions with no mobile number to tell


def _paid(event: ClaimStatusEvent) -> bool:
    return event.to_status == ClaimStatus.PAID and event.from_status == ClaimStatus.IN_PAYMENT


def topic_of(event: ClaimStatusEvent, claim: Claim, *, to_provider: bool = False) -> str | None:
    if requested_document(event.reason or "") is not None:
        return "document_requested"
    if _paid(event):
        return "claim_paid" if claim.payable_centimes > 0 and not to_provider else None
    decided = event.to_status == ClaimStatus.ADJUDICATED and event.from_status in (
        ClaimStatus.RECEIVED,
        ClaimStatus.PENDING_REVIEW,
    )
    refused = (ClaimOutcome.REJECTED, ClaimOutcome.PARTLY_ACCEPTED)
    return "claim_decided" if decided and claim.outcome in refused else None


def tell_decisions(session: Session, *, actor: str = "system", limit: int = CHUNK) -> Told:
    """Queue the SMS of the decisions after the mark (at most ``limit`` events read)."""
    mark, started = repo.notice_mark(session, MARK)
    told = Told()
    if started:
        return told
    events = repo.events_after(session, mark.last_event_id, limit)
    direct = paid_directly(session, [claim.id for event, claim in events if _paid(event)])
    for event, claim in events:
        told.read += 1
        mark.last_event_id = event.id
        topic = topic_of(event, claim, to_provider=claim.id in direct)
        if topic is None:
            continue
        patient = claim.patient
        holder = dependents.principal_of(session, patient) or patient
        lang = holder.preferred_language
        values = {
            "number": claim.number,
            "patient": (patient.first_name_ar if lang == "ar" else None) or patient.first_name,
            "paid": f"{format_mad(claim.payable_centimes)} MAD",
            "charged": f"{format_mad(claim.charged_centimes)} MAD",
            "document": requested_document(event.reason or "") or "",
        }
        message = sms.queue(
            session,
            phone=holder.phone,
            body=translate(TEXTS[topic], lang, **values),
            topic=topic,
            reference=claim.number,
            actor=actor,
        )
        if message is None:
            told.unreachable += 1
        else:
            told.told += 1
        session.add(
            DecisionNotice(
                event_id=event.id,
                claim_id=claim.id,
                topic=topic,
                sms_id=message.id if message else None,
                at=now(),
            )
        )
    session.flush()
    return told
