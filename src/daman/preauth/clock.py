"""The legal answer clock of a pre-authorisation request, from timestamps only.

Pure functions: the same inputs give the same figures, whatever the server's zone (every
timestamp is timezone-aware; shown in Africa/Casablanca by the API). The clock runs from
submission, stops while the fund waits for information from the requester, and stops for
good at the answer:

    active  = (answered_at or now) - submitted_at - paused_seconds - (now - paused_at)
    due_at  = submitted_at + limit + paused_seconds (+ the pause going on, while paused)
    left    = limit - active            (negative: overdue)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from daman.core.dates import BUSINESS_TZ


@dataclass(frozen=True)
class Clock:
    limit_seconds: int
    elapsed_seconds: int  # active time: waiting for information does not count
    left_seconds: int  # negative once overdue
    due_at: datetime
    paused: bool
    answered: bool
    overdue: bool  # open past due, or answered after the limit


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def clock(
    *,
    submitted_at: datetime,
    limit_seconds: int,
    paused_seconds: int,
    paused_at: datetime | None,
    answered_at: datetime | None,
    at: datetime,
) -> Clock:
    end = answered_at or at
    pausing = (
        0 if paused_at is None or answered_at is not None else max(0, _seconds(at - paused_at))
    )
    elapsed = max(0, _seconds(end - submitted_at) - paused_seconds - pausing)
    left = limit_seconds - elapsed
    due = submitted_at + timedelta(seconds=limit_seconds + paused_seconds + pausing)
    return Clock(
        limit_seconds=limit_seconds,
        elapsed_seconds=elapsed,
        left_seconds=left,
        due_at=due.astimezone(BUSINESS_TZ),
        paused=paused_at is not None and answered_at is None,
        answered=answered_at is not None,
        overdue=left < 0,
    )


def paused_for(paused_at: datetime, at: datetime) -> int:
    """Seconds of a pause that ends now (never negative)."""
    return max(0, _seconds(at - paused_at))
