"""The worked examples of rules.md, end to end through the API (or the service where a
document must be attached first), each with its amounts computed by hand.

Reference data is the default rule set seeded on every test database: TNR C = 80.00 MAD
(2006), CNSS C = 150.00 MAD and HOSP_MED = 850.00 MAD a day from 2020-01-13, ambulatory
care 80 % (CNSS_SAL since 2019), medicines 70 % of PRIX_BR, hospitalisation 90 % private /
100 % public, CNOPS ALD 100 %, CNOPS mutual +16 % of base on medicines.
"""

from __future__ import annotations

from datetime import date

import pytest

from daman.adjudication.service import adjudicate_claims
from daman.claims.builders import received
from daman.claims.service import attach_document
from daman.registry import builders as rb
from tests.claims.support import (
    BRAND,
    GENERIC,
    NOT_REIMBURSABLE,
    PDF,
    act,
    cnops_insured,
    cnss_insured,
    keep_documents_in,
    medicine,
    paper,
    provider,
)

EN = {"Accept-Language": "en"}


@pytest.fixture
def doctor(session):
    return provider(session)


@pytest.fixture
def pharmacy(session):
    return provider(session, kind="pharmacy")


def submit(client, payload):
    r = client.post("/api/v1/claims", json=payload, headers=EN)
    assert r.status_code == 201, r.text
    return r.json()


def amounts(line):
    d = line["decision"]
    return (
        d["status"],
        d["base_centimes"],
        d["rate_bp"],
        d["amo_centimes"],
        d["complementary_centimes"],
        d["patient_centimes"],
    )


def codes(line):
    return [r["code"] for r in line["decision"]["reasons"]]


def texts(line):
    return [r["text"] for r in line["decision"]["reasons"]]


def test_gp_consultation_cnss_before_and_after_the_2020_conventions(client, session, doctor):
    patient = cnss_insured(session)  # rights open 2019-04-01
    before = submit(
        client, paper(patient, [act(doctor, date(2019, 12, 31), 15_000)], date(2020, 1, 10))
    )
    after = submit(
        client, paper(patient, [act(doctor, date(2020, 2, 1), 15_000)], date(2020, 2, 10))
    )
    # 2019-12-31: C = 80.00 (TNR 2006); 80.00 x 80 % = 64.00; the patient keeps 150 - 64 = 86.00
    assert amounts(before["lines"][0]) == ("accepted", 8_000, 8000, 6_400, 0, 8_600)
    assert codes(before["lines"][0]) == ["ok", "above_reference"]
    assert texts(before["lines"][0])[1] == (
        "Charged 150.00 MAD, above the reference price: the difference stays with the patient."
    )
    # 2020-02-01: C = 150.00 (CNSS conventions of 2020-01-13); 150 x 80 % = 120.00; patient 30.00
    assert amounts(after["lines"][0]) == ("accepted", 15_000, 8000, 12_000, 0, 3_000)
    assert codes(after["lines"][0]) == ["ok"]
    assert after["totals"]["amo_centimes"] == 12_000


def test_brand_drug_with_prix_br_below_ppv(client, session, doctor, pharmacy):
    # GLUCADEM 850: PPV 32.00, PRIX_BR 18.50 (its generic's price), 70 %
    line = medicine(pharmacy, doctor, date(2024, 6, 3), BRAND, 3_200)
    body = submit(client, paper(cnss_insured(session), [line]))
    # base = min(32.00, 18.50) = 18.50; AMO 18.50 x 70 % = 12.95 (12.950); patient 32.00 - 12.95
    assert amounts(body["lines"][0]) == ("accepted", 1_850, 7000, 1_295, 0, 1_905)
    assert body["lines"][0]["decision"]["reference_centimes"] == 1_850


def test_non_reimbursable_drug(client, session, doctor, pharmacy):
    # VITADEM C 1000: 28.00, TAUX_REMBOURSEMENT 0.00
    line = medicine(pharmacy, doctor, date(2024, 6, 3), NOT_REIMBURSABLE, 2_800)
    body = submit(client, paper(cnss_insured(session), [line]))
    assert amounts(body["lines"][0]) == ("rejected", 0, 0, 0, 0, 2_800)
    assert codes(body["lines"][0]) == ["drug_not_reimbursable"]
    assert texts(body["lines"][0]) == [
        "Medicine 6118990000284 is not reimbursable: the patient pays its price."
    ]
    assert (body["status"], body["outcome"]) == ("adjudicated", "rejected")


