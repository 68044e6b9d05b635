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

from benchmarks import floor
from benchmarks.database import BenchDatabase
from benchmarks.payloads import api_claims
from benchmarks.report import Result, Target, percentiles
from benchmarks.rusage import cpu_seconds
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


WARM_UP = 3.0  # seconds of load on fresh servers before a warm measure
TARGET_FLOOR_RATIO = 5.0  # the SQL floor's capacity over the servers', at most


def floor_run(db: BenchDatabase, *, clients: int, seconds: float, day: date, seed: int) -> Result:
    """The SQL floor (benchmarks.floor) with `clients` clients for `seconds`, on care sheets
    drawn like the real-time ones."""
    with Session(db.bound) as session:
        bodies = api_claims(session, int(seconds * 400 * clients) + 100, seed + 2, day)
    return floor.run(db, bodies, clients=clients, seconds=seconds, day=day)


def _server_cpu(api: Server) -> float:
    """CPU seconds used so far by the servers' processes (and their threads)."""
    return sum(cpu_seconds(p.pid) for p in api.processes)


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
    floor_result: Result | None = None,
) -> Result:
    """The open-loop load at `rate` for `seconds`, from fresh servers (cold: their first
    requests fill what a process keeps); then, on fresh servers again (an overloaded one
    goes on with requests its clients gave up on), WARM_UP seconds of load and the
    closed-loop capacity (warm), and its ratio to the SQL floor of the same run."""
    started = perf_counter()
    count = int(rate * seconds)
    with Session(db.bound) as session:
        bodies = api_claims(session, count, seed, day)
        more = api_claims(
            session,
            int((probe_seconds + WARM_UP) * MOST_PER_CLIENT * probe_clients),
            seed + 1,
            day,
        )
    with Server(db.url, instances) as api:
        cpu = _server_cpu(api)
        load = asyncio.run(drive(api.bases, bodies, rate, seconds, api.headers))
        cpu = _server_cpu(api) - cpu
        tracebacks = api.errors()
    figures = load.figures(rate, seconds)
    figures["state"] = "cold: fresh servers"
    figures["server_cpu_ms_per_claim"] = round(1000 * cpu / max(load.ok, 1), 2)
    figures["server_tracebacks"] = tracebacks
    notes = []
    targets = [
        Target("p99_ms", TARGET_P99_MS),
        Target("throughput", 0.98 * rate, "min"),
        Target("errors", 0),
    ]
    if probe_seconds:
        warm_up = int(WARM_UP * MOST_PER_CLIENT * probe_clients)
        with Server(db.url, instances) as api:
            asyncio.run(capacity(api.bases, more[:warm_up], probe_clients, WARM_UP, api.headers))
            cpu = _server_cpu(api)
            most = asyncio.run(
                capacity(api.bases, more[warm_up:], probe_clients, probe_seconds, api.headers)
            )
            cpu = _server_cpu(api) - cpu
        figures["capacity"] = most.figures(0.0, probe_seconds) | {
            "clients": probe_clients,
            "state": f"warm: after {WARM_UP:.0f} s of load",
            "server_cpu_ms_per_claim": round(1000 * cpu / max(most.ok, 1), 2),
        }
        notes.append(
            f"capacity with {probe_clients} clients in a closed loop: "
            f"{figures['capacity']['throughput']} claims/s, "
            f"p99 {figures['capacity']['latency']['p99_ms']} ms"
        )
        if floor_result is None:
            floor_result = floor_run(
                db, clients=probe_clients, seconds=probe_seconds, day=day, seed=seed
            )
        floor_throughput = floor_result.figures.get("throughput") or 0
        figures["floor"] = {
            k: floor_result.figures.get(k) for k in ("throughput", "p99_ms", "latency")
        }
        figures["floor_ratio"] = round(
            floor_throughput / max(figures["capacity"]["throughput"], 0.1), 1
        )
        targets.append(Target("floor_ratio", TARGET_FLOOR_RATIO))
        notes.append(
            f"SQL floor with {probe_clients} clients: {floor_throughput} claims/s; "
            f"the servers answer {figures['floor_ratio']} x fewer"
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
        targets=targets,
        notes=notes,
        seconds=perf_counter() - started,
    )
