"""HTTP endpoints of the adjudication domain: the review queue."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header
from sqlalchemy.orm import Session

from daman.adjudication import service
from daman.adjudication.models import ReviewAction, ReviewItem
from daman.adjudication.schemas import ReviewDecisionIn, ReviewItemOut
from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.claims import reasons
from daman.claims import service as claims
from daman.claims.explain import Explainer
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed, error_responses
from daman.core.i18n import negotiate
from daman.core.pagination import Page, PageParams, RowId, page_params

router = APIRouter(tags=["adjudication"])

REVIEW = allow(Role.AGENT, Role.CONTROLLER)


def item_out(
    session: Session, item: ReviewItem, lang: str, explainer: Explainer | None = None
) -> ReviewItemOut:
    claim = item.claim
    explainer = explainer or Explainer(session, [claim])
    line = claims.line_out(item.line, explainer, lang)
    return ReviewItemOut(
        id=item.id,
        claim_number=claim.number,
        claim_status=claim.status,
        patient=claim.patient.immatriculation,
        line=line,
        reasons=item.reasons,
        explanations=[reasons.explain(code, lang) for code in item.reasons],
        documents=claims.documents_out(claim),
        created_at=item.created_at,
        created_by=item.created_by,
        assigned_to=item.assigned_to,
        assigned_at=item.assigned_at,
        decided_at=item.decided_at,
        decided_by=item.decided_by,
        action=ReviewAction(item.action) if item.action else None,
        note=item.note,
    )


@router.get("/review-queue", response_model=Page[ReviewItemOut])
def review_queue(
    paging: PageParams = Depends(page_params),
    accept_language: str | None = Header(default=None),
    session: Session = SESSION,
    who: Principal = Depends(REVIEW),
) -> Page[ReviewItemOut]:
    """Lines waiting for a controller, oldest first: the line, why, and the documents."""
    items, total = service.review_queue(session, limit=paging.limit, offset=paging.offset)
    lang = negotiate(accept_language=accept_language)
    explainer = Explainer(session, list({i.claim_id: i.claim for i in items}.values()))
    return Page(
        items=[item_out(session, i, lang, explainer) for i in items],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post(
    "/review-queue/{item_id}/assign",
    response_model=ReviewItemOut,
    responses=error_responses(NotFound, Conflict),
)
def assign(
    item_id: RowId,
    accept_language: str | None = Header(default=None),
    who: Principal = Depends(REVIEW),
    session: Session = SESSION,
) -> ReviewItemOut:
    """Take an item: it is assigned to the caller."""
    item = service.assign(session, item_id, who.actor)
    return item_out(session, item, negotiate(accept_language=accept_language))


@router.post(
    "/review-queue/{item_id}/decision",
    response_model=ReviewItemOut,
    responses=error_responses(NotFound, Conflict, ValidationFailed),
)
def decide(
    item_id: RowId,
    payload: ReviewDecisionIn,
    accept_language: str | None = Header(default=None),
    who: Principal = Depends(REVIEW),
    session: Session = SESSION,
) -> ReviewItemOut:
    """Accept, reduce (with the AMO amount to pay) or reject the line, with a reason; the
    claim's totals, outcome and status are updated."""
    item = service.decide(session, item_id, payload, who.actor)
    return item_out(session, item, negotiate(accept_language=accept_language))
