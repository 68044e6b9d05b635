"""Direct debits for AMO Chamil: a mandate, a collection run as a pain.008 file valid
against the ISO XSD, the bank's credit settling it (the member's rights follow after the
waiting months), then a return: the month is owed again and the rights with it."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.contributions.collection import accounts, directdebit, receipts, runs
from daman.contributions.collection import builders as b
from daman.contributions.collection.errors import MandateExists
from daman.contributions.collection.models import CollectionItem, ItemStatus
from daman.contributions.ledger import repository as repo
from daman.contributions.ledger.models import Call, CallStatus
from daman.core.dates import add_months
from daman.core.errors import ValidationFailed
from daman.registry import builders as registry
from daman.registry.rights import check

RIB = registry.valid_rib(7)


def chamil_member(session: Session):
    person = b.member(session, "CHAMIL", valid_from=date(2025, 1, 1), rsu_score="9.8")
    account = accounts.of_person(session, person, "test")
    mandate = directdebit.create_mandate(
        session, account, RIB, "Alaoui Amina", date(2025, 1, 1), "agent"
    )
    return person, account, mandate


def settle(session: Session, run_number: str, on: date) -> None:
    run = directdebit.run_by_number(session, run_number)
    items = session.scalars(
        select(CollectionItem).where(CollectionItem.run_id == run.id).order_by(CollectionItem.id)
    ).all()
    credits = [(f"DD-{i.end_to_end_id}", i.amount_centimes, "PRLV AMO", on) for i in items]
    data = b.camt054_credits(
        credits, message=f"DD-{run_number}", end_to_end=[i.end_to_end_id for i in items]
    )
    receipts.import_bank_file(session, data, "dd.xml", "test")


def test_a_run_collects_what_is_due_in_a_valid_pain008(session: Session) -> None:
    _, _, mandate = chamil_member(session)
    runs.run(session, "CHAMIL", date(2025, 1, 1), "test", issued_on=date(2024, 12, 20))
    summary = directdebit.collect(session, date(2025, 1, 1), "agent")
    assert summary is not None and (summary.items, summary.total_centimes) == (1, 22_400)
    run = directdebit.run_by_number(session, summary.number)
    document = directdebit.pain008(session, run)
    assert directdebit.schema_errors(document) == []
    assert document == directdebit.pain008(session, run)  # the same bytes each time
    root = etree.fromstring(document)
    ns = {"p": directdebit.NS}
    assert root.findtext(".//p:DrctDbtTxInf/p:InstdAmt", namespaces=ns) == "224.00"
    assert root.findtext(".//p:MndtId", namespaces=ns) == mandate.reference
    assert root.findtext(".//p:DbtrAcct/p:Id/p:Othr/p:Id", namespaces=ns) == RIB
    # a second run while the debit is in the bank's hands asks nothing again
    assert directdebit.collect(session, date(2025, 1, 2), "agent") is None


def test_a_settled_debit_pays_and_a_return_undoes_it(session: Session) -> None:
    person, account, _ = chamil_member(session)
    for n in range(4):
        first = add_months(date(2025, 1, 1), n)
        runs.run(session, "CHAMIL", first, "test", issued_on=add_months(first, -1))
        summary = directdebit.collect(session, first, "agent")
        assert summary is not None
        settle(session, summary.number, first)
    calls = session.scalars(
        select(Call).where(Call.account_id == account.id).order_by(Call.month)
    ).all()
    assert [c.status for c in calls] == [CallStatus.PAID] * 4
    # three months paid since January: rights open in April (the 3-month wait)
    assert check(session, person.immatriculation, date(2025, 3, 31)).reason == "waiting_period"
    assert check(session, person.immatriculation, date(2025, 4, 2)).covered

    # the bank returns January's debit on 2025-04-10 (insufficient funds)
    [january] = session.scalars(
        select(CollectionItem).where(CollectionItem.account_id == account.id).limit(1)
    ).all()
    listing = f"end_to_end_id,reason_code,reason\n{january.end_to_end_id},AM04,\n".encode()
    report = directdebit.import_returns(session, listing, "returns.csv", "agent")
    assert report.returned == 1
    session.refresh(january)
    assert (january.status, january.return_code) == (ItemStatus.RETURNED, "AM04")
    session.refresh(calls[0])
    assert calls[0].status == CallStatus.OPEN and calls[0].paid_on is None
    assert repo.balance(session, account.id) == 22_400
    # January unpaid: the run of paid months starts in February, rights wait until May
    assert check(session, person.immatriculation, date(2025, 4, 20)).reason == "waiting_period"
    again = directdebit.import_returns(session, listing, "returns.csv", "agent")
    assert again.replayed


def test_one_active_mandate_per_account_and_a_valid_rib(session: Session) -> None:
    _, account, mandate = chamil_member(session)
    with pytest.raises(MandateExists):
        directdebit.create_mandate(session, account, RIB, "X", date(2025, 1, 2), "agent")
    directdebit.revoke_mandate(session, mandate.reference, "agent")
    with pytest.raises(ValidationFailed, match="rib"):
        directdebit.create_mandate(session, account, "123", "X", date(2025, 1, 2), "agent")
    renewed = directdebit.create_mandate(session, account, RIB, "X", date(2025, 1, 2), "agent")
    assert renewed.reference.endswith("-2")
