"""The controller's answer: an agreement line by line (units, base, validity), a partial
agreement, a refusal, a question; every refused decision names its field and reason and
changes nothing; each answer and question tells the requester in the patient's language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from daman.core.dates import today
from daman.core.money import apply_rate, format_mad, mul_half_up
from daman.notifications.models import NotificationStatus
from tests.preauth.support import (
    DAY,
    EMAIL,
    PRIVATE_HOSPITAL_BP,
    World,
    agree,
    decide,
    decision,
    events,
    fields,
    hospital_days,
    inform,
    outbox,
    read,
    row,
    stay,
    submit,
    until,
)

TWO_LINES = [
    hospital_days(3),
    {"category": "paramedical", "act_key": "AMM", "quantity": 10, "estimate_centimes": 80_000},
]


def two_lines(api: TestClient, w: World) -> str:
    number: str = submit(api, stay(w.patient, w.clinic, lines=TWO_LINES))["number"]
    return number


# -- agreements ----------------------------------------------------------------------------


def test_an_agreement_takes_every_line_as_asked(
    api: TestClient, session: Session, w: World
) -> None:
    number = two_lines(api, w)
    body = agree(api, number, days=10)
    assert body["status"] == "agreed"
    assert (body["valid_from"], body["valid_to"]) == (today().isoformat(), until(10))
    got = [
        (ln["agreed_quantity"], ln["agreed_base_centimes"], ln["agreed_amo_centimes"])
        for ln in body["lines"]
    ]
    assert got == [(3, 3 * DAY, 229_500), (10, 50_000, 40_000)]
    assert body["totals"]["agreed_amo_centimes"] == 269_500
    assert body["totals"]["agreed_patient_centimes"] == 380_000 - 269_500
    assert body["decided_by"] == "test" and body["decision_reason"] == ""
    assert body["clock"]["answered"] is True and body["clock"]["paused"] is False
    stored = row(session, number)
    assert stored.answered_late is False and stored.answer_seconds is not None
    assert events(session, number)[-1].reason == f"valid {today()}..{until(10)}"


def test_an_agreement_from_a_later_day_and_for_one_day(api: TestClient, w: World) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    start = (today() + timedelta(days=2)).isoformat()
    body = decide(api, number, action="agree", valid_from=start, valid_to=start)
    assert (body["valid_from"], body["valid_to"]) == (start, start)


def test_agreeing_to_less_is_a_partial_agreement_whatever_the_action_said(
    api: TestClient, w: World
) -> None:
    number = two_lines(api, w)
    body = agree(api, number, lines=[{"line_no": 2, "quantity": 6}], reason="6 séances")
    assert body["status"] == "partly_agreed" and body["decision_reason"] == "6 séances"
    assert [ln["agreed_quantity"] for ln in body["lines"]] == [3, 6]
    # the base of the units agreed: 6/10 of 500.00, at 80 %
    assert body["lines"][1]["agreed_base_centimes"] == 30_000
    assert body["lines"][1]["agreed_amo_centimes"] == 24_000


def test_a_partial_agreement_may_refuse_a_line(api: TestClient, w: World) -> None:
    number = two_lines(api, w)
    body = decide(
        api,
        number,
        action="agree_partly",
        valid_to=until(3),
        lines=[{"line_no": 2, "quantity": 0}],
        reason="kinésithérapie non justifiée",
    )
    assert body["status"] == "partly_agreed"
    assert [
        (ln["agreed_quantity"], ln["agreed_base_centimes"], ln["agreed_amo_centimes"])
        for ln in body["lines"]
    ] == [(3, 3 * DAY, 229_500), (0, 0, 0)]
    assert body["totals"]["agreed_patient_centimes"] == 380_000 - 229_500


def test_a_lower_base_is_a_partial_agreement_and_a_higher_one_is_not(
    api: TestClient, w: World
) -> None:
    lower = submit(api, stay(w.patient, w.clinic))["number"]
    body = agree(api, lower, lines=[{"line_no": 1, "quantity": 3, "base_centimes": 240_000}])
    assert body["status"] == "partly_agreed"
    assert body["lines"][0]["agreed_amo_centimes"] == 216_000
    higher = submit(api, stay(w.patient, w.clinic))["number"]
    # up to the estimate (3,000.00), above the tariff: the controller may agree to more
    body = agree(api, higher, lines=[{"line_no": 1, "quantity": 3, "base_centimes": 300_000}])
    assert body["status"] == "agreed"
    assert body["lines"][0]["agreed_amo_centimes"] == 270_000
    assert body["totals"]["agreed_patient_centimes"] == 30_000


def test_a_line_without_a_tariff_is_agreed_on_the_base_the_controller_gives(
    api: TestClient, w: World
) -> None:
    line = {"category": "hospitalisation", "quantity": 2, "estimate_centimes": 400_000}
    number = submit(api, stay(w.patient, w.clinic, lines=[line]))["number"]
    r = decision(api, number, action="agree", valid_to=until(5))
    assert fields(r) == {"lines": "line 1 has no reference price: give base_centimes"}
    body = agree(api, number, lines=[{"line_no": 1, "quantity": 2, "base_centimes": 180_000}])
    assert body["status"] == "agreed"
    assert body["lines"][0]["agreed_amo_centimes"] == apply_rate(180_000, PRIVATE_HOSPITAL_BP)


def test_the_controller_may_agree_while_waiting_for_information(
    api: TestClient, session: Session, w: World
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    decide(api, number, action="ask_information", reason="bilan ?")
    body = agree(api, number)
    assert body["status"] == "agreed" and body["clock"]["paused"] is False
    assert row(session, number).paused_at is None
    assert [e.to_status for e in events(session, number)] == [
        "submitted",
        "info_requested",
        "agreed",
    ]


# -- refused decisions ---------------------------------------------------------------------


AGREEMENT_PROBLEMS: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({}, {"valid_to": "required: the last day covered"}),
    (
        {"valid_to": (today() - timedelta(days=1)).isoformat()},
        {"valid_to": f"is before valid_from ({today()})"},
    ),
    (
        {"valid_from": until(5), "valid_to": until(4)},
        {"valid_to": f"is before valid_from ({until(5)})"},
    ),
    (
        {"valid_to": until(5), "lines": [{"line_no": 7, "quantity": 1}]},
        {"lines[0].line_no": "no line 7"},
    ),
    (
        {"valid_to": until(5), "lines": [{"line_no": 0, "quantity": 1}]},
        {"lines[0].line_no": "no line 0"},
    ),
    (
        {
            "valid_to": until(5),
            "lines": [{"line_no": 1, "quantity": 1}, {"line_no": 1, "quantity": 2}],
        },
        {"lines[1].line_no": "given twice"},
    ),
    (
        {"valid_to": until(5), "lines": [{"line_no": 1, "quantity": 4}]},
        {"lines[0].quantity": "must be between 0 and 3"},
    ),
    (
        {"valid_to": until(5), "lines": [{"line_no": 1, "quantity": -1}]},
        {"lines[0].quantity": "must be between 0 and 3"},
    ),
    (
        {"valid_to": until(5), "lines": [{"line_no": 1, "quantity": 3, "base_centimes": 300_001}]},
        {"lines[0].base_centimes": "must be between 0 and the estimate 300000"},
    ),
    (
        {"valid_to": until(5), "lines": [{"line_no": 1, "quantity": 3, "base_centimes": -1}]},
        {"lines[0].base_centimes": "must be between 0 and the estimate 300000"},
    ),
    (
        {"valid_to": until(5), "lines": [{"line_no": 1, "quantity": 0}]},
        {"lines": "nothing agreed: refuse the request instead"},
    ),
    (
        {"action": "agree_partly", "valid_to": until(5)},
        {"lines": "nothing is reduced: agree instead"},
    ),
    (
        {"action": "agree_partly", "valid_to": until(5), "lines": [{"line_no": 1, "quantity": 3}]},
        {"lines": "nothing is reduced: agree instead"},
    ),
    (
        {"action": "refuse", "reason": "non", "valid_to": until(5)},
        {"valid_to": "only an agreement carries valid_to"},
    ),
    (
        {
            "action": "refuse",
            "reason": "non",
            "valid_from": until(1),
            "lines": [{"line_no": 1, "quantity": 1}],
        },
        {
            "valid_from": "only an agreement carries valid_from",
            "lines": "only an agreement carries lines",
        },
    ),
    ({"action": "refuse"}, {"reason": "required when refusing: say why"}),
    ({"action": "refuse", "reason": "   "}, {"reason": "required when refusing: say why"}),
    ({"action": "ask_information"}, {"reason": "required: the information asked for"}),
    (
        {"action": "ask_information", "reason": " \n "},
        {"reason": "required: the information asked for"},
    ),
    (
        {"action": "ask_information", "reason": "bilan ?", "valid_to": until(5)},
        {"valid_to": "only an agreement carries valid_to"},
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"),
    AGREEMENT_PROBLEMS,
    ids=[f"{i}-{next(iter(e))}" for i, (_, e) in enumerate(AGREEMENT_PROBLEMS)],
)
def test_a_bad_decision_names_its_fields_and_changes_nothing(
    api: TestClient, session: Session, w: World, body: dict[str, Any], expected: dict[str, str]
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    r = decision(api, number, **({"action": "agree"} | body))
    assert fields(r) == expected
    stored = row(session, number)
    assert stored.status == "submitted" and stored.answered_at is None
    assert stored.paused_at is None and stored.information_asked == ""
    assert [ln.agreed_quantity for ln in stored.lines] == [None]
    assert (stored.valid_from, stored.valid_to, stored.decided_by) == (None, None, None)
    assert len(events(session, number)) == 1 and outbox(session, number) == []


def test_several_problems_of_an_agreement_are_named_at_once(api: TestClient, w: World) -> None:
    number = two_lines(api, w)
    r = decision(
        api,
        number,
        action="agree",
        lines=[
            {"line_no": 9, "quantity": 1},
            {"line_no": 1, "quantity": 5},
            {"line_no": 2, "quantity": 1, "base_centimes": 90_000},
        ],
    )
    assert fields(r) == {
        "valid_to": "required: the last day covered",
        "lines[0].line_no": "no line 9",
        "lines[1].quantity": "must be between 0 and 3",
        "lines[2].base_centimes": "must be between 0 and the estimate 80000",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"action": "approve"},
        {"action": "agree", "valid_to": "soon"},
        {"action": "agree", "lines": [{"line_no": 1}]},
        {"action": "agree", "surprise": True},
    ],
)
def test_a_malformed_decision_is_422(
    api: TestClient, session: Session, w: World, body: dict[str, Any]
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    assert decision(api, number, **body).status_code == 422
    assert row(session, number).status == "submitted"


def test_an_unknown_request_is_not_found(api: TestClient, w: World) -> None:
    r = decision(api, "PA99999999", action="refuse", reason="x")
    assert (r.status_code, r.json()["error"]) == (404, "preauth_not_found")


def test_a_number_is_read_in_any_case_and_with_spaces(api: TestClient, w: World) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    assert read(api, f" {number.lower()} ")["number"] == number


# -- questions -----------------------------------------------------------------------------


def test_a_question_pauses_the_request_and_the_answer_resumes_it(
    api: TestClient, session: Session, w: World
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    asked = decide(api, number, action="ask_information", reason="  compte rendu ?  ")
    assert asked["status"] == "info_requested" and asked["information_asked"] == "compte rendu ?"
    assert asked["clock"]["paused"] is True and asked["clock"]["answered"] is False
    assert asked["decided_by"] is None  # a question is not an answer
    r = inform(api, number, "   ")
    assert fields(r) == {"message": "required: the information asked for"}
    assert row(session, number).status == "info_requested"
    r = inform(api, number, "  joint, voir pièce ")
    assert r.status_code == 200, r.text
    resumed = r.json()
    assert resumed["status"] == "submitted" and resumed["clock"]["paused"] is False
    assert resumed["information_asked"] == "compte rendu ?"  # the last question is kept
    assert events(session, number)[-1].reason == "information supplied: joint, voir pièce"
    # a second question after the answer is allowed, and replaces the first
    again = decide(api, number, action="ask_information", reason="imagerie ?")
    assert again["information_asked"] == "imagerie ?"


# -- what the requester is told ------------------------------------------------------------


def test_every_answer_and_question_is_queued_to_the_requester_in_the_same_transaction(
    api: TestClient, session: Session, w: World
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    decide(api, number, action="ask_information", reason="compte rendu opératoire ?")
    inform(api, number)
    agree(api, number, days=10, reason="séjour justifié")
    mails = outbox(session, number)
    assert [m.topic for m in mails] == ["preauth_info_requested", "preauth_agreed"]
    assert all(
        (m.recipient, m.status, m.attempts, m.created_by)
        == (EMAIL, NotificationStatus.PENDING, 0, "test")
        for m in mails
    )
    asked, agreed = mails
    assert number in asked.subject and "compte rendu opératoire ?" in asked.body
    assert w.patient.immatriculation in asked.body
    assert number in agreed.subject
    for text in (
        f"{format_mad(229_500)} MAD",  # the AMO's part
        f"{format_mad(70_500)} MAD",  # the patient's share
        today().isoformat(),
        until(10),
        "séjour justifié",
        "HOSP_MED x3",
    ):
        assert text in agreed.body, text


def test_a_partial_agreement_lists_only_the_lines_agreed(
    api: TestClient, session: Session, w: World
) -> None:
    number = two_lines(api, w)
    agree(api, number, lines=[{"line_no": 2, "quantity": 0}])
    [mail] = outbox(session, number)
    assert "HOSP_MED x3" in mail.body and "AMM" not in mail.body
    assert "partly_agreed" in mail.body


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("fr", "Prise en charge {number} refusée"),
        ("en", "Authorisation {number} refused"),
        ("ar", "رفض طلب التحمل {number}"),
        ("xx", "Prise en charge {number} refusée"),  # an unknown language: French
    ],
)
def test_a_refusal_is_written_in_the_patient_s_language(
    api: TestClient, session: Session, w: World, language: str, subject: str
) -> None:
    w.patient.preferred_language = language
    session.flush()
    number = submit(api, stay(w.patient, w.clinic))["number"]
    body = decide(api, number, action="refuse", reason="  غير مبرر طبيا ")
    assert body["status"] == "refused" and body["decision_reason"] == "غير مبرر طبيا"
    assert all(ln["agreed_quantity"] == 0 for ln in body["lines"])
    assert body["totals"]["agreed_amo_centimes"] == 0
    [mail] = outbox(session, number)
    assert mail.topic == "preauth_refused"
    assert mail.subject == subject.format(number=number) and "غير مبرر طبيا" in mail.body


# -- properties ----------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(
    days=st.integers(1, 30),
    a_day=st.integers(1, 3_000_00),
    data=st.data(),
)
def test_what_is_agreed_follows_the_units_and_base_given(
    api: TestClient, w: World, days: int, a_day: int, data: st.DataObject
) -> None:
    """Whatever units (0..asked, not all 0) and base (0..estimate, or the default) are
    agreed: the AMO part is the base at the line's rate, the default base is the engine's
    base pro rata of the units, the status is partly_agreed exactly when something was
    reduced, and the patient's share is the estimate less the AMO part."""
    body = submit(api, stay(w.patient, w.clinic, lines=[hospital_days(days, a_day)]))
    line = body["lines"][0]
    engine_base, rate = line["expected"]["base_centimes"], line["expected"]["rate_bp"]
    quantity = data.draw(st.integers(1, days), label="quantity")
    base = data.draw(st.none() | st.integers(0, days * a_day), label="base")
    given_line: dict[str, int] = {"line_no": 1, "quantity": quantity}
    if base is not None:
        given_line["base_centimes"] = base
    out = agree(api, body["number"], lines=[given_line])
    agreed_base = mul_half_up(engine_base, quantity, days) if base is None else base
    got = out["lines"][0]
    assert got["agreed_quantity"] == quantity
    assert got["agreed_base_centimes"] == agreed_base
    assert got["agreed_amo_centimes"] == apply_rate(agreed_base, rate)
    reduced = quantity < days or agreed_base < engine_base
    assert out["status"] == ("partly_agreed" if reduced else "agreed")
    assert out["totals"]["agreed_amo_centimes"] == apply_rate(agreed_base, rate)
    assert out["totals"]["agreed_patient_centimes"] == days * a_day - apply_rate(agreed_base, rate)


@PROPERTY
@given(
    start=st.integers(-30, 30),
    length=st.integers(-5, 400),
)
def test_the_validity_is_accepted_exactly_when_it_ends_on_or_after_its_start(
    api: TestClient, session: Session, w: World, start: int, length: int
) -> None:
    number = submit(api, stay(w.patient, w.clinic))["number"]
    valid_from = today() + timedelta(days=start)
    valid_to = valid_from + timedelta(days=length)
    r = decision(
        api,
        number,
        action="agree",
        valid_from=valid_from.isoformat(),
        valid_to=valid_to.isoformat(),
    )
    if length >= 0:
        assert r.status_code == 200, r.text
        assert (r.json()["valid_from"], r.json()["valid_to"]) == (
            valid_from.isoformat(),
            valid_to.isoformat(),
        )
    else:
        assert fields(r) == {"valid_to": f"is before valid_from ({valid_from})"}
        assert row(session, number).status == "submitted"
