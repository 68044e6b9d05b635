"""Sign-in defences through the real served app (uvicorn in a subprocess, the demo
accounts), on SQLite and PostgreSQL: the lockout under parallel guesses, the per-address
throttle behind no proxy and behind a trusted one, the body cap on a chunked upload."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine

from daman.auth.models import User
from tests.served import DEMO_PASSWORD, DemoDatabase, Server, demo_database, serving

PARALLEL = 15
REFUSED = {"error": "login_refused", "detail": "wrong username or password"}


@pytest.fixture(scope="module")
def demo(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDatabase]:
    with demo_database(engine.dialect.name, tmp_path_factory.mktemp("defences")) as database:
        yield database


@pytest.fixture(scope="module")
def wide(demo: DemoDatabase) -> Iterator[Server]:
    """Sign-in throttling opened wide (one address sends every guess), small bodies."""
    with serving(demo, "wide", DAMAN_SIGN_IN_LIMIT="100000", DAMAN_MAX_REQUEST_BYTES="4096") as s:
        yield s


def locked_until(server: Server, username: str) -> object:
    eng = create_engine(server.database_url)
    try:
        with eng.connect() as conn:
            return conn.scalar(select(User.locked_until).where(User.username == username))
    finally:
        eng.dispose()


def sign_in(client: httpx.Client, username: str, password: str, **headers: str) -> httpx.Response:
    body = {"username": username, "password": password}
    return client.post("/auth/tokens", json=body, headers=headers)


def test_parallel_wrong_passwords_lock_the_account(wide: Server):
    """15 wrong passwords sent at once: every one answered 401 (no 5xx), every failure
    counted in the database, and the account ends locked."""
    start = threading.Barrier(PARALLEL)

    def guess(i: int) -> int:
        with wide.client() as c:
            c.get("/health")  # connected before the barrier: the guesses leave together
            start.wait(timeout=30)
            return sign_in(c, "controller", f"wrong guess {i}").status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = Counter(pool.map(guess, range(PARALLEL)))
    assert statuses == {401: PARALLEL}
    assert locked_until(wide, "controller") is not None
    with wide.client() as c:
        right = sign_in(c, "controller", DEMO_PASSWORD)  # locked: refused, and not told so
        assert (right.status_code, right.json()) == (401, REFUSED)
    assert wide.errors_logged() == []


def test_a_chunked_body_over_the_limit_is_413(wide: Server):
    """A body without Content-Length (Transfer-Encoding: chunked) past
    DAMAN_MAX_REQUEST_BYTES: 413, whether the app reads it as JSON or not."""

    def chunks() -> Iterator[bytes]:
        for _ in range(16):
            yield b" " * 1024

    for kind in ("application/json", "application/octet-stream"):
        with wide.client() as c:
            r = c.post("/auth/tokens", content=chunks(), headers={"content-type": kind})
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert (r.status_code, r.json()["error"]) == (413, "request_too_large"), (kind, r.text)
    with wide.client() as c:  # the server still answers
        assert c.get("/health").status_code == 200
    assert wide.errors_logged() == []


def test_forwarded_for_from_an_untrusted_peer_does_not_escape_the_throttle(demo: DemoDatabase):
    """No trusted proxy (the default): X-Forwarded-For is ignored, the limit holds for the
    connecting address however the header rotates, and the 429 says when to come back."""
    with serving(demo, "untrusted", DAMAN_SIGN_IN_LIMIT="3") as server, server.client() as c:
        answers = [
            sign_in(c, "nobody-here", "wrong guess", **{"X-Forwarded-For": f"198.51.100.{i}"})
            for i in range(1, 7)
        ]
    assert [r.status_code for r in answers] == [401, 401, 401, 429, 429, 429]
    assert answers[3].json()["error"] == "too_many_attempts"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 300


def test_a_trusted_proxy_forwards_each_clients_address(demo: DemoDatabase):
    """DAMAN_TRUSTED_PROXIES names the proxy: its X-Forwarded-For is the client's address,
    and each client is counted on its own."""
    env = {"DAMAN_SIGN_IN_LIMIT": "3", "DAMAN_TRUSTED_PROXIES": "127.0.0.1"}
    with serving(demo, "trusted", **env) as server, server.client() as c:
        rotating = [
            sign_in(c, "nobody-here", "wrong guess", **{"X-Forwarded-For": f"198.51.100.{i}"})
            for i in range(1, 7)
        ]
        one = [
            sign_in(c, "nobody-here", "wrong guess", **{"X-Forwarded-For": "203.0.113.9"})
            for _ in range(4)
        ]
    assert [r.status_code for r in rotating] == [401] * 6
    assert [r.status_code for r in one] == [401, 401, 401, 429]
