"""`daman adjudicate --workers N`: chunks by patient shared by worker processes through
PostgreSQL row locks; a worker killed mid-chunk loses nothing and doubles nothing."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from daman.adjudication import workers
from daman.adjudication.models import AdjudicationChunk
from daman.claims.models import Claim, ClaimLine, ClaimStatusEvent, LineDecision
from daman.cli import app
from daman.core import db as core_db
from daman.core.db import make_engine
from daman.core.errors import ValidationFailed
from daman.synth.claims import generate_claims
from daman.synth.service import generate

DAY = date(2026, 6, 15)
LOCK_TIMEOUT = 120.0


@pytest.fixture
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("workers share chunks through PostgreSQL row locks (SKIP LOCKED)")
    return database_url


def seed(url: str, persons: int = 300, claims: int = 240) -> None:
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        generate(session, persons=persons, seed=7, as_of=DAY)
        generate_claims(session, per_day=claims, seed=7, until=DAY)
    engine.dispose()


def census(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with Session(engine) as s:
        lines = s.scalar(select(func.count()).select_from(ClaimLine)) or 0
        per_line = select(LineDecision.line_id, func.count().label("n")).where(
            LineDecision.source == "engine"
        )
        per_line = per_line.group_by(LineDecision.line_id).subquery()
        per_claim = (
            select(ClaimStatusEvent.claim_id, func.count().label("n"))
            .where(ClaimStatusEvent.from_status == "received")
            .group_by(ClaimStatusEvent.claim_id)
            .subquery()
        )
        out = {
            "claims": s.scalar(select(func.count()).select_from(Claim)) or 0,
            "received": s.scalar(select(func.count()).where(Claim.status == "received")) or 0,
            "lines": lines,
            "lines_decided": s.scalar(select(func.count()).select_from(per_line)) or 0,
            "most_decisions_per_line": s.scalar(select(func.max(per_line.c.n))) or 0,
            "claims_moved": s.scalar(select(func.count()).select_from(per_claim)) or 0,
            "most_moves_per_claim": s.scalar(select(func.max(per_claim.c.n))) or 0,
            "open_chunks": s.scalar(select(func.count()).where(AdjudicationChunk.done_at.is_(None)))
            or 0,
        }
    engine.dispose()
    return out


def holds_a_chunk(url: str, pid: int) -> bool:
    """Whether the worker process `pid` is inside a chunk's transaction (it holds the row
    lock FOR UPDATE takes, seen as a RowShareLock on the table)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        held = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE a.application_name LIKE :name AND l.granted "
                "AND l.relation = 'adjudication_chunks'::regclass AND l.mode = 'RowShareLock'"
            ),
            {"name": f"daman-worker %:{pid}"},
        ).scalar()
    engine.dispose()
    return bool(held)


def test_chunks_keep_each_patients_claims_together(pg_url):
    seed(pg_url)
    engine = make_engine(pg_url)
    batch, planned = workers.plan(engine, chunk_size=25, actor="test")
    assert planned and batch == 1
    assert workers.plan(engine, chunk_size=25, actor="other") == (1, False)  # joins it
    with Session(engine) as s:
        chunks = [list(ids) for ids in s.scalars(select(AdjudicationChunk.claim_ids))]
        patient = dict(s.execute(select(Claim.id, Claim.patient_id)).all())
        received = set(s.scalars(select(Claim.id).where(Claim.status == "received")))
    engine.dispose()
    assert sorted(i for ids in chunks for i in ids) == sorted(received)
    owners = [{patient[i] for i in ids} for ids in chunks]
    assert all(a.isdisjoint(b) for n, a in enumerate(owners) for b in owners[n + 1 :])
    assert len(chunks) >= 240 // 25


def test_a_worker_killed_mid_chunk_loses_nothing_and_doubles_nothing(pg_url):
    seed(pg_url)
    before = census(pg_url)
    engine = make_engine(pg_url)
    workers.plan(engine, chunk_size=10, actor="test")
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    doomed = context.Process(target=workers._process, args=(pg_url, "batch:doomed", results))
    doomed.start()
    deadline = time.monotonic() + LOCK_TIMEOUT
    assert doomed.pid is not None
    while not holds_a_chunk(pg_url, doomed.pid):
        assert doomed.is_alive() and time.monotonic() < deadline, "the worker never took a chunk"
        time.sleep(0.005)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.join()
    assert doomed.exitcode == -signal.SIGKILL
    assert census(pg_url)["open_chunks"] > 0

    report = workers.run_workers(pg_url, workers=2, chunk_size=10, actor="batch:survivors")

    after = census(pg_url)
    assert after["received"] == 0 and after["open_chunks"] == 0
    assert after["claims_moved"] == before["claims"] and after["most_moves_per_claim"] == 1
    assert after["lines_decided"] == before["lines"] and after["most_decisions_per_line"] == 1
    assert report.failed_workers == 0 and report.claims > 0


def test_cli_adjudicate_with_workers(pg_url):
    seed(pg_url, persons=200, claims=60)
    core_db.set_engine(make_engine(pg_url))
    result = CliRunner().invoke(app, ["adjudicate", "--workers", "2", "--chunk-size", "20"])
    assert result.exit_code == 0, result.output
    assert "60 claims" in result.output
    assert census(pg_url)["received"] == 0


def test_workers_refuse_sqlite(database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("the SQLite refusal")
    with pytest.raises(ValidationFailed, match="PostgreSQL"):
        workers.run_workers(database_url, workers=1)
