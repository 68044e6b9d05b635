"""The contributions pages of those who pay: an employer's space and an insured member's.

- ``/employer/account``: the employer's account (balance, what it owes, its credit), its
  calls with base, rates, employer and employee parts, due date and status, the receipts
  credited to it, its ledger, and its statement as a PDF (French and Arabic) for a period;
- ``/employer/declaration``: the month's declaration file uploaded, with its row report:
  rows read, loaded, and each row refused with its line, field and reason in the reader's
  language;
- ``/me/contributions``: an insured person's own account as a paying member (TNS, AMO
  Chamil: calls and payments), and what employers or administrations declared about them.

Every read and write is the contributions API's (daman.contributions.collection), with
the caller's Principal and its scoping: an employer reaches its own account only, an
insured person their own. The agent's and the analyst's pages are
``contributions_office.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.contributions.collection import accounts, declarations, receipts, service
from daman.contributions.collection import repository as repo
from daman.contributions.collection.declarations import DeclarationReport
from daman.contributions.collection.endpoints import MAX_FILE_BYTES
from daman.contributions.collection.errors import (
    NoEmployerLinked,
    NoRuleInForce,
    StatementTooLong,
)
from daman.contributions.collection.schemas import (
    AccountOut,
    CallOut,
    EntryOut,
    ReceiptOut,
    month_of,
)
from daman.contributions.collection.texts import ENTRY_KINDS
from daman.contributions.ledger.models import PayerAccount
from daman.core.dates import add_months, month_start, today
from daman.core.db import SESSION
from daman.core.errors import DamanError, NotFound
from daman.core.i18n import N_, translations
from daman.core.rows import RowError
from daman.core.text import western_digits
from daman.registry.models import Person
from daman.web.shell import FORM, language, nav_item, page, refusals, render

router = APIRouter(include_in_schema=False)
EMPLOYER = page(Role.EMPLOYER)
INSURED = page(Role.INSURED)

nav_item("/employer/account", N_("Contributions account"), Role.EMPLOYER, rank=5)
nav_item("/employer/declaration", N_("Declare a month"), Role.EMPLOYER, rank=6)
nav_item("/me/contributions", N_("My contributions"), Role.INSURED, rank=15)

CALLS_SHOWN = 24
ENTRIES_SHOWN = 60
LINES_SHOWN = 36

CALL_STATUS = {
    "open": N_("Unpaid"),
    "partial": N_("Partly paid"),
    "paid": N_("Paid"),
    "cancelled": N_("Cancelled"),
}
PARTS = {"principal": N_("Contribution"), "penalty": N_("Penalty")}
MATCHED_BY = {
    "call": N_("By the call number given"),
    "direct_debit": N_("By the direct debit's reference"),
    "account": N_("By the payer's account number"),
    "employer": N_("By the employer's number"),
    "immatriculation": N_("By the member's immatriculation"),
    "none": N_("Nobody known: held in suspense"),
}

# The columns of a declaration file, and each kind of row refused, as a person reads them.
COLUMNS = {
    "immatriculation": N_("Immatriculation"),
    "days": N_("Days declared"),
    "gross_wage": N_("Gross wage"),
    "kind": N_("Kind of member"),
    "employer": N_("Employer"),
}
ROW_PROBLEMS = {
    "missing": N_("This cell is empty: it is required."),
    "too_long": N_("This cell is too long."),
    "bad_amount": N_("Not an amount in MAD: digits, with at most two decimals."),
    "bad_number": N_("Not a number of days from 0 to 31."),
    "bad_kind": N_("Not a kind of member declared under this regime."),
    "duplicate": N_("This member is already on an earlier line of the file."),
    "unknown_person": N_("No person has this immatriculation."),
    "not_affiliated": N_("This person is not affiliated to the regime in this month."),
    "already_declared": N_("This member is already declared for this month."),
    "other_employer": N_("This line names another employer."),
    "unknown_employer": N_("No employer has this number."),
}


def percent(bp: int | None) -> str:
    """Basis points as a percentage with two decimals (226 -> '2.26 %')."""
    return "" if bp is None else f"{bp // 100}.{bp % 100:02d} %"


def context(**values: Any) -> dict[str, Any]:
    return {
        "percent": percent,
        "call_status": CALL_STATUS,
        "entry_kinds": ENTRY_KINDS,
        "parts": PARTS,
        "matched_by": MATCHED_BY,
        "columns": COLUMNS,
        **values,
    }


@dataclass(frozen=True)
class AccountView:
    """An account as its pages show it: position today, latest calls, receipts, ledger."""

    account: AccountOut
    calls: list[CallOut]
    calls_total: int
    receipts: list[ReceiptOut]
    entries: list[EntryOut]
    entries_total: int


def account_view(session: Session, who: Principal, account: PayerAccount) -> AccountView:
    """The account through the API's reads (the caller's Principal decides what is shown
    of who wrote each entry)."""
    calls, calls_total = repo.calls_of(session, account.id, limit=CALLS_SHOWN, offset=0)
    _, entries_total = repo.entries_of(session, account.id, None, None, limit=0, offset=0)
    rows, _ = repo.entries_of(
        session,
        account.id,
        None,
        None,
        limit=ENTRIES_SHOWN,
        offset=max(entries_total - ENTRIES_SHOWN, 0),
    )
    return AccountView(
        account=service.account_out(session, account),
        calls=service.calls_out(session, list(calls), account),
        calls_total=calls_total,
        receipts=[ReceiptOut.model_validate(r) for r in receipts.receipts_of(session, account.id)],
        entries=service.entries_out(rows, who),
        entries_total=entries_total,
    )


def message(request: Request, who: Principal, session: Session, text: str, status: int) -> Response:
    return render(
        request, "message.html", {"message": text}, who=who, session=session, status=status
    )


def day_of(text: str) -> date | None:
    """A day typed YYYY-MM-DD (any digits), None when empty; ValueError otherwise."""
    typed = western_digits(text).strip()
    return date.fromisoformat(typed) if typed else None


def statement_response(
    request: Request,
    session: Session,
    who: Principal,
    account: PayerAccount,
    start: str,
    end: str,
) -> Response:
    """The account's statement for the period asked (the API's), or the reason it is not."""
    gettext = translations(language(request, who, session)).gettext
    try:
        first, last = day_of(start), day_of(end)
    except ValueError:
        return message(request, who, session, N_("Write the dates as YYYY-MM-DD."), 400)
    try:
        name, content = service.statement_file(session, account, first, last)
    except StatementTooLong:
        text = gettext(
            "This period holds too many entries for one statement: ask for a shorter one."
        )
        return message(request, who, session, text, 400)
    except DamanError as exc:
        if exc.status != 400:
            raise
        text = gettext("A statement covers a period of at most three years, from 1900 on.")
        return message(request, who, session, text, 400)
    return Response(
        content,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{name}"'},
    )


# -- the employer's space ----------------------------------------------------------------


NOT_LINKED = N_("This account is not linked to an employer yet: the fund's agent links it.")


@router.get("/employer/account", response_class=HTMLResponse)
def employer_account(
    request: Request, who: Principal = Depends(EMPLOYER), session: Session = SESSION
) -> Response:
    try:
        employer = repo.employer_of(session, who)
    except NoEmployerLinked:
        return message(request, who, session, NOT_LINKED, 404)
    account = repo.own_account(session, who, who.actor)
    values = context(
        employer=employer,
        view=account_view(session, who, account),
        statement_action="/employer/statement.pdf",
        year_start=today().replace(month=1, day=1),
        today=today(),
    )
    return render(request, "contributions/employer.html", values, who=who, session=session)


@router.get("/employer/statement.pdf", response_model=None)
def employer_statement(
    request: Request,
    start: str = Query("", max_length=20),
    end: str = Query("", max_length=20),
    who: Principal = Depends(EMPLOYER),
    session: Session = SESSION,
) -> Response:
    try:
        repo.employer_of(session, who)
    except NoEmployerLinked:
        return message(request, who, session, NOT_LINKED, 404)
    account = repo.own_account(session, who, who.actor)
    return statement_response(request, session, who, account, start, end)


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str  # a message id (the column's name)
    problem: str  # a message id, or the service's own words for a kind not listed


def row_problems(errors: list[RowError]) -> list[RowProblem]:
    return [
        RowProblem(e.line, COLUMNS.get(e.field, e.field), ROW_PROBLEMS.get(e.kind, e.reason))
        for e in errors[: service.SHOWN_ERRORS]
    ]


def _declaration_page(
    request: Request,
    session: Session,
    who: Principal,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    report: DeclarationReport | None = None,
    status: int = 200,
) -> Response:
    try:
        employer = repo.employer_of(session, who)
    except NoEmployerLinked:
        return message(request, who, session, NOT_LINKED, 404)
    values = context(
        employer=employer,
        form=form or {"month": f"{add_months(month_start(today()), -1):%Y-%m}"},
        errors=errors or {},
        report=report,
        problems=row_problems(report.errors) if report else [],
    )
    return render(
        request, "contributions/declare.html", values, who=who, session=session, status=status
    )


@router.get("/employer/declaration", response_class=HTMLResponse)
def declaration_form(
    request: Request, who: Principal = Depends(EMPLOYER), session: Session = SESSION
) -> Response:
    return _declaration_page(request, session, who)


@router.post("/employer/declaration", response_model=None)
def declare(
    request: Request,
    month: str = Form("", max_length=20),
    file: UploadFile | None = File(None),
    who: Principal = Depends(EMPLOYER),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    """The month's declaration, as POST /contributions/declarations: the rows refused are
    reported, the others make the month's call; the same file again changes nothing."""
    gettext = translations(language(request, who, session)).gettext
    form = {"month": month}
    errors: dict[str, str] = {}
    on: date | None = None
    try:
        on = month_of(western_digits(month).strip())
    except ValueError:
        errors["month"] = gettext("Write the month as YYYY-MM, for example 2026-11.")
    data = file.file.read(MAX_FILE_BYTES + 1) if file is not None else b""
    if not data:
        errors["file"] = gettext("Choose the declaration file (CSV).")
    elif len(data) > MAX_FILE_BYTES:
        errors["file"] = gettext("The file is larger than 50 MB.")
    try:
        employer = repo.employer_of(session, who)
    except NoEmployerLinked:
        return message(request, who, session, NOT_LINKED, 404)
    if errors or on is None:
        return _declaration_page(request, session, who, form=form, errors=errors, status=400)
    try:
        with session.begin_nested():  # a refused file leaves nothing behind
            report = declarations.declare(
                session,
                data,
                filename=(file.filename if file is not None else None) or "declaration.csv",
                month=on,
                actor=who.actor,
                employer=employer,
            )
    except NoRuleInForce:
        errors = {"month": gettext("No contribution rule is in force for this month.")}
        return _declaration_page(request, session, who, form=form, errors=errors, status=400)
    except DamanError as exc:
        errors = refusals(exc, ("month", "file"))
        if "file" in errors or "action" in errors:
            errors.pop("action", None)
            errors["file"] = gettext(
                "This is not a declaration file: a UTF-8 CSV whose first line names the "
                "columns immatriculation, days and gross_wage."
            )
        return _declaration_page(request, session, who, form=form, errors=errors, status=400)
    return _declaration_page(request, session, who, form=form, report=report)


