"""Helpers of the exemption tests: a covered patient with a pharmacy and a doctor, the JSON
the API takes (a request, a decision, a renewal), who acts (a principal of each role), the
request's row, history and outbox, and granted periods written directly.

The disease is diabetes (ALD09), the medicine METFORMINE DEMOGEN 850 MG (18.50 MAD), rated
70 % ordinarily and 90 % (the CNSS ALD rate) under an exemption.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

import daman.models  # noqa: F401 - every table, for PERIODS
from daman.auth.access import Principal, current_principal
from daman.auth.models import Role
from daman.core.dates import today
from daman.core.db import Base
from daman.exemptions.models import AldExemptionRequest, AldRequestEvent
from daman.notifications.models import Notification
from daman.providers.models import Provider
from daman.registry.models import Person
from tests.claims.support import GENERIC, cnss_insured, provider

API = "/api/v1"
DIABETES = "ALD09"
HYPERTENSION = "ALD14"
BOX = 1850  # METFORMINE DEMOGEN 850 MG: PRIX_BR 18.50 MAD
EMAIL = "amina@example.ma"

_user_id = count(8_000_001)

# The granted periods, read and written by table: the registry reads them for rights and
# the engine for rates, whichever package declares the model.
PERIODS: Table = Base.metadata.tables["ald_exemptions"]


# -- who acts ------------------------------------------------------------------------------


def act_as(client: TestClient, who: Principal) -> TestClient:
    """Every request of `client` now comes from `who` (role rules and scope apply)."""
    client.app.dependency_overrides[current_principal] = lambda: who  # type: ignore[attr-defined]
    return client


def staff(role: Role, name: str = "karim") -> Principal:
    """A signed-in member of staff (a user id, so that their reads are logged)."""
    return Principal(actor=f"{role.value}:{name}", role=role, user_id=next(_user_id), username=name)


def insured_user(person: Person, name: str = "amina") -> Principal:
    return Principal(
        actor=f"insured:{name}",
        role=Role.INSURED,
        user_id=next(_user_id),
        username=name,
        person_id=person.id,
    )


def provider_user(who: Provider, name: str = "officine") -> Principal:
    return Principal(
        actor=f"provider:{name}",
        role=Role.PROVIDER,
        user_id=next(_user_id),
        username=name,
        provider_id=who.id,
    )


# -- the world -----------------------------------------------------------------------------


@dataclass
class World:
    patient: Person
    pharmacy: Provider
    doctor: Provider
    session: Session


def world(session: Session) -> World:
    return World(
        patient=cnss_insured(session),
        pharmacy=provider(session, "pharmacy"),
        doctor=provider(session, "doctor"),
        session=session,
    )


def day(n: int) -> date:
    """`n` days from today (negative: in the past)."""
    return today() + timedelta(days=n)


# -- payloads and calls --------------------------------------------------------------------


def asking(w: World, **extra: Any) -> dict[str, Any]:
    """A first request for diabetes, with evidence, a doctor and an address."""
    return {
        "patient": w.patient.immatriculation,
        "ald_code": DIABETES,
        "icd10": "E11",
        "evidence": "HbA1c 9.1 % on two measures; metformin since 2024",
        "doctor_inpe": w.doctor.inpe,
        "notify_email": EMAIL,
        **extra,
    }


def post_request(api: TestClient, body: dict[str, Any]) -> Response:
    return api.post(f"{API}/ald-exemption-requests", json=body)


def ask(api: TestClient, w: World, **extra: Any) -> dict[str, Any]:
    r = post_request(api, asking(w, **extra))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def decision(api: TestClient, number: str, **body: Any) -> Response:
    return api.post(f"{API}/ald-exemption-requests/{number}/decision", json=body)


def decide(api: TestClient, number: str, **body: Any) -> dict[str, Any]:
    r = decision(api, number, **body)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def grant(api: TestClient, number: str, **body: Any) -> dict[str, Any]:
    return decide(api, number, action="grant", **body)


def granted(api: TestClient, w: World, start: date, end: date | None, **extra: Any) -> dict:
    """A request from `start`, granted until `end` (for life when None); the exemption."""
    number = ask(api, w, requested_from=start.isoformat(), **extra)["number"]
    if end is None:
        out = grant(api, number, for_life=True)
    else:
        out = grant(api, number, valid_to=end.isoformat())
    exemption: dict[str, Any] = out["exemption"]
    return exemption


def renewal(api: TestClient, exemption_id: int, **body: Any) -> Response:
    body.setdefault("evidence", "HbA1c 7.9 %, still treated")
    return api.post(f"{API}/ald-exemptions/{exemption_id}/renewal", json=body)


def cancel(api: TestClient, number: str) -> Response:
    return api.post(f"{API}/ald-exemption-requests/{number}/cancel")


def read(api: TestClient, number: str) -> dict[str, Any]:
    r = api.get(f"{API}/ald-exemption-requests/{number}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


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


def row(session: Session, number: str) -> AldExemptionRequest:
    session.expire_all()
    stmt = select(AldExemptionRequest).where(AldExemptionRequest.number == number)
    return session.scalars(stmt).one()


def events(session: Session, number: str) -> list[AldRequestEvent]:
    request_id = row(session, number).id
    stmt = select(AldRequestEvent).where(AldRequestEvent.request_id == request_id)
    return list(session.scalars(stmt.order_by(AldRequestEvent.id)))


def trail(session: Session, number: str) -> list[tuple[str | None, str, str, str]]:
    """(from, to, by, why) of each status event of the request, in order."""
    return [(e.from_status, e.to_status, e.by, e.reason) for e in events(session, number)]


def outbox(session: Session, reference: str | None = None, topic: str | None = None) -> list:
    stmt = select(Notification)
    if reference is not None:
        stmt = stmt.where(Notification.reference == reference)
    if topic is not None:
        stmt = stmt.where(Notification.topic == topic)
    return list(session.scalars(stmt.order_by(Notification.id)))


def exemptions_of(session: Session, person: Person) -> list[tuple[str, date, date | None]]:
    """(disease, first day, last day) of the person's granted periods, by start."""
    stmt = select(PERIODS.c.ald_code, PERIODS.c.valid_from, PERIODS.c.valid_to).where(
        PERIODS.c.person_id == person.id
    )
    rows = session.execute(stmt.order_by(PERIODS.c.valid_from, PERIODS.c.id))
    return [(code, start, end) for code, start, end in rows]


