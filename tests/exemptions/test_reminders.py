"""Reminders before an exemption ends: within DAMAN_ALD_REMINDER_DAYS (60) of its end, once
per exemption and end date, to the address of the request that was granted it, in the
patient's language; none for a period without an end, without an address, or whose
renewal is asked for or already granted."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.config import get_settings
from daman.core.dates import today
from daman.exemptions.reminders import queue_reminders
from daman.notifications.models import NotificationStatus
from daman.reference.models import AldDisease
from tests.claims.support import cnss_insured
from tests.exemptions.support import (
    DIABETES,
    EMAIL,
    HYPERTENSION,
    World,
    cancel,
    day,
    decide,
    exemption_row,
    grant,
    granted,
    move_end,
    outbox,
    renewal,
)

TOPIC = "ald_expiring"


def reminders(session: Session) -> list[tuple[str, str, str]]:
    """(recipient, reference, created_by) of the reminders queued, in order."""
    return [(m.recipient, m.reference, m.created_by) for m in outbox(session, topic=TOPIC)]


def remind(session: Session, on: date | None = None) -> int:
    return queue_reminders(session, on or today(), "cli:test")


def test_a_reminder_once_in_the_window_to_the_requester(
    api: TestClient, session: Session, w: World
) -> None:
    exemption = granted(api, w, day(-100), day(45))
    assert remind(session, day(-30)) == 0  # 75 days before the end: too early
    assert remind(session) == 1
    assert remind(session) == 0  # reminded once
    assert remind(session, day(10)) == 0  # nor on the following days
    [mail] = outbox(session, topic=TOPIC)
    assert (mail.recipient, mail.status, mail.created_by) == (
        EMAIL,
        NotificationStatus.PENDING,
        "cli:test",
    )
    assert mail.reference == f"ALD{exemption['id']}/{day(45).isoformat()}"
    assert mail.subject == f"Exonération ALD {DIABETES} : fin le {day(45).isoformat()}"
    assert w.patient.immatriculation in mail.body and "renouvellement" in mail.body


@pytest.mark.parametrize(
    ("ends_in", "reminded"),
    [(-1, False), (0, True), (1, True), (59, True), (60, True), (61, False), (400, False)],
)
def test_the_window_is_the_end_within_60_days(
    api: TestClient, session: Session, w: World, ends_in: int, reminded: bool
) -> None:
    granted(api, w, day(-300), day(ends_in))
    assert remind(session) == int(reminded)


def test_the_window_is_a_setting(
    api: TestClient, session: Session, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    granted(api, w, day(-300), day(20))
    monkeypatch.setattr(get_settings(), "ald_reminder_days", 10)
    assert remind(session) == 0
    monkeypatch.setattr(get_settings(), "ald_reminder_days", 20)
    assert remind(session) == 1


def test_an_extended_end_is_reminded_again(api: TestClient, session: Session, w: World) -> None:
    exemption = granted(api, w, day(-300), day(30))
    assert remind(session) == 1
    move_end(session, exemption["id"], day(50))
    assert remind(session) == 1 and remind(session) == 0
    assert [ref for _, ref, _ in reminders(session)] == [
        f"ALD{exemption['id']}/{day(30).isoformat()}",
        f"ALD{exemption['id']}/{day(50).isoformat()}",
    ]


def test_no_reminder_without_an_end_an_address_or_a_request(
    api: TestClient, session: Session, w: World
) -> None:
    granted(api, w, day(-300), None)  # for life
    granted(api, w, day(-300), day(10), ald_code=HYPERTENSION, notify_email=None)
    exemption_row(session, cnss_insured(session), day(-300), day(10))  # no request: no address
    assert remind(session) == 0


def test_no_reminder_while_a_renewal_is_asked_for(
    api: TestClient, session: Session, w: World
) -> None:
    exemption = granted(api, w, day(-300), day(30))
    number = renewal(api, exemption["id"]).json()["number"]
    assert remind(session) == 0
    decide(api, number, action="refuse", reason="bilan ancien")  # refused: remind again
    assert remind(session) == 1


def test_a_withdrawn_renewal_brings_the_reminder_back(
    api: TestClient, session: Session, w: World
) -> None:
    exemption = granted(api, w, day(-300), day(30))
    number = renewal(api, exemption["id"]).json()["number"]
    assert remind(session) == 0
    assert cancel(api, number).status_code == 200
    assert remind(session) == 1


def test_no_reminder_for_an_exemption_already_renewed(
    api: TestClient, session: Session, w: World
) -> None:
    """A renewal granted before the window opens: the period after it is in place, so
    nothing is to be asked for; the reminder would tell the patient to ask for a renewal
    already granted."""
    exemption = granted(api, w, day(-300), day(30))
    number = renewal(api, exemption["id"]).json()["number"]
    grant(api, number)  # five more years from day 31
    assert remind(session) == 0
    assert reminders(session) == []


def test_the_reminders_are_in_end_date_order(api: TestClient, session: Session) -> None:
    from tests.exemptions.support import world

    later = granted(api, world(session), day(-300), day(40))
    sooner = granted(api, world(session), day(-300), day(5))
    assert remind(session) == 2
    assert [ref.split("/")[0] for _, ref, _ in reminders(session)] == [
        f"ALD{sooner['id']}",
        f"ALD{later['id']}",
    ]


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("fr", "Exonération ALD ALD09 : fin le {end}"),
        ("en", "ALD exemption ALD09: ends on {end}"),
        ("ar", "الإعفاء ALD09: ينتهي في {end}"),
    ],
)
def test_the_reminder_is_in_the_patient_s_language(
    api: TestClient, session: Session, w: World, language: str, subject: str
) -> None:
    w.patient.preferred_language = language
    disease = session.scalars(select(AldDisease).where(AldDisease.code == DIABETES)).one()
    disease.name_ar = "داء السكري"
    session.flush()
    granted(api, w, day(-300), day(30))
    assert remind(session) == 1
    [mail] = outbox(session, topic=TOPIC)
    assert mail.subject == subject.format(end=day(30).isoformat())
    name = "داء السكري" if language == "ar" else disease.name_fr
    assert name in mail.body


def test_the_reminder_day_may_be_any_day(api: TestClient, session: Session, w: World) -> None:
    """Run on a given day (a missed run caught up): the window counts from that day."""
    granted(api, w, day(-300), day(100))
    assert remind(session, day(39)) == 0
    assert remind(session, day(40)) == 1
    assert remind(session, day(101)) == 0  # the day after the end: nothing to remind
