"""Every query of the adjudication domain: context rows, bulk saves, the review queue."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, selectinload

from daman.adjudication.models import AdjudicationChunk, AdjudicationPolicy, ReviewItem
from daman.auth.audit import record_bulk
from daman.claims.models import Claim, ClaimLine, ClaimStatus
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
    max_line_charged_centimes: int
    max_claim_charged_centimes: int
    continuous_categories: str
    continuous_ald_categories: str

    @property
    def continuous(self) -> frozenset[str]:
        """Categories a continuous treatment end may cover."""
        return category_set(self.continuous_categories)

    @property
    def continuous_under_ald(self) -> frozenset[str]:
        """Categories it may cover for lines linked to an ALD the patient is exempted for."""
        return category_set(self.continuous_ald_categories)


def category_set(text: str) -> frozenset[str]:
    """'hospitalisation, optical' -> {'hospitalisation', 'optical'} (a policy's lists)."""
    return frozenset(c.strip() for c in text.split(",") if c.strip())


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
            AdjudicationPolicy.max_line_charged_centimes,
            AdjudicationPolicy.max_claim_charged_centimes,
            AdjudicationPolicy.continuous_categories,
            AdjudicationPolicy.continuous_ald_categories,
        ).order_by(AdjudicationPolicy.valid_from.desc(), AdjudicationPolicy.id.desc())
    )
    return [PolicyRow(**r._mapping) for r in rows]


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
# Bulk reads (PostgreSQL): a SELECT's rows straight into a frame through COPY ... TO STDOUT
# in CSV, parsed by Polars in native code: no Python object per row or per value.


def copy_frame(session: Session, stmt: Select[Any], schema: Mapping[str, Any]) -> pl.DataFrame:
    """The rows of `stmt` (its columns in `schema`'s order) as a frame of `schema`."""
    compiled = stmt.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    connection = session.connection().connection.driver_connection
    assert connection is not None
    # The statement is SQLAlchemy's own compilation; values travel as parameters, bound
    # client-side by the driver (COPY takes no server-side parameters).
    copy_sql = f"COPY ({compiled}) TO STDOUT (FORMAT csv)"
    with connection.cursor() as cursor, cursor.copy(copy_sql, compiled.params) as copy:
        data = b"".join(bytes(block) for block in copy)
    flags = [name for name, kind in schema.items() if kind == pl.Boolean]
    read = {name: (pl.String if name in flags else kind) for name, kind in schema.items()}
    if not data:
        return pl.DataFrame(schema=dict(schema))
    frame = pl.read_csv(io.BytesIO(data), has_header=False, schema=read)
    return frame.with_columns(pl.col(name) == "t" for name in flags) if flags else frame


# ---------------------------------------------------------------------------------------
# Bulk writes: whole columns in one statement on PostgreSQL (unnest of arrays, on the
# session's own connection and transaction), a C-level executemany on SQLite. Values are
# given by column, every list of the same length.
#
# On PostgreSQL each column travels as one array literal in text ('{1,2,NULL}'), built by
# Polars in native code: the driver's own list adapter converts value by value in Python,
# which cost more than the server's whole statement for a batch of 10,000 claims.

Columns = Mapping[str, Sequence[Any] | pl.Series]  # a Series goes to PostgreSQL as it is


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


def _json_texts(values: list[Any]) -> list[str | None]:
    """JSON text of each value, each distinct value encoded once (reason lists repeat)."""
    seen: dict[Any, str] = {}
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        key = tuple(v) if isinstance(v, list) else repr(v)
        text_ = seen.get(key)
        if text_ is None:
            text_ = seen[key] = json.dumps(v)
        out.append(text_)
    return out


SMALL = 512  # values below which Python builds a literal faster than a Polars round trip


def _item(value: Any, kind: str) -> str:
    if value is None:
        return "NULL"
    if kind == "text":
        text_ = str(value.value if isinstance(value, Enum) else value)
        return '"' + text_.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if kind == "bigint":
        return str(int(value))
    return str(value)  # dates and timestamps in ISO form


