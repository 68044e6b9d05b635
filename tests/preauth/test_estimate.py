"""What the fund expects to pay for planned care: the engine run on the planned lines as a
claim deposited on the planned start (the same rights, tariffs, rates, ALD exemptions and
rounding), without history, without the authorisation rule, documents in the file."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlalchemy.orm import Session

import daman.models  # noqa: F401 - every table
from daman.core.dates import today
from daman.core.db import Base
from daman.core.money import apply_rate
from daman.providers import builders as pb
from daman.registry import builders as rb
from tests.preauth.support import (
    API,
    DAY,
    PRIVATE_HOSPITAL_BP,
    World,
    hospital_days,
    stay,
    submit,
)

SESSIONS = {
    "category": "paramedical",
    "act_key": "AMM",
    "quantity": 10,
    "estimate_centimes": 80_000,
}


def expected(body: dict[str, Any], n: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = body["lines"][n]["expected"]
    return out


def codes(body: dict[str, Any], n: int = 0) -> list[str]:
    return [r["code"] for r in expected(body, n)["reasons"]]


def exempt(session: Session, w: World, start: int, end: int, code: str = "ALD09") -> None:
    """A granted exemption of the patient (its table, whichever package declares it)."""
    periods = Base.metadata.tables["ald_exemptions"]
    session.execute(
        insert(periods).values(
            person_id=w.patient.id,
            ald_code=code,
            valid_from=today() + timedelta(days=start),
            valid_to=today() + timedelta(days=end),
            reference="",
            note="",
            created_by="test",
            updated_by="test",
        )
    )


def test_a_public_hospital_stay_is_expected_at_100_percent(
    api: TestClient, session: Session, w: World
) -> None:
    hospital = pb.provider(session, kind="hospital", sector="public")
    body = submit(api, stay(w.patient, hospital))
    assert (expected(body)["base_centimes"], expected(body)["rate_bp"]) == (3 * DAY, 10000)
    assert expected(body)["amo_centimes"] == 3 * DAY
    assert body["totals"]["expected_patient_centimes"] == 300_000 - 3 * DAY


def test_care_linked_to_an_exempted_disease_is_expected_at_the_ald_rate_on_the_planned_start(
    api: TestClient, session: Session, w: World
) -> None:
    exempt(session, w, start=-10, end=10)
    linked = submit(api, stay(w.patient, w.clinic, ald_code="ALD09", lines=[SESSIONS]))
    assert (expected(linked)["rate_bp"], expected(linked)["amo_centimes"]) == (9000, 45_000)
    assert "ald_exemption_applied" in codes(linked)
    assert linked["ald_code"] == "ALD09"
    # the same care not linked to the disease: the ordinary ambulatory rate
    plain = submit(api, stay(w.patient, w.clinic, lines=[SESSIONS]))
    assert (expected(plain)["rate_bp"], expected(plain)["amo_centimes"]) == (8000, 40_000)
    # planned after the exemption ends: the ordinary rate, and the reason says why
    later = submit(
        api,
        stay(
            w.patient,
            w.clinic,
            ald_code="ALD09",
            start=today() + timedelta(days=11),
            lines=[SESSIONS],
        ),
    )
    assert expected(later)["rate_bp"] == 8000 and "ald_not_exempted" in codes(later)
    # planned on its last day: still exempted
    last = submit(
        api,
        stay(
            w.patient,
            w.clinic,
            ald_code="ALD09",
            start=today() + timedelta(days=10),
            lines=[SESSIONS],
        ),
    )
    assert expected(last)["rate_bp"] == 9000


def test_rights_are_those_of_the_planned_start(api: TestClient, session: Session, w: World) -> None:
    ended = rb.insured(
        session,
        regime="CNSS_SAL",
        valid_from=today() - timedelta(days=400),
        valid_to=today() - timedelta(days=30),
    )
    body = submit(api, stay(ended, w.clinic))
    assert body["rights"] == {
        "covered": False,
        "reason": "rights_not_open",
        "regime_code": "CNSS_SAL",
    }
    assert "not_eligible" in codes(body) and expected(body)["amo_centimes"] == 0


def test_the_planned_lines_are_not_checked_for_documents_history_or_an_authorisation(
    api: TestClient, w: World
) -> None:
    """Hospitalisation needs a document and an authorisation on a claim; planned lines are
    what is being authorised, with their documents in the request's file, and an earlier
    identical request is not a duplicate."""
    first = submit(api, stay(w.patient, w.clinic))
    second = submit(api, stay(w.patient, w.clinic))
    for body in (first, second):
        assert codes(body) == ["ok", "above_reference"]
        assert expected(body)["amo_centimes"] == 229_500


def test_a_line_under_the_tariff_is_expected_on_what_is_charged(api: TestClient, w: World) -> None:
    body = submit(api, stay(w.patient, w.clinic, lines=[hospital_days(2, charged_a_day=500_00)]))
    assert expected(body)["base_centimes"] == 100_000
    assert codes(body) == ["ok"]


def test_an_unknown_tariff_for_the_regime_is_named(api: TestClient, session: Session) -> None:
    """HOSP_MED is a CNSS day tariff: for a CNOPS member there is none, and the line is
    expected at nothing, with the reason."""
    from tests.claims.support import cnops_insured

    patient = cnops_insured(session)
    clinic = pb.provider(session, kind="clinic", sector="private")
    body = submit(api, stay(patient, clinic))
    assert body["rights"]["regime_code"] == "CNOPS"
    assert codes(body) == ["unknown_tariff"] and expected(body)["amo_centimes"] == 0


def test_the_explanations_follow_the_language_asked(api: TestClient, w: World) -> None:
    for language, word in (("en", "accepted"), ("fr", "acceptée"), ("ar", "")):
        r = api.post(
            f"{API}/preauthorisations",
            json=stay(w.patient, w.clinic),
            headers={"Accept-Language": language},
        )
        text = r.json()["lines"][0]["expected"]["reasons"][0]["text"]
        assert word in text and "2295.00" in text


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(days=st.integers(1, 60), a_day=st.integers(1, 5_000_00))
def test_a_stay_is_expected_at_the_tariff_or_less_at_90_percent(
    api: TestClient, w: World, days: int, a_day: int
) -> None:
    """Whatever the length and the price a day: base = min(charged, 850.00 a day), AMO =
    90 % of the base rounded half up, the patient pays the rest of the estimate."""
    body = submit(api, stay(w.patient, w.clinic, lines=[hospital_days(days, a_day)]))
    base = min(days * a_day, days * DAY)
    amo = apply_rate(base, PRIVATE_HOSPITAL_BP)
    assert (expected(body)["base_centimes"], expected(body)["amo_centimes"]) == (base, amo)
    assert expected(body)["patient_centimes"] == days * a_day - amo
    assert body["totals"] == body["totals"] | {
        "estimate_centimes": days * a_day,
        "expected_amo_centimes": amo,
        "expected_patient_centimes": days * a_day - amo,
    }
