"""Money received: the bank's camt.054/camt.053 files and collection partners' CSV files,
matched to payers and applied to their calls.

Each transaction is kept once (by the bank's reference: a notification and the day's
statement speak of the same transfer); the same file twice changes nothing. A payer is
found, in this order, by a direct debit of a collection run (its EndToEndId), then by a
call number, a payer account number, an employer's CNSS number or an immatriculation
written in the remittance information. The money is a credit on the payer's account,
applied to what it owes, oldest due first (rules.md 7.5, an assumption), the principal of
a call before its penalty; what is left (an overpayment) stays on the account as credit
for the next call. Money from nobody known goes to the suspense account until an agent
assigns it (a transfer between accounts, with a reason). Nothing is lost, nothing edited.

Partner CSV format (UTF-8, comma or semicolon):

| column | required | meaning |
|---|---|---|
| reference | yes | the partner's own reference of the payment (unique per partner) |
| date | yes | the day the payer paid, YYYY-MM-DD |
| amount | yes | MAD, e.g. 180.19 |
| payer_reference | yes | the call number or payer account number the payer gave |
| payer_name | no | |

A partner file with a bad row is refused whole, every bad row named by line and field.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import polars as pl
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.config import get_settings
from daman.contributions.collection import accounts
from daman.contributions.collection.camt import CreditNotice, parse
from daman.contributions.collection.errors import NotInSuspense, ReceiptNotFound
from daman.contributions.collection.models import (
    BankImport,
    CollectionItem,
    ImportKind,
    ItemStatus,
)
from daman.contributions.ledger import posting
from daman.contributions.ledger.models import (
    Call,
    Entry,
    EntryKind,
    PayerAccount,
    Receipt,
    ReceiptSource,
)
from daman.contributions.ledger.repository import CHUNK, among_texts, analyze
from daman.core import cells
from daman.core.bulk import bulk_update, copy_insert, reserve_ids
from daman.core.dates import now
from daman.core.errors import FieldError, ValidationFailed
from daman.core.rows import cells as row_cells
from daman.core.rows import check_rows, csv_records, delimiter_of, positions
from daman.registry.models import Employer, Person

TOKEN = re.compile(r"[A-Z0-9_]+(?:-[A-Z0-9_]+)*")
PARTNER = re.compile(r"^[A-Za-z0-9_-]{2,30}$")


@dataclass
class ReceiptReport:
    kind: str
    filename: str
    sha256: str
    message_id: str | None = None
    transactions: int = 0
    matched: int = 0
    unidentified: int = 0
    duplicates: int = 0
    ignored: int = 0
    total_centimes: int = 0
    returned: int = 0  # direct debits returned (camt.054 debits)
    replayed: bool = False
    calls_paid: int = 0
    unmatched_returns: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Files in


def import_bank_file(session: Session, data: bytes, filename: str, actor: str) -> ReceiptReport:
    """A camt.054 or camt.053 file: its credits become receipts, its returned direct
    debits are applied (daman.contributions.collection.directdebit). Flushes only."""
    from daman.contributions.collection.directdebit import apply_returns

    parsed = parse(data, get_settings().currency)
    kind = ImportKind(parsed.kind)
    digest = hashlib.sha256(data).hexdigest()
    previous = _previous(session, kind, digest)
    if previous is not None:
        return previous
    report = ReceiptReport(parsed.kind, filename, digest, parsed.message_id)
    report.ignored = parsed.ignored
    _receive(session, parsed.credits, report, actor)
    if parsed.returns:
        done = apply_returns(session, parsed.returns, actor)
        report.returned = done.returned
        report.unmatched_returns = done.unknown
    _record(session, kind, report, actor)
    return report


def _previous(session: Session, kind: ImportKind, digest: str) -> ReceiptReport | None:
    row = session.scalar(
        select(BankImport).where(BankImport.kind == kind, BankImport.sha256 == digest)
    )
    if row is None:
        return None
    return ReceiptReport(
        kind=row.kind.value,
        filename=row.filename,
        sha256=row.sha256,
        message_id=row.message_id,
        transactions=row.transactions,
        matched=row.matched,
        unidentified=row.unidentified,
        duplicates=row.duplicates,
        ignored=row.ignored,
        total_centimes=row.total_centimes,
        replayed=True,
    )


def _record(session: Session, kind: ImportKind, report: ReceiptReport, actor: str) -> None:
    session.add(
        BankImport(
            kind=kind,
            filename=report.filename[:255],
            sha256=report.sha256,
            message_id=(report.message_id or None) and report.message_id[:140],
            transactions=report.transactions,
            matched=report.matched,
            unidentified=report.unidentified,
            duplicates=report.duplicates,
            ignored=report.ignored,
            total_centimes=report.total_centimes,
            created_by=actor,
            updated_by=actor,
        )
    )
    session.flush()


class PartnerRow(BaseModel):
    reference: Annotated[str | None, cells.text(100, required=True)] = None
    paid_on: Annotated[date | None, Field(alias="date"), cells.iso_date(required=True)] = None
    amount: Annotated[int, cells.amount(20)] = 0
    payer_reference: Annotated[str | None, cells.text(60, required=True, case=str.upper)] = None
    payer_name: Annotated[str | None, cells.text(140)] = None


PARTNER_COLUMNS = ("reference", "date", "amount", "payer_reference", "payer_name")


def import_partner_file(
    session: Session, data: bytes, filename: str, partner: str, actor: str
) -> ReceiptReport:
    """A collection partner's CSV of payments received for the fund. Flushes only."""
    if not PARTNER.fullmatch(partner or ""):
        raise ValidationFailed.one("partner", "2 to 30 letters, digits, - or _")
    digest = hashlib.sha256(data).hexdigest()
    previous = _previous(session, ImportKind.PARTNER, digest)
    if previous is not None:
        return previous
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.one("file", "not UTF-8 text") from exc
    records = csv_records(io.StringIO(text, newline=""), delimiter=delimiter_of(text[:1000]))
    first = next(records, None)
    if first is None:
        raise ValidationFailed.one("file", "empty: a header line is expected")
    header = [h.strip().lower() for h in first[1]]
    missing = [c for c in PARTNER_COLUMNS[:4] if c not in header]
    if missing:
        raise ValidationFailed.one(
            "file", f"missing column(s) {', '.join(missing)} ({', '.join(PARTNER_COLUMNS)})"
        )
    where = positions(header, PARTNER_COLUMNS)
    errors: list[FieldError] = []
    notices: list[CreditNotice] = []
    seen: dict[str, int] = {}
    for checked in check_rows(PartnerRow, ((n, row_cells(r, where)) for n, r in records)):
        errors += [
            FieldError(field=f"line {e.line}.{e.field}", reason=e.reason) for e in checked.errors
        ]
        row = checked.row
        if row is None or checked.errors:
            continue
        assert row.reference and row.paid_on and row.payer_reference
        if row.amount <= 0:
            errors.append(
                FieldError(field=f"line {checked.line}.amount", reason="must be positive")
            )
            continue
        if row.reference in seen:
            errors.append(
                FieldError(
                    field=f"line {checked.line}.reference",
                    reason=f"repeats line {seen[row.reference]}",
                )
            )
            continue
        seen[row.reference] = checked.line
        notices.append(
            CreditNotice(
                place=f"line {checked.line}",
                bank_reference=f"{partner}:{row.reference}"[:140],
                amount_centimes=row.amount,
                value_date=row.paid_on,
                booking_date=row.paid_on,
                end_to_end_id=None,
                remittance=row.payer_reference,
                payer_name=row.payer_name or "",
                payer_account="",
            )
        )
    if errors:
        raise ValidationFailed(errors, code="partner_file_invalid")
    report = ReceiptReport(ImportKind.PARTNER.value, filename, digest, partner)
    _receive(session, notices, report, actor, source=ReceiptSource.PARTNER)
    _record(session, ImportKind.PARTNER, report, actor)
    return report


