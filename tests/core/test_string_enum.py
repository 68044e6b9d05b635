"""Status and kind columns (core.db.StringEnum): the enum's member in Python, its value in a
plain VARCHAR, on every backend and through the bulk writers alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from daman.core.bulk import SMALL, bulk_insert, bulk_update
from daman.core.enums import CareCategory, Confidence, Exemption, Sector
from daman.reference.models import CoverageRate, Fund, Regime

RATES: Table = CoverageRate.__table__  # type: ignore[assignment]
AT = datetime(2026, 1, 1, tzinfo=UTC)
COMMON = {"regime_code": "CNSS_SAL", "rate_bp": 7000, "valid_from": date(2020, 1, 1)} | {
    "created_at": AT,
    "created_by": "test",
    "updated_at": AT,
    "updated_by": "test",
}


def _rates(session: Session, source: str) -> list[CoverageRate]:
    stmt = select(CoverageRate).where(CoverageRate.source == source).order_by(CoverageRate.id)
    return list(session.scalars(stmt))


def test_a_row_holds_the_member_and_the_table_its_value(session: Session) -> None:
    session.add(Regime(code="TEST", name="test", fund=Fund.CNSS))
    session.flush()
    session.expire_all()
    row = session.get(Regime, "TEST")
    assert row is not None and row.fund is Fund.CNSS
    stored = session.execute(text("SELECT fund FROM regimes WHERE code = 'TEST'")).scalar()
    assert stored == "CNSS"
    # a plain value is taken as its member
    assert session.scalar(select(Regime.code).where(Regime.fund == "CNSS", Regime.code == "TEST"))


def test_an_attribute_holds_the_member_from_the_moment_it_is_set(session: Session) -> None:
    row = Regime(code="TEST", name="test", fund="CNSS")
    assert row.fund is Fund.CNSS
    with pytest.raises(ValueError, match="'MUTUAL' set is not a Fund"):
        row.fund = "MUTUAL"


def test_a_value_that_is_no_member_raises_when_written_and_when_read(session: Session) -> None:
    with pytest.raises(Exception, match="'MUTUAL' written is not a Fund"):
        session.execute(insert(Regime).values(code="TEST", name="test", fund="MUTUAL"))
    session.execute(
        text(
            "INSERT INTO regimes (code, name, fund, description, created_at,"
            " created_by, updated_at, updated_by) VALUES ('TEST', 'test', 'MUTUAL',"
            " '', CURRENT_TIMESTAMP, 'test', CURRENT_TIMESTAMP, 'test')"
        )
    )
    with pytest.raises(ValueError, match="'MUTUAL' read from the database is not a Fund"):
        session.scalar(select(Regime.fund).where(Regime.code == "TEST"))


@pytest.mark.parametrize("rows", [3, SMALL + 1])  # a literal built in Python, and by Polars
def test_the_bulk_writers_write_members_as_their_values(session: Session, rows: int) -> None:
    categories = [CareCategory.LAB, CareCategory.MEDICINE, "dental"] * rows
    n = len(categories)
    bulk_insert(
        session,
        RATES,
        {"category": categories, "sector": [Sector.PUBLIC, None, "private"] * rows},
        COMMON | {"exemption": Exemption.ALD, "source": "bulk", "confidence": Confidence.LOW},
    )
    written = _rates(session, "bulk")
    assert [r.category for r in written] == [CareCategory(c) for c in categories]
    assert {r.exemption for r in written} == {Exemption.ALD}
    stored = (
        session.execute(
            text(
                "SELECT DISTINCT category FROM coverage_rates"
                " WHERE source = 'bulk' ORDER BY category"
            )
        )
        .scalars()
        .all()
    )
    assert stored == ["dental", "lab", "medicine"]
    ids = pl.Series([r.id for r in written])
    changed = bulk_update(
        session,
        RATES,
        "id",
        {"id": ids, "category": pl.Series([CareCategory.OPTICAL.value] * n)},
        {"confidence": Confidence.HIGH},
        only_if=("exemption", Exemption.ALD),
    )
    assert changed == n
    session.expire_all()
    assert {(r.category, r.confidence) for r in _rates(session, "bulk")} == {
        (CareCategory.OPTICAL, Confidence.HIGH)
    }


def test_the_bulk_writers_refuse_a_value_that_is_no_member(session: Session) -> None:
    with pytest.raises(Exception, match="'surgery' written is not a CareCategory"):
        bulk_insert(session, RATES, {"category": ["lab", "surgery"]}, COMMON)
