"""HTTP endpoints of the aggregate reports (the analysts' part of the API)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.errors import ValidationFailed, error_responses
from daman.reports import service
from daman.reports.schemas import ClaimFigures

router = APIRouter(prefix="/statistics", tags=["reports"])

FIGURES = allow(Role.ANALYST, Role.ADMIN, Role.AGENT, Role.CONTROLLER)


@router.get("/claims", response_model=ClaimFigures, responses=error_responses(ValidationFailed))
def claim_figures(
    start: date | None = Query(
        None, alias="from", description="first deposit date (default: today)"
    ),
    end: date | None = Query(None, alias="to", description="last deposit date (default: from)"),
    agency: str | None = Query(
        None, max_length=12, description="an agency's code: the paper care sheets keyed in there"
    ),
    session: Session = SESSION,
    who: Principal = Depends(FIGURES),
) -> ClaimFigures:
    """Claims deposited in the period: counts and amounts by status and by care category, for
    the whole fund or for one agency."""
    first = start or today()
    return service.claim_figures(session, first, end or first, agency)
