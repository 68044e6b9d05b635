"""HTTP endpoints of the contributions domain.

Employers upload their declaration and see their calls, balance, ledger and receipts;
insured persons who pay as members see theirs; the fund's agents run the months' calls,
import the bank's files, handle mandates, direct debits and their returns, penalties and
reminders, and adjust with a reason; analysts see collected against due per regime and
month (under /statistics, with no payer named).
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.contributions.collection import (
    accounts,
    arrears,
    declarations,
    directdebit,
    receipts,
    runs,
    service,
)
from daman.contributions.collection import repository as repo
from daman.contributions.collection.schemas import (
    AccountOut,
    AccountPatch,
    AdjustedOut,
    AdjustmentIn,
    AdministrationIn,
    ArrearsIn,
    ArrearsOut,
    AssignIn,
    CallOut,
    CategoryIn,
    CategoryOut,
    CollectedOut,
    CollectIn,
    CollectOut,
    DeclarationOut,
    EmployerUserIn,
    EmployerUserOut,
    EntryOut,
    MandateIn,
    MandateOut,
    ReceiptImportOut,
    ReceiptOut,
    ReturnsOut,
    RunIn,
    RunOut,
    month_of,
)
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed, error_responses
from daman.core.pagination import Page, PageParams, RowId, page_params
from daman.core.pdf import FontMissing
from daman.registry.models import Employer

router = APIRouter(prefix="/contributions", tags=["contributions"])
statistics = APIRouter(prefix="/statistics", tags=["contributions"])

STAFF = allow(Role.AGENT)  # the fund's collection officers
DECLARE = allow(Role.AGENT, Role.EMPLOYER)
PAYERS = allow(Role.AGENT, Role.EMPLOYER, Role.INSURED)
OWN = allow(Role.EMPLOYER, Role.INSURED)
LINK = allow(Role.AGENT, Role.ADMIN)
FIGURES = allow(Role.ANALYST, Role.AGENT)

MAX_FILE_BYTES = 50 * 1024 * 1024
EARLIEST = service.EARLIEST


def _read(file: UploadFile) -> bytes:
    data = file.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed.one("file", f"larger than {MAX_FILE_BYTES} bytes")
    return data


def _month(text: str, field: str = "month") -> date:
    try:
        return month_of(text)
    except ValueError as exc:
        raise ValidationFailed.one(field, str(exc)) from exc


# ---------------------------------------------------------------------------------------
# Declarations


@router.post(
    "/declarations",
    status_code=status.HTTP_201_CREATED,
    response_model=DeclarationOut,
    responses={
        200: {"model": DeclarationOut, "description": "the same file again: nothing changed"},
        **error_responses(ValidationFailed, NotFound, Conflict),
    },
)
def declare(
    response: Response,
    file: UploadFile = File(description="CSV: immatriculation, days, gross_wage[, kind]"),
    month: str = Form(description="the month declared, YYYY-MM"),
    employer: str | None = Form(None, description="agents: the employer's CNSS number"),
    administration: str | None = Form(
        None, description="agents: the paying administration's account (CNOPS, A<code>)"
    ),
    regime: str | None = Form(None, description="CNSS_SAL (employers) or CNOPS"),
    who: Principal = Depends(DECLARE),
    session: Session = SESSION,
) -> DeclarationOut:
    """An employer's declaration of the month (or, for an agent, any employer's or a paying
    administration's): one row per member. Rows refused are reported by line and field,
    the others make the month's call; the same file again changes nothing."""
    on = _month(month)
    payer_employer: Employer | None = None
    payer = None
    if who.role == Role.EMPLOYER and not who.unrestricted:
        payer_employer = repo.employer_of(session, who)
    elif employer:
        payer_employer = session.scalar(select(Employer).where(Employer.number == employer))
        if payer_employer is None:
            raise ValidationFailed.one("employer", f"unknown employer {employer}")
    elif administration:
        payer = accounts.by_number(session, administration)
    else:
        raise ValidationFailed.one("employer", "name the employer or the administration")
    report = declarations.declare(
        session,
        _read(file),
        filename=file.filename or "declaration.csv",
        month=on,
        actor=who.actor,
        regime=regime,
        employer=payer_employer,
        payer=payer,
    )
    if report.replayed:
        response.status_code = status.HTTP_200_OK
    return service.declaration_out(report)


