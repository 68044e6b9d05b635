"""The fund's contributions pages: the agent's and the analyst's.

- ``/office/contributions``: find a payer's account (its number, an employer's CNSS number
  or a member's immatriculation), import the bank's file (camt.054 / camt.053, or a
  collection partner's CSV) with its report, and the receipts held in suspense, each to
  assign to the payer it came from with a reason;
- ``/office/contributions/accounts/{number}``: a payer's account (position, calls,
  receipts, ledger, statement) and the form to adjust or waive, with a mandatory reason;
- ``/office/collected``: collected against due per regime and month, counts and sums only
  (no payer named), for analysts and agents.

Each page calls the same service as the API (daman.contributions.collection), with the
same role rules (the API's STAFF and FIGURES), in the request's transaction; a refused
change leaves nothing behind.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.contributions.collection import accounts, arrears, receipts, service
from daman.contributions.collection import repository as repo
from daman.contributions.collection.endpoints import MAX_FILE_BYTES
from daman.contributions.collection.errors import CallNotFound, NotInSuspense, ReceiptNotFound
from daman.contributions.collection.receipts import ReceiptReport
from daman.contributions.collection.schemas import CollectedOut, month_of
from daman.contributions.ledger.models import Part
from daman.core.dates import add_months, month_start, today
from daman.core.db import SESSION
from daman.core.errors import DamanError, NotFound
from daman.core.i18n import N_, translations
from daman.core.money import MAX_CENTIMES, MoneyError, parse_mad
from daman.core.text import western_digits
from daman.web.contributions import account_view, context, message, statement_response
from daman.web.shell import FORM, language, nav_item, page, refusals, render

router = APIRouter(include_in_schema=False)
STAFF = page(Role.AGENT)  # the API's STAFF: the fund's collection officers
FIGURES = page(Role.ANALYST, Role.AGENT)  # the API's FIGURES

nav_item("/office/contributions", N_("Contributions"), Role.AGENT, rank=40)
nav_item("/office/collected", N_("Collected against due"), Role.ANALYST, Role.AGENT, rank=70)

DONE = {
    "adjusted": N_("The adjustment is recorded on the account."),
    "waived": N_("The waiver is recorded on the account."),
    "assigned": N_("The payment is assigned to the account and applied to what it owes."),
}


def _gettext(request: Request, who: Principal, session: Session) -> Any:
    return translations(language(request, who, session)).gettext


# -- finding an account, the bank's files, suspense ---------------------------------------


def _office_page(
    request: Request,
    session: Session,
    who: Principal,
    *,
    q: str = "",
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    report: ReceiptReport | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    suspended = receipts.suspended(session, who.actor)
    values = context(
        q=q,
        errors=errors or {},
        form=form or {},
        report=report,
        suspended=suspended,
        done=DONE.get(done, ""),
    )
    return render(
        request, "contributions/office.html", values, who=who, session=session, status=status
    )


def find_account(session: Session, who: Principal, typed: str) -> str | None:
    """The number of the account `typed` names: the account's own number, an employer's
    CNSS number or a member's immatriculation (None if none)."""
    text = western_digits(typed).strip().upper()
    for number in (text, f"E{text}", accounts.member_number(text)):
        try:
            return repo.visible(session, who, number).number
        except NotFound:
            continue
    return None


@router.get("/office/contributions", response_class=HTMLResponse)
def office(
    request: Request,
    q: str = Query("", max_length=60),
    done: str = Query("", max_length=20),
    who: Principal = Depends(STAFF),
    session: Session = SESSION,
) -> Response:
    if q.strip():
        number = find_account(session, who, q)
        if number is not None:
            return RedirectResponse(f"/office/contributions/accounts/{number}", status_code=303)
        gettext = _gettext(request, who, session)
        errors = {"q": gettext("No payer account has this number.")}
        return _office_page(request, session, who, q=q, errors=errors, status=404)
    return _office_page(request, session, who, done=done)


