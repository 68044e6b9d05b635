"""A document the fund asked for arrives: the request is answered (a row of the history)
and the claim goes back to review, its paid lines waiting for a controller again; nothing
happens when no request is open; a claim already in review stays there."""

from __future__ import annotations

from sqlalchemy import select

from daman.adjudication import service as adjudication
from daman.adjudication.models import ReviewItem
from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims import service as claims
from daman.claims.models import Claim, LineDecision
from daman.claims.requests import ask_for_document, open_requests, requests_of
from tests.claims.support import PDF, act, cnss_insured, documents_dir, electronic, provider, recent

__all__ = ["documents_dir"]  # the fixture, for the upload

STAFF = Principal(actor="agent:amina", role=Role.AGENT, user_id=1)
SURGERY = 675_000  # K 300: above the review threshold


def sent(client, session, *lines: dict) -> Claim:
    person = cnss_insured(session)
    body = client.post("/api/v1/claims", json=electronic(person, list(lines))).json()
    return claims.get(session, body["number"])


def test_a_document_answers_the_request_and_sends_the_claim_back_to_review(client, session):
    doctor = provider(session)
    claim = sent(client, session, act(doctor, recent(), 20_000))
    assert (claim.status, claim.amo_centimes) == ("adjudicated", 12_000)
    assert not adjudication.document_received(session, claim, ["x.pdf"], "provider:p")
    assert claim.status == "adjudicated" and len(claim.events) == 2  # nothing written

    ask_for_document(session, claim.number, "Le compte rendu", None, STAFF)
    claim = claims.get(session, claim.number)
    assert open_requests(claim) == ["Le compte rendu"]
    assert adjudication.document_received(session, claim, ["cr.pdf"], "provider:p")

    assert (claim.status, claim.outcome, claim.amo_centimes) == ("pending_review", None, 0)
    assert claim.patient_centimes == 20_000
    assert open_requests(claim) == []
    [request] = requests_of(claim.events)
    assert request.document == "Le compte rendu" and request.answered_at is not None
    event = claim.events[-1]
    assert (event.from_status, event.to_status, event.reason) == (
        "adjudicated",
        "pending_review",
        "document received: cr.pdf",
    )
    line = claim.lines[0]
    assert line.status == "pending_review"
    assert line.reasons == ["above_reference", "document_received"]  # no longer "ok"
    assert line.amo_centimes == 12_000  # shown, not counted until decided
    item = session.scalars(select(ReviewItem).where(ReviewItem.line_id == line.id)).one()
    assert item.reasons == ["document_received"] and item.decided_at is None
    trail = session.scalars(
        select(LineDecision).where(LineDecision.line_id == line.id).order_by(LineDecision.id)
    ).all()
    assert [(d.source, d.status, d.note) for d in trail][-1] == (
        "review",
        "pending_review",
        "cr.pdf",
    )
    body = client.get(f"/api/v1/claims/{claim.number}", headers={"Accept-Language": "en"})
    assert body.json()["lines"][0]["decision"]["reasons"][-1]["text"] == (
        "The document asked for arrived (cr.pdf): a controller checks the line again."
    )

    # a controller accepts it: decided again, paid as before
    decided = client.post(
        f"/api/v1/review-queue/{item.id}/decision",
        json={"action": "accept", "reason": "compte rendu vu"},
    )
    assert decided.status_code == 200, decided.text
    session.refresh(claim)
    assert (claim.status, claim.outcome, claim.amo_centimes) == ("adjudicated", "accepted", 12_000)
    # a second document, no request open: nothing more
    assert not adjudication.document_received(session, claim, ["autre.pdf"], "provider:p")


def test_a_claim_in_review_stays_there_and_a_rejected_line_stays_rejected(client, session):
    doctor = provider(session)
    claim = sent(
        client,
        session,
        act(doctor, recent(), 20_000),
        act(doctor, recent(), SURGERY, key="K", category="medical_act", coefficient="300"),
    )
    assert claim.status == "pending_review"
    ask_for_document(session, claim.number, "Le compte rendu opératoire", None, STAFF)
    claim = claims.get(session, claim.number)
    items = session.scalars(select(ReviewItem).where(ReviewItem.claim_id == claim.id)).all()
    assert adjudication.document_received(session, claim, ["cr.pdf"], "provider:p")
    assert claim.status == "pending_review" and claim.events[-1].to_status == "pending_review"
    after = session.scalars(select(ReviewItem).where(ReviewItem.claim_id == claim.id)).all()
    assert len(after) == len(items)  # the lines in review wait as they were
    assert open_requests(claim) == []


def test_a_document_sent_through_the_api_answers_the_request(client, session, documents_dir):
    """`POST /claims/{number}/documents` (the provider's software, an agent) does what the
    pages do: the request is answered and the claim goes back to review; the same file again
    changes nothing more."""
    doctor = provider(session)
    claim = sent(client, session, act(doctor, recent(), 20_000))
    ask_for_document(session, claim.number, "Le compte rendu", None, STAFF)
    upload = f"/api/v1/claims/{claim.number}/documents"
    first = client.post(upload, files={"file": ("cr.pdf", PDF, "application/pdf")})
    assert first.status_code == 201, first.text
    claim = claims.get(session, claim.number)
    assert (claim.status, open_requests(claim)) == ("pending_review", [])
    assert claim.events[-1].reason == "document received: cr.pdf"
    again = client.post(upload, files={"file": ("cr.pdf", PDF, "application/pdf")})
    assert again.status_code == 200
    assert len(claims.get(session, claim.number).events) == len(claim.events)
