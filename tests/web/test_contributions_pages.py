"""The contributions pages in process: an employer declares (rows refused reported by line
and field in the reader's language) and reads its account; an insured member reads what
they owe or what was declared for them; an agent imports the bank's file, assigns what
sits in suspense and adjusts or waives with a reason; an analyst reads collected against
due with no payer named. Errors are named per field with nothing half-saved, and each
page refuses the roles the API refuses."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.accounts import builders as ab
from daman.auth.models import Role, User
from daman.contributions.collection import builders as b
from daman.contributions.collection import declarations, receipts, runs, service
from daman.contributions.collection.models import Declaration
from daman.contributions.ledger.models import Call, CallStatus, Entry, EntryKind
from daman.registry.models import Employer
from tests.web.signing import sign_in
from tests.web.test_page_matrix import PAGES

MONTH = "2025-01"
OWED = 63_700  # two employees at 5,000 MAD in January 2025 (2.26 + 2.26 + 1.85 %: 318.50 each)


def signed_in(anonymous: TestClient, session: Session, user: User) -> str:
    return sign_in(anonymous, session, user)


def employer_user(session: Session, employer: Employer) -> User:
    user = ab.user(session, Role.EMPLOYER)
    service.link_employer_user(session, employer.number, user.username, "admin:test")
    return user


def declare(anonymous: TestClient, csrf: str, data: bytes, lang: str = "fr", month: str = MONTH):
    return anonymous.post(
        "/employer/declaration",
        data={"csrf_token": csrf, "month": month},
        files={"file": ("janvier.csv", data, "text/csv")},
        headers={"Accept-Language": lang},
    )


def cell_texts(html: str, table: str) -> list[list[str]]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]
    return [[" ".join(re.sub(r"<[^>]+>", "", c).split()) for c in row] for row in cells if row]


def test_the_pages_are_in_the_page_matrix() -> None:
    rules = {(m, p): roles for m, p, roles, _ in PAGES}
    assert rules[("GET", "/employer/account")] == {Role.EMPLOYER}
    assert rules[("POST", "/employer/declaration")] == {Role.EMPLOYER}
    assert rules[("GET", "/me/contributions")] == {Role.INSURED}
    assert rules[("POST", "/office/contributions/accounts/{number}/adjust")] == {Role.AGENT}
    assert rules[("POST", "/office/contributions/receipts")] == {Role.AGENT}
    assert rules[("GET", "/office/collected")] == {Role.ANALYST, Role.AGENT}


def test_an_employer_declares_and_reads_its_account(anonymous: TestClient, session: Session):
    employer, people = b.workforce(session, 2)
    csrf = signed_in(anonymous, session, employer_user(session, employer))
    form = anonymous.get("/employer/declaration", headers={"Accept-Language": "fr"})
    assert form.status_code == 200 and 'type="month"' in form.text
    rows = [(p.immatriculation, 26, "5000") for p in people] + [("DM1", 1, "x")]
    r = declare(anonymous, csrf, b.declaration(rows))
    assert r.status_code == 200, r.text[:3000]
    assert re.search(r'id="rows-read">3<', r.text) and re.search(r'id="rows-loaded">2<', r.text)
    assert re.search(r'id="rows-rejected">1<', r.text)
    assert cell_texts(r.text, "rejected") == [
        ["4", "Salaire brut", "Pas un montant en MAD : des chiffres, deux décimales au plus."]
    ]
    [call] = session.scalars(select(Call).where(Call.created_by.startswith("employer:"))).all()
    assert call.total_centimes == OWED and f"<bdi>{call.number}</bdi>" in r.text

    again = declare(anonymous, csrf, b.declaration(rows), lang="ar")  # the same file, in Arabic
    assert again.status_code == 200 and 'dir="rtl"' in again.text
    assert "لم يتغير شيء" in again.text  # declared before: nothing changed
    assert cell_texts(again.text, "rejected")[0][1] == "الأجر الإجمالي"

    account = anonymous.get("/employer/account", headers={"Accept-Language": "fr"})
    assert account.status_code == 200
    [shown] = cell_texts(account.text, "calls")
    assert shown[0] == call.number and shown[1] == f"{MONTH} CNSS_SAL"
    assert shown[3] == "10000.00 MAD" and shown[4] == "2.26 % / 2.26 % / 1.85 %"
    assert shown[5:9] == ["226.00 MAD", "411.00 MAD", "185.00 MAD", "637.00 MAD"]
    assert shown[10].startswith("Impayé") and shown[11] == "637.00 MAD"
    assert "637.00 MAD" in account.text.split('id="balance"')[1][:200]
    pdf = anonymous.get("/employer/statement.pdf?start=2025-01-01&end=2025-12-31")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert anonymous.get("/employer/statement.pdf?start=1800-01-01").status_code == 400
    assert anonymous.get("/employer/statement.pdf?start=demain").status_code == 400


def test_a_declaration_form_with_errors_saves_nothing(anonymous: TestClient, session: Session):
    employer, people = b.workforce(session, 1)
    csrf = signed_in(anonymous, session, employer_user(session, employer))
    before = session.scalar(select(func.count()).select_from(Declaration))
    r = anonymous.post(
        "/employer/declaration",
        data={"csrf_token": csrf, "month": "janvier"},
        headers={"Accept-Language": "fr"},
    )
    assert r.status_code == 400
    assert 'href="#month"' in r.text and 'href="#file"' in r.text
    assert "Écrivez le mois sous la forme AAAA-MM" in r.text
    no_column = declare(anonymous, csrf, b"immatriculation;days\nDM1;3\n")
    assert no_column.status_code == 400 and 'href="#file"' in no_column.text
    assert "Ce n&#39;est pas un fichier de déclaration" in no_column.text
    row = b.declaration([(people[0].immatriculation, 26, "5000")])
    no_rule = declare(anonymous, csrf, row, month="1950-01")
    assert no_rule.status_code == 400 and 'href="#month"' in no_rule.text
    assert "Aucune règle de cotisation" in no_rule.text
    assert session.scalar(select(func.count()).select_from(Declaration)) == before
    assert session.scalar(select(func.count()).select_from(Call)) == 0
    # without its CSRF token the form is refused before anything is read
    refused = anonymous.post("/employer/declaration", data={"month": MONTH})
    assert refused.status_code == 403


def test_an_employer_not_linked_yet_is_told_so(anonymous: TestClient, session: Session):
    signed_in(anonymous, session, ab.user(session, Role.EMPLOYER))
    r = anonymous.get("/employer/account", headers={"Accept-Language": "fr"})
    assert r.status_code == 404 and "agent de la caisse" in r.text


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.INSURED, "/employer/account"),
        (Role.AGENT, "/employer/declaration"),
        (Role.EMPLOYER, "/office/contributions"),
        (Role.ANALYST, "/office/contributions"),
        (Role.CONTROLLER, "/office/contributions/accounts/E1"),
        (Role.EMPLOYER, "/office/collected"),
        (Role.PROVIDER, "/office/collected"),
        (Role.EMPLOYER, "/me/contributions"),
    ],
)
def test_each_page_refuses_the_roles_the_api_refuses(
    anonymous: TestClient, session: Session, role: Role, path: str
) -> None:
    signed_in(anonymous, session, ab.user(session, role))
    assert anonymous.get(path).status_code == 403


def test_an_agent_imports_the_bank_file_and_adjusts_with_a_reason(
    anonymous: TestClient, session: Session
) -> None:
    employer, people = b.workforce(session, 2)
    rows = [(p.immatriculation, 26, "5000") for p in people]
    report = declarations.declare(
        session,
        b.declaration(rows),
        filename="jan.csv",
        month=date(2025, 1, 1),
        actor="employer:x",
        employer=employer,
    )
    call = report.calls[0]
    csrf = signed_in(anonymous, session, ab.user(session, Role.AGENT))
    found = anonymous.get(f"/office/contributions?q={employer.number}", follow_redirects=False)
    assert found.headers["location"] == f"/office/contributions/accounts/{call.account}"
    missing = anonymous.get("/office/contributions?q=E999", headers={"Accept-Language": "fr"})
    assert missing.status_code == 404 and 'href="#q"' in missing.text

    half = OWED // 2
    notice = b.camt054_credits(
        [
            ("BK-1", half, f"AMO {call.number}", date(2025, 2, 5)),
            ("BK-2", 9_900, "?", date(2025, 2, 6)),
        ]
    )
    imported = anonymous.post(
        "/office/contributions/receipts",
        data={"csrf_token": csrf},
        files={"file": ("camt054.xml", notice, "application/xml")},
    )
    assert imported.status_code == 200, imported.text[:2000]
    assert re.search(r'id="matched">1<', imported.text)
    assert re.search(r'id="unidentified">1<', imported.text)
    assert "BK-2" in imported.text.split('id="suspense-title"')[1]
    not_camt = anonymous.post(
        "/office/contributions/receipts",
        data={"csrf_token": csrf},
        files={"file": ("x.xml", b"<x/>", "application/xml")},
        headers={"Accept-Language": "fr"},
    )
    assert not_camt.status_code == 400 and 'href="#file"' in not_camt.text
    assert "ne peut être lu comme un camt.054" in not_camt.text
    csv_without_partner = anonymous.post(
        "/office/contributions/receipts",
        data={"csrf_token": csrf},
        files={"file": ("p.csv", b"reference,amount\n", "text/csv")},
    )
    assert csv_without_partner.status_code == 400 and 'href="#partner"' in csv_without_partner.text

    page = anonymous.get(
        f"/office/contributions/accounts/{call.account}", headers={"Accept-Language": "fr"}
    )
    assert page.status_code == 200
    assert cell_texts(page.text, "calls")[0][10].startswith("Payé en partie")
    assert cell_texts(page.text, "calls")[0][11] == "318.50 MAD"
    entries = session.scalar(select(func.count()).select_from(Entry))
    no_reason = anonymous.post(
        f"/office/contributions/accounts/{call.account}/adjust",
        data={"csrf_token": csrf, "amount": "100", "effect": "reduce", "call": call.number},
        headers={"Accept-Language": "fr"},
    )
    assert no_reason.status_code == 400 and 'href="#reason"' in no_reason.text
    assert "Donnez le motif" in no_reason.text
    waiver_adding = anonymous.post(
        f"/office/contributions/accounts/{call.account}/adjust",
        data={
            "csrf_token": csrf,
            "amount": "10",
            "effect": "add",
            "call": call.number,
            "waiver": "1",
            "reason": "x",
        },
    )
    assert waiver_adding.status_code == 400 and 'href="#effect"' in waiver_adding.text
    other_call = anonymous.post(
        f"/office/contributions/accounts/{call.account}/adjust",
        data={"csrf_token": csrf, "amount": "10", "effect": "add", "call": "C-0", "reason": "x"},
    )
    assert other_call.status_code == 400 and 'href="#call"' in other_call.text
    assert session.scalar(select(func.count()).select_from(Entry)) == entries  # nothing saved
    done = anonymous.post(
        f"/office/contributions/accounts/{call.account}/adjust",
        data={
            "csrf_token": csrf,
            "amount": "٣١٨.٥٠",
            "effect": "reduce",
            "call": call.number,
            "waiver": "1",
            "reason": "Remise accordée par décision 12/2025",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:2000]
    waiver = session.scalars(select(Entry).where(Entry.kind == EntryKind.WAIVER)).one()
    assert (waiver.amount_centimes, waiver.reason) == (
        -half,
        "Remise accordée par décision 12/2025",
    )
    assert waiver.created_by.startswith("agent:")
    stored = session.scalars(select(Call).where(Call.number == call.number)).one()
    session.refresh(stored)
    assert stored.status == CallStatus.PAID

    # the payment held in suspense, given to the employer with a reason
    receipt_id = re.search(r"/office/contributions/suspense/(\d+)/assign", imported.text)
    assert receipt_id is not None
    path = f"/office/contributions/suspense/{receipt_id.group(1)}/assign"
    refused = anonymous.post(path, data={"csrf_token": csrf, "account": employer.number})
    assert refused.status_code == 400 and f'href="#reason-{receipt_id.group(1)}"' in refused.text
    given = anonymous.post(
        path,
        data={"csrf_token": csrf, "account": employer.number, "reason": "virement du 6 février"},
        follow_redirects=False,
    )
    assert given.status_code == 303
    assert (
        anonymous.post(
            path, data={"csrf_token": csrf, "account": employer.number, "reason": "encore"}
        ).status_code
        == 400
    )  # not in suspense any more
    account = anonymous.get(f"/office/contributions/accounts/{call.account}?done=assigned")
    assert "BK-2" in account.text.split('id="receipts"')[1]


def test_an_analyst_sees_collected_against_due_with_no_payer_named(
    anonymous: TestClient, session: Session
) -> None:
    employer, people = b.workforce(session, 2)
    report = declarations.declare(
        session,
        b.declaration([(p.immatriculation, 26, "5000") for p in people]),
        filename="jan.csv",
        month=date(2025, 1, 1),
        actor="employer:x",
        employer=employer,
    )
    notice = b.camt054_credits([("BK-9", OWED, f"AMO {report.calls[0].number}", date(2025, 2, 5))])
    receipts.import_bank_file(session, notice, "camt.xml", "agent:x")
    signed_in(anonymous, session, ab.user(session, Role.ANALYST))
    r = anonymous.get(
        "/office/collected?start=2025-01&end=2025-02", headers={"Accept-Language": "fr"}
    )
    assert r.status_code == 200
    [row] = [c for c in cell_texts(r.text, "collected") if c[:2] == ["CNSS_SAL", "2025-01"]]
    assert row[2:] == [
        "1",
        "1",
        "637.00 MAD",
        "0.00 MAD",
        "637.00 MAD",
        "637.00 MAD",
        "100.00 %",
        "0.00 MAD",
    ]
    assert employer.name not in r.text and employer.number not in r.text
    bad = anonymous.get("/office/collected?start=2025-13&end=2024-01")
    assert bad.status_code == 400 and 'href="#start"' in bad.text
    backwards = anonymous.get("/office/collected?start=2025-02&end=2024-01")
    assert backwards.status_code == 400 and 'href="#end"' in backwards.text


def test_an_insured_person_sees_what_they_owe_or_what_was_declared(
    anonymous: TestClient, session: Session
) -> None:
    member = b.member(session, "TNS", category="ADOUL")
    runs.run(session, "TNS", date(2025, 1, 1), "agent:x")
    signed_in(anonymous, session, ab.user(session, Role.INSURED, person=member.immatriculation))
    r = anonymous.get("/me/contributions", headers={"Accept-Language": "fr"})
    assert r.status_code == 200
    [shown] = cell_texts(r.text, "calls")
    assert shown[1] == "2025-01 TNS" and shown[11] == "342.36 MAD"
    assert anonymous.get("/me/contributions/statement.pdf").content.startswith(b"%PDF")

    employer, people = b.workforce(session, 1)
    declarations.declare(
        session,
        b.declaration([(people[0].immatriculation, 26, "5000")]),
        filename="jan.csv",
        month=date(2025, 1, 1),
        actor="employer:x",
        employer=employer,
    )
    signed_in(anonymous, session, ab.user(session, Role.INSURED, person=people[0].immatriculation))
    salaried = anonymous.get("/me/contributions", headers={"Accept-Language": "fr"})
    assert salaried.status_code == 200 and 'id="calls"' not in salaried.text
    declared = salaried.text.split('id="declared-title"')[1]
    assert "2025-01" in declared and "113.00 MAD" in declared and employer.name in declared
    assert anonymous.get("/me/contributions/statement.pdf").status_code == 404