# ---------------------------------------------------------------------------------------
# Accounts, calls, ledger, receipts, statement


@router.get("/me", response_model=AccountOut, responses=error_responses(NotFound))
def my_account(who: Principal = Depends(OWN), session: Session = SESSION) -> AccountOut:
    """The caller's own account: an employer's, or an insured person's as a paying member
    (TNS, AMO Chamil): what it owes, its credit, its balance today."""
    return service.account_out(session, repo.own_account(session, who, who.actor))


@router.get("/accounts/{number}", response_model=AccountOut, responses=error_responses(NotFound))
def get_account(
    number: str,
    on: date | None = Query(None, description="the balance on this day (today)"),
    who: Principal = Depends(PAYERS),
    session: Session = SESSION,
) -> AccountOut:
    return service.account_out(session, repo.visible(session, who, number), on)


@router.patch(
    "/accounts/{number}",
    response_model=AccountOut,
    responses=error_responses(NotFound, ValidationFailed),
)
def patch_account(
    number: str,
    payload: AccountPatch,
    who: Principal = Depends(STAFF),
    session: Session = SESSION,
) -> AccountOut:
    """Where the account's reminders go and in which language."""
    account = repo.visible(session, who, number)
    service.patch_account(session, account, payload.email, payload.language, who.actor)
    return service.account_out(session, account)


@router.post(
    "/administrations",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountOut,
    responses=error_responses(ValidationFailed),
)
def open_administration(
    payload: AdministrationIn, who: Principal = Depends(STAFF), session: Session = SESSION
) -> AccountOut:
    """The account of a paying administration (CNOPS): A + its code."""
    account = accounts.open_administration(session, payload.code, payload.name, who.actor)
    return service.account_out(session, account)


