"""Bulk writing of planned rows: explicit primary keys, binary COPY on PostgreSQL,
executemany elsewhere, then the PostgreSQL sequences moved past the ids written.

Rows carry their own ids (from the table's current maximum), so no insert needs
RETURNING and one plan gives the same rows on every backend. Everything runs in the
caller's transaction: the writer only flushes.

On PostgreSQL the COPYs run on a background thread, so that the server stores one batch
while Python plans the next (the connection is the session's own; the session must not be
used between the first `write` and the end of the `with` block).
"""

from __future__ import annotations

import functools
import queue
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    TypeDecorator,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint, ForeignKeyConstraint

from daman.core.bulk import notify_bulk
from daman.core.db import Base

SQLITE_BATCH = 20_000
QUEUED_WRITES = 16

Rows = Sequence[tuple[Any, ...]]
_Job = tuple[str, Sequence[str], Rows]


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def copy_types(name: str, columns: Sequence[str]) -> list[str]:
    """PostgreSQL type of each column, for a binary COPY."""
    out = []
    for column in columns:
        kind = table(name).c[column].type
        if isinstance(kind, TypeDecorator):  # an enum column (core.db.StringEnum): its VARCHAR
            kind = kind.impl_instance
        if isinstance(kind, Boolean):
            out.append("bool")
        elif isinstance(kind, BigInteger):
            out.append("int8")
        elif isinstance(kind, Integer):
            out.append("int4")
        elif isinstance(kind, DateTime):
            out.append("timestamptz" if kind.timezone else "timestamp")
        elif isinstance(kind, Date):
            out.append("date")
        elif isinstance(kind, String):
            out.append("text")
        else:
            raise TypeError(f"no COPY type for {name}.{column} ({kind})")
    return out


class BulkWriter:
    """Use as a context manager: leaving the block waits for the last rows and, on
    success, moves the sequences; on an error it stops and lets the error through."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.written: Counter[str] = Counter()
        self._queue: queue.Queue[_Job | None] = queue.Queue(QUEUED_WRITES)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._cancelled = False
        self._suspended: list[ForeignKeyConstraint] = []

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._cancelled = kind is not None
        self._stop()
        if kind is None:
            self._raise_copy_error()
            self._restore_foreign_keys()
            self._bump_sequences()

    def suspend_foreign_keys(self, names: Iterable[str]) -> None:
        """PostgreSQL: drop the foreign keys of these tables until the block ends, when they
        are added back (and checked in one pass per key). For big loads only: it locks the
        tables until the transaction ends."""
        if not self.postgres:
            return
        for name in names:
            for fk in sorted(table(name).foreign_key_constraints, key=lambda c: str(c.name)):
                self.session.execute(DropConstraint(fk))
                self._suspended.append(fk)

    def _restore_foreign_keys(self) -> None:
        for fk in self._suspended:
            self.session.execute(AddConstraint(fk))
        self._suspended.clear()

    def next_ids(self, names: Iterable[str]) -> dict[str, int]:
        """The first free id of each table: its current maximum plus one."""
        return {
            name: (self.session.execute(select(func.max(table(name).c.id))).scalar() or 0) + 1
            for name in names
        }

    def write(self, name: str, columns: Sequence[str], rows: Rows) -> None:
        if not rows:
            return
        content = {"columns": list(columns), "rows": rows}
        operation = "copy" if self.postgres else "insert"
        notify_bulk(self.session, operation, name, len(rows), content, "synth")
        if self.postgres:
            self._raise_copy_error()
            if self._thread is None:
                self._start()
            self._queue.put((name, columns, rows))
        else:
            self._insert(name, columns, rows)
        self.written[name] += len(rows)

    # -- PostgreSQL ----------------------------------------------------------------------

    def _start(self) -> None:
        self.session.flush()
        raw = self.session.connection().connection.driver_connection
        self._thread = threading.Thread(target=self._copy_loop, args=(raw,), daemon=True)
        self._thread.start()

    def _copy_loop(self, raw: Any) -> None:
        while (job := self._queue.get()) is not None:
            if self._error is not None or self._cancelled:
                continue  # drain: the main thread raises the first error
            try:
                self._copy(raw, *job)
            except BaseException as exc:  # handed over to the main thread
                self._error = exc

    @staticmethod
    def _copy(raw: Any, name: str, columns: Sequence[str], rows: Rows) -> None:
        quoted = ", ".join(f'"{c}"' for c in columns)
        sql = f'COPY "{name}" ({quoted}) FROM STDIN (FORMAT BINARY)'
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            copy.set_types(copy_types(name, columns))
            for row in rows:
                copy.write_row(row)

    def _stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _raise_copy_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _bump_sequences(self) -> None:
        """Move each id sequence past the ids written, so that later inserts that take
        their id from the sequence do not collide."""
        if not self.postgres:
            return
        for name in sorted(self.written):
            self.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - our table names
                    f'(SELECT max(id) FROM "{name}"))'
                )
            )

    # -- other backends ------------------------------------------------------------------

    def _insert(self, name: str, columns: Sequence[str], rows: Rows) -> None:
        """SQLite: executemany with the values converted once by the columns' own type
        processors (dates, timestamps and booleans stored exactly as the ORM stores them)."""
        dialect = self.session.get_bind().dialect
        if dialect.name != "sqlite":
            stmt = insert(table(name))
            for start in range(0, len(rows), SQLITE_BATCH):
                chunk = rows[start : start + SQLITE_BATCH]
                self.session.execute(stmt, [dict(zip(columns, row, strict=True)) for row in chunk])
            return
        converters = []
        for i, column in enumerate(columns):
            process = table(name).c[column].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                converters.append((i, functools.lru_cache(maxsize=4096)(process)))
        quoted = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})'  # noqa: S608 - our names
        connection = self.session.connection()
        for start in range(0, len(rows), SQLITE_BATCH):
            chunk = []
            for row in rows[start : start + SQLITE_BATCH]:
                values = list(row)
                for i, convert in converters:
                    if values[i] is not None:
                        values[i] = convert(values[i])
                chunk.append(tuple(values))
            connection.exec_driver_sql(sql, chunk)
