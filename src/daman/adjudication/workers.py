"""Batch valuation shared by any number of worker processes, on any number of machines.

The received claims are cut into chunks by patient (`plan`: a patient's claims all fall in
one chunk, so each chunk sees the patient's whole day and HISTORY holds every earlier
decision). Each chunk is a row of adjudication_chunks. A worker (`work`) takes the first
open chunk no one holds with FOR UPDATE SKIP LOCKED, values its claims and marks it done
in the same transaction. A worker that dies mid-chunk holds no lock any more once
PostgreSQL sees its connection close: its transaction rolls back and the chunk is open
again for the others, so no chunk is lost and none is valued twice. A worker leaves when
no chunk is open, and waits while open chunks are all held, in case their worker dies.

`daman adjudicate --workers N` runs the same thing on every machine: the first to start
plans the batch (under an advisory lock), the others find it open and join it.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from daman.adjudication import repository as repo
from daman.adjudication.service import Valued, value
from daman.core.dates import now
from daman.core.db import make_engine
from daman.core.errors import ValidationFailed

POLL_SECONDS = 0.5
Progress = Callable[[int, int], None]  # (claims in chunks done, claims planned)


@dataclass
class WorkersReport:
    batch: int = 0  # the batch planned or joined (0: nothing to value)
    chunks: int = 0  # chunks this run valued
    valued: Valued = field(default_factory=Valued)
    failed_workers: int = 0  # worker processes that died; the others did their chunks

    @property
    def claims(self) -> int:
        return self.valued.claims


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def plan(engine: Engine, chunk_size: int, actor: str) -> tuple[int, bool]:
    """Plan a batch of every received claim, unless one is open: (its number, planned)."""
    with Session(engine) as session, session.begin():
        repo.lock_planning(session)
        joined = repo.open_batch(session)
        if joined is not None:
            return joined, False
        batch, chunks = repo.plan_chunks(session, chunk_size, now(), actor)
        return (batch if chunks else 0), bool(chunks)


def work(engine: Engine, actor: str, name: str | None = None) -> tuple[Valued, int]:
    """Value open chunks until none is left; what this worker valued, and in how many."""
    name = name or worker_name()
    total, chunks = Valued(), 0
    while True:
        with Session(engine) as session, session.begin():
            taken = repo.take_chunk(session)
            if taken is not None:
                chunk_id, claim_ids = taken
                ids = repo.still_received(session, claim_ids)
                valued = value(session, ids, actor) if ids else Valued()
                repo.finish_chunk(session, chunk_id, valued.claims, now(), name)
        if taken is None:
            with Session(engine) as session:
                if not repo.open_chunks(session):
                    return total, chunks
            time.sleep(POLL_SECONDS)  # every open chunk is held: wait in case one is freed
            continue
        total.add(valued)
        chunks += 1


def _as_dict(valued: Valued, chunks: int) -> dict[str, Any]:
    return {
        "claims": valued.claims,
        "lines": valued.lines,
        "claim_statuses": dict(valued.claim_statuses),
        "line_statuses": dict(valued.line_statuses),
        "chunks": chunks,
    }


def _process(url: str, actor: str, results: multiprocessing.Queue[dict[str, Any]]) -> None:
    """A worker process: its own engine and connection, named after host and pid."""
    name = worker_name()
    engine = make_engine(url, connect_args={"application_name": f"daman-worker {name}"})
    try:
        valued, chunks = work(engine, actor, name)
    finally:
        engine.dispose()
    results.put(_as_dict(valued, chunks))


def run_workers(
    url: str,
    workers: int,
    chunk_size: int = 10_000,
    actor: str = "batch",
    progress: Progress | None = None,
) -> WorkersReport:
    """Plan (or join) the open batch and value it with `workers` processes on this machine."""
    if workers < 1:
        raise ValidationFailed.one("workers", "must be at least 1")
    if chunk_size < 1:
        raise ValidationFailed.one("chunk_size", "must be at least 1")
    engine = make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            raise ValidationFailed.one(
                "workers", "workers share chunks through PostgreSQL row locks: use PostgreSQL"
            )
        batch, _ = plan(engine, chunk_size, actor)
        report = WorkersReport(batch=batch)
        if not batch:
            return report
        context = multiprocessing.get_context("spawn")
        results: multiprocessing.Queue[dict[str, Any]] = context.Queue()
        processes = [
            context.Process(target=_process, args=(url, actor, results), daemon=True)
            for _ in range(workers)
        ]
        for process in processes:
            process.start()
        running = list(processes)
        while running:
            _collect(results, report)
            running = [p for p in running if p.is_alive()]
            if progress:
                with Session(engine) as session:
                    planned, done = repo.batch_progress(session, batch)
                progress(done, planned)
            time.sleep(POLL_SECONDS)
        for process in processes:
            process.join()
        _collect(results, report)
        report.failed_workers = sum(p.exitcode != 0 for p in processes)
        with Session(engine) as session:
            if repo.open_chunks(session):
                raise RuntimeError(
                    f"every worker stopped with chunks of batch {batch} still open "
                    "(run `daman adjudicate --workers N` again to finish them)"
                )
        return report
    finally:
        engine.dispose()


def _collect(results: multiprocessing.Queue[dict[str, Any]], report: WorkersReport) -> None:
    while True:
        try:
            got = results.get_nowait()
        except queue.Empty:
            return
        report.chunks += got["chunks"]
        report.valued.add(
            Valued(
                claims=got["claims"],
                lines=got["lines"],
                claim_statuses=Counter(got["claim_statuses"]),
                line_statuses=Counter(got["line_statuses"]),
            )
        )
