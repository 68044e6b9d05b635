"""The insured person's portal, on a phone first, in Arabic and French.

- ``/me/family``: each member's rights today, until when and why (the registry's rights
  check), and a rights certificate to download for each one covered (a PDF with a reference
  and a QR code anyone can check at ``/verify``);
- ``/me/claims``: the family's care sheets; ``/me/claims/{number}``: its timeline with the
  estimated payment date, each line's decision in plain words with what to do next, the
  payments that paid it with their statements (or, for a care sheet the fund pays to its
  provider, tiers payant, that provider and what the patient paid at the counter), its
  documents (more can be sent while the fund still settles it). Opening a decided claim
  records that its decision was read;
- ``/me/payments``: the transfers received, each with its statement (PDF);
- ``/me/messages``: the thread with the fund.

Sending a claim is ``portal_send.py``; sign-in by code ``portal_sign_in.py``. Every read
and write goes through the services the API uses, with the caller's Principal: an insured
person reaches their family only (anything else is "not found").
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.adjudication import service as adjudication
from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims import service as claims
from daman.claims.models import Claim
from daman.claims.requests import OPEN, open_requests
from daman.config import get_settings
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed
from daman.core.i18n import N_, translations
from daman.core.text import western_digits
from daman.documents import images, store
from daman.payments import documents as statements
from daman.payments import repository as payments
from daman.payments.models import shown_status
from daman.portal import decisions
from daman.portal import service as portal
from daman.registry import certificate, dependents
from daman.web.labels import label, rights_label
from daman.web.shell import FORM, language, nav_item, page, render

router = APIRouter(include_in_schema=False)
INSURED = page(Role.INSURED)

nav_item("/me/family", N_("My family"), Role.INSURED, rank=10)
nav_item("/me/claims", N_("My claims"), Role.INSURED, rank=11)
nav_item("/me/send-claim", N_("Send a claim"), Role.INSURED, rank=12)
nav_item("/me/payments", N_("Payments"), Role.INSURED, rank=13)
nav_item("/me/messages", N_("Messages"), Role.INSURED, rank=14)

PER_PAGE = 20
PAYMENTS_SHOWN = 50
MAX_FILES = 5  # documents sent at once (each within the document store's size limit)
DONE = {
    "documents": N_("The documents are added to the care sheet."),
    "answered": N_(
        "The documents are added to the care sheet: the fund has what it asked for and "
        "checks the care sheet again."
    ),
    "sent": N_("Your care sheet is sent. Its decision is below; you will be told of any change."),
    "message": N_("Your message is sent. The fund answers here, and tells you by SMS."),
}
REFUSED = {
    "claim_closed": N_("This care sheet is approved or paid: no document can be added any more."),
}


def _context(**values: Any) -> dict[str, Any]:
    return {"label": label, "rights_label": rights_label, **values}


def _not_found(request: Request, who: Principal, session: Session, message: str) -> HTMLResponse:
    return render(
        request, "message.html", {"message": message}, who=who, session=session, status=404
    )


def verify_url(request: Request) -> str:
    """The public verification page's address, as printed on certificates."""
    base = get_settings().public_url or str(request.base_url)
    return base.rstrip("/") + certificate.VERIFY_PATH


# -- the family --------------------------------------------------------------------------


@router.get("/me/family", response_class=HTMLResponse)
def family_page(
    request: Request, who: Principal = Depends(INSURED), session: Session = SESSION
) -> HTMLResponse:
    lang = language(request, who, session)
    members = portal.family(session, who, lang)
    return render(
        request, "portal/family.html", _context(members=members), who=who, session=session
    )


@router.get("/me/family/{immatriculation}/certificate.pdf", response_model=None)
def certificate_pdf(
    request: Request,
    immatriculation: str,
    who: Principal = Depends(INSURED),
    session: Session = SESSION,
) -> Response:
    """The rights certificate of a member of the family, in the reader's language."""
    lang = language(request, who, session)
    number = western_digits(immatriculation).strip().upper()
    try:
        issued = certificate.issue(session, number, who, lang)
    except NotFound:
        return _not_found(request, who, session, N_("No member of your family has this number."))
    except certificate.NotCovered:
        message = N_("This person is not covered today: no rights certificate can be issued.")
        return render(
            request, "message.html", {"message": message}, who=who, session=session, status=409
        )
    pdf = certificate.render(issued, lang, verify_url(request))
    name = f"attestation-{issued.immatriculation}-{issued.issued_on:%Y%m%d}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{name}"'},
    )


