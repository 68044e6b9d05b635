"""Every step of a request from every status: the allowed ones change the status and add
one status event (from, to, who, when, why); every other one is refused with its error
code, names the request and its status, and changes nothing (no event, no message).

    submitted -> info_requested -> submitted
    submitted | info_requested -> agreed | partly_agreed | refused | cancelled
    agreed | partly_agreed | invoiced -> invoiced
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from tests.claims.support import PDF
from tests.preauth.support import (
    API,
    STATUSES,
    Clock,
    World,
    act_as,
    events,
    instant,
    invoice,
    outbox,
    provider_user,
    request_in,
    row,
    staff,
    until,
)

ACTIONS = (
    "ask_information",
    "agree",
    "agree_partly",
    "refuse",
    "information",
    "cancel",
    "invoice",
    "document",
)
DECISIONS = ("ask_information", "agree", "agree_partly", "refuse")

# (from, action) -> the status after it; any pair not here is refused.
ALLOWED = {
    ("submitted", "ask_information"): "info_requested",
    ("submitted", "agree"): "agreed",
    ("submitted", "agree_partly"): "partly_agreed",
    ("submitted", "refuse"): "refused",
    ("submitted", "cancel"): "cancelled",
    ("submitted", "document"): "submitted",
    ("info_requested", "information"): "submitted",
    ("info_requested", "agree"): "agreed",
    ("info_requested", "agree_partly"): "partly_agreed",
    ("info_requested", "refuse"): "refused",
    ("info_requested", "cancel"): "cancelled",
    ("info_requested", "document"): "info_requested",
    ("agreed", "invoice"): "invoiced",
    ("partly_agreed", "invoice"): "invoiced",
    ("invoiced", "invoice"): "invoiced",
}

# The reason of the status event each allowed step writes.
REASONS = {
    "ask_information": "compte rendu ?",
    "agree": "séjour justifié",
    "agree_partly": "deux nuits suffisent",
    "refuse": "non justifié",
    "information": "information supplied: joint, voir pièce",
    "cancel": "patient transféré",
}


def refusal(status: str, action: str) -> str:
    """The error code of a refused step."""
    if action == "information":
        return "preauth_not_waiting_for_information"
    if action == "ask_information" and status == "info_requested":
        return "preauth_not_waiting_for_information"
    if action == "invoice":
        return "preauth_not_agreed"
    return "preauth_not_open"


CONTROLLER = staff(Role.CONTROLLER, "karim")


def perform(client: TestClient, w: World, number: str, action: str) -> Response:
    """`action` on the request: decisions by a controller, the rest by the clinic."""
    clinic = provider_user(w.clinic)
    base = f"{API}/preauthorisations/{number}"
    if action in DECISIONS:
        act_as(client, CONTROLLER)
        body: dict[str, object] = {"action": action, "reason": REASONS[action]}
        if action in ("agree", "agree_partly"):
            body["valid_to"] = until(10)
        if action == "agree_partly":
            body["lines"] = [{"line_no": 1, "quantity": 2}]
        return client.post(f"{base}/decision", json=body)
    act_as(client, clinic)
    if action == "information":
        return client.post(f"{base}/information", json={"message": "joint, voir pièce"})
    if action == "cancel":
        return client.post(f"{base}/cancel", json={"reason": "patient transféré"})
    if action == "invoice":
        return client.post(f"{base}/invoices", json=invoice(2, 200_000))
    assert action == "document"
    return client.post(f"{base}/documents", files={"file": ("cr.pdf", PDF, "application/pdf")})


CASES = [(s, a) for s in STATUSES for a in ACTIONS]


@pytest.mark.parametrize(("status", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_each_step_from_each_status(
    client: TestClient, session: Session, w: World, clock: Clock, status: str, action: str
) -> None:
    number = request_in(act_as(client, Principal.system("test")), w, status)
    before = row(session, number)
    n_events, n_mails = len(events(session, number)), len(outbox(session, number))
    clock.advance(minutes=7)
    r = perform(client, w, number, action)
    after = row(session, number)
    trail = events(session, number)
    if (status, action) not in ALLOWED:
        code = refusal(status, action)
        assert (r.status_code, r.json()["error"]) == (409, code), r.text
        detail = r.json()["detail"]
        assert number in detail
        assert status in detail or detail.startswith(f"{number} already waits for information")
        assert after.status == status
        assert len(trail) == n_events and len(outbox(session, number)) == n_mails
        assert (after.updated_at, after.updated_by) == (before.updated_at, before.updated_by)
        return
    assert r.status_code in (200, 201), r.text
    assert after.status == ALLOWED[status, action]
    if action == "document" or status == action + "d":  # no change of status: no event
        assert len(trail) == n_events
        if action == "invoice":  # a further invoice is listed, under its own claim
            assert len(read_as_system(client, number)["invoices"]) == 2
        return
    [event] = trail[n_events:]
    assert (event.from_status, event.to_status) == (status, ALLOWED[status, action])
    assert instant(event.at) == clock.at
    assert event.by == (CONTROLLER.actor if action in DECISIONS else "provider:admissions")
    if action == "invoice":
        assert event.reason.startswith("invoice FAC-2026-0042 (claim ")
    else:
        assert event.reason == REASONS[action]
    assert after.updated_by == event.by and instant(after.updated_at) == clock.at


def read_as_system(client: TestClient, number: str) -> dict[str, object]:
    act_as(client, Principal.system("test"))
    body: dict[str, object] = client.get(f"{API}/preauthorisations/{number}").json()
    return body


def test_a_whole_life_is_told_in_the_history_with_who_and_when(
    client: TestClient, session: Session, w: World, clock: Clock
) -> None:
    clinic = provider_user(w.clinic)
    agent = staff(Role.AGENT, "salma")
    act_as(client, agent)
    from tests.preauth.support import stay

    r = client.post(f"{API}/preauthorisations", json=stay(w.patient, w.clinic))
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    steps = [
        (3, CONTROLLER, "decision", {"action": "ask_information", "reason": "bilan ?"}),
        (20, clinic, "information", {"message": "bilan joint"}),
        (2, CONTROLLER, "decision", {"action": "agree", "valid_to": until(5)}),
        (72, clinic, "invoices", invoice(3, 300_000)),
    ]
    times = [clock.at]
    for hours, who, path, body in steps:
        clock.advance(hours=hours)
        times.append(clock.at)
        act_as(client, who)
        r = client.post(f"{API}/preauthorisations/{number}/{path}", json=body)
        assert r.status_code in (200, 201), r.text
    trail = events(session, number)
    assert [(e.from_status, e.to_status, e.by) for e in trail] == [
        (None, "submitted", "agent:salma"),
        ("submitted", "info_requested", "controller:karim"),
        ("info_requested", "submitted", "provider:admissions"),
        ("submitted", "agreed", "controller:karim"),
        ("agreed", "invoiced", "provider:admissions"),
    ]
    assert [instant(e.at) for e in trail] == times
    assert [e.reason for e in trail][1:4] == [
        "bilan ?",
        "information supplied: bilan joint",
        f"valid {row(session, number).valid_from}..{until(5)}",
    ]
    # staff read the history as it is stored
    act_as(client, CONTROLLER)
    history = client.get(f"{API}/preauthorisations/{number}").json()["history"]
    assert [(h["from_status"], h["to_status"], h["by"]) for h in history] == [
        (e.from_status, e.to_status, e.by) for e in trail
    ]
    stored = row(session, number)
    assert (stored.decided_by, instant(stored.answered_at)) == ("controller:karim", times[3])


def test_an_empty_cancel_reason_is_recorded_as_withdrawn(
    client: TestClient, session: Session, w: World
) -> None:
    number = request_in(act_as(client, Principal.system("test")), w, "submitted")
    r = client.post(f"{API}/preauthorisations/{number}/cancel")
    assert r.status_code == 200, r.text
    assert events(session, number)[-1].reason == "withdrawn"
    other = request_in(client, w, "submitted")
    r = client.post(f"{API}/preauthorisations/{other}/cancel", json={"reason": "   "})
    assert r.status_code == 200, r.text
    assert events(session, other)[-1].reason == "withdrawn"
    assert outbox(session, number) == [] and outbox(session, other) == []
