"""The collection's own tables: who signs in for an employer, the TNS category of a
member, declarations received, direct-debit mandates and runs, bank files imported."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.db import Base, StringEnum, Tracked


class EmployerUser(Tracked, Base):
    """A user of role employer and the employer they act for."""

    __tablename__ = "employer_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)


class MemberCategory(Tracked, Base):
    """The TNS category of a member over a period, as the liaison body (DGI, a ministry,
    an order) gave it; a new category is a new row from its date."""

    __tablename__ = "member_categories"
    __table_args__ = (Index("ix_member_categories_person", "person_id", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    category_code: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    liaison: Mapped[str] = mapped_column(String(100), default="")


class Declaration(Tracked, Base):
    """A declaration file received for a payer, regime and month: what it made (a call)
    and what it refused. The same file again changes nothing."""

    __tablename__ = "declarations"
    __table_args__ = (
        UniqueConstraint("account_id", "regime_code", "month", "sha256", name="same_file"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # a payer account's, a regime's and a call's, without foreign keys: a bulk file's
    # declarations are written with its calls (one an employer, 300,000 a month), as the
    # calls are (daman.contributions.ledger.models.WRITTEN_IN_BULK); looked up by account
    # through same_file, whose first column it is
    account_id: Mapped[int] = mapped_column(Integer)
    regime_code: Mapped[str] = mapped_column(String(20))
    month: Mapped[date] = mapped_column(Date)
    call_id: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    errors: Mapped[str] = mapped_column(Text, default="")  # JSON: the rows refused


class MandateStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class Mandate(Tracked, Base):
    """A direct-debit mandate: the payer allows the fund to collect from this account."""

    __tablename__ = "mandates"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("payer_accounts.id"), index=True)
    reference: Mapped[str] = mapped_column(String(35), unique=True)  # UMR
    rib: Mapped[str] = mapped_column(String(24))
    debtor_name: Mapped[str] = mapped_column(String(140))
    signed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[MandateStatus] = mapped_column(StringEnum(MandateStatus, 10))
    revoked_on: Mapped[date | None] = mapped_column(Date)


class CollectionRun(Tracked, Base):
    """One pain.008 file: the direct debits of a collection date."""

    __tablename__ = "collection_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(35), unique=True)
    collection_date: Mapped[date] = mapped_column(Date)
    items: Mapped[int] = mapped_column(Integer)
    total_centimes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # of the pain.008 document


class ItemStatus(StrEnum):
    SENT = "sent"  # in a file given to the bank
    SETTLED = "settled"  # the bank credited the fund: a receipt
    RETURNED = "returned"  # the payer's bank returned it


class CollectionItem(Tracked, Base):
    __tablename__ = "collection_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("collection_runs.id"), index=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandates.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("payer_accounts.id"), index=True)
    amount_centimes: Mapped[int] = mapped_column(BigInteger)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    status: Mapped[ItemStatus] = mapped_column(StringEnum(ItemStatus, 10))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    return_code: Mapped[str | None] = mapped_column(String(10))
    return_reason: Mapped[str | None] = mapped_column(Text)


class ImportKind(StrEnum):
    CAMT_054 = "camt.054"
    CAMT_053 = "camt.053"
    PARTNER = "partner"
    RETURNS = "returns"


class BankImport(Tracked, Base):
    """A bank or partner file imported: what it held and what became of it."""

    __tablename__ = "contribution_imports"
    __table_args__ = (UniqueConstraint("kind", "sha256", name="kind_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(StringEnum(ImportKind, 10))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(140))
    transactions: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    unidentified: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    ignored: Mapped[int] = mapped_column(Integer)
    total_centimes: Mapped[int] = mapped_column(BigInteger)
