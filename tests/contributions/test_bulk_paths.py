"""The month's bulk paths: the look-ups and reads a national month takes (hash joins, one
text per read, ids reserved by the thousand) answer as the small ones do, and the tables
written without foreign keys (migration 0024) name only rows that exist."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from daman.contributions.collection import accounts, lookup, receipts, runs
from daman.contributions.collection import builders as b
from daman.contributions.collection.declarations import declare
from daman.contributions.collection.models import Declaration
from daman.contributions.ledger import repository as ledger
from daman.contributions.ledger.models import Call, CallLine, Entry, PayerAccount
from daman.core.bulk import frame_of, reserve_ids
from daman.reference.models import Regime
from daman.registry import builders as registry
from daman.registry.models import Employer, Person

JAN = date(2025, 1, 1)


def _declare_with_bad_rows(session: Session) -> list[tuple[int, str, str]]:
    employer, people = b.workforce(session, 2)
    stranger = registry.insured(session, regime="TNS")
    data = b.declaration(
        [
            (people[0].immatriculation, 26, "4000.00"),
            ("DM9999999999", 26, "100"),  # nobody
            (stranger.immatriculation, 26, "100"),  # not CNSS_SAL
            (people[1].immatriculation, 15, "1500.5"),
        ]
    )
    report = declare(session, data, filename="jan.csv", month=JAN, actor="test", employer=employer)
    assert report.rows_loaded == 2 and report.calls[0].members == 2
    return [(e.line, e.field, e.kind) for e in report.errors]


@pytest.mark.parametrize("big", [False, True], ids=["look-ups", "hash-join"])
def test_a_months_scale_person_look_up_gives_the_same_answers(
    session: Session, monkeypatch: pytest.MonkeyPatch, big: bool
) -> None:
    """Above `BIG` numbers the month's affiliated persons are joined as one set."""
    if big:
        monkeypatch.setattr(lookup, "BIG", 0)
    assert _declare_with_bad_rows(session) == [
        (3, "immatriculation", "unknown_person"),
        (4, "immatriculation", "not_affiliated"),
    ]


def test_a_read_as_one_text_keeps_commas_quotes_nulls_flags_and_dates(session: Session) -> None:
    person = registry.insured(session, regime="CNSS_SAL")
    person.last_name = 'O"Neil, Jr'
    person.cnie = None
    session.flush()
    stmt = select(
        Person.id, Person.last_name, Person.cnie, Person.disabled, Person.birth_date
    ).where(Person.id == person.id)
    schema = {
        "id": pl.Int64,
        "last_name": pl.String,
        "cnie": pl.String,
        "disabled": pl.Boolean,
        "birth_date": pl.Date,
    }
    frame = frame_of(session, stmt, schema)
    assert frame.rows() == [(person.id, 'O"Neil, Jr', None, person.disabled, person.birth_date)]
    assert frame_of(session, stmt.where(Person.id < 0), schema).is_empty()


def test_ids_reserved_by_the_thousand_are_fresh_and_distinct(session: Session) -> None:
    ids = reserve_ids(session, Call.__table__, 1_200)  # type: ignore[arg-type]
    assert len(set(ids)) == 1_200 and all(isinstance(i, int) for i in ids)
    assert min(ids) > (session.scalar(select(func.max(Call.id))) or 0)
    if session.get_bind().dialect.name == "postgresql":  # from the sequence: never again
        assert reserve_ids(session, Call.__table__, 3)[0] > max(ids)  # type: ignore[arg-type]


def test_the_tables_written_in_bulk_name_only_rows_that_exist(session: Session) -> None:
    """calls, call_lines, ledger_entries and declarations have no foreign keys on what they
    name: a declaration, a month's run and a bank file leave no row naming nothing."""
    _declare_with_bad_rows(session)
    member = b.member(session, "TNS", category="ADOUL", valid_from=date(2024, 12, 1))
    runs.run(session, "TNS", JAN, "test", issued_on=JAN)
    call = session.scalars(
        select(Call)
        .join(PayerAccount, PayerAccount.id == Call.account_id)
        .where(PayerAccount.person_id == member.id)
    ).one()
    data = b.camt054_credits([("B-1", call.total_centimes, call.number, date(2025, 2, 5))])
    receipts.import_bank_file(session, data, "camt.xml", "test")
    assert session.scalar(select(func.count(CallLine.id))) == 2  # the member's call has none
    assert session.scalar(select(func.count(Entry.id))) == 3  # two calls and the receipt

    def orphans(column: Any, target: Any) -> int:
        missing = ~select(target).where(target == column).exists()
        return int(session.scalar(select(func.count()).where(missing, column.is_not(None))) or 0)

    assert orphans(CallLine.call_id, Call.id) == 0
    assert orphans(CallLine.person_id, Person.id) == 0
    assert orphans(Call.account_id, PayerAccount.id) == 0
    assert orphans(Call.regime_code, Regime.code) == 0
    assert orphans(Entry.account_id, PayerAccount.id) == 0
    assert orphans(Entry.call_id, Call.id) == 0
    assert orphans(Declaration.account_id, PayerAccount.id) == 0
    assert orphans(Declaration.call_id, Call.id) == 0
    assert orphans(Declaration.regime_code, Regime.code) == 0