# -- the insured member ------------------------------------------------------------------


@router.get("/me/contributions", response_class=HTMLResponse)
def my_contributions(
    request: Request, who: Principal = Depends(INSURED), session: Session = SESSION
) -> Response:
    """A paying member's calls and payments; what was declared about a salaried person."""
    account = _member_account(session, who)
    view = account_view(session, who, account) if account is not None else None
    declared = repo.declared_about(session, who, limit=LINES_SHOWN)
    values = context(
        view=view if view is not None and (view.calls or view.entries) else None,
        declared=declared,
        statement_action="/me/contributions/statement.pdf",
        year_start=today().replace(month=1, day=1),
        today=today(),
    )
    return render(request, "contributions/member.html", values, who=who, session=session)


@router.get("/me/contributions/statement.pdf", response_model=None)
def my_statement(
    request: Request,
    start: str = Query("", max_length=20),
    end: str = Query("", max_length=20),
    who: Principal = Depends(INSURED),
    session: Session = SESSION,
) -> Response:
    account = _member_account(session, who)
    if account is None:
        return message(request, who, session, N_("You have no contributions account."), 404)
    return statement_response(request, session, who, account, start, end)


def _member_account(session: Session, who: Principal) -> PayerAccount | None:
    """The insured person's own account as a paying member, if the fund opened one (a
    month's run of TNS or AMO Chamil calls opens it): never opened by reading."""
    person = session.get(Person, who.person_id) if who.person_id is not None else None
    if person is None:
        return None
    try:
        return repo.visible(session, who, accounts.member_number(person.immatriculation))
    except NotFound:
        return None