# ---------------------------------------------------------------------------------------
# Matching and posting


@dataclass(frozen=True)
class _Payer:
    account_id: int
    how: str  # direct_debit, call, account, employer, immatriculation, none
    item_id: int | None = None


def _receive(
    session: Session,
    notices: Sequence[CreditNotice],
    report: ReceiptReport,
    actor: str,
    source: ReceiptSource | None = None,
) -> None:
    """Keep each new transaction as a receipt and a credit on its payer's account, then
    apply the credits."""
    report.transactions = len(notices)
    known = _known_references(session, [n.bank_reference for n in notices])
    fresh: list[CreditNotice] = []
    for notice in notices:
        if notice.bank_reference in known:
            report.duplicates += 1
            continue
        known.add(notice.bank_reference)
        fresh.append(notice)
    if not fresh:
        return
    payers = _identify(session, fresh, actor)
    suspense = accounts.suspense(session, actor)
    ids = reserve_ids(session, Receipt.__table__, len(fresh))  # type: ignore[arg-type]
    at = now()
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "id",
            "account_id",
            "source",
            "bank_reference",
            "end_to_end_id",
            "amount_centimes",
            "value_date",
            "booking_date",
            "payer_name",
            "payer_account",
            "remittance",
            "matched_by",
        )
    }
    settled_items: list[tuple[int, int]] = []
    for receipt_id, notice in zip(ids, fresh, strict=True):
        payer = payers.get(notice.bank_reference) or _Payer(suspense.id, "none")
        kind = source or (
            ReceiptSource.DIRECT_DEBIT if payer.item_id is not None else ReceiptSource(report.kind)
        )
        for key, value in (
            ("id", receipt_id),
            ("account_id", payer.account_id),
            ("source", kind.value),
            ("bank_reference", notice.bank_reference),
            ("end_to_end_id", notice.end_to_end_id),
            ("amount_centimes", notice.amount_centimes),
            ("value_date", notice.value_date),
            ("booking_date", notice.booking_date),
            ("payer_name", notice.payer_name),
            ("payer_account", notice.payer_account),
            ("remittance", notice.remittance),
            ("matched_by", payer.how),
        ):
            rows[key].append(value)
        if payer.item_id is not None:
            settled_items.append((payer.item_id, receipt_id))
        if payer.how == "none":
            report.unidentified += 1
        else:
            report.matched += 1
        report.total_centimes += notice.amount_centimes
    frame = pl.DataFrame(
        rows,
        schema_overrides={"id": pl.Int64, "account_id": pl.Int64, "booking_date": pl.Date},
    ).with_columns(pl.lit(at).alias("created_at"), pl.lit(actor).alias("created_by"))
    copy_insert(session, Receipt.__table__, frame, actor)  # type: ignore[arg-type]
    entries = frame.select(
        pl.col("account_id"),
        pl.when(pl.col("source") == ReceiptSource.DIRECT_DEBIT.value)
        .then(pl.lit(EntryKind.DIRECT_DEBIT.value))
        .otherwise(pl.lit(EntryKind.RECEIPT.value))
        .alias("kind"),
        (-pl.col("amount_centimes")).alias("amount_centimes"),
        pl.col("value_date"),
        pl.col("id").alias("receipt_id"),
        pl.col("bank_reference").alias("reason"),
        pl.lit(at).alias("created_at"),
        pl.lit(actor).alias("created_by"),
    )
    copy_insert(session, Entry.__table__, entries, actor)  # type: ignore[arg-type]
    if settled_items:
        bulk_update(
            session,
            CollectionItem.__table__,  # type: ignore[arg-type]
            "id",
            {
                "id": [i for i, _ in settled_items],
                "receipt_id": [r for _, r in settled_items],
            },
            {"status": ItemStatus.SETTLED, "updated_by": actor, "updated_at": at},
        )
    paying = set(frame["account_id"].to_list()) - {suspense.id}
    if len(paying) > CHUNK:  # a bank's day: the credits just written are read by account
        analyze(session, Entry.__tablename__)
    touched = posting.apply_credits(session, paying, actor, "payment received")
    report.calls_paid = len(touched)