# -- claims ------------------------------------------------------------------------------


def _names(session: Session, who: Principal, lang: str) -> dict[str, str]:
    """Each member's first name by immatriculation, in Arabic script for an Arabic reader
    when the registry has it (the claims list names the patient)."""
    own = portal.me(session, who)
    members = [own] + [
        d.person for d in dependents.list_dependents(session, own.immatriculation, who)
    ]
    return {
        p.immatriculation: (p.first_name_ar if lang == "ar" else None) or p.first_name
        for p in members
    }


@router.get("/me/claims", response_class=HTMLResponse)
def claims_page(
    request: Request,
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Principal = Depends(INSURED),
    session: Session = SESSION,
) -> HTMLResponse:
    rows, total = claims.page(
        session, patient=None, status=None, limit=PER_PAGE, offset=offset, who=who
    )
    context = _context(
        rows=rows,
        total=total,
        offset=offset,
        per_page=PER_PAGE,
        names=_names(session, who, language(request, who, session)),
        direct=portal.paid_directly_by_number(session, [c.number for c in rows]),
    )
    return render(request, "portal/claims.html", context, who=who, session=session)


def _claim_page(
    request: Request,
    session: Session,
    who: Principal,
    claim: Claim,
    *,
    errors: dict[str, str] | None = None,
    refused: str = "",
    status: int = 200,
) -> HTMLResponse:
    lang = language(request, who, session)
    out = claims.claim_out(session, claim, lang, who)
    estimate = portal.estimated_payment(session, claim)
    asked = open_requests(claim)
    paid_to = portal.paid_directly(session, [claim.id]).get(claim.id)  # tiers payant
    portal.record_read(session, claim, who)
    context = _context(
        claim=out,
        patient=claim.patient,
        lines=[(ln, decisions.words(ln, lang)) for ln in out.lines],
        steps=portal.timeline(claim, lang, estimate, paid_to),
        estimate=estimate,
        paid_to=paid_to,
        transfers=[
            (t, paid, shown_status(t))
            for t, paid in payments.transfers_of_claim(session, claim.id, who)
        ],
        asked=asked,
        may_add=claim.status in OPEN,
        max_files=MAX_FILES,
        errors=errors or {},
        refused=REFUSED.get(refused, ""),
        done=DONE.get(request.query_params.get("done", ""), ""),
    )
    return render(request, "portal/claim.html", context, who=who, session=session, status=status)


def _claim(session: Session, number: str, who: Principal) -> Claim:
    return claims.get(session, western_digits(number).strip().upper(), who)


@router.get("/me/claims/{number}", response_class=HTMLResponse)
def claim_page(
    request: Request, number: str, who: Principal = Depends(INSURED), session: Session = SESSION
) -> HTMLResponse:
    try:
        claim = _claim(session, number, who)
    except NotFound:
        return _not_found(
            request, who, session, N_("No care sheet of your family has this number.")
        )
    return _claim_page(request, session, who, claim)


def reduced_uploads(
    files: list[UploadFile], field: str, limit: int = MAX_FILES
) -> list[claims.Upload]:
    """The files chosen in a field, photos reduced (daman.documents.images), each checked
    by the document store; ValidationFailed naming the field and the reason."""
    chosen = [f for f in files if f.filename]
    if len(chosen) > limit:
        raise ValidationFailed.one(field, f"at most {limit} files at a time")
    uploads = []
    for f in chosen:
        data = store.read_upload(f)
        store.check(data, None)  # the size and type of what was sent, before reducing it
        data, kind = images.reduce(data, field)
        uploads.append(claims.Upload(f.filename or "document", kind, data))
    return uploads


