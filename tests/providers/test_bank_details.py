"""A provider's bank account (RIB) is read by the fund's payment officers and by the
provider itself; the directory shows everyone else the provider without it."""

from __future__ import annotations

from typing import Any

from daman.accounts import builders, keys
from daman.accounts.builders import bearer
from daman.auth.models import Role
from daman.payments.endpoints import PAYMENTS
from daman.providers import builders as pb
from daman.registry.repository import FINANCE

API = "/api/v1"


def ribs(client: Any, headers: dict[str, str], **params: Any) -> dict[str, str | None]:
    r = client.get(f"{API}/providers", params={"limit": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return {p["inpe"]: p["rib"] for p in r.json()["items"]}


def test_only_finance_staff_and_the_provider_itself_read_a_rib(anonymous, session):
    doctor = pb.provider(session, city="Ouarzazate")
    pharmacy = pb.provider(session, kind="pharmacy", city="Ouarzazate")
    assert doctor.rib and pharmacy.rib
    everyone = {doctor.inpe: doctor.rib, pharmacy.inpe: pharmacy.rib}
    city = {"city": "Ouarzazate"}

    agent = bearer(session, builders.user(session, Role.AGENT))
    assert ribs(anonymous, agent, **city) == everyone
    assert anonymous.get(f"{API}/providers/{doctor.inpe}", headers=agent).json()["rib"] == (
        doctor.rib
    )
    for role in (Role.INSURED, Role.CONTROLLER, Role.ADMIN, Role.PROVIDER):
        headers = bearer(session, builders.user(session, role))
        assert ribs(anonymous, headers, **city) == dict.fromkeys(everyone), role
        one = anonymous.get(f"{API}/providers/{doctor.inpe}", headers=headers)
        assert one.status_code == 200 and one.json()["rib"] is None, role

    # the pharmacy reads its own account (to check where it is paid), not the doctor's
    own = bearer(session, builders.user(session, Role.PROVIDER, provider=pharmacy.inpe))
    assert ribs(anonymous, own, **city) == {doctor.inpe: None, pharmacy.inpe: pharmacy.rib}
    key = keys.issue_api_key(session, pharmacy.inpe, "officine", "test").token
    by_key = anonymous.get(
        f"{API}/providers/{pharmacy.inpe}", headers={"Authorization": f"Bearer {key}"}
    )
    assert by_key.json()["rib"] == pharmacy.rib


def test_an_administrator_keeps_provider_records_without_reading_the_rib(anonymous, session):
    """Admins keep the directory (KEEPERS) but do not run payments: a RIB they enter is
    stored, and not shown back."""
    admin = bearer(session, builders.user(session, Role.ADMIN))
    rib = pb.provider(session).rib  # a RIB whose key checks
    created = anonymous.post(
        f"{API}/providers",
        json={
            "inpe": "T-RIB-1",
            "kind": "doctor",
            "name": "Dr Test",
            "sector": "private",
            "rib": rib,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["rib"] is None
    agent = bearer(session, builders.user(session, Role.AGENT))
    assert anonymous.get(f"{API}/providers/T-RIB-1", headers=agent).json()["rib"] == rib


def test_finance_is_who_runs_payments():
    assert PAYMENTS.roles == FINANCE