def _refused(session: Session, statement: Any) -> None:
    """The statement is refused as a foreign key would refuse it, and undone."""
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(statement)


def test_the_foreign_keys_rule_is_kept_per_statement(session: Session) -> None:
    """What the dropped foreign keys refused is still refused, once per statement (per
    row on SQLite): a row naming a call, person, account or regime that is not there, and
    deleting a row that others name."""
    _declare_with_bad_rows(session)
    line = session.scalars(select(CallLine).order_by(CallLine.id).limit(1)).one()
    person = session.get(Person, line.person_id)
    call = session.get(Call, line.call_id)
    assert person is not None and call is not None

    missing = 2_000_000_000
    _refused(session, update(CallLine).where(CallLine.id == line.id).values(call_id=missing))
    _refused(session, update(CallLine).where(CallLine.id == line.id).values(person_id=missing))
    _refused(session, update(Call).where(Call.id == call.id).values(account_id=missing))
    _refused(session, update(Call).where(Call.id == call.id).values(regime_code="NOPE"))
    _refused(session, update(Entry).where(Entry.call_id == call.id).values(account_id=missing))
    _refused(session, delete(Person).where(Person.id == person.id))
    _refused(session, delete(PayerAccount).where(PayerAccount.id == call.account_id))
    _refused(session, delete(Call).where(Call.id == call.id))
    # what names nothing passes: a statement of good rows is not refused
    session.execute(update(CallLine).where(CallLine.id == line.id).values(call_id=call.id))


def test_a_members_own_call_has_no_line_and_the_rights_read_it(session: Session) -> None:
    """A TNS or Chamil member pays for themself: the call is the only row about the month,
    and the ledger's months (what the rights read) name the member through the account."""
    member = b.member(session, "TNS", category="ADOUL", valid_from=date(2024, 12, 1))
    report = runs.run(session, "TNS", JAN, "test", issued_on=JAN)
    assert (report.calls, report.members) == (1, 1)
    call = session.scalars(select(Call)).one()
    assert call.members == 1 and call.total_centimes > 0
    assert session.scalar(select(func.count(CallLine.id))) == 0
    assert list(ledger.months(session, [member.id])) == [(member.id, JAN, 0, False, None)]
    other = registry.insured(session, regime="TNS")
    known = select(Person.id).where(
        ledger.in_ledger(Person.id, JAN), Person.id.in_([member.id, other.id])
    )
    assert session.scalars(known).all() == [member.id]


def test_an_account_names_an_existing_owner_and_its_owner_stays(session: Session) -> None:
    """Payer accounts name their person or employer without a foreign key checked a row
    at a time (migration 0027): an account naming nobody is refused, so is deleting a
    person or an employer that an account names; an owner no account names goes."""
    person, employer = registry.person(session), registry.employer(session)
    member, payer = (
        accounts.of_person(session, person, "test"),
        accounts.of_employer(session, employer, "test"),
    )

    missing = 2_000_000_000
    _refused(
        session, update(PayerAccount).where(PayerAccount.id == member.id).values(person_id=missing)
    )
    _refused(
        session, update(PayerAccount).where(PayerAccount.id == payer.id).values(employer_id=missing)
    )
    _refused(session, delete(Person).where(Person.id == person.id))
    _refused(session, delete(Employer).where(Employer.id == employer.id))
    # the statement's good rows pass, and an owner nobody names is deleted
    session.execute(
        update(PayerAccount).where(PayerAccount.id == member.id).values(person_id=person.id)
    )
    session.execute(delete(PayerAccount).where(PayerAccount.id == payer.id))
    session.execute(delete(Employer).where(Employer.id == employer.id))
    assert session.get(Employer, employer.id) is None
