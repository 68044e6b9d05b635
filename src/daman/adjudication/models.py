"""Adjudication tables: the trail of line decisions, the review queue, the fund's policy and
the chunks batch workers share.

AdjudicationPolicy and Ceiling are effective-dated reference rows (seeded by migration
0003 with rules.md's defaults) that an administrator edits as data.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.claims.models import Claim, ClaimLine
from daman.core.db import Base, Tracked


class DecisionSource(StrEnum):
    ENGINE = "engine"
    REVIEW = "review"


class ReviewAction(StrEnum):
    ACCEPT = "accept"
    REDUCE = "reduce"
    REJECT = "reject"


# Defaults of the policy's continuous care (migration 0010): physiotherapy, speech therapy
# and orthoptics sessions, hospital stays; under an ALD, chronic medicine and the sessions
# of medical acts (dialysis, chemotherapy, radiotherapy).
CONTINUOUS_CATEGORIES = "paramedical,hospitalisation"
CONTINUOUS_ALD_CATEGORIES = "medicine,medical_act"


class LineDecision(Base):
    """One valuation of a line, by the engine or by a reviewer: who, when, why, amounts."""

    __tablename__ = "line_decisions"
    __table_args__ = (Index("ix_line_decisions_line", "line_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("claim_lines.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    source: Mapped[str] = mapped_column(String(10))  # DecisionSource
    status: Mapped[str] = mapped_column(String(20))  # LineStatus
    reference_centimes: Mapped[int | None] = mapped_column(Integer)
    base_centimes: Mapped[int] = mapped_column(Integer)
    rate_bp: Mapped[int] = mapped_column(Integer)
    amo_centimes: Mapped[int] = mapped_column(Integer)
    complementary_centimes: Mapped[int] = mapped_column(Integer)
    patient_centimes: Mapped[int] = mapped_column(Integer)
    allowed_quantity: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")


class ReviewItem(Base):
    """A line the engine could not decide with confidence, waiting for an agent."""

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_open", "decided_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("claim_lines.id"), index=True)
    reasons: Mapped[list[str]] = mapped_column(JSON)  # why the engine sent it here
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(120))
    assigned_to: Mapped[str | None] = mapped_column(String(120))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str | None] = mapped_column(String(10))  # ReviewAction
    note: Mapped[str | None] = mapped_column(Text)

    claim: Mapped[Claim] = relationship()
    line: Mapped[ClaimLine] = relationship()


class AdjudicationPolicy(Tracked, Base):
    """Fund settings the engine and intake apply, effective-dated by the claim's deposit
    date."""

    __tablename__ = "adjudication_policies"
    __table_args__ = (
        CheckConstraint("late_policy IN ('reject', 'penalty')", name="late_policy"),
        CheckConstraint("filing_deadline_days > 0", name="deadline_positive"),
        CheckConstraint("max_line_quantity >= 1", name="max_quantity_positive"),
        CheckConstraint(
            "max_line_charged_centimes >= 1"
            " AND max_line_charged_centimes <= max_claim_charged_centimes"
            " AND max_claim_charged_centimes <= 2000000000",  # core.money.MAX_CENTIMES
            name="charged_limits",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    filing_deadline_days: Mapped[int] = mapped_column(Integer)
    late_policy: Mapped[str] = mapped_column(String(10))  # "reject" or "penalty"
    late_penalty_bp: Mapped[int] = mapped_column(Integer)  # per started month late
    review_threshold_centimes: Mapped[int] = mapped_column(Integer)  # base above -> review
    max_line_quantity: Mapped[int] = mapped_column(Integer)  # refused at the door above
    # care categories whose lines wait for review until a document is attached
    document_categories: Mapped[str] = mapped_column(String(300))  # comma-separated
    # Refused at the door above: what one line, and one claim, may say was charged.
    max_line_charged_centimes: Mapped[int] = mapped_column(
        Integer, server_default=text("1000000000")
    )
    max_claim_charged_centimes: Mapped[int] = mapped_column(
        Integer, server_default=text("2000000000")
    )
    # Care that is continuous by nature (a course of sessions, a hospital stay): a claim
    # of such lines may give continuous_treatment_end, from which the deadline counts.
    continuous_categories: Mapped[str] = mapped_column(  # comma-separated
        String(300), server_default=CONTINUOUS_CATEGORIES
    )
    # The same, for lines linked to an ALD the patient is exempted for on the care date.
    continuous_ald_categories: Mapped[str] = mapped_column(  # comma-separated
        String(300), server_default=CONTINUOUS_ALD_CATEGORIES
    )
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(12), default="H")


class Ceiling(Tracked, Base):
    """At most max_base_centimes of base and/or max_quantity units of a care category
    within period_days, per patient (regime NULL = every regime)."""

    __tablename__ = "ceilings"
    __table_args__ = (
        CheckConstraint(
            "max_base_centimes IS NOT NULL OR max_quantity IS NOT NULL", name="some_limit"
        ),
        CheckConstraint("period_days > 0", name="period_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(30))  # CareCategory
    regime_code: Mapped[str | None] = mapped_column(ForeignKey("regimes.code"))
    max_base_centimes: Mapped[int | None] = mapped_column(Integer)
    max_quantity: Mapped[int | None] = mapped_column(Integer)
    period_days: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(12), default="H")


class AdjudicationChunk(Base):
    """A share of a batch: received claims of a run of patients (a patient's claims are all
    in one chunk), valued by whichever worker locks the row first (see workers.py)."""

    __tablename__ = "adjudication_chunks"
    __table_args__ = (Index("ix_adjudication_chunks_open", "done_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[int] = mapped_column(Integer)  # chunks planned together share a number
    claim_ids: Mapped[list[int]] = mapped_column(JSON)
    claims: Mapped[int] = mapped_column(Integer)  # claims planned in the chunk
    planned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    planned_by: Mapped[str] = mapped_column(String(120))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(120))  # the worker
    valued: Mapped[int | None] = mapped_column(Integer)  # claims valued (others had moved on)
