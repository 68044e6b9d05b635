"""Benchmark 6: eligibility look-ups over the whole population, persons drawn at random.

Three figures: `registry.rights.check` called the way an API request calls it (a session
and its transaction per look-up: the floor); the service behind the route as a member of
staff calls it, in a transaction that commits (the check, the read logged and chained in
the audit trail, the commit); and the HTTP round trip of GET /api/v1/eligibility on
loopback, one request after another (latency, not throughput).
"""

from __future__ import annotations

import random
from datetime import date
from time import perf_counter

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.database import BenchDatabase
from benchmarks.report import Result, Target, percentiles
from daman.auth.access import Principal
from daman.auth.models import Role
from daman.registry import service
from daman.registry.models import Person
from daman.registry.rights import check

TARGET_P99_MS = 5.0
WARM_UP = 50


def sample(db: BenchDatabase, count: int, seed: int) -> list[str]:
    """Immatriculations of `count` persons drawn uniformly (with repeats) from all."""
    with Session(db.bound) as session:
        low, high = session.execute(select(func.min(Person.id), func.max(Person.id))).one()
        rng = random.Random(f"{seed}:eligibility")
        ids = [rng.randint(low, high) for _ in range(count)]
        found = dict(
            session.execute(
                select(Person.id, Person.immatriculation).where(Person.id.in_(set(ids)))
            ).all()
        )
    return [found[i] for i in ids if i in found]


def direct(db: BenchDatabase, people: list[str], day: date) -> tuple[list[float], int]:
    covered = 0
    for person in people[:WARM_UP]:
        with Session(db.bound) as session:
            check(session, person, day)
    times = []
    for person in people:
        started = perf_counter()
        with Session(db.bound) as session:
            covered += check(session, person, day).covered
        times.append(perf_counter() - started)
    return times, covered


def logged(db: BenchDatabase, people: list[str], day: date) -> list[float]:
    """`registry.service.eligibility` for a member of staff, one committed transaction each."""
    who = Principal(actor="agent:bench", role=Role.AGENT, user_id=0, username="bench")
    times = []
    for i, person in enumerate([*people[:WARM_UP], *people]):
        started = perf_counter()
        with Session(db.bound) as session, session.begin():
            service.eligibility(session, person, day, who)
        if i >= WARM_UP:
            times.append(perf_counter() - started)
    return times


def over_http(
    base: str, people: list[str], day: date, headers: dict[str, str] | None = None
) -> tuple[list[float], int]:
    errors = 0
    times = []
    with httpx.Client(base_url=base, timeout=10.0, headers=headers or {}) as client:
        for person in people[:WARM_UP]:
            client.get("/api/v1/eligibility", params={"person": person, "date": day.isoformat()})
        for person in people:
            started = perf_counter()
            response = client.get(
                "/api/v1/eligibility", params={"person": person, "date": day.isoformat()}
            )
            times.append(perf_counter() - started)
            errors += response.status_code != 200
    return times, errors


def run(
    db: BenchDatabase,
    *,
    persons: int,
    lookups: int,
    day: date,
    seed: int,
    api: str | None,
    headers: dict[str, str] | None = None,
) -> Result:
    started = perf_counter()
    people = sample(db, lookups, seed)
    times, covered = direct(db, people, day)
    figures: dict[str, object] = {
        "check": percentiles(times),
        "check_per_second": round(len(times) / sum(times)),
        "covered_share": round(covered / len(people), 3),
    }
    targets = [Target("check_p99_ms", TARGET_P99_MS)]
    figures["check_p99_ms"] = figures["check"]["p99_ms"]  # type: ignore[index]
    figures["logged"] = percentiles(logged(db, people, day))
    if api is not None:
        http_times, errors = over_http(api, people, day, headers)
        figures["http"] = percentiles(http_times)
        figures["http_p99_ms"] = figures["http"]["p99_ms"]  # type: ignore[index]
        figures["http_errors"] = errors
        targets.append(Target("http_p99_ms", TARGET_P99_MS))
    return Result(
        name="eligibility",
        sizes={"persons": persons, "lookups": len(people), "date": day.isoformat()},
        figures=figures,
        targets=targets,
        seconds=perf_counter() - started,
    )
