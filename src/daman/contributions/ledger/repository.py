"""Every read of the ledger: balances, what is owed on calls, credit not yet applied, and
the months of persons the rights read.

A call's principal owed is the sum of its principal entries (the call, adjustments,
waivers) less what was allocated to it; its penalty the same for the penalty part. A
credit entry (a receipt, a direct debit, a transfer in) has available its amount less
what was allocated from it and what reversed it (a returned direct debit).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, cast, func, or_, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from daman.contributions.ledger.models import (
    Allocation,
    Call,
    CallLine,
    CallStatus,
    Entry,
    Part,
    PayerAccount,
    PayerKind,
)
from daman.contributions.ledger.rules import Owed
from daman.core.bulk import array_literal

CHUNK = 5_000
# Above this many ids, a read of the whole (small) column beats chunks of look-ups.
WHOLE = 50_000


def among(session: Session, column: Any, ids: Sequence[int]) -> Any:
    """`column IN ids`; on PostgreSQL `IN (SELECT unnest(<one array parameter>))`: the
    planner joins the ids (hash or index look-ups) where `= ANY(parameter)` would compare
    each row with every id once the driver prepares the statement (a generic plan does not
    hash the array), seconds for tables just written."""
    if session.get_bind().dialect.name == "postgresql":
        literal = "{" + ",".join(map(str, map(int, ids))) + "}"
        array = cast(bindparam(None, literal, type_=String), ARRAY(column.type))
        return column.in_(select(func.unnest(array)))
    return column.in_(list(ids))


def among_texts(session: Session, column: Any, values: Sequence[str]) -> Any:
    """`column IN values` for texts, as `among` does for ids (one array parameter, joined,
    on PostgreSQL: thousands of placeholders cost more to send than the query to run)."""
    if session.get_bind().dialect.name == "postgresql":
        array = cast(
            bindparam(None, array_literal(list(values), "text"), type_=String), ARRAY(String)
        )
        return column.in_(select(func.unnest(array)))
    return column.in_(list(values))


def analyze(session: Session, *tables: str) -> None:
    """Fresh planner statistics for tables a batch has just filled, before it reads them
    (in its own transaction, which counts its own rows): on statistics older than the
    batch, PostgreSQL takes the rows written for none and plans look-ups by the thousand
    as scans of them. Nothing elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        connection = session.connection().connection.driver_connection
        assert connection is not None
        with connection.cursor() as cursor:
            # names from the caller's code, never from input
            cursor.execute(f"ANALYZE {', '.join(tables)}")


def chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


def balance(session: Session, account_id: int, on: date | None = None) -> int:
    """What the payer owes on `on` (all entries when None): positive owes, negative is
    credit."""
    stmt = select(func.coalesce(func.sum(Entry.amount_centimes), 0)).where(
        Entry.account_id == account_id
    )
    if on is not None:
        stmt = stmt.where(Entry.value_date <= on)
    return int(session.scalar(stmt) or 0)


def owed_on_calls(session: Session, call_ids: Iterable[int]) -> dict[tuple[int, Part], int]:
    """What is still owed on each call, by part (entries less allocations)."""
    out: dict[tuple[int, Part], int] = defaultdict(int)
    for part_ids in chunks(call_ids):
        for call_id, part, amount in session.execute(
            select(Entry.call_id, Entry.part, func.sum(Entry.amount_centimes))
            .where(among(session, Entry.call_id, part_ids))
            .group_by(Entry.call_id, Entry.part)
        ):
            assert call_id is not None and part is not None  # an entry on a call has a part
            out[(call_id, Part(part))] += int(amount)
        for call_id, part, amount in session.execute(
            select(Allocation.call_id, Allocation.part, func.sum(Allocation.amount_centimes))
            .where(among(session, Allocation.call_id, part_ids))
            .group_by(Allocation.call_id, Allocation.part)
        ):
            out[(call_id, Part(part))] -= int(amount)
    return dict(out)


def open_calls(session: Session, account_ids: Iterable[int]) -> dict[int, list[Call]]:
    """The calls of the accounts whose principal is not paid, or that carry a penalty
    (a penalty may be owed on a paid call), by account."""
    return _open(session, account_ids, Call)


