"""The 48-hour clock (pure, from timestamps) and the engine's authorisation rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from daman.adjudication import frames as f
from daman.adjudication.engine import adjudicate
from daman.preauth.clock import clock
from tests.adjudication.engine_builders import TARIFFS, context, frame, line, lines_frame, tariff

LIMIT = 48 * 3600
T0 = datetime(2026, 11, 28, 9, 30, tzinfo=ZoneInfo("Africa/Casablanca"))


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


def _auth(**values: object) -> dict[str, object]:
    return {
        "auth_id": 1,
        "patient_id": 1,
        "provider_id": 100,
        "category": "paramedical",
        "item": None,
        "valid_from": date(2020, 1, 1),
        "valid_to": date(2020, 3, 31),
        "rate_bp": 8000,
        "max_base_centimes": 50_000,
        "max_quantity": 10,
        **values,
    }


def test_the_engine_counts_the_batch_lines_against_what_an_authorisation_leaves() -> None:
    sessions = [
        line(
            claim_id=n,
            category="paramedical",
            act_key="AMM",
            quantity=4,
            charged_centimes=20_000,
            care_date=date(2020, 2, n),
        )
        for n in (1, 2, 3)
    ]
    outside = line(claim_id=4, category="paramedical", act_key="AMM", care_date=date(2020, 4, 2))
    lines = lines_frame(*sessions, outside)
    ctx = replace(
        context(lines, tariffs=[*TARIFFS, tariff("AMM", 5000)]),
        requirements=frame(f.REQUIREMENTS, [{"category": "paramedical"}]),
        authorisations=frame(f.AUTHORISATIONS, [_auth()]),
    )
    decided = adjudicate(lines, ctx)
    statuses = decided.get_column("status").to_list()
    reasons = decided.get_column("reasons").to_list()
    # 4 + 4 sessions fit the 10 agreed; the third claim's 4 go beyond: review
    assert statuses == ["accepted", "accepted", "pending_review", "rejected"]
    assert "authorised" in reasons[0] and "above_authorisation" in reasons[2]
    assert reasons[3] == ["authorisation_required"]
    assert decided.get_column("rate_bp").to_list()[:3] == [8000, 8000, 8000]


def test_no_authorisation_table_changes_nothing() -> None:
    lines = lines_frame(line(), line(claim_id=2, category="hospitalisation", act_key="HOSP_MED"))
    plain = adjudicate(lines, context(lines))
    empty = replace(
        context(lines),
        requirements=pl.DataFrame(schema=f.REQUIREMENTS),
        authorisations=pl.DataFrame(schema=f.AUTHORISATIONS),
    )
    assert adjudicate(lines, empty).equals(plain)
