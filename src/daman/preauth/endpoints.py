"""HTTP endpoints of pre-authorisations (prise en charge) and facility invoices."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Header, Query
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow, log_read
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed, error_responses
from daman.core.i18n import negotiate
from daman.core.pagination import Page, PageParams, page_params
from daman.documents.routes import document_routes
from daman.preauth import invoices, service
from daman.preauth import repository as repo
from daman.preauth.models import PreauthDocument, PreauthStatus
from daman.preauth.schemas import (
    CancelIn,
    Figures,
    InformationIn,
    InvoiceOut,
    PreauthDecisionIn,
    PreauthOut,
    PreauthSummary,
)
from daman.registry.repository import person_by_immatriculation

router = APIRouter(tags=["pre-authorisations"])

# A facility (or an agent keying a paper request) asks and sends invoices; a controller
# answers; insured persons read their family's requests; analysts see figures only.
REQUEST = allow(Role.PROVIDER, Role.AGENT)
READ = allow(Role.PROVIDER, Role.AGENT, Role.CONTROLLER, Role.INSURED)
DECIDE = allow(Role.CONTROLLER)
QUEUE = allow(Role.CONTROLLER, Role.AGENT)
FIGURES = allow(Role.ANALYST, Role.CONTROLLER, Role.AGENT, Role.ADMIN)

LANGUAGE = Header(
    default=None, description="ar, fr or en: the language of the explanations (default fr)"
)


def _out(session: Session, who: Principal, number: str, lang: str | None) -> PreauthOut:
    row = repo.by_number(session, number, who)
    return service.preauth_out(session, row, negotiate(accept_language=lang), who)


@router.get("/preauthorisations", response_model=Page[PreauthSummary])
def list_preauths(
    patient: str | None = Query(None, max_length=12, description="immatriculation"),
    preauth_status: PreauthStatus | None = Query(None, alias="status"),
    paging: PageParams = Depends(page_params),
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> Page[PreauthSummary]:
    """Requests the caller may see, newest first."""
    patient_id = None
    if patient:
        person = person_by_immatriculation(session, patient)
        patient_id = person.id if person else -1
    rows, total = repo.page(
        session,
        who,
        status=preauth_status,
        patient_id=patient_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=service.summaries(session, rows),
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/preauthorisations/queue", response_model=Page[PreauthSummary])
def controller_queue(
    include_paused: bool = Query(False, description="also those waiting for information"),
    paging: PageParams = Depends(page_params),
    who: Principal = Depends(QUEUE),
    session: Session = SESSION,
) -> Page[PreauthSummary]:
    """Requests waiting for an answer, least time left first; overdue ones are flagged."""
    items, total = service.queue(
        session, include_paused=include_paused, limit=paging.limit, offset=paging.offset
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/statistics/preauthorisations", response_model=Figures)
def answer_figures(
    start: date | None = Query(None, alias="from", description="first submission date"),
    end: date | None = Query(None, alias="to", description="last submission date"),
    who: Principal = Depends(FIGURES),
    session: Session = SESSION,
) -> Figures:
    """Answer times against the legal limit (counts and durations, no identifiers)."""
    return service.figures(session, start, end)


@router.get(
    "/preauthorisations/{number}",
    response_model=PreauthOut,
    responses=error_responses(NotFound),
)
def get_preauth(
    number: str,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> PreauthOut:
    """The request, its clock, expected and agreed amounts, documents, invoices, history."""
    out = _out(session, who, number, accept_language)
    log_read(session, who, "preauthorisation", out.number)
    return out


@router.post(
    "/preauthorisations/{number}/decision",
    response_model=PreauthOut,
    responses=error_responses(NotFound, ValidationFailed, Conflict),
)
def decide_preauth(
    number: str,
    payload: PreauthDecisionIn,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(DECIDE),
    session: Session = SESSION,
) -> PreauthOut:
    """Agree (units, base, validity), agree partly, refuse, or ask for information (the
    clock stops until the requester answers). The requester is notified."""
    row = service.decide(session, number, payload, who)
    return service.preauth_out(session, row, negotiate(accept_language=accept_language), who)


@router.post(
    "/preauthorisations/{number}/information",
    response_model=PreauthOut,
    responses=error_responses(NotFound, ValidationFailed, Conflict),
)
def supply_information(
    number: str,
    payload: InformationIn,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(REQUEST),
    session: Session = SESSION,
) -> PreauthOut:
    """Answer the controller's question: the request waits for the fund again."""
    row = service.supply_information(session, number, payload, who)
    return service.preauth_out(session, row, negotiate(accept_language=accept_language), who)


@router.post(
    "/preauthorisations/{number}/cancel",
    response_model=PreauthOut,
    responses=error_responses(NotFound, ValidationFailed, Conflict),
)
def cancel_preauth(
    number: str,
    payload: CancelIn | None = None,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(REQUEST),
    session: Session = SESSION,
) -> PreauthOut:
    """Withdraw a request that was not answered yet."""
    row = service.cancel(session, number, who, payload.reason if payload else "")
    return service.preauth_out(session, row, negotiate(accept_language=accept_language), who)


router.include_router(
    document_routes(
        "/preauthorisations",
        owner="pre-authorisation",
        find=repo.by_number,
        table=PreauthDocument,
        may_upload=REQUEST,
        may_read=READ,
        logged_as="preauth_document",
        about="Attach an estimate, a medical report or a prescription to the request.",
        takes_documents=service.takes_documents,
    )
)


@router.get(
    "/preauthorisations/{number}/invoices/{claim}",
    response_model=InvoiceOut,
    responses=error_responses(NotFound),
)
def get_invoice(
    number: str,
    claim: str,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> InvoiceOut:
    """An invoice as matched now (its status follows the claim: review, approval, payment)."""
    row = repo.by_number(session, number, who)
    invoice = invoices.by_claim_number(session, row, claim)
    log_read(session, who, "preauth_invoice", f"{row.number}/{claim}")
    return invoices.invoice_out(session, row, invoice, negotiate(accept_language=accept_language))
