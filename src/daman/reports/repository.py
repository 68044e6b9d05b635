"""Every query of the aggregate reports: GROUP BY only, never a row of a person."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from daman.claims.models import Claim, ClaimLine


def _deposited(start: date, end: date, agency: str | None) -> list[ColumnElement[bool]]:
    """Claims deposited in the period, at one agency if named (paper sheets keyed in there)."""
    where: list[ColumnElement[bool]] = [Claim.deposit_date.between(start, end)]
    if agency is not None:
        where.append(Claim.agency_code == agency)
    return where


def claims_by_status(
    session: Session, start: date, end: date, agency: str | None = None
) -> list[tuple[str, int, int, int, int, int]]:
    stmt = (
        select(
            Claim.status,
            func.count(),
            func.coalesce(func.sum(Claim.charged_centimes), 0),
            func.coalesce(func.sum(Claim.amo_centimes), 0),
            func.coalesce(func.sum(Claim.complementary_centimes), 0),
            func.coalesce(func.sum(Claim.patient_centimes), 0),
        )
        .where(*_deposited(start, end, agency))
        .group_by(Claim.status)
        .order_by(Claim.status)
    )
    return [(s, n, c, a, m, p) for s, n, c, a, m, p in session.execute(stmt)]


def lines_by_category(
    session: Session, start: date, end: date, agency: str | None = None
) -> list[tuple[str, int, int, int]]:
    stmt = (
        select(
            ClaimLine.category,
            func.count(),
            func.coalesce(func.sum(ClaimLine.charged_centimes), 0),
            func.coalesce(func.sum(ClaimLine.amo_centimes), 0),
        )
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .where(*_deposited(start, end, agency))
        .group_by(ClaimLine.category)
        .order_by(ClaimLine.category)
    )
    return [(k, n, c, a or 0) for k, n, c, a in session.execute(stmt)]
