"""Versioned reference data beside tariffs and rates: complementary rates, ceilings, the
adjudication policy, ALD/ALC headings and agencies. A new version closes the one of the same
key the day before; a date before the version in force is refused; a refusal writes
nothing; every change is stamped with who made it, and the engine's cache sees it at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from daman.adjudication import context
from daman.core.errors import ValidationFailed
from daman.reference import cache, service
from daman.reference import repository as repo
from daman.reference.errors import VersionBeforeCurrent

ACTOR = "admin:test"
LATER = date(2031, 1, 1)


def terms(**changes: object) -> service.PolicyTerms:
    values: dict[str, object] = {
        "filing_deadline_days": 90,
        "late_policy": "penalty",
        "late_penalty_bp": 1000,
        "review_threshold_centimes": 500_000,
        "max_line_quantity": 100,
        "max_line_charged_centimes": 10_000_000,
        "max_claim_charged_centimes": 20_000_000,
        "document_categories": ["optical"],
        "continuous_categories": ["hospitalisation", "paramedical"],
        "continuous_ald_categories": ["medicine"],
    }
    return service.PolicyTerms(**(values | changes))  # type: ignore[arg-type]


def test_a_complementary_rate_version_closes_the_previous_one(session: Session):
    first = service.set_complementary_rate(
        session,
        mutual_code="MGPTT",
        category="dental",
        rate_bp=1500,
        valid_from=LATER,
        actor=ACTOR,
    )
    second = service.set_complementary_rate(
        session,
        mutual_code="MGPTT",
        category="dental",
        rate_bp=1800,
        valid_from=LATER + timedelta(days=10),
        actor=ACTOR,
        source="avenant",
    )
    assert first.valid_to == LATER + timedelta(days=9) and second.valid_to is None
    assert (first.updated_by, second.created_by) == (ACTOR, ACTOR)
    with pytest.raises(VersionBeforeCurrent) as refused:
        service.set_complementary_rate(
            session,
            mutual_code="MGPTT",
            category="dental",
            rate_bp=1,
            valid_from=LATER,
            actor=ACTOR,
        )
    assert refused.value.current_from == LATER + timedelta(days=10)
    with pytest.raises(ValidationFailed) as bad:
        service.set_complementary_rate(
            session,
            mutual_code="NOPE",
            category="dental",
            rate_bp=10_001,
            valid_from=LATER,
            actor=ACTOR,
        )
    assert {e.field for e in bad.value.detail} == {"mutual_code", "rate_bp"}  # type: ignore[union-attr]
    assert [
        r.rate_bp for r in repo.complementary_history(session, "MGPTT") if r.category == "dental"
    ] == [1500, 1800]


def test_a_ceiling_version_is_what_the_engine_reads_at_once(session: Session):
    before = cache.stamp(session)
    kept = cache.current(session).get(context.ceilings)
    ceiling = service.set_ceiling(
        session,
        category="optical",
        regime_code="CNOPS",
        max_base_centimes=120_000,
        max_quantity=None,
        period_days=730,
        valid_from=LATER,
        actor=ACTOR,
    )
    assert cache.stamp(session) != before
    seen = cache.current(session).get(context.ceilings)
    assert seen is not kept and seen.height == kept.height + 1
    again = service.set_ceiling(
        session,
        category="optical",
        regime_code="CNOPS",
        max_base_centimes=None,
        max_quantity=2,
        period_days=730,
        valid_from=LATER + timedelta(days=1),
        actor=ACTOR,
    )
    assert ceiling.valid_to == LATER and again.valid_to is None
    for wrong, field in (
        ({"max_base_centimes": None, "max_quantity": None}, "max_base_centimes"),
        ({"max_base_centimes": 0, "max_quantity": None}, "max_base_centimes"),
        ({"max_base_centimes": None, "max_quantity": 0}, "max_quantity"),
        ({"max_base_centimes": 1, "max_quantity": None, "period_days": 0}, "period_days"),
        ({"max_base_centimes": 1, "max_quantity": None, "regime_code": "NOPE"}, "regime_code"),
    ):
        values = {
            "category": "optical",
            "regime_code": "CNOPS",
            "period_days": 30,
            "valid_from": LATER + timedelta(days=5),
            "actor": ACTOR,
        } | wrong
        with pytest.raises(ValidationFailed) as bad:
            service.set_ceiling(session, **values)  # type: ignore[arg-type]
        assert field in {e.field for e in bad.value.detail}  # type: ignore[union-attr]
    assert again.valid_to is None  # nothing refused was written


def test_a_policy_version_from_a_date_is_the_one_of_claims_deposited_then(session: Session):
    current = repo.latest_policy(session)
    assert current is not None
    new = service.set_policy(session, terms(), valid_from=LATER, actor=ACTOR, source="note")
    assert current.valid_to == LATER - timedelta(days=1)
    rows = cache.current(session).get(repo.policies)
    assert repo.policy_on(rows, LATER).id == new.id  # type: ignore[union-attr]
    assert repo.policy_on(rows, LATER - timedelta(days=1)).id == current.id  # type: ignore[union-attr]
    assert new.continuous_categories == "hospitalisation,paramedical"
    with pytest.raises(VersionBeforeCurrent):
        service.set_policy(session, terms(), valid_from=LATER, actor=ACTOR)
    with pytest.raises(ValidationFailed) as bad:
        service.set_policy(
            session,
            terms(
                late_policy="forgive",
                max_claim_charged_centimes=1,
                document_categories=["teleportation"],
                filing_deadline_days=0,
            ),
            valid_from=LATER + timedelta(days=1),
            actor=ACTOR,
        )
    assert {e.field for e in bad.value.detail} == {  # type: ignore[union-attr]
        "late_policy",
        "max_claim_charged_centimes",
        "document_categories",
        "filing_deadline_days",
    }
    assert new.valid_to is None


def test_an_ald_heading_is_added_then_closed_from_a_date(session: Session):
    heading = service.AldHeading(code="ald77", kind="alc", name_fr="Test", number=77)
    stamp = cache.stamp(session)
    added = service.add_ald_heading(session, heading, valid_from=LATER, actor=ACTOR)
    assert added.code == "ALD77" and cache.stamp(session) != stamp
    assert "ALD77" in [d.code for d in service.ald_list(session, LATER)]
    with pytest.raises(ValidationFailed) as taken:
        service.add_ald_heading(session, heading, valid_from=LATER, actor=ACTOR)
    assert taken.value.detail[0].field == "code"  # type: ignore[index,union-attr]
    with pytest.raises(ValidationFailed):
        service.close_ald_heading(session, "ALD77", closed_from=LATER, actor=ACTOR)
    service.close_ald_heading(session, "ald77", closed_from=LATER + timedelta(days=30), actor=ACTOR)
    assert added.valid_to == LATER + timedelta(days=29) and added.updated_by == ACTOR
    assert "ALD77" not in [d.code for d in service.ald_list(session, LATER + timedelta(days=30))]
    with pytest.raises(ValidationFailed) as twice:
        service.close_ald_heading(
            session, "ALD77", closed_from=LATER + timedelta(days=60), actor=ACTOR
        )
    assert twice.value.detail[0].field == "closed_from"  # type: ignore[index,union-attr]


def test_an_agency_is_opened_then_closed_from_a_date(session: Session):
    new = service.NewAgency("ag-x1", "Agence X", "وكالة", "Taza", "Fès-Meknès")
    agency = service.open_agency(session, new, valid_from=LATER, actor=ACTOR)
    assert agency.code == "AG-X1" and agency.created_by == ACTOR
    with pytest.raises(ValidationFailed) as bad:
        service.open_agency(
            session, service.NewAgency("AG-X1", "", "", "", ""), valid_from=LATER, actor=ACTOR
        )
    fields = {e.field for e in bad.value.detail}  # type: ignore[union-attr]
    assert fields == {"code", "name_fr", "name_ar", "city", "region"}
    service.close_agency(session, "AG-X1", closed_from=LATER + timedelta(days=1), actor=ACTOR)
    assert agency.valid_to == LATER
    with pytest.raises(ValidationFailed):
        service.close_agency(session, "NOPE", closed_from=LATER, actor=ACTOR)
