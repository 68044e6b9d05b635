"""The adjudication service: load context, call the engine, save everything in bulk."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, select

from daman.adjudication.models import ReviewItem
from daman.adjudication.service import adjudicate_claims
from daman.claims.builders import received
from daman.claims.models import ClaimLine, ClaimStatusEvent, LineDecision
from daman.core.errors import Conflict
from tests.claims.support import (
    GENERIC,
    PDF,
    act,
    cnss_insured,
    keep_documents_in,
    medicine,
    paper,
    provider,
)

CARE = date(2024, 6, 3)


@pytest.fixture(autouse=True)
def _documents(tmp_path, monkeypatch):
    keep_documents_in(tmp_path, monkeypatch)


@pytest.fixture
def doctor(session):
    return provider(session)


def gp(session, doctor, charged=15_000):
    return paper(cnss_insured(session), [act(doctor, CARE, charged)])


def test_values_received_claims_and_records_everything(session, doctor):
    pharmacy = provider(session, kind="pharmacy")
    patient = cnss_insured(session)
    claims = received(
        session,
        [
            paper(
                patient,
                [
                    act(doctor, CARE, 20_000),
                    medicine(pharmacy, doctor, CARE, GENERIC, 3_700, quantity=2),
                ],
            ),
            paper(
                patient,
                [act(doctor, CARE, 675_000, key="K", category="medical_act", coefficient="300")],
            ),
        ],
        actor="agent",
    )
    valued = adjudicate_claims(session, [c.id for c in claims], "batch:test")
    clean, big = valued
    assert (clean.status, clean.outcome, clean.regime_code) == (
        "adjudicated",
        "accepted",
        "CNSS_SAL",
    )
    # C 150.00 x 80 % = 120.00; 2 x 18.50 = 37.00 x 70 % = 25.90
    assert [ln.amo_centimes for ln in clean.lines] == [12_000, 2_590]
    assert (clean.charged_centimes, clean.base_centimes) == (23_700, 18_700)
    assert (clean.amo_centimes, clean.complementary_centimes) == (14_590, 0)
    assert clean.patient_centimes == 23_700 - 14_590
    assert clean.adjudicated_at is not None
    assert {ln.decided_by for ln in clean.lines} == {"batch:test"}

    # K 300 = 6,750.00 MAD: above the 5,000 MAD review threshold, waits for a controller
    line = big.lines[0]
    assert (big.status, big.outcome) == ("pending_review", None)
    assert (line.status, line.base_centimes, line.amo_centimes) == (
        "pending_review",
        675_000,
        540_000,
    )
    assert "above_review_threshold" in line.reasons
    assert big.amo_centimes == 0 and big.patient_centimes == 675_000  # not counted until decided
    item = session.scalars(select(ReviewItem).where(ReviewItem.claim_id == big.id)).one()
    assert (item.line_id, item.reasons, item.decided_at) == (
        line.id,
        ["above_review_threshold"],
        None,
    )

    trail = session.execute(
        select(LineDecision.line_id, LineDecision.source, LineDecision.amo_centimes)
        .where(LineDecision.claim_id.in_([clean.id, big.id]))
        .order_by(LineDecision.line_id)
    ).all()
    assert trail == [
        (clean.lines[0].id, "engine", 12_000),
        (clean.lines[1].id, "engine", 2_590),
        (line.id, "engine", 540_000),
    ]
    events = session.execute(
        select(ClaimStatusEvent.claim_id, ClaimStatusEvent.from_status, ClaimStatusEvent.to_status)
        .where(ClaimStatusEvent.claim_id.in_([clean.id, big.id]))
        .order_by(ClaimStatusEvent.id)
    ).all()
    assert events == [
        (clean.id, None, "received"),
        (big.id, None, "received"),
        (clean.id, "received", "adjudicated"),
        (big.id, "received", "pending_review"),
    ]


def test_a_claim_is_never_valued_twice(session, doctor):
    claim = received(session, [gp(session, doctor)])[0]
    adjudicate_claims(session, [claim.id], "first")
    with pytest.raises(Conflict) as caught:
        adjudicate_claims(session, [claim.id], "second")
    assert caught.value.code == "claim_not_received"
    decisions = session.scalar(
        select(func.count()).select_from(LineDecision).where(LineDecision.claim_id == claim.id)
    )
    assert decisions == 1


def test_a_line_that_needs_a_document_waits_for_it(session, doctor):
    from daman.claims.service import attach_document

    clinic = provider(session, kind="clinic")
    stay = act(clinic, CARE, 255_000, key="HOSP_MED", category="hospitalisation", quantity=3)
    without, with_doc = received(
        session, [paper(cnss_insured(session), [stay]), paper(cnss_insured(session), [stay])]
    )
    attach_document(session, with_doc, "facture.pdf", "application/pdf", PDF, "agent")
    waiting, clean = adjudicate_claims(session, [without.id, with_doc.id], "batch")
    assert waiting.status == "pending_review"
    assert waiting.lines[0].reasons == ["missing_document"]
    assert (clean.status, clean.outcome) == ("adjudicated", "accepted")


def test_context_is_loaded_in_a_fixed_number_of_queries(session, doctor):
    one = received(session, [gp(session, doctor)])
    many = received(session, [gp(session, doctor, 15_000 + i) for i in range(25)])

    def statements(claims) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        bind = session.connection()
        event.listen(bind, "before_cursor_execute", count)
        try:
            adjudicate_claims(session, [c.id for c in claims], "test")
        finally:
            event.remove(bind, "before_cursor_execute", count)
        return len(seen)

    assert statements(one) == statements(many)
    lines = session.scalars(
        select(ClaimLine.status).where(ClaimLine.claim_id.in_([c.id for c in many]))
    ).all()
    assert set(lines) == {"accepted"}
