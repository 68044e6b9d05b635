"""API shapes of the review queue."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from daman.adjudication.models import ReviewAction
from daman.claims.schemas import CentimesIn, ClaimLineOut, Instant
from daman.core.text import SafeText
from daman.documents.schemas import DocumentOut


class ReviewDecisionIn(BaseModel):
    """accept (pay the line as valued), reduce (pay `amo_centimes`, less than valued) or
    reject, always with the reason the controller gives."""

    model_config = ConfigDict(extra="forbid")

    action: ReviewAction
    reason: SafeText = Field(min_length=1, max_length=1000)
    amo_centimes: CentimesIn | None = Field(None, description="AMO amount to pay (reduce only)")


class ReviewItemOut(BaseModel):
    id: int
    claim_number: str
    claim_status: str
    patient: str
    line: ClaimLineOut
    reasons: list[str]
    explanations: list[str]
    documents: list[DocumentOut]
    created_at: Instant
    created_by: str
    assigned_to: str | None
    assigned_at: Instant | None
    decided_at: Instant | None
    decided_by: str | None
    action: ReviewAction | None
    note: str | None
