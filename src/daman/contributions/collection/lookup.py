"""Looking up millions of immatriculations at once: which person each is, and whether
that person is affiliated to a regime in a month.

On PostgreSQL the numbers go into a temporary table by COPY and come back joined to the
persons and their affiliations by COPY, two round trips whatever their number; elsewhere
they are read by chunks of ids.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from daman.contributions.ledger.repository import chunks
from daman.core.bulk import copy_frame
from daman.core.dates import add_months
from daman.registry.models import Affiliation, Person

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
        out = io.BytesIO()
        sql = (
            "COPY (SELECT p.immatriculation, p.id, EXISTS (SELECT 1 FROM affiliations a"
            " WHERE a.person_id = p.id AND a.regime_code = %(regime)s"
            " AND a.valid_from <= %(last)s AND (a.valid_to IS NULL OR a.valid_to >= %(first)s))"
            " FROM wanted_numbers w JOIN persons p ON p.immatriculation = w.immatriculation)"
            " TO STDOUT (FORMAT csv)"
        )
        params = {"regime": regime, "first": month.replace(day=1), "last": month_end(month)}
        with cursor.copy(sql, params) as copy:
            for block in copy:
                out.write(bytes(block))
    if not out.getvalue():
        return pl.DataFrame(schema=FOUND)
    frame = pl.read_csv(
        out.getvalue(),
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
    if session.get_bind().dialect.name == "postgresql":
        frame = copy_frame(session, stmt, schema)  # type: ignore[arg-type]
    else:
        frame = pl.DataFrame(session.execute(stmt).all(), schema=schema, orient="row")
    return (
        frame.sort("person_id", "valid_from", "id")
        .unique("person_id", keep="last", maintain_order=True)
        .drop("valid_from", "id")
    )


__all__ = ["affiliated", "chunks", "month_end", "persons_of"]
