"""The SMS outbox: a message exists once its transaction commits, goes out through the
gateway of the settings (the file gateway here), is retried on failure, and a sign-in
code travels in memory only (lost with a restart: the message fails, nothing leaks)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from daman.config import get_settings
from daman.notifications import sms
from daman.notifications.models import NotificationStatus, SmsMessage


@pytest.mark.parametrize(
    ("typed", "home"),
    [
        ("0661234567", "0661234567"),
        ("+212 661-234567", "0661234567"),
        ("00212661234567", "0661234567"),
        ("212661234567", "0661234567"),
        ("٠٦٦١٢٣٤٥٦٧", "0661234567"),
        ("0522123456", "0522123456"),
        ("0861234567", None),
        ("066123456", None),
        ("", None),
    ],
)
def test_numbers_are_read_in_their_usual_forms(typed: str, home: str | None) -> None:
    assert sms.national(typed) == home
    assert sms.international(typed) == (f"+212{home[1:]}" if home else None)


def test_a_message_goes_out_through_the_file_gateway_once(session: Session) -> None:
    row = sms.queue(session, phone="0661234567", body="Bonjour", topic="test", reference="X1")
    assert row is not None and row.phone == "+212661234567"
    assert sms.queue(session, phone=None, body="x", topic="test") is None
    report = sms.deliver(session.connection(), ids=[row.id])
    assert (report.sent, report.failed) == (1, 0)
    session.refresh(row)
    assert row.status == NotificationStatus.SENT and row.sent_at is not None
    assert [m["text"] for m in sms.sent_to(get_settings().sms_dir, "0661234567")] == ["Bonjour"]
    assert sms.deliver(session.connection(), ids=[row.id]).sent == 0  # sent once


class Down:
    def send(self, message: sms.Outgoing) -> str:
        raise OSError("gateway unreachable")


def test_a_failure_is_retried_then_given_up(session: Session) -> None:
    row = sms.queue(session, phone="0661234567", body="Bonjour", topic="test")
    assert row is not None
    settings = get_settings()
    for _ in range(settings.notification_max_attempts - 1):
        assert sms.deliver(session.connection(), ids=[row.id], gateway=Down()).retried == 1
    assert sms.deliver(session.connection(), ids=[row.id], gateway=Down()).failed == 1
    session.refresh(row)
    assert row.status == NotificationStatus.FAILED and "unreachable" in (row.last_error or "")


def test_a_code_is_filled_in_memory_and_a_lost_code_fails(session: Session) -> None:
    first = sms.queue(session, phone="0661234567", body=f"code {sms.CODE}", topic="sign_in_code")
    lost = sms.queue(session, phone="0661234567", body=f"code {sms.CODE}", topic="sign_in_code")
    assert first is not None and lost is not None
    sms.deliver(session.connection(), ids=[first.id], secrets={first.id: "482913"})
    report = sms.deliver(session.connection())  # the cron: the second code is not known
    assert report.failed == 1
    session.refresh(lost)
    assert lost.status == NotificationStatus.FAILED
    texts = [m["text"] for m in sms.sent_to(get_settings().sms_dir, "0661234567")]
    assert texts == ["code 482913"]
    assert all("482913" not in r.body for r in session.query(SmsMessage))


def test_an_unknown_gateway_is_refused_by_name() -> None:
    settings = get_settings().model_copy(update={"sms_gateway": "pigeon"})
    with pytest.raises(ValueError, match="DAMAN_SMS_GATEWAY"):
        sms.gateway_of(settings)
