"""The agent keys in a paper care sheet at an agency, values it, saves it and prints its
deposit receipt.

``/office/claims/new`` is one form, keyboard first (access keys: Alt+L a line, Alt+V value,
Alt+S save): the patient by immatriculation (their name and rights today shown as soon as
it is typed), the deposit date (today unless changed), the lines. As one types, the act
keys in force on the care date come with their value for the patient's regime, medicines
from the list in force by EAN or name, providers by INPE or name. Its buttons:

- *add a line*: the form again with one more row (HTMX swaps the rows alone);
- *value without saving*: the engine's valuation of each line, through the same checks,
  context and engine as saving (daman.counter.service.value_claim), with nothing written;
- *save*: daman.counter.service.submit_claim, as the API saves a care sheet: channel
  agency, the agent's agency, the agent as actor, the scans chosen in the form attached
  before the engine values the claim, and the form's Idempotency-Key (a double click
  stores one claim and shows it twice).

A refused form comes back (400) with an error summary linked to each field, in the
reader's language; nothing is saved. Then ``/office/claims/{number}/receipt``: the claim
as valued, more scans to attach, and the receipt PDF (daman.counter.receipt) in the agent's
language.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims import service as claims
from daman.claims.explain import Explainer
from daman.claims.models import Channel, Claim
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.enums import CATEGORY_LABELS, CareCategory
from daman.core.errors import Conflict, NotFound, ValidationFailed
from daman.core.i18n import N_, translations
from daman.core.money import format_mad
from daman.core.text import western_digits
from daman.counter import receipt as receipts
from daman.counter import service as counter
from daman.counter.endpoints import MAX_FILES
from daman.documents import store
from daman.providers import repository as providers
from daman.reference import repository as reference
from daman.reference.models import Agency
from daman.registry import service as registry
from daman.registry.schemas import EligibilityOut
from daman.web.labels import label, rights_label
from daman.web.persons import agency_of
from daman.web.sheet_form import (
    FIRST_LINES,
    LABELS,
    MAX_LINES,
    Line,
    Problem,
    Sheet,
    draft,
    head_problem,
    refused,
    sheet_of,
)
from daman.web.shell import FORM, language, nav_item, page, render

router = APIRouter(include_in_schema=False)
AGENT = page(Role.AGENT)  # counter.endpoints.SUBMIT, for the fund's agents
nav_item("/office/claims/new", N_("Paper care sheet"), Role.AGENT, rank=20)

SUGGESTIONS = 12  # offered for what was typed
IMMATRICULATION = 12
DONE = {"scans": N_("The scans are attached to the care sheet.")}
ADD, VALUE, SAVE = "add_line", "value", "save"


def _form_page(
    request: Request,
    session: Session,
    who: Principal,
    sheet: Sheet,
    *,
    problems: Sequence[Problem] = (),
    valued: Claim | None = None,
    focus_row: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = language(request, who, session)
    gettext = translations(lang).gettext
    context = {
        "sheet": sheet,
        "agency": agency_of(session, who),
        "categories": [(c.value, CATEGORY_LABELS[c]) for c in CareCategory],
        "labels": LABELS,
        "summary": [(p.anchor, p.text(gettext)) for p in problems],
        "errors": {p.anchor: p.advice for p in problems},
        "valued": _valuation(session, valued, lang) if valued is not None else None,
        "dry": True,
        "focus_row": focus_row,
        "max_lines": MAX_LINES,
        "max_files": MAX_FILES,
        "today": today().isoformat(),
        "label": label,
    }
    return render(request, "paper/new.html", context, who=who, session=session, status=status)


def _valuation(session: Session, claim: Claim, lang: str) -> dict[str, Any]:
    """The engine's valuation of a claim (valued in a dry run or stored), as shown."""
    explainer = Explainer(session, [])
    return {
        "claim": claim,
        "lines": [(ln, explainer.explain(ln, lang)) for ln in claim.lines],
    }


@router.get("/office/claims/new", response_class=HTMLResponse)
def new_sheet(
    request: Request,
    who: Principal = Depends(AGENT),
    session: Session = SESSION,
) -> HTMLResponse:
    sheet = Sheet(
        deposit_date=today().isoformat(),
        key=uuid.uuid4().hex,
        lines=[Line(care_date="") for _ in range(FIRST_LINES)],
    )
    return _form_page(request, session, who, sheet, focus_row=None)


