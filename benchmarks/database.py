"""The benchmark's own PostgreSQL database: created, migrated, seeded, filled with synthetic
data by daman.synth, and dropped at the end.

The server comes from DAMAN_BENCH_DATABASE_URL (a URL of any database on it, used to
create and drop `daman_bench_<pid>`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from daman.claims.models import Claim, ClaimStatus
from daman.core.db import make_engine
from daman.core.migrate import upgrade
from daman.reference.seed import load_defaults
from daman.synth.claims import ClaimsResult, generate_claims
from daman.synth.service import SynthResult, generate

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVER_SETTINGS = (
    "shared_buffers",
    "work_mem",
    "max_wal_size",
    "synchronous_commit",
    "autovacuum",
    "max_parallel_workers_per_gather",
)


def psycopg_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def server_url() -> str:
    return psycopg_url(os.environ.get("DAMAN_BENCH_DATABASE_URL", DEFAULT_SERVER))


@dataclass
class BenchDatabase:
    """A scratch database on the benchmark server; use as a context manager."""

    server: str = field(default_factory=server_url)
    name: str = field(default_factory=lambda: f"daman_bench_{os.getpid()}")
    engine: Engine | None = None

    @property
    def url(self) -> str:
        return make_url(self.server).set(database=self.name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(sql))
        finally:
            admin.dispose()

    def create(self) -> BenchDatabase:
        """An empty database, migrated and seeded with the default reference data."""
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.engine = make_engine(self.url)
        upgrade(self.engine)
        with Session(self.engine) as session, session.begin():
            load_defaults(session)
        return self

    def drop(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def __enter__(self) -> BenchDatabase:
        return self.create()

    def __exit__(self, *_: object) -> None:
        self.drop()

    @property
    def bound(self) -> Engine:
        assert self.engine is not None, "create() the database first"
        return self.engine

    def populate(self, persons: int, seed: int, as_of: date) -> SynthResult:
        """A synthetic population (and its providers), committed and analysed."""
        with Session(self.bound) as session, session.begin():
            result = generate(session, persons=persons, seed=seed, as_of=as_of)
        self.analyze()
        return result

    def add_claims(self, per_day: int, seed: int, until: date, days: int = 1) -> ClaimsResult:
        """`per_day` received claims on each of `days` days ending on `until`, analysed."""
        with Session(self.bound) as session, session.begin():
            result = generate_claims(session, per_day=per_day, days=days, seed=seed, until=until)
        self.analyze()
        return result

    def add_history(self, claims: int, seed: int, until: date, days: int = 365) -> int:
        """A year of earlier claims for the population (`claims` in all, spread over the
        `days` days ending on `until`), settled as the engine accepts a plain claim: each
        line accepted at what was charged, each claim adjudicated. What the engine reads as
        history (ceilings, duplicates, authorisations used); how they were valued is not
        what is measured, so they are settled by two statements, not by the engine."""
        if claims <= 0:
            return 0
        per_day = max(1, claims // days)
        first = self.last_claim_id()
        made = self.add_claims(per_day, seed, until, days)
        with self.bound.begin() as conn:
            conn.execute(
                text(
                    "UPDATE claim_lines SET status = 'accepted', reference_centimes ="
                    " charged_centimes, base_centimes = charged_centimes, rate_bp = 7000,"
                    " amo_centimes = charged_centimes * 7 / 10, complementary_centimes = 0,"
                    " patient_centimes = charged_centimes - charged_centimes * 7 / 10,"
                    " allowed_quantity = quantity, reasons = '[\"ok\"]', decided_at = now(),"
                    " decided_by = 'history' WHERE claim_id > :first"
                ),
                {"first": first},
            )
            conn.execute(
                text(
                    "UPDATE claims SET status = 'adjudicated', outcome = 'accepted',"
                    " base_centimes = charged_centimes, amo_centimes = charged_centimes * 7 / 10,"
                    " patient_centimes = charged_centimes - charged_centimes * 7 / 10,"
                    " adjudicated_at = now() WHERE id > :first AND status = 'received'"
                ),
                {"first": first},
            )
        self.analyze()
        return made.claims

    def last_claim_id(self) -> int:
        with Session(self.bound) as session:
            return session.scalar(select(func.max(Claim.id))) or 0

    def analyze(self) -> None:
        """Fresh planner statistics after a bulk load (as a fund does after one)."""
        with self.bound.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))

    def received(self) -> int:
        with Session(self.bound) as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(Claim)
                    .where(Claim.status == ClaimStatus.RECEIVED)
                )
                or 0
            )

    def describe(self) -> dict[str, Any]:
        """The server: version and the settings that move the figures."""
        with self.bound.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
            settings = {s: conn.execute(text(f"SHOW {s}")).scalar() for s in SERVER_SETTINGS}
        url = make_url(self.url)
        return {
            "backend": "postgresql",
            "server_version": version,
            "host": url.host,
            "name": self.name,
            "settings": settings,
        }
