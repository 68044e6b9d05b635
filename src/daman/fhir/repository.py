"""The queries of the FHIR API that no domain asks itself: the pre-authorisations a
ClaimResponse search lists (scoped by the pre-authorisation domain's own rule)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.preauth import repository as preauth_repo
from daman.preauth.models import PreauthRequest, PreauthStatus
from daman.registry.models import Person


def preauth_numbers(
    session: Session,
    who: Principal,
    *,
    patient: str | None,
    cancelled: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[str], int]:
    """The numbers of the pre-authorisations ``who`` may see, newest first: of one patient
    (immatriculation), cancelled or not (None: both); and how many there are in all."""
    stmt = select(PreauthRequest.number)
    if patient:
        stmt = stmt.join(Person, Person.id == PreauthRequest.patient_id).where(
            Person.immatriculation == patient.strip().upper()
        )
    if cancelled is True:
        stmt = stmt.where(PreauthRequest.status == PreauthStatus.CANCELLED)
    elif cancelled is False:
        stmt = stmt.where(PreauthRequest.status != PreauthStatus.CANCELLED)
    stmt = preauth_repo.visible(stmt, who)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(PreauthRequest.id.desc()).limit(limit).offset(offset))
    return list(rows), total
