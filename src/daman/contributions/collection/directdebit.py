"""Direct debits: mandates, collection runs as ISO 20022 pain.008 files, their returns.

AMO Chamil members pay by direct debit on the 1st (rules.md 7.3); TNS members may. A
member signs a **mandate** (the account to debit); a **collection run** for a date asks,
for each account with an active mandate and nothing already in the bank's hands, what
it owes on calls due by that date less its credit, one pain.008.001.08 file for the lot
(checked against the official XSD before it leaves Daman, deterministic: the same bytes
at every download). The money counts when the bank credits the fund: the camt.054/053
credit carrying the debit's EndToEndId is the receipt (daman.contributions.collection.
receipts). A debit the payer's bank **returns** (a camt.054 debit with return
information, or the bank's CSV list of rejected debits: ``end_to_end_id,reason_code,
reason``) gives the money back: the calls it had paid are owed again, the effect dated,
and the member's rights follow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from functools import lru_cache
from importlib import resources

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.config import get_settings
from daman.contributions.collection.camt import ReturnNotice
from daman.contributions.collection.errors import MandateExists, MandateNotFound, RunNotFound
from daman.contributions.collection.models import (
    BankImport,
    CollectionItem,
    CollectionRun,
    ImportKind,
    ItemStatus,
    Mandate,
    MandateStatus,
)
from daman.contributions.ledger import posting
from daman.contributions.ledger import repository as repo
from daman.contributions.ledger.models import Entry, EntryKind, PayerAccount
from daman.core.dates import aware, now, today
from daman.core.errors import DamanError, FieldError, ValidationFailed
from daman.core.identifiers import rib_problem
from daman.core.money import format_mad
from daman.payments import returns as bank_returns
from daman.payments.bankfile import debtor

PAIN_VERSION = "pain.008.001.08"
NS = f"urn:iso:std:iso:20022:tech:xsd:{PAIN_VERSION}"


class CollectionFileInvalid(DamanError):
    """The generated file does not validate: a defect in Daman, never sent to the bank."""

    code = "collection_file_invalid"
    status = 500


# ---------------------------------------------------------------------------------------
# Mandates


def create_mandate(
    session: Session,
    account: PayerAccount,
    rib: str,
    debtor_name: str,
    signed_on: date,
    actor: str,
) -> Mandate:
    """A mandate on the account (one active at a time: revoke the old one first)."""
    rib = rib.replace(" ", "")
    errors = []
    if problem := rib_problem(rib):
        errors.append(("rib", problem))
    if not debtor_name.strip():
        errors.append(("debtor_name", "is required"))
    if signed_on > today():
        errors.append(("signed_on", "is in the future"))
    if errors:
        raise ValidationFailed([FieldError(field=f, reason=r) for f, r in errors])
    active = session.scalar(
        select(Mandate).where(
            Mandate.account_id == account.id, Mandate.status == MandateStatus.ACTIVE
        )
    )
    if active is not None:
        raise MandateExists(
            f"{account.number} already has the active mandate {active.reference}; revoke it first"
        )
    count = session.scalar(select(func.count(Mandate.id)).where(Mandate.account_id == account.id))
    mandate = Mandate(
        account_id=account.id,
        reference=f"DAMAN-{account.number}-{(count or 0) + 1}"[:35],
        rib=rib,
        debtor_name=debtor_name.strip()[:140],
        signed_on=signed_on,
        status=MandateStatus.ACTIVE,
        created_by=actor,
        updated_by=actor,
    )
    session.add(mandate)
    session.flush()
    return mandate


def revoke_mandate(session: Session, reference: str, actor: str) -> Mandate:
    mandate = session.scalar(select(Mandate).where(Mandate.reference == reference))
    if mandate is None:
        raise MandateNotFound(f"no mandate {reference}")
    if mandate.status == MandateStatus.ACTIVE:
        mandate.status = MandateStatus.REVOKED
        mandate.revoked_on = today()
        mandate.updated_by = actor
        session.flush()
    return mandate


# ---------------------------------------------------------------------------------------
# Collection runs


@dataclass
class RunSummary:
    number: str
    collection_date: date
    items: int
    total_centimes: int
    skipped_pending: int = 0  # accounts with a debit still in the bank's hands


def collect(session: Session, collection_date: date, actor: str) -> RunSummary | None:
    """A run for the date: a debit per mandated account owing on calls due by then. None
    when nobody owes anything."""
    mandates = session.scalars(
        select(Mandate).where(
            Mandate.status == MandateStatus.ACTIVE, Mandate.signed_on <= collection_date
        )
    ).all()
    by_account = {m.account_id: m for m in mandates}
    pending = set(
        session.scalars(
            select(CollectionItem.account_id).where(CollectionItem.status == ItemStatus.SENT)
        )
    )
    wanted = sorted(set(by_account) - pending)
    owed = repo.owed_items(session, wanted)
    credit = repo.credits(session, wanted)
    amounts: dict[int, int] = {}
    for account_id in wanted:
        due = sum(o.amount for o in owed.get(account_id, []) if o.due <= collection_date)
        left = due - sum(c.available for c in credit.get(account_id, []))
        if left > 0:
            amounts[account_id] = left
    if not amounts:
        return None
    count = session.scalar(select(func.count(CollectionRun.id))) or 0
    number = f"PRLV-{collection_date:%Y%m%d}-{count + 1}"
    run = CollectionRun(
        number=number,
        collection_date=collection_date,
        items=len(amounts),
        total_centimes=sum(amounts.values()),
        sha256="",
        created_by=actor,
        updated_by=actor,
    )
    session.add(run)
    session.flush()
    for n, (account_id, amount) in enumerate(sorted(amounts.items()), 1):
        session.add(
            CollectionItem(
                run_id=run.id,
                mandate_id=by_account[account_id].id,
                account_id=account_id,
                amount_centimes=amount,
                end_to_end_id=f"{number}-{n}"[:35],
                status=ItemStatus.SENT,
                created_by=actor,
                updated_by=actor,
            )
        )
    session.flush()
    run.sha256 = hashlib.sha256(pain008(session, run)).hexdigest()
    session.flush()
    return RunSummary(number, collection_date, run.items, run.total_centimes, len(pending))


def run_by_number(session: Session, number: str) -> CollectionRun:
    run = session.scalar(select(CollectionRun).where(CollectionRun.number == number))
    if run is None:
        raise RunNotFound(f"no collection run {number}")
    return run


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: etree._Element, tags: str, text: str) -> etree._Element:
    *middle, last = tags.split("/")
    for tag in middle:
        parent = _sub(parent, tag)
    return _sub(parent, last, text)


def _account(parent: etree._Element, account: str) -> None:
    ident = _sub(parent, "Id")
    if account[:2].isalpha():
        _sub(ident, "IBAN", account)
        return
    other = _sub(ident, "Othr")
    _sub(other, "Id", account)
    _path(other, "SchmeNm/Cd", "BBAN")


def pain008(session: Session, run: CollectionRun) -> bytes:
    """The run's pain.008.001.08 document (the same bytes each time), validated."""
    fund = debtor(get_settings())
    currency = get_settings().currency
    rows = session.execute(
        select(CollectionItem, Mandate, PayerAccount.number)
        .join(Mandate, Mandate.id == CollectionItem.mandate_id)
        .join(PayerAccount, PayerAccount.id == CollectionItem.account_id)
        .where(CollectionItem.run_id == run.id)
        .order_by(CollectionItem.id)
    ).all()
    count, total = str(len(rows)), format_mad(sum(i.amount_centimes for i, _, _ in rows))
    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    initiation = _sub(root, "CstmrDrctDbtInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", run.number)
    created = aware(run.created_at).astimezone(UTC).replace(microsecond=0)
    _sub(header, "CreDtTm", created.isoformat())
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", total)
    _path(header, "InitgPty/Nm", fund.name)
    block = _sub(initiation, "PmtInf")
    _sub(block, "PmtInfId", run.number)
    _sub(block, "PmtMtd", "DD")
    _sub(block, "BtchBookg", "false")  # one credit per debit: each is matched on its own
    _sub(block, "NbOfTxs", count)
    _sub(block, "CtrlSum", total)
    _path(block, "PmtTpInf/SeqTp", "RCUR")
    _sub(block, "ReqdColltnDt", run.collection_date.isoformat())
    _path(block, "Cdtr/Nm", fund.name)
    creditor_account = _sub(block, "CdtrAcct")
    _account(creditor_account, fund.account)
    _sub(creditor_account, "Ccy", currency)
    _path(block, "CdtrAgt/FinInstnId/BICFI", fund.bic)
    for item, mandate, account_number in rows:
        tx = _sub(block, "DrctDbtTxInf")
        ids = _sub(tx, "PmtId")
        _sub(ids, "InstrId", item.end_to_end_id)
        _sub(ids, "EndToEndId", item.end_to_end_id)
        _sub(tx, "InstdAmt", format_mad(item.amount_centimes), Ccy=currency)
        related = _path(tx, "DrctDbtTx/MndtRltdInf/MndtId", mandate.reference).getparent()
        assert related is not None
        _sub(related, "DtOfSgntr", mandate.signed_on.isoformat())
        # the debtor's bank, by the bank code that opens a Moroccan RIB
        _path(tx, "DbtrAgt/FinInstnId/Othr/Id", mandate.rib[:3])
        _path(tx, "Dbtr/Nm", mandate.debtor_name[:140])
        _account(_sub(tx, "DbtrAcct"), mandate.rib)
        _path(tx, "RmtInf/Ustrd", f"AMO {account_number} {item.end_to_end_id}"[:140])
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = schema_errors(document)
    if errors:
        raise CollectionFileInvalid("; ".join(errors[:5]))
    return document


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    xsd = resources.files("sepaxml") / "schemas" / f"{PAIN_VERSION}.xsd"
    with resources.as_file(xsd) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def schema_errors(document: bytes) -> list[str]:
    xsd = schema()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    if xsd.validate(etree.fromstring(document, parser)):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


