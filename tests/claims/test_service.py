"""Status steps after adjudication: approval for payment, then paid; and the views."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from daman.adjudication.service import adjudicate_claims
from daman.claims import service
from daman.claims.builders import received
from daman.claims.models import Claim, ClaimStatusEvent
from daman.core.errors import Conflict
from tests.claims.support import NOT_REIMBURSABLE, act, cnss_insured, medicine, paper, provider

CARE = date(2024, 6, 3)


@pytest.fixture
def three(session):
    """An accepted claim, a rejected one (nothing to pay) and one left received."""
    doctor, pharmacy = provider(session), provider(session, kind="pharmacy")
    paid, refused, waiting = received(
        session,
        [
            paper(cnss_insured(session), [act(doctor, CARE, 15_000)]),
            paper(
                cnss_insured(session),
                [medicine(pharmacy, doctor, CARE, NOT_REIMBURSABLE, 2_800)],
            ),
            paper(cnss_insured(session), [act(doctor, CARE, 15_000)]),
        ],
    )
    adjudicate_claims(session, [paid.id, refused.id], "batch")
    return paid, refused, waiting


def test_approve_all_takes_only_adjudicated_claims_with_something_to_pay(session, three):
    paid, refused, waiting = three
    assert service.approve_all(session, "cli:agent", "daily run") >= 1
    statuses = dict(
        session.execute(
            select(Claim.id, Claim.status).where(Claim.id.in_([c.id for c in three]))
        ).all()
    )
    assert statuses == {paid.id: "approved", refused.id: "adjudicated", waiting.id: "received"}
    event = session.scalars(
        select(ClaimStatusEvent)
        .where(ClaimStatusEvent.claim_id == paid.id)
        .order_by(ClaimStatusEvent.id.desc())
    ).first()
    assert (event.from_status, event.to_status, event.by, event.reason) == (
        "adjudicated",
        "approved",
        "cli:agent",
        "daily run",
    )


def test_in_payment_needs_approved_claims_and_paid_needs_in_payment(session, three):
    paid, refused, _ = three
    with pytest.raises(Conflict):
        service.mark_in_payment(session, [paid.id], "payments")  # not approved yet
    service.approve(session, paid.number, "agent")
    with pytest.raises(Conflict):
        service.mark_paid(session, [paid.id], "payments")  # not in a batch yet
    assert service.mark_in_payment(session, [paid.id], "payments", "batch P-1") == 1
    assert service.get(session, paid.number).status == "in_payment"
    assert service.mark_paid(session, [paid.id], "payments", "file sent") == 1
    assert service.get(session, paid.number).status == "paid"
    with pytest.raises(Conflict):
        service.mark_in_payment(session, [refused.id], "payments")