def test_cnops_medicines_with_the_mutual_top_up(client, session, doctor, pharmacy):
    care = date(2024, 6, 3)
    lines = [
        medicine(pharmacy, doctor, care, GENERIC, 3_700, quantity=2),
        medicine(pharmacy, doctor, care, BRAND, 3_200),
    ]
    body = submit(client, paper(cnops_insured(session), lines))
    # generic x 2: base 37.00; AMO 70 % = 25.90; MGPAP +16 % of base = 5.92; patient 5.18
    assert amounts(body["lines"][0]) == ("accepted", 3_700, 7000, 2_590, 592, 518)
    # brand: base 18.50; AMO 12.95; +16 % x 18.50 = 2.96; patient 32.00 - 12.95 - 2.96 = 16.09
    assert amounts(body["lines"][1]) == ("accepted", 1_850, 7000, 1_295, 296, 1_609)
    assert body["totals"] == {
        "charged_centimes": 6_900,
        "base_centimes": 5_550,
        "amo_centimes": 3_885,
        "complementary_centimes": 888,
        "patient_centimes": 2_127,
    }


def test_ald_linked_line_is_covered_at_the_exemption_rate(client, session, doctor):
    member = cnops_insured(session)
    exemption = rb.ald_exemption(session, member, date(2023, 1, 1))
    care = date(2024, 6, 3)
    lines = [
        act(doctor, care, 8_000, ald_code=exemption.ald_code),
        act(doctor, care, 8_000, key="V"),  # a home visit, not linked: V = 120.00
    ]
    body = submit(client, paper(member, lines))
    # CNOPS keeps C = 80.00; ALD exemption 100 %: AMO 80.00, nothing left to the patient
    assert amounts(body["lines"][0]) == ("accepted", 8_000, 10_000, 8_000, 0, 0)
    assert codes(body["lines"][0]) == ["ok", "ald_exemption_applied"]
    assert texts(body["lines"][0])[1] == (
        f"Care linked to the exempted condition {exemption.ald_code}: rate of 100 % applied."
    )
    # not linked: ordinary 80 % of min(80.00, 120.00) = 64.00; patient 16.00
    assert amounts(body["lines"][1]) == ("accepted", 8_000, 8000, 6_400, 0, 1_600)


def test_private_and_public_hospitalisation(session, tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)
    clinic = provider(session, kind="clinic", sector="private")
    hospital = provider(session, kind="hospital", sector="public")
    care = date(2024, 6, 3)

    def stay(where, charged):
        return act(where, care, charged, key="HOSP_MED", category="hospitalisation", quantity=3)

    private, public = received(
        session,
        [
            paper(cnss_insured(session), [stay(clinic, 300_000)]),
            paper(cnss_insured(session), [stay(hospital, 255_000)]),
        ],
    )
    for claim in (private, public):
        attach_document(session, claim, "facture.pdf", "application/pdf", PDF, "agent")
    private, public = adjudicate_claims(session, [private.id, public.id], "test")
    # 3 days x 850.00 = 2,550.00 base
    p, q = private.lines[0], public.lines[0]
    # private: charged 3,000.00; 2,550.00 x 90 % = 2,295.00; patient 3,000 - 2,295 = 705.00
    assert (p.status, p.base_centimes, p.rate_bp, p.amo_centimes, p.patient_centimes) == (
        "accepted",
        255_000,
        9000,
        229_500,
        70_500,
    )
    # public: charged 2,550.00 at 100 %: nothing left to the patient
    assert (q.status, q.base_centimes, q.rate_bp, q.amo_centimes, q.patient_centimes) == (
        "accepted",
        255_000,
        10_000,
        255_000,
        0,
    )


def test_claim_filed_on_day_61_is_rejected(client, session, doctor, pharmacy):
    care = date(2024, 3, 1)
    day_60 = submit(
        client, paper(cnss_insured(session), [act(doctor, care, 15_000)], date(2024, 4, 30))
    )
    day_61 = submit(
        client, paper(cnss_insured(session), [act(doctor, care, 15_001)], date(2024, 5, 1))
    )
    assert amounts(day_60["lines"][0]) == ("accepted", 15_000, 8000, 12_000, 0, 3_000)
    assert amounts(day_61["lines"][0]) == ("rejected", 0, 8000, 0, 0, 15_001)
    assert codes(day_61["lines"][0]) == ["late_filing"]
    assert texts(day_61["lines"][0]) == [
        "Claim filed on 2024-05-01, 61 days after the care: the deadline is 60 days."
    ]
    # continuous treatment: 60 days count from its end (2024-04-15), not from the first act
    # (chronic medicine linked to the patient's ALD exemption is continuous care)
    chronic = cnss_insured(session)
    exemption = rb.ald_exemption(session, chronic, date(2023, 1, 1))
    continuous = submit(
        client,
        paper(
            chronic,
            [medicine(pharmacy, doctor, care, GENERIC, 3_700, 2, ald_code=exemption.ald_code)],
            date(2024, 6, 10),
            continuous_treatment_end="2024-04-15",
        ),
    )
    assert continuous["lines"][0]["decision"]["status"] == "accepted"


