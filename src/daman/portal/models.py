"""The portal's tables: messages with the fund, decisions read, decisions told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.dates import now
from daman.core.db import Base


class Message(Base):
    """One message of the thread between an insured person and the fund."""

    __tablename__ = "portal_messages"
    __table_args__ = (Index("ix_portal_messages_person", "person_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))  # whose thread
    from_fund: Mapped[bool] = mapped_column(Boolean)  # written by staff, else by the person
    body: Mapped[str] = mapped_column(Text)
    claim_number: Mapped[str | None] = mapped_column(String(12))  # about this claim, if any
    by: Mapped[str] = mapped_column(String(120))  # the actor who wrote it
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # by the other side


class DecisionRead(Base):
    """An insured person opened a claim's decision in the portal: which decision (the last
    status event they saw), what it said, when. Once per person and decision."""

    __tablename__ = "decision_reads"
    __table_args__ = (
        UniqueConstraint("claim_id", "person_id", "event_id", name="decision_read_once"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))  # the reader
    event_id: Mapped[int] = mapped_column(Integer)  # the claim's last status event then
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class DecisionNotice(Base):
    """A decision told to the insured person by SMS: the claim status event it tells, and
    the message queued (None when there was no number to send it to)."""

    __tablename__ = "decision_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("claim_status_events.id"), unique=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    topic: Mapped[str] = mapped_column(String(40))
    sms_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbox.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class NoticeMark(Base):
    """How far the telling of decisions has read the claims' status events (one row)."""

    __tablename__ = "decision_notice_marks"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
