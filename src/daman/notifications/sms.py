"""SMS: an outbox of text messages, and the gateways that hand them to phones.

`queue` adds a row in the caller's transaction (flushed, not sent), so a message exists if
and only if what it tells about was committed. `deliver` runs after the commit: a page
hands it the ids it just queued (FastAPI runs it once the answer is sent), and
`daman notifications send-sms` sends whatever is still pending (a cron). Each message is
taken in its own short transaction (locked, SKIP LOCKED on PostgreSQL), handed to the
gateway and marked sent; a failure counts an attempt and keeps it pending until
settings.notification_max_attempts attempts failed.

A sign-in code is never stored, not even in the outbox: the stored text holds ``{code}``
and the code reaches `deliver` in memory (``secrets``). A message whose code was lost (the
server restarted before sending it) fails for good: the person asks for a new code.

The gateway is pluggable (settings.sms_gateway): ``file`` appends one JSON line per message
to ``<data_dir>/sms/outbox.jsonl`` (development: that file is the phone, and tests read it);
``http`` posts ``{"from", "to", "text", "reference"}`` as JSON to settings.sms_http_url with
settings.sms_http_token as a bearer token, the shape most operators' APIs take or a small
adapter turns into theirs. Another gateway is a class with ``send(message) -> str``.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from daman.config import Settings, get_settings
from daman.core.dates import now
from daman.core.text import western_digits
from daman.notifications.models import NotificationStatus, SmsMessage

CODE = "{code}"  # where a sign-in code goes in a stored text
OUTBOX_FILE = "outbox.jsonl"
_SEPARATORS = re.compile(r"[\s.\-()/]")
_MOBILE = re.compile(r"0[5-7][0-9]{8}")


# -- phone numbers -----------------------------------------------------------------------


def national(phone: str | None) -> str | None:
    """A Moroccan number as written at home (``0661000094``) from any usual form
    (``+212 661-000094``, ``00212661000094``, Eastern Arabic digits), or None when it is
    not a number of 10 digits starting 05, 06 or 07."""
    digits = _SEPARATORS.sub("", western_digits(phone or ""))
    for prefix in ("+212", "00212"):
        if digits.startswith(prefix):
            digits = "0" + digits[len(prefix) :]
    if digits.startswith("212") and len(digits) == 12:
        digits = "0" + digits[3:]
    return digits if _MOBILE.fullmatch(digits) else None


def international(phone: str | None) -> str | None:
    """``+212661000094`` (E.164), or None (see `national`)."""
    home = national(phone)
    return "+212" + home[1:] if home else None


def stored_forms(phone: str) -> list[str]:
    """The ways a registry may hold this number (``0661000094``, ``+212661000094`` ...)."""
    home = national(phone)
    if home is None:
        return []
    rest = home[1:]
    return [home, "+212" + rest, "212" + rest, "00212" + rest, "+212 " + rest]


# -- the outbox --------------------------------------------------------------------------


def queue(
    session: Session,
    *,
    phone: str | None,
    body: str,
    topic: str,
    reference: str = "",
    actor: str = "system",
) -> SmsMessage | None:
    """Add an SMS to the outbox (flushed, not sent); None when there is no valid number."""
    to = international(phone)
    if to is None:
        return None
    row = SmsMessage(
        phone=to,
        body=body,
        topic=topic,
        reference=reference[:40],
        status=NotificationStatus.PENDING,
        attempts=0,
        created_at=now(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Outgoing:
    id: int
    phone: str
    text: str
    reference: str


class Gateway(Protocol):
    def send(self, message: Outgoing) -> str:
        """Hand the message over; the gateway's id for it. OSError when it fails."""
        ...


class FileGateway:
    """Each message as one JSON line of ``outbox.jsonl`` in a directory."""

    def __init__(self, directory: Path, sender: str = "DAMAN") -> None:
        self.path = directory / OUTBOX_FILE
        self.sender = sender

    def send(self, message: Outgoing) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "id": message.id,
            "at": now().isoformat(),
            "from": self.sender,
            "to": message.phone,
            "text": message.text,
            "reference": message.reference,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)  # one write in append mode: lines of two writers never mix
        finally:
            os.close(fd)
        return f"file:{message.id}"


