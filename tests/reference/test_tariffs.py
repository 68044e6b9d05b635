"""TNR tariffs at a date of care, and versioned edits."""

from datetime import date

import pytest
from sqlalchemy import select

from daman.core.errors import ValidationFailed
from daman.reference import service
from daman.reference.errors import TariffNotFound, VersionBeforeCurrent
from daman.reference.models import ActTariff

CNSS = ("CNSS_SAL", "TNS", "TADAMON", "CHAMIL")


@pytest.mark.parametrize("regime", CNSS)
def test_cnss_convention_of_2020_01_13(session, regime):
    def c(on):
        return service.tariff_at(session, "C", regime, on).value_centimes

    assert c(date(2019, 12, 31)) == 8000
    assert c(date(2020, 1, 12)) == 8000
    assert c(date(2020, 1, 13)) == 15000
    assert c(date(2020, 2, 1)) == 15000
    assert service.tariff_at(session, "Cs", regime, date(2020, 2, 1)).value_centimes == 25000
    assert service.tariff_at(session, "Cs", regime, date(2019, 2, 1)).value_centimes == 15000


def test_cnops_stays_on_2006_values(session):
    for on in (date(2019, 12, 31), date(2020, 2, 1), date(2025, 1, 1)):
        tariff = service.tariff_at(session, "C", "CNOPS", on)
        assert tariff.value_centimes == 8000 and tariff.regime_code is None


def test_per_day_hospital_tariffs_only_for_cnss_from_2020(session):
    on = date(2021, 3, 3)
    assert service.tariff_at(session, "HOSP_MED", "CNSS_SAL", on).value_centimes == 85000
    assert service.tariff_at(session, "HOSP_ICU", "TADAMON", on).value_centimes == 150000
    assert service.tariff_at(session, "HOSP_REA", "CHAMIL", on).value_centimes == 250000
    assert service.tariff_at(session, "HOSP_MED", "CNSS_SAL", date(2019, 1, 1)) is None
    assert service.tariff_at(session, "HOSP_MED", "CNOPS", on) is None


def test_2006_letter_keys_and_categories(session):
    on = date(2015, 6, 1)
    expected = {
        "C": 8000,
        "Cs": 15000,
        "CNPSY": 19000,
        "V": 12000,
        "Vs": 19000,
        "CsC": 19000,
        "P": 110,
        "Z": 1000,
        "K": 2250,
        "AMM": 5000,
        "AMY": 5000,
        "AMO": 5000,
        "B": 110,
        "D": 1750,
        "DP": 1250,
    }
    for key, value in expected.items():
        assert service.tariff_at(session, key, None, on).value_centimes == value, key
    assert service.tariff_at(session, "K", None, on).category == "medical_act"
    assert service.tariff_at(session, "DP", None, on).category == "dental_prosthesis"
    assert service.tariff_at(session, "C", None, date(2005, 12, 31)) is None


def test_require_tariff_names_what_is_missing(session):
    with pytest.raises(TariffNotFound, match="no tariff for key 'XX' for regime CNOPS"):
        service.require_tariff(session, "XX", "CNOPS", date(2020, 1, 1))


def test_set_tariff_closes_the_previous_version_the_day_before(session):
    new = service.set_tariff(
        session,
        key="C",
        regime_code="CNSS_SAL",
        value_centimes=17500,
        valid_from=date(2026, 1, 1),
        actor="test:admin",
        source="test",
    )
    assert new.label == "Consultation (general practitioner)" and new.category == "consultation"
    assert new.created_by == "test:admin"
    history = session.scalars(
        select(ActTariff)
        .where(ActTariff.key == "C", ActTariff.regime_code == "CNSS_SAL")
        .order_by(ActTariff.valid_from)
    ).all()
    assert [(t.value_centimes, t.valid_from, t.valid_to) for t in history] == [
        (15000, date(2020, 1, 13), date(2025, 12, 31)),
        (17500, date(2026, 1, 1), None),
    ]
    assert history[0].updated_by == "test:admin"
    assert service.tariff_at(session, "C", "CNSS_SAL", date(2025, 12, 31)).value_centimes == 15000
    assert service.tariff_at(session, "C", "CNSS_SAL", date(2026, 1, 1)).value_centimes == 17500
    # the general row is untouched
    assert service.tariff_at(session, "C", "CNOPS", date(2026, 1, 1)).valid_to is None


def test_set_tariff_refuses_a_date_not_after_the_current_version(session):
    for start in (date(2020, 1, 13), date(2019, 1, 1)):
        with pytest.raises(VersionBeforeCurrent, match="valid from 2020-01-13"):
            service.set_tariff(
                session, key="C", regime_code="TNS", value_centimes=1, valid_from=start, actor="t"
            )


def test_set_tariff_validates_fields(session):
    with pytest.raises(ValidationFailed) as err:
        service.set_tariff(
            session,
            key="NEW",
            regime_code="NOPE",
            value_centimes=-1,
            valid_from=date(2026, 1, 1),
            actor="t",
        )
    fields = {e.field for e in err.value.detail}
    assert fields == {"regime_code", "value_centimes", "label", "category"}
    created = service.set_tariff(
        session,
        key="NEW",
        regime_code=None,
        value_centimes=100,
        valid_from=date(2026, 1, 1),
        actor="t",
        label="New key",
        category="lab",
    )
    assert service.tariff_at(session, "NEW", "CNOPS", date(2026, 2, 1)).id == created.id
