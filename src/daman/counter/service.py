"""The counter: what a provider, an insured person or an agent sends and gets back in the
same request, valued. The one place where storing (claims, preauth) and valuing
(adjudication) meet, so that the domains below never import each other:

- a care sheet is stored `received` with its documents, then valued by the engine;
- a pre-authorisation request is stored, then its planned lines are estimated;
- a facility's invoice is stored as a claim against its authorisation, valued, then
  recorded (approved for payment when nothing waits for review).

Everything happens in the caller's transaction: the answer is sent after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from daman.adjudication import estimate
from daman.adjudication import service as adjudication
from daman.auth.access import Principal
from daman.claims import repository as claims_repo
from daman.claims import service as claims
from daman.claims.models import Claim
from daman.claims.schemas import ClaimIn
from daman.preauth import invoices
from daman.preauth import service as preauth
from daman.preauth.models import PreauthInvoice, PreauthRequest
from daman.preauth.schemas import InvoiceIn, PreauthIn


def submit_claim(
    session: Session,
    draft: ClaimIn,
    *,
    actor: str,
    idempotency_key: str | None,
    who: Principal | None = None,
    uploads: Sequence[claims.Upload] = (),
) -> tuple[Claim, bool]:
    """Store a care sheet and its documents, and value it (the engine sees the documents).
    A replay of its Idempotency-Key returns the first claim as it stands, and False."""
    claim, created = claims.submit(
        session, draft, actor=actor, idempotency_key=idempotency_key, who=who, uploads=uploads
    )
    if created:
        adjudication.value(session, [claim.id], actor)
    return claims_repo.by_number(session, claim.number), created


def request_preauth(session: Session, payload: PreauthIn, who: Principal) -> PreauthRequest:
    """Store a pre-authorisation request and estimate its planned care: the patient's rights
    and what the fund expects to pay, line by line."""
    row = preauth.request(session, payload, who)
    rights = estimate.value(session, row)
    row.covered, row.eligibility_reason, row.regime_code = (
        rights.covered,
        rights.reason,
        rights.regime_code,
    )
    session.flush()
    return row


def submit_invoice(
    session: Session,
    number: str,
    payload: InvoiceIn,
    who: Principal,
    idempotency_key: str | None,
) -> tuple[PreauthInvoice, bool]:
    """A facility's invoice against an authorisation: stored as a claim, valued, recorded.
    A replay of its Idempotency-Key returns the first invoice, and False."""
    claim, created = invoices.store_claim(session, number, payload, who, idempotency_key)
    if created:
        adjudication.value(session, [claim.id], who.actor)
    return invoices.record(session, number, claim, created, payload, who, idempotency_key)