def _open(session: Session, account_ids: Iterable[int], *columns: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    penalised = (
        select(Entry.id).where(Entry.call_id == Call.id, Entry.part == Part.PENALTY).exists()
    )
    for part_ids in chunks(account_ids):
        stmt = select(*columns) if len(columns) > 1 else select(columns[0])
        rows = (session.execute if len(columns) > 1 else session.scalars)(
            stmt.where(
                among(session, Call.account_id, part_ids),
                or_(Call.status.in_((CallStatus.OPEN, CallStatus.PARTIAL)), penalised),
            ).order_by(Call.due_date, Call.id)
        )
        for call in rows:
            out[call.account_id].append(call)
    return dict(out)


def owed_items(session: Session, account_ids: Iterable[int]) -> dict[int, list[Owed]]:
    """What each account owes, item by item, in no particular order (allocate sorts)."""
    calls = _open(session, account_ids, Call.id, Call.account_id, Call.due_date, Call.issued_on)
    by_id = {c.id: c for cs in calls.values() for c in cs}
    owed = owed_on_calls(session, by_id)
    out: dict[int, list[Owed]] = defaultdict(list)
    for (call_id, part), amount in owed.items():
        if amount > 0:
            call = by_id[call_id]
            out[call.account_id].append(
                Owed(call_id, part.value, call.due_date, amount, call.issued_on)
            )
    return dict(out)


@dataclass(frozen=True)
class Credit:
    entry_id: int
    account_id: int
    value_date: date
    available: int


def credits(session: Session, account_ids: Iterable[int]) -> dict[int, list[Credit]]:
    """Credit entries with something left to apply, by account, oldest first."""
    out: dict[int, list[Credit]] = defaultdict(list)
    for part_ids in chunks(account_ids):
        entries = session.execute(
            select(Entry.id, Entry.account_id, Entry.value_date, Entry.amount_centimes)
            .where(
                among(session, Entry.account_id, part_ids),
                Entry.call_id.is_(None),
                Entry.amount_centimes < 0,
            )
            .order_by(Entry.value_date, Entry.id)
        ).all()
        if not entries:
            continue
        ids = [e[0] for e in entries]
        used: dict[int, int] = defaultdict(int)
        for sub in chunks(ids):
            for credit_id, amount in session.execute(
                select(Allocation.credit_id, func.sum(Allocation.amount_centimes))
                .where(among(session, Allocation.credit_id, sub))
                .group_by(Allocation.credit_id)
            ):
                used[credit_id] += int(amount)
            for reversed_id, amount in session.execute(
                select(Entry.reverses_id, func.sum(Entry.amount_centimes))
                .where(among(session, Entry.reverses_id, sub))
                .group_by(Entry.reverses_id)
            ):
                if reversed_id is not None:
                    used[reversed_id] += int(amount)
        for entry_id, account_id, value_date, amount in entries:
            left = -int(amount) - used[entry_id]
            if left > 0:
                out[account_id].append(Credit(entry_id, account_id, value_date, left))
    return dict(out)


def with_credit(session: Session, account_ids: Iterable[int]) -> list[int]:
    """Those of the accounts with credit left to apply (PayerAccount.credit_centimes)."""
    wanted = set(account_ids)
    if len(wanted) > WHOLE:  # a month's run: the few accounts with credit, in one read
        having = session.scalars(select(PayerAccount.id).where(PayerAccount.credit_centimes > 0))
        return sorted(wanted.intersection(having))
    out: list[int] = []
    for part_ids in chunks(wanted):
        out.extend(
            session.scalars(
                select(PayerAccount.id).where(
                    among(session, PayerAccount.id, part_ids), PayerAccount.credit_centimes > 0
                )
            )
        )
    return out


def allocations_of(session: Session, call_ids: Iterable[int]) -> dict[int, list[Any]]:
    """The allocations to each call, oldest value date first (rows with the columns id,
    credit_id, call_id, part, amount_centimes, value_date)."""
    out: dict[int, list[Any]] = defaultdict(list)
    columns = (
        Allocation.id,
        Allocation.credit_id,
        Allocation.call_id,
        Allocation.part,
        Allocation.amount_centimes,
        Allocation.value_date,
    )
    for part_ids in chunks(call_ids):
        for row in session.execute(
            select(*columns)
            .where(among(session, Allocation.call_id, part_ids))
            .order_by(Allocation.value_date, Allocation.id)
        ):
            out[row.call_id].append(row)
    return dict(out)


def account_by_number(session: Session, number: str) -> PayerAccount | None:
    return session.scalar(select(PayerAccount).where(PayerAccount.number == number))


def call_by_number(session: Session, number: str) -> Call | None:
    return session.scalar(select(Call).where(Call.number == number))


# ---------------------------------------------------------------------------------------
# The months of persons, for the rights (daman.registry.facts)

# Each month a call is about, per person: the days declared (summed over the person's
# lines of the month, calls of several employers included), whether the call is paid and
# on which day. A member paying for themself (TNS, AMO Chamil) has calls and no lines: the
# account names the person (payer_accounts.person_id) and the call says all a line would.
# Used as a sub-select of the registry's one statement per chunk of persons on
# PostgreSQL, where `{persons}` is the array of person ids.
MONTHS_SQL = """
    SELECT l.person_id, l.month, sum(l.days)::integer AS days,
           c.status = 'paid' AS paid, c.paid_on
    FROM call_lines l JOIN contribution_calls c ON c.id = l.call_id
    WHERE l.person_id = ANY({persons})
    GROUP BY l.person_id, l.month, c.status, c.paid_on
    UNION ALL
    SELECT a.person_id, c.month, NULL::integer, c.status = 'paid', c.paid_on
    FROM payer_accounts a JOIN contribution_calls c ON c.account_id = a.id
    WHERE a.person_id = ANY({persons}) AND a.kind = 'member'
    GROUP BY a.person_id, c.month, c.status, c.paid_on
"""


def months(
    session: Session, person_ids: Sequence[int]
) -> Iterator[tuple[int, date, int, bool, date | None]]:
    """(person id, month, days, paid, paid_on) of the persons' lines and own calls, as
    MONTHS_SQL."""
    for part_ids in chunks(person_ids):
        lines = (
            select(
                CallLine.person_id.label("person_id"),
                CallLine.month.label("month"),
                func.sum(CallLine.days).label("days"),
                Call.status.label("status"),
                Call.paid_on.label("paid_on"),
            )
            .join(Call, Call.id == CallLine.call_id)
            .where(among(session, CallLine.person_id, part_ids))
            .group_by(CallLine.person_id, CallLine.month, Call.status, Call.paid_on)
        )
        own = (
            select(
                PayerAccount.person_id, Call.month, cast(None, Integer), Call.status, Call.paid_on
            )
            .join(Call, Call.account_id == PayerAccount.id)
            .where(
                PayerAccount.kind == PayerKind.MEMBER,
                among(session, PayerAccount.person_id, part_ids),
            )
            .group_by(PayerAccount.person_id, Call.month, Call.status, Call.paid_on)
        )
        both = union_all(lines, own).subquery()
        stmt = select(both).order_by(both.c.person_id, both.c.month)
        for pid, month, days, status, paid_on in session.execute(stmt):
            yield pid, month, int(days or 0), status == CallStatus.PAID, paid_on


def in_ledger(person_column: Any, month_column: Any) -> Any:
    """SQL: the ledger has a line or an own call about the person and month. The
    registry's own rows of declared days and paid flags (imported before the ledger) count
    only for months the ledger does not know of the person: for those, the ledger is the
    source (on PostgreSQL the registry's statement tests the same against MONTHS_SQL)."""
    line = select(CallLine.id).where(
        and_(CallLine.person_id == person_column, CallLine.month == month_column)
    )
    own = (
        select(Call.id)
        .join(PayerAccount, PayerAccount.id == Call.account_id)
        .where(
            PayerAccount.kind == PayerKind.MEMBER,
            PayerAccount.person_id == person_column,
            Call.month == month_column,
        )
    )
    return or_(line.exists(), own.exists())
