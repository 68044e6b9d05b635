"""The claims API: submit (valued in the same request), idempotency, read, list, approve."""

from __future__ import annotations

import pytest

from tests.claims.support import (
    GENERIC,
    act,
    cnops_insured,
    cnss_insured,
    electronic,
    medicine,
    paper,
    provider,
    recent,
)


@pytest.fixture
def world(session):
    return {
        "patient": cnss_insured(session),
        "doctor": provider(session),
        "pharmacy": provider(session, kind="pharmacy"),
    }


def gp_visit(world, charged=20_000):
    return electronic(world["patient"], [act(world["doctor"], recent(), charged)])


def test_submit_values_the_claim_in_the_same_request(client, world):
    r = client.post(
        "/api/v1/claims",
        json=gp_visit(world),
        headers={"Idempotency-Key": "k-1", "Accept-Language": "en", "X-Daman-Actor": "clinic-7"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "adjudicated" and body["outcome"] == "accepted"
    # CNSS tariff C = 150.00 MAD since 2020-01-13, rate 80 %: charged 200.00 MAD
    decision = body["lines"][0]["decision"]
    assert decision["reference_centimes"] == 15_000
    assert decision["base_centimes"] == 15_000
    assert decision["rate_bp"] == 8000
    assert decision["amo_centimes"] == 12_000
    assert decision["complementary_centimes"] == 0
    assert decision["patient_centimes"] == 8_000
    assert decision["decided_by"] == "user:clinic-7"
    assert [x["code"] for x in decision["reasons"]] == ["ok", "above_reference"]
    assert decision["reasons"][0]["text"] == (
        "Line accepted: AMO pays 120.00 MAD on a base of 150.00 MAD."
    )
    assert body["totals"] == {
        "charged_centimes": 20_000,
        "base_centimes": 15_000,
        "amo_centimes": 12_000,
        "complementary_centimes": 0,
        "patient_centimes": 8_000,
    }
    assert [(h["from_status"], h["to_status"]) for h in body["history"]] == [
        (None, "received"),
        ("received", "adjudicated"),
    ]
    assert body["received_at"].endswith(("Z", "+00:00"))


def test_same_key_returns_the_first_claim_and_a_new_body_is_a_conflict(client, world):
    headers = {"Idempotency-Key": "sheet-1"}
    first = client.post("/api/v1/claims", json=gp_visit(world), headers=headers)
    again = client.post("/api/v1/claims", json=gp_visit(world), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    listed = client.get("/api/v1/claims", params={"patient": world["patient"].immatriculation})
    assert listed.json()["total"] == 1
    other = client.post("/api/v1/claims", json=gp_visit(world, 25_000), headers=headers)
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"


def test_validation_errors_name_each_field(client, world):
    payload = gp_visit(world, charged=0)
    payload["patient"] = "DM0000000000"
    r = client.post("/api/v1/claims", json=payload)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "validation_failed"
    assert {e["field"] for e in body["detail"]} == {"patient", "lines[0].charged_centimes"}


def test_malformed_payload_is_422(client, world):
    payload = gp_visit(world)
    payload["lines"][0]["charged_centimes"] = "a lot"
    payload["surprise"] = 1
    r = client.post("/api/v1/claims", json=payload)
    assert r.status_code == 422
    assert r.json()["error"] == "malformed_request"
    fields = {e["field"] for e in r.json()["detail"]}
    assert {"lines.0.charged_centimes", "surprise"} <= fields


def test_get_explains_in_the_requested_language(client, world):
    number = client.post("/api/v1/claims", json=gp_visit(world)).json()["number"]
    texts = {}
    for header, lang in (("ar-MA,ar;q=0.9", "ar"), ("en-GB, fr;q=0.5", "en"), (None, "fr")):
        headers = {"Accept-Language": header} if header else {}
        r = client.get(f"/api/v1/claims/{number}", headers=headers)
        assert r.status_code == 200
        texts[lang] = r.json()["lines"][0]["decision"]["reasons"][0]["text"]
    assert texts["fr"] == "Ligne acceptée : l'AMO rembourse 120.00 MAD sur une base de 150.00 MAD."
    assert texts["en"].startswith("Line accepted")
    assert "120.00 درهم" in texts["ar"]


def test_unknown_claim_is_404(client):
    r = client.get("/api/v1/claims/F9999999999")
    assert r.status_code == 404
    assert r.json()["error"] == "claim_not_found"


def test_list_by_patient_and_status(client, session, world):
    other = cnss_insured(session)
    client.post("/api/v1/claims", json=gp_visit(world))
    client.post("/api/v1/claims", json=gp_visit(world, 15_000))
    client.post("/api/v1/claims", json=electronic(other, [act(world["doctor"], recent(), 9000)]))
    mine = client.get("/api/v1/claims", params={"patient": world["patient"].immatriculation})
    assert mine.json()["total"] == 2
    assert {c["patient"] for c in mine.json()["items"]} == {world["patient"].immatriculation}
    adjudicated = client.get(
        "/api/v1/claims",
        params={"patient": other.immatriculation, "status": "adjudicated", "limit": 1},
    ).json()
    assert adjudicated["total"] == 1 and adjudicated["limit"] == 1
    assert adjudicated["items"][0]["totals"]["amo_centimes"] == 7_200
    received = client.get(
        "/api/v1/claims", params={"patient": other.immatriculation, "status": "received"}
    )
    assert received.json()["total"] == 0
    assert client.get("/api/v1/claims", params={"status": "lost"}).status_code == 422


def test_cnops_medicine_gets_the_mutual_top_up(client, session, world):
    member = cnops_insured(session)
    line = medicine(world["pharmacy"], world["doctor"], recent(), GENERIC, 3_700, quantity=2)
    body = client.post("/api/v1/claims", json=electronic(member, [line])).json()
    decision = body["lines"][0]["decision"]
    # base 2 x 18.50 = 37.00; AMO 70 % = 25.90; MGPAP +16 % of base = 5.92; patient 5.18
    assert (decision["amo_centimes"], decision["complementary_centimes"]) == (2_590, 592)
    assert decision["patient_centimes"] == 518


def test_approve_for_payment(client, session, world):
    number = client.post("/api/v1/claims", json=gp_visit(world)).json()["number"]
    r = client.post(f"/api/v1/claims/{number}/approve", json={"reason": "checked"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    assert r.json()["history"][-1]["reason"] == "checked"
    again = client.post(f"/api/v1/claims/{number}/approve")
    assert again.status_code == 409
    assert again.json()["error"] == "claim_not_adjudicated"


def test_a_rejected_claim_has_nothing_to_approve(client, world):
    late = paper(world["patient"], [act(world["doctor"], recent(90), 15_000)], deposit=recent(1))
    body = client.post("/api/v1/claims", json=late).json()
    assert (body["status"], body["outcome"]) == ("adjudicated", "rejected")
    r = client.post(f"/api/v1/claims/{body['number']}/approve")
    assert r.status_code == 409
    assert r.json()["error"] == "nothing_payable"


def test_openapi_declares_the_claim_routes_and_their_errors(client):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert {"400", "409", "201", "200"} <= set(paths["/api/v1/claims"]["post"]["responses"])
    assert "/api/v1/claims/{number}/documents" in paths
    assert "/api/v1/review-queue/{item_id}/decision" in paths
