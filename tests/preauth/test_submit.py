"""Asking for a pre-authorisation: what is stored and valued, the first status event, and
every refusal at the door naming its field and reason (nothing stored then)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.core.dates import today
from daman.preauth.models import PreauthRequest
from daman.providers import builders as pb
from tests.preauth.support import (
    API,
    DAY,
    EMAIL,
    PRIVATE_HOSPITAL_BP,
    Clock,
    World,
    events,
    fields,
    hospital_days,
    instant,
    outbox,
    row,
    stay,
    submit,
)


def stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PreauthRequest)) or 0


def test_a_request_is_stored_valued_and_its_clock_started(
    api: TestClient, session: Session, w: World, clock: Clock
) -> None:
    body = submit(api, stay(w.patient, w.clinic))
    number = body["number"]
    assert number.startswith("PA") and len(number) == 10 and number[2:].isdigit()
    assert (body["status"], body["patient"], body["provider_inpe"]) == (
        "submitted",
        w.patient.immatriculation,
        w.clinic.inpe,
    )
    assert body["provider_name"] == "Clinique Palmiers"
    assert body["rights"] == {
        "covered": True,
        "reason": "covered_principal",
        "regime_code": "CNSS_SAL",
    }
    [line] = body["lines"]
    expected = line["expected"]
    # base min(3 x 1000.00, 3 x 850.00) = 2550.00; private hospitalisation 90 %
    assert (expected["reference_centimes"], expected["base_centimes"]) == (DAY, 3 * DAY)
    assert (expected["rate_bp"], expected["amo_centimes"]) == (PRIVATE_HOSPITAL_BP, 229_500)
    assert expected["patient_centimes"] == 300_000 - 229_500
    assert [r["code"] for r in expected["reasons"]] == ["ok", "above_reference"]
    assert line["agreed_quantity"] is None and line["agreed_amo_centimes"] is None
    assert body["totals"] == {
        "estimate_centimes": 300_000,
        "expected_amo_centimes": 229_500,
        "expected_patient_centimes": 70_500,
        "agreed_amo_centimes": 0,
        "agreed_patient_centimes": 0,
    }
    assert body["clock"] == {
        "limit_hours": 48,
        "elapsed_seconds": 0,
        "left_seconds": 48 * 3600,
        "due_at": body["clock"]["due_at"],
        "paused": False,
        "answered": False,
        "overdue": False,
    }
    stored_row = row(session, number)
    assert instant(stored_row.submitted_at) == clock.at
    assert instant(stored_row.due_at) == clock.at + timedelta(hours=48)
    assert (stored_row.created_by, stored_row.updated_by) == ("test", "test")
    assert (stored_row.valid_from, stored_row.valid_to, stored_row.decided_by) == (None, None, None)
    # the first status event: from nothing, by the requester, at submission
    [event] = events(session, number)
    assert (event.from_status, event.to_status, event.by) == (None, "submitted", "test")
    assert instant(event.at) == clock.at
    assert event.reason == "requested; answer due within 48 h"
    assert body["history"] == [
        {
            "from_status": None,
            "to_status": "submitted",
            "at": body["history"][0]["at"],
            "by": "test",
            "reason": "requested; answer due within 48 h",
        }
    ]
    assert outbox(session, number) == []  # the requester is told of answers, not of asking


def test_the_requester_is_the_actor_of_the_request(
    client: TestClient, session: Session, w: World
) -> None:
    r = client.post(
        f"{API}/preauthorisations",
        json=stay(w.patient, w.clinic),
        headers={"X-Daman-Actor": "nadia"},
    )
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert row(session, number).created_by == "user:nadia"
    assert [e.by for e in events(session, number)] == ["user:nadia"]


def test_numbers_follow_one_another_and_the_list_is_newest_first(api: TestClient, w: World) -> None:
    first = submit(api, stay(w.patient, w.clinic))["number"]
    second = submit(api, stay(w.patient, w.clinic, days=2))["number"]
    assert int(second[2:]) == int(first[2:]) + 1
    listed = api.get(f"{API}/preauthorisations").json()
    numbers = [i["number"] for i in listed["items"]]
    assert numbers.index(second) < numbers.index(first)
    by_patient = api.get(
        f"{API}/preauthorisations", params={"patient": w.patient.immatriculation}
    ).json()
    assert by_patient["total"] == 2
    nobody = api.get(f"{API}/preauthorisations", params={"patient": "DM0000000000"}).json()
    assert nobody == {"items": [], "total": 0, "limit": nobody["limit"], "offset": 0}
    waiting = api.get(f"{API}/preauthorisations", params={"status": "agreed"}).json()
    assert waiting["total"] == 0


def test_several_lines_are_valued_each_by_its_own_rule(api: TestClient, w: World) -> None:
    lines = [
        hospital_days(3),
        {"category": "paramedical", "act_key": "AMM", "quantity": 10, "estimate_centimes": 80_000},
        {"category": "device", "act_key": "DEV_HEARING", "estimate_centimes": 600_000},
        {"category": "hospitalisation", "quantity": 1, "estimate_centimes": 50_000},
    ]
    body = submit(api, stay(w.patient, w.clinic, lines=lines))
    got = [
        (
            ln["line_no"],
            ln["expected"]["base_centimes"],
            ln["expected"]["rate_bp"],
            ln["expected"]["amo_centimes"],
            ln["expected"]["patient_centimes"],
        )
        for ln in body["lines"]
    ]
    assert got == [
        (1, 255_000, 9000, 229_500, 70_500),  # 3 days at 850.00, 90 %
        (2, 50_000, 8000, 40_000, 40_000),  # 10 sessions at AMM 50.00, ambulatory 80 %
        (3, 400_000, 10000, 400_000, 200_000),  # the flat rate of 4000.00, devices 100 %
        (4, 0, 9000, 0, 50_000),  # no tariff: nothing expected, the controller decides
    ]
    assert [r["code"] for r in body["lines"][3]["expected"]["reasons"]] == ["no_reference_price"]
    assert body["totals"]["estimate_centimes"] == 300_000 + 80_000 + 600_000 + 50_000
    assert body["totals"]["expected_amo_centimes"] == 229_500 + 40_000 + 400_000
    assert body["totals"]["expected_patient_centimes"] == 70_500 + 40_000 + 200_000 + 50_000


def test_a_key_with_a_coefficient_is_valued_and_shown_as_given(api: TestClient, w: World) -> None:
    line = {
        "category": "hospitalisation",
        "act_key": "K",
        "coefficient": "50.5",
        "estimate_centimes": 200_000,
    }
    body = submit(api, stay(w.patient, w.clinic, lines=[line]))
    [out] = body["lines"]
    assert out["coefficient"] == "50.5"
    # K 22.50 x 50.5 = 1136.25, under the 2000.00 estimated
    assert out["expected"]["base_centimes"] == 113_625


def test_an_uncovered_patient_may_ask_and_the_rights_say_why(
    api: TestClient, session: Session, w: World
) -> None:
    from tests.claims.support import cnss_insured

    newcomer = cnss_insured(session, since=today().replace(day=1))  # in the waiting months
    body = submit(api, stay(newcomer, w.clinic))
    assert body["rights"]["covered"] is False and body["rights"]["reason"] != "covered_principal"
    assert body["totals"]["expected_amo_centimes"] == 0
    assert body["totals"]["expected_patient_centimes"] == 300_000


def test_the_planned_end_may_be_the_start_or_none(api: TestClient, w: World) -> None:
    one_day = stay(w.patient, w.clinic, days=1)
    assert one_day["planned_end"] == one_day["planned_start"]
    assert submit(api, one_day)["planned_end"] == one_day["planned_start"]
    open_ended = stay(w.patient, w.clinic) | {"planned_end": None}
    assert submit(api, open_ended)["planned_end"] is None


def test_the_quantity_and_coefficient_bounds_are_accepted(api: TestClient, w: World) -> None:
    for quantity in (1, 999):
        line = hospital_days(quantity, charged_a_day=100)
        assert submit(api, stay(w.patient, w.clinic, lines=[line]))["lines"][0]["quantity"] == (
            quantity
        )
    for coefficient in ("0.001", "9999.999"):
        line = {"category": "hospitalisation", "act_key": "K", "coefficient": coefficient}
        body = submit(api, stay(w.patient, w.clinic, lines=[line | {"estimate_centimes": 100_000}]))
        assert body["lines"][0]["coefficient"] == coefficient


def _with_line(**change: Any) -> Any:
    def mutate(payload: dict[str, Any], w: World) -> None:
        payload["lines"][0] |= change

    return mutate


def _set(**change: Any) -> Any:
    def mutate(payload: dict[str, Any], w: World) -> None:
        payload |= change

    return mutate


def _ended_provider(payload: dict[str, Any], w: World) -> None:
    gone = pb.provider(
        w.session, kind="clinic", valid_to=today() - timedelta(days=1), name="Clinique fermée"
    )
    payload["provider_inpe"] = gone.inpe


def _future_provider(payload: dict[str, Any], w: World) -> None:
    later = pb.provider(
        w.session, kind="clinic", valid_from=today() + timedelta(days=30), name="Clinique neuve"
    )
    payload["provider_inpe"] = later.inpe


COEFFICIENT = "must be more than 0 and at most 9999.999"  # as on a claim line
REFUSALS = [
    ("patient", _set(patient="DM0000000000"), "unknown patient (no immatriculation DM0000000000)"),
    ("provider_inpe", _set(provider_inpe="NOBODY"), "unknown provider (no INPE NOBODY)"),
    ("planned_end", _set(planned_end="2000-01-01"), "is before the planned start ({start})"),
    ("ald_code", _set(ald_code="ALD99"), "unknown ALD code ALD99"),
    ("lines", _set(lines=[]), "a request needs at least one planned line"),
    ("lines[0].estimate_centimes", _with_line(estimate_centimes=0), "must be more than 0"),
    ("lines[0].estimate_centimes", _with_line(estimate_centimes=-5), "must be more than 0"),
    (
        "lines[0].estimate_centimes",
        _with_line(estimate_centimes=1_000_000_001),
        "at most 10000000.00 MAD for one line (the fund's limit)",
    ),
    ("lines[0].quantity", _with_line(quantity=0), "must be between 1 and 999"),
    ("lines[0].quantity", _with_line(quantity=-1), "must be between 1 and 999"),
    ("lines[0].quantity", _with_line(quantity=1000), "must be between 1 and 999"),
    ("lines[0].act_key", _with_line(act_key="NOPE"), "unknown TNR key NOPE"),
    ("lines[0].coefficient", _with_line(coefficient="0"), COEFFICIENT),
    ("lines[0].coefficient", _with_line(coefficient="-1"), COEFFICIENT),
    ("lines[0].coefficient", _with_line(coefficient="1.2345"), "at most 3 decimals"),
    ("lines[0].coefficient", _with_line(coefficient="10000"), COEFFICIENT),
]


@pytest.mark.parametrize(
    ("field", "mutate", "reason"),
    REFUSALS,
    ids=[f"{f}:{r[:30]}" for f, _, r in REFUSALS],
)
def test_a_bad_field_is_named_with_its_reason_and_nothing_is_stored(
    api: TestClient, session: Session, w: World, field: str, mutate: Any, reason: str
) -> None:
    payload = stay(w.patient, w.clinic)
    mutate(payload, w)
    before = stored(session)
    r = api.post(f"{API}/preauthorisations", json=payload)
    assert fields(r) == {field: reason.format(start=payload["planned_start"])}
    assert stored(session) == before


def test_a_provider_that_stopped_or_has_not_started_practising_is_refused(
    api: TestClient, session: Session, w: World
) -> None:
    """Like a claim line (claims.intake: `covers(valid_from, valid_to, care_date)`), a
    request from a provider not practising on the planned start is refused, at either end
    of its period."""
    for mutate in (_ended_provider, _future_provider):
        payload = stay(w.patient, w.clinic)
        mutate(payload, w)
        r = api.post(f"{API}/preauthorisations", json=payload)
        inpe = payload["provider_inpe"]
        assert fields(r) == {
            "provider_inpe": f"provider {inpe} is not practising on the planned start"
        }
    assert stored(session) == 0


def test_the_estimate_of_the_whole_request_is_bounded(
    api: TestClient, session: Session, w: World
) -> None:
    big = hospital_days(1, charged_a_day=1_000_000_000)
    r = api.post(f"{API}/preauthorisations", json=stay(w.patient, w.clinic, lines=[big] * 3))
    assert fields(r) == {
        "lines": "estimated 30000000.00 MAD in all, above the fund's limit of "
        "20000000.00 MAD for one claim"
    }
    assert stored(session) == 0


def test_every_problem_is_named_at_once(api: TestClient, w: World) -> None:
    payload = stay(w.patient, w.clinic)
    payload["patient"] = "DM0000000000"
    payload["planned_end"] = (today() - timedelta(days=3)).isoformat()
    payload["lines"][0] |= {"act_key": "NOPE", "quantity": 0, "estimate_centimes": -5}
    r = api.post(f"{API}/preauthorisations", json=payload)
    assert set(fields(r)) == {
        "patient",
        "planned_end",
        "lines[0].estimate_centimes",
        "lines[0].quantity",
        "lines[0].act_key",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"care_kind": "surgery"}, "care_kind"),
        ({"surprise": 1}, "surprise"),
        ({"planned_start": "tomorrow"}, "planned_start"),
        ({"lines": [hospital_days()] * 51}, "lines"),
        ({"patient": ""}, "patient"),
    ],
)
def test_a_malformed_request_is_422_naming_the_field(
    api: TestClient, session: Session, w: World, change: dict[str, Any], field: str
) -> None:
    r = api.post(f"{API}/preauthorisations", json=stay(w.patient, w.clinic) | change)
    assert r.status_code == 422, r.text
    assert field in {e["field"].split(".")[0] for e in r.json()["detail"]}
    assert stored(session) == 0


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("not-an-address", "An email address must have an @-sign."),
        ("a@palmiers.localhost", "The part after the @-sign is a special-use or reserved name"),
    ],
)
def test_the_notification_address_is_checked(
    api: TestClient, w: World, address: str, why: str
) -> None:
    r = api.post(f"{API}/preauthorisations", json=stay(w.patient, w.clinic, notify_email=address))
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert error["field"] == "notify_email"
    assert error["reason"].startswith(f"value is not a valid email address: {why}")


def test_a_bidirectional_control_in_the_diagnosis_is_refused(api: TestClient, w: World) -> None:
    payload = stay(w.patient, w.clinic, diagnosis="kyste \u202eevèl\u202c")
    r = api.post(f"{API}/preauthorisations", json=payload)
    assert set(fields(r)) == {"diagnosis"}


def test_without_an_address_no_message_is_ever_queued(
    api: TestClient, session: Session, w: World
) -> None:
    from tests.preauth.support import agree

    payload = stay(w.patient, w.clinic)
    del payload["notify_email"]
    number = submit(api, payload)["number"]
    assert agree(api, number)["status"] == "agreed"
    assert outbox(session, number) == []
    assert EMAIL not in str(row(session, number).notify_email)
