"""Database engine, declarative base and the one-transaction-per-unit-of-work helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Mapper,
    Session,
    mapped_column,
    sessionmaker,
)

from daman.config import get_settings
from daman.core.dates import now
from daman.core.errors import Conflict, DamanError, DatabaseBusy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


E = TypeVar("E", bound=StrEnum)


class StringEnum(TypeDecorator[E]):
    """A column holding a member of a ``StrEnum``, stored as its value in a plain
    VARCHAR(length): no database enum type, so adding a member needs no migration.
    Python sees the member, from the moment the attribute is set (``status="paid"`` reads
    back as ``ClaimStatus.PAID``); a value that is not one raises, set, written or read."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def member(self, value: Any, where: str = "written") -> E:
        if isinstance(value, self.enum):
            return value
        try:
            return self.enum(value)
        except ValueError:
            known = ", ".join(repr(m.value) for m in self.enum)
            raise ValueError(
                f"{value!r} {where} is not a {self.enum.__name__} (one of {known})"
            ) from None

    def text(self, value: Any) -> str | None:
        """What is stored for `value` (a member or its value); anything else raises."""
        return None if value is None else self.member(value).value

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return self.text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.member(value, "read from the database")


@event.listens_for(Base, "mapper_configured", propagate=True)
def _members_when_set(mapper: Mapper[Any], cls: type[Any]) -> None:
    for attribute in mapper.column_attrs:
        kind = attribute.columns[0].type
        if isinstance(kind, StringEnum):

            def member(_row: Any, value: Any, _old: Any, _by: Any, kind: Any = kind) -> Any:
                return None if value is None else kind.member(value, "set")

            event.listen(getattr(cls, attribute.key), "set", member, retval=True)


class Tracked:
    """Who created and last changed a row, and when (the audit log adds before/after)."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)
    updated_by: Mapped[str] = mapped_column(String(120), default="system")


class StoredFile(Tracked):
    """The columns of a document whose bytes live in the document store, named by their
    sha256 (see daman.documents.store): claims', pre-authorisations', exemptions'."""

    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))  # sniffed from the bytes
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class StatusEvent:
    """One change of an object's status: from, to, who, when and why (the histories of
    claims, pre-authorisations and exemption requests)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text, default="")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that SAVEPOINTs
    # and nested units of work behave as on PostgreSQL.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or get_settings().database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # Every transaction takes SQLite's single write lock when it starts (waiting up to
        # the busy timeout for it), so a transaction that read first never fails when it
        # then writes: a deferred one would get "database is locked" at once when another
        # writer committed since its read. Readers outside a transaction are not blocked
        # (WAL). PostgreSQL keeps its row locks and READ COMMITTED.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    global _engine, _factory
    if _engine is None:
        _engine = make_engine()
        _factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Point the application at another engine (tests, CLI --database-url)."""
    global _engine, _factory
    _engine = engine
    _factory = sessionmaker(bind=engine, expire_on_commit=False) if engine else None


def session_factory() -> sessionmaker[Session]:
    get_engine()
    assert _factory is not None
    return _factory


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. Services only flush."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_session() -> AsyncIterator[Session]:
    """One transaction per request: `unit_of_work` as a dependency. Use it as ``session:
    Session = SESSION``, never as a plain ``Depends(get_session)``: see SESSION.

    async: making the session does no I/O, so it is made on the event loop; the commit
    (or rollback) goes to the thread pool only when the request used the database. A
    request answered from what the process holds (a credential kept for seconds) and
    whose endpoint did nothing with the session costs no hop into the pool for it."""
    session = session_factory()()
    try:
        yield session
        if session.in_transaction() or session.new or session.dirty or session.deleted:
            await run_in_threadpool(session.commit)
    except BaseException:
        if session.in_transaction():
            await run_in_threadpool(session.rollback)
        raise
    finally:
        session.close()


# The request's session. Scope "function": the transaction commits when the route function
# has returned and its answer is serialised, *before* the response is sent. A success
# therefore means committed; a commit that fails (a constraint, a busy database) raises
# into the app's error handlers and the client gets that error instead (409, 503).
# FastAPI's default scope for a dependency with yield runs the commit after the response
# has gone out. tests/core/test_commit_before_answer.py checks that every route uses this one.
SESSION: Any = Depends(get_session, scope="function")


# PostgreSQL SQLSTATEs that mean "nothing was done, the same work may succeed on retry":
# serialization_failure, deadlock_detected, lock_not_available, query_canceled (timeout).
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014"})


def database_error(exc: DBAPIError) -> DamanError | None:
    """The answer for a database error that is the caller's or the moment's, not a bug: a
    broken constraint is a 409, a busy database a 503. None: an unexpected error."""
    if isinstance(exc, IntegrityError):
        return Conflict(
            "the change conflicts with data stored meanwhile (a unique or linked value);"
            " nothing was stored"
        )
    if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return DatabaseBusy("the database is busy; nothing was stored, try again")
    message = str(exc.orig).lower()
    if isinstance(exc, OperationalError) and ("locked" in message or "busy" in message):
        return DatabaseBusy("the database is busy; nothing was stored, try again")
    return None


def any_id(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """PostgreSQL `column IN (SELECT unnest('{1,2,3}'::int[]))`: thousands of ids in one
    parameter, sent as one text literal (the driver adapts a Python list value by value,
    which costs more than the query itself for a batch). Joined, not `= ANY(parameter)`: a
    scan filtered by `= ANY(CAST(parameter AS int[]))` parses the array again for every
    row it reads (1.5-2 s for 5,000 ids against the 2,000 rows of ald_exemptions, 10 ms
    joined)."""
    literal = "{" + ",".join(map(str, map(int, ids))) + "}"
    array = cast(bindparam(None, literal, type_=String), ARRAY(column.type))
    return column.in_(select(func.unnest(array)))
