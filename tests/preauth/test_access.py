"""Who may do what with a pre-authorisation, and see which: the role rule of each route
(403, nothing changed), the scope within it (a provider its own requests, an insured
person the family's; anything else 404), staff named by role only to the insured and
providers, and staff reads logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import ReadLog, Role
from daman.core.dates import today
from daman.providers import builders as pb
from daman.registry import builders as rb
from tests.claims.support import PDF
from tests.preauth.support import (
    API,
    World,
    act_as,
    events,
    insured_user,
    invoice,
    provider_user,
    row,
    staff,
    stay,
    until,
)

START = today() - timedelta(days=2)


@dataclass
class Cast:
    """The request of a dependent child, sent by the clinic, and who may look at it."""

    w: World
    number: str
    child_number: str
    principals: dict[str, Principal]


@pytest.fixture
def cast(client: TestClient, session: Session, w: World) -> Cast:
    child = rb.dependent(session, w.patient, birth_date=date(2015, 3, 2))
    other = pb.provider(session, kind="hospital", sector="private", name="Hôpital voisin")
    stranger = rb.insured(session, regime="CNSS_SAL")
    principals = {
        "family": insured_user(w.patient, "amina"),
        "stranger": insured_user(stranger, "omar"),
        "owner": provider_user(w.clinic, "admissions"),
        "other_provider": provider_user(other, "voisin"),
        "agent": staff(Role.AGENT, "salma"),
        "controller": staff(Role.CONTROLLER, "karim"),
        "admin": staff(Role.ADMIN, "root"),
        "analyst": staff(Role.ANALYST, "nora"),
    }
    act_as(client, principals["owner"])
    r = client.post(f"{API}/preauthorisations", json=stay(w.patient, w.clinic, start=START))
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    r = client.post(f"{API}/preauthorisations", json=stay(child, w.clinic, start=START))
    assert r.status_code == 201, r.text
    return Cast(w, number, r.json()["number"], principals)


def as_(client: TestClient, cast: Cast, who: str) -> TestClient:
    return act_as(client, cast.principals[who])


EVERYONE = (
    "family",
    "stranger",
    "owner",
    "other_provider",
    "agent",
    "controller",
    "admin",
    "analyst",
)


def expect(allowed: dict[str, int], denied: int = 403) -> list[tuple[str, int]]:
    """Each caller with its answer: those named get theirs, the others `denied`."""
    return [(who, allowed.get(who, denied)) for who in EVERYONE]


READ = {"family": 200, "stranger": 404, "owner": 200, "other_provider": 404, "agent": 200}
READ |= {"controller": 200}


@pytest.mark.parametrize(("who", "status"), expect(READ))
def test_reading_a_request(
    client: TestClient, session: Session, cast: Cast, who: str, status: int
) -> None:
    r = as_(client, cast, who).get(f"{API}/preauthorisations/{cast.number}")
    assert r.status_code == status, r.text
    if status == 404:
        assert r.json() == {
            "error": "preauth_not_found",
            "detail": f"no pre-authorisation {cast.number}",
        }
    if status == 403:
        assert r.json()["error"] == "forbidden"


LIST = {"family": 2, "stranger": 0, "owner": 2, "other_provider": 0, "agent": 2, "controller": 2}


@pytest.mark.parametrize(("who", "total"), [(w, LIST.get(w)) for w in EVERYONE])
def test_the_list_holds_what_the_caller_may_see(
    client: TestClient, cast: Cast, who: str, total: int | None
) -> None:
    r = as_(client, cast, who).get(f"{API}/preauthorisations")
    if total is None:
        assert r.status_code == 403
        return
    assert r.status_code == 200 and r.json()["total"] == total
    numbers = {i["number"] for i in r.json()["items"]}
    assert numbers == ({cast.number, cast.child_number} if total else set())


def _submit(client: TestClient, cast: Cast) -> Response:
    return client.post(f"{API}/preauthorisations", json=stay(cast.w.patient, cast.w.clinic))


def _decide(client: TestClient, cast: Cast) -> Response:
    body = {"action": "agree", "valid_to": until(3)}
    return client.post(f"{API}/preauthorisations/{cast.number}/decision", json=body)


def _cancel(client: TestClient, cast: Cast) -> Response:
    return client.post(f"{API}/preauthorisations/{cast.number}/cancel")


def _upload(client: TestClient, cast: Cast) -> Response:
    return client.post(
        f"{API}/preauthorisations/{cast.number}/documents",
        files={"file": ("devis.pdf", PDF, "application/pdf")},
    )


WRITES: list[tuple[str, Any, dict[str, int], str]] = [
    (
        "submit",
        _submit,
        {"owner": 201, "agent": 201, "other_provider": 400},
        "",
    ),
    ("decide", _decide, {"controller": 200}, "agreed"),
    ("cancel", _cancel, {"owner": 200, "agent": 200, "other_provider": 404}, "cancelled"),
    ("upload", _upload, {"owner": 201, "agent": 201, "other_provider": 404}, "submitted"),
]
WRITE_CASES = [
    (name, call, who, status, to) for name, call, a, to in WRITES for who, status in expect(a)
]


@pytest.mark.parametrize(
    ("name", "call", "who", "status", "to"),
    WRITE_CASES,
    ids=[f"{c[0]}-{c[2]}" for c in WRITE_CASES],
)
def test_who_may_change_a_request(
    client: TestClient,
    session: Session,
    cast: Cast,
    name: str,
    call: Any,
    who: str,
    status: int,
    to: str,
) -> None:
    n_events = len(events(session, cast.number))
    r = call(as_(client, cast, who), cast)
    assert r.status_code == status, r.text
    stored = row(session, cast.number)
    if status >= 400:
        assert stored.status == "submitted" and len(events(session, cast.number)) == n_events
        assert stored.documents == []
        if status == 403:
            role = cast.principals[who].role.value
            assert r.json()["error"] == "forbidden"
            assert r.json()["detail"].startswith(f"role {role} may not do this (allowed: ")
        if name == "submit" and status == 400:
            assert r.json()["detail"] == [
                {"field": "provider_inpe", "reason": "a provider asks for its own care only"}
            ]
        return
    if to:
        assert stored.status == to
    if name in ("decide", "cancel"):
        assert events(session, cast.number)[-1].by == cast.principals[who].actor


@pytest.mark.parametrize(
    ("who", "status"),
    expect({"owner": 200, "agent": 200, "other_provider": 404}),
)
def test_who_may_answer_a_question(
    client: TestClient, session: Session, cast: Cast, who: str, status: int
) -> None:
    as_(client, cast, "controller").post(
        f"{API}/preauthorisations/{cast.number}/decision",
        json={"action": "ask_information", "reason": "bilan ?"},
    )
    r = as_(client, cast, who).post(
        f"{API}/preauthorisations/{cast.number}/information", json={"message": "joint"}
    )
    assert r.status_code == status, r.text
    assert row(session, cast.number).status == ("submitted" if status == 200 else "info_requested")


@pytest.mark.parametrize(
    ("who", "status"),
    expect({"owner": 201, "agent": 201, "other_provider": 404}),
)
def test_who_may_send_an_invoice(
    client: TestClient, session: Session, cast: Cast, who: str, status: int
) -> None:
    as_(client, cast, "controller").post(
        f"{API}/preauthorisations/{cast.number}/decision",
        json={"action": "agree", "valid_to": today().isoformat()},
    )
    r = as_(client, cast, who).post(
        f"{API}/preauthorisations/{cast.number}/invoices", json=invoice(3, 300_000, START)
    )
    assert r.status_code == status, r.text
    assert row(session, cast.number).status == ("invoiced" if status == 201 else "agreed")


@pytest.mark.parametrize(("who", "status"), expect(READ))
def test_who_may_read_an_invoice_and_a_document(
    client: TestClient, cast: Cast, who: str, status: int
) -> None:
    owner = as_(client, cast, "owner")
    doc = _upload(owner, cast).json()
    as_(client, cast, "controller").post(
        f"{API}/preauthorisations/{cast.number}/decision",
        json={"action": "agree", "valid_to": today().isoformat()},
    )
    claim = (
        as_(client, cast, "owner")
        .post(f"{API}/preauthorisations/{cast.number}/invoices", json=invoice(3, 300_000, START))
        .json()["claim"]
    )
    caller = as_(client, cast, who)
    got = caller.get(f"{API}/preauthorisations/{cast.number}/invoices/{claim}")
    assert got.status_code == status, got.text
    download = caller.get(f"{API}/preauthorisations/{cast.number}/documents/{doc['id']}")
    assert download.status_code == status, download.text
    if status == 200:
        assert download.content == PDF


@pytest.mark.parametrize(("who", "status"), expect({"agent": 200, "controller": 200}))
def test_who_may_read_the_queue(client: TestClient, cast: Cast, who: str, status: int) -> None:
    r = as_(client, cast, who).get(f"{API}/preauthorisations/queue")
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["total"] == 2


@pytest.mark.parametrize(
    ("who", "status"),
    expect({"agent": 200, "controller": 200, "admin": 200, "analyst": 200}),
)
def test_who_may_read_the_figures(client: TestClient, cast: Cast, who: str, status: int) -> None:
    r = as_(client, cast, who).get(f"{API}/statistics/preauthorisations")
    assert r.status_code == status, r.text


def test_the_insured_and_the_clinic_see_staff_by_role_and_staff_see_names(
    client: TestClient, session: Session, cast: Cast
) -> None:
    as_(client, cast, "controller").post(
        f"{API}/preauthorisations/{cast.number}/decision",
        json={"action": "ask_information", "reason": "bilan ?"},
    )
    as_(client, cast, "agent").post(
        f"{API}/preauthorisations/{cast.number}/information", json={"message": "joint"}
    )
    as_(client, cast, "controller").post(
        f"{API}/preauthorisations/{cast.number}/decision",
        json={"action": "refuse", "reason": "non justifié"},
    )
    seen = {
        who: as_(client, cast, who).get(f"{API}/preauthorisations/{cast.number}").json()
        for who in ("family", "owner", "agent", "controller")
    }
    by = {who: [h["by"] for h in body["history"]] for who, body in seen.items()}
    assert by["family"] == ["provider", "controller", "agent", "controller"]
    assert by["owner"] == ["provider:admissions", "controller", "agent", "controller"]
    stored = ["provider:admissions", "controller:karim", "agent:salma", "controller:karim"]
    assert by["agent"] == by["controller"] == stored
    assert [seen[w]["decided_by"] for w in ("family", "owner", "agent")] == [
        "controller",
        "controller",
        "controller:karim",
    ]


def test_staff_reads_are_logged_and_the_family_s_and_the_clinic_s_are_not(
    client: TestClient, session: Session, cast: Cast
) -> None:
    def logged() -> list[tuple[str, str, str, str]]:
        rows = session.scalars(select(ReadLog).order_by(ReadLog.id))
        return [(r.actor, r.role, r.what, r.key) for r in rows]

    before = logged()
    for who in ("family", "owner"):
        assert (
            as_(client, cast, who).get(f"{API}/preauthorisations/{cast.number}").status_code == 200
        )
    assert logged() == before
    doc = _upload(as_(client, cast, "owner"), cast).json()
    for who in ("agent", "controller"):
        caller = as_(client, cast, who)
        assert caller.get(f"{API}/preauthorisations/{cast.number}").status_code == 200
        assert (
            caller.get(f"{API}/preauthorisations/{cast.number}/documents/{doc['id']}").status_code
            == 200
        )
    assert logged()[len(before) :] == [
        ("agent:salma", "agent", "preauthorisation", cast.number),
        ("agent:salma", "agent", "preauth_document", f"{cast.number}/{doc['id']}"),
        ("controller:karim", "controller", "preauthorisation", cast.number),
        ("controller:karim", "controller", "preauth_document", f"{cast.number}/{doc['id']}"),
    ]
    # the list is not a read of a request's content: no log
    as_(client, cast, "agent").get(f"{API}/preauthorisations")
    assert len(logged()) == len(before) + 4


def test_a_provider_uploads_for_its_own_requests_and_sees_its_name_on_them(
    client: TestClient, cast: Cast
) -> None:
    doc = _upload(as_(client, cast, "owner"), cast).json()
    assert doc["uploaded_by"] == "provider:admissions"
    again = _upload(as_(client, cast, "owner"), cast)
    assert again.status_code == 200 and again.json()["id"] == doc["id"]
    family_view = as_(client, cast, "family").get(f"{API}/preauthorisations/{cast.number}").json()
    assert [d["uploaded_by"] for d in family_view["documents"]] == ["provider"]
    r = as_(client, cast, "owner").get(f"{API}/preauthorisations/{cast.number}/documents/999999")
    assert r.status_code == 404
