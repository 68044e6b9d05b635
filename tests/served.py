"""The real app, served by uvicorn in a subprocess on a free loopback port, with its own
database: for tests that must see what a user sees (answers sent before the commit, locks
between concurrent requests), which the in-process test client cannot.

``Server(database_url, workdir).start()`` serves it; ``kill()`` is a SIGKILL (a crash),
``start()`` again is a restart on the same database. ``demo_database`` makes a migrated
database with the reference data, the demo population and the demo accounts.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import drop_database, migrated_engine

API = "/api/v1"
DAMAN = [sys.executable, "-c", "from daman.cli import main; main()"]  # the command line
DEMO_PASSWORD = "daman-demo-2026"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def daman_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DAMAN_DATABASE_URL": database_url,
        "DAMAN_DATA_DIR": str(workdir / "var"),
        "DAMAN_ENVIRONMENT": "development",
        **extra,
    }


def daman(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `daman` command line in another process; fail the test if it fails."""
    done = subprocess.run(
        [*DAMAN, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"daman {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


class Server:
    """`daman serve` in a subprocess; its output goes to `workdir/server-N.log`."""

    def __init__(self, database_url: str, workdir: Path, **env: str) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.env = daman_env(database_url, workdir, **env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, guard_seconds: float = 60) -> Server:
        self.starts += 1
        self.log = self.workdir / f"server-{self.starts}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*DAMAN, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + guard_seconds
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"the server stopped at start:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}{API}/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the server never answered:\n{self.log_tail()}"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the process dies at once, as in a crash or an OOM kill."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def errors_logged(self) -> list[str]:
        """Tracebacks and error lines the server wrote (an answered 201 hides nothing here)."""
        text = self.log.read_text(errors="replace")
        return [line for line in text.splitlines() if "Traceback" in line or "ERROR" in line]

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """A keep-alive HTTP client on the served API, signed in with `token` if given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url + API, headers=headers, timeout=60, **kwargs)

    @contextmanager
    def pages(self, username: str, password: str = DEMO_PASSWORD) -> Iterator[httpx.Client]:
        """An HTTP client on the served pages, signed in as `username` through the sign-in
        form as a person is (its cookie kept)."""
        with httpx.Client(base_url=self.url, timeout=60) as browser:
            form = browser.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None, form[:500]
            signed = browser.post(
                "/login",
                data={"username": username, "password": password, "csrf_token": token.group(1)},
            )
            assert signed.status_code in (200, 303), signed.text[:500]
            yield browser

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        with self.client() as c:
            r = c.post("/auth/tokens", json={"username": username, "password": password})
            assert r.status_code == 201, r.text
            token: str = r.json()["token"]
            return token


class DemoDatabase:
    """A migrated database of the backend with the reference data and the demo loaded."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.name = f"daman_srv_{uuid.uuid4().hex[:10]}"
        self.backend = backend
        self.tmp = tmp
        engine = migrated_engine(backend, tmp, self.name)
        self.url = engine.url.render_as_string(hide_password=False)
        engine.dispose()
        daman(daman_env(self.url, tmp), tmp, "demo")

    def drop(self) -> None:
        if self.backend == "postgresql":
            drop_database(self.name)


@contextmanager
def demo_database(backend: str, tmp: Path) -> Iterator[DemoDatabase]:
    """A demo database of the backend for the block, dropped after it."""
    database = DemoDatabase(backend, tmp)
    try:
        yield database
    finally:
        database.drop()


@contextmanager
def serving(database: DemoDatabase, name: str, **env: str) -> Iterator[Server]:
    """The app served on `database` for the block, from its own work directory."""
    workdir = database.tmp / name
    workdir.mkdir(exist_ok=True)
    server = Server(database.url, workdir, **env).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def served_demo(backend: str, tmp: Path, **env: str) -> Iterator[Server]:
    """A fresh demo database, served for the block (a module fixture's body)."""
    with demo_database(backend, tmp) as database, serving(database, "server", **env) as server:
        yield server
