"""Every query of the adjudication domain: context rows, bulk saves, the review queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    any_,
    bindparam,
    cast,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, selectinload

from daman.adjudication.models import AdjudicationChunk, ReviewItem
from daman.claims.models import Claim, ClaimLine, ClaimStatus


def open_items(
    session: Session,
    *,
    limit: int,
    offset: int,
    agency: str | None = None,
    category: str | None = None,
    reason: str | None = None,
    urgent_first: bool = False,
) -> tuple[list[ReviewItem], int]:
    """Undecided review items with their claim, line and documents: oldest first, or with
    ``urgent_first`` the claims deposited earliest (least time left to answer) first and,
    among them, the most money at stake; filtered by the receiving agency, the line's care
    category or a reason code."""
    where: list[ColumnElement[bool]] = [ReviewItem.decided_at.is_(None)]
    if agency:
        where.append(Claim.agency_code == agency)
    if category:
        where.append(ClaimLine.category == category)
    if reason:  # the codes are a JSON list: '["needs_review", ...]' on both databases
        where.append(cast(ReviewItem.reasons, String).contains(f'"{reason}"', autoescape=True))
    joined = (
        select(ReviewItem)
        .join(Claim, Claim.id == ReviewItem.claim_id)
        .join(ClaimLine, ClaimLine.id == ReviewItem.line_id)
        .where(*where)
    )
    total = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    order = (
        (Claim.deposit_date, ClaimLine.charged_centimes.desc(), ReviewItem.id)
        if urgent_first
        else (ReviewItem.id,)
    )
    items = session.scalars(
        joined.order_by(*order)
        .limit(limit)
        .offset(offset)
        .options(
            selectinload(ReviewItem.line).selectinload(ClaimLine.provider),
            selectinload(ReviewItem.line).selectinload(ClaimLine.prescriber),
            selectinload(ReviewItem.claim).selectinload(Claim.lines),
            selectinload(ReviewItem.claim).selectinload(Claim.documents),
            selectinload(ReviewItem.claim).selectinload(Claim.patient),
        )
    ).all()
    return list(items), total


def item_for_update(session: Session, item_id: int) -> ReviewItem | None:
    """A review item, locked against a concurrent decision on PostgreSQL."""
    return session.scalars(
        select(ReviewItem).where(ReviewItem.id == item_id).with_for_update()
    ).one_or_none()


# ---------------------------------------------------------------------------------------
# Bulk reads (PostgreSQL): a SELECT's rows straight into a frame through COPY ... TO STDOUT
# in CSV, parsed by Polars in native code: no Python object per row or per value.


# ---------------------------------------------------------------------------------------
# Chunks of a batch shared by workers (PostgreSQL: FOR UPDATE SKIP LOCKED)

CHUNK_PLANNING_LOCK = 0x64616D616E  # advisory lock: one planner at a time


def lock_planning(session: Session) -> None:
    """Serialise planners until the transaction ends (two machines starting together)."""
    session.execute(select(func.pg_advisory_xact_lock(CHUNK_PLANNING_LOCK)))


def open_chunks(session: Session) -> int:
    """Chunks not done yet, locked by a worker or not."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AdjudicationChunk)
            .where(AdjudicationChunk.done_at.is_(None))
        )
        or 0
    )


def open_batch(session: Session) -> int | None:
    """The batch some chunks of which are still open (None when every chunk is done)."""
    return session.scalar(
        select(func.min(AdjudicationChunk.batch)).where(AdjudicationChunk.done_at.is_(None))
    )


def plan_chunks(session: Session, size: int, at: datetime, by: str) -> tuple[int, int]:
    """Cut every received claim into chunks of about `size` claims, a patient's claims
    all in the same chunk (patients in id order, chunks in that order); the batch number
    and the number of chunks."""
    batch = (session.scalar(select(func.max(AdjudicationChunk.batch))) or 0) + 1
    result = session.execute(
        text(
            """
            INSERT INTO adjudication_chunks (batch, claim_ids, claims, planned_at, planned_by)
            SELECT :batch, json_agg(r.id ORDER BY r.id), count(*), :at, :by
            FROM claims AS r
            JOIN (
                SELECT patient_id,
                       (sum(count(*)) OVER (ORDER BY patient_id))::bigint - 1 AS before
                FROM claims WHERE status = :received GROUP BY patient_id
            ) AS p ON p.patient_id = r.patient_id
            WHERE r.status = :received
            GROUP BY p.before / :size
            ORDER BY p.before / :size
            """
        ),
        {"batch": batch, "at": at, "by": by, "received": ClaimStatus.RECEIVED, "size": size},
    )
    return batch, int(result.rowcount)  # type: ignore[attr-defined]


def take_chunk(session: Session) -> tuple[int, list[int]] | None:
    """The first open chunk no other worker holds, locked until the transaction ends."""
    row = session.execute(
        select(AdjudicationChunk.id, AdjudicationChunk.claim_ids)
        .where(AdjudicationChunk.done_at.is_(None))
        .order_by(AdjudicationChunk.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).one_or_none()
    return None if row is None else (row.id, list(row.claim_ids))


def still_received(session: Session, claim_ids: Sequence[int]) -> list[int]:
    """Those of the claims still `received`, locked (another batch may have valued some)."""
    return list(
        session.scalars(
            select(Claim.id)
            .where(Claim.id == any_(bindparam(None, list(claim_ids), type_=ARRAY(BigInteger))))
            .where(Claim.status == ClaimStatus.RECEIVED)
            .order_by(Claim.id)
            .with_for_update()
        )
    )


def finish_chunk(session: Session, chunk_id: int, valued: int, at: datetime, by: str) -> None:
    session.execute(
        update(AdjudicationChunk)
        .where(AdjudicationChunk.id == chunk_id)
        .values(done_at=at, done_by=by, valued=valued)
    )


def batch_progress(session: Session, batch: int) -> tuple[int, int]:
    """Claims planned in the batch and claims in its chunks done so far."""
    planned, done = session.execute(
        select(
            func.coalesce(func.sum(AdjudicationChunk.claims), 0),
            func.coalesce(
                func.sum(AdjudicationChunk.claims).filter(AdjudicationChunk.done_at.isnot(None)),
                0,
            ),
        ).where(AdjudicationChunk.batch == batch)
    ).one()
    return int(planned), int(done)
