"""The administrator's pages in process: a tariff version from a date, the drug list import
with its row report, users and API keys, the audit trail's verification; errors named per
field, nothing half-saved; only an administrator opens them."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.auth import tokens
from daman.auth.models import AccessToken, Role, User
from daman.core.dates import today
from daman.providers import builders as pb
from daman.reference.models import ActTariff, DrugPrice
from tests.reference.test_parsing import GOOD, HEADER
from tests.web.signing import sign_in


def signed_in(anonymous: TestClient, session: Session, role: Role = Role.ADMIN) -> str:
    return sign_in(anonymous, session, role)


def test_a_new_tariff_version_closes_the_one_in_force(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    start = today() + timedelta(days=30)
    page = anonymous.get("/office/admin/tariffs?key=C")
    assert page.status_code == 200 and "<bdi>C</bdi>" in page.text
    bad = anonymous.post(
        "/office/admin/tariffs",
        data={"csrf_token": csrf, "key": "C", "value": "12,345", "valid_from": "demain"},
    )
    assert (
        bad.status_code == 400 and 'href="#value"' in bad.text and 'href="#valid_from"' in bad.text
    )
    done = anonymous.post(
        "/office/admin/tariffs",
        data={
            "csrf_token": csrf,
            "key": "C",
            "value": "٩٠",
            "valid_from": start.isoformat(),
            "source": "convention 2027",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    rows = session.scalars(
        select(ActTariff)
        .where(ActTariff.key == "C", ActTariff.regime_code.is_(None))
        .order_by(ActTariff.valid_from)
    ).all()
    assert (rows[-1].value_centimes, rows[-1].valid_from) == (9000, start)
    assert rows[-2].valid_to == start - timedelta(days=1)
    assert rows[-1].created_by.startswith("admin:")


def test_the_drug_list_import_shows_its_row_report(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    before = session.scalar(select(func.count()).select_from(DrugPrice))
    csv = f"{HEADER}\n{GOOD}\n6118990000018,BAD,X,1,MG,C,1,abc,1,1,P,0.7\n".encode()
    r = anonymous.post(
        "/office/admin/drugs",
        data={"csrf_token": csrf, "valid_from": (today() + timedelta(days=1)).isoformat()},
        files={"file": ("liste.csv", csv, "text/csv")},
    )
    assert r.status_code == 200, r.text[:2000]
    assert "<dd>2</dd>" in r.text  # rows read
    assert "<td>3</td>" in r.text  # the rejected row's line (the header is line 1)
    assert session.scalar(select(func.count()).select_from(DrugPrice)) == before + 1
    no_file = anonymous.post(
        "/office/admin/drugs",
        data={"csrf_token": csrf, "valid_from": "2030-01-01"},
        files={"file": ("vide.csv", b"", "text/csv")},
    )
    assert no_file.status_code == 400 and 'href="#file"' in no_file.text
    older = anonymous.post(
        "/office/admin/drugs",
        data={"csrf_token": csrf, "valid_from": "2000-01-01"},
        files={"file": ("liste.csv", csv, "text/csv")},
    )
    assert older.status_code == 400 and 'href="#file"' in older.text


def test_users_and_api_keys(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    short = anonymous.post(
        "/office/admin/users",
        data={"csrf_token": csrf, "username": "nadia", "role": "agent", "password": "court"},
    )
    assert short.status_code == 400 and 'href="#password"' in short.text
    assert session.scalar(select(User).where(User.username == "nadia")) is None
    made = anonymous.post(
        "/office/admin/users",
        data={
            "csrf_token": csrf,
            "username": "nadia",
            "role": "agent",
            "password": "une phrase assez longue",
            "full_name": "Nadia Alaoui",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    anonymous.post("/office/admin/users/nadia/disable", data={"csrf_token": csrf})
    user = session.scalar(select(User).where(User.username == "nadia"))
    assert user is not None
    session.refresh(user)
    assert not user.active
    pharmacy = pb.provider(session, kind="pharmacy")
    issued = anonymous.post(
        "/office/admin/api-keys",
        data={"csrf_token": csrf, "provider": pharmacy.inpe, "label": "logiciel officine"},
    )
    assert issued.status_code == 200 and "dmk_" in issued.text
    key = session.scalar(select(AccessToken).where(AccessToken.provider_id == pharmacy.id))
    assert key is not None
    shown = re.search(r"<code><bdi>(dmk_[A-Za-z0-9_-]{40,})</bdi></code>", issued.text)
    assert shown is not None and tokens.resolve(session, shown.group(1)) is not None
    assert shown.group(1) not in anonymous.get("/office/admin/users").text  # shown once only
    anonymous.post(f"/office/admin/api-keys/{key.id}/revoke", data={"csrf_token": csrf})
    session.refresh(key)
    assert key.revoked_at is not None


def test_the_audit_trail_is_verified_and_only_admins_come_in(anonymous, session) -> None:
    csrf = signed_in(anonymous, session)
    r = anonymous.post("/office/admin/audit", data={"csrf_token": csrf})
    assert r.status_code == 200 and "La chaîne est intacte" in r.text
    for role in (Role.AGENT, Role.CONTROLLER, Role.ANALYST, Role.INSURED, Role.PROVIDER):
        signed_in(anonymous, session, role)
        assert anonymous.get("/office/admin").status_code == 403
