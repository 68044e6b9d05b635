"""A claim waiting for a document, through the real served app (uvicorn in a subprocess,
the demo database and accounts, real credentials), on SQLite and PostgreSQL: the demo GP
sends a payable care sheet, the medical controller asks for a document on the claim's page,
approving it is refused (409 ``document_requested``) until the GP's document came and the
controller decided the claim again; then it is approved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from daman.core.dates import today
from tests.claims.support import PDF
from tests.served import Server, served_demo
from tests.web.test_agent_pages import csrf_of

PATIENT = "DM0000000194"  # Youssef Benali, covered
GP = "910000001"  # Dr Nadia Berrada, the demo account "docteur"
DOCUMENT = "le compte rendu de consultation"


@pytest.fixture(scope="module")
def served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served_demo(engine.dialect.name, tmp_path_factory.mktemp("awaiting")) as server:
        yield server


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def ask_for_a_document(server: Server, number: str) -> None:
    """The controller signs in on the office pages and asks for the document on the
    claim's page, as a person does."""
    with server.pages("controller") as office:
        page = office.get(f"/office/claims/{number}")
        assert page.status_code == 200, page.text[:500]
        asked = office.post(
            f"/office/claims/{number}/ask-document",
            data={"csrf_token": csrf_of(page.text), "document": DOCUMENT},
            follow_redirects=False,
        )
        assert asked.status_code == 303, asked.text[:500]
        assert asked.headers["location"] == f"/office/claims/{number}?done=asked"


def review_item(controller: httpx.Client, number: str) -> dict[str, Any]:
    """The claim's one open review item, from the review queue page by page."""
    found, offset = [], 0
    while True:
        page = ok(controller.get("/review-queue", params={"limit": 200, "offset": offset}))
        found += [i for i in page["items"] if i["claim_number"] == number]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            break
    assert len(found) == 1, found
    item: dict[str, Any] = found[0]
    return item


def test_a_claim_waiting_for_a_document_is_approved_once_it_came(served: Server) -> None:
    doctor = served.client(served.token("docteur"))
    controller = served.client(served.token("controller"))
    with doctor, controller:
        sheet = {
            "patient": PATIENT,
            "lines": [
                {
                    "category": "consultation",
                    "care_date": (today() - timedelta(days=2)).isoformat(),
                    "provider_inpe": GP,
                    "act_key": "C",
                    "charged_centimes": 20_000,
                }
            ],
        }
        sent = ok(doctor.post("/claims", json=sheet), 201)
        number = sent["number"]
        assert sent["status"] == "adjudicated", sent
        assert sent["lines"][0]["decision"]["status"] == "accepted"

        ask_for_a_document(served, number)
        refused = controller.post(f"/claims/{number}/approve", json={"reason": "ok"})
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "document_requested"
        assert DOCUMENT in refused.json()["detail"]
        assert ok(controller.get(f"/claims/{number}"))["status"] == "adjudicated"

        # The GP answers with the document: the request is answered, the claim back in review
        files = {"file": ("compte-rendu.pdf", PDF, "application/pdf")}
        ok(doctor.post(f"/claims/{number}/documents", files=files), 201)
        claim = ok(controller.get(f"/claims/{number}"))
        assert claim["status"] == "pending_review"
        assert claim["history"][-1]["reason"] == "document received: compte-rendu.pdf"
        item = review_item(controller, number)
        assert item["reasons"] == ["document_received"]
        decision = {"action": "accept", "reason": "compte rendu vu"}
        ok(controller.post(f"/review-queue/{item['id']}/decision", json=decision))
        assert ok(controller.get(f"/claims/{number}"))["status"] == "adjudicated"

        approved = ok(controller.post(f"/claims/{number}/approve", json={"reason": "ok"}))
        assert approved["status"] == "approved"
    assert served.errors_logged() == []