def array_literal(values: Sequence[Any] | pl.Series, kind: str) -> str:
    """A PostgreSQL array literal of `kind` ("bigint", "text", "date") for the values."""
    if len(values) < SMALL:
        plain = values.to_list() if isinstance(values, pl.Series) else values
        return "{" + ",".join(_item(v, kind) for v in plain) + "}"
    series = values if isinstance(values, pl.Series) else pl.Series(values, strict=False)
    if kind == "text":
        items = (
            series.cast(pl.String)
            .str.replace_all("\\", "\\\\", literal=True)
            .str.replace_all('"', '\\"', literal=True)
        )
        items = ('"' + items + '"').fill_null("NULL")
    else:
        items = series.cast(pl.String).fill_null("NULL")
    return "{" + items.str.join(",").item() + "}"


def _pg_param(column: Column[Any], values: Sequence[Any] | pl.Series) -> str:
    kind = _pg_type(column)
    if isinstance(column.type, JSON):
        plain = values.to_list() if isinstance(values, pl.Series) else list(values)
        return array_literal(_json_texts(plain), "text")
    if len(values) < SMALL or kind not in ("bigint", "text"):
        return array_literal(values, kind)
    if isinstance(values, pl.Series):
        return array_literal(values.cast(pl.Int64 if kind == "bigint" else pl.String), kind)
    # str and int enums are taken as their values
    return array_literal(pl.Series(values, dtype=pl.Int64 if kind == "bigint" else pl.String), kind)


def _lists(columns: Columns) -> dict[str, list[Any]]:
    return {k: v.to_list() if isinstance(v, pl.Series) else list(v) for k, v in columns.items()}


