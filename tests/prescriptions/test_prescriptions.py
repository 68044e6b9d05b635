"""A doctor writes an electronic prescription: the rules of what may be prescribed, its
number, who may read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from daman.auth.access import Principal
from daman.auth.models import ReadLog, Role
from daman.core.dates import today
from daman.core.errors import ValidationFailed
from daman.prescriptions import builders, service
from daman.prescriptions.errors import NotADoctor, PrescriptionNotFound
from daman.prescriptions.schemas import PrescriptionIn, PrescriptionLineIn
from daman.providers import builders as providers
from daman.registry import builders as rb
from tests.prescriptions.support import AMLODEM, BRAND, NOT_LISTED, desk, with_ald

__all__ = ["desk"]
EASTERN = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def draft(patient: str, *lines: PrescriptionLineIn, ald: str | None = None) -> PrescriptionIn:
    return PrescriptionIn(patient=patient, ald_code=ald, lines=list(lines))


def line(code: str = BRAND, dosage: str = "1 tablet twice a day", days: int = 30, boxes: int = 1):
    return PrescriptionLineIn(drug_code=code, dosage=dosage, duration_days=days, boxes=boxes)


def fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    assert isinstance(exc.value.detail, list)
    return {e.field: e.reason for e in exc.value.detail}


def test_a_doctor_writes_a_prescription_with_a_checked_unique_number(session, desk):
    first = builders.prescription(
        session, desk.doctor, desk.patient.immatriculation, [(BRAND, 2), (AMLODEM, 1)]
    )
    second = builders.prescription(session, desk.doctor, desk.patient.immatriculation, [(BRAND, 1)])
    assert first.number != second.number
    for row in (first, second):
        assert service.number_problem(row.number) is None
        assert len(row.number) == 16 and row.number.startswith("RX")
    assert first.prescribed_on == today()
    assert first.valid_until == today() + timedelta(days=service.VALID_DAYS)
    assert [(ln.line_no, ln.drug.code, ln.boxes) for ln in first.lines] == [
        (1, BRAND, 2),
        (2, AMLODEM, 1),
    ]
    out = service.prescription_out(first)
    assert out.prescriber == desk.doctor.inpe and out.dispensable
    assert [ln.boxes_left for ln in out.lines] == [2, 1]


def test_every_refused_field_is_named(session, desk):
    dead = rb.person(session, death_date=today() - timedelta(days=3))
    with pytest.raises(ValidationFailed) as exc:
        service.write(
            session,
            draft(
                dead.immatriculation,
                line(NOT_LISTED),
                line(dosage="   "),
                line(days=0),
                line(boxes=13),
                ald="ALD09",
            ),
            desk.as_doctor,
        )
    assert set(fields(exc)) == {
        "patient",
        "ald_code",
        "lines[0].drug_code",
        "lines[1].dosage",
        "lines[2].duration_days",
        "lines[3].boxes",
    }
    with pytest.raises(ValidationFailed) as exc:
        service.write(session, draft("DM9999999999"), desk.as_doctor)
    assert set(fields(exc)) == {"patient", "lines"}


def test_a_medicine_off_the_list_today_is_refused(session, desk):
    with pytest.raises(ValidationFailed) as exc:
        service.write(
            session,
            draft(desk.patient.immatriculation, line()),
            desk.as_doctor,
            on=today().replace(year=1990),
        )
    assert "not on the list in force" in fields(exc)["lines[0].drug_code"]


def test_an_ald_prescription_needs_the_patients_exemption(session, desk):
    code = with_ald(session, desk.patient)
    row = service.write(
        session, draft(desk.patient.immatriculation, line(), ald=code.lower()), desk.as_doctor
    )
    assert row.ald_code == code


def test_only_a_doctor_writes_one(session, desk):
    for who in (
        desk.as_pharmacy,
        Principal(actor="insured:x", role=Role.INSURED, person_id=desk.patient.id),
    ):
        with pytest.raises(NotADoctor):
            service.write(session, draft(desk.patient.immatriculation, line()), who)


def test_the_same_form_sent_twice_stores_one_prescription(session, desk):
    payload = draft(desk.patient.immatriculation, line())
    first = service.write(session, payload, desk.as_doctor, idempotency_key="k1")
    again = service.write(session, payload, desk.as_doctor, idempotency_key="k1")
    other = service.write(session, payload, desk.as_doctor, idempotency_key="k2")
    assert first.number == again.number != other.number


def test_who_reads_a_prescription(session, desk):
    row = builders.prescription(session, desk.doctor, desk.patient.immatriculation, [(BRAND, 1)])
    typed = f"{row.number[:6]} {row.number[6:]}".translate(EASTERN).lower()
    # its doctor, any pharmacy (the read logged), the patient, staff
    assert service.get(session, typed, desk.as_doctor).id == row.id
    assert service.get(session, row.number, desk.as_pharmacy).id == row.id
    logged = session.scalars(select(ReadLog).where(ReadLog.key == row.number)).all()
    assert [(r.what, r.actor) for r in logged] == [("prescription", desk.as_pharmacy.actor)]
    patient = Principal(actor="insured:p", role=Role.INSURED, person_id=desk.patient.id)
    assert service.get(session, row.number, patient).id == row.id
    agent = Principal(actor="agent:a", role=Role.AGENT, user_id=1)
    assert service.get(session, row.number, agent).id == row.id
    # another doctor, another insured person: not found, as an unknown number
    other = builders.as_provider(providers.provider(session))
    stranger = Principal(actor="insured:s", role=Role.INSURED, person_id=rb.person(session).id)
    for who in (other, stranger):
        with pytest.raises(PrescriptionNotFound):
            service.get(session, row.number, who)
    wrong_key = row.number[:-2] + f"{(int(row.number[-2:]) + 1) % 100:02d}"
    for number in (wrong_key, "RX12", ""):
        assert service.number_problem(service.normalise(number)) is not None
        with pytest.raises(PrescriptionNotFound):
            service.get(session, number, desk.as_doctor)
