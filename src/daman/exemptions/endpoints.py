"""HTTP endpoints of ALD/ALC exemptions: requests, decisions, renewals, granted periods."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow, log_read
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed, error_responses
from daman.core.pagination import Page, PageParams, RowId, page_params
from daman.documents.routes import document_routes
from daman.exemptions import repository as repo
from daman.exemptions import service
from daman.exemptions.models import AldRequestDocument, RequestStatus
from daman.exemptions.schemas import (
    AldDecisionIn,
    AldExemptionOut,
    AldRequestIn,
    AldRequestOut,
    AldRequestSummary,
    RenewalIn,
)
from daman.registry.repository import person_by_immatriculation

router = APIRouter(tags=["exemptions"])

# An insured person asks for themselves or their family (an agent keys paper requests);
# a medical controller decides; staff and the family read.
REQUEST = allow(Role.INSURED, Role.AGENT)
READ = allow(Role.INSURED, Role.AGENT, Role.CONTROLLER)
DECIDE = allow(Role.CONTROLLER)


def _patient_id(session: Session, patient: str | None, who: Principal) -> int | None:
    if not patient:
        return None
    person = person_by_immatriculation(session, patient, who)
    return person.id if person else -1


@router.post(
    "/ald-exemption-requests",
    status_code=status.HTTP_201_CREATED,
    response_model=AldRequestOut,
    responses=error_responses(ValidationFailed, Conflict),
)
def request_exemption(
    payload: AldRequestIn,
    who: Principal = Depends(REQUEST),
    session: Session = SESSION,
) -> AldRequestOut:
    """Ask for exemption from the patient share for a disease of the ALD list."""
    row = service.request(session, payload, who)
    return service.request_out(session, row, who)


@router.get("/ald-exemption-requests", response_model=Page[AldRequestSummary])
def list_requests(
    patient: str | None = Query(None, max_length=12, description="immatriculation"),
    request_status: RequestStatus | None = Query(None, alias="status"),
    paging: PageParams = Depends(page_params),
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> Page[AldRequestSummary]:
    """Requests the caller may see, oldest first (the controller's order of work)."""
    rows, total = repo.requests_page(
        session,
        who,
        status=request_status,
        person_id=_patient_id(session, patient, who),
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=service.summaries(session, rows),
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get(
    "/ald-exemption-requests/{number}",
    response_model=AldRequestOut,
    responses=error_responses(NotFound),
)
def get_request(
    number: str,
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> AldRequestOut:
    row = repo.request_by_number(session, number, who)
    log_read(session, who, "ald_request", row.number)
    return service.request_out(session, row, who)


@router.post(
    "/ald-exemption-requests/{number}/decision",
    response_model=AldRequestOut,
    responses=error_responses(NotFound, ValidationFailed, Conflict),
)
def decide_request(
    number: str,
    payload: AldDecisionIn,
    who: Principal = Depends(DECIDE),
    session: Session = SESSION,
) -> AldRequestOut:
    """Grant the exemption for a period (default 5 years, or for life), or refuse it with
    the reason. The requester is notified."""
    row = service.decide(session, number, payload, who)
    return service.request_out(session, row, who)


@router.post(
    "/ald-exemption-requests/{number}/cancel",
    response_model=AldRequestOut,
    responses=error_responses(NotFound, Conflict),
)
def cancel_request(
    number: str,
    who: Principal = Depends(REQUEST),
    session: Session = SESSION,
) -> AldRequestOut:
    """Withdraw a request that was not decided yet."""
    row = service.cancel(session, number, who)
    return service.request_out(session, row, who)


router.include_router(
    document_routes(
        "/ald-exemption-requests",
        owner="request",
        find=repo.request_by_number,
        table=AldRequestDocument,
        may_upload=REQUEST,
        may_read=READ,
        logged_as="ald_document",
        about="Attach medical evidence to an open request.",
        called="evidence",
        takes_documents=service.takes_documents,
    )
)


@router.get("/ald-exemptions", response_model=Page[AldExemptionOut])
def list_exemptions(
    patient: str | None = Query(None, max_length=12, description="immatriculation"),
    paging: PageParams = Depends(page_params),
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> Page[AldExemptionOut]:
    """Granted exemptions (active, upcoming or expired) the caller may see."""
    rows, total = repo.exemptions_page(
        session,
        who,
        person_id=_patient_id(session, patient, who),
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[service.exemption_out(session, r, who=who) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get(
    "/ald-exemptions/{exemption_id}",
    response_model=AldExemptionOut,
    responses=error_responses(NotFound),
)
def get_exemption(
    exemption_id: RowId,
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> AldExemptionOut:
    row = repo.exemption_by_id(session, exemption_id, who)
    log_read(session, who, "ald_exemption", str(row.id))
    return service.exemption_out(session, row, who=who)


@router.post(
    "/ald-exemptions/{exemption_id}/renewal",
    status_code=status.HTTP_201_CREATED,
    response_model=AldRequestOut,
    responses=error_responses(NotFound, ValidationFailed, Conflict),
)
def request_renewal(
    exemption_id: RowId,
    payload: RenewalIn,
    who: Principal = Depends(REQUEST),
    session: Session = SESSION,
) -> AldRequestOut:
    """Ask to renew an exemption: a new request, granted from the day after it ends."""
    row = service.renew(session, exemption_id, payload, who)
    return service.request_out(session, row, who)
