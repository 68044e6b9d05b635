"""An exemption's journey through the real served app (uvicorn in a subprocess, the demo
database and accounts, real credentials), on SQLite and PostgreSQL: the insured person asks
with evidence, the medical controller grants it for life, the insured person reads the
grant; the request, its history, the period and the message were stored before the
answers that told of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine

from daman.core.dates import today
from daman.exemptions.models import AldExemptionRequest, AldRequestEvent
from daman.notifications.models import Notification
from tests.claims.support import PDF
from tests.exemptions.support import PERIODS
from tests.served import Server, served_demo

PATIENT = "DM0000000194"  # Youssef Benali: the demo's insured account
HYPERTENSION = "ALD14"


@pytest.fixture(scope="module")
def served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served_demo(engine.dialect.name, tmp_path_factory.mktemp("exemptions")) as server:
        yield server


def committed(server: Server, number: str) -> dict[str, object]:
    """What the server's database holds for the request, read from outside the server."""
    eng = create_engine(server.database_url)
    try:
        with eng.connect() as conn:
            request = conn.execute(
                select(AldExemptionRequest).where(AldExemptionRequest.number == number)
            ).one()
            trail = conn.execute(
                select(AldRequestEvent.from_status, AldRequestEvent.to_status, AldRequestEvent.by)
                .where(AldRequestEvent.request_id == request.id)
                .order_by(AldRequestEvent.id)
            ).all()
            period = conn.execute(
                select(PERIODS.c.valid_from, PERIODS.c.valid_to, PERIODS.c.created_by).where(
                    PERIODS.c.id == request.exemption_id
                )
            ).one_or_none()
            mails = conn.execute(
                select(Notification.topic, Notification.recipient).where(
                    Notification.reference == number
                )
            ).all()
            return {
                "status": request.status,
                "decided_by": request.decided_by,
                "decided_at": request.decided_at,
                "trail": [tuple(t) for t in trail],
                "period": None if period is None else tuple(period),
                "mails": [tuple(m) for m in mails],
            }
    finally:
        eng.dispose()


def test_the_insured_asks_the_controller_grants_and_the_insured_reads_it(served: Server) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    insured = served.token("youssef")
    controller = served.token("controller")
    pharmacy = served.token("pharmacie")
    with (
        served.client(insured) as family,
        served.client(controller) as control,
        served.client(pharmacy) as outsider,
    ):
        body = {
            "patient": PATIENT,
            "ald_code": HYPERTENSION,
            "icd10": "I10",
            "evidence": "PA 180/110 sous trithérapie",
            "notify_email": "youssef@example.ma",
        }
        r = family.post("/ald-exemption-requests", json=body)
        assert r.status_code == 201, r.text
        number = r.json()["number"]
        assert r.json()["requested_by"] == "insured:youssef"
        doc = family.post(
            f"/ald-exemption-requests/{number}/documents",
            files={"file": ("bilan.pdf", PDF, "application/pdf")},
        )
        assert doc.status_code == 201, doc.text
        # at once readable; a provider reads no exemption; the insured decides nothing
        assert family.get(f"/ald-exemption-requests/{number}").json()["status"] == "requested"
        assert outsider.get(f"/ald-exemption-requests/{number}").status_code == 403
        grant = {"action": "grant", "for_life": True, "reason": "HTA sévère"}
        assert (
            family.post(f"/ald-exemption-requests/{number}/decision", json=grant).status_code == 403
        )

        waiting = control.get(
            "/ald-exemption-requests", params={"status": "requested", "limit": 200}
        )
        assert number in [i["number"] for i in waiting.json()["items"]]
        evidence = control.get(f"/ald-exemption-requests/{number}/documents/{doc.json()['id']}")
        assert evidence.status_code == 200 and evidence.content == PDF
        decided = control.post(f"/ald-exemption-requests/{number}/decision", json=grant)
        assert decided.status_code == 200, decided.text
        again = control.post(f"/ald-exemption-requests/{number}/decision", json=grant)
        assert (again.status_code, again.json()["error"]) == (409, "exemption_request_not_open")

        seen = family.get(f"/ald-exemption-requests/{number}").json()
        assert (seen["status"], seen["decided_by"], seen["decision_reason"]) == (
            "granted",
            "controller",  # staff by role to the insured
            "HTA sévère",
        )
        assert [(h["to_status"], h["by"]) for h in seen["history"]] == [
            ("requested", "insured:youssef"),
            ("granted", "controller"),
        ]
        exemption = seen["exemption"]
        assert (exemption["valid_from"], exemption["valid_to"], exemption["state"]) == (
            today().isoformat(),
            None,
            "active",
        )
        listed = family.get("/ald-exemptions", params={"patient": PATIENT}).json()
        assert exemption["id"] in [e["id"] for e in listed["items"]]
        # a period for life is not renewed
        renew = family.post(f"/ald-exemptions/{exemption['id']}/renewal", json={"evidence": "x"})
        assert (renew.status_code, renew.json()["error"]) == (409, "already_exempted")

    stored = committed(served, number)
    assert stored["status"] == "granted" and stored["decided_by"] == "controller:controller"
    assert stored["trail"] == [
        (None, "requested", "insured:youssef"),
        ("requested", "granted", "controller:controller"),
    ]
    assert stored["period"] == (today(), None, "controller:controller")
    assert stored["mails"] == [("ald_granted", "youssef@example.ma")]
    decided_at = stored["decided_at"]
    assert isinstance(decided_at, datetime)
    assert (decided_at if decided_at.tzinfo else decided_at.replace(tzinfo=UTC)) >= started
    assert served.errors_logged() == []
