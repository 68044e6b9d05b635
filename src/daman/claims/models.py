"""Claims (dossier maladie / feuille de soins): the claim, its lines, documents and history.

A claim belongs to one patient and one care event. Its lines carry what was charged and,
once valued, the decision of the engine or of a reviewer (the full trail of decisions is
in adjudication's LineDecision). Every change of status is a ClaimStatusEvent row.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.core.db import Base, StatusEvent, StoredFile, StringEnum, Tracked
from daman.core.enums import CareCategory, LineStatus
from daman.providers.models import Provider
from daman.registry.models import Person


class ClaimStatus(StrEnum):
    RECEIVED = "received"
    PENDING_REVIEW = "pending_review"
    ADJUDICATED = "adjudicated"
    APPROVED = "approved"  # approved for payment
    IN_PAYMENT = "in_payment"  # in a payment batch whose bank file is not yet sent
    PAID = "paid"  # its transfer is in a bank file sent to the bank


class ClaimOutcome(StrEnum):
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    REJECTED = "rejected"


class Channel(StrEnum):
    ELECTRONIC = "electronic"  # sent by a provider or the portal: deposited when it arrives
    AGENCY = "agency"  # paper handed in at an agency, keyed in by an agent
    IMPORT = "import"  # paper files keyed in at agencies, loaded from a file


_OPEN = text("status IN ('received', 'adjudicated', 'approved')")
_PAPER = text("agency_code IS NOT NULL")


class Claim(Tracked, Base):
    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("submitter", "idempotency_key", name="submitter_idempotency_key"),
        # Only the statuses looked up by status (the batch's received claims, the
        # adjudicated ones to approve, the approved ones to pay) and only paper claims by
        # agency: a claim valued to pending review, paid or sent electronically writes no
        # entry in these (migration 0023).
        Index("ix_claims_open", "status", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_claims_patient", "patient_id", "deposit_date"),
        Index(
            "ix_claims_agency",
            "agency_code",
            "id",
            postgresql_where=_PAPER,
            sqlite_where=_PAPER,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    channel: Mapped[Channel] = mapped_column(StringEnum(Channel, 12))
    deposit_date: Mapped[date] = mapped_column(Date)  # the filing deadline counts from it
    # the agency that received a paper care sheet (None: sent online or electronically)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    continuous_end: Mapped[date | None] = mapped_column(Date)  # end of continuous treatment
    ald_code: Mapped[str | None] = mapped_column(String(20))
    regime_code: Mapped[str | None] = mapped_column(String(20))  # rights on the care date
    status: Mapped[ClaimStatus] = mapped_column(
        StringEnum(ClaimStatus, 20), default=ClaimStatus.RECEIVED
    )
    outcome: Mapped[ClaimOutcome | None] = mapped_column(  # once decided
        StringEnum(ClaimOutcome, 20)
    )
    charged_centimes: Mapped[int] = mapped_column(Integer, default=0)
    base_centimes: Mapped[int] = mapped_column(Integer, default=0)
    amo_centimes: Mapped[int] = mapped_column(Integer, default=0)
    complementary_centimes: Mapped[int] = mapped_column(Integer, default=0)
    patient_centimes: Mapped[int] = mapped_column(Integer, default=0)
    adjudicated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who sent it and the key it sent: a retry with the same key returns this claim.
    submitter: Mapped[str] = mapped_column(String(120))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    patient: Mapped[Person] = relationship()
    lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="claim", order_by="ClaimLine.line_no"
    )
    documents: Mapped[list[ClaimDocument]] = relationship(order_by="ClaimDocument.id")
    events: Mapped[list[ClaimStatusEvent]] = relationship(order_by="ClaimStatusEvent.id")

    @property
    def payable_centimes(self) -> int:
        return self.amo_centimes + self.complementary_centimes


class ClaimLine(Base):
    __tablename__ = "claim_lines"
    # On PostgreSQL its pages are filled to 40 % only (fillfactor, migration 0023): the
    # batch rewrites a received line with its decision on the same page, a HOT update.
    __table_args__ = (UniqueConstraint("claim_id", "line_no", name="claim_line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))  # unique key indexes it
    line_no: Mapped[int] = mapped_column(Integer)
    category: Mapped[CareCategory] = mapped_column(StringEnum(CareCategory, 30))
    care_date: Mapped[date] = mapped_column(Date)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    prescriber_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    prescription_date: Mapped[date | None] = mapped_column(Date)
    act_key: Mapped[str | None] = mapped_column(String(20))  # TNR letter key or day tariff
    coefficient_milli: Mapped[int | None] = mapped_column(Integer)  # K 22.5 -> 22500
    act_code: Mapped[str | None] = mapped_column(String(40))  # code of the act, as billed
    drug_code: Mapped[str | None] = mapped_column(String(13))  # EAN-13
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    charged_centimes: Mapped[int] = mapped_column(Integer)
    ald_code: Mapped[str | None] = mapped_column(String(20))
    # The decision in force (the trail of every decision is in line_decisions).
    status: Mapped[LineStatus | None] = mapped_column(  # None until valued
        StringEnum(LineStatus, 20)
    )
    reference_centimes: Mapped[int | None] = mapped_column(Integer)
    base_centimes: Mapped[int | None] = mapped_column(Integer)
    rate_bp: Mapped[int | None] = mapped_column(Integer)
    amo_centimes: Mapped[int | None] = mapped_column(Integer)
    complementary_centimes: Mapped[int | None] = mapped_column(Integer)
    patient_centimes: Mapped[int | None] = mapped_column(Integer)
    allowed_quantity: Mapped[int | None] = mapped_column(Integer)  # units covered
    reasons: Mapped[list[str] | None] = mapped_column(JSON)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(120))

    claim: Mapped[Claim] = relationship(back_populates="lines")
    provider: Mapped[Provider] = relationship(foreign_keys=[provider_id])
    prescriber: Mapped[Provider | None] = relationship(foreign_keys=[prescriber_id])


class ClaimDocument(StoredFile, Base):
    """A scanned document; the bytes live under settings.documents_dir, named by sha256."""

    __tablename__ = "claim_documents"
    __table_args__ = (UniqueConstraint("claim_id", "sha256", name="claim_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    # The provider whose account or API key uploaded it (None: the fund, the insured):
    # a provider sees only the documents it uploaded itself.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))


class ClaimStatusEvent(StatusEvent, Base):
    """One change of a claim's status: from, to, who, when and why."""

    __tablename__ = "claim_status_events"
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)


