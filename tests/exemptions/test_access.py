"""Who may do what with an exemption request or a granted period, and see which: the role
rule of each route (403, nothing changed), the scope within it (an insured person the
family's; anything else 404; providers none), staff named by role only to the insured,
and staff reads logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import ReadLog, Role
from daman.registry import builders as rb
from tests.claims.support import PDF
from tests.exemptions.support import (
    API,
    HYPERTENSION,
    World,
    act_as,
    asking,
    day,
    events,
    exemptions_of,
    insured_user,
    provider_user,
    row,
    staff,
)


@dataclass
class Cast:
    """A request of the insured person's child (open), a granted period of the insured
    person, and who may look at them."""

    w: World
    number: str
    exemption_id: int
    principals: dict[str, Principal]


@pytest.fixture
def cast(client: TestClient, session: Session, w: World) -> Cast:
    child = rb.dependent(session, w.patient, birth_date=date(2015, 3, 2))
    stranger = rb.insured(session, regime="CNSS_SAL")
    principals = {
        "family": insured_user(w.patient, "amina"),
        "stranger": insured_user(stranger, "omar"),
        "provider": provider_user(w.pharmacy, "officine"),
        "agent": staff(Role.AGENT, "salma"),
        "controller": staff(Role.CONTROLLER, "karim"),
        "admin": staff(Role.ADMIN, "root"),
        "analyst": staff(Role.ANALYST, "nora"),
    }
    act_as(client, principals["family"])
    r = client.post(f"{API}/ald-exemption-requests", json=asking(w, patient=child.immatriculation))
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    own = client.post(
        f"{API}/ald-exemption-requests",
        json=asking(w, ald_code=HYPERTENSION, requested_from=day(-300).isoformat()),
    ).json()["number"]
    act_as(client, principals["controller"])
    decided = client.post(
        f"{API}/ald-exemption-requests/{own}/decision",
        json={"action": "grant", "valid_to": day(30).isoformat()},
    )
    assert decided.status_code == 200, decided.text
    return Cast(w, number, decided.json()["exemption"]["id"], principals)


EVERYONE = ("family", "stranger", "provider", "agent", "controller", "admin", "analyst")
READ = {"family": 200, "stranger": 404, "agent": 200, "controller": 200}


def as_(client: TestClient, cast: Cast, who: str) -> TestClient:
    return act_as(client, cast.principals[who])


def expect(allowed: dict[str, int]) -> list[tuple[str, int]]:
    return [(who, allowed.get(who, 403)) for who in EVERYONE]


def forbidden(r: Response, cast: Cast, who: str) -> None:
    role = cast.principals[who].role.value
    assert r.json()["error"] == "forbidden"
    assert r.json()["detail"].startswith(f"role {role} may not do this (allowed: ")


@pytest.mark.parametrize(("who", "status"), expect(READ))
def test_reading_a_request_a_period_and_the_evidence(
    client: TestClient, cast: Cast, who: str, status: int
) -> None:
    doc = as_(client, cast, "family").post(
        f"{API}/ald-exemption-requests/{cast.number}/documents",
        files={"file": ("bilan.pdf", PDF, "application/pdf")},
    )
    assert doc.status_code == 201, doc.text
    caller = as_(client, cast, who)
    for url in (
        f"{API}/ald-exemption-requests/{cast.number}",
        f"{API}/ald-exemption-requests/{cast.number}/documents/{doc.json()['id']}",
        f"{API}/ald-exemptions/{cast.exemption_id}",
    ):
        r = caller.get(url)
        assert r.status_code == status, (url, r.text)
        if status == 403:
            forbidden(r, cast, who)


LISTED = {"family": (2, 1), "stranger": (0, 0), "agent": (2, 1), "controller": (2, 1)}


@pytest.mark.parametrize("who", EVERYONE)
def test_the_lists_hold_what_the_caller_may_see(client: TestClient, cast: Cast, who: str) -> None:
    caller = as_(client, cast, who)
    requests = caller.get(f"{API}/ald-exemption-requests")
    periods = caller.get(f"{API}/ald-exemptions")
    if who not in LISTED:
        assert (requests.status_code, periods.status_code) == (403, 403)
        return
    assert (requests.json()["total"], periods.json()["total"]) == LISTED[who]
    # naming a patient out of scope finds nothing, it does not tell whether it exists
    filtered = caller.get(
        f"{API}/ald-exemptions", params={"patient": cast.w.patient.immatriculation}
    ).json()
    assert filtered["total"] == LISTED[who][1]


def _ask(client: TestClient, cast: Cast) -> Response:
    return client.post(f"{API}/ald-exemption-requests", json=asking(cast.w, ald_code="ALD22"))


def _decide(client: TestClient, cast: Cast) -> Response:
    return client.post(
        f"{API}/ald-exemption-requests/{cast.number}/decision", json={"action": "grant"}
    )


def _cancel(client: TestClient, cast: Cast) -> Response:
    return client.post(f"{API}/ald-exemption-requests/{cast.number}/cancel")


def _upload(client: TestClient, cast: Cast) -> Response:
    return client.post(
        f"{API}/ald-exemption-requests/{cast.number}/documents",
        files={"file": ("bilan.pdf", PDF, "application/pdf")},
    )


def _renew(client: TestClient, cast: Cast) -> Response:
    return client.post(
        f"{API}/ald-exemptions/{cast.exemption_id}/renewal", json={"evidence": "toujours"}
    )


STRANGER_ASKS = 400  # the patient is not one of theirs: named as an unknown patient
WRITES: list[tuple[str, Any, dict[str, int]]] = [
    ("ask", _ask, {"family": 201, "agent": 201, "stranger": STRANGER_ASKS}),
    ("decide", _decide, {"controller": 200}),
    ("cancel", _cancel, {"family": 200, "agent": 200, "stranger": 404}),
    ("upload", _upload, {"family": 201, "agent": 201, "stranger": 404}),
    ("renew", _renew, {"family": 201, "agent": 201, "stranger": 404}),
]
WRITE_CASES = [(name, call, who, status) for name, call, a in WRITES for who, status in expect(a)]


@pytest.mark.parametrize(
    ("name", "call", "who", "status"), WRITE_CASES, ids=[f"{c[0]}-{c[2]}" for c in WRITE_CASES]
)
def test_who_may_change_what(
    client: TestClient, session: Session, cast: Cast, name: str, call: Any, who: str, status: int
) -> None:
    n_events = len(events(session, cast.number))
    n_periods = len(exemptions_of(session, cast.w.patient))
    r = call(as_(client, cast, who), cast)
    assert r.status_code == status, r.text
    if status == 403:
        forbidden(r, cast, who)
    if status >= 400:
        assert row(session, cast.number).status == "requested"
        assert len(events(session, cast.number)) == n_events
        assert row(session, cast.number).documents == []
        assert len(exemptions_of(session, cast.w.patient)) == n_periods
        if status == 400:
            assert r.json()["detail"] == [
                {"field": "patient", "reason": "unknown patient, or not one of yours"}
            ]
        return
    if name in ("decide", "cancel"):
        assert events(session, cast.number)[-1].by == cast.principals[who].actor


def test_the_insured_see_staff_by_role_and_staff_see_names(
    client: TestClient, session: Session, cast: Cast
) -> None:
    as_(client, cast, "controller").post(
        f"{API}/ald-exemption-requests/{cast.number}/decision",
        json={"action": "refuse", "reason": "bilan incomplet"},
    )
    seen = {
        who: as_(client, cast, who).get(f"{API}/ald-exemption-requests/{cast.number}").json()
        for who in ("family", "agent", "controller")
    }
    assert [h["by"] for h in seen["family"]["history"]] == ["insured:amina", "controller"]
    assert seen["family"]["decided_by"] == "controller"
    assert seen["family"]["requested_by"] == "insured:amina"
    for who in ("agent", "controller"):
        assert [h["by"] for h in seen[who]["history"]] == ["insured:amina", "controller:karim"]
        assert seen[who]["decided_by"] == "controller:karim"
    period = as_(client, cast, "family").get(f"{API}/ald-exemptions/{cast.exemption_id}").json()
    assert period["granted_by"] == "controller"
    staff_view = as_(client, cast, "agent").get(f"{API}/ald-exemptions/{cast.exemption_id}").json()
    assert staff_view["granted_by"] == "controller:karim"


def test_an_agent_keys_in_a_paper_request_for_anyone(
    client: TestClient, session: Session, cast: Cast
) -> None:
    stranger = rb.insured(session, regime="CNSS_SAL")
    r = as_(client, cast, "agent").post(
        f"{API}/ald-exemption-requests",
        json=asking(cast.w, patient=stranger.immatriculation, notify_email=None),
    )
    assert r.status_code == 201, r.text
    assert r.json()["requested_by"] == "agent:salma"
    assert events(session, r.json()["number"])[0].by == "agent:salma"


def test_staff_reads_are_logged_and_the_family_s_are_not(
    client: TestClient, session: Session, cast: Cast
) -> None:
    def logged() -> list[tuple[str, str, str]]:
        rows = session.scalars(select(ReadLog).order_by(ReadLog.id))
        return [(r.actor, r.what, r.key) for r in rows]

    doc = _upload(as_(client, cast, "family"), cast).json()
    before = logged()
    family = as_(client, cast, "family")
    family.get(f"{API}/ald-exemption-requests/{cast.number}")
    family.get(f"{API}/ald-exemptions/{cast.exemption_id}")
    assert logged() == before
    agent = as_(client, cast, "agent")
    agent.get(f"{API}/ald-exemption-requests/{cast.number}")
    agent.get(f"{API}/ald-exemption-requests/{cast.number}/documents/{doc['id']}")
    agent.get(f"{API}/ald-exemptions/{cast.exemption_id}")
    assert logged()[len(before) :] == [
        ("agent:salma", "ald_request", cast.number),
        ("agent:salma", "ald_document", f"{cast.number}/{doc['id']}"),
        ("agent:salma", "ald_exemption", str(cast.exemption_id)),
    ]
