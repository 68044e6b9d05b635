"""Benchmark: the pharmacy counter's answer, who pays what for the boxes scanned.

A pharmacy scans a prescription and each box; the counter (its page or its software)
asks ``POST /api/v1/prescriptions/{number}/valuation`` with the boxes' EANs and shows,
line by line, what AMO and the mutual pay and what the patient pays, within 2 seconds (the
counter's page calls the same ``daman.counter.pharmacy.value``). The set-up writes
``requests`` prescriptions of 1 to 3 medicines of the list in force (1 to 3 boxes each) by
a generated GP for patients drawn at random from the population (its year of history
claims is what the engine reads), and gives a generated pharmacy an API key. Then, over
HTTP on loopback against the served app, each prescription is valued once with every box
it prescribes: one request after another (a counter's latency), then the same requests
from CLIENTS counters at once spread over the API processes (latency when counters share
the servers). Nothing is written by a valuation.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import date
from time import perf_counter

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.database import BenchDatabase
from benchmarks.report import Result, Target, percentiles
from daman.auth.access import Principal
from daman.auth.models import Role, TokenKind
from daman.auth.tokens import issue
from daman.core.enums import ProviderKind
from daman.core.errors import ValidationFailed
from daman.prescriptions import service as prescriptions
from daman.prescriptions.schemas import PrescriptionIn, PrescriptionLineIn
from daman.providers.models import Provider
from daman.reference import repository as reference
from daman.reference.models import Drug
from daman.registry.models import Person
from daman.synth.providers import GENERAL_PRACTICE

TARGET_P99_MS = 2000.0  # the counter's answer within 2 seconds
CLIENTS = 8  # counters asking at once
WARM_UP = 20
PATH = "/api/v1/prescriptions/{number}/valuation"


def _first(session: Session, kind: ProviderKind, specialty: str | None = None) -> Provider:
    query = select(Provider).where(Provider.kind == kind)
    if specialty is not None:
        query = query.where(Provider.specialty == specialty)
    found = session.scalars(query.order_by(Provider.id).limit(1)).first()
    if found is None:
        raise RuntimeError(f"the population has no {kind} provider")
    return found


def prepare(
    db: BenchDatabase, count: int, day: date, seed: int
) -> tuple[list[tuple[str, list[str]]], str, dict[str, object]]:
    """``count`` prescriptions (number, the EAN of every box it prescribes), a pharmacy's
    API key and what was set up."""
    rng = random.Random(f"{seed}:counter")
    with Session(db.bound) as session, session.begin():
        doctor = _first(session, ProviderKind.DOCTOR, GENERAL_PRACTICE)
        pharmacy = _first(session, ProviderKind.PHARMACY)
        listed = [  # on the list today, with a public price (not a hospital product)
            d.code
            for d in session.scalars(select(Drug).order_by(Drug.code))
            if (price := reference.price_at(session, d.id, day)) is not None
            and price.ppv_centimes > 0
        ]
        if not listed:
            raise RuntimeError("no medicine on the list in force: load the reference data")
        low, high = session.execute(select(func.min(Person.id), func.max(Person.id))).one()
        writer = Principal(
            actor=f"provider:{doctor.inpe}", role=Role.PROVIDER, provider_id=doctor.id
        )
        written: list[tuple[str, list[str]]] = []
        refused = 0
        while len(written) < count and refused <= count:
            person = session.get(Person, rng.randint(low, high))
            if person is None:
                continue
            lines = [
                PrescriptionLineIn(
                    drug_code=code,
                    dosage="1 comprimé matin et soir",
                    duration_days=30,
                    boxes=rng.randint(1, 3),
                )
                for code in rng.sample(listed, rng.randint(1, min(3, len(listed))))
            ]
            draft = PrescriptionIn(patient=person.immatriculation, lines=lines)
            try:
                with session.begin_nested():
                    row = prescriptions.write(session, draft, writer, on=day)
            except ValidationFailed:  # a person recorded as deceased
                refused += 1
                continue
            boxes = [ln.drug_code for ln in lines for _ in range(ln.boxes)]
            written.append((row.number, boxes))
        key = issue(
            session, TokenKind.API_KEY, "bench", provider_id=pharmacy.id, label="counter bench"
        ).token
        set_up = {"pharmacy": pharmacy.inpe, "doctor": doctor.inpe, "medicines": len(listed)}
    return written, key, set_up


REFUSALS: list[str] = []  # the first answers other than 200, for the result's notes


def _value(client: httpx.Client, number: str, boxes: list[str]) -> tuple[float, int]:
    started = perf_counter()
    response = client.post(PATH.format(number=number), json={"boxes": boxes})
    elapsed = perf_counter() - started
    if response.status_code != 200 and len(REFUSALS) < 3:
        REFUSALS.append(f"{number} {boxes}: {response.status_code} {response.text[:300]}")
    return elapsed, response.status_code


def one_after_another(
    base: str, key: str, work: list[tuple[str, list[str]]]
) -> tuple[list[float], Counter[int]]:
    statuses: Counter[int] = Counter()
    times = []
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": "fr"}
    with httpx.Client(base_url=base, headers=headers, timeout=30.0) as client:
        for number, boxes in work[:WARM_UP]:
            _value(client, number, boxes)
        for number, boxes in work:
            elapsed, status = _value(client, number, boxes)
            times.append(elapsed)
            statuses[status] += 1
    return times, statuses


def counters_at_once(
    bases: list[str], key: str, work: list[tuple[str, list[str]]], clients: int
) -> tuple[list[float], Counter[int], float]:
    """The same valuations from ``clients`` counters at once, each on one API process in
    turn (every process warmed first); the latencies, the statuses and the wall time."""
    statuses: Counter[int] = Counter()
    times: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": "fr"}
    for base in bases:  # each process warm (its reference data read) before the clock
        with httpx.Client(base_url=base, headers=headers, timeout=30.0) as client:
            for number, boxes in work[:WARM_UP]:
                _value(client, number, boxes)

    def counter(n: int) -> None:
        mine = work[n::clients]
        with httpx.Client(base_url=bases[n % len(bases)], headers=headers, timeout=30.0) as client:
            start.wait()
            for number, boxes in mine:
                elapsed, status = _value(client, number, boxes)
                with lock:
                    times.append(elapsed)
                    statuses[status] += 1

    threads = [threading.Thread(target=counter, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = perf_counter()
    for t in threads:
        t.join(timeout=600)
    return times, statuses, perf_counter() - began


def run(
    db: BenchDatabase,
    *,
    persons: int,
    requests: int,
    day: date,
    seed: int,
    bases: list[str],
    clients: int = CLIENTS,
) -> Result:
    started = perf_counter()
    work, key, set_up = prepare(db, requests, day, seed)
    times, statuses = one_after_another(bases[0], key, work)
    busy, busy_statuses, wall = counters_at_once(bases, key, work, clients)
    alone = percentiles(times)
    shared = percentiles(busy)
    figures: dict[str, object] = {
        "valuation": alone,
        "p50_ms": alone["p50_ms"],
        "p99_ms": alone["p99_ms"],
        "errors": sum(n for s, n in statuses.items() if s != 200),
        "statuses": {str(s): n for s, n in sorted(statuses.items())},
        "boxes_per_request": round(sum(len(b) for _, b in work) / max(1, len(work)), 2),
        "busy": shared,
        "busy_p99_ms": shared["p99_ms"],
        "busy_per_second": round(len(busy) / wall, 1) if wall > 0 else 0.0,
        "busy_errors": sum(n for s, n in busy_statuses.items() if s != 200),
        **set_up,
    }
    return Result(
        name="counter",
        sizes={
            "persons": persons,
            "requests": len(work),
            "clients": clients,
            "api_processes": len(bases),
            "date": day.isoformat(),
        },
        figures=figures,
        targets=[Target("p99_ms", TARGET_P99_MS), Target("busy_p99_ms", TARGET_P99_MS)],
        notes=[
            "POST /api/v1/prescriptions/{number}/valuation with every box prescribed, as a "
            "pharmacy's API key; one request after another, then CLIENTS counters at once",
            *REFUSALS,
        ],
        seconds=perf_counter() - started,
    )
