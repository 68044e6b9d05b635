"""An employer's month through the real served app (uvicorn in a subprocess, the demo
database and accounts, real credentials), on SQLite and PostgreSQL: the administrator
opens the employer's account, an agent links it, the employer declares two months (a
bad row reported by line and field), the bank's notification is imported, the employer
sees its calls paid and its statement, and the employee's rights open; what each answer
said was stored, with who and when, is stored."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from daman.contributions.collection import builders as b
from daman.contributions.ledger.models import Call, CallEvent, CallLine, CallStatus, Receipt
from daman.core.dates import add_months, month_start, today
from tests.served import Server, served_demo

PASSWORD = "atlas payroll 2026"


@pytest.fixture(scope="module")
def served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served_demo(engine.dialect.name, tmp_path_factory.mktemp("contributions")) as server:
        yield server


def ok(r: httpx.Response, status: int = 200) -> dict[str, object]:
    assert r.status_code == status, r.text
    body: dict[str, object] = r.json()
    return body


def workforce(server: Server) -> tuple[str, list[str]]:
    """An employer and two employees in the served database (the registry's business)."""
    eng = create_engine(server.database_url)
    try:
        with Session(eng) as session, session.begin():
            first = add_months(month_start(today()), -3)
            employer, people = b.workforce(session, 2, valid_from=first)
            return employer.number, [p.immatriculation for p in people]
    finally:
        eng.dispose()


def test_an_employers_month_from_declaration_to_receipt(served: Server) -> None:
    number, staff = workforce(served)
    admin, agent = served.token("admin"), served.token("agent")
    with served.client(admin) as c:
        user = {"username": "atlas-paie", "role": "employer", "password": PASSWORD}
        ok(c.post("/users", json=user), 201)
    with served.client(agent) as c:
        link = ok(
            c.post(f"/contributions/employers/{number}/users", json={"username": "atlas-paie"})
        )
    employer = served.token("atlas-paie", PASSWORD)
    months = [add_months(month_start(today()), -3), add_months(month_start(today()), -2)]
    calls = []
    with served.client(employer) as c:
        for n, month in enumerate(months):
            rows = [(p, 27, "6000.00") for p in staff] + ([("DM0000000000", 27, "1")] if n else [])
            body = ok(
                c.post(
                    "/contributions/declarations",
                    files={"file": (f"{month:%Y-%m}.csv", b.declaration(rows), "text/csv")},
                    data={"month": f"{month:%Y-%m}"},
                ),
                201,
            )
            calls.append(body["calls"][0])  # type: ignore[index]
        assert body["errors"] == [  # the second month's third row
            {
                "line": 4,
                "field": "immatriculation",
                "reason": "no person with immatriculation DM0000000000",
                "kind": "unknown_person",
            }
        ]
        me = ok(c.get("/contributions/me"))
        assert me["number"] == link["account"] and me["owed_centimes"] == 2 * 2 * 38_220
        assert c.post("/contributions/receipts", files={"file": ("x", b"<x/>")}).status_code == 403

    # the bank credits the fund: one transfer for both months, the second call's number given
    paid_on = today()
    notice = b.camt054_credits(
        [("SRV-1", 4 * 38_220, f"AMO {calls[0]['number']} {calls[1]['number']}", paid_on)],  # type: ignore[index]
        message="SRV-NOTICE",
    )
    with served.client(agent) as c:
        got = ok(c.post("/contributions/receipts", files={"file": ("camt054.xml", notice)}))
        assert (got["matched"], got["calls_paid"]) == (1, 2)
        # the employee's rights: 54 days declared and paid
        rights = ok(c.get("/eligibility", params={"person": staff[0], "date": today().isoformat()}))
        assert rights["covered"] is True

    with served.client(employer) as c:
        me = ok(c.get("/contributions/me"))
        assert (me["balance_centimes"], me["owed_centimes"]) == (0, 0)
        listed = ok(c.get(f"/contributions/accounts/{me['number']}/calls"))
        assert [i["status"] for i in listed["items"]] == ["paid", "paid"]  # type: ignore[index]
        receipts = c.get(f"/contributions/accounts/{me['number']}/receipts").json()
        assert [r["bank_reference"] for r in receipts] == ["SRV-1"]
        pdf = c.get(f"/contributions/accounts/{me['number']}/statement.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # what the answers said is stored, with who and when
    eng = create_engine(served.database_url)
    try:
        with eng.connect() as conn:
            stored = conn.execute(
                select(Call.number, Call.status, Call.paid_on, Call.created_by).order_by(Call.id)
            ).all()
            assert [(n, s) for n, s, _, _ in stored[-2:]] == [
                (calls[0]["number"], CallStatus.PAID.value),  # type: ignore[index]
                (calls[1]["number"], CallStatus.PAID.value),  # type: ignore[index]
            ]
            assert {by for *_, by in stored[-2:]} == {"employer:atlas-paie"}
            assert {p for _, _, p, _ in stored[-2:]} == {paid_on}
            events = conn.execute(select(CallEvent.to_status, CallEvent.by)).all()
            assert ("paid", "agent:agent") in [(e[0], e[1]) for e in events]
            assert conn.execute(select(Receipt.created_by)).scalars().all() == ["agent:agent"]
    finally:
        eng.dispose()
    assert served.errors_logged() == []


def test_a_tns_members_own_call_paid_opens_rights(served: Server) -> None:
    """A self-employed member's month through the served app: the agent runs the month's
    TNS calls (the member's call is the only row about the month: no line), the member is
    not covered while it is unpaid, and is from the day the bank credits it."""
    eng = create_engine(served.database_url)
    try:
        with Session(eng) as session, session.begin():
            first = month_start(today())
            member = b.member(session, "TNS", valid_from=first, category="TRADER_SIMPLIFIED")
            number = member.immatriculation
    finally:
        eng.dispose()
    agent = served.token("agent")
    when = {"person": number, "date": today().isoformat()}
    with served.client(agent) as c:
        run = ok(c.post("/contributions/runs", json={"regime": "TNS", "month": f"{first:%Y-%m}"}))
        assert run["unpriced"] == 0 and run["calls"] == run["members"]
        [call] = ok(c.get(f"/contributions/accounts/M{number}/calls"))["items"]  # type: ignore[misc]
        assert (call["members"], call["total_centimes"], call["status"]) == (1, 18_019, "open")
        unpaid = ok(c.get("/eligibility", params=when))
        assert (unpaid["covered"], unpaid["reason"]) == (False, "contributions_unpaid")
        notice = b.camt054_credits(
            [("SRV-TNS-1", 18_019, call["number"], today())], message="SRV-TNS"
        )
        got = ok(c.post("/contributions/receipts", files={"file": ("camt054.xml", notice)}))
        assert (got["matched"], got["calls_paid"]) == (1, 1)
        paid = ok(c.get("/eligibility", params=when))
        assert (paid["covered"], paid["reason"]) == (True, "covered_principal")
    eng = create_engine(served.database_url)
    try:
        with eng.connect() as conn:
            lines = select(func.count(CallLine.id)).join(Call, Call.id == CallLine.call_id)
            assert conn.execute(lines.where(Call.number == call["number"])).scalar() == 0
    finally:
        eng.dispose()
    assert served.errors_logged() == []
