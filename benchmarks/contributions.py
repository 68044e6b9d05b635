"""Benchmark: contributions at a month's national scale (issue 19).

Targets: a month of 4,000,000 employee rows imported and its calls computed in under 2
minutes; calls for 1,600,000 TNS members in under 1 minute; receipts matched at 100,000
a minute. All on PostgreSQL, in a database of its own (daman_bench_contrib_<pid>) that
the benchmark fills by COPY with just what the figures need: employers, persons with
their CNSS_SAL or TNS affiliation and TNS categories.

Figures, each a whole committed transaction as the command line runs it:

* `declaration_seconds`: the fund's bulk declaration file of the month (employer,
  immatriculation, days, gross wage; one row in 10,000 refused on purpose) read, checked
  against the registry, its calls computed and written with their lines and ledger
  entries (the first month: the employers' accounts are opened too);
* `tns_run_seconds`: the month's calls of every TNS member, a month whose members'
  accounts exist (as every month but the first); `tns_first_run_seconds` opens them;
* `receipts_per_minute`: a camt.054 of one credit per TNS call, matched by call number,
  kept and applied.
"""

from __future__ import annotations

import io
import os
import random
from datetime import date
from time import perf_counter, process_time
from typing import Any

import polars as pl
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from benchmarks.database import BenchDatabase
from benchmarks.report import Result, Target
from daman.contributions.collection import declarations, receipts, runs
from daman.contributions.collection.builders import camt054_credits
from daman.contributions.collection.models import MemberCategory
from daman.contributions.ledger.models import Call, CallLine, Entry
from daman.core.bulk import copy_insert
from daman.core.dates import now
from daman.reference.contribution_rules import TnsCategory
from daman.registry.models import Affiliation, Employer, Person

# The targets as rates, so that a run below the national sizes is held to them too:
# 4,080,000 rows in 120 s, 1,600,000 members in 60 s, 100,000 receipts a minute.
DECLARATION_ROWS_PER_SECOND = 4_080_000 / 120
TNS_CALLS_PER_SECOND = 1_600_000 / 60
RECEIPTS_TARGET_PER_MINUTE = 100_000.0
EMPLOYEES_PER_EMPLOYER = 13  # 4.08 M declared employees, ~300,000 employers
MONTH = date(2025, 1, 1)
ACTOR = "bench:contributions"


def _stamp(frame: pl.DataFrame) -> pl.DataFrame:
    at = now()
    return frame.with_columns(
        pl.lit(at).alias("created_at"),
        pl.lit(ACTOR).alias("created_by"),
        pl.lit(at).alias("updated_at"),
        pl.lit(ACTOR).alias("updated_by"),
    )


