"""Aggregate reports: figures by status and category, and nothing personal in them."""

from __future__ import annotations

from daman.accounts import builders
from daman.accounts.builders import bearer
from daman.auth.models import Role
from daman.claims import builders as claims
from daman.core.dates import today
from daman.reference import service as reference
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


def test_figures_of_one_agency_count_the_sheets_keyed_in_there(anonymous, session):
    """`agency=`: the claims deposited at that agency only; an unknown code names the field."""
    doctor = provider(session)
    patients = [cnss_insured(session) for _ in range(3)]
    sheets = claims.received(
        session, [electronic(p, [act(doctor, recent(), 20_000)]) for p in patients]
    )
    casa = reference.open_agency(
        session,
        reference.NewAgency(
            "CASA-T1", "Casablanca test", "الدار البيضاء", "Casablanca", "Casablanca-Settat"
        ),
        valid_from=recent(),
        actor="admin:test",
    )
    for sheet in sheets[:2]:
        sheet.agency_code = casa.code
    session.flush()
    analyst = bearer(session, builders.user(session, Role.ANALYST))
    day = today().isoformat()
    url = f"/api/v1/statistics/claims?from={day}&to={day}"
    whole = anonymous.get(url, headers=analyst).json()
    r = anonymous.get(f"{url}&agency=CASA-T1", headers=analyst)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agency"] == "CASA-T1" and body["claims"] == 2 < whole["claims"]
    assert sum(c["lines"] for c in body["by_category"]) == 2
    unknown = anonymous.get(f"{url}&agency=NOWHERE", headers=analyst)
    assert unknown.status_code == 400 and unknown.json()["detail"][0]["field"] == "agency"
