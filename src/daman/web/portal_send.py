"""Sending a care sheet from the portal: who had the care, what kind, what the papers say,
their photos; what is missing before sending; the expected reimbursement before sending.

``/me/send-claim`` is one form (daman.web.portal_form), phone first. The kind of care shows
its own fields and photos (CSS alone: the form works the same without JavaScript). Its
buttons:

- *check*: the photos chosen are reduced and kept (the form carries them on), the checklist
  of the kind says what is still missing, and the engine values what was typed in a dry run
  (daman.counter.service.value_claim: the same checks, context and engine as sending, with
  nothing written): the expected reimbursement, line by line, in plain words;
- *add a box* (medicines): one more row;
- *send*: when nothing is missing, daman.counter.service.submit_claim with the photos, as
  ``POST /api/v1/claims/with-documents`` does (channel electronic, the person as actor, the
  form's Idempotency-Key: a second click sends nothing twice), then the claim's page.

A refused form comes back (400) with an error summary linked to each field, in the
reader's language; nothing is saved.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.claims import service as claims
from daman.claims.explain import Explainer
from daman.claims.models import Claim
from daman.config import get_settings
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.errors import Conflict, ValidationFailed
from daman.core.i18n import translations
from daman.counter import service as counter
from daman.counter.endpoints import MAX_FILES
from daman.documents import store
from daman.portal import checklist, decisions
from daman.portal import service as portal
from daman.web.labels import label
from daman.web.portal import INSURED, reduced_uploads
from daman.web.portal_form import (
    ADVICE,
    DOCTORS,
    FIRST_BOXES,
    MAX_BOXES,
    Box,
    ClaimForm,
    Kept,
    boxes_of,
    draft,
    given,
    kept_of,
    refused,
    signed,
)
from daman.web.shell import FORM, language, render

router = APIRouter(include_in_schema=False)
AT_ONCE = 4  # documents of the largest size one post may carry (more: check, then add)
CHECK, ADD_BOX, SEND = "check", "add_box", "send"
ORDER = (
    "member",
    "kind",
    "care_date",
    "provider",
    "doctor",
    "charged",
    "coefficient",
    "prescriber",
    "prescribed_on",
    "boxes",
)


def wide_bodies() -> dict[str, int]:
    """The bodies the portal's forms with documents may send (daman.core.hardening)."""
    size = get_settings().max_document_bytes * AT_ONCE + 1024 * 1024
    return {"/me/send-claim": size, "/me/claims/": size}


def _members(session: Session, who: Principal, lang: str) -> list[portal.Member]:
    return portal.family(session, who, lang)


