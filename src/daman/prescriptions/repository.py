"""Every query of the prescriptions domain, and who may see which prescription."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from daman.auth.access import Principal
from daman.core.enums import ProviderKind
from daman.prescriptions.errors import PrescriptionNotFound
from daman.prescriptions.models import (
    DispensedBox,
    Dispensing,
    Prescription,
    PrescriptionLine,
)
from daman.providers.models import Provider
from daman.registry.repository import scope


def visible_to(who: Principal | None) -> ColumnElement[bool]:
    """The prescriptions ``who`` may see: staff all; an insured person their family's; the
    doctor who wrote it; any pharmacy, which dispenses prescriptions from every doctor
    (each read is logged, see service.get); anyone else none."""

    def prescriber_or_pharmacy(provider_id: int) -> ColumnElement[bool]:
        pharmacy = exists(
            select(Provider.id).where(
                Provider.id == provider_id, Provider.kind == ProviderKind.PHARMACY
            )
        )
        return or_(Prescription.prescriber_id == provider_id, pharmacy)

    return scope(who, Prescription.patient_id, prescriber_or_pharmacy)


def _full() -> tuple[object, ...]:
    return (
        selectinload(Prescription.patient),
        selectinload(Prescription.prescriber),
        selectinload(Prescription.lines).selectinload(PrescriptionLine.drug),
        selectinload(Prescription.lines)
        .selectinload(PrescriptionLine.dispensed)
        .selectinload(DispensedBox.dispensing),
    )


def by_number(session: Session, number: str, who: Principal | None = None) -> Prescription:
    """A prescription with its lines and the boxes dispensed so far, freshly read, or
    PrescriptionNotFound (also when ``who`` may not see it)."""
    found = session.scalars(
        select(Prescription)
        .where(Prescription.number == number, visible_to(who))
        .options(*_full())  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    ).one_or_none()
    if found is None:
        raise PrescriptionNotFound(f"no prescription numbered {number}")
    return found


def written_by(session: Session, provider_id: int, limit: int) -> list[Prescription]:
    """A doctor's latest prescriptions, newest first."""
    return list(
        session.scalars(
            select(Prescription)
            .where(Prescription.prescriber_id == provider_id)
            .options(*_full())  # type: ignore[arg-type]
            .order_by(Prescription.id.desc())
            .limit(limit)
        )
    )


def of_patient(session: Session, patient_id: int, limit: int) -> list[Prescription]:
    """A patient's latest prescriptions, newest first."""
    return list(
        session.scalars(
            select(Prescription)
            .where(Prescription.patient_id == patient_id)
            .options(*_full())  # type: ignore[arg-type]
            .order_by(Prescription.id.desc())
            .limit(limit)
        )
    )


def third_party_claims(session: Session, claim_ids: Sequence[int]) -> dict[int, int]:
    """Claim id -> the pharmacy to pay, for the care sheets of dispensings billed to the
    fund directly (tiers payant) among ``claim_ids``."""
    out: dict[int, int] = {}
    ids = list(claim_ids)
    for i in range(0, len(ids), 5_000):
        rows = session.execute(
            select(Dispensing.claim_id, Dispensing.pharmacy_id).where(
                Dispensing.claim_id.in_(ids[i : i + 5_000]), Dispensing.third_party.is_(True)
            )
        )
        out.update({claim_id: pharmacy_id for claim_id, pharmacy_id in rows})
    return out


def dispensing_of_claim(session: Session, claim_id: int) -> Dispensing | None:
    return session.scalars(select(Dispensing).where(Dispensing.claim_id == claim_id)).first()


def by_key(session: Session, writer: str, key: str) -> str | None:
    """The number of the prescription ``writer`` stored under this key, if any."""
    return session.scalar(
        select(Prescription.number).where(
            Prescription.created_by == writer, Prescription.idempotency_key == key
        )
    )


def of_visit(session: Session, claim_id: int) -> str | None:
    """The number of the prescription written at the consultation of this care sheet."""
    return session.scalar(
        select(Prescription.number).where(Prescription.visit_claim_id == claim_id).limit(1)
    )
