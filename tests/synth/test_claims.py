"""Synthetic claims: stored `received`, numbered like intake, with the planted anomalies."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from daman.adjudication.service import value
from daman.claims.models import Claim, ClaimLine, ClaimStatusEvent
from daman.core.identifiers import current_value
from daman.reference.models import Drug
from daman.synth.bulk import BulkWriter
from daman.synth.claims import LINE_COLUMNS, TABLES, generate_claims
from daman.synth.service import generate
from tests.synth.conftest import AS_OF, stored

PER_DAY = 600


@pytest.fixture
def population(session):
    generate(session, persons=4_000, providers=120, seed=8, as_of=AS_OF)
    return session


def made(session, seed: int = 8, days: int = 1):
    return generate_claims(session, per_day=PER_DAY, days=days, seed=seed, until=AS_OF)


def test_claims_are_received_with_intake_numbers(population):
    session = population
    counter = current_value(session, "claim")
    result = made(session, days=2)
    assert result.claims == 2 * PER_DAY
    claims = session.scalars(select(Claim).where(Claim.id.in_(result.claim_ids))).all()
    numbers = sorted(c.number for c in claims)
    assert numbers == [f"F{n:010d}" for n in range(counter + 1, counter + 2 * PER_DAY + 1)]
    assert {c.status for c in claims} == {"received"}
    assert {c.deposit_date for c in claims} == {AS_OF - timedelta(days=1), AS_OF}
    lines = session.scalars(select(ClaimLine).where(ClaimLine.claim_id.in_(result.claim_ids)))
    by_claim: dict[int, list[ClaimLine]] = {}
    for line in lines:
        by_claim.setdefault(line.claim_id, []).append(line)
        assert line.care_date <= AS_OF and line.charged_centimes > 0
    for claim in claims:
        assert claim.charged_centimes == sum(ln.charged_centimes for ln in by_claim[claim.id])
        assert sorted(ln.line_no for ln in by_claim[claim.id]) == list(
            range(1, len(by_claim[claim.id]) + 1)
        )
        assert all(ln.care_date <= claim.deposit_date for ln in by_claim[claim.id])
    events = session.scalars(
        select(ClaimStatusEvent.claim_id).where(ClaimStatusEvent.claim_id.in_(result.claim_ids))
    ).all()
    assert sorted(events) == sorted(result.claim_ids)


def test_the_mix_holds_each_kind_and_anomaly(population):
    session = population
    result = made(session)
    for kind in ("consultation", "chronic", "lab", "imaging", "dental", "hospital"):
        assert result.kinds.get(kind, 0) > 0, kind
    for anomaly in ("ineligible", "duplicate", "over_ceiling"):
        assert 0 < result.kinds.get(anomaly, 0) < 0.06 * PER_DAY, anomaly
    rows = session.execute(
        select(Claim.deposit_date, ClaimLine.care_date, ClaimLine.act_key, ClaimLine.drug_code)
        .join(ClaimLine, ClaimLine.claim_id == Claim.id)
        .where(Claim.id.in_(result.claim_ids))
    ).all()
    late = {r for r in rows if (r.deposit_date - r.care_date).days > 60}
    assert 0 < len(late) < 0.1 * len(rows)
    keys = Counter(r.act_key for r in rows)
    assert {"B", "D", "HOSP_MED"} <= set(keys) and keys["C"] + keys["Cs"] > 0
    drugs = {r.drug_code for r in rows if r.drug_code}
    assert drugs and drugs <= set(session.scalars(select(Drug.code)))


def test_the_engine_catches_what_was_planted(population):
    session = population
    result = made(session)
    valued = value(session, result.claim_ids, "test")
    assert valued.claims == PER_DAY
    reasons: Counter[str] = Counter()
    for (codes,) in session.execute(
        select(ClaimLine.reasons).where(ClaimLine.claim_id.in_(result.claim_ids))
    ):
        reasons.update(codes or [])
    for code in ("ok", "late_filing", "duplicate", "not_eligible", "ceiling_reached"):
        assert reasons[code] > 0, code
    assert reasons["ok"] > 0.6 * sum(valued.line_statuses.values())


def test_same_seed_same_claims(population):
    session = population

    def rows(seed: int) -> list[tuple]:
        nested = session.begin_nested()
        first = BulkWriter(session).next_ids(TABLES)
        made(session, seed=seed)
        out = stored(session, "claim_lines", LINE_COLUMNS, first["claim_lines"])
        nested.rollback()
        return out

    assert rows(3) == rows(3)
    assert rows(3) != rows(4)


def test_numbers_are_f_and_ten_digits(population):
    result = made(population)
    number = population.scalar(select(Claim.number).where(Claim.id == result.claim_ids[0]))
    assert re.fullmatch(r"F[0-9]{10}", number)
