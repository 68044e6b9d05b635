"""The controller's exemption pages in process: the queue, a request with its evidence, the
decision (grant for a period or for life, refuse with the reason); errors named per field,
nothing half-saved; who may open and decide."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.auth.models import Role
from daman.exemptions.models import RequestStatus
from tests.exemptions.support import ask, row, world
from tests.web.signing import sign_in


@pytest.fixture
def number(client: TestClient, session: Session) -> str:
    return str(ask(client, world(session))["number"])


def signed_in(anonymous: TestClient, session: Session, role: Role = Role.CONTROLLER) -> str:
    return sign_in(anonymous, session, role)


def test_the_queue_and_a_refusal_without_reason(anonymous, session, number) -> None:
    csrf = signed_in(anonymous, session)
    assert number in anonymous.get("/office/exemptions").text
    url = f"/office/exemptions/{number}"
    page = anonymous.get(url, headers={"Accept-Language": "fr"})
    assert page.status_code == 200 and "HbA1c" in page.text
    r = anonymous.post(url, data={"csrf_token": csrf, "action": "refuse"})
    assert r.status_code == 400 and 'href="#reason"' in r.text
    r = anonymous.post(url, data={"csrf_token": csrf, "action": "grant", "valid_to": "31/12"})
    assert r.status_code == 400 and 'href="#valid_to"' in r.text
    assert row(session, number).status == RequestStatus.REQUESTED


def test_granting_for_life_then_it_leaves_the_queue(anonymous, session, number) -> None:
    csrf = signed_in(anonymous, session)
    url = f"/office/exemptions/{number}"
    r = anonymous.post(
        url, data={"csrf_token": csrf, "action": "grant", "for_life": "yes"}, follow_redirects=False
    )
    assert r.status_code == 303
    request = row(session, number)
    session.refresh(request)
    assert request.status == RequestStatus.GRANTED
    assert request.decided_by is not None and request.decided_by.startswith("controller:")
    assert number not in anonymous.get("/office/exemptions").text


def test_an_agent_reads_but_does_not_decide(anonymous, session, number) -> None:
    csrf = signed_in(anonymous, session, Role.AGENT)
    url = f"/office/exemptions/{number}"
    page = anonymous.get(url)
    assert page.status_code == 200 and 'name="action"' not in page.text
    assert anonymous.post(url, data={"csrf_token": csrf, "action": "refuse"}).status_code == 403
    for role in (Role.ANALYST, Role.PROVIDER):
        signed_in(anonymous, session, role)
        assert anonymous.get("/office/exemptions").status_code == 403
