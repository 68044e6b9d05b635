"""The controller's decision on an exemption request, and withdrawal by the requester:
every step from every status (allowed ones add one status event with who, when and why;
the others are refused with their code and change nothing), the period a grant gives
(asked start, 5 years by default, for life, explicit), refused grants naming their field,
periods of a disease never overlapping, and the message to the requester."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.config import get_settings
from daman.core.dates import today
from daman.notifications.models import NotificationStatus
from tests.claims.support import PDF, cnss_insured
from tests.exemptions.support import (
    API,
    DIABETES,
    EMAIL,
    HYPERTENSION,
    Clock,
    World,
    act_as,
    ask,
    cancel,
    day,
    decide,
    decision,
    events,
    exemption_row,
    exemptions_of,
    fields,
    grant,
    instant,
    insured_user,
    outbox,
    read,
    refused,
    row,
    staff,
    trail,
)

CONTROLLER = staff(Role.CONTROLLER, "karim")
STATUSES = ("requested", "granted", "refused", "cancelled")
ACTIONS = ("grant", "refuse", "cancel", "document")
ALLOWED = {
    ("requested", "grant"): "granted",
    ("requested", "refuse"): "refused",
    ("requested", "cancel"): "cancelled",
    ("requested", "document"): "requested",
}
REASONS = {
    "grant": "diabète de type 2 confirmé",
    "refuse": "glycémie normale",
    "cancel": "withdrawn by the requester",
}


def request_in(api: TestClient, w: World, status: str) -> str:
    number: str = ask(api, w)["number"]
    if status == "granted":
        grant(api, number)
    elif status == "refused":
        decide(api, number, action="refuse", reason="non")
    elif status == "cancelled":
        assert cancel(api, number).status_code == 200
    return number


CASES = [(s, a) for s in STATUSES for a in ACTIONS]


@pytest.mark.parametrize(("status", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_each_step_from_each_status(
    client: TestClient, session: Session, w: World, clock: Clock, status: str, action: str
) -> None:
    number = request_in(act_as(client, Principal.system("test")), w, status)
    n_events, n_mails = len(events(session, number)), len(outbox(session))
    n_periods = len(exemptions_of(session, w.patient))
    clock.advance(hours=5)
    family = insured_user(w.patient)
    base = f"{API}/ald-exemption-requests/{number}"
    if action in ("grant", "refuse"):
        act_as(client, CONTROLLER)
        r = client.post(f"{base}/decision", json={"action": action, "reason": REASONS[action]})
    elif action == "cancel":
        act_as(client, family)
        r = client.post(f"{base}/cancel")
    else:
        act_as(client, family)
        r = client.post(f"{base}/documents", files={"file": ("b.pdf", PDF, "application/pdf")})
    after = row(session, number)
    if (status, action) not in ALLOWED:
        body = refused(r, 409, "exemption_request_not_open")
        assert number in body["detail"] and status in body["detail"]
        assert after.status == status and len(events(session, number)) == n_events
        assert len(outbox(session)) == n_mails
        assert len(exemptions_of(session, w.patient)) == n_periods
        return
    assert r.status_code in (200, 201), r.text
    assert after.status == ALLOWED[status, action]
    if action == "document":
        assert len(events(session, number)) == n_events
        return
    [event] = events(session, number)[n_events:]
    who = CONTROLLER.actor if action != "cancel" else family.actor
    assert (event.from_status, event.to_status, event.by, event.reason) == (
        "requested",
        ALLOWED[status, action],
        who,
        REASONS[action],
    )
    assert instant(event.at) == clock.at and after.updated_by == who
    if action == "cancel":
        assert after.decided_at is None and after.decided_by is None
        assert len(outbox(session)) == n_mails  # a withdrawal tells no one
    else:
        assert (instant(after.decided_at), after.decided_by) == (clock.at, who)
        assert after.decision_reason == REASONS[action]
    periods = len(exemptions_of(session, w.patient))
    assert periods == n_periods + (1 if action == "grant" else 0)


def test_a_grant_records_the_period_who_and_why(
    client: TestClient, session: Session, w: World, clock: Clock
) -> None:
    act_as(client, insured_user(w.patient))
    number = ask(client, w, requested_from=day(-30).isoformat())["number"]
    requested_at = clock.at
    clock.advance(days=2)
    act_as(client, CONTROLLER)
    body = grant(client, number, valid_to=day(300).isoformat(), reason="  type 2  ")
    exemption = body["exemption"]
    assert exemption | {"id": None, "granted_at": None} == {
        "id": None,
        "patient": w.patient.immatriculation,
        "ald_code": DIABETES,
        "ald_name": body["ald_name"],
        "kind": "ald",
        "valid_from": day(-30).isoformat(),
        "valid_to": day(300).isoformat(),
        "state": "active",
        "reference": number,
        "granted_at": None,
        "granted_by": "controller:karim",
    }
    assert (body["status"], body["decided_by"], body["decision_reason"]) == (
        "granted",
        "controller:karim",
        "type 2",
    )
    stored = row(session, number)
    assert stored.exemption_id == exemption["id"]
    assert instant(stored.requested_at) == requested_at
    assert instant(stored.decided_at) == clock.at
    assert trail(session, number) == [
        (None, "requested", "insured:amina", "exemption requested"),
        ("requested", "granted", "controller:karim", "type 2"),
    ]
    assert exemptions_of(session, w.patient) == [(DIABETES, day(-30), day(300))]
    got = client.get(f"{API}/ald-exemptions/{exemption['id']}")
    assert got.status_code == 200 and got.json() == exemption | {
        "granted_at": got.json()["granted_at"]
    }


def test_a_grant_without_a_reason_says_granted(api: TestClient, session: Session, w: World) -> None:
    number = ask(api, w)["number"]
    grant(api, number)
    assert trail(session, number)[-1][3] == "exemption granted"


def test_a_grant_lasts_five_years_by_default(api: TestClient, w: World) -> None:
    start = date(2025, 3, 15)
    number = ask(api, w, requested_from=start.isoformat())["number"]
    exemption = grant(api, number)["exemption"]
    assert (exemption["valid_from"], exemption["valid_to"]) == ("2025-03-15", "2030-03-14")


def test_the_default_length_is_a_setting(
    api: TestClient, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "ald_default_years", 2)
    number = ask(api, w, requested_from="2025-01-01")["number"]
    assert grant(api, number)["exemption"]["valid_to"] == "2026-12-31"


def test_a_grant_may_start_on_another_day_than_asked(api: TestClient, w: World) -> None:
    number = ask(api, w, requested_from=day(-10).isoformat())["number"]
    exemption = grant(api, number, valid_from=day(5).isoformat(), valid_to=day(5).isoformat())[
        "exemption"
    ]
    assert (exemption["valid_from"], exemption["valid_to"]) == (day(5).isoformat(),) * 2
    assert exemption["state"] == "upcoming"


def test_a_grant_for_life_has_no_end(api: TestClient, session: Session, w: World) -> None:
    number = ask(api, w, ald_code=HYPERTENSION)["number"]
    exemption = grant(api, number, for_life=True)["exemption"]
    assert exemption["valid_to"] is None and exemption["state"] == "active"
    assert exemptions_of(session, w.patient) == [(HYPERTENSION, today(), None)]


GRANT_PROBLEMS: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"valid_to": day(-1).isoformat()}, {"valid_to": f"is before the start {today()}"}),
    (
        {"valid_from": day(10).isoformat(), "valid_to": day(9).isoformat()},
        {"valid_to": f"is before the start {day(10)}"},
    ),
    (
        {"for_life": True, "valid_to": day(100).isoformat()},
        {"valid_to": "a grant for life has no end date"},
    ),
    ({"action": "refuse"}, {"reason": "required when refusing: say why"}),
    ({"action": "refuse", "reason": "  "}, {"reason": "required when refusing: say why"}),
]


@pytest.mark.parametrize(("body", "expected"), GRANT_PROBLEMS)
def test_a_bad_decision_names_its_field_and_changes_nothing(
    api: TestClient, session: Session, w: World, body: dict[str, Any], expected: dict[str, str]
) -> None:
    number = ask(api, w)["number"]
    r = decision(api, number, **({"action": "grant"} | body))
    assert fields(r) == expected
    stored = row(session, number)
    assert (stored.status, stored.decided_at, stored.exemption_id) == ("requested", None, None)
    assert len(events(session, number)) == 1 and outbox(session) == []
    assert exemptions_of(session, w.patient) == []


@pytest.mark.parametrize(
    "body",
    [
        {"action": "approve"},
        {"action": "grant", "valid_to": "bientôt"},
        {"action": "grant", "x": 1},
    ],
)
def test_a_malformed_decision_is_422(
    api: TestClient, session: Session, w: World, body: dict[str, Any]
) -> None:
    number = ask(api, w)["number"]
    assert decision(api, number, **body).status_code == 422
    assert row(session, number).status == "requested"


def test_a_grant_overlapping_an_exemption_of_the_disease_is_refused(
    api: TestClient, session: Session, w: World
) -> None:
    """A first request starting before an existing period is allowed (its start is not
    exempted); granting it five years from there would overlap: 409, nothing changed; a
    grant ending the day before the existing period starts is fine."""
    existing = exemption_row(session, w.patient, day(30), day(400))
    number = ask(api, w)["number"]
    r = decision(api, number, action="grant")
    body = refused(r, 409, "exemption_overlaps")
    assert f"exemption {existing}" in body["detail"]
    assert str(day(30)) in body["detail"] and str(day(400)) in body["detail"]
    r = decision(api, number, action="grant", valid_to=day(30).isoformat())
    refused(r, 409, "exemption_overlaps")
    r = decision(api, number, action="grant", for_life=True)
    refused(r, 409, "exemption_overlaps")
    assert row(session, number).status == "requested" and outbox(session) == []
    assert grant(api, number, valid_to=day(29).isoformat())["status"] == "granted"
    assert exemptions_of(session, w.patient) == [
        (DIABETES, today(), day(29)),
        (DIABETES, day(30), day(400)),
    ]


def test_periods_of_another_disease_or_patient_do_not_overlap(
    api: TestClient, session: Session, w: World
) -> None:
    exemption_row(session, w.patient, day(-10), None, code=HYPERTENSION)
    sister = cnss_insured(session)
    exemption_row(session, sister, day(-10), None, code=DIABETES)
    number = ask(api, w)["number"]
    assert grant(api, number, for_life=True)["status"] == "granted"


def test_the_requester_is_told_of_a_grant_in_the_patient_s_language(
    api: TestClient, session: Session, w: World
) -> None:
    for language, subject, forever in (
        ("fr", "Exonération ALD accordée (ALD14)", "sans limite"),
        ("en", "ALD exemption granted (ALD14)", "no end date"),
        ("ar", "تم منح الإعفاء (ALD14)", "مدى الحياة"),
    ):
        patient = cnss_insured(session)
        patient.preferred_language = language
        session.flush()
        number = ask(api, World(patient, w.pharmacy, w.doctor, session), ald_code=HYPERTENSION)[
            "number"
        ]
        grant(api, number, for_life=True, reason="HTA sévère")
        [mail] = outbox(session, number)
        assert (mail.topic, mail.recipient, mail.status) == (
            "ald_granted",
            EMAIL,
            NotificationStatus.PENDING,
        )
        assert mail.subject == subject
        for text in (patient.immatriculation, today().isoformat(), forever, number, "HTA sévère"):
            assert text in mail.body, (language, text)


def test_the_requester_is_told_of_a_refusal_and_its_reason(
    api: TestClient, session: Session, w: World
) -> None:
    number = ask(api, w)["number"]
    body = decide(api, number, action="refuse", reason="  glycémie normale ")
    assert (body["status"], body["exemption"], body["decision_reason"]) == (
        "refused",
        None,
        "glycémie normale",
    )
    [mail] = outbox(session, number)
    assert mail.topic == "ald_refused" and mail.subject == f"Exonération ALD refusée ({DIABETES})"
    assert "glycémie normale" in mail.body and number in mail.body
    assert exemptions_of(session, w.patient) == []


def test_no_address_no_message(api: TestClient, session: Session, w: World) -> None:
    number = ask(api, w, notify_email=None)["number"]
    grant(api, number)
    assert outbox(session, number) == []


def test_a_withdrawn_request_can_be_read_and_leaves_nothing(
    api: TestClient, session: Session, w: World
) -> None:
    number = ask(api, w)["number"]
    body = cancel(api, number).json()
    assert body["status"] == "cancelled" and body["decided_by"] is None
    assert [h["to_status"] for h in read(api, number)["history"]] == ["requested", "cancelled"]
    assert exemptions_of(session, w.patient) == [] and outbox(session) == []


# -- properties ----------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DAYS = st.integers(-400, 400)


@PROPERTY
@given(
    existing=st.tuples(DAYS, st.none() | st.integers(0, 300)),
    asked=st.tuples(DAYS, st.none() | st.integers(0, 300)),
)
def test_a_grant_is_refused_exactly_when_it_meets_another_period_of_the_disease(
    api: TestClient,
    session: Session,
    w: World,
    existing: tuple[int, int | None],
    asked: tuple[int, int | None],
) -> None:
    """Closed periods [start, end] (open-ended when end is None): a first request whose
    start is exempted is refused (ask for a renewal); otherwise the grant is refused
    exactly when its period meets the existing one, and stored as asked when not."""
    patient = cnss_insured(session)
    a_start = day(existing[0])
    a_end = None if existing[1] is None else a_start + timedelta(days=existing[1])
    exemption_row(session, patient, a_start, a_end)
    b_start = day(asked[0])
    b_end = None if asked[1] is None else b_start + timedelta(days=asked[1])
    r = api.post(
        f"{API}/ald-exemption-requests",
        json={
            "patient": patient.immatriculation,
            "ald_code": DIABETES,
            "evidence": "HbA1c 9.1 %",
            "requested_from": b_start.isoformat(),
        },
    )
    if a_start <= b_start and (a_end is None or b_start <= a_end):
        refused(r, 409, "already_exempted")
        return
    assert r.status_code == 201, r.text
    end = {"for_life": True} if b_end is None else {"valid_to": b_end.isoformat()}
    answer = decision(api, r.json()["number"], action="grant", **end)
    meets = (a_end is None or a_end >= b_start) and (b_end is None or a_start <= b_end)
    if meets:
        refused(answer, 409, "exemption_overlaps")
        assert len(exemptions_of(session, patient)) == 1
    else:
        assert answer.status_code == 200, answer.text
        assert (DIABETES, b_start, b_end) in exemptions_of(session, patient)


def anniversary(start: date, years: int) -> date:
    """The same day `years` later; 29 February's is 1 March in a common year (as a person
    born on 29 February comes of age on 1 March, daman.core.dates.age_on)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


@PROPERTY
@given(start=st.dates(min_value=date(2006, 1, 1), max_value=date(2040, 12, 31)))
@example(start=date(2028, 2, 29))
@example(start=date(2027, 3, 1))
@example(start=date(2026, 12, 31))
def test_a_default_grant_ends_the_day_before_its_fifth_anniversary(
    api: TestClient, session: Session, w: World, start: date
) -> None:
    """Five whole years, however the start falls (leap days included), and a renewal
    granted by default follows with no day lost or covered twice."""
    patient = cnss_insured(session)
    r = api.post(
        f"{API}/ald-exemption-requests",
        json={
            "patient": patient.immatriculation,
            "ald_code": DIABETES,
            "evidence": "HbA1c 9.1 %",
            "requested_from": start.isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    exemption = grant(api, r.json()["number"])["exemption"]
    end = date.fromisoformat(exemption["valid_to"])
    assert end == anniversary(start, 5) - timedelta(days=1)
    renewed = api.post(
        f"{API}/ald-exemptions/{exemption['id']}/renewal", json={"evidence": "toujours"}
    )
    assert renewed.json()["requested_from"] == (end + timedelta(days=1)).isoformat()
