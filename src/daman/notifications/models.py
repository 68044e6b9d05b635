"""The outbox: one row per message to send, written in the same transaction as the decision
it tells about, so a message exists if and only if the decision was committed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.dates import now
from daman.core.db import Base, StringEnum


class NotificationStatus(StrEnum):
    PENDING = "pending"  # waits for the next delivery run (also after a failed attempt)
    SENT = "sent"
    FAILED = "failed"  # gave up after settings.notification_max_attempts attempts


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_id", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))  # an e-mail address
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(40))  # e.g. preauth_decision
    reference: Mapped[str] = mapped_column(String(40), default="")  # the object's business key
    status: Mapped[NotificationStatus] = mapped_column(
        StringEnum(NotificationStatus, 10), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SmsMessage(Base):
    """One SMS to send, written in the transaction of what it tells about. A sign-in code
    is never stored: its text holds ``{code}``, filled in memory by the delivery that
    follows the commit (daman.notifications.sms)."""

    __tablename__ = "sms_outbox"
    __table_args__ = (Index("ix_sms_outbox_status_id", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))  # international form, +212...
    body: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(40))  # e.g. sign_in_code, claim_decision
    reference: Mapped[str] = mapped_column(String(40), default="")  # the object's business key
    status: Mapped[NotificationStatus] = mapped_column(
        StringEnum(NotificationStatus, 10), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    gateway_id: Mapped[str | None] = mapped_column(String(100))  # the gateway's message id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