def populate(db: BenchDatabase, employees: int, tns: int) -> dict[str, Any]:
    """Employers, employees (CNSS_SAL) and TNS members with a category, by COPY."""
    started = perf_counter()
    employers = max(1, employees // EMPLOYEES_PER_EMPLOYER)
    persons = employees + tns
    with Session(db.bound) as session, session.begin():
        ids = pl.int_range(1, employers + 1, eager=True, dtype=pl.Int64)
        copy_insert(
            session,
            Employer.__table__,  # type: ignore[arg-type]
            _stamp(
                pl.DataFrame(
                    {
                        "id": ids,
                        "number": "B" + ids.cast(pl.String).str.zfill(8),
                        "name": "Employeur " + ids.cast(pl.String),
                        "city": pl.Series(["Casablanca"] * employers),
                    }
                )
            ),
        )
        pids = pl.int_range(1, persons + 1, eager=True, dtype=pl.Int64)
        copy_insert(
            session,
            Person.__table__,  # type: ignore[arg-type]
            _stamp(
                pl.DataFrame(
                    {
                        "id": pids,
                        "immatriculation": "BM" + pids.cast(pl.String).str.zfill(10),
                        "last_name": pl.Series(["Alaoui"] * persons),
                        "first_name": pl.Series(["Amina"] * persons),
                        "birth_date": pl.Series([date(1985, 4, 12)] * persons),
                        "sex": pl.Series(["F"] * persons),
                        "disabled": pl.Series([False] * persons),
                        "preferred_language": pl.Series(["fr"] * persons),
                    }
                )
            ),
        )
        regime = pl.when(pids <= employees).then(pl.lit("CNSS_SAL")).otherwise(pl.lit("TNS"))
        employer = pl.when(pids <= employees).then((pids - 1) % employers + 1).otherwise(None)
        copy_insert(
            session,
            Affiliation.__table__,  # type: ignore[arg-type]
            _stamp(
                pl.DataFrame({"person_id": pids}).select(
                    pl.col("person_id"),
                    regime.alias("regime_code"),
                    employer.alias("employer_id"),
                    pl.lit(date(2024, 1, 1)).alias("valid_from"),
                )
            ),
        )
        codes = sorted(set(session.scalars(select(TnsCategory.code))))
        members = pl.int_range(employees + 1, persons + 1, eager=True, dtype=pl.Int64)
        copy_insert(
            session,
            MemberCategory.__table__,  # type: ignore[arg-type]
            _stamp(
                pl.DataFrame({"person_id": members}).select(
                    pl.col("person_id"),
                    pl.col("person_id")
                    .mod(len(codes))
                    .replace_strict(dict(enumerate(codes)), return_dtype=pl.String)
                    .alias("category_code"),
                    pl.lit(date(2024, 1, 1)).alias("valid_from"),
                    pl.lit("DGI").alias("liaison"),
                )
            ),
        )
        for table in ("employers", "persons", "affiliations", "member_categories"):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    db.analyze()
    return {
        "employers": employers,
        "persons": persons,
        "seconds": round(perf_counter() - started, 1),
    }


def declaration_file(employees: int, employers: int, seed: int) -> bytes:
    """The month's bulk declaration: one row per employee, one in 10,000 refused."""
    rng = random.Random(seed)
    pids = pl.int_range(1, employees + 1, eager=True, dtype=pl.Int64)
    wages = pl.Series([rng.randrange(282_871, 3_000_000) for _ in range(employees)])
    days = pl.Series([rng.choice((26, 26, 26, 22, 13)) for _ in range(employees)])
    frame = pl.DataFrame(
        {
            "employer": "B" + ((pids - 1) % employers + 1).cast(pl.String).str.zfill(8),
            "immatriculation": "BM" + pids.cast(pl.String).str.zfill(10),
            "days": days.cast(pl.String),
            "gross_wage": (wages // 100).cast(pl.String)
            + "."
            + (wages % 100).cast(pl.String).str.zfill(2),
        }
    ).with_columns(
        pl.when(pl.int_range(0, employees) % 10_000 == 9_999)
        .then(pl.lit("40"))
        .otherwise(pl.col("days"))
        .alias("days")
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


CPU: dict[str, float] = {}  # the benchmark process's own CPU seconds per step


def _timed(db: BenchDatabase, work: Any, name: str) -> tuple[Any, float]:
    """The work in one committed transaction: its result and wall seconds (its CPU
    seconds, this process's only, the database's apart, in CPU[name])."""
    started, cpu = perf_counter(), process_time()
    with Session(db.bound) as session, session.begin():
        out = work(session)
    CPU[name] = round(process_time() - cpu, 1)
    return out, perf_counter() - started


def run(employees: int, tns: int, receipts_count: int, seed: int) -> Result:
    figures: dict[str, Any] = {}
    notes: list[str] = []
    db = BenchDatabase(name=f"daman_bench_contrib_{os.getpid()}")
    with db:
        figures["population"] = populate(db, employees, tns)
        employers = figures["population"]["employers"]
        data = declaration_file(employees, employers, seed)
        figures["declaration_file_mb"] = round(len(data) / 1e6, 1)

        report, seconds = _timed(
            db,
            lambda s: declarations.declare(
                s, data, filename="bulk.csv", month=MONTH, actor=ACTOR, issued_on=MONTH
            ),
            "declaration",
        )
        figures["declaration_seconds"] = round(seconds, 1)
        figures["declaration_rows_loaded"] = report.rows_loaded
        figures["declaration_rows_refused"] = report.rows_rejected
        figures["declaration_calls"] = len(report.calls)
        figures["declaration_rows_per_second"] = round(report.rows_read / seconds)

        first, seconds = _timed(db, lambda s: runs.run(s, "TNS", MONTH, ACTOR, MONTH), "tns_first")
        figures["tns_first_run_seconds"] = round(seconds, 1)
        second_month = date(2025, 2, 1)
        second, seconds = _timed(
            db, lambda s: runs.run(s, "TNS", second_month, ACTOR, second_month), "tns"
        )
        figures["tns_run_seconds"] = round(seconds, 1)
        figures["tns_calls"] = second.calls
        figures["tns_calls_per_second"] = round(second.calls / seconds)
        figures["tns_total_mad"] = second.total_centimes // 100
        if first.unpriced or second.unpriced:
            notes.append(f"{second.unpriced} TNS members not priced")

        with Session(db.bound) as session:
            picked = session.execute(
                select(Call.number, Call.total_centimes)
                .where(Call.regime_code == "TNS", Call.month == MONTH)
                .order_by(Call.id)
                .limit(receipts_count)
            ).all()
        credits = [
            (f"BENCH-{n}", total, f"AMO {number}", date(2025, 2, 5))
            for n, (number, total) in enumerate(picked)
        ]
        notice = camt054_credits(credits, message="BENCH-CAMT")
        figures["receipts_file_mb"] = round(len(notice) / 1e6, 1)
        got, seconds = _timed(
            db, lambda s: receipts.import_bank_file(s, notice, "bench.xml", ACTOR), "receipts"
        )
        figures["receipts"] = got.transactions
        figures["receipts_matched"] = got.matched
        figures["receipts_seconds"] = round(seconds, 1)
        figures["receipts_per_minute"] = round(got.transactions / seconds * 60)
        figures["calls_paid"] = got.calls_paid

        with Session(db.bound) as session:
            figures["rows"] = {
                "calls": session.scalar(select(func.count(Call.id))),
                "call_lines": session.scalar(select(func.count(CallLine.id))),
                "ledger_entries": session.scalar(select(func.count(Entry.id))),
            }
        figures["cpu_seconds"] = dict(CPU)
        figures["database"] = db.describe()
    if employees < 4_080_000 or tns < 1_600_000:
        notes.append(
            f"run at {employees:,} employee rows and {tns:,} TNS members, below the national "
            "month (4,080,000 and 1,600,000): held to the targets' rates, not their sizes"
        )
    return Result(
        name="contributions",
        figures=figures,
        sizes={"employees": employees, "tns_members": tns, "receipts": receipts_count},
        targets=[
            Target("declaration_rows_per_second", DECLARATION_ROWS_PER_SECOND, "min"),
            Target("tns_calls_per_second", TNS_CALLS_PER_SECOND, "min"),
            Target("receipts_per_minute", RECEIPTS_TARGET_PER_MINUTE, "min"),
        ],
        notes=notes,
    )
