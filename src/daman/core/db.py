"""Database engine, declarative base and the one-transaction-per-unit-of-work helpers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    MetaData,
    String,
    any_,
    bindparam,
    cast,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    SessionTransaction,
    mapped_column,
    sessionmaker,
)

from daman.config import get_settings
from daman.core.dates import now

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Tracked:
    """Who created and last changed a row, and when (the audit log adds before/after)."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, onupdate=now)
    updated_by: Mapped[str] = mapped_column(String(120), default="system")


@event.listens_for(Session, "after_flush")
def _audit(session: Session, flush: Any) -> None:
    """Every ORM write of every session lands in the audit trail (see daman.auth.audit):
    collected at each flush, chained when the transaction commits."""
    from daman.auth.audit import record_flush

    record_flush(session, flush)


@event.listens_for(Session, "before_commit")
def _audit_commit(session: Session) -> None:
    from daman.auth.audit import before_commit

    before_commit(session)


@event.listens_for(Session, "after_soft_rollback")
def _audit_rollback(session: Session, previous: SessionTransaction) -> None:
    from daman.auth.audit import discard_rolled_back

    discard_rolled_back(session, previous)


@event.listens_for(Session, "after_transaction_end")
def _audit_end(session: Session, transaction: SessionTransaction) -> None:
    from daman.auth.audit import forget_pending

    forget_pending(session, transaction)


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
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
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


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one transaction per request."""
    with unit_of_work() as session:
        yield session


def any_id(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """PostgreSQL `column = ANY('{1,2,3}'::int[])`: thousands of ids in one parameter, sent
    as one text literal (the driver adapts a Python list value by value, which costs more
    than the query itself for a batch)."""
    literal = "{" + ",".join(map(str, map(int, ids))) + "}"
    return column == any_(cast(bindparam(None, literal, type_=String), ARRAY(column.type)))
