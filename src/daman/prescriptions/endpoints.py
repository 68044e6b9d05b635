"""HTTP endpoints of prescriptions: a doctor writes one; the patient's family, the doctor,
any pharmacy (to dispense it) and the fund's staff read it. Valuing and dispensing at the
pharmacy's counter: daman.counter.pharmacy_endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.errors import ValidationFailed, error_responses
from daman.prescriptions import service
from daman.prescriptions.errors import NotADoctor, PrescriptionNotFound
from daman.prescriptions.schemas import PrescriptionIn, PrescriptionOut

router = APIRouter(tags=["prescriptions"])

WRITE = allow(Role.PROVIDER)  # a doctor's account or key (checked by the service)
READ = allow(Role.INSURED, Role.PROVIDER, Role.AGENT, Role.CONTROLLER)


@router.post(
    "/prescriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=PrescriptionOut,
    responses=error_responses(ValidationFailed, NotADoctor),
)
def write_prescription(
    payload: PrescriptionIn, who: Principal = Depends(WRITE), session: Session = SESSION
) -> PrescriptionOut:
    """Write an electronic prescription: each medicine from the list in force (by EAN), its
    dosage, the treatment's days and the boxes to dispense. The answer carries its unique
    number, which its QR code holds."""
    return service.prescription_out(service.write(session, payload, who))


@router.get(
    "/prescriptions/{number}",
    response_model=PrescriptionOut,
    responses=error_responses(PrescriptionNotFound),
)
def read_prescription(
    number: str, who: Principal = Depends(READ), session: Session = SESSION
) -> PrescriptionOut:
    """A prescription with the boxes left on each line and those dispensed (a pharmacy's
    read of another doctor's prescription is logged)."""
    return service.prescription_out(service.get(session, number, who))
