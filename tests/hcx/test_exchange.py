"""The exchange in process: calls checked at once (202 or the protocol's error code), the
work done by the worker's steps, answers encrypted to the partner."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.core.dates import today
from daman.hcx import jwe, service
from daman.hcx.models import CycleStatus, HcxCycle
from tests.claims.support import cnss_insured, provider
from tests.hcx.support import (
    FOREIGN_PATIENT,
    call,
    daman_patient,
    eligibility_bundle,
    entries,
    opened,
    public_jwk,
)


def _partner(client: TestClient, session: Session, code: str = "pharma-soft", own=None) -> str:
    pharmacy = own or provider(session, kind="pharmacy")
    r = client.post(
        "/hcx/v1/partners",
        json={
            "code": code,
            "name": "Officine software",
            "provider_inpe": pharmacy.inpe,
            "public_jwk": public_jwk(),
            "callback_url": "http://127.0.0.1:9/hcx",
        },
    )
    assert r.status_code == 201, r.text
    return code


def _work(session: Session, api_call_id: str) -> tuple[HcxCycle, list[tuple[str, dict]]]:
    row = session.scalars(select(HcxCycle).where(HcxCycle.api_call_id == api_call_id)).one()
    service.process(session, row)
    sent: list[tuple[str, dict]] = []

    def post(url: str, body: dict) -> int:
        sent.append((url, body))
        return 200

    assert service.deliver(session, row, post, service.Backoff())
    return row, sent


def test_eligibility_check_in_the_specification_s_shape(client: TestClient, session: Session):
    code = _partner(client, session)
    person = cnss_insured(session)
    fund = jwe.own_key()
    payload, api_call_id = call(
        eligibility_bundle(daman_patient(person.immatriculation), today()), code, fund
    )
    r = client.post("/hcx/v1/coverageeligibility/check", json={"payload": payload})
    assert r.status_code == 202, r.text
    assert r.json()["api_call_id"] == api_call_id and "timestamp" in r.json()
    row, sent = _work(session, api_call_id)
    assert row.status == CycleStatus.DELIVERED
    url, body = sent[0]
    assert url.endswith("/coverageeligibility/on_check")
    answer = opened(body)
    response = entries(answer)[0]["resource"]
    assert response["resourceType"] == "CoverageEligibilityResponse"
    assert response["insurance"][0]["inforce"] is True
    # The specification's own example beneficiary: a domain error, naming the element
    payload, api_call_id = call(eligibility_bundle(FOREIGN_PATIENT, today()), code, fund)
    assert (
        client.post("/hcx/v1/coverageeligibility/check", json={"payload": payload}).status_code
        == 202
    )
    row, sent = _work(session, api_call_id)
    error = sent[0][1]
    assert error["x-hcx-status"] == "response.error"
    assert error["x-hcx-error_details"]["code"] == "ERR_INVALID_DOMAIN_PAYLOAD"
    assert "Bundle.entry[3].resource.patient" in error["x-hcx-error_details"]["message"]
    state = client.get(f"/hcx/v1/cycles/{api_call_id}").json()
    assert state["status"] == "delivered" and state["attempts"] == 1


def test_protocol_errors_have_their_codes(client: TestClient, session: Session):
    code = _partner(client, session)
    person = cnss_insured(session)
    fund = jwe.own_key()
    bundle = eligibility_bundle(daman_patient(person.immatriculation), today())
    payload, _ = call(bundle, code, fund)
    head, key, iv, text, tag = payload.split(".")
    tampered = ".".join(
        [head, key, iv, text[:-4] + ("AAAA" if text[-4:] != "AAAA" else "BBBB"), tag]
    )
    r = client.post("/hcx/v1/coverageeligibility/check", json={"payload": tampered})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "ERR_INVALID_ENCRYPTION"
    assert r.json()["api_call_id"]
    r = client.post("/hcx/v1/coverageeligibility/check", json={"payload": "not.a.jwe"})
    assert r.json()["error"]["code"] == "ERR_INVALID_PAYLOAD"
    no_header, _ = call(bundle, code, fund, **{"x-hcx-timestamp": ""})
    r = client.post("/hcx/v1/coverageeligibility/check", json={"payload": no_header})
    assert r.json()["error"]["code"] == "ERR_MANDATORY_HEADER_MISSING"
    stranger, _ = call(bundle, "nobody", fund)
    r = client.post("/hcx/v1/coverageeligibility/check", json={"payload": stranger})
    assert r.json()["error"]["code"] == "ERR_INVALID_SENDER"
    old, _ = call(bundle, code, fund, **{"x-hcx-timestamp": "2020-01-01T00:00:00+00:00"})
    r = client.post("/hcx/v1/coverageeligibility/check", json={"payload": old})
    assert r.json()["error"]["code"] == "ERR_INVALID_TIMESTAMP"
    once, _ = call(bundle, code, fund)
    assert (
        client.post("/hcx/v1/coverageeligibility/check", json={"payload": once}).status_code == 202
    )
    r = client.post("/hcx/v1/coverageeligibility/check", json={"payload": once})
    assert r.json()["error"]["code"] == "ERR_INVALID_API_CALL_ID"


def test_a_claim_through_the_exchange_is_the_counter_s(client: TestClient, session: Session):
    from tests.fhir.support import claim, consultation

    gp = provider(session)
    code = _partner(client, session, own=gp)
    person = cnss_insured(session)
    fund = jwe.own_key()
    resource = claim(person.immatriculation, gp.inpe, [consultation(gp.inpe, today(), 20_000)])
    payload, api_call_id = call(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]},
        code,
        fund,
    )
    assert client.post("/hcx/v1/claim/submit", json={"payload": payload}).status_code == 202
    _, sent = _work(session, api_call_id)
    response = entries(opened(sent[0][1]))[0]["resource"]
    assert response["resourceType"] == "ClaimResponse" and response["outcome"] == "complete"
    rest = client.get(f"/api/v1/claims/{response['id']}").json()
    assert rest["totals"]["amo_centimes"] == 12_000
    wrong, api_call_id = call(resource, code, fund)
    assert client.post("/hcx/v1/preauth/submit", json={"payload": wrong}).status_code == 202
    _, sent = _work(session, api_call_id)
    assert sent[0][1]["x-hcx-error_details"]["code"] == "ERR_WRONG_DOMAIN_PAYLOAD"
    assert json.loads(json.dumps(sent[0][1]))["x-hcx-status"] == "response.error"


def test_the_sender_is_a_registered_active_partner_and_the_caller(
    client: TestClient, anonymous: TestClient, session: Session
):
    """The sender code of the protected header names an active partner, and the caller's
    credential is its provider's: anything else is refused with the protocol's code."""
    from daman.accounts import builders
    from daman.accounts.builders import bearer
    from daman.auth.models import Role

    mine, other = provider(session, kind="pharmacy"), provider(session, kind="pharmacy")
    code = _partner(client, session, own=mine)
    admin = bearer(session, builders.user(session, Role.ADMIN))

    def key_of(inpe: str) -> dict[str, str]:
        r = anonymous.post(
            f"/api/v1/providers/{inpe}/api-keys", json={"label": "hcx"}, headers=admin
        )
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['key']}"}

    own_key, other_key = key_of(mine.inpe), key_of(other.inpe)
    person = cnss_insured(session)
    bundle = eligibility_bundle(daman_patient(person.immatriculation), today())
    fund = jwe.own_key()

    def send(headers: dict[str, str], sender: str = code) -> Any:
        payload, _ = call(bundle, sender, fund)
        return anonymous.post(
            "/hcx/v1/coverageeligibility/check", json={"payload": payload}, headers=headers
        )

    assert send(own_key).status_code == 202
    # Another provider's key cannot speak for this partner
    r = send(other_key)
    assert r.status_code == 403 and r.json()["error"]["code"] == "ERR_ACCESS_DENIED"
    assert r.json()["api_call_id"]  # the call refused is named
    # No credential at all
    r = send({})
    assert r.status_code == 401 and r.json()["error"]["code"] == "ERR_ACCESS_DENIED"
    # A sender code nobody registered
    r = send(own_key, sender="unknown-soft")
    assert r.status_code == 400 and r.json()["error"]["code"] == "ERR_INVALID_SENDER"
    # Suspended by an administrator: refused until reactivated; who and when recorded
    r = anonymous.post(f"/hcx/v1/partners/{code}/deactivate", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["updated_by"].startswith("admin:")
    r = send(own_key)
    assert r.status_code == 400 and r.json()["error"]["code"] == "ERR_INVALID_SENDER"
    assert anonymous.post(f"/hcx/v1/partners/{code}/deactivate", headers=own_key).status_code == 403
    assert anonymous.post(f"/hcx/v1/partners/{code}/activate", headers=admin).json()["active"]
    assert send(own_key).status_code == 202
    assert anonymous.post("/hcx/v1/partners/nobody/activate", headers=admin).status_code == 404
