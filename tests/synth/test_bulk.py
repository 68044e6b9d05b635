"""The bulk writer: explicit ids, errors surface in the caller, sequences move on."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from daman.core.dates import now
from daman.providers.models import Provider
from daman.synth.bulk import BulkWriter, copy_types
from daman.synth.providers import PROVIDER_COLUMNS
from tests.synth.conftest import AS_OF

STAMP = now()


def provider(pid: int, inpe: str) -> tuple:
    return (
        pid,
        inpe,
        "pharmacy",
        "Pharmacie Test",
        "private",
        None,
        "Rabat",
        None,
        AS_OF,
        None,
        STAMP,
        "test",
        STAMP,
        "test",
    )


def test_rows_are_stored_with_their_ids(session):
    with BulkWriter(session) as writer:
        first = writer.next_ids(["providers"])["providers"]
        writer.write(
            "providers",
            PROVIDER_COLUMNS,
            [provider(first, "800000001"), provider(first + 1, "800000002")],
        )
    ids = session.scalars(
        select(Provider.id)
        .where(Provider.inpe.in_(["800000001", "800000002"]))
        .order_by(Provider.id)
    ).all()
    assert ids == [first, first + 1]
    assert writer.written["providers"] == 2
    session.add(
        Provider(inpe="800000003", kind="lab", name="Lab", sector="private", valid_from=AS_OF)
    )
    session.flush()  # the id sequence was moved past the explicit ids
    assert session.scalar(select(func.max(Provider.id))) > first + 1


def test_a_failing_write_raises_in_the_caller(session):
    nested = session.begin_nested()
    duplicate_key = (IntegrityError, psycopg.errors.UniqueViolation)
    with pytest.raises(duplicate_key), BulkWriter(session) as writer:
        first = writer.next_ids(["providers"])["providers"]
        writer.write("providers", PROVIDER_COLUMNS, [provider(first, "800000011")])
        writer.write("providers", PROVIDER_COLUMNS, [provider(first, "800000012")])
    nested.rollback()


def test_an_error_in_the_block_stops_the_writer(session):
    nested = session.begin_nested()
    with pytest.raises(RuntimeError, match="planning failed"), BulkWriter(session) as writer:
        first = writer.next_ids(["providers"])["providers"]
        writer.write("providers", PROVIDER_COLUMNS, [provider(first, "800000021")])
        raise RuntimeError("planning failed")
    nested.rollback()
    assert session.scalar(select(Provider.id).where(Provider.inpe == "800000021")) is None


def test_copy_types_follow_the_columns():
    assert copy_types("providers", ["id", "inpe", "valid_from", "created_at"]) == [
        "int4",
        "text",
        "date",
        "timestamptz",
    ]
    assert copy_types("persons", ["disabled"]) == ["bool"]
