"""communication/request: a provider's answer goes where the REST API would put it. The
controller's question on a pre-authorisation is answered (the request waits for the fund
again, its clock running), documents are attached to the request or the care sheet, and
the fund answers on communication/on_request with its Communication and the
ClaimResponse as it now stands."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.core.dates import today
from daman.fhir import codes
from tests.claims.support import PDF, PNG, cnss_insured, provider
from tests.fhir.support import FHIR, claim, consultation, preauth_claim
from tests.hcx.support import opened
from tests.hcx.test_examples import _send, status_of
from tests.hcx.test_exchange import _partner


def communication(about: dict[str, Any] | None, *parts: dict[str, Any]) -> dict[str, Any]:
    """A CommunicationDocument as the specification shapes it: Composition, Communication."""
    message: dict[str, Any] = {
        "resourceType": "Communication",
        "id": "c1",
        "identifier": [{"system": "https://clinic.example/messages", "value": str(uuid.uuid4())}],
        "status": "completed",
        "sent": today().isoformat(),
        "payload": list(parts),
    }
    if about is not None:
        message["about"] = [about]
    return {
        "resourceType": "Bundle",
        "type": "document",
        "entry": [
            {
                "fullUrl": "Composition/d1",
                "resource": {
                    "resourceType": "Composition",
                    "id": "d1",
                    "status": "final",
                    "type": {"coding": [{"code": "HcxCommunication"}]},
                    "date": today().isoformat(),
                    "author": [{"display": "clinic"}],
                    "title": "Communication",
                    "section": [{"entry": [{"reference": "Communication/c1"}]}],
                },
            },
            {"fullUrl": "Communication/c1", "resource": message},
        ],
    }


def pdf(title: str, data: bytes = PDF, kind: str = "application/pdf") -> dict[str, Any]:
    encoded = base64.b64encode(data).decode()
    return {"contentAttachment": {"contentType": kind, "data": encoded, "title": title}}


def test_an_answer_to_the_controller_s_question(client: TestClient, session: Session):
    clinic = provider(session, kind="clinic")
    code = _partner(client, session, own=clinic)
    person = cnss_insured(session)
    answer, _ = _send(
        client, session, "preauth/submit", preauth_claim(person.immatriculation, clinic.inpe), code
    )
    number = opened(answer)["entry"][0]["resource"]["id"]
    # Asked before the controller asked anything: refused, the question is not there
    asked_early, _ = _send(
        client,
        session,
        "communication/request",
        communication({"reference": f"Claim/{number}"}, {"contentString": "the report"}),
        code,
    )
    assert asked_early["x-hcx-error_details"]["code"] == "ERR_DOMAIN_PROCESSING"
    assert "preauth_not_waiting_for_information" in asked_early["x-hcx-error_details"]["message"]
    r = client.post(
        f"/api/v1/preauthorisations/{number}/decision",
        json={"action": "ask_information", "reason": "the surgeon's report, please"},
    )
    assert r.status_code == 200 and r.json()["status"] == "info_requested", r.text
    # The clinic answers by the Claim's own identifier, with the report attached
    about = {"identifier": {"system": "https://pharmacy.example/claims", "value": "pa-1"}}
    reply, url = _send(
        client,
        session,
        "communication/request",
        communication(
            about,
            {"contentString": "acute appendicitis, see the report"},
            pdf("report.pdf"),
        ),
        code,
    )
    assert url.endswith("/communication/on_request")
    assert status_of(reply) == "response.complete", reply.get("x-hcx-error_details")
    fund, response = (e["resource"] for e in opened(reply)["entry"])
    assert fund["resourceType"] == "Communication" and fund["about"][0]["reference"].endswith(
        number
    )
    assert "answer to the controller's question" in fund["payload"][0]["contentString"]
    assert response["resourceType"] == "ClaimResponse" and response["outcome"] == "queued"
    rest = client.get(f"/api/v1/preauthorisations/{number}").json()
    assert rest["status"] == "submitted"  # back with the fund, its clock running again
    assert [d["filename"] for d in rest["documents"]] == ["report.pdf"]
    assert any("acute appendicitis, see the report" in (e["reason"] or "") for e in rest["history"])
    # Once answered, the request takes no more answers; the same document is not doubled
    again, _ = _send(
        client,
        session,
        "communication/request",
        communication({"reference": f"Claim/{number}"}, pdf("report.pdf")),
        code,
    )
    assert status_of(again) == "response.complete"
    assert len(client.get(f"/api/v1/preauthorisations/{number}").json()["documents"]) == 1


def test_a_document_for_a_care_sheet(client: TestClient, session: Session):
    gp = provider(session)
    code = _partner(client, session, own=gp)
    person = cnss_insured(session)
    body = claim(person.immatriculation, gp.inpe, [consultation(gp.inpe, today(), 20_000)])
    number = client.post("/fhir/Claim/$submit", content=json.dumps(body), headers=FHIR).json()["id"]
    about = {"identifier": {"system": codes.CLAIM_NUMBER, "value": number}}
    # Text alone: a care sheet takes documents
    text, _ = _send(
        client,
        session,
        "communication/request",
        communication(about, {"contentString": "here it is"}),
        code,
    )
    assert text["x-hcx-error_details"]["message"] == (
        "Bundle.entry[1].resource.payload: a care sheet takes documents (contentAttachment), "
        "not text"
    )
    # A PNG declared as a PDF: refused as the upload would be, naming the attachment
    lie, _ = _send(
        client, session, "communication/request", communication(about, pdf("x.pdf", PNG)), code
    )
    assert lie["x-hcx-error_details"]["message"].startswith(
        "Bundle.entry[1].resource.payload[0].contentAttachment: declared application/pdf"
    )
    done, _ = _send(
        client,
        session,
        "communication/request",
        communication(about, pdf("prescription.pdf")),
        code,
    )
    assert status_of(done) == "response.complete", done.get("x-hcx-error_details")
    documents = client.get(f"/api/v1/claims/{number}").json()["documents"]
    assert [d["filename"] for d in documents] == ["prescription.pdf"]
    # Not about any claim of this provider
    stray, _ = _send(
        client,
        session,
        "communication/request",
        communication({"reference": "Claim/F9999999999"}, pdf("a.pdf")),
        code,
    )
    assert stray["x-hcx-error_details"]["message"].startswith(
        "Bundle.entry[1].resource.about: no claim numbered F9999999999"
    )
    nothing, _ = _send(
        client, session, "communication/request", communication(None, pdf("a.pdf")), code
    )
    assert nothing["x-hcx-error_details"]["message"].startswith(
        "Bundle.entry[1].resource.about: say which Claim"
    )
    wrong, _ = _send(
        client,
        session,
        "communication/request",
        {"resourceType": "Bundle", "type": "collection"},
        code,
    )
    assert wrong["x-hcx-error_details"]["code"] == "ERR_WRONG_DOMAIN_PAYLOAD"


def test_the_status_of_a_pre_authorisation(client: TestClient, session: Session):
    """hcx/status with the process's correlation id: a Task naming each call of the cycle,
    whose focus is the ClaimResponse as it now stands (here: a controller asked a
    question since)."""
    clinic = provider(session, kind="clinic")
    code = _partner(client, session, own=clinic)
    person = cnss_insured(session)
    correlation = str(uuid.uuid4())
    answer, _ = _send(
        client,
        session,
        "preauth/submit",
        preauth_claim(person.immatriculation, clinic.inpe),
        code,
        **{"x-hcx-correlation_id": correlation},
    )
    number = opened(answer)["entry"][0]["resource"]["id"]
    r = client.post(
        f"/api/v1/preauthorisations/{number}/decision",
        json={"action": "ask_information", "reason": "which surgeon?"},
    )
    assert r.status_code == 200, r.text
    task = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "code": {"text": "preauthorization status"},
    }
    status, url = _send(
        client, session, "hcx/status", task, code, **{"x-hcx-correlation_id": correlation}
    )
    assert url.endswith("/hcx/on_status")
    assert status_of(status) == "response.complete", status.get("x-hcx-error_details")
    answer_task, response = (e["resource"] for e in opened(status)["entry"])
    assert answer_task["resourceType"] == "Task" and answer_task["status"] == "completed"
    assert answer_task["code"] == {"text": "preauthorization status"}
    assert answer_task["focus"] == {"reference": f"ClaimResponse/{number}"}
    assert answer_task["businessStatus"]["text"] == "preauth/submit: delivered, queued"
    assert [o["type"]["text"] for o in answer_task["output"]] == ["preauth/submit"]
    assert response["id"] == number and response["disposition"] == "which surgeon?"
    unknown, _ = _send(
        client, session, "hcx/status", task, code, **{"x-hcx-correlation_id": str(uuid.uuid4())}
    )
    assert unknown["x-hcx-error_details"]["code"] == "ERR_INVALID_CORRELATION_ID"
