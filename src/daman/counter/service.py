"""The counter: what a provider, an insured person or an agent sends and gets back in the
same request, valued. The one place where storing (claims, preauth) and valuing
(adjudication) meet, so that the domains below never import each other:

- a care sheet is stored `received` with its documents, then valued by the engine; or,
  as a dry run, checked and valued the same way without storing anything (`value_claim`);
- a pre-authorisation request is stored, then its planned lines are estimated;
- a facility's invoice is stored as a claim against its authorisation, valued, then
  recorded (approved for payment when nothing waits for review).

Everything happens in the caller's transaction: the answer is sent after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from daman.adjudication import context, estimate
from daman.adjudication import service as adjudication
from daman.auth.access import Principal
from daman.claims import intake
from daman.claims import repository as claims_repo
from daman.claims import service as claims
from daman.claims.models import Channel, Claim, ClaimOutcome, ClaimStatus, LineStatus
from daman.claims.schemas import ClaimIn
from daman.core.dates import today
from daman.core.errors import ValidationFailed
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
    agency_code: str | None = None,
) -> tuple[Claim, bool]:
    """Store a care sheet and its documents, and value it (the engine sees the documents).
    A replay of its Idempotency-Key returns the first claim as it stands, and False.
    ``agency_code``: the agency where a paper care sheet (channel agency) was handed in."""
    _paper_only(draft, agency_code)
    claim, created = claims.submit(
        session, draft, actor=actor, idempotency_key=idempotency_key, who=who, uploads=uploads
    )
    if created:
        if agency_code is not None:
            claim.agency_code = agency_code
            session.flush()
        adjudication.value(session, [claim.id], actor)
    return claims_repo.by_number(session, claim.number), created


def value_claim(
    session: Session,
    draft: ClaimIn,
    *,
    who: Principal | None = None,
    with_documents: bool = False,
    agency_code: str | None = None,
) -> Claim:
    """A dry run of `submit_claim`: the same checks (ValidationFailed naming each field),
    the same context and engine, the same totals, and nothing written, not even a number.

    The answer is the claim as `submit_claim` would store and value it, built in memory and
    never added to the session (no id, no number): its lines carry their decisions and it
    carries its totals, status, outcome and regime. ``with_documents``: the documents that
    will be sent with it (the engine only asks whether there are any)."""
    _paper_only(draft, agency_code)
    lk = claims.check(session, draft, who)
    actor = who.actor if who is not None else "system"
    claim = intake.build(draft, lk, number="", day=today(), submitter=actor, key=None, actor=actor)
    claim.agency_code = agency_code
    sectors = {p.id: p.sector for p in lk.providers.values()}
    lines = context.unsaved_lines(claim, sectors, with_documents)
    valued = adjudication.value_unsaved(session, lines)
    for line, decision in zip(claim.lines, valued.lines, strict=True):
        assert line.line_no == decision.pop("line_no")
        decision["status"] = LineStatus(decision["status"])
        for name, value in decision.items():
            setattr(line, name, value)
    totals = dict(valued.claim)
    claim.status = ClaimStatus(totals.pop("status"))
    outcome = totals.pop("outcome")
    claim.outcome = ClaimOutcome(outcome) if outcome is not None else None
    for name, value in totals.items():
        setattr(claim, name, value)
    return claim


def _paper_only(draft: ClaimIn, agency_code: str | None) -> None:
    if agency_code is not None and draft.channel != Channel.AGENCY:
        raise ValidationFailed.one(
            "agency_code", f"only a paper care sheet (channel agency) has one, not {draft.channel}"
        )


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
