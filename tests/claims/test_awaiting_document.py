"""A claim whose document request is open is not approved for payment: one by one it is
refused (409 ``document_requested``, naming what is awaited), the day's `approve_all`
leaves it out, and once the document came and the claim was decided again it is approved
like any other."""

from __future__ import annotations

from sqlalchemy import select

from daman.adjudication import service as adjudication
from daman.adjudication.models import ReviewItem
from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims import service as claims
from daman.claims.models import Claim, ClaimStatus
from daman.claims.requests import ask_for_document
from tests.claims.support import act, cnss_insured, electronic, provider, recent

STAFF = Principal(actor="agent:amina", role=Role.AGENT, user_id=1)


def sent(client, session) -> Claim:
    body = client.post(
        "/api/v1/claims",
        json=electronic(cnss_insured(session), [act(provider(session), recent(), 20_000)]),
    ).json()
    return claims.get(session, body["number"])


def test_a_claim_waiting_for_a_document_is_not_approved(client, session):
    waiting, other = sent(client, session), sent(client, session)
    ask_for_document(session, waiting.number, "la facture détaillée", None, STAFF)
    session.commit()

    refused = client.post(f"/api/v1/claims/{waiting.number}/approve", json={"reason": "ok"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "document_requested"
    assert "la facture détaillée" in refused.json()["detail"]

    assert claims.approve_all(session, "cli:agent", "daily run") >= 1
    session.refresh(waiting)
    session.refresh(other)
    assert (waiting.status, other.status) == (ClaimStatus.ADJUDICATED, ClaimStatus.APPROVED)


def decide_again(client, session, claim: Claim) -> None:
    """The document comes, the claim goes back to review, a controller accepts its line."""
    assert adjudication.document_received(session, claim, ["cr.pdf"], "provider:p")
    assert claim.status == ClaimStatus.PENDING_REVIEW
    item = session.scalars(
        select(ReviewItem).where(ReviewItem.claim_id == claim.id, ReviewItem.decided_at.is_(None))
    ).one()
    session.commit()
    decided = client.post(
        f"/api/v1/review-queue/{item.id}/decision",
        json={"action": "accept", "reason": "compte rendu vu"},
    )
    assert decided.status_code == 200, decided.text
    session.refresh(claim)
    assert claim.status == ClaimStatus.ADJUDICATED


def test_once_the_document_came_and_the_claim_is_decided_again_it_is_approved(client, session):
    claim = sent(client, session)
    ask_for_document(session, claim.number, "le compte rendu", None, STAFF)
    decide_again(client, session, claim)
    approved = client.post(f"/api/v1/claims/{claim.number}/approve", json={"reason": "ok"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"


def test_a_request_after_an_answer_holds_the_claim_again(client, session):
    claim = sent(client, session)
    ask_for_document(session, claim.number, "le compte rendu", None, STAFF)
    decide_again(client, session, claim)
    ask_for_document(session, claim.number, "la radio", None, STAFF)
    assert claims.approve_all(session, "cli:agent") == 0
    session.commit()
    refused = client.post(f"/api/v1/claims/{claim.number}/approve", json={"reason": "ok"})
    assert refused.status_code == 409 and "la radio" in refused.json()["detail"]
    assert "compte rendu" not in refused.json()["detail"]  # that one was answered
