"""Arrears: CNSS late-payment penalties as the rules say (posted once, corrected by a new
entry when a payment dated earlier arrives), paid after the principal; reminders through
the outbox once per stage; adjustments and waivers as entries with their reason."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.contributions.collection import accounts, arrears, receipts, runs
from daman.contributions.collection import builders as b
from daman.contributions.collection.declarations import declare
from daman.contributions.ledger import repository as repo
from daman.contributions.ledger.models import Call, CallStatus, Entry, EntryKind, Part
from daman.core.errors import ValidationFailed
from daman.notifications.models import Notification

JAN = date(2025, 1, 1)


def january_call(session: Session, wage: str = "10000") -> tuple[Call, int]:
    employer, [person] = b.workforce(session, 1)
    data = b.declaration([(person.immatriculation, 26, wage)])
    report = declare(
        session,
        data,
        filename="jan.csv",
        month=JAN,
        actor="test",
        employer=employer,
        issued_on=date(2025, 2, 1),
    )
    call = session.scalars(select(Call).where(Call.number == report.calls[0].number)).one()
    return call, call.account_id


def penalties(session: Session, call: Call) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Entry.amount_centimes), 0)).where(
                Entry.call_id == call.id, Entry.part == Part.PENALTY
            )
        )
        or 0
    )


def test_penalties_three_then_one_percent_posted_once(session: Session) -> None:
    call, account = january_call(session)  # 637.00 MAD due 2025-02-10
    assert arrears.run_arrears(session, date(2025, 2, 10), "batch").penalties_posted == 0
    first = arrears.run_arrears(session, date(2025, 2, 11), "batch")
    assert (first.penalties_posted, first.penalties_centimes) == (1, 1_911)  # 3 %
    assert arrears.run_arrears(session, date(2025, 2, 11), "batch").penalties_posted == 0
    arrears.run_arrears(session, date(2025, 4, 11), "batch")  # 3 % + 1 % + 1 %
    assert penalties(session, call) == 1_911 + 637 + 637
    assert repo.balance(session, account) == 63_700 + 3_185


def test_a_payment_settles_the_principal_before_the_penalty(session: Session) -> None:
    call, account = january_call(session)
    arrears.run_arrears(session, date(2025, 2, 20), "batch")  # 19.11 MAD penalty
    number = call.number
    data = b.camt054_credits([("B-1", 63_700, number, date(2025, 2, 25))])
    receipts.import_bank_file(session, data, "n.xml", "test")
    session.refresh(call)
    assert call.status == CallStatus.PAID and call.paid_on == date(2025, 2, 25)
    assert repo.balance(session, account) == 1_911  # the penalty is still owed
    # paid within the first month: no further month's penalty
    arrears.run_arrears(session, date(2025, 6, 1), "batch")
    assert penalties(session, call) == 1_911


def test_a_payment_dated_earlier_reduces_the_penalty_by_a_new_entry(session: Session) -> None:
    call, _ = january_call(session)
    arrears.run_arrears(session, date(2025, 3, 15), "batch")  # 3 % + 1 %
    assert penalties(session, call) == 2_548
    data = b.camt054_credits([("B-2", 63_700, call.number, date(2025, 2, 12))])
    receipts.import_bank_file(session, data, "late-notice.xml", "test")
    arrears.run_arrears(session, date(2025, 3, 16), "batch")
    assert penalties(session, call) == 1_911  # only the first month
    kinds = session.scalars(
        select(Entry.amount_centimes).where(Entry.call_id == call.id, Entry.part == Part.PENALTY)
    ).all()
    assert sorted(kinds) == [-637, 2_548]  # never edited: corrected by a new entry


def test_no_penalty_where_the_rules_know_none(session: Session) -> None:
    b.member(session, "TNS", category="ADOUL", valid_from=date(2024, 12, 1))
    runs.run(session, "TNS", JAN, "test", issued_on=JAN)
    report = arrears.run_arrears(session, date(2025, 9, 1), "batch")
    assert report.calls_late == 1 and report.penalties_posted == 0


def test_reminders_go_through_the_outbox_once_per_stage(session: Session) -> None:
    call, account_id = january_call(session)
    account = session.get(accounts.PayerAccount, account_id)  # type: ignore[attr-defined]
    account.email, account.language = "paie@atlas.ma", "fr"
    first = arrears.run_arrears(session, date(2025, 2, 11), "batch")
    again = arrears.run_arrears(session, date(2025, 2, 20), "batch")
    later = arrears.run_arrears(session, date(2025, 3, 11), "batch")
    assert (first.reminders, again.reminders, later.reminders) == (1, 0, 1)
    [mail, _] = session.scalars(
        select(Notification).where(Notification.topic == "contribution_reminder")
    ).all()
    assert mail.recipient == "paie@atlas.ma" and call.number in mail.body
    assert mail.subject == f"Cotisations impayées sur le compte {account.number}"


def test_adjustments_and_waivers_are_entries_with_a_reason(session: Session) -> None:
    call, account_id = january_call(session)
    account = session.get(accounts.PayerAccount, account_id)  # type: ignore[attr-defined]
    arrears.run_arrears(session, date(2025, 2, 11), "batch")
    waived = arrears.adjust(
        session,
        account_number=account.number,
        amount_centimes=-1_911,
        reason="CNSS campaign of 2025-01: penalties waived",
        actor="agent:amina",
        call_number=call.number,
        part=Part.PENALTY,
        waiver=True,
    )
    assert waived.entry_kind == EntryKind.WAIVER and waived.balance_centimes == 63_700
    # the employer paid, then the declaration is found too high: 100.00 MAD less
    data = b.camt054_credits([("B-3", 63_700, call.number, date(2025, 2, 12))])
    receipts.import_bank_file(session, data, "n.xml", "test")
    reduced = arrears.adjust(
        session,
        account_number=account.number,
        amount_centimes=-10_000,
        reason="wage declared twice for one employee",
        actor="agent:amina",
        call_number=call.number,
    )
    assert reduced.balance_centimes == -10_000  # the difference is the employer's credit
    session.refresh(call)
    assert call.status == CallStatus.PAID
    assert sum(c.available for c in repo.credits(session, [account_id])[account_id]) == 10_000
    with pytest.raises(ValidationFailed):
        arrears.adjust(
            session, account_number=account.number, amount_centimes=500, reason="", actor="x"
        )
    with pytest.raises(ValidationFailed):
        arrears.adjust(
            session,
            account_number=account.number,
            amount_centimes=500,
            reason="owed on no call",
            actor="x",
        )
