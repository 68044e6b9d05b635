"""AMO rates: resolved at the date of care, the specific row beating the general one."""

from datetime import date

import pytest

from daman.core.errors import ValidationFailed
from daman.reference import service
from daman.reference.errors import RateNotFound, VersionBeforeCurrent


def bp(session, regime, category, sector, exemption="none", on=date(2024, 6, 1), ald=None):
    return service.rate_at(session, regime, category, sector, exemption, on, ald).rate_bp


def test_rules_md_rates(session):
    for regime in ("CNOPS", "CNSS_SAL", "TNS", "TADAMON", "CHAMIL"):
        assert bp(session, regime, "medicine", "private") == 7000
        assert bp(session, regime, "consultation", "private") == 8000
        assert bp(session, regime, "hospitalisation", "private") == 9000
        assert bp(session, regime, "hospitalisation", "public") == 10000
        assert bp(session, regime, "device", None) == 10000
        assert bp(session, regime, "optical", "private") == 8000
        assert bp(session, regime, "lab", "private", "alc") == 10000
    assert bp(session, "CNOPS", "consultation", "private", "ald") == 10000
    assert bp(session, "CNSS_SAL", "consultation", "private", "ald") == 9000
    assert bp(session, "CNSS_SAL", "hospitalisation", "public", "ald") == 10000


def test_cnss_ambulatory_raise_of_2019(session):
    for category in ("consultation", "medical_act", "lab", "imaging", "dental", "paramedical"):
        assert bp(session, "CNSS_SAL", category, "private", on=date(2018, 12, 31)) == 7000
        assert bp(session, "CNSS_SAL", category, "private", on=date(2019, 1, 1)) == 8000
        assert bp(session, "CNOPS", category, "private", on=date(2018, 12, 31)) == 8000
    rate = service.rate_at(session, "TNS", "lab", None, "none", date(2019, 1, 1))
    assert "ASSUMPTION" in rate.source


def test_sector_specific_row_beats_the_any_sector_row(session):
    # TADAMON: free in public hospitals, CNSS basket in the private sector
    assert bp(session, "TADAMON", "medicine", "public") == 10000
    assert bp(session, "TADAMON", "medicine", "private") == 7000
    assert bp(session, "TADAMON", "medicine", None) == 7000
    public = service.rate_at(session, "TADAMON", "consultation", "public", "none", date(2024, 1, 1))
    assert public.sector == "public"
    assert bp(session, "CNSS_SAL", "medicine", "public") == 7000


def test_a_disease_row_beats_the_general_exemption_row(session):
    row = service.set_rate(
        session,
        regime_code="CNSS_SAL",
        category="medicine",
        sector=None,
        exemption="ald",
        ald_code="ALD09",
        rate_bp=9700,
        valid_from=date(2010, 1, 1),
        actor="test:admin",
    )
    assert row.ald_code == "ALD09"
    assert bp(session, "CNSS_SAL", "medicine", "private", "ald", ald="ALD09") == 9700
    assert bp(session, "CNSS_SAL", "medicine", "private", "ald", ald="ALD14") == 9000
    assert bp(session, "CNSS_SAL", "medicine", "private", "ald") == 9000
    assert (
        bp(session, "CNSS_SAL", "medicine", "private", "ald", date(2009, 12, 31), "ALD09") == 9000
    )


def test_no_rate_before_the_tables_start(session):
    assert service.rate_at(session, "CNOPS", "medicine", None, "none", date(2004, 12, 31)) is None
    with pytest.raises(RateNotFound, match="no rate for CNOPS / medicine"):
        service.require_rate(session, "CNOPS", "medicine", None, "none", date(2004, 12, 31))


def test_set_rate_versions_history(session):
    service.set_rate(
        session,
        regime_code="CNOPS",
        category="medicine",
        sector=None,
        exemption="none",
        rate_bp=7500,
        valid_from=date(2027, 1, 1),
        actor="t",
    )
    assert bp(session, "CNOPS", "medicine", None, on=date(2026, 12, 31)) == 7000
    assert bp(session, "CNOPS", "medicine", None, on=date(2027, 1, 1)) == 7500
    with pytest.raises(VersionBeforeCurrent):
        service.set_rate(
            session,
            regime_code="CNOPS",
            category="medicine",
            sector=None,
            exemption="none",
            rate_bp=7600,
            valid_from=date(2026, 6, 1),
            actor="t",
        )


def test_set_rate_validates_fields(session):
    with pytest.raises(ValidationFailed) as err:
        service.set_rate(
            session,
            regime_code="XX",
            category="massage",
            sector="moon",
            exemption="none",
            ald_code="ALD01",
            rate_bp=12000,
            valid_from=date(2027, 1, 1),
            actor="t",
        )
    assert {e.field for e in err.value.detail} == {
        "regime_code",
        "category",
        "sector",
        "rate_bp",
        "ald_code",
    }
    with pytest.raises(ValidationFailed, match="unknown ALD/ALC code ALD99"):
        service.set_rate(
            session,
            regime_code="CNOPS",
            category="medicine",
            sector=None,
            exemption="ald",
            ald_code="ALD99",
            rate_bp=10000,
            valid_from=date(2027, 1, 1),
            actor="t",
        )
