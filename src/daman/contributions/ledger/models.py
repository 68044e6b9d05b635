"""The contributions ledger: payers' accounts, calls, entries, receipts and allocations.

* A **payer account** is whoever pays calls: an employer, a member (TNS, CHAMIL), a
  paying administration (CNOPS), the State (TADAMON); the suspense account holds money
  received from no known payer until an agent assigns it.
* A **call** (appel de cotisations) asks one payer for one regime and month: its base,
  shares and due date, and its **lines**, one per member it is about (days, base, shares).
* Every call, penalty, receipt and adjustment is an **entry** on the payer's account:
  integer centimes, positive when the payer owes, negative when it paid or was credited,
  dated by its value date. Entries are never edited nor deleted: a correction is a new
  entry. The balance of an account on a date is the sum of its entries up to that date.
* An **allocation** applies part of a credit (a receipt ...) to a call's principal or
  penalty; a negative one gives it back (a returned direct debit, a call reduced after
  payment). What a credit has not been applied to is the payer's credit, never lost.
* A call's ``status`` and ``paid_on`` follow from its entries and allocations (kept on the
  row so that rights read them in one join); each change is a ``CallEvent``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.dates import now
from daman.core.db import Base, StatusEvent, StringEnum, Tracked
from daman.reference.contribution_rules import MemberKind

# 64-bit keys on PostgreSQL (tens of millions of lines a year); SQLite's INTEGER PRIMARY
# KEY is already 64-bit and only autoincrements under that exact type.
BigId = BigInteger().with_variant(Integer, "sqlite")

# The tables a month writes millions of rows to (calls, their lines, the ledger's entries,
# the declarations that made the calls) name their calls, persons, accounts and regime
# without foreign keys: each is written only in bulk (daman.contributions.collection
# .issue and .declarations, ledger.posting), with ids read or reserved in the same
# transaction, and none of the rows they name is ever deleted; a foreign key checked a row
# at a time was a third of a month's writing time (migration 0024). Their indexes stay,
# for every read.
WRITTEN_IN_BULK = ("contribution_calls", "call_lines", "ledger_entries", "declarations")


class PayerKind(StrEnum):
    EMPLOYER = "employer"  # CNSS_SAL: declares its employees and pays their calls
    MEMBER = "member"  # TNS, CHAMIL: the insured person pays
    ADMINISTRATION = "administration"  # CNOPS: the paying administration withholds
    STATE = "state"  # TADAMON: the State pays for the beneficiaries
    SUSPENSE = "suspense"  # money received from no known payer, until assigned


class PayerAccount(Tracked, Base):
    __tablename__ = "payer_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # E<employer>, M<immat> ...
    kind: Mapped[PayerKind] = mapped_column(StringEnum(PayerKind, 20))
    # an employer's or a person's, without foreign keys checked a row at a time: a month's
    # first run opens an account per member called (1.6 million TNS members); the rule is
    # checked once per statement (migration 0027)
    employer_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    person_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254))  # where reminders go
    language: Mapped[str] = mapped_column(String(2), default="fr")
    # Money received and not applied yet, as posting.apply_credits last left it: which
    # accounts may have credit to apply to new calls, without reading every account's
    # history (the entries and allocations are the truth; apply_credits brings it in step).
    credit_centimes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class CallStatus(StrEnum):
    OPEN = "open"  # nothing of the principal paid yet
    PARTIAL = "partial"  # part of the principal paid
    PAID = "paid"  # the principal is paid in full (penalties apart)
    CANCELLED = "cancelled"  # nothing is owed any more (corrected or waived), not paid


class Call(Tracked, Base):
    """What one payer owes for one regime and month (a declaration or a run makes it)."""

    __tablename__ = "contribution_calls"
    __table_args__ = (
        UniqueConstraint("account_id", "regime_code", "month", "sequence", name="one_call"),
        Index("ix_contribution_calls_regime_month", "regime_code", "month"),
        Index("ix_contribution_calls_status_due", "status", "due_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)  # the payment reference
    # a payer account's and a regime's (no foreign keys: see WRITTEN_IN_BULK; looked up by
    # account through one_call, whose first column it is)
    account_id: Mapped[int] = mapped_column(Integer)
    regime_code: Mapped[str] = mapped_column(String(20))
    month: Mapped[date] = mapped_column(Date)  # first day of the month called
    sequence: Mapped[int] = mapped_column(Integer, default=1)  # 2, 3: complementary calls
    members: Mapped[int] = mapped_column(Integer)  # lines
    base_centimes: Mapped[int] = mapped_column(BigInteger)
    member_centimes: Mapped[int] = mapped_column(BigInteger)  # the members' shares
    employer_centimes: Mapped[int] = mapped_column(BigInteger)  # the payer's, solidarity in
    solidarity_centimes: Mapped[int] = mapped_column(BigInteger)  # of which solidarity
    total_centimes: Mapped[int] = mapped_column(BigInteger)
    # the rates of the rule applied (none for flat amounts)
    member_rate_bp: Mapped[int | None] = mapped_column(Integer)
    employer_rate_bp: Mapped[int | None] = mapped_column(Integer)
    solidarity_rate_bp: Mapped[int | None] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[CallStatus] = mapped_column(StringEnum(CallStatus, 10))
    paid_on: Mapped[date | None] = mapped_column(Date)  # the day the principal was paid


class CallEvent(StatusEvent, Base):
    """A change of a call's status, with the day it takes effect (for PAID: paid_on)."""

    __tablename__ = "call_events"
    call_id: Mapped[int] = mapped_column(ForeignKey("contribution_calls.id"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)


class CallLine(Base):
    """One member a call is about: the month's days, base and shares. The call records who
    made it and when (a month is millions of lines)."""

    __tablename__ = "call_lines"
    __table_args__ = (
        UniqueConstraint("call_id", "person_id", name="person_once"),
        Index("ix_call_lines_person_month", "person_id", "month"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int] = mapped_column(Integer)  # a call's (no foreign key: WRITTEN_IN_BULK)
    person_id: Mapped[int] = mapped_column(Integer)  # a person's (idem)
    month: Mapped[date] = mapped_column(Date)  # the call's, for the rights' reads by person
    kind: Mapped[MemberKind] = mapped_column(StringEnum(MemberKind, 20))
    days: Mapped[int | None] = mapped_column(SmallInteger)  # declared days (CNSS_SAL)
    persons: Mapped[int] = mapped_column(Integer, default=1)  # TADAMON: the household
    base_centimes: Mapped[int] = mapped_column(BigInteger)
    member_centimes: Mapped[int] = mapped_column(BigInteger)
    employer_centimes: Mapped[int] = mapped_column(BigInteger)
    solidarity_centimes: Mapped[int] = mapped_column(BigInteger)
    line_no: Mapped[int | None] = mapped_column(Integer)  # the declaration's line


class EntryKind(StrEnum):
    CALL = "call"  # + what a call asks
    PENALTY = "penalty"  # ± late-payment penalty (a recomputation posts the difference)
    RECEIPT = "receipt"  # - money received (transfer, collection partner)
    DIRECT_DEBIT = "direct_debit"  # - collected from the payer's bank by direct debit
    RETURN = "return"  # + a direct debit returned by the payer's bank
    ADJUSTMENT = "adjustment"  # ± an agent's correction, with a reason
    WAIVER = "waiver"  # - debt or penalties cancelled (amnesty, campaign), with the text
    TRANSFER = "transfer"  # ± money moved between accounts (a receipt assigned)


class Part(StrEnum):
    PRINCIPAL = "principal"
    PENALTY = "penalty"


class Entry(Base):
    """One movement on a payer's account. Never edited nor deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_account_date", "account_id", "value_date"),
        Index("ix_ledger_entries_call_id", "call_id"),
        # most entries (calls, receipts) have no reversal, calls no receipt: only the
        # others have an entry in these two
        Index(
            "ix_ledger_entries_receipt_id",
            "receipt_id",
            postgresql_where=text("receipt_id IS NOT NULL"),
            sqlite_where=text("receipt_id IS NOT NULL"),
        ),
        Index(
            "ix_ledger_entries_reverses_id",
            "reverses_id",
            postgresql_where=text("reverses_id IS NOT NULL"),
            sqlite_where=text("reverses_id IS NOT NULL"),
        ),
        CheckConstraint("amount_centimes <> 0", name="not_zero"),
        CheckConstraint(
            "(call_id IS NULL) = (part IS NULL)", name="part_with_call"
        ),  # an entry on a call says which part
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)  # a payer account's (WRITTEN_IN_BULK)
    kind: Mapped[EntryKind] = mapped_column(StringEnum(EntryKind, 20))
    amount_centimes: Mapped[int] = mapped_column(BigInteger)
    value_date: Mapped[date] = mapped_column(Date)
    call_id: Mapped[int | None] = mapped_column(Integer)  # a call's (WRITTEN_IN_BULK)
    part: Mapped[Part | None] = mapped_column(StringEnum(Part, 10))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(120))


class Allocation(Base):
    """Part of a credit entry applied to a call (negative: given back)."""

    __tablename__ = "allocations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("contribution_calls.id"), index=True)
    part: Mapped[Part] = mapped_column(StringEnum(Part, 10))
    amount_centimes: Mapped[int] = mapped_column(BigInteger)
    value_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(120))


class ReceiptSource(StrEnum):
    CAMT_054 = "camt.054"  # the bank's credit notification
    CAMT_053 = "camt.053"  # the bank's statement
    PARTNER = "partner"  # a collection partner's CSV (proximity points, payment networks)
    DIRECT_DEBIT = "direct_debit"  # a direct debit of a collection run, confirmed


class Receipt(Base):
    """Money the fund received, as the bank or the partner described it. The same
    transaction reported twice (a notification and the day's statement, a file imported
    again) has the same `bank_reference` and is kept once."""

    __tablename__ = "receipts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("payer_accounts.id"), index=True)
    source: Mapped[ReceiptSource] = mapped_column(StringEnum(ReceiptSource, 20))
    bank_reference: Mapped[str] = mapped_column(String(140), unique=True)
    end_to_end_id: Mapped[str | None] = mapped_column(String(35), index=True)
    amount_centimes: Mapped[int] = mapped_column(BigInteger)
    value_date: Mapped[date] = mapped_column(Date)
    booking_date: Mapped[date | None] = mapped_column(Date)
    payer_name: Mapped[str] = mapped_column(String(140), default="")
    payer_account: Mapped[str] = mapped_column(String(40), default="")
    remittance: Mapped[str] = mapped_column(Text, default="")  # what the payer wrote
    matched_by: Mapped[str] = mapped_column(String(20))  # call, account, mandate, none
    import_id: Mapped[int | None] = mapped_column(Integer)  # the file it came in
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    created_by: Mapped[str] = mapped_column(String(120))
