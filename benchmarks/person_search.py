"""Benchmark 8: finding a person as an agent types, over the whole population.

`registry.service.find_persons` (what /office/persons calls for each keystroke pause) with
queries made from persons drawn at random, the way an agent types them: an immatriculation
or a CNIE in full, the start of the last name and of the first name in Latin script, the
Arabic last name typed with a hamza on its alef or an alef maqsura for its final ya, three
letters of a last name (many matches), and two letters (the shortest search). Each query in
a session of its own, like a request. On PostgreSQL (the benchmark database, with its
trigram index) and, with ``sqlite=True``, on a SQLite file of the same population.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from time import perf_counter

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from benchmarks.database import BenchDatabase
from benchmarks.report import Result, Target, percentiles
from daman.core.db import make_engine
from daman.core.migrate import upgrade
from daman.reference.seed import load_defaults
from daman.registry.models import Person
from daman.registry.service import find_persons
from daman.synth.service import generate

TARGET_P90_MS = 100.0  # well inside the 250 ms pause before a search as one types
LIMIT = 21  # the page shows 20, and asks one more to know there are more
WARM_UP = 20


def _hamza(text: str) -> str:
    """The Arabic name as someone may type it: أ for its first alef, ى for a final ي."""
    text = text.replace("ا", "أ", 1)
    return text[:-1] + "ى" if text.endswith("ي") else text


KINDS: dict[str, Callable[[Person], str | None]] = {
    "immatriculation": lambda p: p.immatriculation,
    "cnie": lambda p: p.cnie,
    "latin_name": lambda p: f"{p.last_name[:5]} {p.first_name[:3]}".lower(),
    "arabic_name_hamza": lambda p: _hamza(p.last_name_ar or "") or None,
    "three_letters": lambda p: p.last_name[:3].lower(),
    "two_letters": lambda p: p.last_name[:2].lower(),
}


def queries(engine: Engine, count: int, seed: int) -> dict[str, list[str]]:
    """For each kind, `count` queries made from persons drawn at random."""
    with Session(engine) as session:
        low, high = session.execute(select(func.min(Person.id), func.max(Person.id))).one()
        rng = random.Random(f"{seed}:search")
        ids = {rng.randint(low, high) for _ in range(count * 2)}
        persons = list(session.scalars(select(Person).where(Person.id.in_(ids))))[:count]
        return {kind: [q for p in persons if (q := make(p))] for kind, make in KINDS.items()}


def measure(engine: Engine, typed: dict[str, list[str]]) -> dict[str, object]:
    figures: dict[str, object] = {}
    for kind, texts in typed.items():
        for q in texts[:WARM_UP]:
            with Session(engine) as session:
                find_persons(session, q, LIMIT)
        times, found = [], 0
        for q in texts:
            started = perf_counter()
            with Session(engine) as session:
                found += bool(find_persons(session, q, LIMIT))
            times.append(perf_counter() - started)
        figures[kind] = {**percentiles(times), "found_share": round(found / len(texts), 3)}
    return figures


def _sqlite(persons: int, seed: int, day: date, typed: dict[str, list[str]]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'search.db'}")
        try:
            upgrade(engine)
            with Session(engine) as session, session.begin():
                load_defaults(session)
                generate(session, persons=persons, seed=seed, as_of=day)
            return measure(engine, typed)
        finally:
            engine.dispose()


def run(
    db: BenchDatabase, *, persons: int, count: int, day: date, seed: int, sqlite: bool
) -> Result:
    started = perf_counter()
    typed = queries(db.bound, count, seed)
    figures: dict[str, object] = {"postgresql": measure(db.bound, typed)}
    worst = max(v["p90_ms"] for v in figures["postgresql"].values())  # type: ignore[attr-defined]
    figures["postgresql_worst_p90_ms"] = worst
    if sqlite:  # the same persons: synth is deterministic for a seed
        figures["sqlite"] = _sqlite(persons, seed, day, typed)
    return Result(
        name="search",
        sizes={"persons": persons, "queries_per_kind": count},
        figures=figures,
        targets=[Target("postgresql_worst_p90_ms", TARGET_P90_MS)],
        seconds=perf_counter() - started,
    )
