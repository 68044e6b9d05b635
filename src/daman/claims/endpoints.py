"""HTTP endpoints of the claims domain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Response, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.claims import repository as repo
from daman.claims import service
from daman.claims.models import Claim, ClaimDocument, ClaimStatus
from daman.claims.schemas import ClaimIn, ClaimOut, ClaimSummary, StatusChangeIn
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed, error_responses
from daman.core.i18n import negotiate
from daman.core.pagination import Page, PageParams, page_params
from daman.documents import store
from daman.documents.routes import document_routes

router = APIRouter(tags=["claims"])

# An insured person: their family's care sheets; a provider: the sheets it billed on.
SUBMIT = allow(Role.INSURED, Role.PROVIDER, Role.AGENT)
READ = allow(Role.INSURED, Role.PROVIDER, Role.AGENT, Role.CONTROLLER)
DECIDE = allow(Role.AGENT, Role.CONTROLLER)

LANGUAGE = Header(
    default=None, description="ar, fr or en: the language of the explanations (default fr)"
)
IDEMPOTENCY_KEY = Header(
    default=None,
    min_length=1,
    max_length=200,
    description="the same key from the same submitter never creates a second claim",
)
# A care sheet is answered 201 when stored, 200 for a replay of its Idempotency-Key.
SUBMITTED: dict[int | str, dict[str, Any]] = {
    200: {"model": ClaimOut, "description": "replay of an Idempotency-Key: the first claim"},
    **error_responses(ValidationFailed, Conflict),
}


@router.post(
    "/claims",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimOut,
    responses=SUBMITTED,
)
def submit_claim(
    payload: ClaimIn,
    response: Response,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(SUBMIT),
    session: Session = SESSION,
) -> ClaimOut:
    """Submit a care sheet: it is checked, stored `received`, valued in the same request,
    and answered with each line's decision and explanation."""
    submitted = service.submit(
        session, payload, actor=who.actor, idempotency_key=idempotency_key, who=who
    )
    return _answer(session, response, submitted, accept_language, who)


def _answer(
    session: Session,
    response: Response,
    submitted: tuple[Claim, bool],
    accept_language: str | None,
    who: Principal,
) -> ClaimOut:
    """The stored claim with its decisions; 200 rather than 201 for a replay."""
    claim, created = submitted
    if not created:
        response.status_code = status.HTTP_200_OK
    return service.claim_out(session, claim, negotiate(accept_language=accept_language), who)


MAX_FILES = 10  # documents sent with one care sheet


@router.post(
    "/claims/with-documents",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimOut,
    responses=SUBMITTED,
)
def submit_claim_with_documents(
    response: Response,
    claim: str = Form(description="the care sheet: the JSON body of POST /claims, as text"),
    files: list[UploadFile] = File(description="its scanned documents: PDF, JPEG or PNG"),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(SUBMIT),
    session: Session = SESSION,
) -> ClaimOut:
    """Submit a care sheet with its documents in one request (multipart/form-data): the
    documents are attached before the engine values the claim, so a line that needs one
    (hospital, prosthesis, glasses, devices) is not sent to review for want of it."""
    try:
        draft = ClaimIn.model_validate_json(claim)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", "claim", *e["loc"])} for e in exc.errors()]
        ) from exc
    if len(files) > MAX_FILES:
        raise ValidationFailed.one("files", f"at most {MAX_FILES} documents with one claim")
    uploads = [
        service.Upload(f.filename or "document", f.content_type, store.read_upload(f))
        for f in files
    ]
    submitted = service.submit(
        session, draft, actor=who.actor, idempotency_key=idempotency_key, who=who, uploads=uploads
    )
    return _answer(session, response, submitted, accept_language, who)


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


router.include_router(
    document_routes(
        "/claims",
        owner="claim",
        find=repo.by_number,
        table=ClaimDocument,
        may_upload=SUBMIT,
        may_read=READ,
        logged_as="claim_document",
        about="Attach a scanned document (type read from the bytes, size capped, sha256 kept).",
        seen_by=repo.documents_seen_by,
        columns=service.uploaded_by,
    )
)


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