# ---------------------------------------------------------------------------------------
# Returns


@dataclass
class ReturnsReport:
    returned: int = 0
    already: int = 0
    unknown: list[str] = field(default_factory=list)
    replayed: bool = False


def apply_returns(session: Session, notices: Sequence[ReturnNotice], actor: str) -> ReturnsReport:
    """Mark each returned debit; give back what a settled one had paid."""
    report = ReturnsReport()
    refs = [n.end_to_end_id for n in notices]
    items = {
        i.end_to_end_id: i
        for i in session.scalars(
            select(CollectionItem).where(CollectionItem.end_to_end_id.in_(refs or [""]))
        )
    }
    for notice in notices:
        item = items.get(notice.end_to_end_id)
        if item is None:
            report.unknown.append(notice.end_to_end_id)
            continue
        if item.status == ItemStatus.RETURNED:
            report.already += 1
            continue
        value = notice.value_date or today()
        code = f"{notice.reason_code} " if notice.reason_code else ""
        reason = f"direct debit {item.end_to_end_id} returned: {code}{notice.reason}"
        if item.status == ItemStatus.SETTLED and item.receipt_id is not None:
            credit = session.scalar(
                select(Entry).where(
                    Entry.receipt_id == item.receipt_id,
                    Entry.kind == EntryKind.DIRECT_DEBIT,
                    Entry.amount_centimes < 0,
                )
            )
            if credit is not None:
                posting.reverse_credit(session, credit, EntryKind.RETURN, value, reason, actor)
                posting.apply_credits(session, [item.account_id], actor, reason)
        item.status = ItemStatus.RETURNED
        item.return_code = (notice.reason_code or "")[:10] or None
        item.return_reason = notice.reason
        item.updated_by = actor
        item.updated_at = now()
        report.returned += 1
    session.flush()
    return report


