"""Payments: what was queued for payment, batches of credit transfers, bank returns, holds.

A payment run moves approved claims to `paid` and, in the same transaction, writes one
PaymentItem per payable line. The database itself keeps a line from being paid twice: a
unique index on the claim line over the items not returned by the bank. Items wait
unassigned (transfer_id NULL) until the run forms its batch: one transfer per payee and
RIB, grouping the lines it pays. A bank return marks each transfer settled or rejected; a
rejection marks its items returned (freeing the line to be paid again) and puts the
claims back to `approved`. Approved claims whose payee cannot be paid are held back, one
PaymentHold row per claim, with the reason.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.core.dates import now
from daman.core.db import Base, StringEnum, Tracked

_ONE_PAYEE = (
    "(payee_kind = 'person' AND person_id IS NOT NULL AND provider_id IS NULL)"
    " OR (payee_kind = 'provider' AND provider_id IS NOT NULL AND person_id IS NULL)"
)


class PayeeKind(StrEnum):
    PERSON = "person"  # an insured person (reimbursement), paid to their RIB
    PROVIDER = "provider"  # a facility or provider (third-party payment), paid to its RIB


class BatchStatus(StrEnum):
    """A batch's life; each change is committed after the step it records."""

    FORMED = "formed"  # transfers grouped, claims in payment; no bank file yet
    FILE_WRITTEN = "file_written"  # its pain.001 is on disk (written, synced, renamed)
    SENT = "sent"  # handed to the bank: its claims read "paid"
    RECONCILED = "reconciled"  # every transfer settled or rejected by the bank's returns


class TransferStatus(StrEnum):
    PENDING = "pending"  # in a bank file sent to the bank, waiting for its return
    SETTLED = "settled"
    REJECTED = "rejected"
    # Shown, never stored: pending in a batch whose bank file has not been sent yet.
    IN_PAYMENT = "in_payment"


def shown_status(transfer: PaymentTransfer) -> TransferStatus:
    """A transfer's status as people read it: not "sent" before its file went to the bank."""
    sent = transfer.batch.status in (BatchStatus.SENT, BatchStatus.RECONCILED)
    if transfer.status == TransferStatus.PENDING and not sent:
        return TransferStatus.IN_PAYMENT
    return transfer.status


class HoldReason(StrEnum):
    RIB_MISSING = "rib_missing"
    RIB_INVALID = "rib_invalid"
    RIB_REJECTED = "rib_rejected"  # the bank rejected the last transfer to this RIB
    PAYEE_DECEASED = "payee_deceased"


class ReturnFormat(StrEnum):
    CAMT_054 = "camt.054"  # the bank's debit/credit notification (XML)
    CSV = "csv"  # a list of rejected payments


class PaymentBatch(Tracked, Base):
    """One bank file: a pain.001 message with one payment-information block."""

    __tablename__ = "payment_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # MsgId and PmtInfId
    status: Mapped[BatchStatus] = mapped_column(
        StringEnum(BatchStatus, 12), default=BatchStatus.FORMED
    )
    execution_date: Mapped[date] = mapped_column(Date)  # requested execution date
    currency: Mapped[str] = mapped_column(String(3))
    transfers_count: Mapped[int] = mapped_column(Integer)
    items_count: Mapped[int] = mapped_column(Integer)
    total_centimes: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str | None] = mapped_column(String(120))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_written_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    file_written_by: Mapped[str | None] = mapped_column(String(120))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_by: Mapped[str | None] = mapped_column(String(120))

    transfers: Mapped[list[PaymentTransfer]] = relationship(
        back_populates="batch", order_by="PaymentTransfer.id"
    )


class PaymentTransfer(Tracked, Base):
    """One credit transfer to one payee; `reference` is the EndToEndId the bank returns."""

    __tablename__ = "payment_transfers"
    __table_args__ = (
        CheckConstraint(_ONE_PAYEE, name="one_payee"),
        CheckConstraint("amount_centimes > 0", name="amount_positive"),
        Index("ix_payment_transfers_person", "person_id"),
        Index("ix_payment_transfers_provider", "provider_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payment_batches.id"), index=True)
    reference: Mapped[str] = mapped_column(String(35), unique=True)
    payee_kind: Mapped[PayeeKind] = mapped_column(StringEnum(PayeeKind, 10))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    creditor_name: Mapped[str] = mapped_column(String(140))
    rib: Mapped[str] = mapped_column(String(24))
    amount_centimes: Mapped[int] = mapped_column(BigInteger)
    items_count: Mapped[int] = mapped_column(Integer)
    claims_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[TransferStatus] = mapped_column(
        StringEnum(TransferStatus, 10), default=TransferStatus.PENDING
    )
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_code: Mapped[str | None] = mapped_column(String(35))
    return_reason: Mapped[str | None] = mapped_column(Text)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("payment_returns.id"))

    batch: Mapped[PaymentBatch] = relationship(back_populates="transfers")


class PaymentItem(Base):
    """One claim line queued for payment: what AMO and the mutual pay, to whom."""

    __tablename__ = "payment_items"
    __table_args__ = (
        CheckConstraint(_ONE_PAYEE, name="one_payee"),
        CheckConstraint(
            "amo_centimes >= 0 AND complementary_centimes >= 0"
            " AND amo_centimes + complementary_centimes > 0",
            name="amount_positive",
        ),
        # A line is paid once: at most one item per line that the bank has not returned.
        Index(
            "uq_payment_items_line_unreturned",
            "claim_line_id",
            unique=True,
            postgresql_where=text("returned_at IS NULL"),
            sqlite_where=text("returned_at IS NULL"),
        ),
        # The queue of items waiting for a batch.
        Index(
            "ix_payment_items_unassigned",
            "id",
            postgresql_where=text("transfer_id IS NULL"),
            sqlite_where=text("transfer_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    claim_line_id: Mapped[int] = mapped_column(ForeignKey("claim_lines.id"))
    payee_kind: Mapped[PayeeKind] = mapped_column(StringEnum(PayeeKind, 10))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    rib: Mapped[str] = mapped_column(String(24))  # the payee's RIB when it was queued
    amo_centimes: Mapped[int] = mapped_column(Integer)
    complementary_centimes: Mapped[int] = mapped_column(Integer)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("payment_transfers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(120))
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentHold(Base):
    """An approved claim held back by the last run that looked at it, and why."""

    __tablename__ = "payment_holds"
    __table_args__ = (
        CheckConstraint(_ONE_PAYEE, name="one_payee"),
        Index("ix_payment_holds_person", "person_id"),
        Index("ix_payment_holds_provider", "provider_id"),
    )
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    payee_kind: Mapped[PayeeKind] = mapped_column(StringEnum(PayeeKind, 10))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    reason_code: Mapped[HoldReason] = mapped_column(StringEnum(HoldReason, 20))
    detail: Mapped[str] = mapped_column(Text, default="")
    amount_centimes: Mapped[int] = mapped_column(Integer)
    held_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_by: Mapped[str] = mapped_column(String(120))


class PaymentReturn(Tracked, Base):
    """One bank return imported (camt.054 or a rejected-payment list) and what it did."""

    __tablename__ = "payment_returns"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[ReturnFormat] = mapped_column(StringEnum(ReturnFormat, 12))
    message_id: Mapped[str | None] = mapped_column(String(35))
    settled: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    unmatched: Mapped[int] = mapped_column(Integer)
