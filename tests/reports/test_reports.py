"""Aggregate reports: figures by status and category, and nothing personal in them."""

from __future__ import annotations

from daman.accounts import builders
from daman.accounts.builders import bearer
from daman.auth.models import Role
from daman.claims import builders as claims
from daman.core.dates import today
from tests.claims.support import act, cnss_insured, electronic, provider, recent


def test_an_analyst_gets_totals_by_status_and_category_and_no_identifier(anonymous, session):
    doctor = provider(session)
    patients = [cnss_insured(session) for _ in range(3)]
    claims.received(
        session,
        [electronic(p, [act(doctor, recent(), 20_000 + i)]) for i, p in enumerate(patients)],
    )
    analyst = bearer(session, builders.user(session, Role.ANALYST))
    day = today().isoformat()
    r = anonymous.get(f"/api/v1/statistics/claims?from={day}&to={day}", headers=analyst)
    assert r.status_code == 200, r.text
    body = r.json()
    received = next(s for s in body["by_status"] if s["status"] == "received")
    assert received["claims"] >= 3 and received["charged_centimes"] >= 60_003
    consultation = next(c for c in body["by_category"] if c["category"] == "consultation")
    assert consultation["lines"] >= 3
    for p in patients:  # no immatriculation, no name anywhere in the answer
        assert p.immatriculation not in r.text and p.last_name not in r.text


def test_a_period_ending_before_it_starts_names_the_field(anonymous, session):
    analyst = bearer(session, builders.user(session, Role.ANALYST))
    r = anonymous.get("/api/v1/statistics/claims?from=2026-02-01&to=2026-01-01", headers=analyst)
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "to"