# Each valuation of a line, written by adjudication (the engine or a reviewer) and read
# with the claim: the trail behind a line's current decision.


class DecisionSource(StrEnum):
    ENGINE = "engine"
    REVIEW = "review"


class LineDecision(Base):
    """One valuation of a line, by the engine or by a reviewer: who, when, why, amounts."""

    __tablename__ = "line_decisions"
    __table_args__ = (Index("ix_line_decisions_line", "line_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys, which cost a query per decision a batch inserts: a check per
    # statement that each names a line of its claim, and that a line some decision names
    # is not deleted (triggers, migration 0023). No query by claim_id: no index.
    line_id: Mapped[int] = mapped_column(Integer)
    claim_id: Mapped[int] = mapped_column(Integer)
    source: Mapped[DecisionSource] = mapped_column(StringEnum(DecisionSource, 10))
    status: Mapped[LineStatus] = mapped_column(StringEnum(LineStatus, 20))
    reference_centimes: Mapped[int | None] = mapped_column(Integer)
    base_centimes: Mapped[int] = mapped_column(Integer)
    rate_bp: Mapped[int] = mapped_column(Integer)
    amo_centimes: Mapped[int] = mapped_column(Integer)
    complementary_centimes: Mapped[int] = mapped_column(Integer)
    patient_centimes: Mapped[int] = mapped_column(Integer)
    allowed_quantity: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