@router.post("/me/claims/{number}/documents", response_model=None)
def add_documents(
    request: Request,
    number: str,
    documents: list[UploadFile] = File([]),
    who: Principal = Depends(INSURED),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    """Documents sent after the care sheet (one the fund asked for), while it is settled."""
    gettext = translations(language(request, who, session)).gettext
    try:
        claim = _claim(session, number, who)
    except NotFound:
        return _not_found(
            request, who, session, N_("No care sheet of your family has this number.")
        )
    if claim.status not in OPEN:
        return _claim_page(request, session, who, claim, refused="claim_closed", status=409)
    message = gettext("Choose one to five files: photos (JPEG, PNG) or PDF, 10 MB each at most.")
    try:
        uploads = reduced_uploads(documents, "documents")
        if not uploads:
            raise ValidationFailed.one("documents", "choose a file")
        by = claims.uploaded_by(who)
        with session.begin_nested():  # all the files or none
            sent = []
            for up in uploads:
                doc, created = claims.attach_document(
                    session, claim, up.filename, up.content_type, up.data, who.actor, **by
                )
                if created:
                    sent.append(doc.filename)
            answered = bool(sent) and adjudication.document_received(
                session, claim, sent, who.actor
            )
    except ValidationFailed:
        return _claim_page(request, session, who, claim, errors={"documents": message}, status=400)
    except Conflict:
        return _claim_page(request, session, who, claim, refused="claim_closed", status=409)
    done = "answered" if answered else "documents"
    return RedirectResponse(f"/me/claims/{claim.number}?done={done}", status_code=303)


# -- payments ----------------------------------------------------------------------------


@router.get("/me/payments", response_class=HTMLResponse)
def payments_page(
    request: Request, who: Principal = Depends(INSURED), session: Session = SESSION
) -> HTMLResponse:
    own = portal.me(session, who)
    rows = [
        (t, shown_status(t)) for t in payments.transfers_to_person(session, own.id, PAYMENTS_SHOWN)
    ]
    return render(request, "portal/payments.html", _context(rows=rows), who=who, session=session)


@router.get("/me/payments/{reference}/statement.pdf", response_model=None)
def statement_pdf(
    request: Request,
    reference: str,
    who: Principal = Depends(INSURED),
    session: Session = SESSION,
) -> Response:
    """The statement of a payment received (French and Arabic, daman.payments)."""
    try:
        name, pdf = statements.statement_pdf(session, western_digits(reference).strip(), who)
    except (NotFound, Conflict):
        return _not_found(request, who, session, N_("No payment to you has this reference."))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{name}"'},
    )


# -- messages ----------------------------------------------------------------------------


def _messages_page(
    request: Request,
    session: Session,
    who: Principal,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    own = portal.me(session, who)
    recent, _total = claims.page(session, patient=None, status=None, limit=20, offset=0, who=who)
    context = _context(
        thread=portal.read_thread(session, own, who),
        recent=recent,
        form=form or {"claim": request.query_params.get("claim", "")[:12]},
        errors=errors or {},
        max_length=portal.MAX_MESSAGE,
        done=DONE.get(request.query_params.get("done", ""), ""),
    )
    return render(request, "portal/messages.html", context, who=who, session=session, status=status)


@router.get("/me/messages", response_class=HTMLResponse)
def messages_page(
    request: Request, who: Principal = Depends(INSURED), session: Session = SESSION
) -> HTMLResponse:
    return _messages_page(request, session, who)


@router.post("/me/messages", response_model=None)
def send_message(
    request: Request,
    body: str = Form("", max_length=10_000),
    claim: str = Form("", max_length=20),
    who: Principal = Depends(INSURED),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = translations(language(request, who, session)).gettext
    form = {"body": body, "claim": claim}
    number = western_digits(claim).strip().upper() or None
    errors: dict[str, str] = {}
    if number is not None:
        try:
            claims.get(session, number, who)
        except NotFound:
            errors["claim"] = gettext("Choose one of your family's care sheets, or none.")
    if not errors:
        try:
            portal.post_message(session, portal.me(session, who), body, who, number)
        except ValidationFailed:
            errors["body"] = gettext(
                "Write your message: at most %(n)s characters, plain text."
            ) % {"n": portal.MAX_MESSAGE}
    if errors:
        return _messages_page(request, session, who, form=form, errors=errors, status=400)
    return RedirectResponse("/me/messages?done=message", status_code=303)
