"""Admission control: no more requests inside the application than the limit; the others
wait their turn and are all answered."""

from __future__ import annotations

import asyncio

from daman.core.admission import Admission


def test_requests_beyond_the_limit_wait_their_turn():
    inside = 0
    most = 0

    async def app(scope, receive, send):
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gated = Admission(app, limit=3)
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    async def main():
        await asyncio.gather(*(gated({"type": "http"}, receive, send) for _ in range(20)))

    asyncio.run(main())
    assert most == 3
    assert sum(m["type"] == "http.response.start" for m in sent) == 20


def test_lifespan_passes_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(Admission(app, limit=1)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]
