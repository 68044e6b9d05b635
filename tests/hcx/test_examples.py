"""The HCX specification's example Bundles (tests/hcx/examples, verbatim, sources in
SOURCES.md) sent through the exchange: each parses and gets the answer it should.

Taken as they are, the examples name an Indian beneficiary, hospital and insurer: the fund
answers each with the protocol's error code and the element path of what it cannot
accept. With their identifiers mapped to Daman's in code (`mapped`, the only change), the
eligibility check gets the fund's CoverageEligibilityResponse; the claim is still refused
for what is not an identifier (amounts in USD, SNOMED codes with no care category)."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy.orm import Session

from daman.core.dates import today
from daman.fhir import codes
from daman.hcx import jwe
from tests.claims.support import PDF, cnss_insured, provider
from tests.fhir.support import FHIR, claim, consultation, preauth_claim
from tests.hcx.support import call, entries, opened
from tests.hcx.test_exchange import _partner, _work

EXAMPLES = Path(__file__).parent / "examples"


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return data


def mapped(bundle: dict[str, Any], ids: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """A copy of an example whose resources of the given ``Type/id`` carry Daman's
    identifiers instead of theirs: the only change the tests make to an example."""
    out = copy.deepcopy(bundle)
    for entry in out["entry"]:
        resource = entry["resource"]
        key = f"{resource['resourceType']}/{resource.get('id')}"
        if key in ids:
            resource["identifier"] = ids[key]
    return out


def status_of(answer: dict[str, Any]) -> str:
    """x-hcx-status of a callback: in the JWE's protected header, or the error header."""
    if "payload" in answer:
        return str(jwe.protected_header(answer["payload"])["x-hcx-status"])
    return str(answer["x-hcx-status"])


def _send(
    client: TestClient, session: Session, action: str, body: dict[str, Any], code: str, **headers
) -> tuple[dict[str, Any], str]:
    payload, api_call_id = call(body, code, jwe.own_key(), **headers)
    r = client.post(f"/hcx/v1/{action}", json={"payload": payload})
    assert r.status_code == 202, r.text
    _, sent = _work(session, api_call_id)
    assert len(sent) == 1
    return sent[0][1], sent[0][0]


def test_every_example_parses_but_the_one_that_is_no_fhir():
    for path in sorted(EXAMPLES.glob("*.json")):
        data = json.loads(path.read_text())
        if path.name == "hcx-platform-preauth.json":
            continue  # its resourceType "Preauth" is not FHIR's: see the preauth test
        get_fhir_model_class(data["resourceType"]).model_validate(data)


def test_the_eligibility_example(client: TestClient, session: Session):
    gp = provider(session)
    code = _partner(client, session, own=gp)
    document = example("Bundle-CoverageEligibilityRequestDocument-example-01.json")
    answer, url = _send(client, session, "coverageeligibility/check", document, code)
    assert url.endswith("/coverageeligibility/on_check")
    assert answer["x-hcx-status"] == "response.error"
    details = answer["x-hcx-error_details"]
    assert details["code"] == "ERR_INVALID_DOMAIN_PAYLOAD"
    assert details["message"].startswith("Bundle.entry[3].resource.patient: name the patient")
    # The beneficiary and the hospital named by Daman's identifiers: the fund's answer
    person = cnss_insured(session)
    ours = mapped(
        document,
        {
            "Patient/RVH1003": [{"system": codes.IMMATRICULATION, "value": person.immatriculation}],
            "Organization/Tmh01": [{"system": codes.INPE, "value": gp.inpe}],
        },
    )
    answer, _ = _send(client, session, "coverageeligibility/check", ours, code)
    # A provider asks about a date of care long past the filing deadline: refused, naming it
    assert answer["x-hcx-error_details"] == {
        "code": "ERR_INVALID_DOMAIN_PAYLOAD",
        "message": "Bundle.entry[3].resource.servicedPeriod.start: 2022-02-07 is more than "
        "60 days ago (the filing deadline)",
        "trace": "",
    }
    # The fund's own staff may look back: the rights on 2022-02-07, through the FHIR API
    r = client.post(
        "/fhir/CoverageEligibilityRequest/$submit", content=json.dumps(ours), headers=FHIR
    )
    assert r.status_code == 200, r.text
    response = r.json()
    get_fhir_model_class("CoverageEligibilityResponse").model_validate(response)
    assert response["purpose"] == ["discovery"]
    assert response["servicedDate"] == "2022-02-07"  # the start of the example's period
    assert response["patient"]["reference"] == f"Patient/{person.immatriculation}"
    assert response["request"] == {
        "reference": "CoverageEligibilityRequest/dc82673b-8c71-48c2-8a17-16dcb3b035f6"
    }
    assert response["identifier"] == [
        {
            "system": "https://www.tmh.in/coverage-eligibility-request",
            "value": "dc82673b-8c71-48c2-8a17-16dcb3b035f6",
        }
    ]
    assert response["insurance"][0]["inforce"] is True
    assert response["disposition"].startswith("covered_principal")


