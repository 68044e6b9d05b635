"""`python -m benchmarks` (or `make bench`): run the benchmarks, write their JSON.

    python -m benchmarks                         # the whole set at national sizes
    python -m benchmarks --quick                 # the whole set at small sizes
    python -m benchmarks --only engine,eligibility --persons 200000

Each benchmark writes benchmarks/results/<name>-<stamp>.json (its figures, targets, sizes,
the machine, the database, the command line and the time); a run of the whole set also
writes latest.json (latest-quick.json with --quick). `engine` runs in memory, `pages` on
the demo data in SQLite as `make run` serves it, `contributions` on a database of its own;
the rest on a PostgreSQL database of its own, daman_bench_<pid>, created on the server named by
DAMAN_BENCH_DATABASE_URL, filled by daman.synth and dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from benchmarks import (
    batch,
    contributions,
    counter,
    eligibility,
    engine_alone,
    machine,
    memory,
    pages,
    person_search,
    realtime,
)
from benchmarks.database import BenchDatabase, server_url
from benchmarks.report import RESULTS, Result, Target, stamp, write, write_set
from benchmarks.server import Server
from daman.core.dates import today

ORDER = (  # the order they run in: the two with their own database first
    "engine",
    "contributions",
    "pages",
    "eligibility",
    "counter",
    "search",
    "floor",
    "realtime",
    "batch_day",
    "workers",
    "growth",
    "memory",
)
OWN_DATABASE = {"engine", "contributions", "pages"}  # these need no synthetic population
SYNTH_TARGET_SECONDS = 120.0  # 1,000,000 persons and a day's 110,000 claims

FULL = {
    "persons": 1_000_000,
    "claims": 110_000,
    "engine_lines": 1_000_000,
    "lookups": 2_000,
    "counter_requests": 500,  # counter: prescriptions valued at the pharmacy's counter
    "searches": 200,
    "rate": 200.0,
    "seconds": 60.0,
    "probe_seconds": 20.0,
    "growth": "11000,110000,1100000",
    "month_days": 30,  # memory alone (--only memory): a month, 3.3M claims
    "chunk_size": 5_000,
    "history_claims": 1_100_000,  # a year of earlier claims: about 1.1 a person
    "employees": 4_080_000,  # contributions: a month's declared employees
    "tns_members": 1_600_000,
    "contribution_receipts": 100_000,
    "page_rounds": 30,  # pages: requests per page found
}
QUICK = {
    "persons": 5_000,
    "claims": 1_000,
    "engine_lines": 20_000,
    "lookups": 100,
    "counter_requests": 200,
    "searches": 30,
    "rate": 10.0,
    "seconds": 3.0,
    "probe_seconds": 2.0,
    "growth": "100,300,1000",
    "month_days": 3,
    "chunk_size": 250,
    "history_claims": 1_000,
    "employees": 20_000,
    "tns_members": 10_000,
    "contribution_receipts": 2_000,
    "page_rounds": 3,
}


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(ORDER), help=f"comma-separated: {', '.join(ORDER)}")
    p.add_argument("--quick", action="store_true", help="small sizes (a few minutes at most)")
    p.add_argument("--persons", type=int, help="population (1,000,000; quick 5,000)")
    p.add_argument("--claims", type=int, help="claims in a day (110,000; quick 1,000)")
    p.add_argument("--engine-lines", type=int, help="lines for the engine alone (1,000,000)")
    p.add_argument("--lookups", type=int, help="eligibility look-ups (2,000)")
    p.add_argument(
        "--counter-requests", type=int, help="counter: prescriptions valued over HTTP (500)"
    )
    p.add_argument("--searches", type=int, help="person searches of each kind (200)")
    p.add_argument(
        "--search-sqlite",
        action="store_true",
        help="search: the same population on SQLite too (a file built for it)",
    )
    p.add_argument("--rate", type=float, help="real-time claims a second (200)")
    p.add_argument("--seconds", type=float, help="real-time load duration (60)")
    p.add_argument("--probe-seconds", type=float, help="real-time probe at a sustained rate")
    p.add_argument("--growth", help="batch sizes for growth (11000,110000,1100000)")
    p.add_argument("--month-days", type=int, help="days of claims for memory (10; a month: 30)")
    p.add_argument(
        "--memory-workers", type=int, default=2, help="--workers of growth's and memory's runs"
    )
    p.add_argument("--chunk-size", type=int, help="claims per batch transaction (5,000)")
    p.add_argument(
        "--history-claims", type=int, help="earlier claims over the last year (1,100,000)"
    )
    p.add_argument("--api-workers", type=int, default=2, help="API server processes")
    p.add_argument("--employees", type=int, help="contributions: declared employees (4,080,000)")
    p.add_argument("--tns-members", type=int, help="contributions: TNS members (1,600,000)")
    p.add_argument(
        "--contribution-receipts", type=int, help="contributions: receipts matched (100,000)"
    )
    p.add_argument("--page-rounds", type=int, help="pages: requests per page found (30)")
    p.add_argument("--seed", type=int, default=20261123)
    p.add_argument(
        "--profile",
        action="store_true",
        help="batch day under cProfile: its top functions go into the result",
    )
    p.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = p.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(ORDER))
    if unknown:
        p.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(ORDER)}")
    args.selected = [name for name in ORDER if name in chosen]
    return args


def _guarded(name: str, bench: Callable[[], Result]) -> Result:
    """Run one benchmark; a failure is recorded as its result and the run goes on."""
    started = perf_counter()
    try:
        return bench()
    except Exception as exc:
        traceback.print_exc()
        return Result(
            name=name,
            figures={"error": f"{type(exc).__name__}: {exc}"},
            targets=[Target("error", 0)],
            seconds=perf_counter() - started,
        )


def _line(result: Result) -> str:
    verdict = {True: "met", False: "NOT met", None: "n/a"}[result.met]
    shown = {
        k: v for k, v in result.figures.items() if isinstance(v, int | float | str) and k != "error"
    }
    if "error" in result.figures:
        shown = {"error": result.figures["error"]}
    pairs = ", ".join(f"{k}={v}" for k, v in list(shown.items())[:6])
    return f"{result.name:12s} {verdict:8s} {result.seconds:7.1f} s  {pairs}"


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    started = perf_counter()
    day = today()
    header: dict[str, Any] = {
        "stamp": stamp(),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "benchmarks", *(argv or sys.argv[1:])]),
        "quick": args.quick,
        "seed": args.seed,
        "machine": machine.describe(server_url()),
        "database": None,
    }
    results: list[Result] = []

    def done(result: Result) -> None:
        result.load_average = [round(x, 2) for x in os.getloadavg()]
        results.append(result)
        path = write(result, header, args.results)
        print(_line(result), f"-> {path}", flush=True)

    if "engine" in args.selected:
        done(_guarded("engine", lambda: engine_alone.run(args.engine_lines, args.seed)))
    if "contributions" in args.selected:
        done(
            _guarded(
                "contributions",
                lambda: contributions.run(
                    args.employees, args.tns_members, args.contribution_receipts, args.seed
                ),
            )
        )
    if "pages" in args.selected:
        done(_guarded("pages", lambda: pages.run(args.page_rounds)))
    if set(args.selected) - OWN_DATABASE:
        with BenchDatabase() as db:
            print(f"database {db.name}: {args.persons:,} persons ...", flush=True)
            synth_started = perf_counter()
            population = db.populate(args.persons, args.seed, day)
            header["database"] = db.describe()
            header["population"] = {
                "persons": population.persons,
                "seconds": round(population.seconds, 1),
                "with_analyze_seconds": round(perf_counter() - synth_started, 1),
                "by_regime": population.by_regime,
                "rows": population.rows,
            }
            print(f"population in {perf_counter() - synth_started:.1f} s", flush=True)
            history_started = perf_counter()
            earlier = db.add_history(args.history_claims, args.seed + 7, day - timedelta(days=1))
            header["history"] = {
                "claims": earlier,
                "days": 365,
                "until": (day - timedelta(days=1)).isoformat(),
                "seconds": round(perf_counter() - history_started, 1),
            }
            print(f"history: {earlier:,} earlier claims", flush=True)
            _with_database(args, db, day, done, population.seconds)
    total = perf_counter() - started
    header["total_seconds"] = round(total, 1)
    if args.selected == list(ORDER):
        name = "latest-quick.json" if args.quick else "latest.json"
        print(f"the whole set in {total:.0f} s -> {write_set(results, header, name, args.results)}")
    return 1 if any("error" in r.figures for r in results) else 0


def _with_database(
    args: argparse.Namespace,
    db: BenchDatabase,
    day: date,
    done: Callable[[Result], None],
    population_seconds: float,
) -> None:
    selected = set(args.selected)
    persons = args.persons
    if "eligibility" in selected:
        with Server(db.url, instances=args.api_workers) as api:
            done(
                _guarded(
                    "eligibility",
                    lambda: eligibility.run(
                        db,
                        persons=persons,
                        lookups=args.lookups,
                        day=day,
                        seed=args.seed,
                        api=api.base,
                        headers=api.headers,
                    ),
                )
            )
    if "counter" in selected:
        with Server(db.url, instances=args.api_workers) as api:
            done(
                _guarded(
                    "counter",
                    lambda: counter.run(
                        db,
                        persons=persons,
                        requests=args.counter_requests,
                        day=day,
                        seed=args.seed,
                        bases=api.bases,
                    ),
                )
            )
    if "search" in selected:
        done(
            _guarded(
                "search",
                lambda: person_search.run(
                    db,
                    persons=persons,
                    count=args.searches,
                    day=day,
                    seed=args.seed,
                    sqlite=args.search_sqlite,
                ),
            )
        )
    floor_result: Result | None = None
    if "floor" in selected:  # the SQL floor of a real-time claim, the realtime's yardstick
        floor_result = _guarded(
            "floor",
            lambda: realtime.floor_run(
                db,
                clients=realtime.CAPACITY_CLIENTS,
                seconds=args.probe_seconds,
                day=day,
                seed=args.seed,
            ),
        )
        done(floor_result)
        if "error" in floor_result.figures:
            floor_result = None
    if "realtime" in selected:
        done(
            _guarded(
                "realtime",
                lambda: realtime.run(
                    db,
                    instances=args.api_workers,
                    rate=args.rate,
                    seconds=args.seconds,
                    day=day,
                    seed=args.seed,
                    probe_seconds=args.probe_seconds,
                    floor_result=floor_result,
                ),
            )
        )
    common = {"persons": persons, "chunk_size": args.chunk_size}
    if "batch_day" in selected:
        result = _guarded(
            "batch_day",
            lambda: batch.batch_day(
                db, claims=args.claims, seed=args.seed, day=day, profile=args.profile, **common
            ),
        )
        claims_seconds = result.figures.get("synth_claims_seconds")
        if isinstance(claims_seconds, int | float):
            result.figures["synth_seconds"] = round(population_seconds + claims_seconds, 1)
            result.targets = [*result.targets, Target("synth_seconds", SYNTH_TARGET_SECONDS)]
        done(result)
    if "workers" in selected:
        done(
            _guarded(
                "workers",
                lambda: batch.workers(
                    db, claims=args.claims, seed=args.seed, day=day - timedelta(days=1), **common
                ),
            )
        )
    grown: Result | None = None
    if "growth" in selected:
        sizes = tuple(int(s) for s in args.growth.split(","))
        grown = _guarded(
            "growth",
            lambda: batch.growth(
                db,
                sizes=sizes,
                seed=args.seed,
                day=day - timedelta(days=5),
                workers=args.memory_workers,
                **common,
            ),
        )
        done(grown)
    if "memory" in selected and grown is not None and "error" not in grown.figures:
        done(memory.from_growth(grown))
    elif "memory" in selected:
        done(
            _guarded(
                "memory",
                lambda: memory.run(
                    db,
                    per_day=args.claims,
                    days=args.month_days,
                    seed=args.seed,
                    until=day - timedelta(days=60),
                    workers=args.memory_workers,
                    **common,
                ),
            )
        )


if __name__ == "__main__":
    sys.exit(main())
