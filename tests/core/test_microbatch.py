"""Requests that arrive together are done together (core.microbatch): one transaction for a
group, committed before any of its jobs returns; a job's own error is its answer only; a
group that fails is done again job by job."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from daman.core.db import make_engine
from daman.core.microbatch import Group

POISON = -1  # a job that makes its whole group fail
REFUSED = -2  # a job refused on its own


def _table(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE mb_jobs (n INTEGER PRIMARY KEY)"))
    engine.dispose()


def _stored(url: str) -> set[int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {n for (n,) in conn.execute(text("SELECT n FROM mb_jobs"))}
    engine.dispose()
    return found


class Recorder:
    def __init__(self, first_pause: float = 0.0) -> None:
        self.sizes: list[int] = []
        self.first_pause = first_pause

    def run(self, session: Session, jobs: Sequence[int]) -> list[int | BaseException]:
        self.sizes.append(len(jobs))
        if len(self.sizes) == 1:
            time.sleep(self.first_pause)  # the others arrive meanwhile
        if POISON in jobs and len(jobs) > 1:
            raise RuntimeError("the group fails")
        out: list[int | BaseException] = []
        for n in jobs:
            if n == REFUSED:
                out.append(ValueError("refused"))
                continue
            session.execute(text("INSERT INTO mb_jobs (n) VALUES (:n)"), {"n": n})
            out.append(n * 10)
        if POISON in jobs:
            raise RuntimeError("the poisoned job fails alone too")
        return out


def _submit_all(url: str, group: Group[int, int], jobs: list[int], stagger: float) -> dict:
    engine = make_engine(url)
    results: dict[int, object] = {}
    seen_on_return: dict[int, bool] = {}

    def one(n: int) -> None:
        with Session(engine) as session:
            try:
                results[n] = group.submit(session, n)
            except Exception as exc:
                results[n] = exc
        seen_on_return[n] = n in _stored(url)

    threads = []
    for n in jobs:
        thread = threading.Thread(target=one, args=(n,))
        thread.start()
        threads.append(thread)
        time.sleep(stagger)
    for thread in threads:
        thread.join(30)
    engine.dispose()
    return {"results": results, "seen": seen_on_return}


def test_jobs_that_arrive_together_run_together_and_commit_first(database_url, backend):
    if backend != "postgresql":
        pytest.skip("on SQLite a job runs alone in its request's transaction")
    _table(database_url)
    recorder = Recorder(first_pause=1.5)
    group = Group(recorder.run)
    done = _submit_all(database_url, group, [1, 2, 3, 4, 5, 6], stagger=0.02)
    assert done["results"] == {n: n * 10 for n in range(1, 7)}
    assert recorder.sizes == [1, 5]  # the first alone, the others while it ran
    assert all(done["seen"].values())  # committed before any of them returned
    assert _stored(database_url) == set(range(1, 7))


def test_a_refusal_is_one_job_s_answer_and_a_failing_group_is_done_job_by_job(
    database_url, backend
):
    if backend != "postgresql":
        pytest.skip("on SQLite a job runs alone in its request's transaction")
    _table(database_url)
    recorder = Recorder(first_pause=1.5)
    group = Group(recorder.run)
    done = _submit_all(database_url, group, [1, 2, REFUSED, 3, POISON, 4], stagger=0.02)
    results = done["results"]
    assert isinstance(results[REFUSED], ValueError)
    assert isinstance(results[POISON], RuntimeError)
    assert {n: results[n] for n in (1, 2, 3, 4)} == {1: 10, 2: 20, 3: 30, 4: 40}
    assert _stored(database_url) == {1, 2, 3, 4}
    assert recorder.sizes[:2] == [1, 5] and sorted(recorder.sizes[2:]) == [1] * 5


def test_on_sqlite_a_job_runs_in_its_request_s_own_transaction(database_url, backend):
    if backend != "sqlite":
        pytest.skip("SQLite only")
    _table(database_url)
    recorder = Recorder()
    group = Group(recorder.run)
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert group.submit(session, 7) == 70
        assert session.in_transaction()  # the request commits, not the group
        session.rollback()
    engine.dispose()
    assert _stored(database_url) == set()
