"""What a pharmacy and an insured person see of a claim, a pre-authorisation, an exemption.

The probe, signed in as a pharmacy, read the whole care sheet: the other providers' lines
and the fund's documents (a psychiatric report); and every status history named the
fund's staff (`agent:amina`) to insured persons and providers. Now a provider sees its own
lines (totals on those lines) and the documents it uploaded; insured persons and
providers see staff by role (`agent`), their own actions as recorded; staff see all.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from daman.accounts import builders
from daman.accounts.builders import bearer
from daman.auth.models import Role
from daman.core.dates import today
from daman.providers import builders as pb
from tests.claims.support import (
    GENERIC,
    PDF,
    PNG,
    act,
    cnss_insured,
    electronic,
    medicine,
    provider,
    recent,
)

API = "/api/v1"


@pytest.fixture
def w(session, documents_dir):
    patient = cnss_insured(session)
    doctor, pharmacy = provider(session), provider(session, kind="pharmacy")
    users = {
        "agent": builders.user(session, Role.AGENT),
        "controller": builders.user(session, Role.CONTROLLER),
        "insured": builders.user(session, Role.INSURED, person=patient.immatriculation),
        "pharmacy": builders.user(session, Role.PROVIDER, provider=pharmacy.inpe),
        "doctor": builders.user(session, Role.PROVIDER, provider=doctor.inpe),
    }
    return {
        "patient": patient,
        "doctor": doctor,
        "pharmacy": pharmacy,
        "actor": {k: f"{u.role}:{u.username}" for k, u in users.items()},
        "as": {k: bearer(session, u) for k, u in users.items()},
    }


def upload(client, headers, number, name, data, kind):
    r = client.post(
        f"{API}/claims/{number}/documents", files={"file": (name, data, kind)}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_a_pharmacy_sees_its_own_lines_and_documents_only(anonymous, w):
    day = recent()
    sheet = electronic(
        w["patient"],
        [
            act(w["doctor"], day, 25_000, key="CNPSY"),  # the psychiatrist's visit
            medicine(w["pharmacy"], w["doctor"], day, GENERIC, 1_850, quantity=2),
        ],
    )
    r = anonymous.post(f"{API}/claims", json=sheet, headers=w["as"]["agent"])
    assert r.status_code == 201, r.text
    number, whole = r.json()["number"], r.json()
    report = upload(anonymous, w["as"]["agent"], number, "rapport-psy.pdf", PDF, "application/pdf")
    ticket = upload(anonymous, w["as"]["pharmacy"], number, "ticket.png", PNG, "image/png")
    assert ticket["uploaded_by"] == w["actor"]["pharmacy"]

    seen = anonymous.get(f"{API}/claims/{number}", headers=w["as"]["pharmacy"]).json()
    assert [ln["provider_inpe"] for ln in seen["lines"]] == [w["pharmacy"].inpe]
    own = seen["lines"][0]["decision"]
    assert seen["totals"] == {
        "charged_centimes": 1_850,
        "base_centimes": own["base_centimes"],
        "amo_centimes": own["amo_centimes"],
        "complementary_centimes": own["complementary_centimes"],
        "patient_centimes": own["patient_centimes"],
    }
    assert whole["totals"]["charged_centimes"] == 26_850
    assert [d["filename"] for d in seen["documents"]] == ["ticket.png"]
    assert [h["by"] for h in seen["history"]] == ["agent", "agent"]
    assert own["decided_by"] == "agent"
    assert "rapport" not in str(seen) and w["actor"]["agent"] not in str(seen)
    documents = f"{API}/claims/{number}/documents"
    refused = anonymous.get(f"{documents}/{report['id']}", headers=w["as"]["pharmacy"])
    assert refused.status_code == 404
    assert (
        anonymous.get(f"{documents}/{ticket['id']}", headers=w["as"]["pharmacy"]).status_code == 200
    )
    listed = anonymous.get(f"{API}/claims", headers=w["as"]["pharmacy"]).json()["items"]
    assert [(c["number"], c["totals"]["charged_centimes"]) for c in listed] == [(number, 1_850)]

    # the doctor, on the same sheet, sees its visit and nothing of the pharmacy's
    doctor = anonymous.get(f"{API}/claims/{number}", headers=w["as"]["doctor"]).json()
    assert [ln["provider_inpe"] for ln in doctor["lines"]] == [w["doctor"].inpe]
    assert doctor["documents"] == [] and doctor["totals"]["charged_centimes"] == 25_000

    # the insured family sees the whole sheet, the fund's staff by role
    family = anonymous.get(f"{API}/claims/{number}", headers=w["as"]["insured"]).json()
    assert len(family["lines"]) == 2 and family["totals"] == whole["totals"]
    assert {d["filename"]: d["uploaded_by"] for d in family["documents"]} == {
        "rapport-psy.pdf": "agent",
        "ticket.png": "provider",
    }
    assert [h["by"] for h in family["history"]] == ["agent", "agent"]

    # staff see everything, with names
    staff = anonymous.get(f"{API}/claims/{number}", headers=w["as"]["controller"]).json()
    assert len(staff["lines"]) == 2 and len(staff["documents"]) == 2
    assert [h["by"] for h in staff["history"]] == [w["actor"]["agent"]] * 2
    assert {d["uploaded_by"] for d in staff["documents"]} == {
        w["actor"]["agent"],
        w["actor"]["pharmacy"],
    }


def test_the_claims_disease_is_shown_to_a_provider_only_when_its_own_lines_name_it(
    anonymous, session, w
):
    sheet = electronic(
        w["patient"],
        [
            act(w["doctor"], recent(), 15_000),  # takes the claim's ALD at intake
            medicine(w["pharmacy"], w["doctor"], recent(), GENERIC, 1_850, ald_code="ALD09"),
        ],
        ald_code="ALD23",
    )
    r = anonymous.post(f"{API}/claims", json=sheet, headers=w["as"]["agent"])
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    url = f"{API}/claims/{number}"
    doctor = anonymous.get(url, headers=w["as"]["doctor"]).json()
    assert (doctor["ald_code"], doctor["lines"][0]["ald_code"]) == ("ALD23", "ALD23")
    pharmacy = anonymous.get(url, headers=w["as"]["pharmacy"]).json()
    assert (pharmacy["ald_code"], pharmacy["lines"][0]["ald_code"]) == (None, "ALD09")
    assert anonymous.get(url, headers=w["as"]["insured"]).json()["ald_code"] == "ALD23"


def test_preauthorisation_histories_show_staff_by_role(anonymous, session, w):
    clinic = pb.provider(session, kind="clinic")
    clinic_user = builders.user(session, Role.PROVIDER, provider=clinic.inpe)
    clinic_actor, clinic_h = f"provider:{clinic_user.username}", bearer(session, clinic_user)
    body = {
        "patient": w["patient"].immatriculation,
        "provider_inpe": clinic.inpe,
        "care_kind": "hospitalisation",
        "planned_start": today().isoformat(),
        "diagnosis": "cholécystectomie",
        "lines": [
            {
                "category": "hospitalisation",
                "act_key": "HOSP_MED",
                "quantity": 2,
                "estimate_centimes": 200_000,
            }
        ],
    }
    r = anonymous.post(f"{API}/preauthorisations", json=body, headers=clinic_h)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    decision = {"action": "agree", "valid_to": (today() + timedelta(days=30)).isoformat()}
    r = anonymous.post(
        f"{API}/preauthorisations/{number}/decision", json=decision, headers=w["as"]["controller"]
    )
    assert r.status_code == 200, r.text
    controller = w["actor"]["controller"]
    assert r.json()["decided_by"] == controller

    url = f"{API}/preauthorisations/{number}"
    own = anonymous.get(url, headers=clinic_h).json()
    assert [h["by"] for h in own["history"]] == [clinic_actor, "controller"]
    assert own["decided_by"] == "controller"
    family = anonymous.get(url, headers=w["as"]["insured"]).json()
    assert [h["by"] for h in family["history"]] == ["provider", "controller"]
    staff = anonymous.get(url, headers=w["as"]["agent"]).json()
    assert [h["by"] for h in staff["history"]] == [clinic_actor, controller]


def test_exemption_histories_show_staff_by_role(anonymous, w):
    body = {
        "patient": w["patient"].immatriculation,
        "ald_code": "ALD09",
        "evidence": "HbA1c 9.1 % on two measures",
    }
    r = anonymous.post(f"{API}/ald-exemption-requests", json=body, headers=w["as"]["insured"])
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    r = anonymous.post(
        f"{API}/ald-exemption-requests/{number}/decision",
        json={"action": "grant"},
        headers=w["as"]["controller"],
    )
    assert r.status_code == 200, r.text
    controller, insured = w["actor"]["controller"], w["actor"]["insured"]

    seen = anonymous.get(
        f"{API}/ald-exemption-requests/{number}", headers=w["as"]["insured"]
    ).json()
    assert [h["by"] for h in seen["history"]] == [insured, "controller"]
    assert (seen["requested_by"], seen["decided_by"]) == (insured, "controller")
    assert seen["exemption"]["granted_by"] == "controller"
    listed = anonymous.get(f"{API}/ald-exemptions", headers=w["as"]["insured"]).json()["items"]
    assert [e["granted_by"] for e in listed] == ["controller"]
    assert controller not in str(seen) + str(listed)

    staff = anonymous.get(f"{API}/ald-exemption-requests/{number}", headers=w["as"]["agent"]).json()
    assert [h["by"] for h in staff["history"]] == [insured, controller]
    assert staff["exemption"]["granted_by"] == controller
