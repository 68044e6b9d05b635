"""The API served by uvicorn on loopback, in child processes, against the bench database.

`instances` single-worker uvicorn processes, each on its own port, that the load spreads
over as a load balancer would. (uvicorn's own --workers hands its processes a listening
socket created without the TCP protocol number, so asyncio does not set TCP_NODELAY on
the connections they accept, and every response waits ~40 ms for a delayed ACK.)
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from types import TracebackType
from typing import IO

import httpx
from sqlalchemy.orm import Session

import daman.models  # noqa: F401 - every table mapped, for the credential's flush
from daman.accounts.service import NewUser, create_user
from daman.auth.models import Role, TokenKind
from daman.auth.tokens import issue
from daman.core.db import make_engine

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """`with Server(url, instances=2) as api:` serves the app at api.bases until the block
    ends; only the processes it started are stopped. What they print (an overloaded server
    logs every refused request) goes to a file, not to the benchmark's output: `errors()`
    counts the tracebacks."""

    def __init__(self, database_url: str, instances: int = 2) -> None:
        self.database_url = database_url
        self.bases: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.instances = instances
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
        self.headers: dict[str, str] = {}  # a credential every request sends

    @property
    def base(self) -> str:
        return self.bases[0]

    def tail(self, size: int = 2000) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def errors(self) -> int:
        """Tracebacks the servers have logged so far."""
        self.log.flush()
        self.log.seek(0)
        return sum(line.startswith(b"Traceback") for line in self.log)

    def _start(self, port: int) -> subprocess.Popen[bytes]:
        env = os.environ | {"DAMAN_DATABASE_URL": self.database_url}
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "daman.app:create_app",
            "--factory",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        return subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def credential(self) -> dict[str, str]:
        """An agent's bearer token, made in the database once (the API needs a credential;
        an agent may submit any care sheet and check anyone's rights)."""
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session, session.begin():
                name = f"bench-{os.getpid()}-{time.monotonic_ns()}"
                user = create_user(
                    session, NewUser(name, Role.AGENT, secrets.token_urlsafe(24)), actor="bench"
                )
                token = issue(session, TokenKind.BEARER, "bench", user=user).token
        finally:
            engine.dispose()
        return {"Authorization": f"Bearer {token}"}

    def __enter__(self) -> Server:
        self.headers = self.credential()
        for _ in range(self.instances):
            port = free_port()
            self.processes.append(self._start(port))
            self.bases.append(f"http://{HOST}:{port}")
        deadline = time.monotonic() + START_TIMEOUT
        waiting = list(zip(self.processes, self.bases, strict=True))
        while waiting and time.monotonic() < deadline:
            process, base = waiting[0]
            if process.poll() is not None:
                self.stop()
                raise RuntimeError(f"an API server exited ({process.returncode}): {self.tail()}")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1.0).status_code == 200:
                    waiting.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        if waiting:
            self.stop()
            raise RuntimeError(f"the API server did not answer within {START_TIMEOUT:.0f} s")
        return self

    def stop(self) -> None:
        processes, self.processes = self.processes, []
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # its own session: this server only
                process.wait()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
        self.log.close()
