"""A care provider's care sheets and payments (issue 15), and an agency-free way to send a
document the fund asked for.

``/care/claims``: the care sheets the provider sent (its own lines only, with their
totals: claims.service.page scoped by the repository), by status. ``/care/claims/{number}``:
a care sheet's lines and decisions, its history with each document the fund asked for
(daman.claims.requests) and whether it was answered, what the patient paid at the counter
for a dispensing, and a form to send a document (claims.service.attach_document, as the
API's document route: type read from the bytes, size capped, the same file kept once; the
provider sees only the documents it uploaded). Documents sent while a request is open
answer it and send the care sheet back to review
(daman.adjudication.service.document_received). ``/care/payments``: the transfers the
fund made to the provider, each with its remittance advice
(daman.payments.documents.remittance): the care sheets it pays.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.adjudication import service as adjudication
from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims import service as claims
from daman.claims.models import ClaimStatus
from daman.claims.requests import OPEN, received_documents, requested_document, requests_of
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed
from daman.core.i18n import N_, translate
from daman.documents import store
from daman.payments import documents as payment_documents
from daman.payments import payees
from daman.portal.service import DOCUMENT_ASKED, DOCUMENT_RECEIVED
from daman.prescriptions import repository as prescriptions_repo
from daman.web.labels import label
from daman.web.shell import FORM, language, nav_item, page, render

router = APIRouter(include_in_schema=False)
PROVIDER = page(Role.PROVIDER)
nav_item("/care/claims", N_("Care sheets"), Role.PROVIDER, rank=61)
nav_item("/care/payments", N_("Payments"), Role.PROVIDER, rank=62)
PER_PAGE = 25
MAX_FILES = 5

DONE = {
    "visit": N_("The consultation's care sheet was sent and valued."),
    "dispensed": N_("Dispensed: the care sheet was sent and each box counted on the prescription."),
    "document": N_("The document was sent to the fund."),
    "answered": N_(
        "The document was sent to the fund: the request is answered and the care sheet is "
        "checked again."
    ),
}
# A transfer's status as a provider reads it.
TRANSFER = {
    "in_payment": N_("Being paid"),
    "pending": N_("Sent to the bank"),
    "settled": N_("Paid"),
    "rejected": N_("Rejected by the bank"),
}
FILE_ADVICE = N_("Choose a PDF, JPEG or PNG file of at most 10 MB.")
CLOSED_ADVICE = N_("This care sheet is settled: the fund asks for no more documents.")


@router.get("/care/claims", response_class=HTMLResponse)
def my_claims(
    request: Request,
    status: str = Query("", max_length=20),
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> HTMLResponse:
    chosen = status if status in ClaimStatus.__members__.values() else None
    rows, total = claims.page(
        session, patient=None, status=chosen, limit=PER_PAGE, offset=offset, who=who
    )
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "per_page": PER_PAGE,
        "statuses": list(ClaimStatus),
        "chosen": chosen or "",
        "label": label,
    }
    return render(request, "care/claims.html", context, who=who, session=session)


def _claim_page(
    request: Request,
    session: Session,
    who: Principal,
    number: str,
    *,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    try:
        claim = claims.get(session, number, who)
    except NotFound:
        message = N_("You sent no care sheet with this number.")
        return render(
            request, "message.html", {"message": message}, who=who, session=session, status=404
        )
    lang = language(request, who, session)
    out = claims.claim_out(session, claim, lang, who)
    dispensing = prescriptions_repo.dispensing_of_claim(session, claim.id)
    paid_now = None
    if dispensing is not None:
        paid_now = (
            out.totals.patient_centimes if dispensing.third_party else out.totals.charged_centimes
        )
    asked = requests_of(out.history)
    history = []
    for e in out.history:  # a request and its answer said as such
        note = ""
        if (document := requested_document(e.reason)) is not None:
            note = translate(DOCUMENT_ASKED, lang, document=document)
        elif (files := received_documents(e.reason)) is not None:
            note = translate(DOCUMENT_RECEIVED, lang, documents=files)
        history.append((e, note))
    context: dict[str, Any] = {
        "claim": out,
        "asked": asked,
        "waiting": any(r.answered_at is None for r in asked),
        "history": history,
        "open": claim.status in OPEN,
        "dispensing": dispensing,
        "paid_now": paid_now,
        "done": DONE.get(request.query_params.get("done", ""), ""),
        "error": error,
        "label": label,
    }
    return render(request, "care/claim.html", context, who=who, session=session, status=status)


@router.get("/care/claims/{number}", response_class=HTMLResponse)
def my_claim(
    request: Request,
    number: str,
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> HTMLResponse:
    return _claim_page(request, session, who, number)


@router.post("/care/claims/{number}/documents", response_model=None)
def send_document(
    request: Request,
    number: str,
    files: list[UploadFile] = File([]),
    who: Principal = Depends(PROVIDER),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    """Send the documents the fund asked for, with no trip to an agency."""
    try:
        claim = claims.get(session, number, who)
    except NotFound:
        return _claim_page(request, session, who, number)
    if claim.status not in OPEN:
        return _claim_page(request, session, who, number, error=CLOSED_ADVICE, status=409)
    chosen = [f for f in files if f.filename][:MAX_FILES]
    if not chosen:
        return _claim_page(request, session, who, number, error=FILE_ADVICE, status=400)
    try:
        with session.begin_nested():  # every file or none
            sent = []
            for f in chosen:
                data = store.read_upload(f)
                doc, created = claims.attach_document(
                    session,
                    claim,
                    f.filename or "document",
                    f.content_type,
                    data,
                    who.actor,
                    **claims.uploaded_by(who),
                )
                if created:
                    sent.append(doc.filename)
            answered = bool(sent) and adjudication.document_received(
                session, claim, sent, who.actor
            )
    except (ValidationFailed, Conflict):
        return _claim_page(request, session, who, number, error=FILE_ADVICE, status=400)
    done = "answered" if answered else "document"
    return RedirectResponse(f"/care/claims/{claim.number}?done={done}", status_code=303)


@router.get("/care/payments", response_class=HTMLResponse)
def my_payments(
    request: Request,
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> HTMLResponse:
    rows, total = payees.transfers_to_provider(session, who, limit=PER_PAGE, offset=offset)
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "per_page": PER_PAGE,
        "transfer": TRANSFER,
    }
    return render(request, "care/payments.html", context, who=who, session=session)


@router.get("/care/payments/{reference}", response_class=HTMLResponse)
def remittance(
    request: Request,
    reference: str,
    who: Principal = Depends(PROVIDER),
    session: Session = SESSION,
) -> HTMLResponse:
    """The remittance advice of a transfer: the care sheets and lines it pays."""
    try:
        advice = payment_documents.remittance(session, reference, who)
    except (NotFound, Conflict):
        message = N_("No payment to you has this reference.")
        return render(
            request, "message.html", {"message": message}, who=who, session=session, status=404
        )
    context = {"advice": advice, "transfer": TRANSFER}
    return render(request, "care/remittance.html", context, who=who, session=session)
