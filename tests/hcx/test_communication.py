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
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.claims.requests import ask_for_document
from daman.core.dates import today
from daman.fhir import codes
from daman.hcx import jwe, service
from daman.hcx.models import CycleStatus, HcxCycle
from daman.hcx.service import Backoff
from tests.claims.support import PDF, PNG, cnss_insured, provider
from tests.fhir.support import FHIR, claim, consultation, preauth_claim
from tests.hcx.support import call, entries, opened
from tests.hcx.test_examples import _send, status_of
from tests.hcx.test_exchange import _partner
from tests.web.test_agent_pages import csrf_of, signed_in

STAFF = Principal(actor="agent:amina", role=Role.AGENT, user_id=1)


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


def _clinic_request(client: TestClient, session: Session) -> tuple[Any, str, str]:
    """A clinic that is an exchange partner, and its pre-authorisation request sent
    through the exchange: the clinic, its partner code, the request's number."""
    clinic = provider(session, kind="clinic")
    code = _partner(client, session, own=clinic)
    person = cnss_insured(session)
    answer, _ = _send(
        client, session, "preauth/submit", preauth_claim(person.immatriculation, clinic.inpe), code
    )
    return clinic, code, entries(opened(answer))[0]["resource"]["id"]


def _answer(office: TestClient, number: str, action: str, reason: str) -> Any:
    """The controller's answer on the request's page."""
    page = office.get(f"/office/preauthorisations/{number}").text
    return office.post(
        f"/office/preauthorisations/{number}",
        data={"csrf_token": csrf_of(page), "action": action, "reason": reason},
        follow_redirects=False,
    )


def test_an_answer_to_the_controller_s_question(client: TestClient, session: Session):
    _, code, number = _clinic_request(client, session)
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
    fund, response = (e["resource"] for e in entries(opened(reply)))
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
    number = entries(opened(answer))[0]["resource"]["id"]
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
    answer_task, response = (e["resource"] for e in entries(opened(status)))
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


def test_the_fund_asks_a_partner_for_a_document_and_it_answers_on_the_thread(
    client: TestClient, anonymous: TestClient, session: Session
):
    """A controller asks for a document on the claim's page: the provider's software gets
    a CommunicationRequest on its communication/request endpoint (encrypted to its key,
    about the Claim, the document in words); it answers on communication/on_request with
    the file, on the same correlation id and without naming the Claim again: the document
    is attached, the request answered, the claim back to review."""
    gp = provider(session)
    code = _partner(client, session, own=gp)
    person = cnss_insured(session)
    body = claim(person.immatriculation, gp.inpe, [consultation(gp.inpe, today(), 20_000)])
    number = client.post("/fhir/Claim/$submit", content=json.dumps(body), headers=FHIR).json()["id"]

    office, _ = signed_in(anonymous, session, Role.CONTROLLER)
    page = office.get(f"/office/claims/{number}").text
    asked = office.post(
        f"/office/claims/{number}/ask-document",
        data={"csrf_token": csrf_of(page), "document": "  Le compte   rendu opératoire "},
        follow_redirects=False,
    )
    assert asked.status_code == 303 and asked.headers["location"].endswith("?done=told")
    row = session.scalars(select(HcxCycle).where(HcxCycle.outbound.is_(True))).one()
    assert (row.action, row.status) == ("communication/request", CycleStatus.ANSWERED)
    sent: list[tuple[str, dict]] = []
    assert service.deliver(session, row, lambda url, b: sent.append((url, b)) or 200, Backoff())
    [(url, envelope)] = sent
    assert url == "http://127.0.0.1:9/hcx/communication/request"  # the partner's, not on_*
    header = jwe.protected_header(envelope["payload"])
    assert header["x-hcx-recipient_code"] == code
    request = opened(envelope)
    assert request["resourceType"] == "CommunicationRequest"
    assert request["about"] == [{"reference": f"Claim/{number}"}]
    assert request["payload"] == [{"contentString": "Le compte rendu opératoire"}]
    assert request["recipient"][0]["identifier"]["value"] == gp.inpe
    assert request["subject"]["identifier"]["value"] == person.immatriculation

    # The partner's answer on the thread: no Claim named, the correlation says which
    answer = communication(None, pdf("compte-rendu.pdf"))
    payload, api_call_id = call(
        answer, code, jwe.own_key(), **{"x-hcx-correlation_id": header["x-hcx-correlation_id"]}
    )
    r = client.post("/hcx/v1/communication/on_request", json={"payload": payload})
    assert r.status_code == 202, r.text
    back = session.scalars(select(HcxCycle).where(HcxCycle.api_call_id == api_call_id)).one()
    service.process(session, back)
    assert (back.status, back.answer_status, back.last_error) == (
        CycleStatus.DELIVERED,
        "response.complete",
        None,
    )
    got = client.get(f"/api/v1/claims/{number}").json()
    assert [d["filename"] for d in got["documents"]] == ["compte-rendu.pdf"]
    assert got["status"] == "pending_review"
    assert got["history"][-1]["reason"] == "document received: compte-rendu.pdf"
    state = client.get(f"/hcx/v1/cycles/{row.api_call_id}").json()
    assert state["outbound"] is True and state["status"] == "delivered"


