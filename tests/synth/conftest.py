"""Helpers of the synth tests: a fixed business date and a read-back of stored rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.synth.bulk import table

AS_OF = date(2026, 6, 15)
STAMPS = {"created_at", "updated_at"}  # the run's clock: left out of row comparisons


def normalise(value: Any) -> Any:
    """Timestamps as naive UTC (SQLite gives them back naive, PostgreSQL aware)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def comparable(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    keep = [i for i, c in enumerate(columns) if c not in STAMPS]
    return [tuple(normalise(row[i]) for i in keep) for row in rows]


def stored(session: Session, name: str, columns: Sequence[str], first_id: int) -> list[tuple]:
    """The rows of a table from `first_id` on, in id order, in the given column order."""
    t = table(name)
    query = select(*(t.c[c] for c in columns)).where(t.c.id >= first_id).order_by(t.c.id)
    return comparable(columns, [tuple(r) for r in session.execute(query)])


@pytest.fixture
def as_of() -> date:
    return AS_OF
