"""Writing to the ledger: entries, the application of credits to calls, the calls' status.

Everything here only adds rows (entries, allocations, call events) and keeps each call's
status and paid_on in step with them; nothing is edited or deleted. Every function works
on many accounts or calls at once, so that a file of 100,000 receipts is applied in a few
statements; the caller's transaction commits (or rolls back) the whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.contributions.ledger import repository as repo
from daman.contributions.ledger.models import (
    Allocation,
    Call,
    CallEvent,
    CallStatus,
    Entry,
    EntryKind,
    Part,
    PayerAccount,
)
from daman.contributions.ledger.rules import Owed, allocate
from daman.core.bulk import bulk_update, copy_insert
from daman.core.dates import now, today

ENTRY_COLUMNS = (
    "account_id",
    "kind",
    "amount_centimes",
    "value_date",
    "call_id",
    "part",
    "receipt_id",
    "reverses_id",
    "reason",
)
ALLOCATION_COLUMNS = ("credit_id", "call_id", "part", "amount_centimes", "value_date")


def _rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], actor: str) -> pl.DataFrame:
    """Rows as a frame for copy_insert: every column, enums as their values, who and when."""
    at = now()

    def plain(value: Any) -> Any:
        return value.value if isinstance(value, StrEnum) else value

    data = {c: [plain(r.get(c)) for r in rows] for c in columns}
    schema = {
        c: pl.String
        if c in ("kind", "part", "reason")
        else (pl.Date if c == "value_date" else pl.Int64)
        for c in columns
    }
    return pl.DataFrame(data, schema=schema).with_columns(
        pl.lit(at).alias("created_at"), pl.lit(actor).alias("created_by")
    )


def post(session: Session, rows: Sequence[dict[str, Any]], actor: str) -> None:
    """Add entries (dicts of Entry's columns; created_by/at filled in)."""
    if rows:
        rows = [{"reason": "", **row} for row in rows]
        copy_insert(session, Entry.__table__, _rows(rows, ENTRY_COLUMNS, actor), actor)  # type: ignore[arg-type]


def apply_credits(
    session: Session, account_ids: Iterable[int], actor: str, reason: str = ""
) -> set[int]:
    """Apply each account's available credit to what it owes, oldest first; the calls
    whose status may have changed (their statuses are brought up to date here)."""
    accounts = sorted(set(account_ids))
    available = repo.credits(session, accounts)
    left = {a: sum(c.available for c in available.get(a, [])) for a in accounts}
    owed = repo.owed_items(session, available) if available else {}
    rows: list[dict[str, Any]] = []
    for account, account_credits in available.items():
        items: list[Owed] = owed.get(account, [])
        for credit in account_credits:
            applied = allocate(credit.available, items)
            if not applied:
                break
            left[account] -= sum(amount for _, amount in applied)
            taken: dict[tuple[int, str], int] = defaultdict(int)
            for item, amount in applied:
                taken[(item.call_id, item.part)] += amount
                rows.append(
                    {
                        "credit_id": credit.entry_id,
                        "call_id": item.call_id,
                        "part": item.part,
                        "amount_centimes": amount,
                        "value_date": max(credit.value_date, item.since),
                    }
                )
            items = [
                replace(i, amount=i.amount - taken[(i.call_id, i.part)])
                for i in items
                if i.amount - taken[(i.call_id, i.part)] > 0
            ]
    _allocate(session, rows, actor)
    _keep_credit(session, left, actor)
    touched = {int(row["call_id"]) for row in rows}
    refresh_status(session, touched, actor, reason)
    return touched


def _keep_credit(session: Session, left: dict[int, int], actor: str) -> None:
    """Record on each account the credit it has left (where it changed)."""
    changed: dict[str, list[Any]] = {"id": [], "credit_centimes": []}
    for part_ids in repo.chunks(left):
        for account_id, credit in session.execute(
            select(PayerAccount.id, PayerAccount.credit_centimes).where(
                repo.among(session, PayerAccount.id, part_ids)
            )
        ):
            if credit != left[account_id]:
                changed["id"].append(account_id)
                changed["credit_centimes"].append(left[account_id])
    if changed["id"]:
        bulk_update(
            session,
            PayerAccount.__table__,  # type: ignore[arg-type]
            "id",
            changed,
            {"updated_by": actor, "updated_at": now()},
        )


def apply_where_credit(
    session: Session, account_ids: Iterable[int], actor: str, reason: str = ""
) -> set[int]:
    """apply_credits for those of the accounts that have credit left (new calls were just
    issued to them): the others have nothing to apply."""
    return apply_credits(session, repo.with_credit(session, account_ids), actor, reason)


def _allocate(session: Session, rows: list[dict[str, Any]], actor: str) -> None:
    if rows:
        frame = _rows(rows, ALLOCATION_COLUMNS, actor)
        copy_insert(session, Allocation.__table__, frame, actor)  # type: ignore[arg-type]


def release_excess(
    session: Session, call_ids: Iterable[int], actor: str, on: date | None = None
) -> set[int]:
    """Give back what was applied to a call beyond what it now asks (it was reduced after
    payment): the latest allocations first. The accounts whose credit grew."""
    on = on or today()
    owed = repo.owed_on_calls(session, call_ids)
    over = {key: -amount for key, amount in owed.items() if amount < 0}
    if not over:
        return set()
    history = repo.allocations_of(session, {call_id for call_id, _ in over})
    rows: list[dict[str, Any]] = []
    for (call_id, part), excess in over.items():
        net: dict[int, int] = defaultdict(int)
        for a in history.get(call_id, []):
            if a.part == part:
                net[a.credit_id] += a.amount_centimes
        for a in reversed(history.get(call_id, [])):
            if excess <= 0:
                break
            if a.part != part or net[a.credit_id] <= 0:
                continue
            back = min(excess, net[a.credit_id])
            net[a.credit_id] -= back
            excess -= back
            rows.append(
                {
                    "credit_id": a.credit_id,
                    "call_id": call_id,
                    "part": part.value,
                    "amount_centimes": -back,
                    "value_date": on,
                }
            )
    _allocate(session, rows, actor)
    released: set[int] = {int(r["call_id"]) for r in rows}
    accounts = set(session.scalars(select(Call.account_id).where(Call.id.in_(released))))
    refresh_status(session, released, actor, "reduced after payment")
    return accounts


def reverse_credit(
    session: Session,
    entry: Entry,
    kind: EntryKind,
    value_date: date,
    reason: str,
    actor: str,
) -> set[int]:
    """Undo a credit (a direct debit returned by the payer's bank): what it paid is given
    back by negative allocations and an entry of the opposite amount is posted. The calls
    it had paid are owed again (their status follows)."""
    history: dict[tuple[int, str], int] = defaultdict(int)
    for call_id, part, amount in session.execute(
        select(Allocation.call_id, Allocation.part, Allocation.amount_centimes).where(
            Allocation.credit_id == entry.id
        )
    ):
        history[(call_id, part)] += int(amount)
    rows = [
        {
            "credit_id": entry.id,
            "call_id": call_id,
            "part": Part(part).value,
            "amount_centimes": -amount,
            "value_date": value_date,
        }
        for (call_id, part), amount in sorted(history.items())
        if amount > 0
    ]
    _allocate(session, rows, actor)
    post(
        session,
        [
            {
                "account_id": entry.account_id,
                "kind": kind,
                "amount_centimes": -entry.amount_centimes,
                "value_date": value_date,
                "reverses_id": entry.id,
                "receipt_id": entry.receipt_id,
                "reason": reason,
            }
        ],
        actor,
    )
    touched = {int(call_id) for call_id, _ in history}
    refresh_status(session, touched, actor, reason)
    return touched


def _status(due: int, paid: int) -> CallStatus:
    if due <= 0:
        return CallStatus.PAID if paid > 0 else CallStatus.CANCELLED
    if paid >= due:
        return CallStatus.PAID
    return CallStatus.PARTIAL if paid > 0 else CallStatus.OPEN


def refresh_status(
    session: Session, call_ids: Iterable[int], actor: str, reason: str = ""
) -> list[tuple[int, CallStatus, CallStatus]]:
    """Bring each call's status and paid_on in line with its entries and allocations;
    a call event for each change. The changes (call id, from, to)."""
    ids = sorted(set(call_ids))
    if not ids:
        return []
    due: dict[int, int] = defaultdict(int)
    for part_ids in repo.chunks(ids):
        for call_id, amount in session.execute(
            select(Entry.call_id, Entry.amount_centimes).where(
                repo.among(session, Entry.call_id, part_ids), Entry.part == Part.PRINCIPAL
            )
        ):
            if call_id is not None:
                due[call_id] += int(amount)
    history = repo.allocations_of(session, ids)
    current = {
        row[0]: (row[1], row[2])
        for part_ids in repo.chunks(ids)
        for row in session.execute(
            select(Call.id, Call.status, Call.paid_on).where(repo.among(session, Call.id, part_ids))
        )
    }
    changed: list[tuple[int, CallStatus, CallStatus]] = []
    updates: dict[str, list[Any]] = {"id": [], "status": [], "paid_on": []}
    events: list[dict[str, Any]] = []
    today_ = today()
    for call_id in ids:
        principal = [a for a in history.get(call_id, []) if a.part == Part.PRINCIPAL]
        paid = sum(a.amount_centimes for a in principal)
        status = _status(due[call_id], paid)
        paid_on = _paid_on(principal, due[call_id]) if status is CallStatus.PAID else None
        before, before_paid_on = current[call_id]
        if (status, paid_on) == (before, before_paid_on):
            continue
        updates["id"].append(call_id)
        updates["status"].append(status.value)
        updates["paid_on"].append(paid_on)
        if status != before:
            changed.append((call_id, before, status))
            events.append(
                {
                    "call_id": call_id,
                    "from_status": before.value,
                    "to_status": status.value,
                    "at": now(),
                    "by": actor,
                    "reason": reason,
                    "effective_on": paid_on or today_,
                }
            )
    if updates["id"]:
        bulk_update(
            session,
            Call.__table__,  # type: ignore[arg-type]
            "id",
            updates,
            {"updated_by": actor, "updated_at": now()},
        )
    if events:
        copy_insert(session, CallEvent.__table__, pl.DataFrame(events), actor)  # type: ignore[arg-type]
    return changed


def _paid_on(allocations: Sequence[Allocation], due: int) -> date | None:
    """The value date from which the allocations, in date order, cover `due` for good (a
    payment given back and paid again counts from the second payment)."""
    since: date | None = None
    running = 0
    for a in sorted(allocations, key=lambda a: (a.value_date, a.id)):
        running += a.amount_centimes
        if running < max(due, 1):
            since = None
        elif since is None:
            since = a.value_date
    return since