def _known_references(session: Session, references: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(references), 5_000):
        part = references[i : i + 5_000]
        found.update(
            session.scalars(
                select(Receipt.bank_reference).where(
                    among_texts(session, Receipt.bank_reference, part)
                )
            )
        )
    return found


def _tokens(notice: CreditNotice) -> list[str]:
    return TOKEN.findall(f"{notice.remittance} {notice.end_to_end_id or ''}".upper())


def _identify(session: Session, notices: Sequence[CreditNotice], actor: str) -> dict[str, _Payer]:
    """The payer of each transaction that names one (by bank reference)."""
    e2e = [n.end_to_end_id for n in notices if n.end_to_end_id]
    items: dict[str, tuple[int, int]] = {}
    for i in range(0, len(e2e), 5_000):
        for ref, item_id, account_id in session.execute(
            select(
                CollectionItem.end_to_end_id, CollectionItem.id, CollectionItem.account_id
            ).where(
                among_texts(session, CollectionItem.end_to_end_id, e2e[i : i + 5_000]),
                CollectionItem.status == ItemStatus.SENT,
            )
        ):
            items[ref] = (item_id, account_id)
    tokens = sorted({t for n in notices for t in _tokens(n)})
    calls = _lookup(session, tokens, select(Call.number, Call.account_id), Call.number)
    numbers = _lookup(
        session, tokens, select(PayerAccount.number, PayerAccount.id), PayerAccount.number
    )
    employers = _lookup(session, tokens, select(Employer.number, Employer.id), Employer.number)
    persons = _lookup(
        session, tokens, select(Person.immatriculation, Person.id), Person.immatriculation
    )
    employer_accounts = accounts.employer_accounts(session, employers.values(), actor)
    member_accounts = accounts.member_accounts(session, persons.values(), actor)
    by_employer = {k: employer_accounts[v] for k, v in employers.items()}
    by_person = {k: member_accounts[v] for k, v in persons.items()}
    out: dict[str, _Payer] = {}
    for n in notices:
        if n.end_to_end_id in items:
            item_id, account_id = items[n.end_to_end_id]
            out[n.bank_reference] = _Payer(account_id, "direct_debit", item_id)
            continue
        found = (
            _first(n, calls, "call")
            or _first(n, numbers, "account")
            or _first(n, by_employer, "employer")
            or _first(n, by_person, "immatriculation")
        )
        if found is not None:
            out[n.bank_reference] = found
    return out


