"""Helpers of the pre-authorisation tests: a covered patient and a private clinic, the JSON
the API takes (a planned stay, a decision, an invoice), who acts (a principal of each role),
the request's row, history and outbox, and a clock the tests set.

Amounts are centimes. The stay is the README's: HOSP_MED at the CNSS 2020 day tariff of
850.00 MAD, charged 1,000.00 MAD a day in a private clinic, rated 90 %.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from daman.auth.access import Principal, current_principal
from daman.auth.models import Role
from daman.core.dates import today
from daman.notifications.models import Notification
from daman.preauth import invoices as invoicing
from daman.preauth import service
from daman.preauth.models import PreauthEvent, PreauthRequest
from daman.preauth.seed import load_requirements
from daman.providers import builders as pb
from daman.providers.models import Provider
from daman.registry.models import Person
from tests.claims.support import cnss_insured

API = "/api/v1"
EMAIL = "admissions@palmiers.ma"
DAY = 850_00  # HOSP_MED, CNSS convention 2020: 850 MAD a day
CHARGED_A_DAY = 1_000_00
PRIVATE_HOSPITAL_BP = 9000
LIMIT_SECONDS = 48 * 3600
OPEN = ("submitted", "info_requested")
ANSWERED = ("agreed", "partly_agreed", "refused")

_user_id = count(9_000_001)


# -- who acts ------------------------------------------------------------------------------


def act_as(client: TestClient, who: Principal) -> TestClient:
    """Every request of `client` now comes from `who` (role rules and scope apply)."""
    client.app.dependency_overrides[current_principal] = lambda: who  # type: ignore[attr-defined]
    return client


def staff(role: Role, name: str = "amina") -> Principal:
    """A signed-in member of staff (a user id, so that their reads are logged)."""
    return Principal(actor=f"{role.value}:{name}", role=role, user_id=next(_user_id), username=name)


def provider_user(provider: Provider, name: str = "admissions") -> Principal:
    return Principal(
        actor=f"provider:{name}",
        role=Role.PROVIDER,
        user_id=next(_user_id),
        username=name,
        provider_id=provider.id,
    )


def insured_user(person: Person, name: str = "amina") -> Principal:
    return Principal(
        actor=f"insured:{name}",
        role=Role.INSURED,
        user_id=next(_user_id),
        username=name,
        person_id=person.id,
    )


# -- the world -----------------------------------------------------------------------------


@dataclass
class World:
    patient: Person
    clinic: Provider
    session: Session


def world(session: Session) -> World:
    """The authorisation list of `daman init`, a covered CNSS employee, a private clinic."""
    load_requirements(session)
    return World(
        patient=cnss_insured(session),
        clinic=pb.provider(session, kind="clinic", sector="private", name="Clinique Palmiers"),
        session=session,
    )


# -- payloads ------------------------------------------------------------------------------


def hospital_days(days: int = 3, charged_a_day: int = CHARGED_A_DAY, **extra: Any) -> dict:
    return {
        "category": "hospitalisation",
        "act_key": "HOSP_MED",
        "quantity": days,
        "estimate_centimes": charged_a_day * days,
        "description": "séjour en chirurgie",
        **extra,
    }


def stay(
    patient: Person,
    clinic: Provider,
    days: int = 3,
    *,
    start: date | None = None,
    lines: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A planned stay of `days` days from `start` (today), one HOSP_MED line."""
    start = start or today()
    return {
        "patient": patient.immatriculation,
        "provider_inpe": clinic.inpe,
        "care_kind": "hospitalisation",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(days=days - 1)).isoformat(),
        "diagnosis": "cholécystectomie programmée",
        "notify_email": EMAIL,
        "lines": lines if lines is not None else [hospital_days(days)],
        **extra,
    }


def invoice_line(days: int, charged: int, care: date | None = None, **extra: Any) -> dict:
    return {
        "category": "hospitalisation",
        "care_date": (care or today()).isoformat(),
        "act_key": "HOSP_MED",
        "quantity": days,
        "charged_centimes": charged,
        **extra,
    }


def invoice(
    days: int, charged: int, care: date | None = None, reference: str = "FAC-2026-0042"
) -> dict[str, Any]:
    return {"reference": reference, "lines": [invoice_line(days, charged, care)]}


def until(days: int) -> str:
    """valid_to `days` after today, as the API takes it."""
    return (today() + timedelta(days=days)).isoformat()


# -- calls ---------------------------------------------------------------------------------