def exemption_row(
    session: Session, person: Person, start: date, end: date | None, code: str = DIABETES
) -> int:
    """A granted period written directly (an exemption from before Daman, say); its id."""
    stmt = insert(PERIODS).values(
        person_id=person.id,
        ald_code=code,
        valid_from=start,
        valid_to=end,
        reference="legacy",
        note="",
        created_by="test",
        updated_by="test",
    )
    new_id: int = session.execute(stmt).inserted_primary_key[0]  # type: ignore[index]
    return new_id


def move_end(session: Session, exemption_id: int, end: date | None) -> None:
    """Change the last day of a granted period (an administrator's correction)."""
    session.execute(update(PERIODS).where(PERIODS.c.id == exemption_id).values(valid_to=end))
    session.expire_all()


def medicine_line(w: World, care: date) -> dict[str, Any]:
    return {
        "category": "medicine",
        "care_date": care.isoformat(),
        "provider_inpe": w.pharmacy.inpe,
        "drug_code": GENERIC,
        "quantity": 1,
        "charged_centimes": BOX,
        "prescriber_inpe": w.doctor.inpe,
        "prescription_date": care.isoformat(),
        "ald_code": DIABETES,
    }


def medicine_claim(api: TestClient, w: World, care: date) -> dict[str, Any]:
    """A box of metformin linked to diabetes, bought on `care`: the line's decision."""
    r = api.post(
        f"{API}/claims",
        json={"patient": w.patient.immatriculation, "lines": [medicine_line(w, care)]},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 201, r.text
    decided: dict[str, Any] = r.json()["lines"][0]["decision"]
    return decided


# -- a clock the test sets -----------------------------------------------------------------


@dataclass
class Clock:
    """The exemption service's `now`, moved by the test (whole seconds, UTC)."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def instant(value: datetime) -> datetime:
    """A stored timestamp as an aware datetime (SQLite gives them back naive, in UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
