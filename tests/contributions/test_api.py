"""The contributions API: an employer declares and sees only its own account; an insured
member sees theirs; agents run calls, import bank files, collect by direct debit, adjust;
analysts see collected against due with no payer named."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.accounts import builders as ab
from daman.auth.models import Role
from daman.contributions.collection import builders as b
from daman.contributions.collection import service
from daman.registry import builders as registry

API = "/api/v1"


def employer_user(session: Session, number: str) -> dict[str, str]:
    user = ab.user(session, Role.EMPLOYER)
    service.link_employer_user(session, number, user.username, "admin:test")
    return ab.bearer(session, user)


def test_an_employer_declares_and_sees_its_own_account_only(
    session: Session, anonymous: TestClient
) -> None:
    employer, people = b.workforce(session, 2)
    other, _ = b.workforce(session, 1)
    headers = employer_user(session, employer.number)
    data = b.declaration([(p.immatriculation, 26, "5000") for p in people] + [("DM1", 1, "x")])
    r = anonymous.post(
        f"{API}/contributions/declarations",
        files={"file": ("jan.csv", data, "text/csv")},
        data={"month": "2025-01"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["rows_loaded"], body["rows_rejected"], body["replayed"]) == (2, 1, False)
    assert body["errors"] == [
        {
            "line": 4,
            "field": "gross_wage",
            "reason": body["errors"][0]["reason"],
            "kind": "bad_amount",
        }
    ]
    [call] = body["calls"]
    again = anonymous.post(
        f"{API}/contributions/declarations",
        files={"file": ("jan.csv", data, "text/csv")},
        data={"month": "2025-01"},
        headers=headers,
    )
    assert again.status_code == 200 and again.json()["replayed"] is True

    me = anonymous.get(f"{API}/contributions/me", headers=headers).json()
    assert me["number"] == call["account"] and me["owed_centimes"] == 63_700
    calls = anonymous.get(f"{API}/contributions/accounts/{me['number']}/calls", headers=headers)
    assert calls.json()["items"][0]["number"] == call["number"]
    assert calls.json()["items"][0]["employer_rate_bp"] == 226
    entries = anonymous.get(f"{API}/contributions/accounts/{me['number']}/entries", headers=headers)
    assert [e["kind"] for e in entries.json()["items"]] == ["call"]
    assert entries.json()["items"][0]["created_by"].startswith("employer:")  # its own action
    pdf = anonymous.get(
        f"{API}/contributions/accounts/{me['number']}/statement.pdf", headers=headers
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # another employer's account, its calls: not found
    assert (
        anonymous.get(f"{API}/contributions/accounts/E{other.number}", headers=headers).status_code
        == 404
    )
    assert (
        anonymous.get(f"{API}/contributions/calls/{call['number']}", headers=headers).status_code
        == 200
    )
    # an employer cannot run the month's calls nor import bank files
    assert (
        anonymous.post(
            f"{API}/contributions/runs", json={"regime": "TNS", "month": "2025-01"}, headers=headers
        ).status_code
        == 403
    )


def test_an_unlinked_employer_user_is_told_so(session: Session, anonymous: TestClient) -> None:
    headers = ab.bearer(session, ab.user(session, Role.EMPLOYER))
    r = anonymous.get(f"{API}/contributions/me", headers=headers)
    assert (r.status_code, r.json()["error"]) == (404, "no_employer_linked")


def test_an_insured_member_sees_what_they_owe(
    session: Session, anonymous: TestClient, client: TestClient
) -> None:
    person = b.member(session, "TNS", category="ADOUL")
    user = ab.user(session, Role.INSURED, person=person.immatriculation)
    headers = ab.bearer(session, user)
    r = client.post(f"{API}/contributions/runs", json={"regime": "TNS", "month": "2025-01"})
    assert r.status_code == 200 and r.json()["calls"] == 1
    me = anonymous.get(f"{API}/contributions/me", headers=headers).json()
    assert (me["number"], me["owed_centimes"]) == (f"M{person.immatriculation}", 34_236)
    someone = registry.insured(session, regime="TNS")
    r = anonymous.get(f"{API}/contributions/accounts/M{someone.immatriculation}", headers=headers)
    assert r.status_code == 404


def test_agents_receive_collect_adjust_and_analysts_count(
    session: Session, client: TestClient, anonymous: TestClient
) -> None:
    member = b.member(session, "CHAMIL", rsu_score="9.4", valid_from=date(2024, 12, 1))
    number = f"M{member.immatriculation}"
    assert (
        client.post(
            f"{API}/contributions/runs", json={"regime": "CHAMIL", "month": "2025-01"}
        ).json()["total_centimes"]
        == 14_400
    )
    mandate = client.post(
        f"{API}/contributions/mandates",
        json={
            "account": number,
            "rib": registry.valid_rib(3),
            "debtor_name": "Amina",
            "signed_on": "2024-12-15",
        },
    )
    assert mandate.status_code == 201, mandate.text
    run = client.post(f"{API}/contributions/collections", json={"collection_date": "2025-01-01"})
    assert run.status_code == 201 and run.json()["total_centimes"] == 14_400
    xml = client.get(f"{API}/contributions/collections/{run.json()['number']}/pain008.xml")
    assert xml.status_code == 200 and b"pain.008.001.08" in xml.content
    e2e = f"{run.json()['number']}-1"
    camt = b.camt054_credits([("DD-1", 14_400, "PRLV", date(2025, 1, 2))], end_to_end=[e2e])
    got = client.post(
        f"{API}/contributions/receipts", files={"file": ("n.xml", camt, "application/xml")}
    )
    assert got.status_code == 200 and got.json()["matched"] == 1
    assert client.get(f"{API}/contributions/accounts/{number}").json()["balance_centimes"] == 0
    returned = client.post(
        f"{API}/contributions/returns",
        files={
            "file": (
                "r.csv",
                f"end_to_end_id,reason_code,reason\n{e2e},AC04,closed\n".encode(),
                "text/csv",
            )
        },
    )
    assert returned.json()["returned"] == 1
    assert client.get(f"{API}/contributions/accounts/{number}").json()["balance_centimes"] == 14_400
    adjusted = client.post(
        f"{API}/contributions/adjustments",
        json={
            "account": number,
            "amount_centimes": -14_400,
            "reason": "amnesty law 41.23",
            "call": f"{number}-CHAMIL-202501",
            "waiver": True,
        },
    )
    assert adjusted.status_code == 201 and adjusted.json()["balance_centimes"] == 0
    bad = client.post(
        f"{API}/contributions/adjustments",
        json={"account": number, "amount_centimes": 5, "reason": " "},
    )
    assert bad.status_code == 400 and {d["field"] for d in bad.json()["detail"]} == {
        "reason",
        "call",
    }
    arrears = client.post(f"{API}/contributions/arrears", json={"on": "2025-03-01"})
    assert arrears.status_code == 200
    analyst = ab.bearer(session, ab.user(session, Role.ANALYST))
    figures = anonymous.get(
        f"{API}/statistics/contributions?start=2025-01&end=2025-01", headers=analyst
    )
    assert figures.status_code == 200
    [row] = figures.json()["rows"]
    assert (row["regime"], row["calls"], row["called_centimes"]) == ("CHAMIL", 1, 14_400)
    assert (row["adjusted_centimes"], row["due_centimes"], row["collected_centimes"]) == (
        -14_400,
        0,
        0,
    )
    assert row["paid_calls"] == 0  # the direct debit was returned, then the debt waived
    assert (
        anonymous.get(
            f"{API}/statistics/contributions?start=2025-13&end=2025-01", headers=analyst
        ).status_code
        == 400
    )
