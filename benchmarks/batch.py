"""Benchmarks 1, 2 and 4 and the workers' speed-up: batches of fresh claim days on the
synthetic population, end to end (pick the received claims, load the context, run the
engine, save decisions and statuses, commit).

* batch day: one day valued by `run_batch` (one process), on a population with a year of
  earlier claims (history: what ceilings and duplicates are checked against); then the
  floor: everything the day wrote (claims, lines, decisions, review items, status events)
  bulk-written with COPY into scratch tables shaped like the real ones, in the same
  database; the ratio of the two.
* workers: another day valued by 1 worker process, then another by 2 (`run_workers`,
  chunks by patient shared with FOR UPDATE SKIP LOCKED); the speed-up.
* growth: batches of 11k, 110k and 1.1M claims, each valued by `daman adjudicate` in a
  child process; the cost per claim of each, and the peak memory of each.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from datetime import date, timedelta
from time import perf_counter
from typing import Any, TypeVar

from benchmarks.database import BenchDatabase
from benchmarks.memory import adjudicate_in_child
from benchmarks.report import Result, Target
from daman.adjudication.service import run_batch
from daman.adjudication.workers import run_workers

TARGET_DAY_SECONDS = 10.0
TARGET_FLOOR_RATIO = 3.0
TARGET_GROWTH = 1.2  # cost per claim at the largest size over the smallest, at most
FLOOR_TABLE = "bench_floor"
PER_DAY = 110_000  # a national day (the domain notes: 110,000+ files a day)
T = TypeVar("T")


def _days(claims: int) -> tuple[int, int]:
    """(claims a day, days) for a batch of `claims`: days of at most PER_DAY claims."""
    days = max(1, -(-claims // PER_DAY))
    return -(-claims // days), days


def _valued(db: BenchDatabase, chunk_size: int, workers: int) -> tuple[float, dict[str, Any]]:
    """Value every received claim; wall seconds and what was valued."""
    started = perf_counter()
    if workers:
        shared = run_workers(db.url, workers, chunk_size, "bench")
        valued, chunks = shared.valued, shared.chunks
    else:
        report = run_batch(db.bound, chunk_size, "bench")
        valued, chunks = report.valued, report.chunks
    seconds = perf_counter() - started
    return seconds, {
        "claims": valued.claims,
        "lines": valued.lines,
        "chunks": chunks,
        "claim_statuses": dict(valued.claim_statuses),
        "line_statuses": dict(valued.line_statuses),
    }


# What a valued day writes, by table: the rows of the day's claims (claims and their lines
# are updated in place, decisions, review items and the status events inserted).
FLOOR_TABLES = {
    "claims": "id",
    "claim_lines": "claim_id",
    "line_decisions": "claim_id",
    "review_items": "claim_id",
    "claim_status_events": "claim_id",
}


def floor(db: BenchDatabase, first_claim: int, last_claim: int) -> tuple[float, int]:
    """Seconds to COPY everything the day wrote (its claims with their statuses and totals,
    their lines with their decisions, the engine's decisions, the review items and the
    status events, as stored) into scratch tables with the same columns, defaults and
    indexes, and commit; and the rows."""
    raw = db.bound.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        dumps: dict[str, bytes] = {}
        for table, column in FLOOR_TABLES.items():
            select_rows = (
                f"SELECT * FROM {table} "
                f"WHERE {column} BETWEEN {int(first_claim)} AND {int(last_claim)} ORDER BY id"
            )
            dump = f"COPY ({select_rows}) TO STDOUT (FORMAT BINARY)"
            with conn.cursor() as cursor, cursor.copy(dump) as out:
                dumps[table] = b"".join(bytes(block) for block in out)
        with conn.cursor() as cursor:
            for table in FLOOR_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}_{table}")
                cursor.execute(
                    f"CREATE TABLE {FLOOR_TABLE}_{table} "
                    f"(LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)"
                )
        conn.commit()
        rows = 0
        started = perf_counter()
        with conn.cursor() as cursor:
            for table, data in dumps.items():
                with cursor.copy(f"COPY {FLOOR_TABLE}_{table} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(data)
                rows += cursor.rowcount
        conn.commit()
        seconds = perf_counter() - started
        with conn.cursor() as cursor:
            for table in FLOOR_TABLES:
                cursor.execute(f"DROP TABLE {FLOOR_TABLE}_{table}")
        conn.commit()
    finally:
        raw.close()
    return seconds, rows


def _fresh(db: BenchDatabase, claims: int, seed: int, until: date) -> tuple[int, int, int]:
    """Add `claims` received claims ending on `until`: (claims, first id, last id)."""
    per_day, days = _days(claims)
    made = db.add_claims(per_day, seed, until, days)
    ids = made.claim_ids
    return made.claims, (ids[0] if ids else 0), (ids[-1] if ids else 0)


def profiled(run: Callable[[], T], top: int = 30) -> tuple[T, list[dict[str, Any]]]:
    """Run under cProfile: the result and the `top` functions by cumulative time (calls,
    cumulative and own seconds), the profile the README's account of the gaps rests on."""
    profile = cProfile.Profile()
    result = profile.runcall(run)
    stats = pstats.Stats(profile)
    rows = []
    for (path, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = path.split("site-packages/")[-1].split("/src/")[-1]
        rows.append(
            {
                "function": f"{where}:{line}({name})",
                "calls": calls,
                "cumulative_s": round(cumulative, 3),
                "own_s": round(own, 3),
            }
        )
    rows.sort(key=lambda r: r["cumulative_s"], reverse=True)
    return result, rows[:top]


def batch_day(
    db: BenchDatabase,
    *,
    claims: int,
    persons: int,
    seed: int,
    day: date,
    chunk_size: int,
    profile: bool = False,
) -> Result:
    started = perf_counter()
    made, first, last = _fresh(db, claims, seed, day)
    synth_seconds = perf_counter() - started
    notes: list[str] = []
    if profile:
        (seconds, valued), top = profiled(lambda: _valued(db, chunk_size, workers=0))
        notes.append("profiled: the seconds include cProfile's overhead; see figures.profile")
    else:
        seconds, valued = _valued(db, chunk_size, workers=0)
    floor_seconds, rows = floor(db, first, last)
    figures: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "claims_per_second": round(valued["claims"] / seconds),
        "lines_per_second": round(valued["lines"] / seconds),
        "floor_seconds": round(floor_seconds, 3),
        "floor_ratio": round(seconds / floor_seconds, 1),
        "valued": valued,
        "synth_claims_seconds": round(synth_seconds, 1),
    }
    if profile:
        figures["profile"] = top
    return Result(
        name="batch_day",
        notes=notes,
        sizes={
            "persons": persons,
            "claims": made,
            "lines": valued["lines"],
            "lines_per_claim": round(valued["lines"] / max(1, made), 2),
            "floor_rows": rows,
            "chunk_size": chunk_size,
            "day": day.isoformat(),
        },
        figures=figures,
        targets=[
            Target("seconds", TARGET_DAY_SECONDS),
            Target("floor_ratio", TARGET_FLOOR_RATIO),
        ],
        seconds=perf_counter() - started,
    )


