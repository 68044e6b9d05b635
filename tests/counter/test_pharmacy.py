"""The pharmacy's counter: the boxes scanned against a prescription, valued without saving
(what submitting gives, nothing written), dispensed (the care sheet submitted, each box
counted once, by the database's constraint too), ALD medicines billed to the fund, and the
doctor's visit (a consultation and a prescription, both or neither)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from daman.claims.models import Claim, ClaimStatus
from daman.claims.schemas import ClaimLineIn
from daman.core.dates import today
from daman.core.errors import ValidationFailed
from daman.counter import pharmacy
from daman.payments.models import PayeeKind
from daman.payments.repository import PayableLine
from daman.payments.service import facility_or_insured
from daman.prescriptions import builders
from daman.prescriptions import service as prescriptions
from daman.prescriptions.errors import AlreadyDispensed, NotAPharmacy, PrescriptionClosed
from daman.prescriptions.models import DispensedBox, Dispensing, Prescription
from daman.prescriptions.schemas import PrescriptionIn, PrescriptionLineIn
from tests.prescriptions.support import AMLODEM, BRAND, GENERIC, desk, with_ald

__all__ = ["desk"]


def count(session, table) -> int:
    return session.scalar(select(func.count()).select_from(table))


def fields(exc) -> dict[str, str]:
    return {e.field: e.reason for e in exc.value.detail}


@pytest.fixture
def rx(session, desk) -> Prescription:
    return builders.prescription(
        session, desk.doctor, desk.patient.immatriculation, [(BRAND, 2), (AMLODEM, 1)]
    )


def test_the_boxes_are_valued_as_submitting_would_with_nothing_written(session, desk, rx):
    before = count(session, Claim), count(session, Dispensing)
    valued = pharmacy.value(session, rx.number, [BRAND, BRAND, AMLODEM], desk.as_pharmacy)
    assert (count(session, Claim), count(session, Dispensing)) == before
    claim = valued.claim
    assert [(ln.drug_code, ln.quantity, ln.charged_centimes) for ln in claim.lines] == [
        (BRAND, 2, 6_400),  # two boxes at the public price, 32.00
        (AMLODEM, 1, 9_800),
    ]
    # AMO pays 70 % of the reimbursement base (18.50 and 45.60 a box), CNSS has no mutual
    assert [ln.amo_centimes for ln in claim.lines] == [2_590, 3_192]
    assert [ln.complementary_centimes for ln in claim.lines] == [0, 0]
    assert claim.patient_centimes == 16_200 - 2_590 - 3_192
    assert not valued.third_party
    assert valued.patient_pays_now == 16_200  # paid at the counter, reimbursed later

    done, created = pharmacy.dispense(
        session, rx.number, [BRAND, BRAND, AMLODEM], "key-1", desk.as_pharmacy
    )
    assert created
    for name in ("amo_centimes", "patient_centimes", "charged_centimes"):
        assert getattr(done.claim, name) == getattr(claim, name)
    assert [ln.amo_centimes for ln in done.claim.lines] == [2_590, 3_192]


def test_dispensing_submits_the_sheet_and_counts_each_box_once(session, desk, rx):
    done, _ = pharmacy.dispense(session, rx.number, [BRAND], "k1", desk.as_pharmacy)
    assert done.claim.status in (ClaimStatus.ADJUDICATED, ClaimStatus.PENDING_REVIEW)
    assert done.claim.lines[0].prescriber.inpe == desk.doctor.inpe
    out = prescriptions.prescription_out(done.prescription)
    assert [ln.boxes_left for ln in out.lines] == [1, 1]
    assert out.lines[0].dispensed[0].claim == done.claim.number
    # the second box, then nothing more of it
    pharmacy.dispense(session, rx.number, [BRAND], "k2", desk.as_pharmacy)
    with pytest.raises(ValidationFailed) as exc:
        pharmacy.value(session, rx.number, [AMLODEM, BRAND], desk.as_pharmacy)
    assert fields(exc) == {
        "boxes[1]": "every box of GLUCADEM 850 MG prescribed is dispensed already"
    }
    pharmacy.dispense(session, rx.number, [AMLODEM], "k3", desk.as_pharmacy)
    with pytest.raises(PrescriptionClosed):
        pharmacy.value(session, rx.number, [AMLODEM], desk.as_pharmacy)
    assert count(session, DispensedBox) == 3


def test_the_database_refuses_a_box_dispensed_twice(session, desk, rx):
    """Two counters that read the prescription at the same moment: the second one's boxes
    are refused by the unique constraint, not by a check that both passed."""
    seen = prescriptions.get(session, rx.number, desk.as_pharmacy)
    boxes = prescriptions.match(session, seen, [BRAND])
    # what the second counter read: no box dispensed yet
    stale = SimpleNamespace(
        id=seen.id,
        number=seen.number,
        lines=[SimpleNamespace(id=ln.id, dispensed=[]) for ln in seen.lines],
    )
    pharmacy.dispense(session, rx.number, [BRAND], "first", desk.as_pharmacy)
    visit, _ = pharmacy.record_visit(
        session,
        patient=desk.patient.immatriculation,
        consultation=consultation(desk),
        prescription=None,
        key="visit",
        who=desk.as_doctor,
    )
    assert visit is not None
    with pytest.raises(AlreadyDispensed):
        prescriptions.record(
            session,
            stale,  # type: ignore[arg-type]
            boxes,
            claim_id=visit.id,
            claim_number=visit.number,
            claim_line_of={BRAND: 1},
            third_party=False,
            who=desk.as_pharmacy,
        )
    # and directly: the same (line, box number) twice
    box = session.scalars(select(DispensedBox)).one()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            DispensedBox(
                dispensing_id=box.dispensing_id,
                line_id=box.line_id,
                box_no=1,
                ean=BRAND,
                claim_line_no=1,
            )
        )
        session.flush()


def test_a_generic_of_the_same_medicine_takes_the_prescribed_box(session, desk, rx):
    valued = pharmacy.value(session, rx.number, [GENERIC], desk.as_pharmacy)
    assert valued.boxes[0].generic and valued.boxes[0].line.drug.code == BRAND
    assert valued.claim.lines[0].drug_code == GENERIC


def test_a_box_that_cannot_be_dispensed_is_named(session, desk, rx):
    with pytest.raises(ValidationFailed) as exc:
        pharmacy.value(
            session, rx.number, [BRAND, "6118990000000", "6118990000147"], desk.as_pharmacy
        )
    assert set(fields(exc)) == {"boxes[1]", "boxes[2]"}
    assert "not on this prescription" in fields(exc)["boxes[2]"]
    with pytest.raises(ValidationFailed) as exc:
        pharmacy.value(session, rx.number, [], desk.as_pharmacy)
    assert set(fields(exc)) == {"boxes"}


def test_only_a_pharmacy_dispenses(session, desk, rx):
    with pytest.raises(NotAPharmacy):
        pharmacy.value(session, rx.number, [BRAND], desk.as_doctor)
    with pytest.raises(NotAPharmacy):
        pharmacy.dispense(session, rx.number, [BRAND], None, desk.as_doctor)


def test_an_expired_prescription_is_closed(session, desk, rx):
    rx.valid_until = today().replace(year=today().year - 1)
    session.flush()
    with pytest.raises(PrescriptionClosed):
        pharmacy.value(session, rx.number, [BRAND], desk.as_pharmacy)


def test_the_same_dispensing_sent_twice_is_stored_once(session, desk, rx):
    first, created = pharmacy.dispense(session, rx.number, [BRAND], "same", desk.as_pharmacy)
    again, replayed = pharmacy.dispense(session, rx.number, [BRAND], "same", desk.as_pharmacy)
    assert created and not replayed
    assert again.claim.number == first.claim.number
    assert count(session, DispensedBox) == 1


def test_ald_medicines_are_billed_to_the_fund_which_pays_the_pharmacy(session, desk):
    code = with_ald(session, desk.patient)
    rx = builders.prescription(
        session, desk.doctor, desk.patient.immatriculation, [(BRAND, 1)], ald_code=code
    )
    valued = pharmacy.value(session, rx.number, [BRAND], desk.as_pharmacy)
    assert valued.third_party
    line = valued.claim.lines[0]
    assert line.ald_code == code and "ald_exemption_applied" in (line.reasons or [])
    assert valued.patient_pays_now == valued.claim.patient_centimes < valued.claim.charged_centimes
    done, _ = pharmacy.dispense(session, rx.number, [BRAND], "ald", desk.as_pharmacy)
    assert done.third_party
    # the payee rule: the pharmacy for this sheet, the insured for a plain one
    plain = builders.prescription(session, desk.doctor, desk.patient.immatriculation, [(BRAND, 1)])
    other, _ = pharmacy.dispense(session, plain.number, [BRAND], "plain", desk.as_pharmacy)
    lines = [_payable(done.claim), _payable(other.claim)]
    payees = facility_or_insured(session, lines)
    assert payees[lines[0].line_id].kind == PayeeKind.PROVIDER
    assert payees[lines[0].line_id].id == desk.pharmacy.id
    assert payees[lines[1].line_id].kind == PayeeKind.PERSON


def consultation(desk) -> ClaimLineIn:
    return ClaimLineIn(
        category="consultation",
        care_date=today(),
        provider_inpe=desk.doctor.inpe,
        charged_centimes=15_000,
        act_key="C",
    )


def _payable(claim: Claim) -> PayableLine:
    line = claim.lines[0]
    return PayableLine(
        claim_id=claim.id,
        line_id=line.id,
        patient_id=claim.patient_id,
        provider_id=line.provider_id,
        care_date=line.care_date,
        amo_centimes=line.amo_centimes or 0,
        complementary_centimes=line.complementary_centimes or 0,
    )


def test_the_doctors_visit_stores_the_consultation_and_the_prescription_or_neither(session, desk):
    written = PrescriptionIn(
        patient=desk.patient.immatriculation,
        lines=[PrescriptionLineIn(drug_code=BRAND, dosage="1 a day", duration_days=30)],
    )
    claim, rx = pharmacy.record_visit(
        session,
        patient=desk.patient.immatriculation,
        consultation=consultation(desk),
        prescription=written,
        key="visit-1",
        who=desk.as_doctor,
    )
    assert claim is not None and rx is not None and rx.visit_claim_id == claim.id
    assert claim.lines[0].amo_centimes  # valued by the engine
    again = pharmacy.record_visit(
        session,
        patient=desk.patient.immatriculation,
        consultation=consultation(desk),
        prescription=written,
        key="visit-1",
        who=desk.as_doctor,
    )
    assert again[0].number == claim.number and again[1].number == rx.number
    # a refused prescription leaves no consultation behind
    before = count(session, Claim)
    bad = written.model_copy(
        update={"lines": [PrescriptionLineIn(drug_code="1", dosage="x", duration_days=1)]}
    )
    with pytest.raises(ValidationFailed), session.begin_nested():
        pharmacy.record_visit(
            session,
            patient=desk.patient.immatriculation,
            consultation=consultation(desk),
            prescription=bad,
            key="visit-2",
            who=desk.as_doctor,
        )
    assert count(session, Claim) == before


HOSPITAL_ONLY = "6118990000307"  # OXALIDEM 5 MG/ML: PPV 0.00, a hospital price only


def test_a_hospital_only_medicine_is_neither_prescribed_nor_dispensed(session, desk, rx):
    # the doctor cannot prescribe it for a pharmacy to dispense
    line = PrescriptionLineIn(drug_code=HOSPITAL_ONLY, dosage="cure 1", duration_days=1, boxes=1)
    draft = PrescriptionIn(patient=desk.patient.immatriculation, lines=[line])
    with pytest.raises(ValidationFailed) as refused:
        prescriptions.write(session, draft, desk.as_doctor)
    assert "hospitals only" in fields(refused)["lines[0].drug_code"]
    # a medicine whose public price went to 0 since the prescription: the box is refused,
    # named, rather than a care sheet of 0.00 MAD
    from daman.reference import repository as reference
    from daman.reference.models import Drug

    drug = session.scalars(select(Drug).where(Drug.code == AMLODEM)).one()
    reference.price_at(session, drug.id, today()).ppv_centimes = 0
    with pytest.raises(ValidationFailed) as box:
        pharmacy.value(session, rx.number, [BRAND, AMLODEM], desk.as_pharmacy)
    assert list(fields(box)) == ["boxes[1]"]
    assert "hospitals only" in fields(box)["boxes[1]"]
