"""A claim's page for the fund's staff: its lines, each decision with its reasons in the
reader's language, the documents (images shown, a PDF opened in the browser through the
review pages' document route, or downloaded through the API's), the history
and the payment, and the actions the role allows: approve for payment, ask for a document.

Reads and actions go through the claims services with the API's rules (``claims.endpoints``:
READ and DECIDE for the staff roles); a form with a mistake comes back with an error summary
linked to its fields, in the reader's language, and nothing saved.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims import service as claims
from daman.claims.models import ClaimStatus
from daman.claims.requests import OPEN, ask_for_document, open_requests, requested_document
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed
from daman.core.i18n import N_
from daman.core.text import western_digits
from daman.hcx import service as hcx
from daman.reference.models import Agency
from daman.web.labels import label
from daman.web.shell import FORM, language, page, render

router = APIRouter(include_in_schema=False)

STAFF = (Role.AGENT, Role.CONTROLLER)
READERS = page(*STAFF)  # claims.endpoints.READ, for the fund's staff
DECIDERS = page(*STAFF)  # claims.endpoints.DECIDE

# What a refused form says, by field, in the reader's language.
FIELD_MESSAGES = {
    "document": N_("Say which document is needed, in 500 characters at most."),
    "notify_email": N_("Enter an e-mail address such as name@example.ma, or leave it empty."),
}
DONE = {
    "approved": N_("The claim is approved for payment."),
    "asked": N_("The request for a document is recorded on the claim's history."),
    "told": N_("The request for a document is recorded, and a message is on its way."),
}
REFUSED = {
    "claim_closed": N_("This claim is approved or paid: no document can be asked any more."),
    "claim_not_adjudicated": N_("Only an adjudicated claim can be approved."),
    "nothing_payable": N_("This claim has nothing to pay: there is nothing to approve."),
    "document_requested": N_(
        "A document asked for has not come yet: the claim is approved once it came and the "
        "claim was decided again."
    ),
}
IMAGES = ("image/jpeg", "image/png")


def _number(number: str) -> str:
    return western_digits(number).strip().upper()


def _not_found(request: Request, who: Principal, session: Session) -> HTMLResponse:
    message = N_("No claim has this number.")
    return render(
        request, "message.html", {"message": message}, who=who, session=session, status=404
    )


def _claim_page(
    request: Request,
    number: str,
    who: Principal,
    session: Session,
    *,
    status: int = 200,
    errors: list[tuple[str, str]] | None = None,
    refused: str = "",
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    claim = claims.get(session, number, who)  # NotFound outside the caller's scope
    out = claims.claim_out(session, claim, language(request, who, session), who)
    agency = session.get(Agency, claim.agency_code) if claim.agency_code else None
    paid_at = next((e.at for e in reversed(out.history) if e.to_status == ClaimStatus.PAID), None)
    history = [(e, requested_document(e.reason)) for e in out.history]
    context: dict[str, Any] = {
        "claim": out,
        "agency": agency,
        "paid_at": paid_at,
        "history": history,
        "images": IMAGES,
        "label": label,
        "may_approve": out.status == ClaimStatus.ADJUDICATED
        and claim.payable_centimes > 0
        and not open_requests(claim),
        "may_ask": out.status in OPEN,
        "errors": errors or [],
        "refused": REFUSED.get(refused, ""),
        "done": DONE.get(request.query_params.get("done", ""), ""),
        "form": form or {},
    }
    return render(request, "office/claim.html", context, who=who, session=session, status=status)


@router.get("/office/claims/{number}", response_class=HTMLResponse)
def claim_page(
    request: Request,
    number: str,
    who: Principal = Depends(READERS),
    session: Session = SESSION,
) -> HTMLResponse:
    try:
        return _claim_page(request, _number(number), who, session)
    except NotFound:
        return _not_found(request, who, session)


@router.post("/office/claims/{number}/approve", response_model=None)
def approve(
    request: Request,
    number: str,
    who: Principal = Depends(DECIDERS),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    number = _number(number)
    try:
        claims.approve(session, number, who.actor)
    except NotFound:
        return _not_found(request, who, session)
    except Conflict as refusal:
        return _claim_page(request, number, who, session, status=409, refused=refusal.code)
    return RedirectResponse(f"/office/claims/{number}?done=approved", status_code=303)


@router.post("/office/claims/{number}/ask-document", response_model=None)
def ask_document(
    request: Request,
    number: str,
    document: str = Form("", max_length=2000),
    notify_email: str = Form("", max_length=254),
    who: Principal = Depends(DECIDERS),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    number = _number(number)
    form = {"document": document, "notify_email": notify_email}
    try:
        claim = ask_for_document(session, number, document, notify_email, who)
    except NotFound:
        return _not_found(request, who, session)
    except ValidationFailed as refusal:
        fields = [e.field for e in refusal.detail] if isinstance(refusal.detail, list) else []
        errors = [(f, FIELD_MESSAGES[f]) for f in FIELD_MESSAGES if f in fields]
        return _claim_page(request, number, who, session, status=400, errors=errors, form=form)
    except Conflict as refusal:
        return _claim_page(request, number, who, session, status=409, refused=refusal.code)
    asked = claim.events[-1]  # the request, as recorded on the claim's history
    wanted = requested_document(asked.reason) or document
    sent = hcx.ask_provider(session, claim, wanted, f"{claim.number}/{asked.id}")
    done = "told" if notify_email.strip() or sent else "asked"
    return RedirectResponse(f"/office/claims/{number}?done={done}", status_code=303)
