"""An insured person's family is the dependent links in force: today for current data (the
person record, dependents, rights, a new claim, pre-authorisations, exemptions), the claim's
care date for a past claim. A member divorced months ago no longer reads the former
spouse's record, rights, new claims or exemptions, and cannot file for them; the claims of
the marriage stay on the member's side. Through the real API, as signed-in users."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from daman.accounts import builders
from daman.accounts.builders import bearer
from daman.auth.models import Role
from daman.core.dates import today
from daman.preauth.seed import load_requirements
from daman.providers import builders as pb
from daman.registry import builders as b
from daman.registry.models import Person
from daman.registry.repository import in_family
from tests.claims.support import act, cnss_insured, electronic, paper, provider

API = "/api/v1"


def claim(client: Any, headers: dict[str, str], payload: dict[str, Any]) -> str:
    r = client.post(f"{API}/claims", json=payload, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["number"])


@pytest.fixture
def divorced(session: Any) -> dict[str, Any]:
    """A member, their child, and a former spouse divorced 120 days ago (rights maintained
    12 months, so the former spouse is still covered, on their own)."""
    day = today()
    member = cnss_insured(session)
    ex = b.dependent(
        session,
        member,
        relationship="spouse",
        birth_date=date(1980, 1, 1),
        first_name="Samira",
        sex="F",
        valid_from=date(2015, 1, 1),
        valid_to=day - timedelta(days=120),
        end_reason="divorce",
    )
    child = b.dependent(session, member, birth_date=date(2016, 5, 5))
    return {
        "member": member,
        "ex": ex,
        "child": child,
        "doctor": provider(session),
        "divorce": day - timedelta(days=120),
    }


def test_a_divorced_member_no_longer_reads_the_former_spouse(anonymous, session, divorced):
    w = divorced
    ex, child, member = w["ex"].immatriculation, w["child"].immatriculation, w["member"]
    me = bearer(session, builders.user(session, Role.INSURED, person=member.immatriculation))
    agent = bearer(session, builders.user(session, Role.AGENT))

    def get(path: str, headers: dict[str, str]) -> Any:
        return anonymous.get(API + path, headers=headers)

    # the person record, rights, contributions, student proofs: 404 like a stranger's
    for path in (
        f"/insured/{ex}",
        f"/eligibility?person={ex}",
        f"/insured/{ex}/contributions",
        f"/persons/{ex}/student-proofs",
    ):
        r = get(path, me)
        assert (r.status_code, r.json()["error"]) == (404, "person_not_found"), path
        assert get(path, agent).status_code == 200, path
    assert get(f"/insured/{child}", me).status_code == 200
    assert get(f"/eligibility?person={child}", me).status_code == 200
    # the dependents: the links in force today; staff keep the history
    mine = get(f"/insured/{member.immatriculation}/dependents", me).json()
    assert [d["person"]["immatriculation"] for d in mine] == [child]
    history = get(f"/insured/{member.immatriculation}/dependents", agent).json()
    assert [(d["person"]["immatriculation"], d["end_reason"]) for d in history] == [
        (ex, "divorce"),
        (child, None),
    ]
    # and no new claim for them, even for care from the marriage
    married = w["divorce"] - timedelta(days=30)
    r = anonymous.post(
        f"{API}/claims", json=electronic(w["ex"], [act(w["doctor"], married, 20_000)]), headers=me
    )
    assert r.status_code == 400 and [e["field"] for e in r.json()["detail"]] == ["patient"]
    ok = anonymous.post(
        f"{API}/claims",
        json=electronic(w["child"], [act(w["doctor"], today(), 20_000)]),
        headers=me,
    )
    assert ok.status_code == 201, ok.text


def test_a_past_claim_follows_the_family_on_its_care_date(anonymous, session, divorced):
    w = divorced
    me = bearer(session, builders.user(session, Role.INSURED, person=w["member"].immatriculation))
    agent = bearer(session, builders.user(session, Role.AGENT))
    during = claim(
        anonymous,
        agent,
        paper(w["ex"], [act(w["doctor"], w["divorce"] - timedelta(days=30), 20_000)]),
    )
    on_the_last_day = claim(
        anonymous, agent, paper(w["ex"], [act(w["doctor"], w["divorce"], 20_000)])
    )
    after = claim(
        anonymous,
        agent,
        electronic(w["ex"], [act(w["doctor"], w["divorce"] + timedelta(days=1), 20_000)]),
    )
    own = claim(anonymous, agent, electronic(w["member"], [act(w["doctor"], today(), 20_000)]))
    kid = claim(anonymous, agent, electronic(w["child"], [act(w["doctor"], today(), 20_000)]))

    assert anonymous.get(f"{API}/claims/{during}", headers=me).status_code == 200
    assert anonymous.get(f"{API}/claims/{on_the_last_day}", headers=me).status_code == 200
    r = anonymous.get(f"{API}/claims/{after}", headers=me)
    assert (r.status_code, r.json()["error"]) == (404, "claim_not_found")
    listed = anonymous.get(f"{API}/claims", params={"limit": 50}, headers=me).json()
    assert sorted(c["number"] for c in listed["items"]) == sorted(
        [during, on_the_last_day, own, kid]
    )
    assert listed["total"] == 4
    by_patient = anonymous.get(
        f"{API}/claims", params={"patient": w["ex"].immatriculation}, headers=me
    ).json()
    assert sorted(c["number"] for c in by_patient["items"]) == sorted([during, on_the_last_day])
    # the former spouse, signed in, sees all of their own claims
    ex = bearer(session, builders.user(session, Role.INSURED, person=w["ex"].immatriculation))
    theirs = anonymous.get(f"{API}/claims", headers=ex).json()
    assert sorted(c["number"] for c in theirs["items"]) == sorted([during, on_the_last_day, after])


def test_pre_authorisations_and_exemptions_follow_todays_family(anonymous, session, divorced):
    w = divorced
    load_requirements(session)
    me = bearer(session, builders.user(session, Role.INSURED, person=w["member"].immatriculation))
    agent = bearer(session, builders.user(session, Role.AGENT))
    clinic = pb.provider(session, kind="clinic", sector="private")
    start = today()
    stay = {
        "patient": w["ex"].immatriculation,
        "provider_inpe": clinic.inpe,
        "care_kind": "hospitalisation",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(days=1)).isoformat(),
        "lines": [
            {
                "category": "hospitalisation",
                "act_key": "HOSP_MED",
                "quantity": 2,
                "estimate_centimes": 170_000,
            }
        ],
    }
    r = anonymous.post(f"{API}/preauthorisations", json=stay, headers=agent)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert anonymous.get(f"{API}/preauthorisations/{number}", headers=agent).status_code == 200
    assert anonymous.get(f"{API}/preauthorisations/{number}", headers=me).status_code == 404
    assert anonymous.get(f"{API}/preauthorisations", headers=me).json()["total"] == 0

    granted = b.ald_exemption(session, w["ex"], valid_from=date(2018, 1, 1))
    kept = b.ald_exemption(session, w["child"], valid_from=date(2020, 1, 1))
    assert anonymous.get(f"{API}/ald-exemptions/{granted.id}", headers=me).status_code == 404
    assert anonymous.get(f"{API}/ald-exemptions/{kept.id}", headers=me).status_code == 200
    listed = anonymous.get(f"{API}/ald-exemptions", headers=me).json()
    assert [e["id"] for e in listed["items"]] == [kept.id]
    asked = anonymous.post(
        f"{API}/ald-exemption-requests",
        json={"patient": w["ex"].immatriculation, "ald_code": "ALD09", "evidence": "HbA1c 9 %"},
        headers=me,
    )
    assert asked.status_code == 400 and asked.json()["detail"][0]["field"] == "patient"


def test_in_family_counts_a_link_from_its_first_to_its_last_day(session):
    """The SQL condition itself, on given dates: both ends of a link are in it."""
    member = b.insured(session, valid_from=date(2010, 1, 1))
    ex = b.dependent(
        session,
        member,
        relationship="spouse",
        birth_date=date(1980, 1, 1),
        valid_from=date(2015, 3, 1),
        valid_to=date(2023, 6, 30),
        end_reason="divorce",
    )
    moved = b.dependent(session, member, valid_from=date(2016, 1, 1), valid_to=date(2024, 2, 29))
    other = b.insured(session, valid_from=date(2010, 1, 1))
    b.link(session, other, moved, valid_from=date(2024, 3, 1))

    def family(on: date | None = None, of: Person = member) -> set[int]:
        return set(session.scalars(select(Person.id).where(in_family(Person.id, of.id, on))))

    assert family(date(2015, 2, 28)) == {member.id}
    assert family(date(2015, 3, 1)) == {member.id, ex.id}
    assert family(date(2023, 6, 30)) == {member.id, ex.id, moved.id}
    assert family(date(2023, 7, 1)) == {member.id, moved.id}
    assert family(date(2024, 2, 29)) == {member.id, moved.id}
    assert family(date(2024, 3, 1)) == {member.id}
    assert family() == {member.id}  # today
    assert family(of=other) == {other.id, moved.id}