@router.post("/office/contributions/receipts", response_model=None)
def import_receipts(
    request: Request,
    file: UploadFile | None = File(None),
    partner: str = Form("", max_length=100),
    who: Principal = Depends(STAFF),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    """The bank's file (or a partner's CSV), as POST /contributions/receipts."""
    gettext = _gettext(request, who, session)
    data = file.file.read(MAX_FILE_BYTES + 1) if file is not None else b""
    name = (file.filename if file is not None else None) or "receipts"
    form = {"partner": partner}
    errors: dict[str, str] = {}
    if not data:
        errors["file"] = gettext("Choose the bank's file (camt.054, camt.053) or a partner's CSV.")
    elif len(data) > MAX_FILE_BYTES:
        errors["file"] = gettext("The file is larger than 50 MB.")
    xml = data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    if data and not xml and not partner.strip():
        errors["partner"] = gettext("A CSV file comes from a collection partner: name it.")
    if errors:
        return _office_page(request, session, who, errors=errors, form=form, status=400)
    try:
        with session.begin_nested():  # a refused file leaves nothing behind
            if xml:
                report = receipts.import_bank_file(session, data, name, who.actor)
            else:
                report = receipts.import_partner_file(session, data, name, partner, who.actor)
    except DamanError as exc:
        found = refusals(exc, ("file", "partner"))
        errors = {}
        if "partner" in found:
            errors["partner"] = gettext("Name the partner: 2 to 30 letters, digits, - or _.")
        if set(found) - {"partner"}:
            detail = "; ".join(text for field, text in found.items() if field != "partner")
            errors["file"] = gettext(
                "The file cannot be read as a camt.054, a camt.053 or a partner's CSV: %(detail)s"
            ) % {"detail": detail}
        return _office_page(request, session, who, errors=errors, form=form, status=400)
    return _office_page(request, session, who, report=report)


@router.post("/office/contributions/suspense/{receipt_id}/assign", response_model=None)
def assign(
    request: Request,
    receipt_id: int,
    account: str = Form("", max_length=60),
    reason: str = Form("", max_length=500),
    who: Principal = Depends(STAFF),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    """A receipt held in suspense given to its payer, as POST .../receipts/{id}/assign."""
    gettext = _gettext(request, who, session)
    errors: dict[str, str] = {}
    number = find_account(session, who, account) if account.strip() else None
    if number is None:
        errors[f"account-{receipt_id}"] = gettext("No payer account has this number.")
    if not reason.strip():
        errors[f"reason-{receipt_id}"] = gettext("Say why this payment belongs to this payer.")
    if not errors and number is not None:
        try:
            with session.begin_nested():
                receipts.assign(session, receipt_id, number, reason, who.actor)
        except (ReceiptNotFound, NotInSuspense):
            errors[f"account-{receipt_id}"] = gettext("This payment is not held in suspense.")
        except DamanError as exc:
            found = refusals(exc, ("account", "reason"))
            errors = {
                f"{'reason' if field == 'reason' else 'account'}-{receipt_id}": text
                for field, text in found.items()
            }
    if errors:
        form = {f"account-{receipt_id}": account, f"reason-{receipt_id}": reason}
        return _office_page(request, session, who, errors=errors, form=form, status=400)
    return RedirectResponse(
        f"/office/contributions/accounts/{number}?done=assigned", status_code=303
    )


# -- a payer's account: adjust or waive ----------------------------------------------------


def _account_page(
    request: Request,
    session: Session,
    who: Principal,
    number: str,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    try:
        account = repo.visible(session, who, number)
    except NotFound:
        return message(request, who, session, N_("No payer account has this number."), 404)
    values = context(
        view=account_view(session, who, account),
        statement_action=f"/office/contributions/accounts/{account.number}/statement.pdf",
        year_start=today().replace(month=1, day=1),
        today=today(),
        errors=errors or {},
        form=form or {"effect": "reduce", "part": "principal"},
        done=DONE.get(done, ""),
    )
    return render(
        request, "contributions/account.html", values, who=who, session=session, status=status
    )


@router.get("/office/contributions/accounts/{number}", response_class=HTMLResponse)
def account_page(
    request: Request,
    number: str,
    done: str = Query("", max_length=20),
    who: Principal = Depends(STAFF),
    session: Session = SESSION,
) -> Response:
    return _account_page(request, session, who, number, done=done)


@router.get("/office/contributions/accounts/{number}/statement.pdf", response_model=None)
def account_statement(
    request: Request,
    number: str,
    start: str = Query("", max_length=20),
    end: str = Query("", max_length=20),
    who: Principal = Depends(STAFF),
    session: Session = SESSION,
) -> Response:
    try:
        account = repo.visible(session, who, number)
    except NotFound:
        return message(request, who, session, N_("No payer account has this number."), 404)
    return statement_response(request, session, who, account, start, end)


@router.post("/office/contributions/accounts/{number}/adjust", response_model=None)
def adjust(
    request: Request,
    number: str,
    amount: str = Form("", max_length=30),
    effect: str = Form("", max_length=10),
    call: str = Form("", max_length=60),
    part: str = Form("principal", max_length=20),
    waiver: str = Form("", max_length=5),
    reason: str = Form("", max_length=1000),
    who: Principal = Depends(STAFF),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    """A correction or a waiver with its reason, as POST /contributions/adjustments: a new
    entry, never an edit."""
    gettext = _gettext(request, who, session)
    form = {
        "amount": amount,
        "effect": effect,
        "call": call,
        "part": part,
        "waiver": waiver,
        "reason": reason,
    }
    errors: dict[str, str] = {}
    centimes = 0
    try:
        centimes = parse_mad(western_digits(amount))
    except MoneyError:
        errors["amount"] = gettext("Write the amount in MAD, for example 120.50.")
    else:
        if not 0 < centimes <= MAX_CENTIMES:
            errors["amount"] = gettext("Write an amount above zero.")
    if effect not in ("add", "reduce"):
        errors["effect"] = gettext("Say whether the amount adds to what is owed or reduces it.")
    elif waiver and effect == "add":
        errors["effect"] = gettext("A waiver reduces what is owed.")
    elif effect == "add" and not call:
        errors["call"] = gettext("An amount owed is owed on a call: choose it.")
    if part not in (Part.PRINCIPAL, Part.PENALTY):
        errors["part"] = gettext("Choose the contribution or the penalty.")
    if not reason.strip():
        errors["reason"] = gettext("Give the reason: it is kept with the entry.")
    if not errors:
        try:
            with session.begin_nested():
                arrears.adjust(
                    session,
                    account_number=number,
                    amount_centimes=centimes if effect == "add" else -centimes,
                    reason=reason,
                    actor=who.actor,
                    call_number=call or None,
                    part=Part(part),
                    waiver=bool(waiver),
                )
        except CallNotFound:
            errors["call"] = gettext("No call of this account has this number.")
        except DamanError as exc:
            errors = refusals(exc, ("amount", "call", "reason"))
    if errors:
        return _account_page(request, session, who, number, errors=errors, form=form, status=400)
    done = "waived" if waiver else "adjusted"
    return RedirectResponse(f"/office/contributions/accounts/{number}?done={done}", status_code=303)


# -- collected against due -----------------------------------------------------------------


@router.get("/office/collected", response_class=HTMLResponse)
def collected(
    request: Request,
    start: str = Query("", max_length=20),
    end: str = Query("", max_length=20),
    who: Principal = Depends(FIGURES),
    session: Session = SESSION,
) -> Response:
    """Collected against due per regime and month (GET /statistics/contributions)."""
    gettext = _gettext(request, who, session)
    this_month = month_start(today())
    form = {
        "start": start or f"{add_months(this_month, -11):%Y-%m}",
        "end": end or f"{this_month:%Y-%m}",
    }
    errors: dict[str, str] = {}
    months: dict[str, date] = {}
    for field, text in form.items():
        try:
            months[field] = month_of(western_digits(text).strip())
        except ValueError:
            errors[field] = gettext("Write the month as YYYY-MM, for example 2026-11.")
    figures: CollectedOut | None = None
    if not errors:
        try:
            figures = service.collected(session, months["start"], months["end"])
        except DamanError as exc:
            errors = refusals(exc, ("start", "end"))
            if "end" in errors:
                errors["end"] = gettext("The last month comes after the first, ten years at most.")
    totals = (
        {
            "due": sum(r.due_centimes for r in figures.rows),
            "collected": sum(r.collected_centimes for r in figures.rows),
            "penalties": sum(r.penalties_centimes for r in figures.rows),
        }
        if figures
        else {}
    )
    values = context(form=form, errors=errors, figures=figures, totals=totals)
    status = 400 if errors else 200
    return render(
        request, "contributions/collected.html", values, who=who, session=session, status=status
    )
