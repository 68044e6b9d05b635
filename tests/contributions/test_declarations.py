"""An employer's declaration of the month: the call it makes (base, shares, due date,
lines, ledger entry), bad rows reported by line and field with the rest loaded, the same
file twice changing nothing, a complementary declaration, a bulk file of many employers
and an administration's CNOPS file."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.contributions.collection import accounts
from daman.contributions.collection import builders as b
from daman.contributions.collection.declarations import (
    DeclarationRow,
    cell_problems,
    declare,
    read_cells,
)
from daman.contributions.ledger.models import Call, CallLine, CallStatus, Entry, EntryKind
from daman.contributions.ledger.repository import balance
from daman.core.errors import ValidationFailed
from daman.core.rows import check_row
from daman.registry import builders as registry

JAN = date(2025, 1, 1)


def test_a_declaration_makes_one_call_with_its_lines_and_entry(session: Session) -> None:
    employer, people = b.workforce(session, 2)
    data = b.declaration(
        [(people[0].immatriculation, 26, "5000.00"), (people[1].immatriculation, 22, "2828.71")]
    )
    report = declare(session, data, filename="jan.csv", month=JAN, actor="test", employer=employer)
    assert report.errors == [] and report.rows_loaded == 2
    [made] = report.calls
    assert made.number == f"E{employer.number}-CNSS_SAL-202501"
    assert made.members == 2 and made.total_centimes == 31_850 + 18_019
    assert made.due_date == date(2025, 2, 10)
    call = session.scalars(select(Call).where(Call.number == made.number)).one()
    assert (call.base_centimes, call.member_centimes) == (782_871, 11_300 + 6_393)
    assert call.employer_centimes == 20_550 + 11_626
    assert (call.member_rate_bp, call.employer_rate_bp, call.solidarity_rate_bp) == (226, 226, 185)
    assert call.status == CallStatus.OPEN and call.paid_on is None
    lines = session.scalars(select(CallLine).where(CallLine.call_id == call.id)).all()
    assert sorted((line.days, line.base_centimes) for line in lines) == [
        (22, 282_871),
        (26, 500_000),
    ]
    [entry] = session.scalars(select(Entry).where(Entry.call_id == call.id)).all()
    assert (entry.kind, entry.amount_centimes) == (EntryKind.CALL, call.total_centimes)
    account = accounts.by_number(session, f"E{employer.number}")
    assert balance(session, account.id) == call.total_centimes


def test_bad_rows_are_reported_by_line_and_field_and_the_rest_loaded(session: Session) -> None:
    employer, people = b.workforce(session, 3)
    stranger = registry.insured(session, regime="TNS")
    data = b.declaration(
        [
            (people[0].immatriculation, 26, "4000.00"),  # line 2: fine
            ("", 26, "4000"),  # 3: no immatriculation
            (people[1].immatriculation, 40, "4000"),  # 4: 40 days
            (people[1].immatriculation, 20, "4 000,505"),  # 5: three decimals
            ("DM9999999999", 26, "100"),  # 6: nobody
            (stranger.immatriculation, 26, "100"),  # 7: not CNSS_SAL
            (people[0].immatriculation, 26, "4000"),  # 8: line 2 again
            (people[2].immatriculation, "", "3000"),  # 9: no days
            (people[2].immatriculation, 10, "3000", "retired"),  # 10: no such kind
            (people[1].immatriculation, 15, "1500.5"),  # 11: fine
        ],
        header=("immatriculation", "days", "gross_wage", "kind"),
        delimiter=";",
    )
    report = declare(session, data, filename="jan.csv", month=JAN, actor="test", employer=employer)
    got = [(e.line, e.field, e.kind) for e in report.errors]
    assert got == [
        (3, "immatriculation", "missing"),
        (4, "days", "bad_number"),
        (5, "gross_wage", "bad_amount"),
        (6, "immatriculation", "unknown_person"),
        (7, "immatriculation", "not_affiliated"),
        (8, "immatriculation", "duplicate"),
        (9, "days", "missing"),
        (10, "kind", "bad_kind"),
    ]
    assert "repeats line 2" in report.errors[5].reason
    assert report.rows_read == 10 and report.rows_loaded == 2 and report.rows_rejected == 8
    assert report.calls[0].members == 2


def test_the_same_file_twice_changes_nothing(session: Session) -> None:
    employer, people = b.workforce(session, 2)
    data = b.declaration([(people[0].immatriculation, 26, "5000"), ("DM9999999999", 1, "1")])
    first = declare(session, data, filename="a.csv", month=JAN, actor="test", employer=employer)
    counts = (
        session.scalar(select(func.count(Call.id))),
        session.scalar(select(func.count(Entry.id))),
    )
    again = declare(session, data, filename="b.csv", month=JAN, actor="test", employer=employer)
    assert again.replayed and not first.replayed
    assert again.calls == first.calls
    assert [(e.line, e.field, e.reason) for e in again.errors] == [
        (e.line, e.field, e.reason) for e in first.errors
    ]
    assert (
        session.scalar(select(func.count(Call.id))),
        session.scalar(select(func.count(Entry.id))),
    ) == counts


def test_a_second_file_of_the_month_is_a_complementary_call(session: Session) -> None:
    employer, people = b.workforce(session, 2)
    first = b.declaration([(people[0].immatriculation, 26, "5000")])
    declare(session, first, filename="a.csv", month=JAN, actor="test", employer=employer)
    second = b.declaration(
        [(people[0].immatriculation, 26, "5000"), (people[1].immatriculation, 26, "6000")]
    )
    report = declare(session, second, filename="b.csv", month=JAN, actor="test", employer=employer)
    assert [(e.line, e.kind) for e in report.errors] == [(2, "already_declared")]
    assert report.calls[0].number.endswith("-202501-2") and report.calls[0].members == 1


def test_a_bulk_file_names_each_rows_employer(session: Session) -> None:
    one, staff_one = b.workforce(session, 2)
    two, staff_two = b.workforce(session, 1)
    data = b.declaration(
        [
            (one.number, staff_one[0].immatriculation, 26, "5000"),
            (two.number, staff_two[0].immatriculation, 26, "7000"),
            (one.number, staff_one[1].immatriculation, 26, "3000"),
            ("9999999", staff_two[0].immatriculation, 26, "1"),
            ("", staff_two[0].immatriculation, 26, "1"),
        ],
        header=("employer", "immatriculation", "days", "gross_wage"),
        delimiter=";",
    )
    report = declare(session, data, filename="bulk.csv", month=JAN, actor="test")
    assert [(e.line, e.field, e.kind) for e in report.errors] == [
        (5, "employer", "unknown_employer"),
        (6, "employer", "missing"),
    ]
    assert sorted((c.account, c.members) for c in report.calls) == sorted(
        [(f"E{one.number}", 2), (f"E{two.number}", 1)]
    )
    again = declare(session, data, filename="bulk.csv", month=JAN, actor="test")
    assert sorted(c.number for c in again.calls) == sorted(c.number for c in report.calls)
    assert session.scalar(select(func.count(Call.id))) == 2


def test_an_administration_declares_its_cnops_members(session: Session) -> None:
    active = registry.insured(session, regime="CNOPS")
    retired = registry.insured(session, regime="CNOPS")
    payer = accounts.open_administration(session, "MEN", "Ministère de l'Éducation", "test")
    data = b.declaration(
        [
            (active.immatriculation, "12000", "active"),
            (retired.immatriculation, "2000", "pensioner"),
        ],
        header=("immatriculation", "gross_wage", "kind"),
    )
    report = declare(session, data, filename="men.csv", month=JAN, actor="test", payer=payer)
    assert report.errors == []
    # 12,000: 300 + 300; pensioner on 2,000: 50 -> 70 (the minimum)
    assert report.calls[0].total_centimes == 30_000 + 30_000 + 7_000
    assert report.calls[0].number == "AMEN-CNOPS-202501"


def test_a_file_that_is_not_a_declaration_is_refused_whole(session: Session) -> None:
    employer, _ = b.workforce(session, 1)
    for data, reason in (
        (b"name,amount\nx,1\n", "missing column"),
        (b"\xff\xfe", "not UTF-8"),
        (b"", "empty"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            declare(session, data, filename="x.csv", month=JAN, actor="test", employer=employer)
        assert reason in str(caught.value)
        assert caught.value.detail[0].field == "file"  # type: ignore[index]


def test_quoted_cells_and_crlf_keep_their_line_numbers() -> None:
    data = b'immatriculation,days,gross_wage\r\n\r\n"DM1",26,"5000,50"\r\nDM2,1,2\r\n'
    frame = read_cells(data, ("immatriculation", "days", "gross_wage", "kind", "employer"))
    assert frame.select("line", "immatriculation", "gross_wage").rows() == [
        (3, "DM1", "5000,50"),
        (4, "DM2", "2"),
    ]


CELL = st.one_of(
    st.text(alphabet="0123456789., -aE", max_size=16),
    st.sampled_from(["", "31", "32", "007", "1,5", "1.555", " 12 ", "employee", "PENSIONER"]),
)


@settings(max_examples=400, deadline=None)
@given(imm=CELL, days=CELL, wage=CELL, kind=CELL, employer=CELL)
def test_the_column_checks_refuse_what_the_row_model_refuses(
    imm: str, days: str, wage: str, kind: str, employer: str
) -> None:
    cells = {
        "immatriculation": imm.strip(),
        "days": days.strip(),
        "gross_wage": wage.strip(),
        "kind": kind.strip(),
        "employer": employer.strip(),
    }
    vectorised = bool(cell_problems(pl.DataFrame({k: [v] for k, v in cells.items()}))[0])
    assert vectorised == (not check_row(DeclarationRow, 2, cells).ok), cells


def test_a_months_scale_reads_give_the_same_calls(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above `WHOLE` ids the accounts, their numbers and credits are read whole: the same
    calls come out as with look-ups by chunk."""
    from daman.contributions.collection import accounts as accounts_module
    from daman.contributions.ledger import repository

    monkeypatch.setattr(repository, "WHOLE", 0)
    monkeypatch.setattr(accounts_module, "WHOLE", 0)
    one, staff = b.workforce(session, 2)
    data = b.declaration(
        [(one.number, p.immatriculation, 26, "5000") for p in staff],
        header=("employer", "immatriculation", "days", "gross_wage"),
    )
    report = declare(session, data, filename="bulk.csv", month=JAN, actor="test")
    assert [(c.account, c.members, c.total_centimes) for c in report.calls] == [
        (f"E{one.number}", 2, 63_700)
    ]