class HttpGateway:
    """POST the message as JSON to the operator's gateway."""

    def __init__(self, url: str, token: str | None, sender: str, timeout: float) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"DAMAN_SMS_HTTP_URL must be an http(s) address, not {url!r}")
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def send(self, message: Outgoing) -> str:
        body = {
            "from": self.sender,
            "to": message.phone,
            "text": message.text,
            "reference": f"daman-sms-{message.id}",
        }
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.url,
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"}
            | ({"authorization": f"Bearer {self.token}"} if self.token else {}),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            text = answer.read(2000).decode(errors="replace")
        try:
            found = json.loads(text)
        except ValueError:
            found = {}
        return str(found.get("id", "")) if isinstance(found, dict) else ""


def gateway_of(settings: Settings) -> Gateway:
    if settings.sms_gateway == "file":
        return FileGateway(settings.sms_dir, settings.sms_sender)
    if settings.sms_gateway == "http":
        if not settings.sms_http_url:
            raise ValueError("DAMAN_SMS_GATEWAY=http needs DAMAN_SMS_HTTP_URL")
        return HttpGateway(
            settings.sms_http_url,
            settings.sms_http_token,
            settings.sms_sender,
            settings.smtp_timeout_seconds,
        )
    raise ValueError(f"DAMAN_SMS_GATEWAY: 'file' or 'http', not {settings.sms_gateway!r}")


@dataclass
class SmsDelivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _next(session: Session, after_id: int, ids: Sequence[int] | None) -> SmsMessage | None:
    stmt = (
        select(SmsMessage)
        .where(SmsMessage.status == NotificationStatus.PENDING, SmsMessage.id > after_id)
        .order_by(SmsMessage.id)
        .limit(1)
    )
    if ids is not None:
        stmt = stmt.where(SmsMessage.id.in_(list(ids)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def deliver(
    bind: Engine | Connection,
    *,
    ids: Sequence[int] | None = None,
    secrets: Mapping[int, str] | None = None,
    limit: int = 1000,
    gateway: Gateway | None = None,
    settings: Settings | None = None,
) -> SmsDelivery:
    """Send pending messages (only ``ids`` when given), one short transaction each.
    ``secrets``: the sign-in code of a message by id, filled into its ``{code}``."""
    settings = settings or get_settings()
    gateway = gateway or gateway_of(settings)
    secrets = secrets or {}
    report, after = SmsDelivery(), 0
    for _ in range(limit):
        with Session(bind, join_transaction_mode="create_savepoint") as session, session.begin():
            row = _next(session, after, ids)
            if row is None:
                break
            after = row.id
            row.attempts += 1
            if CODE in row.body and row.id not in secrets:
                row.status = NotificationStatus.FAILED
                row.last_error = "the code it carries is no longer known: ask for a new one"
                report.failed += 1
                continue
            text = row.body.replace(CODE, secrets[row.id]) if CODE in row.body else row.body
            try:
                row.gateway_id = gateway.send(Outgoing(row.id, row.phone, text, row.reference))[
                    :100
                ]
            except OSError as exc:
                row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                if row.attempts >= settings.notification_max_attempts:
                    row.status = NotificationStatus.FAILED
                    report.failed += 1
                else:
                    report.retried += 1
            else:
                row.status, row.sent_at, row.last_error = NotificationStatus.SENT, now(), None
                report.sent += 1
    return report


def sent_to(directory: Path, phone: str) -> list[dict[str, str]]:
    """What the ``file`` gateway wrote for a number, oldest first (development, tests)."""
    path = directory / OUTBOX_FILE
    to = international(phone)
    if not path.exists() or to is None:
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [line for line in lines if line["to"] == to]
