"""Every query of the exemptions domain, and who may see what.

Scope (`visible`): staff (agent, controller, admin) see every request and exemption; an
insured person those of their family (themselves and their dependents); a provider none
(an exemption is the patient's business; the engine applies it to the provider's claims).
Anything out of scope is "not found".
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from daman.auth.access import Principal
from daman.core.errors import NotFound
from daman.exemptions.models import AldExemptionRequest, RequestStatus
from daman.registry.models import AldExemption
from daman.registry.repository import scope

T = TypeVar("T", bound=Any)


def visible(stmt: Select[T], who: Principal, person_column: Any) -> Select[T]:
    """`stmt` restricted to what `who` may see (the person of `person_column`)."""
    return stmt.where(scope(who, person_column))


def request_by_number(session: Session, number: str, who: Principal) -> AldExemptionRequest:
    stmt = (
        select(AldExemptionRequest)
        .where(AldExemptionRequest.number == number.strip().upper())
        .options(
            selectinload(AldExemptionRequest.events),
            selectinload(AldExemptionRequest.documents),
        )
    )
    found = session.scalar(visible(stmt, who, AldExemptionRequest.person_id))
    if found is None:
        raise NotFound(f"no exemption request {number}", code="exemption_request_not_found")
    return found


def request_for_update(session: Session, request_id: int) -> AldExemptionRequest:
    stmt = select(AldExemptionRequest).where(AldExemptionRequest.id == request_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = session.scalar(stmt.execution_options(populate_existing=True))
    assert row is not None
    return row


def requests_page(
    session: Session,
    who: Principal,
    *,
    status: str | None,
    person_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[AldExemptionRequest], int]:
    """Oldest first: the controller's order of work."""
    stmt = select(AldExemptionRequest)
    if status:
        stmt = stmt.where(AldExemptionRequest.status == status)
    if person_id is not None:
        stmt = stmt.where(AldExemptionRequest.person_id == person_id)
    stmt = visible(stmt, who, AldExemptionRequest.person_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(AldExemptionRequest.requested_at, AldExemptionRequest.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def open_request(session: Session, person_id: int, ald_code: str) -> AldExemptionRequest | None:
    return session.scalar(
        select(AldExemptionRequest).where(
            AldExemptionRequest.person_id == person_id,
            AldExemptionRequest.ald_code == ald_code,
            AldExemptionRequest.status == RequestStatus.REQUESTED,
        )
    )


def exemption_by_id(session: Session, exemption_id: int, who: Principal) -> AldExemption:
    stmt = select(AldExemption).where(AldExemption.id == exemption_id)
    found = session.scalar(visible(stmt, who, AldExemption.person_id))
    if found is None:
        raise NotFound(f"no ALD exemption {exemption_id}", code="exemption_not_found")
    return found


def exemptions_of(
    session: Session, person_id: int, ald_code: str | None = None
) -> list[AldExemption]:
    stmt = select(AldExemption).where(AldExemption.person_id == person_id)
    if ald_code is not None:
        stmt = stmt.where(AldExemption.ald_code == ald_code)
    return list(session.scalars(stmt.order_by(AldExemption.valid_from, AldExemption.id)))


def exemptions_page(
    session: Session, who: Principal, *, person_id: int | None, limit: int, offset: int
) -> tuple[list[AldExemption], int]:
    stmt = select(AldExemption)
    if person_id is not None:
        stmt = stmt.where(AldExemption.person_id == person_id)
    stmt = visible(stmt, who, AldExemption.person_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(AldExemption.person_id, AldExemption.valid_from, AldExemption.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def overlapping(
    session: Session, person_id: int, ald_code: str, start: date, end: date | None
) -> AldExemption | None:
    """An exemption of the person for the disease whose period meets [start, end]."""
    for row in exemptions_of(session, person_id, ald_code):
        if (row.valid_to is None or row.valid_to >= start) and (
            end is None or row.valid_from <= end
        ):
            return row
    return None
