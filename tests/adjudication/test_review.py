"""The review queue: lines the engine cannot decide with confidence wait for a controller,
who accepts, reduces or rejects them with a reason; the claim is then re-valued."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from daman.claims.models import Claim, ClaimLine, LineDecision
from tests.claims.support import (
    PDF,
    act,
    cnss_insured,
    electronic,
    keep_documents_in,
    provider,
    recent,
)


@pytest.fixture(autouse=True)
def _documents(tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)


# K 300 = 6,750.00 MAD (above the 5,000 MAD threshold); rate 80 % -> 5,400.00 MAD
SURGERY = 675_000
SURGERY_AMO = 540_000


@pytest.fixture
def claim(client, session):
    doctor = provider(session)
    lines = [
        act(doctor, recent(), 20_000),
        act(doctor, recent(), SURGERY, key="K", category="medical_act", coefficient="300"),
    ]
    body = client.post("/api/v1/claims", json=electronic(cnss_insured(session), lines)).json()
    assert body["status"] == "pending_review"
    return body


def queue(client, **params):
    r = client.get("/api/v1/review-queue", params=params, headers={"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    return r.json()


def item_of(client, claim):
    items = [i for i in queue(client)["items"] if i["claim_number"] == claim["number"]]
    assert len(items) == 1
    return items[0]


def decide(client, item_id, who="dr-controle", **body):
    return client.post(
        f"/api/v1/review-queue/{item_id}/decision",
        json=body,
        headers={"X-Daman-Actor": who, "Accept-Language": "en"},
    )


def test_the_queue_shows_the_line_its_explanation_and_the_documents(client, claim):
    client.post(
        f"/api/v1/claims/{claim['number']}/documents",
        files={"file": ("cr.pdf", PDF, "application/pdf")},
    )
    item = item_of(client, claim)
    assert item["reasons"] == ["above_review_threshold"]
    assert item["explanations"] == ["High amount: the line is checked before payment."]
    assert item["line"]["line_no"] == 2
    assert item["line"]["decision"]["status"] == "pending_review"
    assert item["line"]["decision"]["amo_centimes"] == SURGERY_AMO
    texts = [r["text"] for r in item["line"]["decision"]["reasons"]]
    assert texts == [
        "Base of 6750.00 MAD, above the threshold of 5000.00 MAD: a controller checks the line "
        "before payment."
    ]
    assert [d["filename"] for d in item["documents"]] == ["cr.pdf"]
    # while the line waits, the claim counts only what is decided
    assert claim["totals"]["amo_centimes"] == 12_000


def test_accept_pays_the_line_as_valued_and_closes_the_claim(client, claim):
    item = item_of(client, claim)
    r = decide(client, item["id"], action="accept", reason="operative report checked")
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["action"], done["decided_by"], done["note"]) == (
        "accept",
        "user:dr-controle",
        "operative report checked",
    )
    body = client.get(f"/api/v1/claims/{claim['number']}", headers={"Accept-Language": "en"}).json()
    assert (body["status"], body["outcome"]) == ("adjudicated", "accepted")
    assert body["totals"]["amo_centimes"] == 12_000 + SURGERY_AMO
    assert body["totals"]["patient_centimes"] == 20_000 + SURGERY - 12_000 - SURGERY_AMO
    line = body["lines"][1]["decision"]
    assert (line["status"], line["amo_centimes"]) == ("accepted", SURGERY_AMO)
    assert line["reasons"][0] == {
        "code": "review_accepted",
        "severity": "info",
        "text": "Line accepted after review: operative report checked",
    }
    assert body["history"][-1]["from_status"] == "pending_review"
    assert body["history"][-1]["by"] == "user:dr-controle"
    assert all(i["claim_number"] != claim["number"] for i in queue(client)["items"])


def test_reduce_pays_the_amount_given(client, claim, session):
    item = item_of(client, claim)
    too_much = decide(client, item["id"], action="reduce", reason="x", amo_centimes=SURGERY_AMO)
    assert too_much.status_code == 400
    assert too_much.json()["detail"][0]["field"] == "amo_centimes"
    r = decide(client, item["id"], action="reduce", reason="K 200 justified", amo_centimes=360_000)
    assert r.status_code == 200
    body = client.get(f"/api/v1/claims/{claim['number']}", headers={"Accept-Language": "fr"}).json()
    line = body["lines"][1]["decision"]
    assert (line["status"], line["amo_centimes"], line["patient_centimes"]) == (
        "reduced",
        360_000,
        SURGERY - 360_000,
    )
    assert line["reasons"][0]["text"] == (
        "Remboursement AMO réduit à 3600.00 MAD après contrôle : K 200 justified"
    )
    assert (body["outcome"], body["totals"]["amo_centimes"]) == ("partly_accepted", 372_000)
    line_id = session.scalar(
        select(ClaimLine.id)
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .where(Claim.number == claim["number"], ClaimLine.line_no == 2)
    )
    trail = session.execute(
        select(LineDecision.source, LineDecision.status, LineDecision.decided_by, LineDecision.note)
        .where(LineDecision.line_id == line_id)
        .order_by(LineDecision.id)
    ).all()
    assert trail == [
        ("engine", "pending_review", "user:tester", ""),
        ("review", "reduced", "user:dr-controle", "K 200 justified"),
    ]


def test_reject_leaves_everything_to_the_patient(client, claim):
    item = item_of(client, claim)
    with_amount = decide(client, item["id"], action="reject", reason="x", amo_centimes=1)
    assert with_amount.status_code == 400
    assert (
        decide(client, item["id"], action="reject", reason="not medically justified").status_code
        == 200
    )
    body = client.get(f"/api/v1/claims/{claim['number']}").json()
    line = body["lines"][1]["decision"]
    assert (line["status"], line["base_centimes"], line["amo_centimes"]) == ("rejected", 0, 0)
    assert line["patient_centimes"] == SURGERY
    assert [r["code"] for r in line["reasons"]] == ["review_rejected"]
    assert (body["status"], body["outcome"]) == ("adjudicated", "partly_accepted")
    assert body["totals"]["amo_centimes"] == 12_000


def test_an_item_is_decided_once(client, claim):
    item = item_of(client, claim)
    assert decide(client, item["id"], action="accept", reason="ok").status_code == 200
    again = decide(client, item["id"], who="other", action="reject", reason="no")
    assert again.status_code == 409
    assert again.json()["error"] == "review_already_decided"
    assert decide(client, 999_999, action="accept", reason="ok").status_code == 404


def test_a_claim_stays_pending_until_every_line_is_decided(client, session):
    doctor = provider(session)
    big = act(doctor, recent(), SURGERY, key="K", category="medical_act", coefficient="300")
    later = act(doctor, recent(2), SURGERY, key="K", category="medical_act", coefficient="300")
    body = client.post("/api/v1/claims", json=electronic(cnss_insured(session), [big, later]))
    body = body.json()
    items = [i for i in queue(client)["items"] if i["claim_number"] == body["number"]]
    assert len(items) == 2
    decide(client, items[0]["id"], action="accept", reason="ok")
    middle = client.get(f"/api/v1/claims/{body['number']}").json()
    assert middle["status"] == "pending_review"
    assert middle["totals"]["amo_centimes"] == SURGERY_AMO
    decide(client, items[1]["id"], action="reject", reason="billed twice")
    final = client.get(f"/api/v1/claims/{body['number']}").json()
    assert (final["status"], final["outcome"]) == ("adjudicated", "partly_accepted")


def test_a_claim_above_the_threshold_sent_twice_is_a_duplicate_while_the_first_waits(
    client, session
):
    """A line waiting for review counts for duplicates: the same surgery sent again while
    the first waits is rejected as a duplicate; once a reviewer rejects the first, a third
    sending is valued again (the rejected line no longer counts)."""
    doctor, patient = provider(session), cnss_insured(session)
    big = act(doctor, recent(), SURGERY, key="K", category="medical_act", coefficient="300")
    first = client.post("/api/v1/claims", json=electronic(patient, [big])).json()
    assert first["lines"][0]["decision"]["status"] == "pending_review"
    second = client.post("/api/v1/claims", json=electronic(patient, [big])).json()
    codes = [r["code"] for r in second["lines"][0]["decision"]["reasons"]]
    assert (second["lines"][0]["decision"]["status"], codes) == ("rejected", ["duplicate"])
    (item,) = [i for i in queue(client)["items"] if i["claim_number"] == first["number"]]
    decide(client, item["id"], action="reject", reason="not performed")
    third = client.post("/api/v1/claims", json=electronic(patient, [big])).json()
    assert third["lines"][0]["decision"]["status"] == "pending_review"


def test_two_prostheses_the_first_in_review_stay_within_the_ceiling_once_both_accepted(
    client, session
):
    """Dental prosthesis: 3,000.00 MAD of base per 2 years. The first claim waits for its
    document (review) and holds 2,500.00; the second, valued meanwhile, gets the 500.00 left;
    both accepted, the patient's total base is the ceiling, not 5,000.00."""
    dentist, patient = provider(session, kind="dentist"), cnss_insured(session)
    crown = act(
        dentist, recent(), 260_000, key="DP", category="dental_prosthesis", coefficient="200"
    )
    again = act(
        dentist, recent(2), 260_000, key="DP", category="dental_prosthesis", coefficient="200"
    )
    first = client.post("/api/v1/claims", json=electronic(patient, [crown])).json()
    second = client.post("/api/v1/claims", json=electronic(patient, [again])).json()
    bases = []
    for claim in (first, second):
        for item in [i for i in queue(client)["items"] if i["claim_number"] == claim["number"]]:
            decide(client, item["id"], action="accept", reason="document seen")
        got = client.get(f"/api/v1/claims/{claim['number']}").json()
        bases.append(got["lines"][0]["decision"]["base_centimes"])
    assert bases == [250_000, 50_000]
    assert sum(bases) == 300_000


def test_assign_and_paging(client, claim):
    item = item_of(client, claim)
    r = client.post(f"/api/v1/review-queue/{item['id']}/assign", headers={"X-Daman-Actor": "nadia"})
    assert r.status_code == 200
    assert r.json()["assigned_to"] == "user:nadia"
    page = queue(client, limit=1, offset=0)
    assert page["limit"] == 1 and len(page["items"]) == 1 and page["total"] >= 1