def submit(api: TestClient, payload: dict[str, Any]) -> dict[str, Any]:
    r = api.post(f"{API}/preauthorisations", json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def decision(api: TestClient, number: str, **body: Any) -> Response:
    return api.post(f"{API}/preauthorisations/{number}/decision", json=body)


def decide(api: TestClient, number: str, **body: Any) -> dict[str, Any]:
    r = decision(api, number, **body)
    assert r.status_code == 200, r.text
    return r.json()


def agree(api: TestClient, number: str, days: int = 10, **body: Any) -> dict[str, Any]:
    return decide(api, number, action="agree", valid_to=until(days), **body)


def inform(api: TestClient, number: str, message: str = "joint, voir pièce") -> Response:
    return api.post(f"{API}/preauthorisations/{number}/information", json={"message": message})


def cancel(api: TestClient, number: str, reason: str | None = None) -> Response:
    body = None if reason is None else {"reason": reason}
    return api.post(f"{API}/preauthorisations/{number}/cancel", json=body)


def send_invoice(
    api: TestClient, number: str, payload: dict[str, Any], key: str | None = None
) -> Response:
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(f"{API}/preauthorisations/{number}/invoices", json=payload, headers=headers)


def read(api: TestClient, number: str) -> dict[str, Any]:
    r = api.get(f"{API}/preauthorisations/{number}")
    assert r.status_code == 200, r.text
    return r.json()


def refused(r: Response, status: int, error: str) -> dict[str, Any]:
    """The answer is the error `error` with HTTP `status`; its body."""
    assert (r.status_code, r.json().get("error")) == (status, error), r.text
    body: dict[str, Any] = r.json()
    return body


def fields(r: Response) -> dict[str, str]:
    """field -> reason of a 400 validation_failed answer."""
    body = refused(r, 400, "validation_failed")
    return {e["field"]: e["reason"] for e in body["detail"]}


# -- what is stored ------------------------------------------------------------------------


def row(session: Session, number: str) -> PreauthRequest:
    session.expire_all()
    return session.scalars(select(PreauthRequest).where(PreauthRequest.number == number)).one()


def events(session: Session, number: str) -> list[PreauthEvent]:
    request_id = row(session, number).id
    stmt = select(PreauthEvent).where(PreauthEvent.request_id == request_id)
    return list(session.scalars(stmt.order_by(PreauthEvent.id)))


def trail(session: Session, number: str) -> list[tuple[str | None, str, str]]:
    """(from, to, by) of each status event of the request, in order."""
    return [(e.from_status, e.to_status, e.by) for e in events(session, number)]


def outbox(session: Session, number: str) -> list[Notification]:
    stmt = select(Notification).where(Notification.reference == number)
    return list(session.scalars(stmt.order_by(Notification.id)))


def shift(session: Session, number: str, hours: float, *columns: str) -> None:
    """Move timestamps of a request back in time (the time that passed)."""
    found = row(session, number)
    delta = timedelta(hours=hours)
    values = {
        c: getattr(found, c).replace(tzinfo=getattr(found, c).tzinfo or UTC) - delta
        for c in columns
    }
    session.execute(update(PreauthRequest).where(PreauthRequest.id == found.id).values(**values))
    session.expire_all()


def instant(value: datetime) -> datetime:
    """A stored timestamp as an aware datetime (SQLite gives them back naive, in UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# -- a clock the test sets -----------------------------------------------------------------


@dataclass
class Clock:
    """The pre-authorisation service's `now`, moved by the test (whole seconds, UTC)."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    c = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(service, "now", c)
    monkeypatch.setattr(invoicing, "now", c)
    yield c


# -- a request in each status --------------------------------------------------------------

STATUSES = (
    "submitted",
    "info_requested",
    "agreed",
    "partly_agreed",
    "refused",
    "cancelled",
    "invoiced",
)


def request_in(api: TestClient, w: World, status: str) -> str:
    """A fresh request of `w`'s patient and clinic brought to `status`; its number."""
    number: str = submit(api, stay(w.patient, w.clinic))["number"]
    if status == "info_requested":
        decide(api, number, action="ask_information", reason="compte rendu opératoire ?")
    elif status == "agreed":
        agree(api, number)
    elif status == "partly_agreed":
        agree(api, number, lines=[{"line_no": 1, "quantity": 2}])
    elif status == "refused":
        decide(api, number, action="refuse", reason="non justifié")
    elif status == "cancelled":
        assert cancel(api, number).status_code == 200
    elif status == "invoiced":
        agree(api, number)
        assert send_invoice(api, number, invoice(3, 300_000)).status_code == 201
    assert read(api, number)["status"] == status
    return number