def test_an_answer_on_a_thread_the_fund_never_started_is_recorded_as_an_error(
    client: TestClient, session: Session
):
    gp = provider(session)
    code = _partner(client, session, own=gp)
    payload, api_call_id = call(communication(None, pdf("a.pdf")), code, jwe.own_key())
    assert client.post("/hcx/v1/communication/on_request", json={"payload": payload}).is_success
    row = session.scalars(select(HcxCycle).where(HcxCycle.api_call_id == api_call_id)).one()
    service.process(session, row)
    assert row.answer_status == "response.error" and row.status == CycleStatus.DELIVERED
    assert "say which Claim" in (row.last_error or "")


def test_a_provider_that_is_no_partner_gets_no_exchange_call(client: TestClient, session: Session):
    gp = provider(session)
    person = cnss_insured(session)
    body = claim(person.immatriculation, gp.inpe, [consultation(gp.inpe, today(), 20_000)])
    number = client.post("/fhir/Claim/$submit", content=json.dumps(body), headers=FHIR).json()["id"]
    claim_row = ask_for_document(session, number, "la facture", None, STAFF)
    assert service.ask_provider(session, claim_row, "la facture", "k") == []


def test_the_fund_asks_a_partner_about_a_pre_authorisation_and_it_answers_on_the_thread(
    client: TestClient, anonymous: TestClient, session: Session
):
    """A controller asks for information on a pre-authorisation's page: the clinic's
    software gets a CommunicationRequest about the request (the question in words); its
    answer on communication/on_request, on the same correlation id, with text and a file,
    is the request's answer: the clock runs again, the file attached, the answer in its
    history."""
    clinic, code, number = _clinic_request(client, session)
    office, _ = signed_in(anonymous, session, Role.CONTROLLER)
    asked = _answer(office, number, "ask_information", "Le compte rendu du chirurgien")
    assert asked.status_code == 303, asked.text
    row = session.scalars(select(HcxCycle).where(HcxCycle.outbound.is_(True))).one()
    sent: list[tuple[str, dict]] = []
    assert service.deliver(session, row, lambda url, b: sent.append((url, b)) or 200, Backoff())
    [(url, envelope)] = sent
    assert url.endswith("/communication/request")
    header = jwe.protected_header(envelope["payload"])
    request = opened(envelope)
    assert request["resourceType"] == "CommunicationRequest"
    assert request["about"] == [{"reference": f"Claim/{number}"}]
    assert request["payload"] == [{"contentString": "Le compte rendu du chirurgien"}]
    assert request["recipient"][0]["identifier"]["value"] == clinic.inpe
    assert request["identifier"][0]["value"].startswith(f"{number}/")

    reply = communication(None, {"contentString": "voir le compte rendu"}, pdf("cr.pdf"))
    payload, api_call_id = call(
        reply, code, jwe.own_key(), **{"x-hcx-correlation_id": header["x-hcx-correlation_id"]}
    )
    assert client.post("/hcx/v1/communication/on_request", json={"payload": payload}).is_success
    back = session.scalars(select(HcxCycle).where(HcxCycle.api_call_id == api_call_id)).one()
    service.process(session, back)
    assert (back.answer_status, back.last_error) == ("response.complete", None)
    rest = client.get(f"/api/v1/preauthorisations/{number}").json()
    assert rest["status"] == "submitted"
    assert [d["filename"] for d in rest["documents"]] == ["cr.pdf"]
    assert any("voir le compte rendu" in (e["reason"] or "") for e in rest["history"])


def test_a_refusal_sends_nothing_to_the_partner(
    client: TestClient, anonymous: TestClient, session: Session
):
    """Only a question goes to the partner as a CommunicationRequest; a question refused
    (no text) sends nothing."""
    _, _, number = _clinic_request(client, session)
    office, _ = signed_in(anonymous, session, Role.CONTROLLER)
    assert _answer(office, number, "ask_information", " ").status_code == 400
    assert _answer(office, number, "refuse", "non justifié").status_code == 303
    assert session.scalars(select(HcxCycle).where(HcxCycle.outbound.is_(True))).all() == []
