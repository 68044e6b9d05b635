"""Adjudication tables: the trail of line decisions, the review queue and the chunks batch
workers share. The fund's policy and ceilings are reference data (daman.reference.models).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.claims.models import Claim, ClaimLine
from daman.core.db import Base, StringEnum


class ReviewAction(StrEnum):
    ACCEPT = "accept"
    REDUCE = "reduce"
    REJECT = "reject"


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
    action: Mapped[ReviewAction | None] = mapped_column(StringEnum(ReviewAction, 10))
    note: Mapped[str | None] = mapped_column(Text)

    claim: Mapped[Claim] = relationship()
    line: Mapped[ClaimLine] = relationship()


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