def import_returns(session: Session, data: bytes, filename: str, actor: str) -> ReturnsReport:
    """The bank's returns of direct debits: a camt.054 or a CSV list
    (``end_to_end_id,reason_code,reason``), read as daman.payments reads its returns."""
    digest = hashlib.sha256(data).hexdigest()
    done = session.scalar(
        select(BankImport).where(BankImport.kind == ImportKind.RETURNS, BankImport.sha256 == digest)
    )
    if done is not None:
        return ReturnsReport(returned=done.matched, replayed=True)
    parsed = bank_returns.parse(data, get_settings().currency)
    notices = [
        ReturnNotice(
            n.place, n.end_to_end_id, n.amount_centimes, n.reason_code, n.reason or "", None
        )
        for n in parsed.notices
        if n.outcome == bank_returns.Outcome.REJECTED
    ]
    report = apply_returns(session, notices, actor)
    session.add(
        BankImport(
            kind=ImportKind.RETURNS,
            filename=filename[:255],
            sha256=digest,
            message_id=parsed.message_id,
            transactions=len(parsed.notices),
            matched=report.returned,
            unidentified=len(report.unknown),
            duplicates=report.already,
            ignored=parsed.ignored,
            total_centimes=sum(n.amount_centimes or 0 for n in notices),
            created_by=actor,
            updated_by=actor,
        )
    )
    session.flush()
    return report


def mandated(session: Session, account: PayerAccount) -> list[Mandate]:
    return list(
        session.scalars(
            select(Mandate).where(Mandate.account_id == account.id).order_by(Mandate.id)
        )
    )