def workers(
    db: BenchDatabase,
    *,
    claims: int,
    persons: int,
    seed: int,
    day: date,
    chunk_size: int,
    counts: tuple[int, ...] = (1, 2),
) -> Result:
    """The same size of fresh day valued by 1 worker process, then by 2 (or `counts`)."""
    started = perf_counter()
    runs: dict[str, Any] = {}
    for i, n in enumerate(counts):
        made, _, _ = _fresh(db, claims, seed + 100 + i, day - timedelta(days=i + 1))
        seconds, valued = _valued(db, chunk_size, workers=n)
        runs[str(n)] = {
            "claims": made,
            "seconds": round(seconds, 2),
            "claims_per_second": round(valued["claims"] / seconds),
            "chunks": valued["chunks"],
        }
    one, most = runs[str(counts[0])], runs[str(counts[-1])]
    speedup = round(one["seconds"] / most["seconds"] * most["claims"] / one["claims"], 2)
    return Result(
        name="workers",
        sizes={"persons": persons, "claims": claims, "chunk_size": chunk_size},
        figures={
            "runs": runs,
            "speedup": speedup,
            f"seconds_{counts[-1]}_workers": most["seconds"],
        },
        targets=[Target(f"seconds_{counts[-1]}_workers", TARGET_DAY_SECONDS)],
        notes=[f"speed-up of {counts[-1]} workers over {counts[0]}: {speedup}x"],
        seconds=perf_counter() - started,
    )


def growth(
    db: BenchDatabase,
    *,
    sizes: tuple[int, ...],
    persons: int,
    seed: int,
    day: date,
    chunk_size: int,
    workers: int = 2,
) -> Result:
    """Batches of each size, each valued by `daman adjudicate --workers N` in a child
    process (its peak memory read too); the cost per claim must not grow with the size.
    The command's own start (a run with nothing to value) is measured and taken off."""
    started = perf_counter()
    startup = adjudicate_in_child(db.url, chunk_size, workers).seconds
    runs: dict[str, Any] = {}
    for i, size in enumerate(sizes):
        made, _, _ = _fresh(db, size, seed + 200 + i, day - timedelta(days=10 * (i + 1)))
        child = adjudicate_in_child(db.url, chunk_size, workers)
        net = max(child.seconds - startup, 1e-9)
        runs[str(size)] = {
            "claims": made,
            "days": _days(size)[1],
            "seconds": round(child.seconds, 2),
            "us_per_claim": round(net / made * 1e6, 1),
            "peak_rss_mib": round(child.summed_kib / 1024),  # summed over the processes
            "largest_process_mib": round(child.largest_kib / 1024),
            "summary": child.summary,
        }
    costs = [r["us_per_claim"] for r in runs.values()]
    return Result(
        name="growth",
        sizes={
            "persons": persons,
            "batches": list(sizes),
            "chunk_size": chunk_size,
            "workers": workers,
        },
        figures={
            "runs": runs,
            "us_per_claim": costs,
            "startup_seconds": round(startup, 2),
            "growth": round(costs[-1] / min(costs[:-1] or costs), 2),
        },
        targets=[Target("growth", TARGET_GROWTH)],
        notes=[
            "growth = cost per claim of the largest batch over the cheapest smaller one; "
            "each batch runs `daman adjudicate` in a child process, its start taken off"
        ],
        seconds=perf_counter() - started,
    )
