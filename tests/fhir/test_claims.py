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
from tests.fhir.support import FHIR, adjudication, claim, consultation, medicine, preauth_claim

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
    # The same care of a twin (same regime, same history) through the REST API: the same
    # amounts, line by line and in total
    twin = cnss_insured(session)
    rest_twin = client.post(
        f"{API}/claims",
        json={
            "patient": twin.immatriculation,
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
                    "care_date": day.isoformat(),
                    "provider_inpe": pharmacy.inpe,
                    "drug_code": BRAND,
                    "quantity": 2,
                    "charged_centimes": 6_400,
                    "prescriber_inpe": gp.inpe,
                    "prescription_date": day.isoformat(),
                },
            ],
        },
    )
    assert rest_twin.status_code == 201, rest_twin.text
    amounts = ("base_centimes", "rate_bp", "amo_centimes", "complementary_centimes")
    assert [[ln["decision"][k] for k in amounts] for ln in rest_twin.json()["lines"]] == [
        [ln["decision"][k] for k in amounts] for ln in rest["lines"]
    ]
    assert rest_twin.json()["totals"] == rest["totals"]
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


def test_a_care_sheet_is_never_cancelled(client: TestClient, session: Session):
    """$cancel of a care sheet: 409 with an OperationOutcome saying where it stands, as the
    REST API offers no cancel of a care sheet either (it is corrected by review)."""
    from daman.claims import service as claims

    patient = cnss_insured(session)
    gp = provider(session)
    body = claim(patient.immatriculation, gp.inpe, [consultation(gp.inpe, today(), 20_000)])
    number = _post(client, "/fhir/Claim/$submit", body).json()["id"]
    r = client.post(f"/fhir/Claim/{number}/$cancel")
    assert r.status_code == 409 and r.headers["content-type"].startswith(codes.MEDIA_TYPE)
    issue = r.json()["issue"][0]
    assert issue["code"] == "business-rule"
    assert issue["diagnostics"].startswith(
        f"claim_not_cancellable: care sheet {number} was valued when it arrived"
    )
    row = claims.approve(session, number, "agent:test")
    claims.mark_in_payment(session, [row.id], "agent:test")
    claims.mark_paid(session, [row.id], "agent:test")
    r = client.post(f"/fhir/Claim/{number}/$cancel")
    assert r.status_code == 409
    assert f"care sheet {number} is paid" in r.json()["issue"][0]["diagnostics"]
    assert client.get(f"/api/v1/claims/{number}").json()["status"] == "paid"  # untouched
    missing = client.post("/fhir/Claim/F9999999999/$cancel")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"


def test_claim_responses_of_a_patient_include_pre_authorisations(
    client: TestClient, session: Session
):
    patient = cnss_insured(session)
    gp, clinic = provider(session), provider(session, kind="clinic")
    sheet = _post(
        client,
        "/fhir/Claim/$submit",
        claim(patient.immatriculation, gp.inpe, [consultation(gp.inpe, today(), 20_000)]),
    ).json()["id"]
    kept = _post(
        client, "/fhir/Claim/$submit", preauth_claim(patient.immatriculation, clinic.inpe, "pa-a")
    ).json()["id"]
    withdrawn = _post(
        client, "/fhir/Claim/$submit", preauth_claim(patient.immatriculation, clinic.inpe, "pa-b")
    ).json()["id"]
    assert client.post(f"/fhir/Claim/{withdrawn}/$cancel").status_code == 200
    other = cnss_insured(session)
    _post(
        client,
        "/fhir/Claim/$submit",
        preauth_claim(other.immatriculation, clinic.inpe, "pa-other"),
    )

    def ids(**params: str) -> tuple[list[str], int]:
        r = client.get("/fhir/ClaimResponse", params={"patient": patient.immatriculation, **params})
        assert r.status_code == 200, r.text
        found = r.json()
        return [e["resource"]["id"] for e in found.get("entry", [])], found["total"]

    assert ids() == ([sheet, withdrawn, kept], 3)  # care sheets first, newest first
    assert ids(use="preauthorization") == ([withdrawn, kept], 2)
    assert ids(use="claim") == ([sheet], 1)
    assert ids(status="cancelled") == ([withdrawn], 1)
    assert ids(status="active") == ([sheet, kept], 2)
    assert ids(_count="1", _offset="1") == ([withdrawn], 3)  # paging across both
    assert ids(_count="2", _offset="1") == ([withdrawn, kept], 3)
    assert ids(status="draft") == ([], 0)
    bad = client.get("/fhir/ClaimResponse", params={"status": "closed"})
    assert bad.status_code == 400
    assert bad.json()["issue"][0]["expression"] == ["status"]
    by_patient_reference = client.get(
        "/fhir/ClaimResponse", params={"patient": f"Patient/{patient.immatriculation}"}
    )
    assert by_patient_reference.json()["total"] == 3
    request = client.get("/fhir/ClaimResponse", params={"request": f"Claim/{kept}"}).json()
    assert request["total"] == 1 and request["entry"][0]["resource"]["use"] == "preauthorization"


def test_reprocess_answers_the_decision_as_it_stands(client: TestClient, session: Session):
    patient = cnss_insured(session)
    gp, clinic = provider(session), provider(session, kind="clinic")
    body = claim(patient.immatriculation, gp.inpe, [consultation(gp.inpe, today(), 20_000)])
    first = _post(client, "/fhir/Claim/$submit", body).json()
    again = client.post(f"/fhir/Claim/{first['id']}/$reprocess")
    assert again.status_code == 200 and again.json()["item"] == first["item"]
    pa = _post(
        client, "/fhir/Claim/$submit", preauth_claim(patient.immatriculation, clinic.inpe)
    ).json()
    reprocessed = client.post(f"/fhir/Claim/{pa['id']}/$reprocess").json()
    assert reprocessed["id"] == pa["id"] and reprocessed["outcome"] == "queued"
    assert client.post("/fhir/Claim/F9999999999/$reprocess").status_code == 404
