"""The pre-authorisation pages in process: the answer's errors named per field in the
reader's language, nothing half-saved; who may open and answer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.models import Role
from daman.preauth.models import PreauthRequest, PreauthStatus
from daman.web.authorisations import hours_minutes
from tests.preauth.support import stay, submit, world
from tests.web.signing import sign_in


@pytest.fixture
def number(client: TestClient, session: Session) -> str:
    w = world(session)
    return str(submit(client, stay(w.patient, w.clinic))["number"])


def signed_in(anonymous: TestClient, session: Session, role: Role = Role.CONTROLLER) -> str:
    return sign_in(anonymous, session, role)


def status_of(session: Session, number: str) -> PreauthStatus:
    row = session.scalars(select(PreauthRequest).where(PreauthRequest.number == number)).one()
    session.refresh(row)
    return row.status


def test_hours_and_minutes() -> None:
    assert hours_minutes(7385) == "2 h 03"
    assert hours_minutes(-60) == "-0 h 01"
    assert hours_minutes(0) == "0 h 00"


def test_the_queue_shows_the_clock(anonymous: TestClient, session: Session, number: str) -> None:
    signed_in(anonymous, session)
    page = anonymous.get("/office/preauthorisations", headers={"Accept-Language": "fr"})
    assert page.status_code == 200 and number in page.text
    assert "48 h 00" in page.text or "47 h 59" in page.text


def test_errors_are_named_and_nothing_is_saved(
    anonymous: TestClient, session: Session, number: str
) -> None:
    csrf = signed_in(anonymous, session)
    url = f"/office/preauthorisations/{number}"
    assert anonymous.get(url).status_code == 200
    none = anonymous.post(url, data={"csrf_token": csrf})
    assert none.status_code == 400 and 'href="#action"' in none.text
    # refusing needs a reason; agreeing needs the date; a bad date is named
    refuse = anonymous.post(url, data={"csrf_token": csrf, "action": "refuse"})
    assert refuse.status_code == 400 and 'href="#reason"' in refuse.text
    agree = anonymous.post(url, data={"csrf_token": csrf, "action": "agree", "valid_to": "demain"})
    assert agree.status_code == 400 and 'href="#valid_to"' in agree.text
    units = anonymous.post(
        url,
        data={
            "csrf_token": csrf,
            "action": "agree_partly",
            "valid_to": "2099-01-01",
            "units_1": "deux",
        },
    )
    assert units.status_code == 400 and 'href="#units_1"' in units.text
    assert status_of(session, number) == PreauthStatus.SUBMITTED
    # in Arabic, the summary is in Arabic
    ar = anonymous.post(url + "?lang=ar", data={"csrf_token": csrf})
    assert "هناك مشكلة" in ar.text


def test_asking_for_information_pauses_the_clock(
    anonymous: TestClient, session: Session, number: str
) -> None:
    csrf = signed_in(anonymous, session)
    url = f"/office/preauthorisations/{number}"
    r = anonymous.post(
        url,
        data={"csrf_token": csrf, "action": "ask_information", "reason": "compte rendu"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert status_of(session, number) == PreauthStatus.INFO_REQUESTED
    assert "Suspendu" in anonymous.get("/office/preauthorisations").text


def test_an_agent_reads_but_does_not_answer(
    anonymous: TestClient, session: Session, number: str
) -> None:
    csrf = signed_in(anonymous, session, Role.AGENT)
    url = f"/office/preauthorisations/{number}"
    page = anonymous.get(url)
    assert page.status_code == 200 and 'name="action"' not in page.text
    r = anonymous.post(url, data={"csrf_token": csrf, "action": "refuse", "reason": "x"})
    assert r.status_code == 403
    for role in (Role.ANALYST, Role.INSURED, Role.PROVIDER):
        signed_in(anonymous, session, role)
        assert anonymous.get("/office/preauthorisations").status_code == 403
