"""Benchmark 5: claims submitted through the HTTP API at a fixed rate, each valued inside
its request, by concurrent clients on loopback.

An open-loop load: request i is due at start + i / rate whatever happened to the earlier
ones, so a slow server cannot slow the load down and hide its queue. Latency is counted
from the moment a request was due (a request that waits for a free connection waits on
the clock). The run is bounded: it sends rate x duration requests, then waits at most
DRAIN seconds for the last answers and cancels what is left (counted as errors).

Then, on fresh servers, the capacity: a closed loop of a few clients, each sending its
next claim when the last is answered, shows the most claims a second the servers value
and the latency at that rate.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from time import perf_counter
from typing import Any

import httpx
from sqlalchemy.orm import Session

from benchmarks.database import BenchDatabase
from benchmarks.payloads import api_claims
from benchmarks.report import Result, Target, percentiles
from benchmarks.server import Server

TARGET_RATE = 200.0  # claims a second
TARGET_P99_MS = 100.0
CONNECTIONS = 256  # most requests in flight at once
DRAIN = 30.0  # seconds to wait for the last answers
REQUEST_TIMEOUT = 30.0
CAPACITY_CLIENTS = 8
MOST_PER_CLIENT = 25  # claims a client may send each second of the capacity run


@dataclass
class Load:
    due: list[float] = field(default_factory=list)  # latency from the due time
    service: list[float] = field(default_factory=list)  # from the send
    statuses: Counter[str] = field(default_factory=Counter)
    lines: Counter[str] = field(default_factory=Counter)
    first: float = 0.0
    last: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses["201"]

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "201")

    def figures(self, rate: float, seconds: float) -> dict[str, Any]:
        span = (self.last - self.first) or seconds
        return {
            "target_rate": rate,
            "sent": sum(self.statuses.values()),
            "ok": self.ok,
            "errors": self.errors,
            "statuses": dict(self.statuses),
            "throughput": round(self.ok / span, 1),
            "latency": percentiles(self.due),
            "service_time": percentiles(self.service),
            "p99_ms": percentiles(self.due)["p99_ms"],
            "line_statuses": dict(self.lines),
        }


async def _one(
    client: httpx.AsyncClient, body: dict[str, Any], due: float, load: Load, gate: asyncio.Semaphore
) -> None:
    async with gate:
        sent = perf_counter()
        try:
            response = await client.post(
                "/api/v1/claims", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            )
        except httpx.HTTPError as exc:
            load.statuses[type(exc).__name__] += 1
            return
        done = perf_counter()
    load.statuses[str(response.status_code)] += 1
    if response.status_code == 201:
        load.due.append(done - due)
        load.service.append(done - sent)
        load.last = max(load.last, done)
        for line in response.json()["lines"]:
            load.lines[(line.get("decision") or {}).get("status", "none")] += 1


async def drive(
    bases: list[str],
    bodies: list[dict[str, Any]],
    rate: float,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> Load:
    """Send len(bodies) claims (at most rate x seconds) at `rate` a second, spread over the
    servers at `bases` in turn."""
    load = Load()
    count = min(len(bodies), int(rate * seconds))
    gate = asyncio.Semaphore(CONNECTIONS)
    share = max(1, CONNECTIONS // len(bases))
    limits = httpx.Limits(max_connections=share, max_keepalive_connections=share)
    clients = [
        httpx.AsyncClient(
            base_url=base, limits=limits, timeout=REQUEST_TIMEOUT, headers=headers or {}
        )
        for base in bases
    ]
    try:
        start = perf_counter() + 0.2
        load.first = start
        tasks = []
        for i in range(count):
            due = start + i / rate
            pause = due - perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            client = clients[i % len(clients)]
            tasks.append(asyncio.create_task(_one(client, bodies[i], due, load, gate)))
        _, pending = await asyncio.wait(tasks, timeout=DRAIN) if tasks else (set(), set())
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
            load.statuses["unanswered"] += len(pending)
    finally:
        for client in clients:
            await client.aclose()
    return load


async def capacity(
    bases: list[str],
    bodies: list[dict[str, Any]],
    clients: int,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> Load:
    """Closed loop: `clients` clients each send their next claim as soon as the last one
    is answered, for `seconds`: the most this server answers without a queue building."""
    load = Load()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    pool = [
        httpx.AsyncClient(
            base_url=base, limits=limits, timeout=REQUEST_TIMEOUT, headers=headers or {}
        )
        for base in bases
    ]
    gate = asyncio.Semaphore(clients)
    feed = iter(bodies)
    start = perf_counter()
    load.first = start

    async def client(k: int) -> None:
        for body in feed:
            if perf_counter() - start > seconds:
                return
            await _one(pool[k % len(pool)], body, perf_counter(), load, gate)

    try:
        await asyncio.wait_for(
            asyncio.gather(*(client(k) for k in range(clients))), seconds + DRAIN
        )
    finally:
        for c in pool:
            await c.aclose()
    return load


def run(
    db: BenchDatabase,
    *,
    instances: int,
    rate: float,
    seconds: float,
    day: date,
    seed: int,
    probe_seconds: float = 0.0,
    probe_clients: int = CAPACITY_CLIENTS,
) -> Result:
    """The open-loop load at `rate` for `seconds`; then, on fresh servers (an overloaded
    one goes on with requests its clients gave up on), the closed-loop capacity."""
    started = perf_counter()
    count = int(rate * seconds)
    with Session(db.bound) as session:
        bodies = api_claims(session, count, seed, day)
        more = api_claims(
            session, int(probe_seconds * MOST_PER_CLIENT * probe_clients), seed + 1, day
        )
    with Server(db.url, instances) as api:
        load = asyncio.run(drive(api.bases, bodies, rate, seconds, api.headers))
        tracebacks = api.errors()
    figures = load.figures(rate, seconds)
    figures["server_tracebacks"] = tracebacks
    notes = []
    if probe_seconds:
        with Server(db.url, instances) as api:
            most = asyncio.run(capacity(api.bases, more, probe_clients, probe_seconds, api.headers))
        figures["capacity"] = most.figures(0.0, probe_seconds) | {"clients": probe_clients}
        notes.append(
            f"capacity with {probe_clients} clients in a closed loop: "
            f"{figures['capacity']['throughput']} claims/s, "
            f"p99 {figures['capacity']['latency']['p99_ms']} ms"
        )
    return Result(
        name="realtime",
        sizes={
            "rate": rate,
            "seconds": seconds,
            "claims": count,
            "servers": instances,
            "connections": CONNECTIONS,
        },
        figures=figures,
        targets=[
            Target("p99_ms", TARGET_P99_MS),
            Target("throughput", 0.98 * rate, "min"),
            Target("errors", 0),
        ],
        notes=notes,
        seconds=perf_counter() - started,
    )
