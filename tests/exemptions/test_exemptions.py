"""ALD/ALC exemptions through the HTTP API: a request with evidence, a grant that moves a
later claim line from 70 % to the ALD rate, its expiry that moves it back, a refusal, a
renewal, bad input and who may see what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.access import Principal, current_principal
from daman.auth.models import Role
from daman.core.dates import add_months, today
from daman.exemptions.models import AldExemption
from daman.notifications.models import Notification
from daman.registry import builders as rb
from tests.claims.support import GENERIC, PDF, cnss_insured, provider

API = "/api/v1"
DIABETES = "ALD09"
BOX = 1850  # METFORMINE DEMOGEN 850 MG: PRIX_BR 18.50 MAD


def act_as(client: TestClient, who: Principal) -> TestClient:
    client.app.dependency_overrides[current_principal] = lambda: who  # type: ignore[attr-defined]
    return client


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return act_as(client, Principal.system("test"))


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    return {
        "patient": cnss_insured(session),
        "pharmacy": provider(session, "pharmacy"),
        "doctor": provider(session, "doctor"),
    }


def ask(api: TestClient, world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {
        "patient": world["patient"].immatriculation,
        "ald_code": DIABETES,
        "icd10": "E11",
        "evidence": "HbA1c 9.1 % on two measures; metformin since 2024",
        "doctor_inpe": world["doctor"].inpe,
        "notify_email": "amina@example.ma",
        **extra,
    }
    r = api.post(f"{API}/ald-exemption-requests", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def medicine_claim(api: TestClient, world: dict[str, Any], care: date) -> dict[str, Any]:
    line = {
        "category": "medicine",
        "care_date": care.isoformat(),
        "provider_inpe": world["pharmacy"].inpe,
        "drug_code": GENERIC,
        "quantity": 1,
        "charged_centimes": BOX,
        "prescriber_inpe": world["doctor"].inpe,
        "prescription_date": care.isoformat(),
        "ald_code": DIABETES,
    }
    r = api.post(
        f"{API}/claims",
        json={"patient": world["patient"].immatriculation, "lines": [line]},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 201, r.text
    return r.json()["lines"][0]["decision"]


def test_a_grant_moves_a_later_line_to_the_ald_rate_and_its_expiry_moves_it_back(
    api: TestClient, session: Session, world: dict[str, Any]
) -> None:
    start, end = today() - timedelta(days=30), today() - timedelta(days=5)
    before = medicine_claim(api, world, today() - timedelta(days=20))
    assert (before["rate_bp"], before["amo_centimes"]) == (7000, 1295)
    assert [r["code"] for r in before["reasons"]] == ["ok", "ald_not_exempted"]

    request = ask(api, world, requested_from=start.isoformat())
    number = request["number"]
    assert request["status"] == "requested" and request["kind"] == "first"
    doc = api.post(
        f"{API}/ald-exemption-requests/{number}/documents",
        files={"file": ("bilan.pdf", PDF, "application/pdf")},
    )
    assert doc.status_code == 201, doc.text

    r = api.post(
        f"{API}/ald-exemption-requests/{number}/decision",
        json={"action": "grant", "valid_to": end.isoformat(), "reason": "diabète de type 2"},
    )
    assert r.status_code == 200, r.text
    granted = r.json()
    assert granted["status"] == "granted"
    exemption = granted["exemption"]
    assert (exemption["valid_from"], exemption["valid_to"]) == (start.isoformat(), end.isoformat())
    assert exemption["state"] == "expired"  # it ended five days ago
    assert [e["to_status"] for e in granted["history"]] == ["requested", "granted"]
    assert granted["documents"][0]["filename"] == "bilan.pdf"
    [mail] = session.scalars(select(Notification).where(Notification.reference == number)).all()
    assert mail.topic == "ald_granted" and mail.recipient == "amina@example.ma"
    assert start.isoformat() in mail.body and end.isoformat() in mail.body

    during = medicine_claim(api, world, today() - timedelta(days=19))
    assert (during["rate_bp"], during["amo_centimes"]) == (9000, 1665)  # CNSS ALD rate 90 %
    applied = next(r for r in during["reasons"] if r["code"] == "ald_exemption_applied")
    assert DIABETES in applied["text"] and "90 %" in applied["text"]

    after = medicine_claim(api, world, today() - timedelta(days=2))
    assert (after["rate_bp"], after["amo_centimes"]) == (7000, 1295)
    assert "ald_not_exempted" in [r["code"] for r in after["reasons"]]

    listed = api.get(f"{API}/ald-exemptions", params={"patient": request["patient"]}).json()
    assert [e["id"] for e in listed["items"]] == [exemption["id"]]


def test_renewal_starts_the_day_after_the_end(api: TestClient, world: dict[str, Any]) -> None:
    end = today() + timedelta(days=20)
    number = ask(api, world)["number"]
    granted = api.post(
        f"{API}/ald-exemption-requests/{number}/decision",
        json={"action": "grant", "valid_to": end.isoformat()},
    ).json()
    exemption_id = granted["exemption"]["id"]
    assert granted["exemption"]["state"] == "active"
    # a second first request for the same disease is refused: it is a renewal
    r = api.post(
        f"{API}/ald-exemption-requests",
        json={"patient": granted["patient"], "ald_code": DIABETES, "evidence": "again"},
    )
    assert r.status_code == 409 and r.json()["error"] == "already_exempted"
    r = api.post(
        f"{API}/ald-exemptions/{exemption_id}/renewal", json={"evidence": "still diabetic"}
    )
    assert r.status_code == 201, r.text
    renewal = r.json()
    assert renewal["kind"] == "renewal" and renewal["renews"] == exemption_id
    assert renewal["requested_from"] == (end + timedelta(days=1)).isoformat()
    renewed = api.post(
        f"{API}/ald-exemption-requests/{renewal['number']}/decision",
        json={"action": "grant", "for_life": True},
    ).json()
    assert renewed["exemption"]["valid_from"] == (end + timedelta(days=1)).isoformat()
    assert renewed["exemption"]["valid_to"] is None
    again = api.post(f"{API}/ald-exemptions/{exemption_id}/renewal", json={"evidence": "x"})
    assert again.status_code == 409


def test_a_refusal_leaves_no_exemption(
    api: TestClient, session: Session, world: dict[str, Any]
) -> None:
    number = ask(api, world)["number"]
    r = api.post(f"{API}/ald-exemption-requests/{number}/decision", json={"action": "refuse"})
    assert r.status_code == 400
    assert r.json()["detail"] == [{"field": "reason", "reason": "required when refusing: say why"}]
    r = api.post(
        f"{API}/ald-exemption-requests/{number}/decision",
        json={"action": "refuse", "reason": "glycémie normale"},
    )
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert r.json()["exemption"] is None
    assert session.scalars(select(AldExemption)).all() == []
    mail = session.scalars(select(Notification).where(Notification.reference == number)).one()
    assert mail.topic == "ald_refused" and "glycémie normale" in mail.body
    r = api.post(
        f"{API}/ald-exemption-requests/{number}/decision",
        json={"action": "grant"},
    )
    assert r.status_code == 409 and r.json()["error"] == "exemption_request_not_open"


def test_bad_requests_name_the_field_and_reason(api: TestClient, world: dict[str, Any]) -> None:
    r = api.post(
        f"{API}/ald-exemption-requests",
        json={
            "patient": "DM0000000000",
            "ald_code": "ALD99",
            "evidence": "  ",
            "doctor_inpe": "NOBODY",
        },
    )
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["detail"]}
    assert fields == {"patient", "ald_code", "evidence", "doctor_inpe"}
    # an e-mail address is checked by the schema (EmailStr), before the service
    r = api.post(
        f"{API}/ald-exemption-requests",
        json={
            "patient": "DM0000000000",
            "ald_code": "ALD09",
            "evidence": "x",
            "notify_email": "nope",
        },
    )
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "field": "notify_email",
            "reason": "value is not a valid email address: An email address must have an @-sign.",
        }
    ]
    number = ask(api, world)["number"]
    r = api.post(
        f"{API}/ald-exemption-requests/{number}/decision",
        json={
            "action": "grant",
            "valid_from": today().isoformat(),
            "valid_to": (today() - timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 400
    assert r.json()["detail"][0]["field"] == "valid_to"


def test_an_insured_person_asks_for_the_family_and_sees_only_it(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    patient = world["patient"]
    child = rb.dependent(session, patient, birth_date=date(2015, 3, 2))
    stranger = rb.insured(session, regime="CNSS_SAL")
    act_as(client, Principal(actor="user:amina", role=Role.INSURED, person_id=patient.id))
    own = ask(client, world, patient=child.immatriculation)
    assert own["patient"] == child.immatriculation
    r = client.post(
        f"{API}/ald-exemption-requests",
        json={"patient": stranger.immatriculation, "ald_code": DIABETES, "evidence": "x"},
    )
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "patient"
    act_as(client, Principal(actor="user:other", role=Role.INSURED, person_id=stranger.id))
    assert client.get(f"{API}/ald-exemption-requests/{own['number']}").status_code == 404
    assert client.get(f"{API}/ald-exemption-requests").json()["total"] == 0
    act_as(client, Principal(actor="provider:x", role=Role.PROVIDER, provider_id=1))
    assert client.get(f"{API}/ald-exemption-requests/{own['number']}").status_code == 403


def test_a_grant_lasts_five_years_by_default_and_a_cancelled_request_takes_nothing_more(
    api: TestClient, world: dict[str, Any]
) -> None:
    start = today()
    number = ask(api, world, requested_from=start.isoformat())["number"]
    granted = api.post(
        f"{API}/ald-exemption-requests/{number}/decision", json={"action": "grant"}
    ).json()
    five_years = add_months(start, 60)  # the same day five years on
    assert granted["exemption"]["valid_from"] == start.isoformat()
    assert granted["exemption"]["valid_to"] == (five_years - timedelta(days=1)).isoformat()

    other = ask(api, world, ald_code="ALD12")["number"]
    r = api.post(f"{API}/ald-exemption-requests/{other}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert [e["to_status"] for e in r.json()["history"]] == ["requested", "cancelled"]
    late = api.post(
        f"{API}/ald-exemption-requests/{other}/documents",
        files={"file": ("bilan.pdf", PDF, "application/pdf")},
    )
    assert late.status_code == 409 and late.json()["error"] == "exemption_request_not_open"
    again = api.post(f"{API}/ald-exemption-requests/{other}/cancel")
    assert again.status_code == 409


def test_a_reminder_before_the_exemption_ends_once_in_the_patient_s_language(
    api: TestClient, session: Session, world: dict[str, Any]
) -> None:
    from daman.exemptions.reminders import queue_reminders

    world["patient"].preferred_language = "fr"
    session.flush()
    number = ask(api, world)["number"]
    ends = today() + timedelta(days=45)
    r = api.post(
        f"{API}/ald-exemption-requests/{number}/decision",
        json={"action": "grant", "valid_from": today().isoformat(), "valid_to": ends.isoformat()},
    )
    assert r.status_code == 200, r.text

    assert queue_reminders(session, today() - timedelta(days=30), "cli:test") == 0  # too early
    assert queue_reminders(session, today(), "cli:test") == 1
    assert queue_reminders(session, today(), "cli:test") == 0  # reminded once
    (mail,) = session.scalars(select(Notification).where(Notification.topic == "ald_expiring"))
    assert mail.recipient == "amina@example.ma"
    assert mail.subject == f"Exonération ALD {DIABETES} : fin le {ends.isoformat()}"
    assert "renouvellement" in mail.body

    # a renewal already asked for: no reminder for the new end date either
    exemption = session.scalars(select(AldExemption)).one()
    exemption.valid_to = ends + timedelta(days=1)
    session.flush()
    r = api.post(
        f"{API}/ald-exemptions/{exemption.id}/renewal",
        json={"evidence": "HbA1c 7.9 %", "notify_email": "amina@example.ma"},
    )
    assert r.status_code == 201, r.text
    assert queue_reminders(session, today(), "cli:test") == 0
