"""The demo accounts never open a production server: a database loaded in development and
served with DAMAN_ENVIRONMENT=production refuses to start while any demo account keeps
the published demo password (through the real `daman serve`, on SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from daman.accounts.demo import DEMO_USERNAMES
from daman.accounts.service import change_password, disable_user, get_user
from daman.core.db import make_engine
from tests.served import (
    DAMAN,
    DEMO_PASSWORD,
    DemoDatabase,
    Server,
    daman_env,
    demo_database,
    free_port,
)

PRODUCTION = {"DAMAN_ENVIRONMENT": "production", "DAMAN_SECRET_KEY": "p" * 48}
NEW_PASSWORD = "a production passphrase"


@pytest.fixture(scope="module")
def demo(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDatabase]:
    with demo_database(engine.dialect.name, tmp_path_factory.mktemp("demo-accounts")) as database:
        yield database


def refused_start(demo: DemoDatabase, workdir: Path, **env: str) -> list[str]:
    """`daman serve` that must stop at once: its exit code 1 and its output's lines."""
    workdir.mkdir(exist_ok=True)
    args = [*DAMAN, "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    try:
        done = subprocess.run(
            args,
            env={**daman_env(demo.url, workdir), "COLUMNS": "80", **env},
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the server started (and served) instead of refusing")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]


def test_production_refuses_to_start_while_demo_accounts_keep_their_password(
    demo: DemoDatabase,
):
    lines = refused_start(demo, demo.tmp / "refused", **PRODUCTION)
    assert len(lines) == 1, lines
    assert "demo_accounts_open" in lines[0] and "daman users disable" in lines[0]
    for username in DEMO_USERNAMES:
        assert username in lines[0]


def test_production_refuses_a_short_secret_key(demo: DemoDatabase):
    env = {**PRODUCTION, "DAMAN_SECRET_KEY": "too-short-a-secret"}
    lines = refused_start(demo, demo.tmp / "short-secret", **env)
    assert len(lines) == 1, lines
    assert "DAMAN_SECRET_KEY must be at least 32 bytes" in lines[0]


def test_production_starts_once_every_demo_account_is_closed(demo: DemoDatabase):
    """Disable the demo accounts (or give them real passwords): production then serves,
    the demo password opens nothing, and the API docs need a sign-in."""
    engine = make_engine(demo.url)
    try:
        with Session(engine) as session:
            admin = get_user(session, "admin")
            refused = change_password(session, admin, DEMO_PASSWORD, NEW_PASSWORD, "cli:t", None)
            assert refused is None
            for username in DEMO_USERNAMES:
                if username != "admin":
                    disable_user(session, username, "cli:test")
            session.commit()
    finally:
        engine.dispose()
    workdir = demo.tmp / "production"
    workdir.mkdir(exist_ok=True)
    server = Server(demo.url, workdir, **PRODUCTION).start()
    try:
        with server.client() as c:
            for username in DEMO_USERNAMES:
                body = {"username": username, "password": DEMO_PASSWORD}
                assert c.post("/auth/tokens", json=body).status_code == 401, username
            assert c.get("/openapi.json").status_code == 401
            assert c.get(server.url + "/docs").status_code == 401
            assert c.get(server.url + "/redoc").status_code == 401
        token = server.token("admin", NEW_PASSWORD)
        with server.client(token) as c:
            assert c.get("/openapi.json").status_code == 200
            assert c.get(server.url + "/docs").status_code == 200
        assert server.errors_logged() == []
    finally:
        server.stop()