def test_duplicate_line_is_rejected(client, session, doctor):
    patient = cnss_insured(session)
    line = act(doctor, date(2024, 6, 3), 15_000)
    first = submit(client, paper(patient, [line]))
    second = submit(client, paper(patient, [line]))
    assert amounts(first["lines"][0]) == ("accepted", 15_000, 8000, 12_000, 0, 3_000)
    assert amounts(second["lines"][0]) == ("rejected", 0, 8000, 0, 0, 15_000)
    assert codes(second["lines"][0]) == ["duplicate"]
    assert (second["outcome"], second["totals"]["amo_centimes"]) == ("rejected", 0)


def test_dependent_child_aged_22_who_is_not_a_student(client, session, doctor):
    principal = cnss_insured(session)
    child = rb.dependent(session, principal, birth_date=date(2002, 1, 15), first_name="Omar")
    student = rb.dependent(session, principal, birth_date=date(2002, 1, 15), first_name="Sara")
    rb.student_proof(session, student, date(2023, 9, 1), date(2024, 8, 31))
    care = date(2024, 6, 3)  # both are 22
    refused = submit(client, paper(child, [act(doctor, care, 15_000)]))
    covered = submit(client, paper(student, [act(doctor, care, 15_000)]))
    assert amounts(refused["lines"][0]) == ("rejected", 0, 8000, 0, 0, 15_000)
    assert codes(refused["lines"][0]) == ["not_eligible", "eligibility:dependent_child_over_age"]
    assert texts(refused["lines"][0])[0] == "The patient had no open rights on 2024-06-03."
    assert amounts(covered["lines"][0]) == ("accepted", 15_000, 8000, 12_000, 0, 3_000)


def test_glasses_valued_end_to_end_with_the_mutual_and_once_per_two_years(
    session, tmp_path, monkeypatch
):
    """OPT_SV (assumption 400.00 MAD a pair) at the optical rate (assumption 80 %), the MGEN
    mutual's +20 % of the tariff, one pair per 2 years (the optical ceiling)."""
    keep_documents_in(tmp_path, monkeypatch)
    optician = provider(session, kind="optician")
    member = cnops_insured(session, mutual_code="MGEN")
    glasses = act(optician, date(2024, 6, 3), 120_000, key="OPT_SV", category="optical")
    again = act(optician, date(2025, 1, 6), 120_000, key="OPT_SV", category="optical")
    first, second = received(session, [paper(member, [glasses]), paper(member, [again])])
    for claim in (first, second):
        attach_document(session, claim, "facture.pdf", "application/pdf", PDF, "agent")
    first, second = adjudicate_claims(session, [first.id, second.id], "test")
    line = first.lines[0]
    # base min(1,200.00, 400.00) = 400.00; AMO 80 % = 320.00; MGEN 20 % = 80.00;
    # patient 1,200.00 - 320.00 - 80.00 = 800.00
    assert (line.status, line.base_centimes, line.amo_centimes) == ("accepted", 40_000, 32_000)
    assert (line.complementary_centimes, line.patient_centimes) == (8_000, 80_000)
    assert second.lines[0].status == "rejected"  # seven months later: the pair is used
    assert second.lines[0].amo_centimes == 0


def test_a_hearing_aid_is_paid_in_full_up_to_its_flat_rate(session, tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)
    supplier = provider(session, kind="paramedical")
    aid = act(supplier, date(2024, 6, 3), 500_000, key="DEV_HEARING", category="device")
    (claim,) = received(session, [paper(cnss_insured(session), [aid])])
    attach_document(session, claim, "facture.pdf", "application/pdf", PDF, "agent")
    (claim,) = adjudicate_claims(session, [claim.id], "test")
    line = claim.lines[0]
    # 100 % of min(5,000.00, flat rate 4,000.00): the patient keeps the 1,000.00 above it
    assert (line.status, line.base_centimes, line.rate_bp) == ("accepted", 400_000, 10_000)
    assert (line.amo_centimes, line.patient_centimes) == (400_000, 100_000)
