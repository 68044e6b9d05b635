"""The rights engine reads "paid" from the ledger: a TNS member loses rights after unpaid
months exactly as the rights rule says and regains them on the day of the payment (the
effect is dated: a date before it keeps its answer); an employee's rights open on the
declared days once the employer's call is paid; the registry's imported months still
count, and a month the ledger knows of is read from the ledger only."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from daman.contributions.collection import builders as b
from daman.contributions.collection import receipts, runs
from daman.contributions.collection.declarations import declare
from daman.core.dates import add_months
from daman.registry import builders as registry
from daman.registry.rights import check


def month(n: int) -> date:
    return add_months(date(2025, 1, 1), n)


def pay(session: Session, reference: str, centimes: int, text: str, on: date) -> None:
    data = b.camt054_credits([(reference, centimes, text, on)], message=reference)
    receipts.import_bank_file(session, data, f"{reference}.xml", "test")


def test_a_tns_member_loses_rights_when_unpaid_and_regains_them_on_payment(
    session: Session,
) -> None:
    member = b.member(session, "TNS", valid_from=date(2025, 1, 1), category="TRADER_SIMPLIFIED")
    number = member.immatriculation
    for n in range(9):  # calls for January to September 2025, 180.19 MAD each
        runs.run(session, "TNS", month(n), "test", issued_on=month(n))
    pay(session, "P-JAN", 18_019, f"M{number}", date(2025, 1, 20))
    pay(session, "P-FEB", 18_019, f"M{number}", date(2025, 2, 20))

    assert check(session, number, date(2025, 1, 10)).reason == "contributions_unpaid"
    assert check(session, number, date(2025, 1, 25)).reason == "covered_principal"
    # paid up to February; rights are kept 6 months after (the TNS rights rule), then lost
    kept = check(session, number, date(2025, 6, 15))
    assert (kept.covered, kept.reason) == (True, "covered_maintained_no_contributions")
    assert kept.rights_until == date(2025, 8, 31)
    lost = check(session, number, date(2025, 9, 2))
    assert (lost.covered, lost.reason) == (False, "contributions_unpaid")

    # the member pays the seven months owed on 2025-09-15 (oldest first)
    pay(session, "P-ARREARS", 7 * 18_019, f"M{number} arriérés", date(2025, 9, 15))
    back = check(session, number, date(2025, 9, 16))
    assert (back.covered, back.reason) == (True, "covered_principal")
    # the effect is dated: the day before the payment still had no rights
    assert check(session, number, date(2025, 9, 14)).covered is False
    assert check(session, number, date(2025, 9, 2)).reason == "contributions_unpaid"


def test_an_employee_is_covered_once_the_employers_calls_are_paid(session: Session) -> None:
    employer, [employee] = b.workforce(session, 1, valid_from=date(2025, 1, 1))
    for n in range(3):  # 27 days in January, February and March: 54 days by February
        data = b.declaration([(employee.immatriculation, 27, "4000")])
        report = declare(
            session,
            data,
            filename=f"{n}.csv",
            month=month(n),
            actor="test",
            employer=employer,
            issued_on=add_months(month(n), 1),
        )
        assert report.errors == []
    number = employee.immatriculation
    before = check(session, number, date(2025, 3, 15))
    assert (before.covered, before.reason) == (False, "rights_not_open")  # days not paid
    pay(session, "E-JAN-FEB", 2 * 25_480, f"{employer.number}", date(2025, 3, 20))
    opened = check(session, number, date(2025, 3, 21))
    assert (opened.covered, opened.reason) == (True, "covered_principal")
    assert "54 declared days in 2024-09..2025-02" in opened.explanation.render("en")
    assert check(session, number, date(2025, 3, 19)).covered is False


def test_the_registry_months_still_count_and_the_ledger_wins_for_its_months(
    session: Session,
) -> None:
    person = registry.insured(session, regime="TNS", valid_from=date(2025, 1, 1))
    registry.contributions(session, person, date(2025, 1, 1), months=2, days=0, paid=True)
    assert check(session, person.immatriculation, date(2025, 2, 15)).covered
    # the ledger calls February and it is unpaid: February no longer counts as paid
    b.member_category(session, person, "TRADER_SIMPLIFIED", date(2025, 1, 1))
    runs.run(session, "TNS", month(1), "test", issued_on=month(1))
    seen = check(session, person.immatriculation, date(2025, 2, 15))
    assert seen.reason == "covered_maintained_no_contributions"  # January alone was paid
