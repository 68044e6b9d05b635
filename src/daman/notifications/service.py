"""Notifications: queue a message in the caller's transaction; deliver pending ones later.

`queue` only adds a row to the outbox: it is committed (or rolled back) with the decision
it tells about, so nothing is ever sent for a decision that did not happen. `deliver`
runs after commit (the command `daman notifications send`, a cron or a systemd timer):
each message is taken in its own short transaction (locked, SKIP LOCKED on PostgreSQL),
handed to the SMTP server of the settings and marked sent. A failure counts an attempt
and keeps the message pending with the error, until settings.notification_max_attempts
attempts have failed: it is then `failed`. A run killed between the SMTP hand-over and the
commit sends that one message again next time (at least once, never lost).
"""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from daman.config import Settings, get_settings
from daman.core.dates import now
from daman.core.db import make_engine
from daman.notifications import repository as repo
from daman.notifications.models import Notification, NotificationStatus


def queue(
    session: Session,
    *,
    recipient: str | None,
    subject: str,
    body: str,
    topic: str,
    reference: str,
    actor: str,
) -> Notification | None:
    """Add a message to the outbox (flushed, not sent); None when there is no address."""
    if not recipient:
        return None
    row = Notification(
        recipient=recipient,
        subject=subject[:200],
        body=body,
        topic=topic,
        reference=reference,
        status=NotificationStatus.PENDING,
        attempts=0,
        created_at=now(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class SmtpTransport:
    """One SMTP connection for a delivery run, opened on the first message."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        if self._smtp is None:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            self._smtp = smtp
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self._smtp = None
            raise

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None


def message_of(row: Notification, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(now())
    msg["Message-ID"] = make_msgid(idstring=f"daman.{row.id}", domain="daman.localhost")
    msg["X-Daman-Reference"] = row.reference
    msg.set_content(row.body)
    return msg


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0  # failed this time, still pending
    failed: int = 0  # failed for good this time
    pending: int = 0  # still waiting after the run


def deliver(
    engine_or_url: Engine | str,
    *,
    limit: int = 1000,
    transport: Transport | None = None,
    settings: Settings | None = None,
    progress: Callable[[Delivery], None] | None = None,
) -> Delivery:
    """Send up to `limit` pending messages, one short transaction each."""
    settings = settings or get_settings()
    transport = transport or SmtpTransport(settings)
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    report, after = Delivery(), 0
    try:
        for _ in range(limit):
            with Session(engine, expire_on_commit=False) as session, session.begin():
                row = repo.next_pending(session, after)
                if row is None:
                    break
                after = row.id
                row.attempts += 1
                try:
                    transport.send(message_of(row, settings.smtp_sender))
                except (OSError, smtplib.SMTPException) as exc:
                    row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                    if row.attempts >= settings.notification_max_attempts:
                        row.status = NotificationStatus.FAILED
                        report.failed += 1
                    else:
                        report.retried += 1
                else:
                    row.status, row.sent_at, row.last_error = NotificationStatus.SENT, now(), None
                    report.sent += 1
            if progress:
                progress(report)
        with Session(engine) as session:
            report.pending = repo.counts(session).get(NotificationStatus.PENDING, 0)
    finally:
        transport.close()
        if isinstance(engine_or_url, str):
            engine.dispose()
    return report
