"""API shapes of the contributions domain. Amounts are integer centimes, rates basis
points, months ``YYYY-MM``."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from daman.contributions.ledger.models import CallStatus, EntryKind, Part, PayerKind
from daman.core.money import MAX_CENTIMES

MONTH_PATTERN = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"  # 1900-01 to 2199-12
MONTH = re.compile(MONTH_PATTERN)


def month_of(text: str) -> date:
    """'2025-01' -> 2025-01-01 (ValueError otherwise)."""
    if not MONTH.fullmatch(text):
        raise ValueError("a month is written YYYY-MM (1900 to 2199)")
    return date.fromisoformat(f"{text}-01")


class RowErrorOut(BaseModel):
    line: int
    field: str
    reason: str
    kind: str


class CallMadeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    account: str
    members: int
    total_centimes: int
    due_date: date


class DeclarationOut(BaseModel):
    regime: str
    month: date
    filename: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    replayed: bool = Field(description="the same file was declared before: nothing changed")
    calls: list[CallMadeOut]
    errors: list[RowErrorOut] = Field(description="the rows refused (the first 1,000)")
    errors_total: int


class AccountOut(BaseModel):
    number: str
    kind: PayerKind
    name: str
    email: str | None
    language: str
    on: date
    balance_centimes: int = Field(description="owed when positive, credit when negative")
    owed_centimes: int = Field(description="what calls and penalties still ask")
    credit_centimes: int = Field(description="money received not applied yet")
    overdue_centimes: int = Field(description="owed on calls past their due date")
    open_calls: int


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr | None = None
    language: str | None = Field(None, pattern="^(ar|fr|en)$")


class AdministrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=30)
    name: str = Field(min_length=1, max_length=300)


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    account: str
    regime_code: str
    month: date
    sequence: int
    members: int
    base_centimes: int
    member_centimes: int
    employer_centimes: int
    solidarity_centimes: int
    total_centimes: int
    member_rate_bp: int | None
    employer_rate_bp: int | None
    solidarity_rate_bp: int | None
    issued_on: date
    due_date: date
    status: CallStatus
    paid_on: date | None
    owed_centimes: int
    penalty_centimes: int


class EntryOut(BaseModel):
    id: int
    value_date: date
    kind: EntryKind
    amount_centimes: int
    call: str | None
    part: Part | None
    reason: str
    created_at: datetime
    created_by: str


class ReceiptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    source: str
    bank_reference: str
    end_to_end_id: str | None
    amount_centimes: int
    value_date: date
    payer_name: str
    remittance: str
    matched_by: str


class ReceiptImportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    filename: str
    sha256: str
    message_id: str | None
    transactions: int
    matched: int
    unidentified: int
    duplicates: int
    ignored: int
    total_centimes: int
    returned: int
    replayed: bool
    calls_paid: int


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=500)


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regime: str = Field(max_length=20)
    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM")


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    regime: str
    month: date
    calls: int
    members: int
    total_centimes: int
    already_called: int
    unpriced: int
    problems: list[str]


class MandateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: str = Field(min_length=1, max_length=40)
    rib: str = Field(min_length=1, max_length=40)
    debtor_name: str = Field(min_length=1, max_length=140)
    signed_on: date


class MandateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    reference: str
    rib: str
    debtor_name: str
    signed_on: date
    status: str
    revoked_on: date | None


class CollectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    collection_date: date


class CollectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    collection_date: date
    items: int
    total_centimes: int
    skipped_pending: int


class ReturnsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    returned: int
    already: int
    unknown: list[str]
    replayed: bool


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: str = Field(min_length=1, max_length=40)
    amount_centimes: int = Field(
        ge=-MAX_CENTIMES, le=MAX_CENTIMES, description="+ adds to what is owed, - reduces it"
    )
    reason: str = Field(min_length=1, max_length=1000)
    call: str | None = Field(None, max_length=60)
    part: Part = Part.PRINCIPAL
    waiver: bool = Field(False, description="a debt or penalty cancelled by a text")


class AdjustedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    entry_kind: EntryKind
    amount_centimes: int
    account: str
    call: str | None
    balance_centimes: int


class ArrearsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date | None = None


class ArrearsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    on: date
    calls_late: int
    penalties_posted: int
    penalties_centimes: int
    reminders: int


class EmployerUserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)


class EmployerUserOut(BaseModel):
    username: str
    employer: str
    account: str


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(min_length=1, max_length=40)
    valid_from: date
    liaison: str = Field("", max_length=100)


class CategoryOut(BaseModel):
    immatriculation: str
    category: str
    valid_from: date
    valid_to: date | None
    liaison: str


class CollectedRow(BaseModel):
    regime: str
    month: date
    calls: int
    paid_calls: int
    called_centimes: int = Field(description="what the calls asked")
    adjusted_centimes: int = Field(description="adjustments and waivers of the principal")
    due_centimes: int = Field(description="called + adjusted")
    collected_centimes: int = Field(description="principal paid so far")
    penalties_centimes: int
    rate_bp: int = Field(description="collected / due, in basis points")


class CollectedOut(BaseModel):
    start: date
    end: date
    rows: list[CollectedRow]
