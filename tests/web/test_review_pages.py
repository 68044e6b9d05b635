"""The controller's review pages, in process: the queue (least time left first, filters),
a line beside its documents, the decision with a catalogued reason; errors named per field
in the reader's language, nothing half-saved."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.adjudication.models import ReviewItem
from daman.auth.models import Role
from daman.claims.models import ClaimLine, LineStatus
from tests.claims.support import act, cnss_insured, electronic, keep_documents_in, provider, recent
from tests.web.signing import sign_in

SURGERY = 675_000  # K 300: above the review threshold, so it waits for a controller
SURGERY_AMO = 540_000


@pytest.fixture(autouse=True)
def _documents(tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)


@pytest.fixture
def pending(client: TestClient, session: Session) -> dict:
    doctor = provider(session)
    lines = [act(doctor, recent(), SURGERY, key="K", category="medical_act", coefficient="300")]
    body = client.post("/api/v1/claims", json=electronic(cnss_insured(session), lines)).json()
    assert body["status"] == "pending_review"
    return body


def signed_in(anonymous: TestClient, session: Session, role: Role = Role.CONTROLLER) -> str:
    return sign_in(anonymous, session, role)


def item_id(session: Session, number: str) -> int:
    item = next(i for i in session.query(ReviewItem) if i.claim.number == number)
    return item.id


def test_the_queue_lists_the_line_with_days_left_and_filters(anonymous, session, pending):
    signed_in(anonymous, session)
    page = anonymous.get("/office/review", headers={"Accept-Language": "fr"})
    assert page.status_code == 200 and pending["number"] in page.text
    assert "File de contrôle" in page.text  # French
    assert "<bdi>" in page.text
    other = anonymous.get("/office/review?category=optical")
    assert pending["number"] not in other.text
    same = anonymous.get("/office/review?category=medical_act")
    assert pending["number"] in same.text


def test_reducing_by_units_or_amount_and_the_errors_of_the_form(anonymous, session, pending):
    csrf = signed_in(anonymous, session)
    n = item_id(session, pending["number"])
    page = anonymous.get(f"/office/review/{n}")
    assert page.status_code == 200 and "K" in page.text
    # no action, no reason: both named, in French, and nothing changes
    bad = anonymous.post(f"/office/review/{n}", data={"csrf_token": csrf})
    assert bad.status_code == 400
    assert 'href="#action"' in bad.text and 'href="#reason"' in bad.text
    # a reduction above what was valued is refused
    too_much = anonymous.post(
        f"/office/review/{n}",
        data={"csrf_token": csrf, "action": "reduce", "reason": "above_usual", "amount": "9999"},
    )
    assert too_much.status_code == 400 and 'href="#amount"' in too_much.text
    line = session.get(ClaimLine, session.get(ReviewItem, n).line_id)
    session.refresh(line)
    assert line.status == LineStatus.PENDING_REVIEW
    # Eastern Arabic digits are read as 0-9: ١٢٠٠ MAD
    done = anonymous.post(
        f"/office/review/{n}",
        data={
            "csrf_token": csrf,
            "action": "reduce",
            "reason": "above_usual",
            "amount": "١٢٠٠",
            "note": "deux séances au lieu de trois",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.refresh(line)
    assert (line.status, line.amo_centimes) == (LineStatus.REDUCED, 120_000)
    item = session.get(ReviewItem, n)
    session.refresh(item)
    assert item.decided_by.startswith("controller:") and "deux séances" in (item.note or "")


def test_the_page_speaks_arabic_and_a_form_without_its_token_is_refused(
    anonymous, session, pending
):
    signed_in(anonymous, session)
    n = item_id(session, pending["number"])
    ar = anonymous.get(f"/office/review/{n}?lang=ar")
    assert 'dir="rtl"' in ar.text and "القرار" in ar.text
    r = anonymous.post(f"/office/review/{n}", data={"action": "accept", "reason": "other"})
    assert r.status_code == 403


def test_an_analyst_or_insured_person_cannot_open_the_queue(anonymous, session, pending):
    for role in (Role.ANALYST, Role.INSURED, Role.PROVIDER):
        signed_in(anonymous, session, role)
        assert anonymous.get("/office/review").status_code == 403


def test_units_reduce_in_proportion(anonymous, session, pending):
    csrf = signed_in(anonymous, session)
    n = item_id(session, pending["number"])
    line = session.get(ClaimLine, session.get(ReviewItem, n).line_id)
    assert line.allowed_quantity == 1
    # one unit of one allowed: not a reduction
    r = anonymous.post(
        f"/office/review/{n}",
        data={"csrf_token": csrf, "action": "reduce", "reason": "above_usual", "units": "1"},
    )
    assert r.status_code == 400 and re.search(r"moins que le montant", r.text)
    r = anonymous.post(
        f"/office/review/{n}",
        data={"csrf_token": csrf, "action": "reduce", "reason": "above_usual", "units": "0"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    session.refresh(line)
    assert (line.status, line.amo_centimes) == (LineStatus.REDUCED, 0)
