"""Pre-authorisations through the HTTP API: request, more information, agreement, the
facility's invoice matched and approved for payment to the facility; a refusal; a late
answer; care needing an authorisation that arrives as a claim without one; access scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from daman.auth.access import Principal, current_principal
from daman.auth.models import Role
from daman.core.dates import today
from daman.notifications.models import Notification, NotificationStatus
from daman.payments import service as payments
from daman.payments.models import PaymentItem
from daman.preauth.models import PreauthRequest
from daman.preauth.seed import load_requirements
from daman.providers import builders as pb
from daman.providers.models import Provider
from daman.registry.models import Person
from tests.claims.support import cnss_insured

API = "/api/v1"
EMAIL = "admissions@palmiers.ma"
DAY = 850_00  # HOSP_MED, CNSS convention 2020: 850 MAD a day


def act_as(client: TestClient, who: Principal) -> TestClient:
    client.app.dependency_overrides[current_principal] = lambda: who  # type: ignore[attr-defined]
    return client


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return act_as(client, Principal.system("test"))


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    load_requirements(session)
    return {
        "patient": cnss_insured(session),
        "clinic": pb.provider(session, kind="clinic", sector="private", name="Clinique Palmiers"),
    }


def stay(patient: Person, clinic: Provider, days: int = 3, **extra: Any) -> dict[str, Any]:
    start = today()
    return {
        "patient": patient.immatriculation,
        "provider_inpe": clinic.inpe,
        "care_kind": "hospitalisation",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(days=days - 1)).isoformat(),
        "diagnosis": "cholécystectomie programmée",
        "notify_email": EMAIL,
        "lines": [
            {
                "category": "hospitalisation",
                "act_key": "HOSP_MED",
                "quantity": days,
                "estimate_centimes": 1_000_00 * days,
                "description": "séjour en chirurgie",
            }
        ],
        **extra,
    }


def invoice(days: int, charged: int) -> dict[str, Any]:
    return {
        "reference": "FAC-2026-0042",
        "lines": [
            {
                "category": "hospitalisation",
                "care_date": today().isoformat(),
                "act_key": "HOSP_MED",
                "quantity": days,
                "charged_centimes": charged,
            }
        ],
    }


def submit(api: TestClient, payload: dict[str, Any]) -> dict[str, Any]:
    r = api.post(f"{API}/preauthorisations", json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def decide(api: TestClient, number: str, **body: Any) -> dict[str, Any]:
    r = api.post(f"{API}/preauthorisations/{number}/decision", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def outbox(session: Session, number: str) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.reference == number)))


def shift(session: Session, number: str, hours: float, *columns: str) -> None:
    """Move timestamps of a request back in time (the time that passed)."""
    row = session.scalars(select(PreauthRequest).where(PreauthRequest.number == number)).one()
    delta = timedelta(hours=hours)
    values = {
        c: getattr(row, c).replace(tzinfo=getattr(row, c).tzinfo or UTC) - delta for c in columns
    }
    session.execute(update(PreauthRequest).where(PreauthRequest.id == row.id).values(**values))
    session.expire_all()


def test_request_information_agreement_invoice_and_payment_to_the_facility(
    api: TestClient, session: Session, world: dict[str, Any]
) -> None:
    patient, clinic = world["patient"], world["clinic"]
    body = submit(api, stay(patient, clinic))
    number = body["number"]
    assert body["status"] == "submitted" and body["rights"]["covered"] is True
    line = body["lines"][0]["expected"]
    # base min(3 x 1000.00, 3 x 850.00) = 2550.00; private hospitalisation 90 %
    assert (line["base_centimes"], line["rate_bp"], line["amo_centimes"]) == (
        3 * DAY,
        9000,
        229_500,
    )
    assert body["totals"]["expected_patient_centimes"] == 300_000 - 229_500
    assert body["clock"]["limit_hours"] == 48 and not body["clock"]["overdue"]
    assert 48 * 3600 - 60 < body["clock"]["left_seconds"] <= 48 * 3600
    assert [e["to_status"] for e in body["history"]] == ["submitted"]

    # The controller asks for the surgeon's report: the clock stops.
    asked = decide(api, number, action="ask_information", reason="compte rendu opératoire ?")
    assert asked["status"] == "info_requested" and asked["clock"]["paused"] is True
    assert asked["information_asked"] == "compte rendu opératoire ?"
    shift(session, number, 10, "paused_at")  # ten hours pass while the clinic looks for it
    r = api.post(
        f"{API}/preauthorisations/{number}/information", json={"message": "joint, voir pièce"}
    )
    assert r.status_code == 200, r.text
    resumed = r.json()
    assert resumed["status"] == "submitted" and resumed["clock"]["paused"] is False
    # the ten hours of waiting do not count: the answer is now due 58 h after submission
    due = datetime.fromisoformat(resumed["clock"]["due_at"])
    submitted = datetime.fromisoformat(resumed["submitted_at"])
    assert abs((due - submitted) - timedelta(hours=58)) < timedelta(minutes=1)
    assert resumed["clock"]["left_seconds"] > 47 * 3600

    queue = api.get(f"{API}/preauthorisations/queue").json()
    assert number in [q["number"] for q in queue["items"]]

    valid_to = (today() + timedelta(days=10)).isoformat()
    agreed = decide(api, number, action="agree", valid_to=valid_to)
    assert agreed["status"] == "agreed" and agreed["valid_to"] == valid_to
    assert agreed["clock"]["answered"] is True and agreed["clock"]["overdue"] is False
    assert agreed["lines"][0]["agreed_quantity"] == 3
    assert agreed["totals"]["agreed_amo_centimes"] == 229_500
    assert agreed["totals"]["agreed_patient_centimes"] == 70_500
    mails = outbox(session, number)
    assert [m.topic for m in mails] == ["preauth_info_requested", "preauth_agreed"]
    assert all(m.recipient == EMAIL and m.status == NotificationStatus.PENDING for m in mails)
    assert "2295.00 MAD" in mails[1].body and valid_to in mails[1].body

    # The clinic's invoice: matched to the authorisation and approved for payment.
    r = api.post(
        f"{API}/preauthorisations/{number}/invoices",
        json=invoice(3, 300_000),
        headers={"Idempotency-Key": "fac-42", "Accept-Language": "en"},
    )
    assert r.status_code == 201, r.text
    inv = r.json()
    assert inv["status"] == "approved" and inv["over_run"] is False
    assert inv["payee_inpe"] == clinic.inpe
    assert (inv["payable_centimes"], inv["patient_centimes"]) == (229_500, 70_500)
    matched = inv["lines"][0]
    assert matched["matched_line"] == 1 and matched["status"] == "accepted"
    assert "authorised" in [x["code"] for x in matched["reasons"]]
    assert "90 %" in next(x["text"] for x in matched["reasons"] if x["code"] == "authorised")
    again = api.post(
        f"{API}/preauthorisations/{number}/invoices",
        json=invoice(3, 300_000),
        headers={"Idempotency-Key": "fac-42"},
    )
    assert again.status_code == 200 and again.json()["claim"] == inv["claim"]

    final = api.get(f"{API}/preauthorisations/{number}").json()
    assert final["status"] == "invoiced"
    assert [e["to_status"] for e in final["history"]] == [
        "submitted",
        "info_requested",
        "submitted",
        "agreed",
        "invoiced",
    ]
    assert final["invoices"][0]["claim"] == inv["claim"]

    # The payment run pays the facility (tiers payant), not the insured.
    report = payments.run(session, "test")
    assert report.claims_paid == 1
    items = session.scalars(select(PaymentItem)).all()
    assert [(i.payee_kind, i.provider_id, i.amo_centimes) for i in items] == [
        ("provider", clinic.id, 229_500)
    ]


def test_an_over_run_goes_to_review(api: TestClient, world: dict[str, Any]) -> None:
    number = submit(api, stay(world["patient"], world["clinic"]))["number"]
    decide(api, number, action="agree", valid_to=(today() + timedelta(days=5)).isoformat())
    r = api.post(f"{API}/preauthorisations/{number}/invoices", json=invoice(4, 400_000))
    assert r.status_code == 201, r.text
    inv = r.json()
    assert inv["over_run"] is True and inv["status"] == "pending_review"
    assert "above_authorisation" in [x["code"] for x in inv["lines"][0]["reasons"]]
    queue = api.get(f"{API}/review-queue").json()
    assert inv["claim"] in [i["claim_number"] for i in queue["items"]]


def test_partial_agreement_rates_what_was_agreed(api: TestClient, world: dict[str, Any]) -> None:
    number = submit(api, stay(world["patient"], world["clinic"]))["number"]
    r = api.post(
        f"{API}/preauthorisations/{number}/decision",
        json={"action": "agree_partly", "valid_to": today().isoformat()},
    )
    assert r.status_code == 400
    assert r.json()["detail"] == [{"field": "lines", "reason": "nothing is reduced: agree instead"}]
    body = decide(
        api,
        number,
        action="agree_partly",
        valid_to=(today() + timedelta(days=3)).isoformat(),
        lines=[{"line_no": 1, "quantity": 2}],
        reason="deux nuits suffisent",
    )
    assert body["status"] == "partly_agreed"
    assert body["lines"][0]["agreed_base_centimes"] == 2 * DAY
    assert body["totals"]["agreed_amo_centimes"] == 153_000


def test_a_refusal(api: TestClient, session: Session, world: dict[str, Any]) -> None:
    number = submit(api, stay(world["patient"], world["clinic"]))["number"]
    r = api.post(f"{API}/preauthorisations/{number}/decision", json={"action": "refuse"})
    assert r.status_code == 400
    assert r.json() == {
        "error": "validation_failed",
        "detail": [{"field": "reason", "reason": "required when refusing: say why"}],
    }
    body = decide(api, number, action="refuse", reason="acte non justifié médicalement")
    assert body["status"] == "refused" and body["decision_reason"].startswith("acte")
    assert body["clock"]["answered"] is True
    [mail] = outbox(session, number)
    assert mail.topic == "preauth_refused" and "non justifié" in mail.body
    again = api.post(f"{API}/preauthorisations/{number}/decision", json={"action": "refuse"})
    assert again.status_code == 409 and again.json()["error"] == "preauth_not_open"
    r = api.post(f"{API}/preauthorisations/{number}/invoices", json=invoice(3, 300_000))
    assert r.status_code == 409 and r.json()["error"] == "preauth_not_agreed"


def test_the_decision_is_written_in_the_patient_s_language(
    api: TestClient, session: Session, world: dict[str, Any]
) -> None:
    patient = world["patient"]
    patient.preferred_language = "ar"
    session.flush()
    number = submit(api, stay(patient, world["clinic"]))["number"]
    decide(api, number, action="refuse", reason="غير مبرر طبيا")
    [mail] = outbox(session, number)
    assert mail.subject == f"رفض طلب التحمل {number}" and "غير مبرر طبيا" in mail.body


def test_a_request_answered_late(api: TestClient, session: Session, world: dict[str, Any]) -> None:
    late = submit(api, stay(world["patient"], world["clinic"]))["number"]
    fresh = submit(api, stay(world["patient"], world["clinic"], days=2))["number"]
    shift(session, late, 50, "submitted_at", "due_at")  # it arrived 50 hours ago
    body = api.get(f"{API}/preauthorisations/{late}").json()
    assert body["clock"]["overdue"] is True
    assert -2 * 3600 - 60 < body["clock"]["left_seconds"] < -2 * 3600 + 60
    queue = api.get(f"{API}/preauthorisations/queue").json()["items"]
    mine = [q for q in queue if q["number"] in (late, fresh)]
    assert [q["number"] for q in mine] == [late, fresh]  # least time left first
    assert [q["clock"]["overdue"] for q in mine] == [True, False]

    answered = decide(api, late, action="agree", valid_to=today().isoformat())
    assert answered["clock"]["overdue"] is True and answered["clock"]["answered"] is True
    row = session.scalars(select(PreauthRequest).where(PreauthRequest.number == late)).one()
    assert row.answered_late is True and row.answer_seconds is not None
    assert row.answer_seconds >= 50 * 3600

    figures = api.get(f"{API}/statistics/preauthorisations").json()
    assert figures["answered_late"] >= 1 and figures["limit_hours"] == 48
    assert figures["open_waiting_for_fund"] >= 1
    assert "patient" not in str(figures) and late not in str(figures)


def test_care_needing_authorisation_without_one_is_refused(
    api: TestClient, world: dict[str, Any]
) -> None:
    patient, clinic = world["patient"], world["clinic"]
    line = invoice(2, 200_000)["lines"][0] | {"provider_inpe": clinic.inpe}
    r = api.post(
        f"{API}/claims",
        json={"patient": patient.immatriculation, "lines": [line]},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 201, r.text
    decision = r.json()["lines"][0]["decision"]
    assert decision["status"] == "rejected" and decision["amo_centimes"] == 0
    [reason] = decision["reasons"]
    assert reason["code"] == "authorisation_required"
    assert "needs a prior authorisation" in reason["text"]


def test_bad_requests_name_the_field_and_reason(api: TestClient, world: dict[str, Any]) -> None:
    payload = stay(world["patient"], world["clinic"])
    payload["patient"] = "DM0000000000"
    payload["planned_end"] = (today() - timedelta(days=3)).isoformat()
    payload["lines"][0] |= {"act_key": "NOPE", "quantity": 0, "estimate_centimes": -5}
    r = api.post(f"{API}/preauthorisations", json=payload)
    assert r.status_code == 400
    fields = {e["field"]: e["reason"] for e in r.json()["detail"]}
    assert set(fields) == {
        "patient",
        "planned_end",
        "lines[0].estimate_centimes",
        "lines[0].quantity",
        "lines[0].act_key",
    }
    assert fields["lines[0].act_key"] == "unknown TNR key NOPE"
    # an e-mail address is checked by the schema (EmailStr), before the service; the old
    # pattern took a reserved domain such as .localhost
    for address, why in [
        ("not-an-address", "An email address must have an @-sign."),
        ("a@palmiers.localhost", "The part after the @-sign is a special-use or reserved name"),
    ]:
        payload["notify_email"] = address
        r = api.post(f"{API}/preauthorisations", json=payload)
        assert r.status_code == 422
        [error] = r.json()["detail"]
        assert error["field"] == "notify_email"
        assert error["reason"].startswith(f"value is not a valid email address: {why}")
    number = submit(api, stay(world["patient"], world["clinic"]))["number"]
    r = api.post(
        f"{API}/preauthorisations/{number}/decision",
        json={"action": "agree", "lines": [{"line_no": 7, "quantity": 1}]},
    )
    assert r.status_code == 400
    fields = {e["field"]: e["reason"] for e in r.json()["detail"]}
    assert fields == {"valid_to": "required: the last day covered", "lines[0].line_no": "no line 7"}
    r = api.post(f"{API}/preauthorisations/{number}/information", json={"message": "x"})
    assert r.status_code == 409


def test_a_provider_sees_only_its_own_requests(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    clinic, other = world["clinic"], pb.provider(session, kind="hospital", sector="private")
    api = act_as(client, Principal.system("test"))
    number = submit(api, stay(world["patient"], clinic))["number"]
    outsider = Principal(actor="provider:other", role=Role.PROVIDER, provider_id=other.id)
    act_as(client, outsider)
    assert client.get(f"{API}/preauthorisations/{number}").status_code == 404
    assert client.get(f"{API}/preauthorisations").json()["total"] == 0
    r = client.post(f"{API}/preauthorisations", json=stay(world["patient"], clinic))
    assert r.status_code == 400
    assert r.json()["detail"][0]["field"] == "provider_inpe"
    owner = Principal(actor=f"provider:{clinic.inpe}", role=Role.PROVIDER, provider_id=clinic.id)
    act_as(client, owner)
    assert client.get(f"{API}/preauthorisations/{number}").status_code == 200
    family = Principal(actor="user:x", role=Role.INSURED, person_id=world["patient"].id)
    act_as(client, family)
    assert client.get(f"{API}/preauthorisations/{number}").status_code == 200
    stranger = Principal(actor="user:y", role=Role.INSURED, person_id=other.id + 10_000)
    act_as(client, stranger)
    assert client.get(f"{API}/preauthorisations/{number}").status_code == 404
