"""The demo: fixed persons whose rights are as designed, idempotent, end to end by the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from daman.accounts.service import verify_password
from daman.claims.models import Claim, ClaimLine
from daman.contributions.collection import runs
from daman.contributions.collection.models import MemberCategory
from daman.core import db as core_db
from daman.core.dates import month_start, today
from daman.core.db import make_engine, unit_of_work
from daman.providers.models import Provider
from daman.registry.models import Affiliation, AldExemption, Contribution, Person
from daman.registry.rights import check
from daman.synth.demo import load_demo
from daman.synth.demo_data import FIXED, FIXED_PROVIDERS, MARKER_CNIE

# role key -> (covered today, reason code of the rights check)
DESIGNED = {
    "employee": (True, "covered_principal"),
    "spouse": (True, "covered_dependent"),
    "child8": (True, "covered_dependent"),
    "student": (True, "covered_dependent"),
    "twin": (False, "dependent_child_over_age"),
    "civil_servant": (True, "covered_principal"),
    "tadamon": (True, "covered_principal"),
    "tadamon_spouse": (True, "covered_dependent"),
    "tadamon_child": (True, "covered_dependent"),
    "job_lost_4": (True, "covered_maintained_job_loss"),
    "job_lost_8": (False, "affiliation_ended"),
    "ald": (True, "covered_principal"),
    "tns": (True, "covered_principal"),
    "chamil": (True, "covered_principal"),
}
COUNTED = (Person, Provider, Claim, ClaimLine, Contribution, AldExemption)


def counts(session) -> dict[str, int]:
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


@pytest.fixture
def demo(session):
    return load_demo(seed=7, session=session)


def test_every_fixed_person_has_the_rights_designed(session, demo):
    assert [f.key for f in FIXED] == list(DESIGNED)
    by_role = dict(zip([f.key for f in FIXED], demo.persons, strict=True))
    for key, (covered, reason) in DESIGNED.items():
        eligibility = check(session, by_role[key].immatriculation, today())
        assert (eligibility.covered, eligibility.reason) == (covered, reason), key
        assert by_role[key].rights == reason
    civil_servant = check(session, by_role["civil_servant"].immatriculation, today())
    assert civil_servant.mutual_code == "MGPAP"


def test_the_diabetic_patient_holds_an_ald09_exemption(session, demo):
    ald = next(p for f, p in zip(FIXED, demo.persons, strict=True) if f.key == "ald")
    codes = session.scalars(
        select(AldExemption.ald_code)
        .join(Person, Person.id == AldExemption.person_id)
        .where(Person.immatriculation == ald.immatriculation)
    ).all()
    assert codes == ["ALD09"]


def test_the_tns_run_calls_every_self_employed_member(session, demo):
    tns = next(p for f, p in zip(FIXED, demo.persons, strict=True) if f.key == "tns")
    category = session.execute(
        select(MemberCategory.category_code, MemberCategory.valid_from, Affiliation.valid_from)
        .join(Person, Person.id == MemberCategory.person_id)
        .join(Affiliation, Affiliation.person_id == Person.id)
        .where(Person.immatriculation == tns.immatriculation)
    ).all()
    assert len(category) == 1
    code, since, affiliated = category[0]
    assert code == "TRADER_SIMPLIFIED" and since == affiliated
    members = session.scalar(
        select(func.count()).select_from(Affiliation).where(Affiliation.regime_code == "TNS")
    )
    month = month_start(today())
    report = runs.run(session, "TNS", month, "test")
    assert report.unpriced == 0 and not report.problems
    assert report.calls == report.members == members > 100
    again = runs.run(session, "TNS", month, "test")
    assert (again.calls, again.already_called, again.unpriced) == (0, members, 0)


def test_the_day_of_claims_is_adjudicated(session, demo):
    assert demo.created
    assert demo.counts["persons"] == 2_000 + len(FIXED)
    assert demo.counts["providers"] == 200
    assert demo.counts["claims"] >= 500
    statuses = dict(
        session.execute(select(Claim.status, func.count()).group_by(Claim.status)).all()
    )
    assert "received" not in statuses
    assert sum(statuses.values()) == demo.counts["claims"]
    outcome = {
        f.key: session.scalar(select(Claim.outcome).where(Claim.number == p.claim))
        for f, p in zip(FIXED, demo.persons, strict=True)
        if f.claim
    }
    assert outcome["employee"] == "accepted"
    assert outcome["spouse"] == "rejected"  # deposited 70 days after the care
    assert outcome["twin"] == "rejected"
    assert outcome["job_lost_8"] == "rejected"
    assert outcome["job_lost_4"] == "accepted"
    assert outcome["ald"] == "accepted"


def test_loading_twice_changes_nothing(session, demo):
    before = counts(session)
    again = load_demo(seed=7, session=session)
    assert not again.created
    assert counts(session) == before
    assert again.persons == demo.persons
    assert [p.inpe for p in again.providers] == [p.inpe for p in FIXED_PROVIDERS]


def test_cli_demo_end_to_end(database_url):
    engine = make_engine(database_url)
    core_db.set_engine(engine)
    from daman.cli import app

    runner = CliRunner()
    first = runner.invoke(app, ["demo"], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    # a fresh database: the fixed persons get the first numbers, in order
    assert "DM0000000194" in first.output and "F0000000001" in first.output
    assert "demo loaded" in first.output
    with engine.connect() as conn:
        assert conn.scalar(select(Person.immatriculation).where(Person.cnie == MARKER_CNIE)) == (
            "DM0000000194"
        )
        persons = conn.scalar(select(func.count()).select_from(Person))
    second = runner.invoke(app, ["demo"], env={"COLUMNS": "200"})
    assert second.exit_code == 0, second.output
    assert "already loaded" in second.output and "DM0000000194" in second.output
    # one account per role, to sign in with (development only)
    assert "Demo accounts" in second.output and "daman-demo-2026" in second.output
    with unit_of_work() as s:
        youssef = verify_password(s, "youssef", "daman-demo-2026")
        assert (youssef.role, s.get(Person, youssef.person_id).immatriculation) == (
            "insured",
            "DM0000000194",
        )
        latifa = verify_password(s, "latifa", "daman-demo-2026")  # the ALD patient's account
        assert s.get(Person, latifa.person_id).immatriculation == "DM0000001261"
        assert verify_password(s, "pharmacie", "daman-demo-2026").provider_id is not None
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Person)) == persons
    engine.dispose()


def test_cli_synth_end_to_end(database_url):
    engine = make_engine(database_url)
    core_db.set_engine(engine)
    from daman.cli import app

    runner = CliRunner()
    args = ["synth", "--persons", "3000", "--claims", "150", "--days", "2", "--seed", "9"]
    result = runner.invoke(app, [*args, "--as-of", "2026-06-15"])
    assert result.exit_code == 0, result.output
    assert "persons/s" in result.output
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Person)) == 3_000
        assert conn.scalar(select(func.count()).select_from(Claim)) == 300
        assert conn.scalar(select(func.count()).select_from(Provider)) == 30
    engine.dispose()