@router.get(
    "/accounts/{number}/calls", response_model=Page[CallOut], responses=error_responses(NotFound)
)
def list_calls(
    number: str,
    paging: PageParams = Depends(page_params),
    who: Principal = Depends(PAYERS),
    session: Session = SESSION,
) -> Page[CallOut]:
    """The account's calls, the latest month first, with what each still asks."""
    account = repo.visible(session, who, number)
    calls, total = repo.calls_of(session, account.id, limit=paging.limit, offset=paging.offset)
    return Page(
        items=service.calls_out(session, list(calls), account),
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/calls/{number}", response_model=CallOut, responses=error_responses(NotFound))
def get_call(number: str, who: Principal = Depends(PAYERS), session: Session = SESSION) -> CallOut:
    call, account = repo.visible_call(session, who, number)
    return service.calls_out(session, [call], account)[0]


@router.get(
    "/accounts/{number}/entries",
    response_model=Page[EntryOut],
    responses=error_responses(NotFound),
)
def list_entries(
    number: str,
    start: date | None = Query(None, description="from this value date"),
    end: date | None = Query(None, description="to this value date"),
    paging: PageParams = Depends(page_params),
    who: Principal = Depends(PAYERS),
    session: Session = SESSION,
) -> Page[EntryOut]:
    """The account's ledger: every call, penalty, payment and adjustment, oldest first."""
    account = repo.visible(session, who, number)
    rows, total = repo.entries_of(
        session, account.id, start, end, limit=paging.limit, offset=paging.offset
    )
    return Page(
        items=service.entries_out(rows, who),
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get(
    "/accounts/{number}/receipts",
    response_model=list[ReceiptOut],
    responses=error_responses(NotFound),
)
def list_receipts(
    number: str, who: Principal = Depends(PAYERS), session: Session = SESSION
) -> list[ReceiptOut]:
    account = repo.visible(session, who, number)
    return [ReceiptOut.model_validate(r) for r in receipts.receipts_of(session, account.id)]


@router.get(
    "/accounts/{number}/statement.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "statement, French and Arabic"},
        **error_responses(NotFound, ValidationFailed, FontMissing),
    },
)
def get_statement(
    number: str,
    start: date | None = Query(None, description="first day (the year's start)"),
    end: date | None = Query(None, description="last day (today)"),
    who: Principal = Depends(PAYERS),
    session: Session = SESSION,
) -> Response:
    """The account's statement for a period: opening balance, entries, closing balance,
    the calls still owed; French and Arabic."""
    account = repo.visible(session, who, number)
    name, content = service.statement_file(session, account, start, end)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


# ---------------------------------------------------------------------------------------
# Who pays what: employer users, TNS categories, runs


@router.post(
    "/employers/{number}/users",
    response_model=EmployerUserOut,
    responses=error_responses(NotFound, ValidationFailed),
)
def link_employer_user(
    number: str,
    payload: EmployerUserIn,
    who: Principal = Depends(LINK),
    session: Session = SESSION,
) -> EmployerUserOut:
    """Link a user of role employer to the employer it declares for."""
    return service.link_employer_user(session, number, payload.username, who.actor)


@router.post(
    "/members/{immatriculation}/categories",
    status_code=status.HTTP_201_CREATED,
    response_model=CategoryOut,
    responses=error_responses(NotFound, ValidationFailed),
)
def set_category(
    immatriculation: str,
    payload: CategoryIn,
    who: Principal = Depends(STAFF),
    session: Session = SESSION,
) -> CategoryOut:
    """A TNS member's category from a date, as the liaison body gave it."""
    return service.set_category(session, immatriculation, payload, who.actor)


@router.post(
    "/runs",
    response_model=RunOut,
    responses=error_responses(ValidationFailed, Conflict),
)
def run_calls(
    payload: RunIn, who: Principal = Depends(STAFF), session: Session = SESSION
) -> RunOut:
    """The month's calls of TNS members, AMO Chamil members or the State (AMO Tadamon);
    members already called for the month are left alone."""
    report = runs.run(session, payload.regime, month_of(payload.month), who.actor)
    return RunOut.model_validate(report)


# ---------------------------------------------------------------------------------------
# Money in


@router.post(
    "/receipts",
    response_model=ReceiptImportOut,
    responses=error_responses(ValidationFailed),
)
def import_receipts(
    file: UploadFile = File(description="camt.054 or camt.053 XML, or a partner's CSV"),
    partner: str | None = Form(None, description="the collection partner of a CSV file"),
    who: Principal = Depends(STAFF),
    session: Session = SESSION,
) -> ReceiptImportOut:
    """Payments received, matched to payers and applied, oldest due first; what nobody
    known sent waits in suspense. The same transaction or file twice changes nothing."""
    data = _read(file)
    name = file.filename or "receipts"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        report = receipts.import_bank_file(session, data, name, who.actor)
    else:
        if not partner:
            raise ValidationFailed.one("partner", "a CSV file comes from a named partner")
        report = receipts.import_partner_file(session, data, name, partner, who.actor)
    return ReceiptImportOut.model_validate(report)


@router.get("/suspense", response_model=list[ReceiptOut])
def list_suspense(who: Principal = Depends(STAFF), session: Session = SESSION) -> list[ReceiptOut]:
    """Money received from nobody known, waiting for an agent."""
    return [ReceiptOut.model_validate(r) for r in receipts.suspended(session, who.actor)]


@router.post(
    "/receipts/{receipt_id}/assign",
    response_model=AccountOut,
    responses=error_responses(NotFound, Conflict, ValidationFailed),
)
def assign_receipt(
    receipt_id: RowId,
    payload: AssignIn,
    who: Principal = Depends(STAFF),
    session: Session = SESSION,
) -> AccountOut:
    """Give a receipt held in suspense to the payer it came from, with the reason."""
    account = receipts.assign(session, receipt_id, payload.account, payload.reason, who.actor)
    return service.account_out(session, account)


# ---------------------------------------------------------------------------------------
# Direct debits


@router.post(
    "/mandates",
    status_code=status.HTTP_201_CREATED,
    response_model=MandateOut,
    responses=error_responses(NotFound, Conflict, ValidationFailed),
)
def create_mandate(
    payload: MandateIn, who: Principal = Depends(STAFF), session: Session = SESSION
) -> MandateOut:
    account = accounts.by_number(session, payload.account)
    mandate = directdebit.create_mandate(
        session, account, payload.rib, payload.debtor_name, payload.signed_on, who.actor
    )
    return MandateOut.model_validate(mandate)


@router.post(
    "/mandates/{reference}/revoke",
    response_model=MandateOut,
    responses=error_responses(NotFound),
)
def revoke_mandate(
    reference: str, who: Principal = Depends(STAFF), session: Session = SESSION
) -> MandateOut:
    return MandateOut.model_validate(directdebit.revoke_mandate(session, reference, who.actor))


@router.post(
    "/collections",
    status_code=status.HTTP_201_CREATED,
    response_model=CollectOut | None,
    responses={
        204: {"description": "nobody mandated owes anything"},
        **error_responses(ValidationFailed),
    },
)
def collect(
    payload: CollectIn, who: Principal = Depends(STAFF), session: Session = SESSION
) -> CollectOut | Response:
    """A collection run for the date: one direct debit per mandated account owing on
    calls due by then; its pain.008 file is at /collections/{number}/pain008.xml."""
    if not EARLIEST <= payload.collection_date <= today() + timedelta(days=366):
        raise ValidationFailed.one("collection_date", f"a day from {EARLIEST} to a year from today")
    summary = directdebit.collect(session, payload.collection_date, who.actor)
    if summary is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return CollectOut.model_validate(summary)


@router.get(
    "/collections/{number}/pain008.xml",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "ISO 20022 pain.008.001.08"},
        **error_responses(NotFound),
    },
)
def get_pain008(
    number: str, who: Principal = Depends(STAFF), session: Session = SESSION
) -> Response:
    run = directdebit.run_by_number(session, number)
    return Response(
        directdebit.pain008(session, run),
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{run.number}.xml"'},
    )


