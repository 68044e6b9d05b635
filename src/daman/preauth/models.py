"""Pre-authorisation requests (prise en charge), their planned lines, decisions, clock,
documents, history and the facility invoices sent against them.

A request names a patient, the requesting provider (a clinic, a hospital, or a provider of
multi-session care, orthodontics or a listed device) and the planned care, line by line,
with the provider's estimate. At submission the engine values the planned lines (rights,
reference price, rate, expected AMO and patient share). A controller answers: agree (each
line's agreed units and base, a validity period), agree partly, refuse, or ask for more
information, which pauses the clock until the requester answers.

**The clock.** The fund must answer within settings.preauth_answer_hours (48 h). Every
figure comes from timestamps: `due_at` is submission + the limit + the time spent waiting
for information (moved when the clock resumes); `paused_at` is set while waiting;
`answer_seconds` is the active time it took to answer and `answered_late` whether that
went beyond the limit.

A facility invoice (`PreauthInvoice`) is a claim stored and valued like any other, linked
to the request: the engine rates its lines by the authorisation, sends over-runs to review,
and the payment run pays it to the facility.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.core.db import Base, StatusEvent, StoredFile, StringEnum, Tracked
from daman.core.enums import CareCategory, Confidence
from daman.providers.models import Provider
from daman.registry.models import Person


class PreauthStatus(StrEnum):
    SUBMITTED = "submitted"  # waits for a controller; the clock runs
    INFO_REQUESTED = "info_requested"  # waits for the requester; the clock is paused
    AGREED = "agreed"
    PARTLY_AGREED = "partly_agreed"
    REFUSED = "refused"
    CANCELLED = "cancelled"  # withdrawn by the requester before an answer
    INVOICED = "invoiced"  # the facility sent its invoice against the authorisation


OPEN = (PreauthStatus.SUBMITTED, PreauthStatus.INFO_REQUESTED)
AUTHORISING = (PreauthStatus.AGREED, PreauthStatus.PARTLY_AGREED, PreauthStatus.INVOICED)


class CareKind(StrEnum):
    HOSPITALISATION = "hospitalisation"
    MULTI_SESSION = "multi_session"  # physiotherapy, speech therapy ...
    ORTHODONTICS = "orthodontics"
    DEVICE = "device"  # a listed medical device
    COSTLY_CARE = "costly_care"


class PreauthRequest(Tracked, Base):
    __tablename__ = "preauth_requests"
    __table_args__ = (
        Index("ix_preauth_requests_status_due", "status", "due_at"),
        Index("ix_preauth_requests_patient", "patient_id", "planned_start"),
        Index("ix_preauth_requests_provider", "provider_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)  # 'PA' + 8 digits
    patient_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    care_kind: Mapped[CareKind] = mapped_column(StringEnum(CareKind, 20))
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    ald_code: Mapped[str | None] = mapped_column(String(20))
    diagnosis: Mapped[str] = mapped_column(Text, default="")
    notify_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[PreauthStatus] = mapped_column(
        StringEnum(PreauthStatus, 20), default=PreauthStatus.SUBMITTED
    )
    # Rights on the planned start, as the registry gave them at submission.
    covered: Mapped[bool] = mapped_column(Boolean, default=False)
    eligibility_reason: Mapped[str] = mapped_column(String(60), default="")
    regime_code: Mapped[str | None] = mapped_column(String(20))
    # The clock (timezone-aware timestamps).
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer_seconds: Mapped[int | None] = mapped_column(Integer)
    answered_late: Mapped[bool | None] = mapped_column(Boolean)
    # The answer.
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    information_asked: Mapped[str] = mapped_column(Text, default="")  # the last question
    # Totals of the lines (centimes).
    estimate_centimes: Mapped[int] = mapped_column(Integer, default=0)
    expected_amo_centimes: Mapped[int] = mapped_column(Integer, default=0)
    expected_patient_centimes: Mapped[int] = mapped_column(Integer, default=0)
    agreed_amo_centimes: Mapped[int] = mapped_column(Integer, default=0)
    agreed_patient_centimes: Mapped[int] = mapped_column(Integer, default=0)

    patient: Mapped[Person] = relationship()
    provider: Mapped[Provider] = relationship()
    lines: Mapped[list[PreauthLine]] = relationship(
        back_populates="request", order_by="PreauthLine.line_no"
    )
    events: Mapped[list[PreauthEvent]] = relationship(order_by="PreauthEvent.id")
    documents: Mapped[list[PreauthDocument]] = relationship(order_by="PreauthDocument.id")
    invoices: Mapped[list[PreauthInvoice]] = relationship(order_by="PreauthInvoice.id")


class PreauthLine(Base):
    """One planned line: what is asked, what the engine expects, what was agreed."""

    __tablename__ = "preauth_lines"
    __table_args__ = (UniqueConstraint("request_id", "line_no", name="preauth_line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("preauth_requests.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    category: Mapped[CareCategory] = mapped_column(StringEnum(CareCategory, 30))
    act_key: Mapped[str | None] = mapped_column(String(20))
    coefficient_milli: Mapped[int | None] = mapped_column(Integer)
    act_code: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)  # days, sessions, units asked
    estimate_centimes: Mapped[int] = mapped_column(Integer)  # the provider's estimate
    # The engine's valuation at submission.
    reference_centimes: Mapped[int | None] = mapped_column(Integer)
    base_centimes: Mapped[int] = mapped_column(Integer, default=0)
    rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    expected_amo_centimes: Mapped[int] = mapped_column(Integer, default=0)
    expected_complementary_centimes: Mapped[int] = mapped_column(Integer, default=0)
    expected_patient_centimes: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[list[str] | None] = mapped_column(JSON)
    # The answer (null until decided; 0 units = this line refused).
    agreed_quantity: Mapped[int | None] = mapped_column(Integer)
    agreed_base_centimes: Mapped[int | None] = mapped_column(Integer)
    agreed_amo_centimes: Mapped[int | None] = mapped_column(Integer)

    request: Mapped[PreauthRequest] = relationship(back_populates="lines")


class PreauthEvent(StatusEvent, Base):
    """One change of a request's status: from, to, who, when and why."""

    __tablename__ = "preauth_events"
    request_id: Mapped[int] = mapped_column(ForeignKey("preauth_requests.id"), index=True)


class PreauthDocument(StoredFile, Base):
    """A document of the request (estimate, report, prescription); bytes in the store."""

    __tablename__ = "preauth_documents"
    __table_args__ = (UniqueConstraint("request_id", "sha256", name="preauth_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("preauth_requests.id"))


class PreauthInvoice(Tracked, Base):
    """A facility's invoice against an authorisation: the claim it was stored as."""

    __tablename__ = "preauth_invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("preauth_requests.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), unique=True)
    reference: Mapped[str] = mapped_column(String(60), default="")  # the facility's number


class PreauthRequirement(Tracked, Base):
    """Care that needs a prior authorisation: a care category (for one regime, or any),
    effective-dated. A claim line of that category without one is refused."""

    __tablename__ = "preauth_requirements"
    __table_args__ = (
        UniqueConstraint("category", "regime_code", "valid_from", name="preauth_requirement"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[CareCategory] = mapped_column(StringEnum(CareCategory, 30))
    regime_code: Mapped[str | None] = mapped_column(ForeignKey("regimes.code"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )
