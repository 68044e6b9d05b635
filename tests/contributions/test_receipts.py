"""Money received: a partial payment then the rest, an overpayment carried forward to the
next call, unidentified money held in suspense then assigned, the same transaction in a
notification and a statement kept once, the same file twice changing nothing, a
partner's file refused whole for a bad row."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.contributions.collection import accounts, receipts
from daman.contributions.collection import builders as b
from daman.contributions.collection.declarations import declare
from daman.contributions.ledger import repository as repo
from daman.contributions.ledger.models import Call, CallEvent, CallStatus, Entry, Receipt
from daman.core.errors import ValidationFailed

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


def declared(session: Session, month: date = JAN, wages: tuple[str, ...] = ("5000",)):
    employer, people = b.workforce(session, len(wages))
    data = b.declaration([(p.immatriculation, 26, w) for p, w in zip(people, wages, strict=True)])
    report = declare(
        session,
        data,
        filename="d.csv",
        month=month,
        actor="test",
        employer=employer,
        issued_on=month.replace(day=28),
    )
    account = accounts.of_employer(session, employer, "test")
    call = session.scalars(select(Call).where(Call.number == report.calls[0].number)).one()
    return employer, people, account, call


def test_a_partial_payment_then_the_rest(session: Session) -> None:
    _, _, account, call = declared(session)  # 318.50 MAD
    first = b.camt054_credits([("BANK-1", 20_000, f"AMO {call.number}", date(2025, 2, 5))])
    report = receipts.import_bank_file(session, first, "n1.xml", "test")
    assert (report.matched, report.unidentified, report.total_centimes) == (1, 0, 20_000)
    session.refresh(call)
    assert call.status == CallStatus.PARTIAL and call.paid_on is None
    assert repo.balance(session, account.id) == 11_850
    rest = b.camt054_credits([("BANK-2", 11_850, call.number, date(2025, 2, 9))], message="M2")
    receipts.import_bank_file(session, rest, "n2.xml", "test")
    session.refresh(call)
    assert call.status == CallStatus.PAID and call.paid_on == date(2025, 2, 9)
    assert repo.balance(session, account.id) == 0
    events = session.scalars(
        select(CallEvent.to_status).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
    ).all()
    assert events == ["partial", "paid"]
    assert [r.bank_reference for r in receipts.receipts_of(session, account.id)] == [
        "BANK-1",
        "BANK-2",
    ]


def test_an_overpayment_is_carried_to_the_next_call(session: Session) -> None:
    employer, people, account, call = declared(session)
    paid = b.camt054_credits([("BANK-9", 50_000, f"cotisation {call.number}", date(2025, 2, 3))])
    receipts.import_bank_file(session, paid, "n.xml", "test")
    session.refresh(call)
    assert call.status == CallStatus.PAID
    assert repo.balance(session, account.id) == 31_850 - 50_000  # 181.50 MAD of credit
    assert sum(c.available for c in repo.credits(session, [account.id])[account.id]) == 18_150
    session.refresh(account)
    assert account.credit_centimes == 18_150  # kept in step with the entries
    data = b.declaration([(people[0].immatriculation, 26, "5000")])
    report = declare(
        session,
        data,
        filename="feb.csv",
        month=FEB,
        actor="test",
        employer=employer,
        issued_on=date(2025, 2, 28),
    )
    february = session.scalars(select(Call).where(Call.number == report.calls[0].number)).one()
    assert february.status == CallStatus.PARTIAL  # 181.50 of 318.50 paid by the credit
    assert repo.balance(session, account.id) == 31_850 - 18_150
    assert repo.credits(session, [account.id]) == {}
    session.refresh(account)
    assert account.credit_centimes == 0


def test_money_from_nobody_known_waits_in_suspense_until_assigned(session: Session) -> None:
    _, _, account, call = declared(session)
    data = b.camt054_credits([("BANK-X", 31_850, "virement", date(2025, 2, 4))])
    report = receipts.import_bank_file(session, data, "n.xml", "test")
    assert (report.matched, report.unidentified) == (0, 1)
    [held] = receipts.suspended(session, "test")
    why = "the employer's letter of 2025-02-06"
    receipts.assign(session, held.id, account.number, why, "agent")
    session.refresh(call)
    assert call.status == CallStatus.PAID and call.paid_on == date(2025, 2, 4)
    assert receipts.suspended(session, "test") == []
    assert repo.balance(session, accounts.suspense(session, "test").id) == 0
    with pytest.raises(Exception, match="not held in suspense"):
        receipts.assign(session, held.id, account.number, "again", "agent")


def test_the_same_transaction_twice_is_kept_once(session: Session) -> None:
    employer, _, account, call = declared(session)
    credit = [("BANK-7", 31_850, f"{employer.number} janvier", date(2025, 2, 6))]
    notification = b.camt054_credits(credit)
    first = receipts.import_bank_file(session, notification, "n.xml", "test")
    assert first.matched == 1
    again = receipts.import_bank_file(session, notification, "n.xml", "test")
    assert again.replayed
    statement = b.camt054_credits(credit, document="camt.053.001.08", message="STMT")
    day = receipts.import_bank_file(session, statement, "s.xml", "test")
    assert (day.kind, day.duplicates, day.matched) == ("camt.053", 1, 0)
    assert session.scalar(select(func.count(Receipt.id))) == 1
    assert repo.balance(session, account.id) == 0
    session.refresh(call)
    assert call.status == CallStatus.PAID


def test_a_partner_file_pays_by_call_number(session: Session) -> None:
    _, _, account, call = declared(session)
    data = (
        "reference;date;amount;payer_reference;payer_name\n"
        f"P-1;2025-02-07;318.50;{call.number.lower()};Atlas\n"
    ).encode()
    report = receipts.import_partner_file(session, data, "p.csv", "wafacash", "test")
    assert report.matched == 1
    assert repo.balance(session, account.id) == 0


def test_a_partner_file_with_a_bad_row_is_refused_whole(session: Session) -> None:
    _, _, account, call = declared(session)
    data = (
        "reference,date,amount,payer_reference\n"
        f"P-1,2025-02-07,100.00,{call.number}\n"
        f"P-2,2025-02-31,100.00,{call.number}\n"
        f"P-3,2025-02-07,-5,{call.number}\n"
        f"P-1,2025-02-07,1.00,{call.number}\n"
    ).encode()
    with pytest.raises(ValidationFailed) as caught:
        receipts.import_partner_file(session, data, "p.csv", "wafacash", "test")
    fields = [e.field for e in caught.value.detail]  # type: ignore[union-attr]
    assert fields == ["line 3.date", "line 4.amount", "line 5.reference"]
    assert session.scalar(select(func.count(Entry.id)).where(Entry.amount_centimes < 0)) == 0
    assert repo.balance(session, account.id) == call.total_centimes


def test_a_file_that_is_no_bank_report_is_refused(session: Session) -> None:
    for data, reason in (
        (b"<x/>", "not a camt.053 or camt.054"),
        (b"<Document", "not well-formed"),
    ):
        with pytest.raises(ValidationFailed, match=reason):
            receipts.import_bank_file(session, data, "x.xml", "test")
