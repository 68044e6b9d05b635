"""A pre-authorisation's journey through the real served app (uvicorn in a subprocess,
the demo database and accounts, real credentials), on SQLite and PostgreSQL: the clinic's
software asks with its API key, the medical controller asks a question and agrees, the
clinic answers, reads the agreement and sends its invoice; each answer was stored before
it was sent, with who and when."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine

from daman.core.dates import today
from daman.notifications.models import Notification
from daman.preauth.models import PreauthEvent, PreauthRequest
from tests.served import Server, served_demo

CLINIC = "960000001"  # Clinique Les Palmiers, private
PATIENT = "DM0000000194"  # Youssef Benali, covered; the demo's insured account
START = today() - timedelta(days=6)


@pytest.fixture(scope="module")
def served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served_demo(engine.dialect.name, tmp_path_factory.mktemp("preauth")) as server:
        yield server


def stored(server: Server, number: str) -> tuple[PreauthRequest, list[PreauthEvent]]:
    """The request and its status events as committed in the server's database."""
    eng = create_engine(server.database_url)
    try:
        with eng.connect() as conn:
            request = conn.execute(
                select(PreauthRequest).where(PreauthRequest.number == number)
            ).one()
            trail = conn.execute(
                select(PreauthEvent)
                .where(PreauthEvent.request_id == request.id)
                .order_by(PreauthEvent.id)
            ).all()
            return request, trail  # type: ignore[return-value]
    finally:
        eng.dispose()


def mails(server: Server, number: str) -> list[str]:
    eng = create_engine(server.database_url)
    try:
        with eng.connect() as conn:
            query = select(Notification.topic).where(Notification.reference == number)
            return list(conn.scalars(query.order_by(Notification.id)))
    finally:
        eng.dispose()


def clinic_key(server: Server) -> str:
    """An API key of the clinic's software, issued by the administrator."""
    with server.client(server.token("admin")) as admin:
        r = admin.post(f"/providers/{CLINIC}/api-keys", json={"label": "logiciel clinique"})
        assert r.status_code == 201, r.text
        key: str = r.json()["key"]
        return key


def ok(r: httpx.Response, status: int = 200) -> dict[str, object]:
    assert r.status_code == status, r.text
    body: dict[str, object] = r.json()
    return body


def test_the_clinic_asks_the_controller_answers_and_the_clinic_invoices(served: Server) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    key = clinic_key(served)
    controller = served.token("controller")
    insured = served.token("youssef")
    pharmacy = served.token("pharmacie")
    request = {
        "patient": PATIENT,
        "provider_inpe": CLINIC,
        "care_kind": "hospitalisation",
        "planned_start": START.isoformat(),
        "planned_end": (START + timedelta(days=2)).isoformat(),
        "diagnosis": "cholécystectomie",
        "notify_email": "admissions@palmiers.ma",
        "lines": [
            {
                "category": "hospitalisation",
                "act_key": "HOSP_MED",
                "quantity": 3,
                "estimate_centimes": 300_000,
            }
        ],
    }
    with (
        served.client(key) as clinic,
        served.client(controller) as control,
        served.client(insured) as family,
        served.client(pharmacy) as outsider,
    ):
        asked = ok(clinic.post("/preauthorisations", json=request), 201)
        number = str(asked["number"])
        assert asked["status"] == "submitted"
        assert asked["totals"]["expected_amo_centimes"] == 229_500  # type: ignore[index]
        # the very next request sees it; another provider does not, the family does
        assert ok(clinic.get(f"/preauthorisations/{number}"))["status"] == "submitted"
        assert outsider.get(f"/preauthorisations/{number}").status_code == 404
        assert ok(family.get(f"/preauthorisations/{number}"))["number"] == number
        # the family may not answer for the fund, nor the clinic decide
        assert family.post(f"/preauthorisations/{number}/cancel").status_code == 403
        refused = clinic.post(
            f"/preauthorisations/{number}/decision", json={"action": "refuse", "reason": "x"}
        )
        assert refused.status_code == 403

        queue = ok(control.get("/preauthorisations/queue", params={"limit": 200}))
        assert number in [i["number"] for i in queue["items"]]  # type: ignore[attr-defined]
        question = {"action": "ask_information", "reason": "compte rendu opératoire ?"}
        paused = ok(control.post(f"/preauthorisations/{number}/decision", json=question))
        assert paused["status"] == "info_requested"
        seen = ok(clinic.get(f"/preauthorisations/{number}"))
        assert seen["information_asked"] == "compte rendu opératoire ?"
        assert seen["clock"]["paused"] is True  # type: ignore[index]
        ok(clinic.post(f"/preauthorisations/{number}/information", json={"message": "joint"}))
        agreement = {"action": "agree", "valid_to": today().isoformat(), "reason": "justifié"}
        ok(control.post(f"/preauthorisations/{number}/decision", json=agreement))

        answer = ok(clinic.get(f"/preauthorisations/{number}"))
        assert (answer["status"], answer["valid_from"], answer["valid_to"]) == (
            "agreed",
            START.isoformat(),
            today().isoformat(),
        )
        assert answer["totals"]["agreed_amo_centimes"] == 229_500  # type: ignore[index]
        assert answer["decided_by"] == "controller"  # staff by role to a provider
        assert answer["clock"]["answered"] is True and answer["clock"]["overdue"] is False  # type: ignore[index]
        history = [(h["to_status"], h["by"]) for h in answer["history"]]  # type: ignore[attr-defined]
        key_actor = history[0][1]
        assert key_actor.startswith(f"provider:{CLINIC}/key")
        assert history == [
            ("submitted", key_actor),
            ("info_requested", "controller"),
            ("submitted", key_actor),
            ("agreed", "controller"),
        ]

        line = {
            "category": "hospitalisation",
            "care_date": START.isoformat(),
            "act_key": "HOSP_MED",
            "quantity": 3,
            "charged_centimes": 300_000,
        }
        bill = {"reference": "FAC-PALM-1", "lines": [line]}
        headers = {"Idempotency-Key": f"palm-{number}"}
        sent = ok(
            clinic.post(f"/preauthorisations/{number}/invoices", json=bill, headers=headers), 201
        )
        assert (sent["status"], sent["payable_centimes"], sent["over_run"]) == (
            "approved",
            229_500,
            False,
        )
        again = clinic.post(f"/preauthorisations/{number}/invoices", json=bill, headers=headers)
        assert again.status_code == 200 and again.json()["claim"] == sent["claim"]
        assert ok(family.get(f"/preauthorisations/{number}"))["status"] == "invoiced"

    request_row, trail = stored(served, number)
    assert request_row.status == "invoiced" and request_row.decided_by == "controller:controller"
    assert [(e.from_status, e.to_status, e.by) for e in trail] == [
        (None, "submitted", key_actor),
        ("submitted", "info_requested", "controller:controller"),
        ("info_requested", "submitted", key_actor),
        ("submitted", "agreed", "controller:controller"),
        ("agreed", "invoiced", key_actor),
    ]
    times = [e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC) for e in trail]
    assert times == sorted(times) and times[0] >= started
    assert mails(served, number) == ["preauth_info_requested", "preauth_agreed"]
    assert served.errors_logged() == []
