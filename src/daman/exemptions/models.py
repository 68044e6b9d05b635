"""ALD/ALC exemptions: the requests (evidence, a controller's decision, renewals) and the
exemptions they grant to a patient for a disease over a period.

An `AldExemption` row (a registry table, daman.registry.models) is a *granted* period,
nothing else: the registry reads these rows (a patient with an active exemption keeps
rights) and the engine rates the lines linked to the disease at the ALD rate while one is
in force. A request becomes an exemption only when a controller grants it; a refused
request leaves no exemption behind. A renewal is a new request naming the exemption it
renews; its grant is a new row starting the day after the previous one ends, so the
history of periods is never overwritten.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.core.db import Base, StatusEvent, StoredFile, StringEnum, Tracked
from daman.registry.models import AldExemption, Person


class RequestKind(StrEnum):
    FIRST = "first"
    RENEWAL = "renewal"


class RequestStatus(StrEnum):
    REQUESTED = "requested"  # waits for a controller
    GRANTED = "granted"  # an AldExemption row exists for it
    REFUSED = "refused"
    CANCELLED = "cancelled"  # withdrawn by the requester before a decision


class AldExemptionRequest(Tracked, Base):
    """A request for exemption from the patient share for a disease of the ALD list."""

    __tablename__ = "ald_exemption_requests"
    __table_args__ = (Index("ix_ald_exemption_requests_status", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)  # 'EX' + 8 digits
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    ald_code: Mapped[str] = mapped_column(ForeignKey("ald_diseases.code"))
    kind: Mapped[RequestKind] = mapped_column(StringEnum(RequestKind, 10))
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("ald_exemptions.id"))
    status: Mapped[RequestStatus] = mapped_column(
        StringEnum(RequestStatus, 12), default=RequestStatus.REQUESTED
    )
    requested_from: Mapped[date] = mapped_column(Date)  # start asked for
    icd10: Mapped[str] = mapped_column(String(20), default="")
    evidence: Mapped[str] = mapped_column(Text, default="")  # medical summary
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    notify_email: Mapped[str | None] = mapped_column(String(254))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    exemption_id: Mapped[int | None] = mapped_column(ForeignKey("ald_exemptions.id"))

    person: Mapped[Person] = relationship()
    exemption: Mapped[AldExemption | None] = relationship(foreign_keys=[exemption_id])
    renews: Mapped[AldExemption | None] = relationship(foreign_keys=[renews_id])
    events: Mapped[list[AldRequestEvent]] = relationship(order_by="AldRequestEvent.id")
    documents: Mapped[list[AldRequestDocument]] = relationship(order_by="AldRequestDocument.id")


class AldRequestEvent(StatusEvent, Base):
    """One change of a request's status: from, to, who, when and why."""

    __tablename__ = "ald_request_events"
    request_id: Mapped[int] = mapped_column(ForeignKey("ald_exemption_requests.id"), index=True)


class AldRequestDocument(StoredFile, Base):
    """Medical evidence; the bytes live in the document store (named by sha256)."""

    __tablename__ = "ald_request_documents"
    __table_args__ = (UniqueConstraint("request_id", "sha256", name="ald_request_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("ald_exemption_requests.id"))
