"""Business dates live in Africa/Casablanca; datetimes are always timezone-aware."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Africa/Casablanca")


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """A stored timestamp with its zone: SQLite hands them back without one, and they are
    stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def today() -> date:
    """Today's business date in Casablanca."""
    return datetime.now(BUSINESS_TZ).date()


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def age_on(birth: date, on: date) -> int:
    """Age in whole years on a date (a person born 29 Feb ages on 1 Mar in common years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def month_start(d: date) -> date:
    return d.replace(day=1)


def day_before(d: date) -> date:
    return d - timedelta(days=1)


def covers(valid_from: date, valid_to: date | None, on: date) -> bool:
    """Effective-dated ranges are closed: valid_from <= on <= valid_to (open when None)."""
    return valid_from <= on and (valid_to is None or on <= valid_to)


class Dated(Protocol):
    @property
    def valid_from(self) -> date: ...
    @property
    def valid_to(self) -> date | None: ...


R = TypeVar("R", bound=Dated)


def in_force_on(rows: Iterable[R], on: date) -> R | None:
    """The effective-dated row in force on a day: of the rows whose range covers it, the one
    that started last (on a tie, the first given). The one rule for every effective-dated
    row read in Python; SQL reads use daman.reference.repository.in_force."""
    best: R | None = None
    for row in rows:
        if covers(row.valid_from, row.valid_to, on) and (
            best is None or row.valid_from > best.valid_from
        ):
            best = row
    return best