def _first(notice: CreditNotice, table: dict[str, int], how: str) -> _Payer | None:
    for token in _tokens(notice):
        if token in table:
            return _Payer(table[token], how)
    return None


def _lookup(session: Session, tokens: list[str], stmt: Any, column: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(tokens), 5_000):
        part = tokens[i : i + 5_000]
        out.update(dict(session.execute(stmt.where(among_texts(session, column, part))).all()))
    return out


# ---------------------------------------------------------------------------------------
# An agent assigns money from nobody known


def assign(
    session: Session, receipt_id: int, account_number: str, reason: str, actor: str
) -> PayerAccount:
    """Move a receipt held in suspense to a payer's account (two transfer entries, with the
    reason) and apply it to what the payer owes."""
    if not reason.strip():
        raise ValidationFailed.one("reason", "is required")
    receipt = session.get(Receipt, receipt_id)
    if receipt is None:
        raise ReceiptNotFound(f"no receipt {receipt_id}")
    suspense = accounts.suspense(session, actor)
    target = accounts.by_number(session, account_number)
    credit = session.scalar(
        select(Entry).where(
            Entry.receipt_id == receipt.id,
            Entry.account_id == suspense.id,
            Entry.amount_centimes < 0,
            Entry.reverses_id.is_(None),
        )
    )
    moved = session.scalar(
        select(Entry.id).where(Entry.reverses_id == (credit.id if credit else 0))
    )
    if credit is None or moved is not None:
        raise NotInSuspense(f"receipt {receipt_id} is not held in suspense")
    if target.id == suspense.id:
        raise ValidationFailed.one("account", "the suspense account itself")
    value = receipt.value_date
    posting.post(
        session,
        [
            {
                "account_id": suspense.id,
                "kind": EntryKind.TRANSFER,
                "amount_centimes": receipt.amount_centimes,
                "value_date": value,
                "receipt_id": receipt.id,
                "reverses_id": credit.id,
                "reason": f"to {target.number}: {reason.strip()}",
            },
            {
                "account_id": target.id,
                "kind": EntryKind.TRANSFER,
                "amount_centimes": -receipt.amount_centimes,
                "value_date": value,
                "receipt_id": receipt.id,
                "reason": f"from {suspense.number}: {reason.strip()}",
            },
        ],
        actor,
    )
    posting.apply_credits(session, [target.id], actor, "payment assigned")
    return target


def receipts_of(session: Session, account_id: int) -> list[Receipt]:
    """The receipts credited to an account (directly, or assigned to it)."""
    ids = select(Entry.receipt_id).where(
        Entry.account_id == account_id, Entry.amount_centimes < 0, Entry.receipt_id.is_not(None)
    )
    return list(
        session.scalars(
            select(Receipt).where(Receipt.id.in_(ids)).order_by(Receipt.value_date, Receipt.id)
        )
    )


def suspended(session: Session, actor: str) -> list[Receipt]:
    """The receipts still held in suspense."""
    suspense = accounts.suspense(session, actor)
    moved = select(Entry.reverses_id).where(Entry.reverses_id.is_not(None))
    credit_ids = select(Entry.receipt_id).where(
        Entry.account_id == suspense.id,
        Entry.amount_centimes < 0,
        Entry.id.not_in(moved),
    )
    return list(
        session.scalars(select(Receipt).where(Receipt.id.in_(credit_ids)).order_by(Receipt.id))
    )