def _unnest(table: Table, columns: Columns) -> tuple[str, dict[str, Any]]:
    """`unnest(%(c0)s::t0[], ...) AS v(name, ...)` and its parameters."""
    arrays = ", ".join(f"%(c{i})s::{_pg_type(table.c[name])}[]" for i, name in enumerate(columns))
    params = {f"c{i}": _pg_param(table.c[n], v) for i, (n, v) in enumerate(columns.items())}
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
    if not len(next(iter(columns.values()), [])):
        return
    if not _postgres(session):
        names = list(columns)
        rows = [
            dict(zip(names, values, strict=True)) | constants
            for values in zip(*_lists(columns).values(), strict=True)
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
    inserted = _pg_execute(session, sql, params)
    content = _content(columns, constants)
    record_bulk(session, "insert", table.name, inserted, content, _actor(constants))


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
    if not len(columns[key]):
        return 0
    changed = [n for n in columns if n != key]
    if not _postgres(session):
        columns = dict(_lists(columns))
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
    # The key's range as well: the planner merges the sorted keys with the table's index,
    # and the range lets that index scan start at the first key instead of the table's.
    where = f"t.{key} = v.{key} AND t.{key} BETWEEN %(lo)s AND %(hi)s"
    keys = columns[key]
    keys = keys if isinstance(keys, pl.Series) else pl.Series(keys, dtype=pl.Int64)
    params["lo"], params["hi"] = keys.min(), keys.max()
    if only_if is not None:
        where += f" AND t.{only_if[0]} = %(only_if)s"
        params["only_if"] = str(only_if[1])
    sql = f"UPDATE {table.name} AS t SET {', '.join(sets)} FROM {source} WHERE {where}"  # noqa: S608
    updated = _pg_execute(session, sql, params)
    content = _content(columns, constants) | {"only_if": [str(v) for v in only_if or ()]}
    record_bulk(session, "update", table.name, updated, content, _actor(constants))
    return updated


def _content(columns: Columns, constants: dict[str, Any]) -> dict[str, Any]:
    """What a bulk write wrote, for its audit digest."""
    return {"columns": _lists(columns), "constants": constants}


def _actor(constants: dict[str, Any]) -> str | None:
    for key in ("updated_by", "created_by", "decided_by", "checked_by", "by"):
        if isinstance(constants.get(key), str):
            return str(constants[key])
    return None


# ---------------------------------------------------------------------------------------
# Chunks of a batch shared by workers (PostgreSQL: FOR UPDATE SKIP LOCKED)

CHUNK_PLANNING_LOCK = 0x64616D616E  # advisory lock: one planner at a time


def lock_planning(session: Session) -> None:
    """Serialise planners until the transaction ends (two machines starting together)."""
    session.execute(select(func.pg_advisory_xact_lock(CHUNK_PLANNING_LOCK)))


def open_chunks(session: Session) -> int:
    """Chunks not done yet, locked by a worker or not."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AdjudicationChunk)
            .where(AdjudicationChunk.done_at.is_(None))
        )
        or 0
    )


def open_batch(session: Session) -> int | None:
    """The batch some chunks of which are still open (None when every chunk is done)."""
    return session.scalar(
        select(func.min(AdjudicationChunk.batch)).where(AdjudicationChunk.done_at.is_(None))
    )


def plan_chunks(session: Session, size: int, at: datetime, by: str) -> tuple[int, int]:
    """Cut every received claim into chunks of about `size` claims, a patient's claims
    all in the same chunk (patients in id order, chunks in that order); the batch number
    and the number of chunks."""
    batch = (session.scalar(select(func.max(AdjudicationChunk.batch))) or 0) + 1
    result = session.execute(
        text(
            """
            INSERT INTO adjudication_chunks (batch, claim_ids, claims, planned_at, planned_by)
            SELECT :batch, json_agg(r.id ORDER BY r.id), count(*), :at, :by
            FROM claims AS r
            JOIN (
                SELECT patient_id,
                       (sum(count(*)) OVER (ORDER BY patient_id))::bigint - 1 AS before
                FROM claims WHERE status = :received GROUP BY patient_id
            ) AS p ON p.patient_id = r.patient_id
            WHERE r.status = :received
            GROUP BY p.before / :size
            ORDER BY p.before / :size
            """
        ),
        {"batch": batch, "at": at, "by": by, "received": ClaimStatus.RECEIVED, "size": size},
    )
    return batch, int(result.rowcount)  # type: ignore[attr-defined]


def take_chunk(session: Session) -> tuple[int, list[int]] | None:
    """The first open chunk no other worker holds, locked until the transaction ends."""
    row = session.execute(
        select(AdjudicationChunk.id, AdjudicationChunk.claim_ids)
        .where(AdjudicationChunk.done_at.is_(None))
        .order_by(AdjudicationChunk.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).one_or_none()
    return None if row is None else (row.id, list(row.claim_ids))


def still_received(session: Session, claim_ids: Sequence[int]) -> list[int]:
    """Those of the claims still `received`, locked (another batch may have valued some)."""
    return list(
        session.scalars(
            select(Claim.id)
            .where(Claim.id == any_(bindparam(None, list(claim_ids), type_=ARRAY(BigInteger))))
            .where(Claim.status == ClaimStatus.RECEIVED)
            .order_by(Claim.id)
            .with_for_update()
        )
    )


def finish_chunk(session: Session, chunk_id: int, valued: int, at: datetime, by: str) -> None:
    session.execute(
        update(AdjudicationChunk)
        .where(AdjudicationChunk.id == chunk_id)
        .values(done_at=at, done_by=by, valued=valued)
    )


def batch_progress(session: Session, batch: int) -> tuple[int, int]:
    """Claims planned in the batch and claims in its chunks done so far."""
    planned, done = session.execute(
        select(
            func.coalesce(func.sum(AdjudicationChunk.claims), 0),
            func.coalesce(
                func.sum(AdjudicationChunk.claims).filter(AdjudicationChunk.done_at.isnot(None)),
                0,
            ),
        ).where(AdjudicationChunk.batch == batch)
    ).one()
    return int(planned), int(done)
