"""The default reference data: complete, sourced and loaded idempotently."""

from datetime import date

from sqlalchemy import func, select

from daman.core.enums import CareCategory, Exemption, RegimeCode, Sector
from daman.reference import service
from daman.reference.models import (
    ActTariff,
    AldDisease,
    ComplementaryRate,
    CoverageRate,
    Drug,
    DrugPrice,
    ImportRun,
    Mutual,
    Regime,
    RightsRule,
)
from daman.reference.seed import load_defaults

TABLES = [
    Regime,
    RightsRule,
    Mutual,
    CoverageRate,
    ComplementaryRate,
    ActTariff,
    AldDisease,
    Drug,
    DrugPrice,
    ImportRun,
]


def _counts(session):
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def test_second_load_adds_and_changes_nothing(session):
    before = _counts(session)
    stamps = session.execute(select(CoverageRate.id, CoverageRate.updated_at)).all()
    added = load_defaults(session)
    assert set(added.values()) == {0}
    assert _counts(session) == before
    assert session.execute(select(CoverageRate.id, CoverageRate.updated_at)).all() == stamps


def test_seed_keeps_what_an_administrator_changed(session):
    regime = session.get(Regime, "TNS")
    regime.name = "Travailleurs indépendants"
    session.flush()
    load_defaults(session)
    assert session.get(Regime, "TNS").name == "Travailleurs indépendants"


def test_seeded_counts(session):
    counts = _counts(session)
    assert counts["regimes"] == 5
    assert counts["rights_rules"] == 5
    assert counts["ald_diseases"] == 36
    assert counts["drugs"] == 30
    assert counts["mutuals"] >= 3


def test_regimes_and_rights_rules(session):
    assert {r.code for r in session.scalars(select(Regime))} == {c.value for c in RegimeCode}
    rules = {r.regime_code: r for r in session.scalars(select(RightsRule))}
    sal = rules["CNSS_SAL"]
    assert (sal.opening_days, sal.opening_window_months) == (54, 6)
    assert rules["TADAMON"].rsu_max == "9.3264284"
    assert rules["CHAMIL"].needs_paid_contribution and rules["CHAMIL"].waiting_months == 3
    assert rules["CHAMIL"].confidence == "L"
    assert rules["TNS"].confidence == "assumption" and "ASSUMPTION" in rules["TNS"].source
    for rule in rules.values():
        assert rule.valid_from == date(2005, 1, 1)
        assert (rule.maintain_job_loss_months, rule.maintain_divorce_months) == (6, 12)
        assert (rule.maintain_survivor_months, rule.child_max_age, rule.student_max_age) == (
            24,
            21,
            26,
        )
        assert rule.ald_keeps_rights


def test_every_regime_category_sector_exemption_has_a_rate(session):
    for on in (date(2010, 5, 1), date(2025, 5, 1)):
        for regime in RegimeCode:
            for category in CareCategory:
                for sector in Sector:
                    for exemption in Exemption:
                        rate = service.rate_at(session, regime, category, sector, exemption, on)
                        assert rate is not None, (regime, category, sector, exemption, on)
                        assert rate.source


def test_assumptions_are_labelled(session):
    rows = session.scalars(select(CoverageRate).where(CoverageRate.confidence == "assumption"))
    assert all("ASSUMPTION" in r.source for r in rows)
    b = service.tariff_at(session, "B", None, date(2024, 1, 1))
    assert b.value_centimes == 110 and b.confidence == "assumption"


def test_complementary_cover(session):
    rates = {
        (c.mutual_code, c.category): c.rate_bp for c in session.scalars(select(ComplementaryRate))
    }
    assert rates[(None, "medicine")] == 1600
    for category in ("optical", "lab", "dental_prosthesis", "medical_act"):
        assert rates[(None, category)] == 2000
    assert {"MGPAP", "OMFAM", "MGEN"} <= {m.code for m in session.scalars(select(Mutual))}


def test_ald_list_holds_only_the_36_sourced_headings(session):
    headings = service.ald_list(session, date(2024, 1, 1))
    assert [h.number for h in headings] == list(range(1, 37))
    assert headings[8].code == "ALD09" and headings[8].icd10 == "E10-E14"
    assert all("2518-05" in h.source and "mapped, not sourced" in h.source for h in headings)


def test_demo_drug_list(session):
    demo = session.scalars(select(Drug).where(Drug.code.startswith("611899"))).all()
    assert len(demo) == 30
    prices = {d.code: service.drug_price_at(session, d.code, date(2010, 1, 1)) for d in demo}
    assert all(p is not None for p in prices.values())
    brands_below = [d for d, p in prices.values() if p.base_centimes < p.ppv_centimes]
    assert brands_below and all(d.princeps_generique == "P" for d in brands_below)
    assert any(p.rate_bp == 0 for _, p in prices.values())
    assert any(p.ppv_centimes == 0 for _, p in prices.values())
    assert any(d.dosage_unit == "µG" for d, _ in prices.values())
    assert {"INSULINE HUMAINE", "METFORMINE", "AMLODIPINE"} <= {d.dci for d, _ in prices.values()}