def _page(
    request: Request,
    session: Session,
    who: Principal,
    form: ClaimForm,
    *,
    problems: dict[str, str] | None = None,
    valued: Claim | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = language(request, who, session)
    gettext = translations(lang).gettext
    problems = problems or {}
    order = {name: n for n, name in enumerate(ORDER)}
    shown = sorted(problems.items(), key=lambda p: order.get(p[0].split("-")[0], 50))
    holds = given(form)
    assert who.user_id is not None
    context: dict[str, Any] = {
        "form": form,
        "members": _members(session, who, lang),
        "kinds": list(checklist.Kind),
        "kind_labels": checklist.KIND_LABELS,
        "photos": list(checklist.Photo),
        "photo_labels": checklist.PHOTO_LABELS,
        "photo_kinds": {
            photo: [k for k, ps in checklist.PHOTOS.items() if photo in ps]
            for photo in checklist.Photo
        },
        "checklists": {kind: checklist.check(kind, holds) for kind in checklist.Kind},
        "doctors": DOCTORS,
        "errors": {anchor: gettext(message) for anchor, message in shown},
        "kept_tokens": [(k, signed(k, who.user_id)) for k in form.kept],
        "valued": _valued(session, valued, lang) if valued is not None else None,
        "today": today().isoformat(),
        "max_boxes": MAX_BOXES,
        "label": label,
    }
    return render(request, "portal/send.html", context, who=who, session=session, status=status)


def _valued(session: Session, claim: Claim, lang: str) -> dict[str, Any]:
    """The dry run's answer as the person reads it: the totals and each line in words."""
    explainer = Explainer(session, [])
    lines = []
    for ln in claim.lines:
        paid = (ln.amo_centimes or 0) + (ln.complementary_centimes or 0)
        reasons = explainer.explain(ln, lang)
        lines.append((ln, decisions.said(ln.status, ln.charged_centimes, paid, reasons, lang)))
    return {"claim": claim, "lines": lines, "expected": claim.payable_centimes}


@router.get("/me/send-claim", response_class=HTMLResponse)
def new_claim(
    request: Request, who: Principal = Depends(INSURED), session: Session = SESSION
) -> HTMLResponse:
    kind = request.query_params.get("kind", checklist.Kind.CONSULTATION.value)
    form = ClaimForm(
        member=portal.me(session, who).immatriculation,
        kind=kind if kind in checklist.Kind.__members__.values() else "consultation",
        care_date=today().isoformat(),
        key=uuid.uuid4().hex,
        boxes=[Box() for _ in range(FIRST_BOXES)],
    )
    return _page(request, session, who, form)


def _keep(form: ClaimForm, problems: dict[str, str], who: Principal, tokens: list[str]) -> None:
    """The photos the form carries on, checked against this account's signature."""
    assert who.user_id is not None
    for token in tokens:
        found = kept_of(token, who.user_id)
        if found is None or not store.path_for(found.sha256).exists():
            problems["kept"] = ADVICE["kept"]
        elif found not in form.kept:
            form.kept.append(found)


def _receive(
    form: ClaimForm,
    problems: dict[str, str],
    photo: checklist.Photo,
    files: list[UploadFile],
) -> None:
    """New photos of one field: reduced, stored by checksum, carried on by the form."""
    try:
        for upload in reduced_uploads(files, photo.value):
            sha = store.write_blob(upload.data)
            extension = store.EXTENSIONS.get(upload.content_type or "", ".bin")
            kept = Kept(photo, sha, extension)
            if kept not in form.kept:
                form.kept.append(kept)
    except ValidationFailed:
        problems[photo.value] = ADVICE[photo.value]
    if len(form.kept) > MAX_FILES:
        problems[photo.value] = ADVICE[photo.value]


def _documents(form: ClaimForm) -> list[claims.Upload]:
    counts: dict[str, int] = {}
    out = []
    for k in form.kept:
        counts[k.photo] = counts.get(k.photo, 0) + 1
        data = store.path_for(k.sha256).read_bytes()
        out.append(claims.Upload(f"{k.photo}-{counts[k.photo]}{k.extension}", None, data))
    return out


@router.post("/me/send-claim", response_model=None)
def post_claim(
    request: Request,
    action: str = Form(CHECK, max_length=20),
    member: str = Form("", max_length=40),
    kind: str = Form("", max_length=20),
    care_date: str = Form("", max_length=20),
    provider: str = Form("", max_length=40),
    doctor: str = Form("C", max_length=5),
    charged: str = Form("", max_length=30),
    coefficient: str = Form("", max_length=20),
    prescriber: str = Form("", max_length=40),
    prescribed_on: str = Form("", max_length=20),
    key: str = Form("", max_length=64),
    ean: list[str] = Form([]),
    quantity: list[str] = Form([]),
    price: list[str] = Form([]),
    kept: list[str] = Form([]),
    care_sheet: list[UploadFile] = File([]),
    prescription: list[UploadFile] = File([]),
    barcodes: list[UploadFile] = File([]),
    who: Principal = Depends(INSURED),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    form = ClaimForm(
        member=member,
        kind=kind,
        care_date=care_date,
        provider=provider,
        doctor=doctor,
        charged=charged,
        coefficient=coefficient,
        prescriber=prescriber,
        prescribed_on=prescribed_on,
        key=key or uuid.uuid4().hex,
        boxes=boxes_of(ean[:MAX_BOXES], quantity[:MAX_BOXES], price[:MAX_BOXES]),
    )
    problems: dict[str, str] = {}
    _keep(form, problems, who, kept[:MAX_FILES])
    for photo, files in (
        (checklist.Photo.CARE_SHEET, care_sheet),
        (checklist.Photo.PRESCRIPTION, prescription),
        (checklist.Photo.BARCODES, barcodes),
    ):
        _receive(form, problems, photo, files)
    if action == ADD_BOX:
        if len(form.boxes) < MAX_BOXES:
            form.boxes.append(Box())
        return _page(
            request, session, who, form, problems=problems, status=400 if problems else 200
        )
    if not form.boxes:
        form.boxes = [Box() for _ in range(FIRST_BOXES)]
    lang = language(request, who, session)
    members = {m.person.immatriculation for m in _members(session, who, lang)}
    drafted = draft(form, members)
    problems |= drafted.problems
    valued = None
    if drafted.claim is not None and not problems:
        try:
            valued = counter.value_claim(
                session, drafted.claim, who=who, with_documents=bool(form.kept)
            )
        except ValidationFailed as exc:
            found = exc.detail if isinstance(exc.detail, list) else []
            problems |= refused(found, form.chosen_kind, drafted.rows)
    if action == SEND and drafted.claim is not None and not problems:
        kind_ = form.chosen_kind
        assert kind_ is not None
        if not checklist.complete(checklist.check(kind_, given(form))):
            problems["checklist"] = ADVICE["checklist"]
        else:
            try:
                with session.begin_nested():  # a refused claim leaves nothing behind
                    claim, _created = counter.submit_claim(
                        session,
                        drafted.claim,
                        actor=who.actor,
                        idempotency_key=form.key,
                        who=who,
                        uploads=_documents(form),
                    )
            except ValidationFailed as exc:
                found = exc.detail if isinstance(exc.detail, list) else []
                problems |= refused(found, form.chosen_kind, drafted.rows)
            except Conflict:  # the key was used for another care sheet: sent already
                form.key = uuid.uuid4().hex
                problems["key"] = ADVICE["key"]
            else:
                return RedirectResponse(f"/me/claims/{claim.number}?done=sent", status_code=303)
    status = 400 if problems else 200
    return _page(request, session, who, form, problems=problems, valued=valued, status=status)