def test_the_claim_example(client: TestClient, session: Session):
    hospital = provider(session, kind="clinic")
    code = _partner(client, session, own=hospital)
    document = example("Bundle-ClaimRequestDocument-example-01.json")
    answer, url = _send(client, session, "claim/submit", document, code)
    assert url.endswith("/claim/on_submit")
    assert answer["x-hcx-error_details"]["code"] == "ERR_INVALID_DOMAIN_PAYLOAD"
    message = answer["x-hcx-error_details"]["message"]
    claim = "Bundle.entry[3].resource"
    for path in (
        f"{claim}.identifier: a Claim names itself",
        f"{claim}.item[0].category: required",
        f"{claim}.item[0].net: an amount in MAD is required",
        f"{claim}.item[1].net.currency: currency must be MAD, not USD",
        f"{claim}.item[3].net.currency: currency must be MAD, not USD",
    ):
        assert path in message, (path, message)
    # Daman's identifiers for the patient and the provider, and the Claim's own: still
    # refused, for its amounts in USD and its SNOMED acts with no care category
    person = cnss_insured(session)
    ours = mapped(
        document,
        {
            "Patient/RVH1003": [{"system": codes.IMMATRICULATION, "value": person.immatriculation}],
            "Organization/Tmh01": [{"system": codes.INPE, "value": hospital.inpe}],
            "Claim/1532676": [{"system": "https://www.tmh.in/claims", "value": "1532676"}],
        },
    )
    ours["entry"][3]["resource"]["patient"] = {"reference": "Patient/RVH1003"}
    ours["entry"][3]["resource"]["provider"] = {"reference": "Organization/Tmh01"}
    answer, _ = _send(client, session, "claim/submit", ours, code)
    message = answer["x-hcx-error_details"]["message"]
    assert "identifier" not in message and ".patient" not in message and ".provider" not in message
    assert f"{claim}.item[1].net.currency: currency must be MAD, not USD" in message
    assert f"{claim}.item[1].category: required" in message


def test_the_preauth_example_is_no_claim(client: TestClient, session: Session):
    code = _partner(client, session, own=provider(session, kind="clinic"))
    answer, url = _send(
        client, session, "preauth/submit", example("hcx-platform-preauth.json"), code
    )
    assert url.endswith("/preauth/on_submit")
    assert answer["x-hcx-status"] == "response.error"
    assert answer["x-hcx-error_details"]["code"] == "ERR_WRONG_DOMAIN_PAYLOAD"


def test_the_payment_notice_example(client: TestClient, session: Session):
    code = _partner(client, session)
    answer, url = _send(
        client, session, "paymentnotice/request", example("hcx-platform-paymentnotice.json"), code
    )
    assert url.endswith("/paymentnotice/on_request")
    assert answer["x-hcx-error_details"]["code"] == "ERR_DOMAIN_PROCESSING"
    assert "ER2500" in answer["x-hcx-error_details"]["message"]  # read from payment.reference


def test_the_claim_response_examples_use_the_categories_daman_emits(
    client: TestClient, session: Session
):
    """The specification's ClaimResponse (alone and in its document) and Daman's answer to a
    claim use the same HL7 adjudication categories, element by element."""
    spec = example("ClaimResponse-example-01.json")
    document = example("Bundle-ClaimResponseDocument-example-01.json")
    in_document = next(
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "ClaimResponse"
    )
    gp = provider(session)
    code = _partner(client, session, own=gp)
    person = cnss_insured(session)
    resource = claim(person.immatriculation, gp.inpe, [consultation(gp.inpe, today(), 20_000)])
    answer, _ = _send(
        client,
        session,
        "claim/submit",
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]},
        code,
    )
    ours = entries(opened(answer))[0]["resource"]
    # the answer is a document of the specification's type, as its example
    spec_type = document["entry"][0]["resource"]["type"]["coding"][0]
    our_type = opened(answer)["entry"][0]["resource"]["type"]["coding"][0]
    assert (our_type["system"], our_type["code"]) == (spec_type["system"], spec_type["code"])
    emitted = {
        c["code"] for i in ours["item"] for a in i["adjudication"] for c in a["category"]["coding"]
    }
    for example_response in (spec, in_document):
        used = {
            c["code"]
            for i in example_response.get("item", [])
            for a in i["adjudication"]
            for c in a["category"]["coding"]
            if c.get("system", codes.ADJUDICATION) == codes.ADJUDICATION
        }
        assert used and used <= emitted, (used, emitted)
    assert set(spec) - {"meta", "payment", "id"} <= set(ours) | {"insurer"}


