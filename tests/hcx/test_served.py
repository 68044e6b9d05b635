"""Through the served app: a pharmacy's dispensing done entirely in FHIR with its API key,
and an HCX partner simulated by a real local HTTP server that answers 500 twice, then 200:
the worker retries with back-off and the callback is acknowledged once, never sent again."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from daman.fhir import codes
from daman.hcx import jwe
from tests.claims.support import PDF
from tests.fhir.support import FHIR, claim, medicine, preauth_claim
from tests.hcx.support import call, daman_patient, eligibility_bundle, entries, opened, public_jwk
from tests.hcx.test_communication import communication, pdf
from tests.served import Server, daman, daman_env, free_port, served_demo
from tests.web.test_agent_pages import csrf_of

PATIENT = "DM0000000194"  # Youssef Benali
PHARMACY = "930000001"  # Pharmacie Al Amal
GP = "910000001"
GENERIC = "6118990000024"  # METFORMINE DEMOGEN 850 MG


@pytest.fixture(scope="module")
def served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served_demo(engine.dialect.name, tmp_path_factory.mktemp("hcx")) as server:
        yield server


def _api_key(server: Server, inpe: str = PHARMACY) -> str:
    with server.client(server.token("admin")) as admin:
        r = admin.post(f"/providers/{inpe}/api-keys", json={"label": f"{inpe} software"})
        assert r.status_code == 201, r.text
        return str(r.json()["key"])


def work(server: Server, *options: str) -> None:
    """`daman hcx worker --until-idle` on the served database: process and deliver."""
    env = daman_env(server.database_url, server.workdir)
    daman(env, server.workdir, "hcx", "worker", "--until-idle", *options)


def test_a_pharmacy_dispenses_entirely_in_fhir(served: Server):
    key = _api_key(served)
    fhir = httpx.Client(
        base_url=served.url + "/fhir",
        headers={"Authorization": f"Bearer {key}", **FHIR},
        timeout=60,
    )
    with fhir:
        assert fhir.get("/metadata").json()["fhirVersion"] == "4.0.1"
        check = {
            "resourceType": "CoverageEligibilityRequest",
            "status": "active",
            "purpose": ["validation"],
            "patient": {"identifier": {"system": codes.IMMATRICULATION, "value": PATIENT}},
            "servicedDate": date.today().isoformat(),
            "created": date.today().isoformat(),
            "insurer": {"reference": "Organization/fund"},
        }
        rights = fhir.post("/CoverageEligibilityRequest/$submit", content=json.dumps(check))
        assert rights.status_code == 200, rights.text
        assert rights.json()["insurance"][0]["inforce"] is True
        day = date.today()
        body = claim(
            PATIENT,
            PHARMACY,
            [medicine(PHARMACY, day, GENERIC, 1, 1_850, GP)],
            identifier="served-rx-1",
            claim_type="pharmacy",
        )
        first = fhir.post("/Claim/$submit", content=json.dumps(body))
        assert first.status_code == 201, first.text
        response = first.json()
        number = response["id"]
        again = fhir.post("/Claim/$submit", content=json.dumps(body))
        assert again.status_code == 200 and again.json()["id"] == number
        read = fhir.get(f"/ClaimResponse/{number}")
        assert read.json()["item"] == response["item"]
        # What the REST API says of the same claim, with the same key
        rest = httpx.get(
            f"{served.url}/api/v1/claims/{number}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ).json()
        benefit = next(
            a
            for a in response["item"][0]["adjudication"]
            if a["category"]["coding"][0]["code"] == "benefit"
        )
        assert (
            round(benefit["amount"]["value"] * 100) == rest["lines"][0]["decision"]["amo_centimes"]
        )
        assert fhir.get("/Patient/DM0000000194").status_code == 403  # the REST API's rule too


class Partner:
    """The partner's callback endpoint: 500 twice, then 200."""

    def __init__(self) -> None:
        self.port = free_port()
        self.calls: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                partner.calls.append({"path": self.path, "body": body})
                status = 500 if len(partner.calls) <= 2 else 200
                if status == 200:
                    partner.accepted.append(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Partner:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _partner_of(served: Server, code: str, inpe: str, partner: Partner) -> Any:
    """The administrator registers the provider's software as an exchange partner calling
    back on `partner`; the fund's public key, as the partner reads it."""
    from jwcrypto import jwk

    with served.client(served.token("admin")) as admin:
        r = httpx.post(
            f"{served.url}/hcx/v1/partners",
            headers={"Authorization": admin.headers["Authorization"]},
            json={
                "code": code,
                "name": f"{code} software",
                "provider_inpe": inpe,
                "public_jwk": public_jwk(),
                "callback_url": f"http://127.0.0.1:{partner.port}/hcx",
            },
        )
        assert r.status_code == 201, r.text
    return jwk.JWK(**httpx.get(f"{served.url}/hcx/v1/keys").json()["keys"][0])


def _send(served: Server, key: str, action: str, payload: str) -> httpx.Response:
    """A sealed payload posted to the exchange's `action` with the provider's bearer."""
    return httpx.post(
        f"{served.url}/hcx/v1/{action}",
        headers={"Authorization": f"Bearer {key}"},
        json={"payload": payload},
    )


def _read(served: Server, key: str, path: str) -> Any:
    """GET `path` with the provider's bearer, as JSON."""
    return httpx.get(f"{served.url}{path}", headers={"Authorization": f"Bearer {key}"}).json()


def test_a_lost_callback_is_retried_and_arrives_once(served: Server):
    key = _api_key(served)
    with Partner() as partner:
        fund = _partner_of(served, "officine-1", PHARMACY, partner)
        payload, api_call_id = call(
            eligibility_bundle(daman_patient(PATIENT), date.today()), "officine-1", fund
        )
        sent = _send(served, key, "coverageeligibility/check", payload)
        assert sent.status_code == 202, sent.text
        assert sent.json()["api_call_id"] == api_call_id
        work(served, "--backoff", "0.2", "--interval", "0.1", "--deadline", "60")
        assert len(partner.calls) == 3  # 500, 500, then 200
        assert len(partner.accepted) == 1  # arrives once
        assert {c["path"] for c in partner.calls} == {"/hcx/coverageeligibility/on_check"}
        answer = opened(partner.accepted[0])
        assert entries(answer)[0]["resource"]["insurance"][0]["inforce"] is True
        # Running the worker again sends nothing more: delivered is delivered
        work(served, "--deadline", "5")
        assert len(partner.calls) == 3
        state = _read(served, key, f"/hcx/v1/cycles/{api_call_id}")
        assert state["status"] == "delivered" and state["attempts"] == 3
        # A tampered payload is refused at once with the protocol's code
        payload, _ = call(
            eligibility_bundle(daman_patient(PATIENT), date.today()), "officine-1", fund
        )
        head, cek, iv, text, tag = payload.split(".")
        flipped = text[:-2] + ("AA" if text[-2:] != "AA" else "BA")
        refused = _send(
            served, key, "coverageeligibility/check", ".".join([head, cek, iv, flipped, tag])
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "ERR_INVALID_ENCRYPTION"
        # A care sheet through the exchange, then the document the fund asks for, sent as a
        # Communication in the same cycle (its correlation id): attached to the care sheet
        correlation = str(uuid.uuid4())
        body = claim(
            PATIENT,
            PHARMACY,
            [medicine(PHARMACY, date.today(), GENERIC, 1, 1_850, GP)],
            identifier="served-hcx-1",
            claim_type="pharmacy",
        )
        for action, resource in (
            (
                "claim/submit",
                {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": body}]},
            ),
            ("communication/request", communication(None, pdf("prescription.pdf"))),
        ):
            payload, _ = call(resource, "officine-1", fund, **{"x-hcx-correlation_id": correlation})
            sent = _send(served, key, action, payload)
            assert sent.status_code == 202, sent.text
            work(served, "--deadline", "60")
        assert [c["path"] for c in partner.calls[3:]] == [
            "/hcx/claim/on_submit",
            "/hcx/communication/on_request",
        ]
        number = entries(opened(partner.accepted[1]))[0]["resource"]["id"]
        fund_reply, response = (e["resource"] for e in entries(opened(partner.accepted[2])))
        assert fund_reply["about"] == [{"reference": f"Claim/{number}"}]
        assert response["id"] == number
        rest = _read(served, key, f"/api/v1/claims/{number}")
        assert [d["filename"] for d in rest["documents"]] == ["prescription.pdf"]
        # The fund asks for another document on the claim's page: the partner's software
        # gets a CommunicationRequest, answers on communication/on_request with the file,
        # and the claim goes back to review with the request answered
        with served.pages("controller") as office:
            page = office.get(f"/office/claims/{number}").text
            asked = office.post(
                f"/office/claims/{number}/ask-document",
                data={"csrf_token": csrf_of(page), "document": "Facture détaillée"},
                follow_redirects=False,
            )
            assert asked.status_code == 303 and asked.headers["location"].endswith("done=told")
        work(served, "--deadline", "60")
        assert partner.calls[-1]["path"] == "/hcx/communication/request"
        request = opened(partner.accepted[-1])
        assert request["resourceType"] == "CommunicationRequest"
        assert request["about"] == [{"reference": f"Claim/{number}"}]
        thread = jwe.protected_header(partner.accepted[-1]["payload"])["x-hcx-correlation_id"]
        payload, answer_id = call(
            communication(None, pdf("facture.pdf", PDF.replace(b"1 0 obj", b"2 0 obj"))),
            "officine-1",
            fund,
            **{"x-hcx-correlation_id": thread},
        )
        answered = _send(served, key, "communication/on_request", payload)
        assert answered.status_code == 202, answered.text
        work(served, "--deadline", "60")
        state = _read(served, key, f"/hcx/v1/cycles/{answer_id}")
        assert (state["status"], state["answer_status"]) == ("delivered", "response.complete")
        rest = _read(served, key, f"/api/v1/claims/{number}")
        assert [d["filename"] for d in rest["documents"]] == ["prescription.pdf", "facture.pdf"]
        assert rest["history"][-1]["reason"] == "document received: facture.pdf"


CLINIC = "960000001"  # Clinique Les Palmiers


def test_a_controller_s_question_on_a_pre_authorisation_reaches_the_clinic_s_software(
    served: Server,
):
    """A clinic's software asks for a pre-authorisation through the exchange; the
    controller asks a question on the request's page; the question reaches the clinic's
    endpoint as a CommunicationRequest (after the partner's two failures), and the
    clinic's answer on the same thread, text and file, puts the request back with the
    fund, its clock running."""
    key = _api_key(served, CLINIC)
    with Partner() as partner:
        fund = _partner_of(served, "clinique-1", CLINIC, partner)
        payload, _ = call(
            preauth_claim(PATIENT, CLINIC, identifier="served-pa-1"), "clinique-1", fund
        )
        sent = _send(served, key, "preauth/submit", payload)
        assert sent.status_code == 202, sent.text
        work(served, "--backoff", "0.2", "--interval", "0.1", "--deadline", "60")
        assert partner.calls[-1]["path"] == "/hcx/preauth/on_submit"
        number = entries(opened(partner.accepted[-1]))[0]["resource"]["id"]

        with served.pages("controller") as office:
            page = office.get(f"/office/preauthorisations/{number}").text
            asked = office.post(
                f"/office/preauthorisations/{number}",
                data={
                    "csrf_token": csrf_of(page),
                    "action": "ask_information",
                    "reason": "Le compte rendu d'imagerie",
                },
                follow_redirects=False,
            )
            assert asked.status_code == 303, asked.text[:500]
        work(served, "--backoff", "0.2", "--interval", "0.1", "--deadline", "60")
        assert partner.calls[-1]["path"] == "/hcx/communication/request"
        question = opened(partner.accepted[-1])
        assert question["resourceType"] == "CommunicationRequest"
        assert question["about"] == [{"reference": f"Claim/{number}"}]
        assert question["payload"] == [{"contentString": "Le compte rendu d'imagerie"}]
        thread = jwe.protected_header(partner.accepted[-1]["payload"])["x-hcx-correlation_id"]
        payload, answer_id = call(
            communication(None, {"contentString": "scanner joint"}, pdf("scanner.pdf")),
            "clinique-1",
            fund,
            **{"x-hcx-correlation_id": thread},
        )
        answered = _send(served, key, "communication/on_request", payload)
        assert answered.status_code == 202, answered.text
        work(served, "--deadline", "60")
        state = _read(served, key, f"/hcx/v1/cycles/{answer_id}")
        assert (state["status"], state["answer_status"]) == ("delivered", "response.complete")
        rest = _read(served, key, f"/api/v1/preauthorisations/{number}")
        assert rest["status"] == "submitted"
        assert [d["filename"] for d in rest["documents"]] == ["scanner.pdf"]
        assert any("scanner joint" in (e["reason"] or "") for e in rest["history"])
