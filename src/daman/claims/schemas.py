"""API shapes of claims: what a submitter sends and what the fund answers.

Money is integer centimes (`*_centimes`); a TNR coefficient is a decimal (K 22.5). Types
are checked by Pydantic (a malformed payload is a 422); the business checks (unknown
patient, amount <= 0, care date in the future ...) are done by intake and answered with
400 `validation_failed` naming each field.

Numbers are bounded in magnitude here, so that no arithmetic ever meets an absurd one
(2**63, 1e40, a coefficient of 1e999999): beyond these bounds a payload is malformed (422,
naming the field). The sign, the fund's limits (amount per line and per claim, units per
line, from the effective-dated policy) and a coefficient's precision are intake's checks
(400). Text a person types refuses bidirectional control characters (`SafeText`, 400).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from daman.claims.models import Channel, ClaimOutcome, ClaimStatus, LineStatus
from daman.core.dates import aware
from daman.core.enums import CareCategory
from daman.core.money import MAX_CENTIMES
from daman.core.text import SafeText
from daman.documents.schemas import DocumentOut

if TYPE_CHECKING:
    from daman.auth.access import Principal

Instant = Annotated[datetime, AfterValidator(aware)]

MAX_UNITS = 100_000  # units of one line, far above any policy (99 a claim line, 999 planned)
MAX_COEFFICIENT = Decimal(100_000)  # intake allows up to 9999.999

# An amount in centimes, a number of units, a TNR coefficient, as a person sends them.
CentimesIn = Annotated[int, Field(ge=-MAX_CENTIMES, le=MAX_CENTIMES)]
UnitsIn = Annotated[int, Field(ge=-MAX_UNITS, le=MAX_UNITS)]
CoefficientIn = Annotated[
    Decimal, Field(ge=-MAX_COEFFICIENT, le=MAX_COEFFICIENT, max_digits=16, allow_inf_nan=False)
]


class ClaimLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: CareCategory
    care_date: date
    provider_inpe: SafeText = Field(min_length=1, max_length=20)
    charged_centimes: CentimesIn = Field(
        description="what the patient paid for the whole line; more than 0, at most the "
        "policy's limit per line"
    )
    quantity: UnitsIn = Field(1, description="units (boxes, days, sessions); 1..policy maximum")
    act_key: SafeText | None = Field(None, max_length=20, description="TNR key: C, Cs, K, B ...")
    coefficient: CoefficientIn | None = Field(
        None, description="coefficient of the key (K 22.5): more than 0, at most 9999.999"
    )
    act_code: SafeText | None = Field(None, max_length=40, description="code of the act as billed")
    drug_code: SafeText | None = Field(None, max_length=13, description="EAN-13 of the medicine")
    prescriber_inpe: SafeText | None = Field(None, max_length=20)
    prescription_date: date | None = None
    ald_code: SafeText | None = Field(None, max_length=20, description="ALD the care is linked to")


class ClaimIn(BaseModel):
    """A care sheet: one patient, one care event, its lines."""

    model_config = ConfigDict(extra="forbid")

    patient: SafeText = Field(min_length=1, max_length=12, description="immatriculation")
    channel: Channel = Field(
        Channel.ELECTRONIC,
        description="electronic for everyone but the fund's staff, who key in paper "
        "claims handed in at an agency (agency)",
    )
    deposit_date: date | None = Field(
        None,
        description="day the paper claim was handed in (agency, set by staff only); "
        "any other claim is deposited the day it arrives",
    )
    continuous_treatment_end: date | None = Field(
        None,
        description="end of a continuous treatment (the filing deadline counts from it): "
        "only for the policy's continuous care categories, between the last care date and "
        "the deposit date",
    )
    ald_code: SafeText | None = Field(None, max_length=20, description="ALD exemption reference")
    lines: list[ClaimLineIn] = Field(max_length=200)


class ClaimImportLine(ClaimIn):
    """One line of a JSON-lines import: a keyed-in paper claim and its own reference."""

    channel: Literal[Channel.IMPORT] = Channel.IMPORT
    deposit_date: date = Field(description="day the paper claim was handed in at the agency")
    reference: SafeText = Field(min_length=1, max_length=200, description="unique per paper file")


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

    @classmethod
    def seen_by(cls, event: object, who: Principal | None) -> StatusEventOut:
        """A status event row as ``who`` may see it: who acted, shown by role only to
        insured persons and providers when it was not they (Principal.shown)."""
        out = cls.model_validate(event)
        if who is not None:
            out.by = who.shown(out.by)
        return out


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

    reason: SafeText = Field("", max_length=500)
