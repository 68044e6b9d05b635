"""Aggregate reports: claims deposited in a period, by status and by care category, for the
whole fund or one agency."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from daman.core.errors import FieldError, ValidationFailed
from daman.reference.models import Agency
from daman.reports import repository as repo
from daman.reports.schemas import CategoryFigures, ClaimFigures, StatusFigures

LONGEST = timedelta(days=366 * 5)


def claim_figures(
    session: Session, start: date, end: date, agency: str | None = None
) -> ClaimFigures:
    if agency is not None and session.get(Agency, agency) is None:
        raise ValidationFailed([FieldError(field="agency", reason="no agency has this code")])
    if end < start:
        raise ValidationFailed([FieldError(field="to", reason="is before from")])
    if end - start > LONGEST:
        raise ValidationFailed([FieldError(field="to", reason="a period of 5 years at most")])
    statuses = [
        StatusFigures(
            status=str(status),
            claims=int(claims),
            charged_centimes=int(charged),
            amo_centimes=int(amo),
            complementary_centimes=int(complementary),
            patient_centimes=int(patient),
        )
        for status, claims, charged, amo, complementary, patient in repo.claims_by_status(
            session, start, end, agency
        )
    ]
    categories = [
        CategoryFigures(
            category=str(category),
            lines=int(lines),
            charged_centimes=int(charged),
            amo_centimes=int(amo),
        )
        for category, lines, charged, amo in repo.lines_by_category(session, start, end, agency)
    ]
    return ClaimFigures(
        date_from=start,
        date_to=end,
        agency=agency,
        claims=sum(s.claims for s in statuses),
        by_status=statuses,
        by_category=categories,
    )
