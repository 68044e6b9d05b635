"""API shapes of claims: what a submitter sends and what the fund answers.

Money is integer centimes (`*_centimes`); a TNR coefficient is a decimal (K 22.5). Types
are checked by Pydantic (a malformed payload is a 422); the business checks (unknown
patient, amount <= 0, care date in the future ...) are done by intake and answered with
400 `validation_failed` naming each field.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from daman.claims.models import Channel, ClaimOutcome, ClaimStatus, LineStatus
from daman.core.dates import aware
from daman.core.enums import CareCategory

Instant = Annotated[datetime, AfterValidator(aware)]


class ClaimLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: CareCategory
    care_date: date
    provider_inpe: str = Field(min_length=1, max_length=20)
    charged_centimes: int = Field(description="what the patient paid for the whole line")
    quantity: int = Field(1, description="units (boxes, days, sessions); 1..policy maximum")
    act_key: str | None = Field(None, max_length=20, description="TNR key: C, Cs, K, B ...")
    coefficient: Decimal | None = Field(None, description="coefficient of the key (K 22.5)")
    act_code: str | None = Field(None, max_length=40, description="code of the act as billed")
    drug_code: str | None = Field(None, max_length=13, description="EAN-13 of the medicine")
    prescriber_inpe: str | None = Field(None, max_length=20)
    prescription_date: date | None = None
    ald_code: str | None = Field(None, max_length=20, description="ALD the care is linked to")


class ClaimIn(BaseModel):
    """A care sheet: one patient, one care event, its lines."""

    model_config = ConfigDict(extra="forbid")

    patient: str = Field(min_length=1, max_length=12, description="immatriculation")
    channel: Channel = Channel.ELECTRONIC
    deposit_date: date | None = Field(
        None,
        description="day the paper claim was handed in (agency/import); "
        "electronic claims are deposited the day they arrive",
    )
    continuous_treatment_end: date | None = None
    ald_code: str | None = Field(None, max_length=20, description="ALD exemption reference")
    lines: list[ClaimLineIn] = Field(max_length=200)


class ClaimImportLine(ClaimIn):
    """One line of a JSON-lines import: a keyed-in paper claim and its own reference."""

    channel: Literal[Channel.IMPORT] = Channel.IMPORT
    deposit_date: date = Field(description="day the paper claim was handed in at the agency")
    reference: str = Field(min_length=1, max_length=200, description="unique per paper file")


class Explanation(BaseModel):
    code: str
    severity: str
    text: str


class DecisionOut(BaseModel):
    status: LineStatus
    reference_centimes: int | None
    base_centimes: int
    rate_bp: int
    amo_centimes: int
    complementary_centimes: int
    patient_centimes: int
    reasons: list[Explanation]
    decided_at: Instant | None
    decided_by: str | None


class ClaimLineOut(BaseModel):
    line_no: int
    category: str
    care_date: date
    provider_inpe: str
    act_key: str | None
    coefficient: str | None
    act_code: str | None
    drug_code: str | None
    quantity: int
    charged_centimes: int
    ald_code: str | None
    prescriber_inpe: str | None
    prescription_date: date | None
    decision: DecisionOut | None


class StatusEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from any status event row

    from_status: str | None
    to_status: str
    at: Instant
    by: str
    reason: str


class DocumentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: Instant
    uploaded_by: str


class Totals(BaseModel):
    charged_centimes: int
    base_centimes: int
    amo_centimes: int
    complementary_centimes: int
    patient_centimes: int


class ClaimSummary(BaseModel):
    number: str
    patient: str
    channel: Channel
    deposit_date: date
    received_at: Instant
    status: ClaimStatus
    outcome: ClaimOutcome | None
    totals: Totals


class ClaimOut(ClaimSummary):
    continuous_treatment_end: date | None
    ald_code: str | None
    lines: list[ClaimLineOut]
    documents: list[DocumentOut]
    history: list[StatusEventOut]


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500)
