"""The audit trail: one entry per row inserted, updated or deleted through the ORM, chained
by hashes so that an entry edited or removed behind the application's back is detected.

Every flush of every session appends its entries (``record_flush``, registered once on the
``Session`` class by ``install``, which importing ``daman`` runs). An entry names the actor
(the row's ``updated_by``, else ``created_by``, ``by``, ``checked_by``, ``granted_by`` or
``decided_by``, else "system"), the action, the table, the
row's primary key, and the columns before and after: all loaded columns for an insert
(after) or a delete (before), the changed columns for an update. An old value that was
never loaded into the session is left out of ``before`` rather than guessed.

Writes that bypass the unit of work (``session.execute(insert(...) / update(...) /
delete(...))``, the bulk writers of the adjudication and payment runs, COPY, the imports)
get one summary entry each, action ``bulk``: the table, who (the statement's ``updated_by``,
``created_by`` or ``by`` value, else the session's ``actor`` info, else "system"), the
operation, how many rows and the SHA-256 of the canonical JSON of the statement and its rows
(``record_statement``, a ``do_orm_execute`` listener, and ``record_bulk`` for the writers
that run on the driver's connection). So ``daman audit verify`` covers them: a bulk write
cannot be replayed or altered in the trail without breaking the chain, and its rows can be
checked against the digest.

The chain: ``hash = sha256(previous_hash + canonical JSON of the entry)``, the entry including
its id (last id + 1, so ids have no gaps). Entries are chained when their transaction
commits, not when they are flushed: each flush only collects its entries in the session
(``record_flush``), a savepoint rolled back drops the entries collected inside it
(``discard_rolled_back``), and just before the commit ``append_pending`` takes the chain's
lock, reads the last entry, chains the collected entries onto it and inserts them. So the
lock is held only while the transaction commits, and ids follow commit order; ``at`` is
when the write was flushed. On PostgreSQL the lock is ``pg_advisory_xact_lock(AUDIT_LOCK)``,
taken before reading the last entry and released by the commit; on SQLite the database's
single write lock, already held by a transaction that wrote, does the same. A chain proves
that no entry was altered, removed or inserted in the middle; removing the newest entries
leaves a valid, shorter chain, which only comparing with a head hash kept elsewhere can
reveal. Code that reads the trail inside the transaction that wrote (tests) calls
``append_pending`` first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, cast

from sqlalchemy import JSON, DateTime, Integer, String, Table, event, inspect, select
from sqlalchemy.engine import Connection, CursorResult, Result
from sqlalchemy.orm import (
    InstanceState,
    Mapped,
    Mapper,
    ORMExecuteState,
    Session,
    SessionTransaction,
    mapped_column,
)
from sqlalchemy.orm.unitofwork import UOWTransaction
from sqlalchemy.schema import Column

from daman.core.bulk import on_bulk_write
from daman.core.dates import now
from daman.core.db import Base

GENESIS = "0" * 64  # the previous hash of the first entry
AUDIT_LOCK = 0x44414D414E  # "DAMAN": the advisory lock key of audit appends on PostgreSQL


class AuditAction(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    BULK = "bulk"  # one entry for a write of many rows outside the unit of work


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(10))  # AuditAction
    table_name: Mapped[str] = mapped_column(String(63))
    row_key: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]


# -- installing --------------------------------------------------------------------------


_LISTENERS = (
    ("after_flush", lambda session, flush: record_flush(session, flush)),
    ("do_orm_execute", lambda state: record_statement(state)),
    ("before_commit", lambda session: before_commit(session)),
    ("after_soft_rollback", lambda session, previous: discard_rolled_back(session, previous)),
    ("after_transaction_end", lambda session, transaction: forget_pending(session, transaction)),
)
_installed = False


def install() -> None:
    """Record every write of every session from now on: the listeners on SQLAlchemy's
    ``Session`` class and on the bulk writers (``daman.core.bulk``). Called once when the
    ``daman`` package is imported, so the app, the command line, worker processes and
    tests all have it, and the database layer (``daman.core``) knows nothing of it."""
    global _installed
    if _installed:
        return
    for name, listener in _LISTENERS:
        event.listen(Session, name, listener)
    on_bulk_write(record_bulk)
    _installed = True


def installed() -> bool:
    return _installed


# -- recording ---------------------------------------------------------------------------


_PENDING = "daman.audit.pending"  # session.info key: [(transaction, entries), ...]


def record_flush(session: Session, _flush: UOWTransaction) -> None:
    """``after_flush`` listener: collect one entry per row the flush wrote, tagged with the
    innermost transaction (a savepoint's entries go if it is rolled back)."""
    changes = [
        *_changes(AuditAction.INSERT, session.new),
        *_changes(AuditAction.UPDATE, session.dirty),
        *_changes(AuditAction.DELETE, session.deleted),
    ]
    if not changes:
        return
    at = now()
    for entry in changes:
        entry["at"] = at
    where = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((where, changes))


_ACTOR_KEYS = ("updated_by", "created_by", "by", "checked_by", "granted_by", "decided_by")


def digest(content: Any) -> str:
    """SHA-256 of the canonical JSON of `content` (rows, parameters)."""
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_bulk(
    session: Session,
    operation: str,
    table: str,
    rows: int,
    content: Any,
    actor: str | None = None,
) -> None:
    """Collect one entry for a write of `rows` rows of `table` that the flush does not see;
    it is chained with the others when the transaction commits (or dropped with it)."""
    entry = {
        "at": now(),
        "actor": (actor or session.info.get("actor") or "system")[:120],
        "action": AuditAction.BULK.value,
        "table_name": table,
        "row_key": f"{rows} rows",
        "before": None,
        "after": {"operation": operation, "rows": rows, "sha256": digest(content)},
    }
    where = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((where, [entry]))


def _actor_in(params: Any) -> str | None:
    first = params[0] if isinstance(params, list | tuple) and params else params
    if isinstance(first, dict):
        for key in _ACTOR_KEYS:
            for name in (key, f"b_{key}", f"k_{key}"):
                if isinstance(first.get(name), str):
                    return str(first[name])
    return None


def record_statement(state: ORMExecuteState) -> Result[Any] | None:
    """``do_orm_execute`` listener: an INSERT, UPDATE or DELETE executed through the session
    (not by a flush) runs, then gets its summary entry with the rows it touched."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    target = getattr(state.statement, "table", None)
    name = getattr(target, "name", None)
    if name is None or name == AUDIT.name:
        return None
    result = state.invoke_statement()
    params = state.parameters
    count = result.rowcount if isinstance(result, CursorResult) else -1
    if isinstance(params, list) and (count is None or count < 0 or state.is_insert):
        count = len(params)
    sql, bound = _described(state)
    operation = "insert" if state.is_insert else "update" if state.is_update else "delete"
    record_bulk(
        state.session,
        operation,
        name,
        max(int(count or 0), 0),
        {"sql": sql, "bound": bound, "rows": params},
        actor=_actor_in(params) or _actor_in(bound),
    )
    return result


def _described(state: ORMExecuteState) -> tuple[str, dict[str, Any]]:
    """The statement's SQL and bound values (its WHERE and VALUES), for the digest. An ORM
    bulk INSERT compiles only inside its execution: its rows are its parameters."""
    if state.is_insert:
        return "", {}
    compiled = cast(Any, state.statement).compile(dialect=state.session.get_bind().dialect)
    return str(compiled), dict(compiled.params)


def discard_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """``after_soft_rollback`` listener: drop the entries of a rolled-back savepoint (and of
    the savepoints inside it); a rolled-back transaction drops them all."""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    boundary: SessionTransaction | None = previous
    while boundary is not None and not boundary.nested and boundary.parent is not None:
        boundary = boundary.parent  # a subtransaction rolls back to its savepoint or root
    if boundary is None or not boundary.nested:
        pending.clear()
        return
    pending[:] = [(where, e) for where, e in pending if not _inside(where, boundary)]


def _inside(where: SessionTransaction | None, boundary: SessionTransaction) -> bool:
    while where is not None:
        if where is boundary:
            return True
        where = where.parent
    return False


def forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """``after_transaction_end`` listener: nothing collected outlives its transaction."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def before_commit(session: Session) -> None:
    """``before_commit`` listener: chain what the transaction collected, at its commit (a
    savepoint's release is not a commit: its entries wait for the transaction's)."""
    if session.get_nested_transaction() is None:
        append_pending(session)


def append_pending(session: Session) -> int:
    """Flush, then chain and insert every entry collected so far in this transaction, under
    the chain's lock (held until the transaction ends); the number of entries appended."""
    session.flush()  # what is not flushed yet is collected now (a no-op on a clean session)
    pending = session.info.pop(_PENDING, None)
    changes = [entry for _, entries in pending or () for entry in entries]
    if not changes:
        return 0
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        last_id, previous = _lock_and_read_last(conn)
    else:
        last = conn.execute(select(AUDIT.c.id, AUDIT.c.hash).order_by(AUDIT.c.id.desc()).limit(1))
        last_id, previous = last.first() or (0, GENESIS)
    for offset, entry in enumerate(changes, start=1):
        entry.update(id=last_id + offset, previous_hash=previous)
        entry["hash"] = previous = entry_hash(entry)
    conn.execute(AUDIT.insert(), changes)
    return len(changes)


def _lock_and_read_last(conn: Connection) -> tuple[int, str]:
    """PostgreSQL: take the chain's lock, then read the last entry, in one round trip. Two
    statements of one simple query: in READ COMMITTED each takes its own snapshot, so the
    read, which starts once the lock is held, sees every entry committed before."""
    sql = (
        f"SELECT pg_advisory_xact_lock({AUDIT_LOCK});"  # noqa: S608 - a constant
        " SELECT id, hash FROM audit_entries ORDER BY id DESC LIMIT 1"
    )
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(sql, prepare=False)  # a simple query: no parameters, two statements
        cursor.nextset()
        last = cursor.fetchone()
    return (int(last[0]), str(last[1])) if last is not None else (0, GENESIS)


@dataclass(frozen=True)
class _Shape:
    """What the listener needs of a mapped class, computed once per class."""

    table: str
    columns: tuple[tuple[str, str], ...]  # (attribute key, column name)
    key: tuple[str, ...]  # attribute keys of the primary key


_shapes: dict[Mapper[Any], _Shape | None] = {}


def _shape(mapper: Mapper[Any]) -> _Shape | None:
    if mapper not in _shapes:
        if mapper.class_ is AuditEntry:
            _shapes[mapper] = None
        else:
            columns = tuple(
                (prop.key, prop.columns[0].name)
                for prop in mapper.column_attrs
                if isinstance(prop.columns[0], Column)
            )
            key = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
            _shapes[mapper] = _Shape(cast(Table, mapper.local_table).name, columns, key)
    return _shapes[mapper]


def _changes(action: AuditAction, objects: Iterable[object]) -> Iterator[dict[str, Any]]:
    for obj in objects:
        state: InstanceState[Any] = inspect(obj)
        shape = _shape(state.mapper)
        if shape is None:
            continue
        loaded = state.dict
        before: dict[str, Any] | None = None
        after: dict[str, Any] | None = None
        if action is AuditAction.INSERT:
            after = {name: _jsonable(loaded[k]) for k, name in shape.columns if k in loaded}
        elif action is AuditAction.DELETE:
            before = {name: _jsonable(loaded[k]) for k, name in shape.columns if k in loaded}
        else:
            before, after = {}, {}
            for k, name in shape.columns:
                history = state.attrs[k].history
                if not history.has_changes():
                    continue
                if history.deleted:
                    before[name] = _jsonable(history.deleted[0])
                after[name] = _jsonable(history.added[0]) if history.added else None
            if not after:
                continue  # touched, but no column changed (a relationship, the same value)
        yield {
            "actor": str(next((loaded[k] for k in _ACTOR_KEYS if loaded.get(k)), "system")),
            "action": action.value,
            "table_name": shape.table,
            "row_key": ",".join(str(loaded.get(k)) for k in shape.key),
            "before": before,
            "after": after,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return {"bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()}
    return str(value)


# -- the chain ---------------------------------------------------------------------------


def _utc(at: datetime) -> str:
    # SQLite gives back naive datetimes (stored as UTC); PostgreSQL aware ones.
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def entry_hash(entry: dict[str, Any]) -> str:
    """sha256 of the previous hash followed by the canonical JSON of the entry's fields."""
    content = {
        "id": entry["id"],
        "at": _utc(entry["at"]),
        "actor": entry["actor"],
        "action": entry["action"],
        "table": entry["table_name"],
        "key": entry["row_key"],
        "before": entry["before"],
        "after": entry["after"],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((entry["previous_hash"] + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    entries: int  # entries checked (all of them when intact, up to the broken one otherwise)
    broken_id: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Recompute the chain from the first entry; stop at the first entry that breaks it."""
    expected_id, previous, checked = 1, GENESIS, 0
    rows = session.execute(
        select(AUDIT).order_by(AUDIT.c.id).execution_options(yield_per=batch)
    ).mappings()
    for row in rows:
        if row["id"] != expected_id:
            missing = (
                f"entry {expected_id} is missing"
                if row["id"] == expected_id + 1
                else f"entries {expected_id} to {row['id'] - 1} are missing"
            )
            return ChainReport(checked, row["id"], f"{missing} (deleted)")
        if row["previous_hash"] != previous:
            return ChainReport(
                checked,
                row["id"],
                "its previous hash does not match the hash of the entry before it",
            )
        if entry_hash(dict(row)) != row["hash"]:
            return ChainReport(checked, row["id"], "its content does not match its hash (altered)")
        expected_id, previous, checked = expected_id + 1, row["hash"], checked + 1
    return ChainReport(checked)
