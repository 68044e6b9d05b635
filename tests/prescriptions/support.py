"""Helpers of the prescription and pharmacy-counter tests: a doctor, a pharmacy, a covered
patient, the principals of their API keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.prescriptions.builders import as_provider
from daman.providers import builders as providers
from daman.providers.models import Provider
from daman.registry import builders as rb
from daman.registry.models import Person
from tests.claims.support import cnss_insured, recent

BRAND = "6118990000017"  # GLUCADEM 850 MG: PPV 32.00, PRIX_BR 18.50, 70 %
GENERIC = "6118990000024"  # METFORMINE DEMOGEN 850 MG: the same DCI and dosage, 18.50
AMLODEM = "6118990000086"  # AMLODEM 5 MG: PPV 98.00, PRIX_BR 45.60
NOT_LISTED = "6118990000000"  # no medicine has it


@dataclass
class Desk:
    doctor: Provider
    pharmacy: Provider
    patient: Person
    as_doctor: Principal
    as_pharmacy: Principal


@pytest.fixture
def desk(session: Session) -> Desk:
    doctor = providers.provider(session)
    pharmacy = providers.provider(session, kind="pharmacy", specialty=None)
    patient = cnss_insured(session, rib=rb.valid_rib(77))
    return Desk(doctor, pharmacy, patient, as_provider(doctor), as_provider(pharmacy))


def with_ald(session: Session, patient: Person) -> str:
    """An ALD exemption in force for the patient; its code."""
    return rb.ald_exemption(session, patient, recent(400)).ald_code
