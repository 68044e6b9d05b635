"""Every query of the adjudication domain: context rows, bulk saves, the review queue."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, selectinload

from daman.adjudication.models import AdjudicationPolicy, ReviewItem
from daman.claims.models import Claim, ClaimLine
from daman.core.dates import covers


@dataclass(frozen=True)
class PolicyRow:
    id: int
    valid_from: date
    valid_to: date | None
    filing_deadline_days: int
    late_policy: str
    late_penalty_bp: int
    review_threshold_centimes: int
    max_line_quantity: int
    document_categories: str


def policies(session: Session) -> list[PolicyRow]:
    """Every policy row (a handful), most recent first."""
    rows = session.execute(
        select(
            AdjudicationPolicy.id,
            AdjudicationPolicy.valid_from,
            AdjudicationPolicy.valid_to,
            AdjudicationPolicy.filing_deadline_days,
            AdjudicationPolicy.late_policy,
            AdjudicationPolicy.late_penalty_bp,
            AdjudicationPolicy.review_threshold_centimes,
            AdjudicationPolicy.max_line_quantity,
            AdjudicationPolicy.document_categories,
        ).order_by(AdjudicationPolicy.valid_from.desc(), AdjudicationPolicy.id.desc())
    )
    return [PolicyRow(*r) for r in rows]


def policy_on(rows: Sequence[PolicyRow], day: date) -> PolicyRow | None:
    """The policy in force on a day: the latest row whose range covers it."""
    return next((p for p in rows if covers(p.valid_from, p.valid_to, day)), None)


def open_items(session: Session, *, limit: int, offset: int) -> tuple[list[ReviewItem], int]:
    """Undecided review items, oldest first, with their claim, line and documents."""
    where = ReviewItem.decided_at.is_(None)
    total = session.scalar(select(func.count()).select_from(ReviewItem).where(where)) or 0
    items = session.scalars(
        select(ReviewItem)
        .where(where)
        .order_by(ReviewItem.id)
        .limit(limit)
        .offset(offset)
        .options(
            selectinload(ReviewItem.line).selectinload(ClaimLine.provider),
            selectinload(ReviewItem.line).selectinload(ClaimLine.prescriber),
            selectinload(ReviewItem.claim).selectinload(Claim.lines),
            selectinload(ReviewItem.claim).selectinload(Claim.documents),
            selectinload(ReviewItem.claim).selectinload(Claim.patient),
        )
    ).all()
    return list(items), total


def item_for_update(session: Session, item_id: int) -> ReviewItem | None:
    """A review item, locked against a concurrent decision on PostgreSQL."""
    return session.scalars(
        select(ReviewItem).where(ReviewItem.id == item_id).with_for_update()
    ).one_or_none()


# ---------------------------------------------------------------------------------------
# Bulk writes: whole columns in one statement on PostgreSQL (unnest of arrays sent in
# binary, on the session's own connection and transaction), a C-level executemany on
# SQLite. Values are given by column, every list of the same length.

Columns = dict[str, list[Any]]


def _pg_type(column: Column[Any]) -> str:
    kind = column.type
    if isinstance(kind, Integer):
        return "bigint"
    if isinstance(kind, DateTime):
        return "timestamptz"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, String | Text | JSON):
        return "text"
    raise TypeError(f"no bulk type for {column}")


def _pg_value(column: Column[Any], values: list[Any]) -> list[Any]:
    if isinstance(column.type, JSON):
        return [None if v is None else json.dumps(v) for v in values]
    if isinstance(column.type, String | Text):
        return [None if v is None else str(v) for v in values]
    return values


def _unnest(table: Table, columns: Columns) -> tuple[str, dict[str, Any]]:
    """`unnest(%(c0)b::t0[], ...) AS v(name, ...)` and its parameters."""
    arrays = ", ".join(f"%(c{i})b::{_pg_type(table.c[name])}[]" for i, name in enumerate(columns))
    params = {f"c{i}": _pg_value(table.c[n], v) for i, (n, v) in enumerate(columns.items())}
    return f"unnest({arrays}) AS v({', '.join(columns)})", params


def _selected(table: Table, name: str) -> str:
    return f"v.{name}::json" if isinstance(table.c[name].type, JSON) else f"v.{name}"


def _constant(name: str, value: Any) -> tuple[str, Any]:
    """A placeholder and value for a constant (enums sent as their text)."""
    return f"%(k_{name})s", (str(value) if isinstance(value, str) else value)


def _pg_execute(session: Session, sql: str, params: dict[str, Any]) -> int:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def bulk_insert(
    session: Session, table: Table, columns: Columns, constants: dict[str, Any] | None = None
) -> None:
    """Insert rows given by column; `constants` are the same for every row."""
    constants = constants or {}
    if not next(iter(columns.values()), []):
        return
    if not _postgres(session):
        names = list(columns)
        rows = [
            dict(zip(names, values, strict=True)) | constants
            for values in zip(*columns.values(), strict=True)
        ]
        session.execute(insert(table), rows)
        return
    source, params = _unnest(table, columns)
    chosen = [_selected(table, n) for n in columns]
    for name, value in constants.items():
        placeholder, params[f"k_{name}"] = _constant(name, value)
        chosen.append(placeholder)
    targets = ", ".join([*columns, *constants])
    # Names come from the table's metadata; every value is a parameter.
    sql = f"INSERT INTO {table.name} ({targets}) SELECT {', '.join(chosen)} FROM {source}"  # noqa: S608
    _pg_execute(session, sql, params)


def bulk_update(
    session: Session,
    table: Table,
    key: str,
    columns: Columns,
    constants: dict[str, Any] | None = None,
    only_if: tuple[str, Any] | None = None,
) -> int:
    """Update rows by `key` (a column of `columns`); with `only_if=(column, value)` only the
    rows where that column still holds that value. The number of rows updated."""
    constants = constants or {}
    if not columns[key]:
        return 0
    changed = [n for n in columns if n != key]
    if not _postgres(session):
        stmt = (
            update(table)
            .where(table.c[key] == bindparam("b_key"))
            .values({n: bindparam(f"b_{n}") for n in changed} | constants)
        )
        if only_if is not None:
            stmt = stmt.where(table.c[only_if[0]] == only_if[1])
        rows = [
            {"b_key": values[0], **{f"b_{n}": v for n, v in zip(changed, values[1:], strict=True)}}
            for values in zip(columns[key], *(columns[n] for n in changed), strict=True)
        ]
        return int(session.execute(stmt, rows).rowcount)  # type: ignore[attr-defined]
    source, params = _unnest(table, columns)
    sets = [f"{n} = {_selected(table, n)}" for n in changed]
    for name, value in constants.items():
        placeholder, params[f"k_{name}"] = _constant(name, value)
        sets.append(f"{name} = {placeholder}")
    where = f"t.{key} = v.{key}"
    if only_if is not None:
        where += f" AND t.{only_if[0]} = %(only_if)s"
        params["only_if"] = str(only_if[1])
    sql = f"UPDATE {table.name} AS t SET {', '.join(sets)} FROM {source} WHERE {where}"  # noqa: S608
    return _pg_execute(session, sql, params)
