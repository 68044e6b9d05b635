"""The decision trail keeps to its lines without a foreign-key query per decision: a
decision must name a line of its own claim, and a line some decision names cannot be
deleted (checked once per statement on PostgreSQL, per row on SQLite; migration 0023)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from daman.claims.models import Claim, ClaimLine, LineDecision
from tests.claims.support import act, cnss_insured, electronic, provider, recent

AT = datetime(2026, 12, 1, tzinfo=UTC)


def _decision(line_id: int, claim_id: int) -> dict[str, object]:
    return {
        "line_id": line_id,
        "claim_id": claim_id,
        "source": "engine",
        "status": "accepted",
        "reference_centimes": 100,
        "base_centimes": 100,
        "rate_bp": 7000,
        "amo_centimes": 70,
        "complementary_centimes": 0,
        "patient_centimes": 30,
        "allowed_quantity": 1,
        "reasons": ["ok"],
        "decided_at": AT,
        "decided_by": "test",
        "note": "",
    }


def _refused(session: Session, statement: object, rows: object = None) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(statement, rows)  # type: ignore[arg-type]


def test_a_decision_names_a_line_of_its_claim(client, session):
    person = cnss_insured(session)
    doctor = provider(session)
    sent = client.post(
        "/api/v1/claims",
        json=electronic(person, [act(doctor, recent(), 20_000), act(doctor, recent(), 9_000)]),
    ).json()
    claim = session.scalars(select(Claim).where(Claim.number == sent["number"])).one()
    line, other = claim.lines
    trail = session.scalars(select(LineDecision).where(LineDecision.claim_id == claim.id)).all()
    assert {d.line_id for d in trail} == {line.id, other.id}  # the engine's, accepted

    rows = [_decision(line.id, claim.id), _decision(other.id, claim.id)]
    session.execute(insert(LineDecision), rows)  # a statement of several rows, all good
    _refused(session, insert(LineDecision), [_decision(line.id, claim.id + 1_000_000)])
    _refused(session, insert(LineDecision), [_decision(line.id + 1_000_000, claim.id)])
    _refused(session, insert(LineDecision), [*rows, _decision(-1, claim.id)])  # one bad row
    _refused(session, delete(ClaimLine).where(ClaimLine.id == line.id))
    assert session.get(ClaimLine, line.id) is not None
