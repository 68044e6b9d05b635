"""Looking up millions of immatriculations at once: which person each is, and whether
that person is affiliated to a regime in a month.

On PostgreSQL the numbers go into a temporary table by COPY and come back joined to the
persons and their affiliations as one CSV text the server builds, two round trips whatever
their number; elsewhere they are read by chunks of ids.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from daman.contributions.ledger.repository import chunks
from daman.core.bulk import frame_of
from daman.core.dates import add_months
from daman.registry.models import Affiliation, Person

# Above this many numbers, the look-up's transaction gets BIG_WORK_MEM for its joins.
BIG = 50_000
BIG_WORK_MEM = "256MB"
# one CSV line per row of (n, i, ok): immatriculation (quoted), person id, affiliated
AS_CSV = (
    "SELECT string_agg(format('\"%%s\",%%s,%%s', replace(n, '\"', '\"\"'), i,"
    " CASE WHEN ok THEN 't' ELSE 'f' END), E'\\n')"
)
FOUND = {"immatriculation": pl.String, "person_id": pl.Int64, "affiliated": pl.Boolean}


def month_end(month: date) -> date:
    return add_months(month.replace(day=1), 1) - timedelta(days=1)


def persons_of(session: Session, numbers: pl.Series, regime: str, month: date) -> pl.DataFrame:
    """The person id of each known immatriculation and whether an affiliation of the
    regime covers any day of the month (unknown numbers are left out)."""
    wanted = numbers.unique().drop_nulls()
    if wanted.is_empty():
        return pl.DataFrame(schema=FOUND)
    if session.get_bind().dialect.name == "postgresql":
        return _postgres(session, wanted, regime, month)
    first, last = month.replace(day=1), month_end(month)
    covered = exists().where(
        Affiliation.person_id == Person.id,
        Affiliation.regime_code == regime,
        Affiliation.valid_from <= last,
        or_(Affiliation.valid_to.is_(None), Affiliation.valid_to >= first),
    )
    rows: list[tuple[str, int, bool]] = []
    values = wanted.to_list()
    for i in range(0, len(values), 5_000):
        part = values[i : i + 5_000]
        rows.extend(
            (number, pid, bool(ok))
            for number, pid, ok in session.execute(
                select(Person.immatriculation, Person.id, covered).where(
                    Person.immatriculation.in_(part)
                )
            )
        )
    return pl.DataFrame(rows, schema=FOUND, orient="row")


def _postgres(session: Session, wanted: pl.Series, regime: str, month: date) -> pl.DataFrame:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    data = pl.DataFrame({"n": wanted}).write_csv(include_header=False).encode()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS wanted_numbers (immatriculation text) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE wanted_numbers")
        with cursor.copy("COPY wanted_numbers FROM STDIN (FORMAT csv)") as copy:
            copy.write(data)
        cursor.execute("ANALYZE wanted_numbers")
        joined = "wanted_numbers w JOIN persons p ON p.immatriculation = w.immatriculation"
        if len(wanted) > BIG:
            # the month's affiliated persons as one set, hashed in memory, rather than a
            # look-up per person (a small file keeps the look-ups)
            # (a join, not `p.id IN (...)`: a set too large for memory goes to disk in
            # batches, where that would be scanned once per person)
            cursor.execute(f"SET LOCAL work_mem = '{BIG_WORK_MEM}'")
            flag = "a.person_id IS NOT NULL"
            joined += (
                " LEFT JOIN (SELECT DISTINCT person_id FROM affiliations"
                " WHERE regime_code = %(regime)s AND valid_from <= %(last)s"
                " AND (valid_to IS NULL OR valid_to >= %(first)s)) a ON a.person_id = p.id"
            )
        else:
            flag = (
                "EXISTS (SELECT 1 FROM affiliations a"
                " WHERE a.person_id = p.id AND a.regime_code = %(regime)s"
                " AND a.valid_from <= %(last)s AND (a.valid_to IS NULL OR a.valid_to >= %(first)s))"
            )
        # the rows as one CSV text, built by the server: a row at a time (COPY TO) costs the
        # client more than the query (millions of rows)
        # constant fragments; the values are parameters
        rows = f"SELECT p.immatriculation AS n, p.id AS i, {flag} AS ok FROM {joined}"  # noqa: S608
        sql = AS_CSV + f" FROM ({rows}) AS q"
        params = {"regime": regime, "first": month.replace(day=1), "last": month_end(month)}
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None or not row[0]:
        return pl.DataFrame(schema=FOUND)
    frame = pl.read_csv(
        row[0].encode(),
        has_header=False,
        new_columns=list(FOUND),
        schema_overrides={
            "immatriculation": pl.String,
            "person_id": pl.Int64,
            "affiliated": pl.String,
        },
    )
    return frame.with_columns(pl.col("affiliated") == "t")


def affiliated(
    session: Session, regime: str, month: date, extra: dict[str, type[pl.DataType]] | None = None
) -> pl.DataFrame:
    """The persons with an affiliation of the regime covering a day of the month: person
    id, and the `extra` columns (name: Polars type) of their affiliation that started
    last by the month's end."""
    extra = extra or {}
    first, last = month.replace(day=1), month_end(month)
    columns = [Affiliation.person_id, Affiliation.valid_from, Affiliation.id]
    columns += [getattr(Affiliation, name) for name in extra]
    stmt = select(*columns).where(
        Affiliation.regime_code == regime,
        Affiliation.valid_from <= last,
        or_(Affiliation.valid_to.is_(None), Affiliation.valid_to >= first),
    )
    schema: dict[str, Any] = {"person_id": pl.Int64, "valid_from": pl.Date, "id": pl.Int64}
    schema.update(extra)
    frame = frame_of(session, stmt, schema)
    return (
        frame.sort("person_id", "valid_from", "id")
        .unique("person_id", keep="last", maintain_order=True)
        .drop("valid_from", "id")
    )


__all__ = ["affiliated", "chunks", "month_end", "persons_of"]
