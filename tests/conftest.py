"""Test harness: every test runs on a migrated database, inside a transaction rolled back
at the end. SQLite always; PostgreSQL too when DAMAN_TEST_DATABASE_URL is set.

Fixtures:
- ``session``: an ORM session on the migrated database (parametrised by backend),
  inside a transaction that is rolled back after the test.
- ``client``: a FastAPI TestClient whose requests use that same session; each request
  runs in a SAVEPOINT rolled back on error, like the real one-transaction-per-request.
  It acts as an unrestricted principal (every role rule passes, every object is in
  scope), named ``user:<X-Daman-Actor header>`` (default ``user:tester``): the tests of a
  domain's behaviour need no sign-in. ``anonymous`` is the same app with no such
  override: real credentials, real role rules (tests/auth/).
- ``database_url``: a fresh, migrated, committed-to database of the same backend, for
  tests of commands and batches that commit and run in other processes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Header
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from daman.auth.access import Principal, current_principal
from daman.core import db as core_db
from daman.core.db import get_session, make_engine
from daman.core.migrate import upgrade

PG_URL = os.environ.get("DAMAN_TEST_DATABASE_URL")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_DATA = SHARED / "data"
BACKENDS = ["sqlite", "postgresql"]


def _pg_base() -> str:
    assert PG_URL
    url = PG_URL
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_database(backend: str, tmp: Path, name: str) -> str:
    """Create an empty database of the backend and return its URL (migrated by the caller)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / (name + '.db')}"
    if not PG_URL:
        pytest.skip("PostgreSQL: set DAMAN_TEST_DATABASE_URL to run (CI does)")
    base = make_url(_pg_base())
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def migrated_engine(backend: str, tmp: Path, name: str) -> Engine:
    engine = make_engine(create_database(backend, tmp, name))
    upgrade(engine)
    from daman.reference.seed import load_defaults

    with Session(engine) as s:
        load_defaults(s)
        s.commit()
    return engine


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(autouse=True)
def _data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Documents and bank files of every test go to a directory of its own, never ./var."""
    from daman.config import get_settings

    settings = get_settings()
    previous, settings.data_dir = settings.data_dir, tmp_path_factory.mktemp("var")
    yield
    settings.data_dir = previous


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    backend = request.param
    tmp = tmp_path_factory.mktemp(backend)
    name = f"daman_test_{_worker()}_{os.getpid()}"
    eng = migrated_engine(backend, tmp, name)
    yield eng
    eng.dispose()
    if backend == "postgresql":
        drop_database(name)


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    conn = engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        conn.close()


def _app_on(session: Session) -> FastAPI:
    """The app whose requests use the test's session, each in a SAVEPOINT rolled back on
    error, like the real one-transaction-per-request."""
    from daman.app import create_app

    app = create_app()

    def _session() -> Iterator[Session]:
        nested = session.begin_nested()
        try:
            yield session
            session.flush()
            nested.commit()
        except BaseException:
            nested.rollback()
            raise

    app.dependency_overrides[get_session] = _session
    return app


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    app = _app_on(session)

    def _unrestricted(x_daman_actor: str = Header("tester")) -> Principal:
        return Principal.system(f"user:{x_daman_actor}")

    app.dependency_overrides[current_principal] = _unrestricted
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def anonymous(session: Session) -> Iterator[TestClient]:
    """The app with real authentication, on the test's session; no credential attached."""
    with TestClient(_app_on(session), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def database_url(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database (same backend as `engine`) that commands may commit to."""
    name = f"daman_t_{uuid.uuid4().hex[:10]}"
    eng = migrated_engine(engine.dialect.name, tmp_path, name)
    url = eng.url.render_as_string(hide_password=False)
    eng.dispose()
    previous = core_db._engine
    yield url
    core_db.set_engine(previous)
    if eng.dialect.name == "postgresql":
        drop_database(name)


def drop_database(name: str) -> None:
    admin = create_engine(make_url(_pg_base()), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def shared_file(name: str) -> Path:
    """A file of the shared reference data, or skip with the reason."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present (it sits beside the repository in CI, not in a clone)")
    return path
