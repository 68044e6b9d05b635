"""HTTP endpoints of the payments domain."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Header, Response, UploadFile, status
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.config import get_settings
from daman.core.db import SESSION
from daman.core.errors import Conflict, NotFound, ValidationFailed, error_responses
from daman.core.i18n import negotiate
from daman.core.pagination import Page, PageParams, page_params
from daman.core.pdf import FontMissing
from daman.payments import documents, service
from daman.payments.bankfile import BankFileInvalid
from daman.payments.schemas import (
    BatchOut,
    BatchSummary,
    HeldOut,
    PaymentsStatus,
    RemittanceOut,
    ReturnOut,
    RunIn,
    RunOut,
    StateOut,
    TransferOut,
)

router = APIRouter(prefix="/payments", tags=["payments"])

PAYMENTS = allow(Role.AGENT)  # the fund's payment officers
# A transfer, its statement and remittance: staff, and the insured person or provider paid.
PAYEE = allow(Role.INSURED, Role.PROVIDER, Role.AGENT)

MAX_RETURN_BYTES = 50 * 1024 * 1024


@router.post(
    "/batches",
    status_code=status.HTTP_201_CREATED,
    response_model=RunOut,
    responses={
        200: {"model": RunOut, "description": "nothing to pay: no batch formed"},
        **error_responses(ValidationFailed, Conflict),
    },
)
def run_payments(
    response: Response,
    payload: RunIn | None = None,
    who: Principal = Depends(PAYMENTS),
    session: Session = SESSION,
) -> RunOut:
    """Pay every approved claim: claims whose payee can be paid move to `in_payment` and
    their lines form a batch, one transfer per payee, whose bank file is written into the
    outbox before the answer; the others are held back with the reason."""
    report = service.run(
        session, who.actor, execution_date=payload.execution_date if payload else None
    )
    if report.batch is None:
        response.status_code = status.HTTP_200_OK
    return report.out()


@router.get("/batches", response_model=Page[BatchSummary])
def list_batches(
    paging: PageParams = Depends(page_params),
    session: Session = SESSION,
    who: Principal = Depends(PAYMENTS),
) -> Page[BatchSummary]:
    items, total = service.batches(session, limit=paging.limit, offset=paging.offset)
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/batches/{number}", response_model=BatchOut, responses=error_responses(NotFound))
def get_batch(
    number: str,
    paging: PageParams = Depends(page_params),
    session: Session = SESSION,
    who: Principal = Depends(PAYMENTS),
) -> BatchOut:
    """The batch, how many transfers are pending, settled or rejected, and a page of them."""
    return service.batch_out(session, number, limit=paging.limit, offset=paging.offset)


@router.get(
    "/batches/{number}/pain001",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "the pain.001.001.09 file"},
        **error_responses(NotFound, ValidationFailed, BankFileInvalid),
    },
)
def export_batch(
    number: str, who: Principal = Depends(PAYMENTS), session: Session = SESSION
) -> Response:
    """The batch's ISO 20022 credit-transfer file (checked against its XSD), once written."""
    filename, document = service.bank_file(session, number)
    return Response(
        document,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/batches/{number}/file",
    response_model=BatchSummary,
    responses=error_responses(NotFound, BankFileInvalid),
)
def write_file(
    number: str, who: Principal = Depends(PAYMENTS), session: Session = SESSION
) -> BatchSummary:
    """Write the batch's bank file into the outbox (DAMAN_DATA_DIR/bank): a batch formed by
    a run that died gets its file; for a batch that has one, the same bytes again."""
    service.write_bank_file(session, number, get_settings().bank_dir, who.actor)
    return service.batch_summary(service.repo.batch_by_number(session, number))


@router.post(
    "/batches/{number}/sent",
    response_model=BatchSummary,
    responses=error_responses(NotFound, Conflict),
)
def mark_sent(
    number: str, who: Principal = Depends(PAYMENTS), session: Session = SESSION
) -> BatchSummary:
    """Record that the batch's bank file was handed to the bank: its claims read paid."""
    return service.batch_summary(service.mark_sent(session, number, who.actor))


@router.get("/status", response_model=PaymentsStatus)
def payments_status(
    who: Principal = Depends(PAYMENTS), session: Session = SESSION
) -> PaymentsStatus:
    """Batches by state, those not yet reconciled with their age, and how many were formed
    without their bank file past the grace period (DAMAN_PAYMENT_FILE_GRACE_MINUTES)."""
    lines, open_batches = service.batch_states(session)
    summaries = [service.batch_summary(b) for b in open_batches]
    return PaymentsStatus(
        states=[
            StateOut(state=x.state, batches=x.batches, total_centimes=x.total_centimes)
            for x in lines
        ],
        open_batches=summaries,
        stale=sum(1 for b in summaries if b.stale),
    )


@router.post(
    "/returns",
    status_code=status.HTTP_201_CREATED,
    response_model=ReturnOut,
    responses=error_responses(ValidationFailed),
)
def import_return(
    file: UploadFile = File(description="camt.054 XML, or a CSV rejected-payment list"),
    who: Principal = Depends(PAYMENTS),
    session: Session = SESSION,
) -> ReturnOut:
    """Import the bank's return: transfers settled or rejected; a rejected transfer's claims
    go back to be paid once the RIB is fixed. Importing it again changes nothing."""
    data = file.file.read(MAX_RETURN_BYTES + 1)
    if len(data) > MAX_RETURN_BYTES:
        raise ValidationFailed.one("file", f"larger than {MAX_RETURN_BYTES} bytes")
    return service.import_return(session, file.filename or "return", data, who.actor)


@router.get("/held", response_model=Page[HeldOut])
def list_held(
    accept_language: str | None = Header(
        default=None, description="ar, fr or en: the language of the reasons (default fr)"
    ),
    paging: PageParams = Depends(page_params),
    session: Session = SESSION,
    who: Principal = Depends(PAYMENTS),
) -> Page[HeldOut]:
    """Payees whose approved claims are held back, with the reason, oldest first."""
    items, total = service.held(
        session,
        negotiate(accept_language=accept_language),
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get(
    "/transfers/{reference}", response_model=TransferOut, responses=error_responses(NotFound)
)
def get_transfer(
    reference: str, session: Session = SESSION, who: Principal = Depends(PAYEE)
) -> TransferOut:
    return service.transfer_out(session, reference, who)


@router.get(
    "/transfers/{reference}/statement.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "statement, French and Arabic"},
        **error_responses(NotFound, Conflict, FontMissing),
    },
)
def get_statement(
    reference: str, session: Session = SESSION, who: Principal = Depends(PAYEE)
) -> Response:
    """The insured person's statement of a payment: each claim and line, what was charged,
    the base, the rate, what AMO and the mutual paid, what the patient kept, and why."""
    filename, content = documents.statement_pdf(session, reference, who)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get(
    "/transfers/{reference}/remittance",
    response_model=RemittanceOut,
    responses=error_responses(NotFound, Conflict),
)
def get_remittance(
    reference: str, session: Session = SESSION, who: Principal = Depends(PAYEE)
) -> RemittanceOut:
    """The remittance advice of a payment to a facility or provider: the claims it pays."""
    return documents.remittance(session, reference, who)
