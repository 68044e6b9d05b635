"""The outbox: messages written with the decision, delivered after commit to an SMTP
server (a local aiosmtpd server here), retried on failure, sent once."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from daman.cli import app
from daman.config import Settings, get_settings
from daman.core import db as core_db
from daman.core.db import make_engine, unit_of_work
from daman.notifications import service
from daman.notifications.models import Notification, NotificationStatus

runner = CliRunner()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def queue(session: Session, n: int = 1) -> None:
    for i in range(n):
        service.queue(
            session,
            recipient=f"clinic{i}@palmiers.localhost",
            subject=f"Prise en charge PA0000000{i} accordée",
            body="Montant pris en charge par l'AMO : 2295.00 MAD.\nطلب التحمل",
            topic="preauth_agreed",
            reference=f"PA0000000{i}",
            actor="test",
        )


def test_pending_messages_arrive_once(database_url: str, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    engine = make_engine(database_url)
    with Session(engine) as s, s.begin():
        queue(s, 2)
        assert service.queue(s, recipient=None, subject="x", body="x", topic="t",
                             reference="r", actor="t") is None  # fmt: skip
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_sender="Daman <d@x.ma>")
    report = service.deliver(engine, settings=settings)
    assert (report.sent, report.retried, report.failed, report.pending) == (2, 0, 0, 0)
    assert [m[1] for m in inbox.messages] == [
        ["clinic0@palmiers.localhost"],
        ["clinic1@palmiers.localhost"],
    ]
    sender, _, message = inbox.messages[0]
    assert sender == "d@x.ma"
    assert message["Subject"] == "Prise en charge PA00000000 accordée"
    assert message["X-Daman-Reference"] == "PA00000000"
    assert "2295.00 MAD" in message.get_content() and "طلب التحمل" in message.get_content()
    with Session(engine) as s:
        rows = s.scalars(select(Notification).order_by(Notification.id)).all()
        assert [(r.status, r.attempts) for r in rows] == [(NotificationStatus.SENT, 1)] * 2
        assert all(r.sent_at is not None for r in rows)
    again = service.deliver(engine, settings=settings)
    assert again.sent == 0 and len(inbox.messages) == 2
    engine.dispose()


def test_a_failure_is_retried_then_given_up(database_url: str, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    engine = make_engine(database_url)
    with Session(engine) as s, s.begin():
        queue(s)
    closed = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), notification_max_attempts=2)
    first = service.deliver(engine, settings=closed)
    assert (first.sent, first.retried, first.pending) == (0, 1, 1)
    with Session(engine) as s:
        row = s.scalars(select(Notification)).one()
        assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
        assert row.last_error and "Error" in row.last_error
    second = service.deliver(engine, settings=closed)
    assert second.failed == 1
    with Session(engine) as s:
        assert s.scalars(select(Notification)).one().status == NotificationStatus.FAILED
    working = Settings(smtp_host="127.0.0.1", smtp_port=port)
    assert service.deliver(engine, settings=working).sent == 0  # failed for good
    assert inbox.messages == []
    engine.dispose()


def test_the_send_command(
    database_url: str, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    engine = make_engine(database_url)
    core_db.set_engine(engine)
    monkeypatch.setenv("DAMAN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DAMAN_SMTP_PORT", str(port))
    get_settings.cache_clear()
    try:
        with unit_of_work() as s:
            queue(s, 3)
        result = runner.invoke(app, ["notifications", "send", "--limit", "2"])
        assert result.exit_code == 0, result.output
        assert "2 sent, 0 to retry, 0 failed for good; 1 pending" in result.output
        result = runner.invoke(app, ["notifications", "send"])
        assert "1 sent" in result.output
        assert len(inbox.messages) == 3
    finally:
        get_settings.cache_clear()
        engine.dispose()


def test_a_decision_rolled_back_leaves_no_message(session: Session) -> None:
    nested = session.begin_nested()
    queue(session)
    nested.rollback()
    assert session.scalars(select(Notification)).all() == []
