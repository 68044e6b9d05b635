"""The portal's services: a claim's timeline and estimated payment date, each line's
decision in plain words, the record of a decision read (once per decision), the thread of
messages, and the decisions told by SMS (each once, to the family's account holder)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.accounts import builders
from daman.adjudication import service as adjudication
from daman.adjudication.models import ReviewItem
from daman.adjudication.schemas import ReviewDecisionIn
from daman.auth import tokens
from daman.auth.access import Principal, principal_of
from daman.auth.models import Role, TokenKind
from daman.claims import service as claims
from daman.claims.models import ClaimStatus
from daman.claims.requests import ask_for_document
from daman.claims.schemas import ClaimIn
from daman.core.dates import today
from daman.core.errors import ValidationFailed
from daman.counter import pharmacy
from daman.counter import service as counter
from daman.notifications.models import SmsMessage
from daman.portal import decisions, notices
from daman.portal import service as portal
from daman.portal.models import DecisionNotice, DecisionRead
from daman.prescriptions import builders as prescriptions
from daman.registry import builders as rb
from tests.claims.support import act, cnss_insured, electronic, provider, recent
from tests.prescriptions.support import BRAND, Desk, desk, with_ald

__all__ = ["desk"]

STAFF = Principal.system("agent:amina")


def insured_principal(session: Session, number: str) -> Principal:
    user = builders.user(session, Role.INSURED, person=number)
    who = principal_of(session, tokens.issue(session, TokenKind.SESSION, "t", user=user).row)
    assert who is not None
    return who


def send(session: Session, patient, charged: int = 15_000, who: Principal | None = None):
    doctor = provider(session)
    body = electronic(patient, [act(doctor, recent(), charged)])
    claim, _ = counter.submit_claim(
        session, ClaimIn.model_validate(body), actor="insured:test", idempotency_key=None, who=who
    )
    return claim


def test_the_timeline_goes_from_received_to_the_expected_payment(session: Session) -> None:
    person = cnss_insured(session)
    claim = send(session, person)
    assert claim.status == ClaimStatus.ADJUDICATED
    estimate = portal.estimated_payment(session, claim)
    assert estimate is not None and estimate > today()
    steps = portal.timeline(claim, "fr", estimate)
    done = [s.label for s in steps if s.done]
    assert done == ["Reçue par la caisse", "Décidée"]
    assert next(s for s in steps if s.current).label == "Décidée"
    todo = [s for s in steps if not s.done]
    assert todo[-1].label == "Payée sur le compte bancaire"
    assert estimate.isoformat() in todo[-1].note
    # asked for a document: on the timeline, on its day
    ask_for_document(session, claim.number, "la facture", None, STAFF)
    claim = claims.get(session, claim.number)
    steps = portal.timeline(claim, "ar", portal.estimated_payment(session, claim))
    assert any("la facture" in s.label for s in steps)


def test_nothing_is_expected_for_a_rejected_claim(session: Session) -> None:
    uncovered = rb.person(session)
    claim = send(session, uncovered)
    assert claim.outcome == "rejected"
    assert portal.estimated_payment(session, claim) is None
    out = claims.claim_out(session, claim, "fr")
    words = decisions.words(out.lines[0], "fr")
    assert words.status == "rejected" and "rien" in words.headline
    assert "droits" in words.next_step  # what to do: look at the rights, write to the fund


def test_a_decision_read_is_recorded_once_per_decision(session: Session) -> None:
    person = cnss_insured(session)
    who = insured_principal(session, person.immatriculation)
    claim = send(session, person, who=who)
    first = portal.record_read(session, claim, who)
    again = portal.record_read(session, claim, who)
    assert first is not None and again is not None and first.id == again.id
    assert portal.record_read(session, claim, STAFF) is None  # staff reads are not this
    claims.approve(session, claim.number, "agent:amina")
    claim = claims.get(session, claim.number)
    later = portal.record_read(session, claim, who)
    assert later is not None and later.id != first.id and later.status == "approved"
    rows = session.scalars(select(DecisionRead).where(DecisionRead.claim_id == claim.id)).all()
    assert len(rows) == 2


def test_messages_go_both_ways_and_an_answer_is_told_by_sms(session: Session) -> None:
    person = cnss_insured(session)
    person.phone = "0661234567"
    who = insured_principal(session, person.immatriculation)
    portal.post_message(session, person, "Bonjour, ma feuille ?", who)
    with pytest.raises(ValidationFailed) as empty:
        portal.post_message(session, person, "   ", who)
    assert empty.value.detail[0].field == "body"
    with pytest.raises(ValidationFailed):
        portal.post_message(session, person, "x" * (portal.MAX_MESSAGE + 1), who)
    portal.post_message(session, person, "Elle est en contrôle.", STAFF)
    thread = portal.read_thread(session, person, who)
    assert [m.from_fund for m in thread] == [False, True]
    told = session.scalars(select(SmsMessage).where(SmsMessage.topic == "message_answered")).all()
    assert len(told) == 1 and told[0].phone == "+212661234567"


def test_decisions_are_told_once_to_the_account_holder(session: Session) -> None:
    principal = cnss_insured(session)
    principal.phone = "0661234567"
    principal.preferred_language = "ar"
    child = rb.dependent(session, principal)
    assert notices.tell_decisions(session).read == 0  # the first run only sets the mark
    rejected = send(session, rb.person(session))  # no rights: rejected, no phone to tell
    paid = send(session, child)
    ask_for_document(session, paid.number, "ordonnance", None, STAFF)
    # the prescription comes, a controller accepts the line again: then it is approved
    assert adjudication.document_received(session, paid, ["ordonnance.pdf"], "insured:test")
    item = session.scalars(select(ReviewItem).where(ReviewItem.claim_id == paid.id)).one()
    decision = ReviewDecisionIn(action="accept", reason="ordonnance vue")
    adjudication.decide(session, item.id, decision, "agent:amina")
    claims.approve(session, paid.number, "agent:amina")
    claims.mark_in_payment(session, [paid.id], "system")
    claims.mark_paid(session, [paid.id], "system")
    told = notices.tell_decisions(session)
    assert (told.told, told.unreachable) == (2, 1)
    topics = {n.topic for n in session.scalars(select(DecisionNotice))}
    assert topics == {"claim_decided", "document_requested", "claim_paid"}
    texts = [m.body for m in session.scalars(select(SmsMessage).order_by(SmsMessage.id))]
    assert len(texts) == 2 and all("ضمان" in t for t in texts)  # the holder's language
    assert any(paid.number in t and "ordonnance" in t for t in texts)
    assert notices.tell_decisions(session).told == 0  # nothing told twice
    assert rejected.number  # told nobody: the person has no number


def test_an_estimate_is_never_in_the_past(session: Session) -> None:
    person = cnss_insured(session)
    claim = send(session, person)
    claim.events[-1].at = claim.events[-1].at - timedelta(days=400)
    assert portal.estimated_payment(session, claim) == today() + timedelta(days=1)


def test_a_pharmacy_paid_in_tiers_payant_is_said_so_and_no_money_sms_goes_out(
    session: Session, desk: Desk
) -> None:
    desk.patient.phone = "0661234567"
    ald = with_ald(session, desk.patient)
    rx = prescriptions.prescription(
        session, desk.doctor, desk.patient.immatriculation, [(BRAND, 1)], ald_code=ald
    )
    assert notices.tell_decisions(session).read == 0  # the first run only sets the mark
    done, _ = pharmacy.dispense(session, rx.number, [BRAND], "k", desk.as_pharmacy)
    claim = done.claim
    assert done.third_party
    assert portal.paid_directly(session, [claim.id]) == {claim.id: desk.pharmacy}
    assert portal.paid_directly_by_number(session, [claim.number]) == {claim.number: desk.pharmacy}
    claims.approve(session, claim.number, "agent:amina")
    claims.mark_in_payment(session, [claim.id], "system")
    claims.mark_paid(session, [claim.id], "system")
    steps = portal.timeline(claims.get(session, claim.number), "fr", None, desk.pharmacy)
    assert steps[-1].label == f"Payée à {desk.pharmacy.name} (tiers payant)"
    notices.tell_decisions(session)
    paid = session.scalars(select(SmsMessage).where(SmsMessage.topic == "claim_paid")).all()
    assert paid == []  # nothing reached the patient's account
