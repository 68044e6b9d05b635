"""Admission control: at most a fixed number of requests inside the application at once;
the others wait in the event loop, holding nothing.

Why: FastAPI runs a sync endpoint in the thread pool (40 threads), and for a sync endpoint
it also checks the response model in that pool, after the endpoint returned and before the
request's session commits. When more requests than threads arrive and they all wait on a
row lock held by one of them (the claim-number counter), that one cannot get a thread to
finish its response and release the lock: every request stalls until a connection-pool
timeout. Admitting fewer requests than there are threads and database connections keeps
threads free for the requests that hold locks, so a saturated server answers at its
capacity instead of not at all.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

# Below the database connection pool of a process (SQLAlchemy's 5 + 10 overflow) and the
# thread pool FastAPI runs sync endpoints in (40).
IN_FLIGHT = 12


class Admission:
    def __init__(self, app: ASGIApp, limit: int = IN_FLIGHT) -> None:
        self.app = app
        self.limit = limit
        self._gate: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._gate is None:  # made in the running loop
            self._gate = asyncio.Semaphore(self.limit)
        async with self._gate:
            await self.app(scope, receive, send)
