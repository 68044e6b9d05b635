"""API shapes of ALD/ALC exemptions: requests, decisions, renewals and granted periods."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from daman.claims.schemas import Instant, StatusEventOut
from daman.core.text import SafeText
from daman.documents.schemas import DocumentOut
from daman.exemptions.models import RequestKind, RequestStatus


class AldRequestIn(BaseModel):
    """A request for exemption from the patient share for a disease of the ALD list."""

    model_config = ConfigDict(extra="forbid")

    patient: SafeText = Field(min_length=1, max_length=12, description="immatriculation")
    ald_code: SafeText = Field(min_length=1, max_length=20, description="code on the ALD list")
    requested_from: date | None = Field(None, description="start asked for (default today)")
    icd10: SafeText = Field("", max_length=20, description="ICD-10 code of the diagnosis")
    evidence: SafeText = Field(max_length=5000, description="medical summary (required)")
    doctor_inpe: SafeText | None = Field(None, max_length=20, description="treating doctor")
    notify_email: EmailStr | None = Field(
        None, max_length=254, description="where the decision is e-mailed"
    )


class RenewalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requested_from: date | None = Field(
        None, description="default: the day after the current exemption ends"
    )
    icd10: SafeText = Field("", max_length=20)
    evidence: SafeText = Field(max_length=5000)
    doctor_inpe: SafeText | None = Field(None, max_length=20)
    notify_email: EmailStr | None = Field(None, max_length=254)


class AldAction(StrEnum):
    GRANT = "grant"
    REFUSE = "refuse"


class AldDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: AldAction
    valid_from: date | None = Field(None, description="grant: default the start asked for")
    valid_to: date | None = Field(
        None, description="grant: last day; default valid_from + settings.ald_default_years"
    )
    for_life: bool = Field(False, description="grant with no end date (diabetes, hypertension)")
    reason: SafeText = Field("", max_length=2000, description="required to refuse")


class ExemptionState(StrEnum):
    ACTIVE = "active"
    UPCOMING = "upcoming"
    EXPIRED = "expired"


class AldExemptionOut(BaseModel):
    id: int
    patient: str
    ald_code: str
    ald_name: str
    kind: str  # ald / alc
    valid_from: date
    valid_to: date | None
    state: ExemptionState
    reference: str
    granted_at: Instant
    granted_by: str


class AldRequestOut(BaseModel):
    number: str
    patient: str
    ald_code: str
    ald_name: str
    kind: RequestKind
    renews: int | None = Field(description="id of the exemption a renewal extends")
    status: RequestStatus
    requested_from: date
    icd10: str
    evidence: str
    doctor_inpe: str | None
    requested_at: Instant
    requested_by: str
    decided_at: Instant | None
    decided_by: str | None
    decision_reason: str
    exemption: AldExemptionOut | None
    documents: list[DocumentOut]
    history: list[StatusEventOut]


class AldRequestSummary(BaseModel):
    number: str
    patient: str
    ald_code: str
    kind: RequestKind
    status: RequestStatus
    requested_from: date
    requested_at: Instant
