"""The 48-hour answer clock: the pure function (from timestamps only), then the service's
edges to the second with a clock the test sets: on time at 48 h, late one second after;
a pause for information moves the due time by its length; the limit is fixed at
submission; a withdrawn request's clock stops; the controller's queue and the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from daman.config import get_settings
from daman.core.dates import BUSINESS_TZ
from daman.preauth.clock import clock, paused_for
from tests.preauth.support import (
    API,
    LIMIT_SECONDS,
    Clock,
    World,
    agree,
    cancel,
    decide,
    fields,
    inform,
    instant,
    read,
    row,
    stay,
    submit,
)

LIMIT = LIMIT_SECONDS
T0 = datetime(2026, 11, 28, 9, 30, tzinfo=ZoneInfo("Africa/Casablanca"))

# -- the pure clock ------------------------------------------------------------------------


def test_the_clock_runs_pauses_and_stops() -> None:
    running = clock(
        submitted_at=T0,
        limit_seconds=LIMIT,
        paused_seconds=0,
        paused_at=None,
        answered_at=None,
        at=T0 + timedelta(hours=10),
    )
    assert (running.elapsed_seconds, running.left_seconds, running.overdue) == (
        36_000,
        LIMIT - 36_000,
        False,
    )
    assert running.due_at == T0 + timedelta(hours=48)
    paused = clock(
        submitted_at=T0,
        limit_seconds=LIMIT,
        paused_seconds=0,
        paused_at=T0 + timedelta(hours=10),
        answered_at=None,
        at=T0 + timedelta(hours=70),
    )
    assert paused.paused and not paused.overdue and paused.elapsed_seconds == 36_000
    assert paused.due_at == T0 + timedelta(hours=108)
    late = clock(
        submitted_at=T0,
        limit_seconds=LIMIT,
        paused_seconds=3600,
        paused_at=None,
        answered_at=T0 + timedelta(hours=50),
        at=T0 + timedelta(days=9),
    )
    assert late.answered and late.overdue and late.elapsed_seconds == 49 * 3600
    # the same instant in another zone gives the same figures
    utc = clock(
        submitted_at=T0.astimezone(UTC),
        limit_seconds=LIMIT,
        paused_seconds=0,
        paused_at=None,
        answered_at=None,
        at=(T0 + timedelta(hours=10)).astimezone(UTC),
    )
    assert utc.left_seconds == running.left_seconds and utc.due_at == running.due_at


@pytest.mark.parametrize(
    ("seconds", "left", "overdue"),
    [(0, LIMIT, False), (LIMIT - 1, 1, False), (LIMIT, 0, False), (LIMIT + 1, -1, True)],
)
def test_overdue_starts_one_second_after_the_limit(seconds: int, left: int, overdue: bool) -> None:
    c = clock(
        submitted_at=T0,
        limit_seconds=LIMIT,
        paused_seconds=0,
        paused_at=None,
        answered_at=None,
        at=T0 + timedelta(seconds=seconds),
    )
    assert (c.left_seconds, c.overdue, c.answered, c.paused) == (left, overdue, False, False)


def test_a_clock_read_before_submission_shows_nothing_elapsed() -> None:
    c = clock(
        submitted_at=T0,
        limit_seconds=LIMIT,
        paused_seconds=0,
        paused_at=None,
        answered_at=None,
        at=T0 - timedelta(hours=1),
    )
    assert (c.elapsed_seconds, c.left_seconds) == (0, LIMIT)
    assert paused_for(T0, T0 - timedelta(seconds=5)) == 0
    assert paused_for(T0, T0 + timedelta(seconds=5)) == 5


@given(
    st.integers(0, 200 * 3600),
    st.integers(0, 100 * 3600),
    st.integers(0, 100 * 3600),
)
def test_waiting_for_information_never_counts(active: int, paused: int, pausing: int) -> None:
    """Whatever the pauses, the time left is the limit less the active time."""
    now = T0 + timedelta(seconds=active + paused + pausing)
    c = clock(
        submitted_at=T0,
        limit_seconds=LIMIT,
        paused_seconds=paused,
        paused_at=now - timedelta(seconds=pausing) if pausing else None,
        answered_at=None,
        at=now,
    )
    assert c.elapsed_seconds == active
    assert c.left_seconds == LIMIT - active
    assert c.overdue == (active > LIMIT)
    assert c.due_at == T0 + timedelta(seconds=LIMIT + paused + pausing)
    assert c.due_at.tzinfo == BUSINESS_TZ


@given(
    st.integers(0, 100 * 3600),
    st.integers(0, 50 * 3600),
    st.integers(0, 30 * 24 * 3600),
    st.booleans(),
)
def test_an_answered_clock_no_longer_moves(
    active: int, paused: int, later: int, paused_when_answered: bool
) -> None:
    """Once answered, the figures are those of the answer, read at any later time (a pause
    still going on when the answer came is not counted a second time)."""
    answered = T0 + timedelta(seconds=active + paused)
    readings = [
        clock(
            submitted_at=T0,
            limit_seconds=LIMIT,
            paused_seconds=paused,
            paused_at=answered - timedelta(hours=1) if paused_when_answered else None,
            answered_at=answered,
            at=answered + timedelta(seconds=s),
        )
        for s in (0, later)
    ]
    assert readings[0] == readings[1]
    assert readings[0].elapsed_seconds == active and readings[0].answered
    assert not readings[0].paused and readings[0].overdue == (active > LIMIT)


# -- the service's clock, to the second ----------------------------------------------------


@pytest.mark.parametrize(("after", "late"), [(LIMIT - 1, False), (LIMIT, False), (LIMIT + 1, True)])
def test_an_answer_at_48_hours_is_on_time_and_one_second_later_is_late(
    api: TestClient, session: Session, w: World, clock: Clock, after: int, late: bool
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    clock.advance(seconds=after)
    before = read(api, number)["clock"]
    assert (before["left_seconds"], before["overdue"]) == (LIMIT - after, late)
    body = agree(api, number)
    assert body["clock"]["answered"] is True and body["clock"]["overdue"] is late
    assert body["clock"]["elapsed_seconds"] == after
    stored = row(session, number)
    assert (stored.answer_seconds, stored.answered_late) == (after, late)
    assert instant(stored.answered_at) == clock.at
    # read days later, the answered clock says the same
    clock.advance(days=5)
    assert read(api, number)["clock"] == body["clock"]


def test_a_pause_moves_the_due_time_by_its_length(
    api: TestClient, session: Session, w: World, clock: Clock
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    submitted = clock.at
    clock.advance(hours=10)
    asked = decide(api, number, action="ask_information", reason="bilan ?")
    assert asked["clock"]["paused"] is True and asked["clock"]["elapsed_seconds"] == 10 * 3600
    assert instant(row(session, number).paused_at) == clock.at
    clock.advance(hours=20)  # the clinic looks for the report for 20 hours
    waiting = read(api, number)["clock"]
    assert waiting["elapsed_seconds"] == 10 * 3600 and waiting["overdue"] is False
    assert datetime.fromisoformat(waiting["due_at"]) == submitted + timedelta(hours=68)
    assert inform(api, number).status_code == 200
    stored = row(session, number)
    assert stored.paused_seconds == 20 * 3600 and stored.paused_at is None
    assert instant(stored.due_at) == submitted + timedelta(hours=68)
    # due at 68 h: on time to the second, late one second after
    clock.advance(hours=38)
    assert read(api, number)["clock"]["left_seconds"] == 0
    clock.advance(seconds=1)
    over = read(api, number)["clock"]
    assert (over["left_seconds"], over["overdue"]) == (-1, True)
    body = agree(api, number)
    assert (row(session, number).answer_seconds, row(session, number).answered_late) == (
        LIMIT + 1,
        True,
    )
    assert body["clock"]["limit_hours"] == 48


def test_pauses_add_up_and_an_answer_during_a_pause_ends_it(
    api: TestClient, session: Session, w: World, clock: Clock
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    for active, waiting in ((5, 7), (6, 11)):
        clock.advance(hours=active)
        decide(api, number, action="ask_information", reason="encore ?")
        clock.advance(hours=waiting)
        assert inform(api, number).status_code == 200
    assert row(session, number).paused_seconds == 18 * 3600
    clock.advance(hours=30)
    decide(api, number, action="ask_information", reason="dernière question")
    clock.advance(hours=100)  # the controller answers without waiting for the reply
    body = agree(api, number)
    stored = row(session, number)
    assert stored.paused_seconds == 118 * 3600 and stored.paused_at is None
    assert stored.answer_seconds == 41 * 3600 and stored.answered_late is False
    assert body["clock"]["limit_hours"] == 48 and body["clock"]["left_seconds"] == 7 * 3600


def test_the_limit_is_the_setting_at_submission(
    api: TestClient, session: Session, w: World, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "preauth_answer_hours", 24)
    short = submit(api, stay(w.patient, w.clinic))
    assert short["clock"]["limit_hours"] == 24
    assert short["history"][0]["reason"] == "requested; answer due within 24 h"
    monkeypatch.setattr(get_settings(), "preauth_answer_hours", 72)
    clock.advance(hours=25)
    body = read(api, short["number"])["clock"]
    assert (body["limit_hours"], body["overdue"], body["left_seconds"]) == (24, True, -3600)
    assert submit(api, stay(w.patient, w.clinic))["clock"]["limit_hours"] == 72


def test_a_request_withdrawn_during_a_pause_keeps_its_limit_and_its_clock_stops(
    api: TestClient, session: Session, w: World, clock: Clock
) -> None:
    """The pause a cancellation ends moves the due time like any other (the limit stays
    48 h), and a withdrawn request is never shown overdue: it is neither open past due nor
    answered after the limit (ClockOut.overdue)."""
    number = submit(api, stay(w.patient, w.clinic))["number"]
    clock.advance(hours=1)
    decide(api, number, action="ask_information", reason="bilan ?")
    clock.advance(hours=10)
    r = cancel(api, number, "patient transféré")
    assert r.status_code == 200, r.text
    withdrawn = r.json()["clock"]
    assert withdrawn["limit_hours"] == 48 and withdrawn["elapsed_seconds"] == 3600
    assert withdrawn["paused"] is False and withdrawn["overdue"] is False
    assert withdrawn["answered"] is False  # a withdrawal is not an answer
    clock.advance(days=30)
    later = read(api, number)["clock"]
    assert later["limit_hours"] == 48 and later["overdue"] is False
    assert later["elapsed_seconds"] == 3600
    assert row(session, number).paused_seconds == 10 * 3600


def test_a_request_withdrawn_while_running_is_never_overdue(
    api: TestClient, w: World, clock: Clock
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    clock.advance(hours=2)
    assert cancel(api, number).status_code == 200
    clock.advance(hours=100)
    later = read(api, number)["clock"]
    assert (later["elapsed_seconds"], later["overdue"]) == (2 * 3600, False)


# -- the controller's queue ----------------------------------------------------------------


def test_the_queue_puts_the_least_time_left_first_and_the_paused_last(
    api: TestClient, w: World, clock: Clock
) -> None:
    oldest = submit(api, stay(w.patient, w.clinic))["number"]
    clock.advance(hours=1)
    paused = submit(api, stay(w.patient, w.clinic))["number"]
    clock.advance(hours=1)
    fresh = submit(api, stay(w.patient, w.clinic))["number"]
    answered = submit(api, stay(w.patient, w.clinic))["number"]
    withdrawn = submit(api, stay(w.patient, w.clinic))["number"]
    decide(api, paused, action="ask_information", reason="?")
    agree(api, answered)
    cancel(api, withdrawn)
    clock.advance(hours=47)  # the oldest is now 49 h old
    items = api.get(f"{API}/preauthorisations/queue").json()
    assert [i["number"] for i in items["items"]] == [oldest, fresh] and items["total"] == 2
    assert [i["clock"]["overdue"] for i in items["items"]] == [True, False]
    assert items["items"][0]["clock"]["left_seconds"] == -3600
    everything = api.get(f"{API}/preauthorisations/queue", params={"include_paused": True})
    assert [i["number"] for i in everything.json()["items"]] == [oldest, fresh, paused]
    assert everything.json()["items"][2]["clock"]["paused"] is True
    page = api.get(f"{API}/preauthorisations/queue", params={"limit": 1, "offset": 1}).json()
    assert [i["number"] for i in page["items"]] == [fresh] and page["total"] == 2


def test_a_resumed_request_takes_its_place_by_time_left(
    api: TestClient, w: World, clock: Clock
) -> None:
    first = submit(api, stay(w.patient, w.clinic))["number"]
    clock.advance(hours=1)
    second = submit(api, stay(w.patient, w.clinic))["number"]
    decide(api, first, action="ask_information", reason="?")
    clock.advance(hours=3)
    inform(api, first)  # waited 3 h: now due 2 h after the second
    items = api.get(f"{API}/preauthorisations/queue").json()["items"]
    assert [i["number"] for i in items] == [second, first]
    assert items[1]["clock"]["left_seconds"] - items[0]["clock"]["left_seconds"] == 2 * 3600


# -- the figures ---------------------------------------------------------------------------


def test_the_figures_count_answers_against_the_limit(
    api: TestClient, w: World, clock: Clock
) -> None:
    numbers = [submit(api, stay(w.patient, w.clinic))["number"] for _ in range(7)]
    on_1h, on_2h, on_10h, late, _still_open, waiting, withdrawn = numbers
    clock.advance(hours=1)
    agree(api, on_1h)
    decide(api, waiting, action="ask_information", reason="?")
    cancel(api, withdrawn)
    clock.advance(hours=1)
    agree(api, on_2h, lines=[{"line_no": 1, "quantity": 1}])
    clock.advance(hours=8)
    decide(api, on_10h, action="refuse", reason="non")
    clock.advance(hours=40)
    agree(api, late)  # 50 h
    figures = api.get(f"{API}/statistics/preauthorisations").json()
    assert figures == figures | {
        "limit_hours": 48,
        "submitted": 7,
        "answered": 4,
        "answered_on_time": 3,
        "answered_late": 1,
        "median_answer_minutes": 120,
        "p90_answer_minutes": 3000,
        "max_answer_minutes": 3000,
        "open_waiting_for_fund": 1,
        "open_overdue": 1,
        "waiting_for_information": 1,
        "by_status": {
            "agreed": 2,
            "partly_agreed": 1,
            "refused": 1,
            "submitted": 1,
            "info_requested": 1,
            "cancelled": 1,
        },
    }
    assert Decimal(figures["on_time_percent"]) == Decimal("75.0")
    for number in numbers:  # aggregates only
        assert number not in str(figures)
    assert w.patient.immatriculation not in str(figures)


def test_an_open_request_is_overdue_in_the_figures_one_second_after_its_due_time(
    api: TestClient, w: World, clock: Clock
) -> None:
    submit(api, stay(w.patient, w.clinic))
    clock.advance(seconds=LIMIT)
    assert api.get(f"{API}/statistics/preauthorisations").json()["open_overdue"] == 0
    clock.advance(seconds=1)
    assert api.get(f"{API}/statistics/preauthorisations").json()["open_overdue"] == 1


def test_the_figures_of_a_period_without_answers(api: TestClient, w: World) -> None:
    r = api.get(
        f"{API}/statistics/preauthorisations", params={"from": "2020-01-01", "to": "2020-01-31"}
    )
    body = r.json()
    assert (body["submitted_from"], body["submitted_to"]) == ("2020-01-01", "2020-01-31")
    assert (body["submitted"], body["answered"], body["on_time_percent"]) == (0, 0, None)
    assert body["median_answer_minutes"] is None and body["by_status"] == {}
    r = api.get(
        f"{API}/statistics/preauthorisations", params={"from": "2020-02-01", "to": "2020-01-31"}
    )
    assert fields(r) == {"from": "is after to (2020-01-31)"}
