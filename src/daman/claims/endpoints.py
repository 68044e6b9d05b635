"""HTTP endpoints of the claims domain."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.claims import service
from daman.claims.models import ClaimStatus
from daman.claims.schemas import ClaimOut, ClaimSummary, StatusChangeIn
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed, error_responses
from daman.core.i18n import negotiate
from daman.core.pagination import Page, PageParams, page_params

router = APIRouter(tags=["claims"])

# An insured person: their family's care sheets; a provider: the sheets it billed on.
SUBMIT = allow(Role.INSURED, Role.PROVIDER, Role.AGENT)
READ = allow(Role.INSURED, Role.PROVIDER, Role.AGENT, Role.CONTROLLER)
DECIDE = allow(Role.AGENT, Role.CONTROLLER)

LANGUAGE = Header(
    default=None, description="ar, fr or en: the language of the explanations (default fr)"
)


@router.get("/claims", response_model=Page[ClaimSummary])
def list_claims(
    patient: str | None = Query(None, max_length=12, description="immatriculation"),
    claim_status: ClaimStatus | None = Query(None, alias="status"),
    paging: PageParams = Depends(page_params),
    session: Session = SESSION,
    who: Principal = Depends(READ),
) -> Page[ClaimSummary]:
    items, total = service.page(
        session,
        patient=patient,
        status=claim_status,
        limit=paging.limit,
        offset=paging.offset,
        who=who,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/claims/{number}", response_model=ClaimOut, responses=error_responses(NotFound))
def get_claim(
    number: str,
    accept_language: str | None = LANGUAGE,
    session: Session = SESSION,
    who: Principal = Depends(READ),
) -> ClaimOut:
    """Status, history, documents, and each line with its decision, amounts and reasons. A
    provider sees its own lines and the documents it uploaded, with totals on those lines;
    insured persons and providers see the fund's staff by role, not by name."""
    claim = service.get(session, number, who)
    return service.claim_out(session, claim, negotiate(accept_language=accept_language), who)


# The documents' upload and download routes are the counter's (daman.counter.endpoints): a
# document the fund asked for sends the claim back to review, which adjudication does.


@router.post(
    "/claims/{number}/approve",
    response_model=ClaimOut,
    responses=error_responses(NotFound, ValidationFailed, Conflict),
)
def approve_claim(
    number: str,
    payload: StatusChangeIn | None = None,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(DECIDE),
    session: Session = SESSION,
) -> ClaimOut:
    """Approve an adjudicated claim with a payable amount for payment."""
    claim = service.approve(session, number, who.actor, payload.reason if payload else "")
    return service.claim_out(session, claim, negotiate(accept_language=accept_language), who)
