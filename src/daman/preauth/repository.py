"""Every query of the pre-authorisation domain, and who may see what.

Scope (`visible`): staff (agent, controller, admin) see every request; a provider the
requests it sent; an insured person those of their family (themselves and their
dependents); anyone else none. An object out of scope is "not found", never "forbidden".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from daman.auth.access import Principal
from daman.claims.repository import chunks, one_of
from daman.core.errors import NotFound
from daman.preauth.models import (
    PreauthInvoice,
    PreauthRequest,
    PreauthStatus,
)
from daman.registry.repository import scope

T = TypeVar("T", bound=Any)


def visible(stmt: Select[T], who: Principal) -> Select[T]:
    """`stmt` (over PreauthRequest) restricted to what `who` may see."""
    return stmt.where(
        scope(who, PreauthRequest.patient_id, lambda p: PreauthRequest.provider_id == p)
    )


def by_number(session: Session, number: str, who: Principal) -> PreauthRequest:
    stmt = (
        select(PreauthRequest)
        .where(PreauthRequest.number == number.strip().upper())
        .options(
            selectinload(PreauthRequest.lines),
            selectinload(PreauthRequest.events),
            selectinload(PreauthRequest.documents),
            selectinload(PreauthRequest.invoices),
        )
        .execution_options(populate_existing=True)
    )
    found = session.scalar(visible(stmt, who))
    if found is None:
        raise NotFound(f"no pre-authorisation {number}", code="preauth_not_found")
    return found


def lock(session: Session, request_id: int) -> None:
    """Hold the request's row until commit (two controllers never answer it twice)."""
    stmt = select(PreauthRequest.id).where(PreauthRequest.id == request_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    session.execute(stmt)


def page(
    session: Session,
    who: Principal,
    *,
    status: str | None,
    patient_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[PreauthRequest], int]:
    stmt = select(PreauthRequest)
    if status:
        stmt = stmt.where(PreauthRequest.status == status)
    if patient_id is not None:
        stmt = stmt.where(PreauthRequest.patient_id == patient_id)
    stmt = visible(stmt, who)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(PreauthRequest.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def queue(
    session: Session, *, include_paused: bool, limit: int, offset: int
) -> tuple[list[PreauthRequest], int]:
    """Requests waiting for the fund, least time left first (due_at moves forward by the
    time spent waiting for information, so it orders by time left)."""
    statuses = [PreauthStatus.SUBMITTED.value]
    if include_paused:
        statuses.append(PreauthStatus.INFO_REQUESTED.value)
    stmt = select(PreauthRequest).where(PreauthRequest.status.in_(statuses))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(
            PreauthRequest.paused_at.is_not(None), PreauthRequest.due_at, PreauthRequest.id
        )
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def submitted_between(
    session: Session, start: datetime, end: datetime
) -> list[tuple[str, int | None, bool | None]]:
    """(status, answer_seconds, answered_late) of requests submitted in [start, end)."""
    rows = session.execute(
        select(
            PreauthRequest.status, PreauthRequest.answer_seconds, PreauthRequest.answered_late
        ).where(PreauthRequest.submitted_at >= start, PreauthRequest.submitted_at < end)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def open_counts(session: Session, at: datetime) -> tuple[int, int, int]:
    """(waiting for the fund, of which overdue, waiting for information) right now."""
    waiting = PreauthRequest.status == PreauthStatus.SUBMITTED
    n_open = session.scalar(select(func.count()).where(waiting)) or 0
    overdue = session.scalar(select(func.count()).where(waiting, PreauthRequest.due_at < at)) or 0
    paused = (
        session.scalar(
            select(func.count()).where(PreauthRequest.status == PreauthStatus.INFO_REQUESTED)
        )
        or 0
    )
    return n_open, overdue, paused


def invoice_of_claim(session: Session, claim_id: int) -> PreauthInvoice | None:
    return session.scalar(select(PreauthInvoice).where(PreauthInvoice.claim_id == claim_id))


def invoiced_claims(session: Session, claim_ids: Sequence[int]) -> dict[int, int]:
    """Claim id -> requesting provider id, for the claims that are facility invoices."""
    out: dict[int, int] = {}
    for part in chunks(sorted(claim_ids)):
        rows = session.execute(
            select(PreauthInvoice.claim_id, PreauthRequest.provider_id)
            .join(PreauthRequest, PreauthRequest.id == PreauthInvoice.request_id)
            .where(one_of(session, PreauthInvoice.claim_id, part))
        ).all()
        out.update({claim_id: provider_id for claim_id, provider_id in rows})
    return out
