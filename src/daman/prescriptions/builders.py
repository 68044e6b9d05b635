"""Test data builders for prescriptions; other packages' tests import them."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.prescriptions import service
from daman.prescriptions.models import Prescription
from daman.prescriptions.schemas import PrescriptionIn, PrescriptionLineIn
from daman.providers.models import Provider


def as_provider(provider: Provider) -> Principal:
    """The principal of a provider's API key (what its account signs as)."""
    return Principal(actor=f"provider:{provider.inpe}", role=Role.PROVIDER, provider_id=provider.id)


def prescription(
    session: Session,
    doctor: Provider,
    patient: str,
    lines: list[tuple[str, int]],
    *,
    ald_code: str | None = None,
    on: date | None = None,
) -> Prescription:
    """A prescription of `doctor` for the patient (immatriculation): (EAN, boxes) lines,
    one tablet morning and evening for 30 days."""
    draft = PrescriptionIn(
        patient=patient,
        ald_code=ald_code,
        lines=[
            PrescriptionLineIn(
                drug_code=code, dosage="1 morning and evening", duration_days=30, boxes=n
            )
            for code, n in lines
        ],
    )
    return service.write(session, draft, as_provider(doctor), on=on)