@router.post("/office/claims/new", response_model=None)
def post_sheet(
    request: Request,
    action: str = Form(SAVE, max_length=20),
    patient: str = Form("", max_length=40),
    deposit_date: str = Form("", max_length=20),
    ald_code: str = Form("", max_length=20),
    key: str = Form("", max_length=64),
    category: list[str] = Form([]),
    care_date: list[str] = Form([]),
    provider: list[str] = Form([]),
    act_key: list[str] = Form([]),
    coefficient: list[str] = Form([]),
    drug: list[str] = Form([]),
    quantity: list[str] = Form([]),
    charged: list[str] = Form([]),
    prescriber: list[str] = Form([]),
    prescribed_on: list[str] = Form([]),
    scans: list[UploadFile] = File([]),
    who: Principal = Depends(AGENT),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    columns = {
        "category": category,
        "care_date": care_date,
        "provider": provider,
        "act_key": act_key,
        "coefficient": coefficient,
        "drug": drug,
        "quantity": quantity,
        "charged": charged,
        "prescriber": prescriber,
        "prescribed_on": prescribed_on,
    }
    sheet = sheet_of(patient, deposit_date, ald_code, key or uuid.uuid4().hex, columns)
    if action == ADD:
        if len(sheet.lines) < MAX_LINES:
            sheet.lines.append(Line(care_date=sheet.lines[-1].care_date if sheet.lines else ""))
        return _form_page(request, session, who, sheet, focus_row=len(sheet.lines) - 1)
    if not sheet.lines:
        sheet.lines = [Line() for _ in range(FIRST_LINES)]
    drafted = draft(sheet)
    uploads, bad_files = _uploads(scans)
    problems = drafted.problems + ([head_problem("files")] if bad_files else [])
    agency = agency_of(session, who)
    if action == SAVE and agency is None:
        problems.insert(0, head_problem("agency"))
    if problems or drafted.claim is None:
        return _form_page(request, session, who, sheet, problems=problems, status=400)
    try:
        if action != SAVE:  # a dry run: nothing is written
            valued = counter.value_claim(
                session,
                drafted.claim,
                who=who,
                with_documents=bool(uploads),
                agency_code=agency.code if agency else None,
            )
            return _form_page(request, session, who, sheet, valued=valued)
        assert agency is not None
        with session.begin_nested():  # a refused sheet leaves nothing behind
            claim, _created = counter.submit_claim(
                session,
                drafted.claim,
                actor=who.actor,
                idempotency_key=sheet.key,
                who=who,
                uploads=uploads,
                agency_code=agency.code,
            )
    except ValidationFailed as exc:
        detail = exc.detail if isinstance(exc.detail, list) else []
        found = refused(detail, drafted.rows) or [head_problem("lines")]
        return _form_page(request, session, who, sheet, problems=found, status=400)
    except Conflict:  # the key was used for another sheet: this form was saved already
        sheet.key = uuid.uuid4().hex
        message = [head_problem("key")]
        return _form_page(request, session, who, sheet, problems=message, status=409)
    return RedirectResponse(f"/office/claims/{claim.number}/receipt", status_code=303)


def _uploads(files: Sequence[UploadFile]) -> tuple[list[claims.Upload], bool]:
    """The scans chosen (an empty file field sends none), and whether one is refused: more
    than the limit, or not a PDF, JPEG or PNG within the size limit."""
    chosen = [f for f in files if f.filename]
    uploads = []
    for f in chosen:
        data = store.read_upload(f)
        try:
            store.check(data, f.content_type)
        except ValidationFailed:
            return [], True
        uploads.append(claims.Upload(f.filename or "scan", f.content_type, data))
    return uploads, len(uploads) > MAX_FILES


# ---------------------------------------------------------------------------------------
# Look-ups as one types (HTMX)


@router.get("/office/claims/new/patient", response_class=HTMLResponse)
def patient_panel(
    request: Request,
    patient: str = Query("", max_length=40),
    who: Principal = Depends(AGENT),
    session: Session = SESSION,
) -> HTMLResponse:
    """The patient's name and rights today, for the immatriculation typed (the read is
    logged as the API's eligibility look-up is)."""
    number = western_digits(patient).strip().upper()
    context: dict[str, Any] = {"number": number, "rights_label": rights_label}
    if len(number) == IMMATRICULATION:
        try:
            person = registry.get_person(session, number, who)
            rights = registry.eligibility(session, number, today(), who)
            assert isinstance(rights, EligibilityOut)  # staff get the explained answer
            context |= {"person": person, "rights": rights}
        except NotFound:
            context["unknown"] = True
    return render(request, "paper/_patient.html", context, who=who, session=session)


@router.get("/office/claims/new/lookup", response_class=HTMLResponse)
def lookup(
    request: Request,
    field: str = Query("", max_length=20),
    act_key: str = Query("", max_length=20),
    drug: str = Query("", max_length=60),
    provider: str = Query("", max_length=60),
    prescriber: str = Query("", max_length=60),
    care_date: str = Query("", max_length=20),
    patient: str = Query("", max_length=40),
    who: Principal = Depends(AGENT),
    session: Session = SESSION,
) -> HTMLResponse:
    """The options of a field's list as typed: ``field`` is act_key, drug, provider or
    prescriber; the other values are the row's (its care date) and the patient."""
    try:
        on = date.fromisoformat(western_digits(care_date).strip())
    except ValueError:
        on = today()
    options: list[tuple[str, str]] = []
    if field == "act_key" and act_key.strip():
        options = _acts(session, act_key, on, patient)
    elif field == "drug" and drug.strip():
        typed = western_digits(drug).strip()
        for found, price in reference.drugs_listed_on(session, typed, on, SUGGESTIONS):
            value = f"{found.name} · {format_mad(price.base_centimes)} MAD"
            options.append((found.code, value))
    elif field in ("provider", "prescriber"):
        typed = western_digits(provider if field == "provider" else prescriber).strip()
        if typed:
            for p in providers.practising(session, typed, on, SUGGESTIONS):
                where = f", {p.city}" if p.city else ""
                options.append((p.inpe, f"{p.name}{where}"))
    return render(request, "paper/_options.html", {"options": options}, who=who, session=session)


def _acts(session: Session, typed: str, on: date, patient: str) -> list[tuple[str, str]]:
    """Act keys starting with what was typed, each with its value on the date: the
    patient's regime's own when it has one (rights on that date), else every regime's."""
    regime = None
    number = western_digits(patient).strip().upper()
    if len(number) == IMMATRICULATION:
        try:
            rights = registry.eligibility(session, number, on)
            regime = rights.regime_code if rights.covered else None
        except NotFound:
            pass
    chosen: dict[str, Any] = {}
    for row in reference.tariffs_starting(session, typed, on, SUGGESTIONS * 4):
        if row.regime_code is None or row.regime_code == regime:
            chosen[row.key] = row  # general first, then the regime's own over it
    return [
        (key, f"{row.label} · {format_mad(row.value_centimes)} MAD")
        for key, row in list(chosen.items())[:SUGGESTIONS]
    ]


# ---------------------------------------------------------------------------------------
# After saving: the receipt page, more scans, the receipt PDF


def _paper_claim(session: Session, number: str, who: Principal) -> Claim:
    """A paper care sheet by number (NotFound for any other claim)."""
    claim = claims.get(session, western_digits(number).strip().upper(), who)
    if claim.channel != Channel.AGENCY:
        raise NotFound(f"claim {claim.number} is not a paper care sheet", code="claim_not_found")
    return claim


def _not_found(request: Request, who: Principal, session: Session) -> HTMLResponse:
    message = N_("No paper care sheet has this number.")
    return render(
        request, "message.html", {"message": message}, who=who, session=session, status=404
    )


def _receipt_page(
    request: Request,
    session: Session,
    who: Principal,
    claim: Claim,
    *,
    problems: Sequence[Problem] = (),
    status: int = 200,
) -> HTMLResponse:
    lang = language(request, who, session)
    gettext = translations(lang).gettext
    context = {
        "claim": claim,
        "agency": session.get(Agency, claim.agency_code) if claim.agency_code else None,
        "valued": _valuation(session, claim, lang),
        "documents": claims.documents_out(claim, who),
        "summary": [(p.anchor, p.text(gettext)) for p in problems],
        "errors": {p.anchor: p.advice for p in problems},
        "done": DONE.get(request.query_params.get("done", ""), ""),
        "max_files": MAX_FILES,
        "label": label,
    }
    return render(request, "paper/receipt.html", context, who=who, session=session, status=status)


@router.get("/office/claims/{number}/receipt", response_class=HTMLResponse)
def receipt_page(
    request: Request,
    number: str,
    who: Principal = Depends(AGENT),
    session: Session = SESSION,
) -> HTMLResponse:
    try:
        claim = _paper_claim(session, number, who)
    except NotFound:
        return _not_found(request, who, session)
    return _receipt_page(request, session, who, claim)


@router.post("/office/claims/{number}/scans", response_model=None)
def attach_scans(
    request: Request,
    number: str,
    scans: list[UploadFile] = File([]),
    who: Principal = Depends(AGENT),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    """Attach scans brought after the sheet was saved (the same file twice is kept once)."""
    try:
        claim = _paper_claim(session, number, who)
    except NotFound:
        return _not_found(request, who, session)
    uploads, bad = _uploads(scans)
    if bad or not uploads:
        return _receipt_page(
            request, session, who, claim, problems=[head_problem("files")], status=400
        )
    by = claims.uploaded_by(who)
    for up in uploads:
        claims.attach_document(
            session, claim, up.filename, up.content_type, up.data, who.actor, **by
        )
    return RedirectResponse(f"/office/claims/{claim.number}/receipt?done=scans", status_code=303)


@router.get("/office/claims/{number}/receipt.pdf", response_model=None)
def receipt_pdf(
    request: Request,
    number: str,
    who: Principal = Depends(AGENT),
    session: Session = SESSION,
) -> Response:
    """The deposit receipt in the agent's language, opened in the browser to be printed."""
    try:
        claim = _paper_claim(session, number, who)
    except NotFound:
        return _not_found(request, who, session)
    lang = language(request, who, session)
    pdf = receipts.render(receipts.receipt_of(session, claim), lang)
    name = f"receipt-{claim.number}-{lang}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{name}"'},
    )
