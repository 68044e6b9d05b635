"""metadata, CodeSystem, Patient, Coverage, Organization, Practitioner, eligibility,
ExplanationOfBenefit: round trips through the app, each resource valid for its R4B model."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy.orm import Session

from daman.claims.reasons import REASONS
from daman.core.dates import today
from daman.fhir import codes
from tests.claims.support import cnss_insured, provider
from tests.fhir.support import FHIR, claim, consultation

CHECK = "/fhir/CoverageEligibilityRequest/$submit"


def valid(resource: dict) -> dict:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def test_metadata_and_the_reason_codes(client: TestClient):
    cap = valid(client.get("/fhir/metadata").json())
    assert cap["fhirVersion"] == "4.0.1"
    claim_ops = next(r for r in cap["rest"][0]["resource"] if r["type"] == "Claim")
    assert {op["name"] for op in claim_ops["operation"]} == {"submit", "cancel", "reprocess"}
    system = valid(client.get("/fhir/CodeSystem/adjudication-reason").json())
    assert system["url"] == codes.REASON
    assert set(REASONS) <= {c["code"] for c in system["concept"]}


def test_patient_coverage_and_providers(client: TestClient, session: Session):
    person = cnss_insured(session)
    number = person.immatriculation
    patient = valid(client.get(f"/fhir/Patient/{number}").json())
    assert {"system": codes.IMMATRICULATION, "value": number} in patient["identifier"]
    found = client.get("/fhir/Patient", params={"identifier": f"{codes.IMMATRICULATION}|{number}"})
    assert found.json()["total"] == 1
    coverage = valid(client.get(f"/fhir/Coverage/{number}").json())
    assert coverage["status"] == "active"
    assert coverage["class"][0]["value"] == "CNSS_SAL"
    gp, pharmacy = provider(session), provider(session, kind="pharmacy")
    assert valid(client.get(f"/fhir/Practitioner/{gp.inpe}").json())["id"] == gp.inpe
    assert valid(client.get(f"/fhir/Organization/{pharmacy.inpe}").json())["id"] == pharmacy.inpe
    assert client.get(f"/fhir/Organization/{gp.inpe}").status_code == 404  # a doctor is a person
    assert client.get("/fhir/Organization/fund").json()["name"].startswith("Daman")
    missing = client.get("/fhir/Patient/DM0000000000")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"


def test_eligibility_gives_rights_and_rates(client: TestClient, session: Session):
    person = cnss_insured(session)
    request = {
        "resourceType": "CoverageEligibilityRequest",
        "identifier": [{"system": "https://pharmacy.example/eligibility", "value": "e-1"}],
        "status": "active",
        "purpose": ["validation", "benefits"],
        "patient": {
            "identifier": {"system": codes.IMMATRICULATION, "value": person.immatriculation}
        },
        "servicedDate": today().isoformat(),
        "created": today().isoformat(),
        "insurer": {"reference": "Organization/fund"},
    }
    r = client.post(CHECK, content=json.dumps(request), headers=FHIR)
    assert r.status_code == 200, r.text
    answer = valid(r.json())
    assert answer["insurance"][0]["inforce"] is True
    rates = {
        i["category"]["coding"][0]["code"]: i["benefit"][0]["allowedString"]
        for i in answer["insurance"][0]["item"]
    }
    assert rates["consultation"].startswith("AMO 80 %")
    request["purpose"] = ["bogus"]
    bad = client.post(CHECK, content=json.dumps(request), headers=FHIR)
    assert bad.json()["issue"][0]["expression"] == ["CoverageEligibilityRequest.purpose[0]"]


def test_explanation_of_benefit(client: TestClient, session: Session):
    person = cnss_insured(session)
    gp = provider(session)
    body = claim(person.immatriculation, gp.inpe, [consultation(gp.inpe, today(), 20_000)])
    number = client.post("/fhir/Claim/$submit", content=json.dumps(body), headers=FHIR).json()["id"]
    eob = valid(client.get(f"/fhir/ExplanationOfBenefit/{number}").json())
    assert eob["outcome"] == "complete" and eob["item"][0]["servicedDate"] == today().isoformat()
    listed = client.get(
        "/fhir/ExplanationOfBenefit", params={"patient": f"Patient/{person.immatriculation}"}
    )
    assert listed.json()["total"] == 1