def _preauth(client: TestClient, session: Session, clinic: Any, code: str) -> tuple[str, str]:
    """A pre-authorisation asked through the exchange: its number and the cycle's
    correlation id."""
    person = cnss_insured(session)
    correlation = str(uuid.uuid4())
    answer, _ = _send(
        client,
        session,
        "preauth/submit",
        preauth_claim(person.immatriculation, clinic.inpe, f"pa-{correlation}"),
        code,
        **{"x-hcx-correlation_id": correlation},
    )
    assert status_of(answer) == "response.complete", answer.get("x-hcx-error_details")
    return entries(opened(answer))[0]["resource"]["id"], correlation


def test_the_communication_example(client: TestClient, session: Session):
    """The example answers a request of the fund with two documents: one whose bytes are
    "Hello" (not a PDF), one by URL only. Sent in the cycle of a pre-authorisation (its
    correlation id), it is about that request, and refused naming the attachment."""
    clinic = provider(session, kind="clinic")
    code = _partner(client, session, own=clinic)
    number, correlation = _preauth(client, session, clinic, code)
    communication = example("hcx-platform-communication.json")
    answer, url = _send(
        client,
        session,
        "communication/request",
        communication,
        code,
        **{"x-hcx-correlation_id": correlation},
    )
    assert url.endswith("/communication/on_request")
    assert answer["x-hcx-error_details"]["code"] == "ERR_INVALID_DOMAIN_PAYLOAD"
    assert answer["x-hcx-error_details"]["message"].startswith(
        "Communication.payload[1].contentAttachment.data: send the document's bytes"
    )
    # Only the attachment with bytes: refused as an upload is, naming it
    communication["payload"] = communication["payload"][:1]
    answer, _ = _send(
        client,
        session,
        "communication/request",
        communication,
        code,
        **{"x-hcx-correlation_id": correlation},
    )
    message = answer["x-hcx-error_details"]["message"]
    assert message.startswith("Communication.payload[0].contentAttachment: only PDF"), message
    # The same Communication with a real PDF: attached to the request
    communication["payload"][0]["contentAttachment"]["data"] = base64.b64encode(PDF).decode()
    answer, _ = _send(
        client,
        session,
        "communication/request",
        communication,
        code,
        **{"x-hcx-correlation_id": correlation},
    )
    assert status_of(answer) == "response.complete", answer.get("x-hcx-error_details")
    reply, response = (e["resource"] for e in entries(opened(answer)))
    assert reply["resourceType"] == "Communication" and reply["status"] == "completed"
    assert reply["about"] == [{"reference": f"Claim/{number}"}]
    assert reply["inResponseTo"] == [
        {"identifier": {"system": "http://www.providerco.com/communication", "value": "12345"}}
    ]
    assert response["id"] == number
    documents = client.get(f"/api/v1/preauthorisations/{number}").json()["documents"]
    assert [d["filename"] for d in documents] == ["accident notes 20100201.pdf"]


def test_the_payment_notice_example_names_a_transfer(client: TestClient, session: Session):
    """With its payment mapped to a transfer of a payment run (in code), the example gets
    the PaymentReconciliation of that transfer: the claims it pays the provider. The same
    reconciliation is read through the FHIR API."""
    from daman.payments import service as payments
    from tests.claims.support import act, paper
    from tests.payments.support import CARE, approve, facility_payee, insured, rib

    gp = provider(session)
    gp.rib = rib()  # paid by transfer
    claims = approve(session, [paper(insured(session), [act(gp, CARE, 15_000)])])
    report = payments.run(session, "agent:test", payee_rule=facility_payee)
    assert report.batch is not None, report
    reference = f"{report.batch.number}-0000001"
    code = _partner(client, session, own=gp)
    notice = example("hcx-platform-paymentnotice.json")
    notice["payment"] = {"reference": f"PaymentReconciliation/{reference}"}
    answer, _ = _send(client, session, "paymentnotice/request", notice, code)
    assert status_of(answer) == "response.complete", answer.get("x-hcx-error_details")
    reconciliation = entries(opened(answer))[0]["resource"]
    get_fhir_model_class("PaymentReconciliation").model_validate(reconciliation)
    assert reconciliation["id"] == reference
    assert [d["request"]["reference"] for d in reconciliation["detail"]] == [
        f"Claim/{claims[0].number}"
    ]
    paid = reconciliation["paymentAmount"]
    assert paid["currency"] == "MAD" and round(paid["value"] * 100) == report.amount_centimes
    read = client.get(f"/fhir/PaymentReconciliation/{reference}")
    assert read.status_code == 200 and read.json()["detail"] == reconciliation["detail"]
    found = client.get("/fhir/PaymentReconciliation", params={"_id": reference}).json()
    assert found["total"] == 1
