"""What a member owes, computed from the rule rows: pure functions, integers only.

The rows (daman.reference.contribution_rules) are read by the caller and passed in; these
functions never touch the database, so one month of four million lines and a single
worked example go through the same arithmetic (the Polars code of the collection
mirrors `shares` column by column, and a test holds the two equal).

Shares are computed line by line and rounded once each (the rule's rounding); a call's
figures are the sums of its lines.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

from daman.core.dates import add_months
from daman.core.money import BP

# The roundings of daman.reference.contribution_rules.Rounding, by value (this module
# reads no table module: it stays pure).
HALF_UP = "half_up"
TRUNCATE = "truncate"


class RateRow(Protocol):
    @property
    def member_bp(self) -> int: ...
    @property
    def employer_bp(self) -> int: ...
    @property
    def solidarity_bp(self) -> int: ...
    @property
    def share_min_centimes(self) -> int | None: ...
    @property
    def share_max_centimes(self) -> int | None: ...
    @property
    def flat_centimes(self) -> int | None: ...


class BandRow(Protocol):
    @property
    def rsu_above(self) -> str: ...
    @property
    def rsu_up_to(self) -> str | None: ...
    @property
    def amount_centimes(self) -> int: ...


class CollectionRow(Protocol):
    @property
    def due_day(self) -> int: ...
    @property
    def due_month_offset(self) -> int: ...
    @property
    def first_month_penalty_bp(self) -> int: ...
    @property
    def further_month_penalty_bp(self) -> int: ...
    @property
    def rounding(self) -> str: ...


@dataclass(frozen=True)
class Shares:
    """One line's shares: the member's, the employer's (solidarity included) and, of
    the employer's, the solidarity part."""

    member: int
    employer: int
    solidarity: int

    @property
    def total(self) -> int:
        return self.member + self.employer


def times_rate(centimes: int, rate_bp: int, rounding: str) -> int:
    """centimes x rate, to whole centimes by the rounding (integers only)."""
    if centimes < 0 or rate_bp < 0:
        raise ValueError("amount and rate must not be negative")
    if rounding == TRUNCATE:
        return centimes * rate_bp // BP
    return (centimes * rate_bp * 2 + BP) // (2 * BP)


def times_milli(centimes: int, milli: int, rounding: str) -> int:
    """centimes x a multiple given in thousandths (1.6 x = 1600), rounded."""
    if centimes < 0 or milli < 0:
        raise ValueError("amount and multiple must not be negative")
    if rounding == TRUNCATE:
        return centimes * milli // 1000
    return (centimes * milli * 2 + 1000) // 2000


def _bounded(share: int, row: RateRow) -> int:
    if row.share_min_centimes is not None:
        share = max(share, row.share_min_centimes)
    if row.share_max_centimes is not None:
        share = min(share, row.share_max_centimes)
    return share


def shares(base: int, row: RateRow, rounding: str, persons: int = 1) -> Shares:
    """The shares of one line of base `base` (centimes) under the rate row.

    A flat row (TADAMON) asks its amount per person from the payer; a rate row applies
    each rate to the base, then holds the member's and the employer's share within the
    row's minimum and maximum when it has them (CNOPS), a zero base asking nothing."""
    if row.flat_centimes is not None:
        return Shares(0, row.flat_centimes * persons, 0)
    if base <= 0:
        return Shares(0, 0, 0)
    member = times_rate(base, row.member_bp, rounding)
    employer = times_rate(base, row.employer_bp, rounding)
    solidarity = times_rate(base, row.solidarity_bp, rounding)
    if row.member_bp:
        member = _bounded(member, row)
    if row.employer_bp:
        employer = _bounded(employer, row)
    return Shares(member, employer + solidarity, solidarity)


def tns_income(reference_centimes: int, multiple_milli: int, rounding: str) -> int:
    """A TNS category's flat income: the reference x the category's multiple."""
    return times_milli(reference_centimes, multiple_milli, rounding)


def score(text: str | None) -> Decimal | None:
    """An RSU score as an exact decimal (None when missing or not a number)."""
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def chamil_band(rsu: Decimal, bands: Iterable[BandRow]) -> BandRow | None:
    """The band whose range (above, up to] holds the score; None below every band (the
    Tadamon side of the threshold)."""
    for band in bands:
        low, high = Decimal(band.rsu_above), score(band.rsu_up_to)
        if rsu > low and (high is None or rsu <= high):
            return band
    return None


def due_date(month: date, rule: CollectionRow) -> date:
    """The day a call of `month` is due: day `due_day` of month + offset, clamped."""
    target = add_months(month.replace(day=1), rule.due_month_offset)
    last = calendar.monthrange(target.year, target.month)[1]
    return target.replace(day=min(rule.due_day, last))


def months_late(due: date, on: date) -> int:
    """Started months of delay on `on` for a call due on `due` (0 when not late): the day
    after the due date starts the first month, the same day a month later the second."""
    if on <= due:
        return 0
    months = 1
    while add_months(due, months) < on:
        months += 1
    return months


def penalty(due: date, on: date, unpaid_at: Callable[[date], int], rule: CollectionRow) -> int:
    """The late-payment penalty a call has earned by `on`: for each started month of
    delay, its rate (the first month's, then the further months') on what was unpaid of
    the principal at the end of the day before that month started."""
    total = 0
    for k in range(months_late(due, on)):
        rate = rule.first_month_penalty_bp if k == 0 else rule.further_month_penalty_bp
        if rate:
            total += times_rate(max(unpaid_at(add_months(due, k)), 0), rate, rule.rounding)
    return total


@dataclass(frozen=True)
class Owed:
    """Something still owed on a call, in the order payments settle it."""

    call_id: int
    part: str  # principal or penalty
    due: date
    amount: int
    since: date  # owed from (the call's issue): a credit applied to it is dated no earlier


def allocate(credit: int, owed: Sequence[Owed]) -> list[tuple[Owed, int]]:
    """How a credit settles what is owed: the oldest due first, the principal of a call
    before its penalty (the order of `owed`, sorted here); what is left stays credit."""
    order = sorted(owed, key=lambda o: (o.due, o.call_id, o.part != "principal"))
    out: list[tuple[Owed, int]] = []
    for item in order:
        if credit <= 0:
            break
        if item.amount <= 0:
            continue
        applied = min(credit, item.amount)
        out.append((item, applied))
        credit -= applied
    return out
