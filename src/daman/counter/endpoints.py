"""HTTP endpoints of the counter: a care sheet, a pre-authorisation request or a facility
invoice, answered valued in the same request (see service.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Header, Response, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from daman.adjudication import service as adjudication
from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.claims import repository as claims_repo
from daman.claims import service as claims
from daman.claims.fresh import Replay
from daman.claims.models import Claim, ClaimDocument
from daman.claims.schemas import ClaimIn, ClaimOut
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed, error_responses
from daman.core.i18n import negotiate
from daman.counter import realtime, service
from daman.documents import store
from daman.documents.routes import document_routes
from daman.preauth import invoices
from daman.preauth import repository as preauth_repo
from daman.preauth import service as preauth
from daman.preauth.schemas import InvoiceIn, InvoiceOut, PreauthIn, PreauthOut

router = APIRouter()
claims_router = APIRouter(tags=["claims"])
preauth_router = APIRouter(tags=["pre-authorisations"])

# An insured person: their family's care sheets; a provider, the sheets it billed on.
SUBMIT = allow(Role.INSURED, Role.PROVIDER, Role.AGENT)
READ = allow(Role.INSURED, Role.PROVIDER, Role.AGENT, Role.CONTROLLER)
# A provider asks for its own patients' care, an agent keys in a paper request.
PREAUTH = allow(Role.PROVIDER, Role.AGENT)

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


@claims_router.post(
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
    """Submit a care sheet: it is checked, valued, stored with its decisions and answered
    with each line's decision and explanation. Care sheets that arrive together are valued
    together and committed in one transaction before any is answered (counter.realtime)."""
    lang = negotiate(accept_language=accept_language)
    answer = realtime.submit(session, payload, idempotency_key, who, lang)
    if isinstance(answer, Replay):
        response.status_code = status.HTTP_200_OK
        return claims.claim_out(session, claims_repo.by_number(session, answer.number), lang, who)
    return answer


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
    return claims.claim_out(session, claim, negotiate(accept_language=accept_language), who)


MAX_FILES = 10  # documents sent with one care sheet


@claims_router.post(
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
        claims.Upload(f.filename or "document", f.content_type, store.read_upload(f)) for f in files
    ]
    submitted = service.submit_claim(
        session, draft, actor=who.actor, idempotency_key=idempotency_key, who=who, uploads=uploads
    )
    return _answer(session, response, submitted, accept_language, who)


@preauth_router.post(
    "/preauthorisations",
    status_code=status.HTTP_201_CREATED,
    response_model=PreauthOut,
    responses=error_responses(ValidationFailed),
)
def request_preauth(
    payload: PreauthIn,
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(PREAUTH),
    session: Session = SESSION,
) -> PreauthOut:
    """Ask for a prior authorisation: the planned care is valued by the engine (rights,
    expected cover and patient share) and the 48-hour answer clock starts."""
    row = service.request_preauth(session, payload, who)
    return preauth.preauth_out(session, row, negotiate(accept_language=accept_language), who)


@preauth_router.post(
    "/preauthorisations/{number}/invoices",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceOut,
    responses={
        200: {"model": InvoiceOut, "description": "replay of an Idempotency-Key"},
        **error_responses(NotFound, ValidationFailed, Conflict),
    },
)
def send_invoice(
    number: str,
    payload: InvoiceIn,
    response: Response,
    idempotency_key: str | None = Header(
        default=None,
        min_length=1,
        max_length=200,
        description="the same key from the same sender never stores a second invoice",
    ),
    accept_language: str | None = LANGUAGE,
    who: Principal = Depends(PREAUTH),
    session: Session = SESSION,
) -> InvoiceOut:
    """The facility's invoice against the authorisation: matched line by line, approved
    for payment to the facility when nothing goes beyond the authorisation (an over-run
    waits for review); the patient's share is recorded on each line."""
    invoice, created = service.submit_invoice(session, number, payload, who, idempotency_key)
    if not created:
        response.status_code = status.HTTP_200_OK
    row = preauth_repo.by_number(session, number, who)
    return invoices.invoice_out(session, row, invoice, negotiate(accept_language=accept_language))


def _document_received(session: Session, claim: Claim, filename: str, who: Principal) -> None:
    adjudication.document_received(session, claim, [filename], who.actor)


claims_router.include_router(
    document_routes(
        "/claims",
        owner="claim",
        find=claims_repo.by_number,
        table=ClaimDocument,
        may_upload=SUBMIT,
        may_read=READ,
        logged_as="claim_document",
        about=(
            "Attach a scanned document (type read from the bytes, size capped, sha256 kept). "
            "A document the fund asked for answers the request and sends an adjudicated "
            "claim's paid lines back to review."
        ),
        seen_by=claims_repo.documents_seen_by,
        columns=claims.uploaded_by,
        attached=_document_received,
    )
)
router.include_router(claims_router)
router.include_router(preauth_router)