@router.post("/returns", response_model=ReturnsOut, responses=error_responses(ValidationFailed))
def import_returns(
    file: UploadFile = File(description="camt.054 XML, or CSV end_to_end_id,reason_code,reason"),
    who: Principal = Depends(STAFF),
    session: Session = SESSION,
) -> ReturnsOut:
    """Direct debits returned by the payers' banks: what they had paid is owed again."""
    report = directdebit.import_returns(session, _read(file), file.filename or "", who.actor)
    return ReturnsOut.model_validate(report)


# ---------------------------------------------------------------------------------------
# Arrears and adjustments


@router.post(
    "/adjustments",
    status_code=status.HTTP_201_CREATED,
    response_model=AdjustedOut,
    responses=error_responses(NotFound, ValidationFailed),
)
def adjust(
    payload: AdjustmentIn, who: Principal = Depends(STAFF), session: Session = SESSION
) -> AdjustedOut:
    """A correction or a waiver, with its reason: a new entry, never an edit."""
    done = arrears.adjust(
        session,
        account_number=payload.account,
        amount_centimes=payload.amount_centimes,
        reason=payload.reason,
        actor=who.actor,
        call_number=payload.call,
        part=payload.part,
        waiver=payload.waiver,
    )
    return AdjustedOut.model_validate(done)


@router.post("/arrears", response_model=ArrearsOut, responses=error_responses(ValidationFailed))
def run_arrears(
    payload: ArrearsIn | None = None, who: Principal = Depends(STAFF), session: Session = SESSION
) -> ArrearsOut:
    """Late-payment penalties earned by the day (today) and reminders to payers."""
    on = (payload.on if payload else None) or today()
    if not EARLIEST <= on <= today() + timedelta(days=366):
        raise ValidationFailed.one("on", f"a day from {EARLIEST} to a year from today")
    return ArrearsOut.model_validate(arrears.run_arrears(session, on, who.actor))


# ---------------------------------------------------------------------------------------
# Figures


@statistics.get(
    "/contributions", response_model=CollectedOut, responses=error_responses(ValidationFailed)
)
def collected(
    start: str = Query(description="first month, YYYY-MM"),
    end: str = Query(description="last month, YYYY-MM"),
    who: Principal = Depends(FIGURES),
    session: Session = SESSION,
) -> CollectedOut:
    """Collected against due per regime and month: calls, principal due and paid,
    penalties; counts and sums only."""
    return service.collected(session, _month(start, "start"), _month(end, "end"))
