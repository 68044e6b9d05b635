"""API shapes of payments. Money is integer centimes (`*_centimes`), rates basis points."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from daman.claims.schemas import Instant
from daman.payments.models import BatchStatus, HoldReason, PayeeKind, TransferStatus


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    execution_date: date | None = Field(
        None, description="requested execution date of the transfers (default: today)"
    )


class BatchSummary(BaseModel):
    number: str = Field(description="the batch number, MsgId of its pain.001 file")
    status: BatchStatus
    execution_date: date
    currency: str
    transfers_count: int
    items_count: int = Field(description="claim lines paid")
    total_centimes: int
    created_at: Instant
    created_by: str
    file_name: str | None = Field(description="the pain.001 file, once written")
    file_sha256: str | None
    file_written_at: Instant | None
    file_written_by: str | None
    sent_at: Instant | None = Field(description="handed to the bank: its claims read paid")
    sent_by: str | None
    stale: bool = Field(
        False, description="formed and still without its bank file after the grace period"
    )


class TransferOut(BaseModel):
    reference: str = Field(description="EndToEndId of the transfer in the bank files")
    batch: str
    payee_kind: PayeeKind
    payee: str = Field(description="immatriculation of the insured or INPE of the provider")
    creditor_name: str
    rib: str
    amount_centimes: int
    claims_count: int
    items_count: int
    status: TransferStatus
    settled_at: Instant | None
    rejected_at: Instant | None
    return_code: str | None
    return_reason: str | None


class BatchOut(BatchSummary):
    pending: int
    settled: int
    rejected: int
    transfers: list[TransferOut]
    transfers_total: int
    limit: int
    offset: int


class RunOut(BaseModel):
    claims_in_payment: int = Field(
        description="approved claims moved to in_payment by this run (paid once its bank file"
        " is sent)"
    )
    lines_in_payment: int
    amount_centimes: int = Field(description="queued by this run")
    claims_held: int = Field(description="approved claims held back (see /payments/held)")
    chunks: int
    batch: BatchSummary | None = Field(
        description="the batch formed (it also takes lines queued by an interrupted run); "
        "null when there was nothing to pay"
    )


class StateOut(BaseModel):
    state: BatchStatus
    batches: int
    total_centimes: int


class PaymentsStatus(BaseModel):
    """Batches by state and those not yet reconciled, for the back office and monitoring."""

    states: list[StateOut]
    open_batches: list[BatchSummary]
    stale: int = Field(description="batches formed without their bank file past the grace period")


class ReturnOut(BaseModel):
    id: int
    filename: str
    format: str
    message_id: str | None
    settled: int
    rejected: int
    unchanged: int = Field(description="already in that state (a re-import changes nothing)")
    ignored: int = Field(description="entries not booked yet")
    unmatched: list[str] = Field(description="EndToEndIds that are no transfer of Daman")
    imported_at: Instant
    imported_by: str


class HeldOut(BaseModel):
    payee_kind: PayeeKind
    payee: str
    name: str
    reason_code: HoldReason
    reason: str = Field(description="the reason, in the language asked")
    claims: int
    amount_centimes: int
    held_since: Instant
    checked_at: Instant


class RemittanceLine(BaseModel):
    line_no: int
    care_date: date
    category: str
    act_key: str | None
    act_code: str | None
    drug_code: str | None
    quantity: int
    charged_centimes: int
    base_centimes: int
    rate_bp: int
    amo_centimes: int
    complementary_centimes: int
    paid_centimes: int


class RemittanceClaim(BaseModel):
    number: str
    patient: str
    patient_name: str
    deposit_date: date
    paid_centimes: int
    lines: list[RemittanceLine]


class RemittanceOut(BaseModel):
    """The remittance advice of a transfer to a facility or provider."""

    reference: str
    batch: str
    execution_date: date
    payee: str = Field(description="INPE")
    name: str
    rib: str
    amount_centimes: int
    status: TransferStatus
    claims: list[RemittanceClaim]
