"""Reference data kept per process while its stamp holds: any write to a reference table
changes the stamp in the writer's transaction, and what was kept is then read again."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from daman.adjudication import context
from daman.reference import cache
from daman.reference.models import REFERENCE_TABLES, ActTariff, Regime

TEST_REGIME = {"code": "TESTREG", "name": "Test regime", "fund": "CNSS", "description": ""}


def test_every_write_to_a_reference_table_changes_the_stamp(session: Session):
    for table in REFERENCE_TABLES:
        before = cache.stamp(session)
        updated = session.execute(text(f"UPDATE {table} SET created_by = created_by")).rowcount
        if updated or session.get_bind().dialect.name == "postgresql":  # SQLite: per row
            assert cache.stamp(session) != before, f"{table}: an update left the stamp as it was"
    before = cache.stamp(session)
    session.execute(insert(Regime).values(TEST_REGIME))
    inserted = cache.stamp(session)
    session.execute(delete(Regime).where(Regime.code == "TESTREG"))
    assert len({before, inserted, cache.stamp(session)}) == 3


def test_what_is_kept_is_read_once_per_stamp(session: Session):
    calls = []

    def load(s: Session) -> list[str]:
        calls.append(1)
        return sorted(s.scalars(select(ActTariff.key).distinct()))

    first = cache.current(session).get(load)
    assert cache.current(session).get(load) is first
    assert len(calls) == 1
    session.execute(update(ActTariff).where(ActTariff.key == "C").values(source="changed"))
    again = cache.current(session).get(load)
    assert len(calls) == 2 and again == first


def test_a_tariff_changed_in_the_transaction_is_the_one_valued(session: Session):
    ref = cache.current(session)
    before = context.tariffs(ref, ["C"]).get_column("value_centimes").to_list()
    session.execute(
        update(ActTariff)
        .where(ActTariff.key == "C")
        .values(value_centimes=ActTariff.value_centimes + 1)
    )
    after = context.tariffs(cache.current(session), ["C"]).get_column("value_centimes").to_list()
    assert after == [v + 1 for v in before]


def test_a_rolled_back_change_never_lends_its_stamp(session: Session):
    outside = cache.stamp(session)
    nested = session.begin_nested()
    session.execute(update(ActTariff).where(ActTariff.key == "C").values(source="x"))
    changed = cache.stamp(session)
    nested.rollback()
    assert cache.stamp(session) == outside != changed
