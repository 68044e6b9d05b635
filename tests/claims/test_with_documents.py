"""A care sheet and its documents in one request (multipart): the engine values the claim
with its documents, so a line that needs one is decided, not sent to review for want of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from daman.core.dates import today
from tests.claims.support import PDF, act, cnss_insured, electronic, provider, recent
from tests.served import Server, served_demo

URL = "/api/v1/claims/with-documents"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def crown(dentist, days: int = 3) -> dict:
    return act(
        dentist, recent(days), 50_000, key="DP", category="dental_prosthesis", coefficient="30"
    )


def test_a_prosthesis_sent_with_its_invoice_is_decided_at_once(client, session):
    dentist, patient = provider(session, kind="dentist"), cnss_insured(session)
    body = electronic(patient, [crown(dentist)])
    alone = client.post("/api/v1/claims", json=body).json()
    reasons = [r["code"] for r in alone["lines"][0]["decision"]["reasons"]]
    assert alone["status"] == "pending_review" and "missing_document" in reasons

    body = electronic(patient, [crown(dentist, days=10)])
    r = client.post(
        URL,
        data={"claim": json.dumps(body)},
        files=[
            ("files", ("facture.pdf", PDF, "application/pdf")),
            ("files", ("devis.png", PNG, "image/png")),
        ],
        headers={"Idempotency-Key": "dent-1"},
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["status"] == "adjudicated" and sent["lines"][0]["decision"]["status"] == "accepted"
    assert [d["filename"] for d in sent["documents"]] == ["facture.pdf", "devis.png"]
    assert [d["content_type"] for d in sent["documents"]] == ["application/pdf", "image/png"]

    again = client.post(
        URL,
        data={"claim": json.dumps(body)},
        files=[("files", ("facture.pdf", PDF, "application/pdf"))],
        headers={"Idempotency-Key": "dent-1"},
    )
    assert again.status_code == 200 and again.json()["number"] == sent["number"]
    assert len(again.json()["documents"]) == 2  # nothing attached twice


def test_bad_parts_are_refused_naming_the_field_and_nothing_is_stored(client, session):
    dentist, patient = provider(session, kind="dentist"), cnss_insured(session)
    good = json.dumps(electronic(patient, [crown(dentist)]))
    pdf = ("files", ("facture.pdf", PDF, "application/pdf"))
    before = client.get("/api/v1/claims", params={"patient": patient.immatriculation}).json()

    not_json = client.post(URL, data={"claim": "{"}, files=[pdf])
    assert not_json.status_code == 422
    assert not_json.json()["detail"][0]["field"].startswith("claim")

    bad_line = json.loads(good)
    bad_line["lines"][0]["charged_centimes"] = 0
    r = client.post(URL, data={"claim": json.dumps(bad_line)}, files=[pdf])
    assert r.status_code in (400, 422)
    assert any(d["field"].startswith(("claim.lines.0", "lines[0]")) for d in r.json()["detail"])

    text = ("files", ("notes.txt", b"not a scan", "text/plain"))
    r = client.post(URL, data={"claim": good}, files=[pdf, text])
    assert r.status_code == 400
    assert r.json()["detail"] == [
        {"field": "files[1]", "reason": "only PDF, JPEG or PNG documents are accepted"}
    ]
    after = client.get("/api/v1/claims", params={"patient": patient.immatriculation}).json()
    assert after["total"] == before["total"]  # the refused claim left nothing behind

    many = [("files", (f"p{n}.pdf", PDF + bytes([n]), "application/pdf")) for n in range(11)]
    r = client.post(URL, data={"claim": good}, files=many)
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "files"


# -- through the served app ------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served_demo(engine.dialect.name, tmp_path_factory.mktemp("documents")) as server:
        yield server


def test_the_pharmacy_sends_a_sheet_and_its_prescription_in_one_request(served: Server):
    """The demo pharmacy signs in, sends a medicine line with the scanned prescription, and
    reads the claim back at once with its document."""
    token = served.token("pharmacie")
    day = (today() - timedelta(days=1)).isoformat()
    sheet = {
        "patient": "DM0000000194",
        "lines": [
            {
                "category": "medicine",
                "care_date": day,
                "provider_inpe": "930000001",
                "drug_code": "6118990000017",
                "quantity": 1,
                "charged_centimes": 3200,
                "prescriber_inpe": "910000001",
                "prescription_date": day,
            }
        ],
    }
    with served.client(token) as c:
        r = c.post(
            "/claims/with-documents",
            data={"claim": json.dumps(sheet)},
            files=[("files", ("ordonnance.pdf", PDF, "application/pdf"))],
            headers={"Idempotency-Key": "pharma-served-1"},
        )
        assert r.status_code == 201, r.text
        number = r.json()["number"]
        got = c.get(f"/claims/{number}")
        assert got.status_code == 200
        assert [d["filename"] for d in got.json()["documents"]] == ["ordonnance.pdf"]
        assert got.json()["lines"][0]["decision"]["status"] == "accepted"
    assert served.errors_logged() == []
