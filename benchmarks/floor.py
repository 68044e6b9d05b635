"""The SQL floor of a real-time claim: the least work a counter does for one care sheet,
as plain SQL on the driver, by the same number of clients as the real-time capacity run,
on the same database and in the same run (benchmarks.realtime gives its ratio to this).

Per care sheet, one transaction: three indexed reads (the patient by immatriculation, the
provider by INPE, the tariff of the first line's key or the price of its drug), then the
claim, its lines, one decision per line and a status event inserted, then the commit:
the rows a valued claim leaves, without any of the work of checking or valuing it. The
rows go to scratch tables shaped like the real ones (columns, defaults, indexes; no
foreign keys), dropped at the end.
"""

from __future__ import annotations

import threading
from datetime import date
from time import perf_counter
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from benchmarks.database import BenchDatabase
from benchmarks.report import Result, percentiles

TABLES = ("claims", "claim_lines", "line_decisions", "claim_status_events")
SCRATCH = "bench_floor_rt_"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _scratch(conn: psycopg.Connection[Any], create: bool) -> None:
    with conn.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH}{table}")
            if create:
                cursor.execute(
                    f"CREATE TABLE {SCRATCH}{table} (LIKE {table} INCLUDING DEFAULTS"
                    " INCLUDING INDEXES INCLUDING CONSTRAINTS)"
                )
    conn.commit()


READ_PERSON = "SELECT id FROM persons WHERE immatriculation = %s"
READ_PROVIDER = "SELECT id, sector FROM providers WHERE inpe = %s"
READ_TARIFF = (
    "SELECT value_centimes FROM act_tariffs WHERE key = %s AND valid_from <= %s"
    " AND (valid_to IS NULL OR valid_to >= %s) ORDER BY valid_from DESC LIMIT 1"
)
READ_PRICE = (
    "SELECT p.base_centimes FROM drugs AS d JOIN drug_prices AS p ON p.drug_id = d.id"
    " WHERE d.code = %s AND p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to >= %s)"
    " LIMIT 1"
)
INSERT_CLAIM = (
    f"INSERT INTO {SCRATCH}claims (number, patient_id, channel, deposit_date, received_at,"
    " status, outcome, charged_centimes, base_centimes, amo_centimes, complementary_centimes,"
    " patient_centimes, adjudicated_at, submitter, idempotency_key, created_at, created_by,"
    " updated_at, updated_by) VALUES (%s, %s, 'electronic', %s, now(), 'adjudicated',"
    " 'accepted', %s, %s, %s, 0, %s, now(), 'bench', %s, now(), 'bench', now(), 'bench')"
    " RETURNING id"
)
INSERT_LINE = (
    f"INSERT INTO {SCRATCH}claim_lines (claim_id, line_no, category, care_date, provider_id,"
    " act_key, drug_code, quantity, charged_centimes, status, reference_centimes,"
    " base_centimes, rate_bp, amo_centimes, complementary_centimes, patient_centimes,"
    " allowed_quantity, reasons, decided_at, decided_by) VALUES (%s, %s, %s, %s, %s, %s, %s,"
    " %s, %s, 'accepted', %s, %s, 7000, %s, 0, %s, %s, '[\"ok\"]', now(), 'bench')"
    " RETURNING id"
)
INSERT_DECISION = (
    f"INSERT INTO {SCRATCH}line_decisions (line_id, claim_id, source, status,"
    " reference_centimes, base_centimes, rate_bp, amo_centimes, complementary_centimes,"
    " patient_centimes, allowed_quantity, reasons, decided_at, decided_by, note)"
    " VALUES (%s, %s, 'engine', 'accepted', %s, %s, 7000, %s, 0, %s, %s, '[\"ok\"]', now(),"
    " 'bench', '')"
)
INSERT_EVENT = (
    f"INSERT INTO {SCRATCH}claim_status_events (claim_id, from_status, to_status, at, by,"
    " reason) VALUES (%s, 'received', 'adjudicated', now(), 'bench', 'valued')"
)


def _one(cur: psycopg.Cursor[Any], body: dict[str, Any], n: int, day: date) -> None:
    first = body["lines"][0]
    cur.execute(READ_PERSON, (body["patient"],))
    patient = cur.fetchone()
    cur.execute(READ_PROVIDER, (first["provider_inpe"],))
    provider = cur.fetchone()
    care = date.fromisoformat(first["care_date"])
    if first.get("drug_code"):
        cur.execute(READ_PRICE, (first["drug_code"], care, care))
    else:
        cur.execute(READ_TARIFF, (first["act_key"], care, care))
    cur.fetchone()
    assert patient is not None and provider is not None
    charged = sum(int(ln["charged_centimes"]) for ln in body["lines"])
    amo = charged * 7 // 10
    cur.execute(
        INSERT_CLAIM,
        (f"R{n:010d}", patient[0], day, charged, charged, amo, charged - amo, f"floor-{n}"),
    )
    row = cur.fetchone()
    assert row is not None
    claim_id = row[0]
    for no, line in enumerate(body["lines"], start=1):
        c = int(line["charged_centimes"])
        cur.execute(
            INSERT_LINE,
            (
                claim_id,
                no,
                line["category"],
                line["care_date"],
                provider[0],
                line.get("act_key"),
                line.get("drug_code"),
                line.get("quantity") or 1,
                c,
                c,
                c,
                c * 7 // 10,
                c - c * 7 // 10,
                line.get("quantity") or 1,
            ),
        )
        line_row = cur.fetchone()
        assert line_row is not None
        cur.execute(
            INSERT_DECISION,
            (line_row[0], claim_id, c, c, c * 7 // 10, c - c * 7 // 10, line.get("quantity") or 1),
        )
    cur.execute(INSERT_EVENT, (claim_id,))


def run(
    db: BenchDatabase,
    bodies: list[dict[str, Any]],
    *,
    clients: int,
    seconds: float,
    day: date,
) -> Result:
    """`clients` connections each doing the floor's transaction for one care sheet after
    another for `seconds`."""
    started = perf_counter()
    dsn = _dsn(db.url)
    with psycopg.connect(dsn) as admin:
        _scratch(admin, create=True)
    times: list[float] = []
    lock = threading.Lock()
    feed = iter(enumerate(bodies))
    errors: list[str] = []
    stop = perf_counter() + seconds

    def client() -> None:
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            while perf_counter() < stop:
                with lock:
                    got = next(feed, None)
                if got is None:
                    return
                n, body = got
                began = perf_counter()
                try:
                    _one(cur, body, n, day)
                    conn.commit()
                except psycopg.Error as exc:
                    conn.rollback()
                    errors.append(type(exc).__name__)
                    continue
                with lock:
                    times.append(perf_counter() - began)

    first = perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    span = perf_counter() - first
    with psycopg.connect(dsn) as admin:
        _scratch(admin, create=False)
    throughput = round(len(times) / span, 1)
    return Result(
        name="floor",
        sizes={
            "clients": clients,
            "seconds": seconds,
            "statements_per_claim": "3 reads, 4+ inserts",
        },
        figures={
            "throughput": throughput,
            "ok": len(times),
            "errors": len(errors),
            "latency": percentiles(times),
            "p99_ms": percentiles(times)["p99_ms"],
        },
        targets=[],
        notes=[
            "the SQL floor of a real-time claim: 3 indexed reads and the claim, its lines, "
            "their decisions and a status event inserted, one transaction, on the driver"
        ],
        seconds=perf_counter() - started,
    )
