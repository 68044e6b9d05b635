"""API shapes of pre-authorisations: requests, decisions, the clock, queue, figures and
facility invoices. Money in integer centimes, rates in basis points (9000 = 90 %).

As for claims (daman.claims.schemas): numbers are bounded in magnitude here (422 beyond),
the sign and the fund's limits are the service's checks (400), and text a person types
refuses bidirectional control characters (400)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from daman.claims.models import ClaimStatus, LineStatus
from daman.claims.schemas import (
    CentimesIn,
    CoefficientIn,
    Explanation,
    Instant,
    StatusEventOut,
    UnitsIn,
)
from daman.core.enums import CareCategory
from daman.core.text import SafeText
from daman.documents.schemas import DocumentOut
from daman.preauth.models import CareKind, PreauthStatus


class PlannedLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: CareCategory
    act_key: SafeText | None = Field(None, max_length=20, description="TNR key or day tariff")
    coefficient: CoefficientIn | None = Field(None, description="coefficient of the key (K 50)")
    act_code: SafeText | None = Field(None, max_length=40)
    description: SafeText = Field("", max_length=300)
    quantity: UnitsIn = Field(1, description="days, sessions or units asked (1..999)")
    estimate_centimes: CentimesIn = Field(
        description="the provider's estimate for the whole line; more than 0, at most the "
        "policy's limit per line"
    )


class PreauthIn(BaseModel):
    """A request for prior authorisation of planned care."""

    model_config = ConfigDict(extra="forbid")

    patient: SafeText = Field(min_length=1, max_length=12, description="immatriculation")
    provider_inpe: SafeText = Field(min_length=1, max_length=20, description="the requester")
    care_kind: CareKind
    planned_start: date
    planned_end: date | None = None
    ald_code: SafeText | None = Field(None, max_length=20, description="ALD the care is linked to")
    diagnosis: SafeText = Field("", max_length=5000, description="clinical information")
    notify_email: EmailStr | None = Field(None, max_length=254, description="where answers go")
    lines: list[PlannedLineIn] = Field(max_length=50)


class PreauthAction(StrEnum):
    AGREE = "agree"
    AGREE_PARTLY = "agree_partly"
    REFUSE = "refuse"
    ASK_INFORMATION = "ask_information"


class AgreedLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_no: UnitsIn
    quantity: UnitsIn = Field(description="units agreed (0 = this line refused)")
    base_centimes: CentimesIn | None = Field(
        None, description="base agreed; default the engine's base for the units agreed"
    )


class PreauthDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: PreauthAction
    valid_from: date | None = Field(None, description="agreement: default the planned start")
    valid_to: date | None = Field(None, description="agreement: last day covered (required)")
    lines: list[AgreedLineIn] = Field(
        default_factory=list, description="lines agreed differently from what was asked"
    )
    reason: SafeText = Field(
        "", max_length=5000, description="required to refuse or to ask for information"
    )


class InformationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: SafeText = Field(max_length=5000, description="the answer to the controller")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: SafeText = Field("", max_length=500)


class InvoiceLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: CareCategory
    care_date: date
    act_key: SafeText | None = Field(None, max_length=20)
    coefficient: CoefficientIn | None = None
    act_code: SafeText | None = Field(None, max_length=40)
    quantity: UnitsIn = 1
    charged_centimes: CentimesIn


class InvoiceIn(BaseModel):
    """The facility's invoice for care under the authorisation."""

    model_config = ConfigDict(extra="forbid")

    reference: SafeText = Field("", max_length=60, description="the facility's invoice number")
    lines: list[InvoiceLineIn] = Field(max_length=200)


class ClockOut(BaseModel):
    limit_hours: int
    elapsed_seconds: int = Field(description="active time: waiting for information excluded")
    left_seconds: int = Field(description="negative once overdue")
    due_at: Instant
    paused: bool
    answered: bool
    overdue: bool = Field(description="open past due, or answered after the limit")


class Rights(BaseModel):
    covered: bool
    reason: str
    regime_code: str | None


class Expected(BaseModel):
    reference_centimes: int | None
    base_centimes: int
    rate_bp: int
    amo_centimes: int
    complementary_centimes: int
    patient_centimes: int
    reasons: list[Explanation]


class PlannedLineOut(BaseModel):
    line_no: int
    category: str
    act_key: str | None
    coefficient: str | None
    act_code: str | None
    description: str
    quantity: int
    estimate_centimes: int
    expected: Expected
    agreed_quantity: int | None
    agreed_base_centimes: int | None
    agreed_amo_centimes: int | None


class PreauthTotals(BaseModel):
    estimate_centimes: int
    expected_amo_centimes: int
    expected_patient_centimes: int
    agreed_amo_centimes: int
    agreed_patient_centimes: int


class InvoiceSummary(BaseModel):
    claim: str
    reference: str
    status: ClaimStatus
    charged_centimes: int
    payable_centimes: int
    patient_centimes: int
    sent_at: Instant


class PreauthSummary(BaseModel):
    number: str
    patient: str
    provider_inpe: str
    care_kind: CareKind
    planned_start: date
    status: PreauthStatus
    submitted_at: Instant
    clock: ClockOut
    estimate_centimes: int


class PreauthOut(PreauthSummary):
    provider_name: str
    planned_end: date | None
    ald_code: str | None
    diagnosis: str
    rights: Rights
    valid_from: date | None
    valid_to: date | None
    decided_by: str | None
    decision_reason: str
    information_asked: str
    totals: PreauthTotals
    lines: list[PlannedLineOut]
    documents: list[DocumentOut]
    invoices: list[InvoiceSummary]
    history: list[StatusEventOut]


class Figures(BaseModel):
    """Answer-time figures: counts and durations only, never a name or an identifier."""

    submitted_from: date
    submitted_to: date
    limit_hours: int
    submitted: int
    answered: int
    answered_on_time: int
    answered_late: int
    on_time_percent: Decimal | None = Field(description="answered on time / answered")
    median_answer_minutes: int | None
    p90_answer_minutes: int | None
    max_answer_minutes: int | None
    open_waiting_for_fund: int
    open_overdue: int
    waiting_for_information: int
    by_status: dict[str, int]


class InvoiceLineOut(BaseModel):
    line_no: int
    category: str
    care_date: date
    act_key: str | None
    quantity: int
    charged_centimes: int
    matched_line: int | None = Field(description="the planned line it was matched to")
    agreed_quantity: int | None
    agreed_base_centimes: int | None
    status: LineStatus | None
    base_centimes: int
    rate_bp: int
    amo_centimes: int
    complementary_centimes: int
    patient_centimes: int
    reasons: list[Explanation]


class InvoiceOut(BaseModel):
    preauthorisation: str
    claim: str
    reference: str
    status: ClaimStatus
    payee_inpe: str = Field(description="the facility, paid by the fund (tiers payant)")
    charged_centimes: int
    payable_centimes: int = Field(description="AMO (and mutual) part, paid to the facility")
    patient_centimes: int = Field(description="the patient's share (ticket modérateur)")
    over_run: bool = Field(description="some lines go beyond the authorisation: in review")
    lines: list[InvoiceLineOut]
