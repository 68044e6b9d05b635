"""GET /eligibility as a provider: what a counter needs and nothing more, for a date of care
within the filing deadline, a limited number of times a minute, each look-up logged. Staff
and the insured family keep the full explanation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from daman.accounts import builders, keys
from daman.accounts.builders import bearer
from daman.auth.models import ReadLog, Role
from daman.auth.throttle import Throttle
from daman.config import get_settings
from daman.core.dates import today
from daman.providers import builders as pb
from daman.registry import builders as b
from tests.claims.support import cnss_insured

API = "/api/v1"
COUNTER = {"immatriculation", "on", "covered", "regime_code", "mutual_code", "ald_codes"}


@pytest.fixture
def family(session: Any) -> dict[str, Any]:
    day = today()
    member = cnss_insured(session)
    ex = b.dependent(
        session,
        member,
        relationship="spouse",
        birth_date=date(1980, 1, 1),
        valid_from=date(2015, 1, 1),
        valid_to=day - timedelta(days=100),
        end_reason="divorce",
    )
    teacher = b.insured(session, regime="CNOPS", valid_from=date(2010, 1, 1), mutual_code="MGPAP")
    ald = b.ald_exemption(session, teacher, valid_from=date(2020, 1, 1))
    return {"member": member, "ex": ex, "teacher": teacher, "ald_code": ald.ald_code}


@pytest.fixture
def pharmacy(session: Any) -> dict[str, str]:
    shop = pb.provider(session, kind="pharmacy")
    return bearer(session, builders.user(session, Role.PROVIDER, provider=shop.inpe))


def look_up(client: Any, headers: dict[str, str], person: str, on: date | None = None) -> Any:
    params = {"person": person} | ({"date": on.isoformat()} if on else {})
    return client.get(f"{API}/eligibility", params=params, headers=headers)


def test_a_provider_gets_the_counters_answer_and_nothing_private(
    anonymous, session, family, pharmacy
):
    ex = family["ex"].immatriculation
    r = look_up(anonymous, pharmacy, ex)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert set(answer) == COUNTER
    assert answer == {
        "immatriculation": ex,
        "on": today().isoformat(),
        "covered": True,  # rights maintained 12 months after the divorce
        "regime_code": "CNSS_SAL",
        "mutual_code": None,
        "ald_codes": [],
    }
    # nothing of the divorce, the former husband, or any date but the one asked
    assert family["member"].immatriculation not in r.text
    assert "ivorce" not in r.text
    teacher = look_up(anonymous, pharmacy, family["teacher"].immatriculation).json()
    assert (teacher["covered"], teacher["regime_code"], teacher["mutual_code"]) == (
        True,
        "CNOPS",
        "MGPAP",
    )
    assert teacher["ald_codes"] == [family["ald_code"]]
    # a death date is not told either: not covered, and no reason
    dead = b.insured(session, valid_from=date(2010, 1, 1), death_date=today() - timedelta(days=9))
    gone = look_up(anonymous, pharmacy, dead.immatriculation).json()
    assert gone["covered"] is False and set(gone) == COUNTER
    assert (gone["regime_code"], gone["ald_codes"]) == (None, [])
    assert str(dead.death_date) not in str(gone)


def test_staff_and_the_family_keep_the_explanation(anonymous, session, family):
    agent = bearer(session, builders.user(session, Role.AGENT))
    r = look_up(anonymous, agent, family["ex"].immatriculation, today() - timedelta(days=400))
    assert r.status_code == 200
    assert r.json()["reason"] == "covered_dependent" and "explanation" in r.json()
    now = look_up(anonymous, agent, family["ex"].immatriculation).json()
    assert now["reason"] == "covered_maintained_divorce"
    assert now["principal_immatriculation"] == family["member"].immatriculation
    me = bearer(
        session, builders.user(session, Role.INSURED, person=family["member"].immatriculation)
    )
    own = look_up(anonymous, me, family["member"].immatriculation).json()
    assert own["reason"] == "covered_principal" and own["explanation"]


def test_a_provider_asks_about_the_days_a_claim_may_still_be_filed(
    anonymous, session, family, pharmacy
):
    person = family["member"].immatriculation
    days = get_settings().provider_lookup_days
    assert days == 60
    assert look_up(anonymous, pharmacy, person, today() - timedelta(days=days)).status_code == 200
    for on, words in (
        (today() - timedelta(days=days + 1), "more than 60 days ago"),
        (today() + timedelta(days=1), "in the future"),
        (date(1999, 1, 1), "more than 60 days ago"),
    ):
        r = look_up(anonymous, pharmacy, person, on)
        assert (r.status_code, r.json()["error"]) == (400, "validation_failed"), on
        [problem] = r.json()["detail"]
        assert problem["field"] == "date" and words in problem["reason"]


def test_a_provider_is_held_to_a_few_look_ups_a_minute(anonymous, session, family, pharmacy):
    """The attack: 200 consecutive immatriculations in 2.4 s. The default limit stops it at
    30, per provider (its API keys and users together), with Retry-After."""
    person = family["member"].immatriculation
    limit = get_settings().provider_lookup_limit
    answers = [look_up(anonymous, pharmacy, person).status_code for _ in range(limit + 1)]
    assert answers == [200] * limit + [429]
    r = look_up(anonymous, pharmacy, person)
    assert r.status_code == 429
    assert r.json()["error"] == "too_many_lookups" and "wait" in r.json()["detail"]
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    # another provider, staff and the insured are not held by this pharmacy's count
    other = bearer(session, builders.user(session, Role.PROVIDER))
    assert look_up(anonymous, other, person).status_code == 200
    agent = bearer(session, builders.user(session, Role.AGENT))
    assert look_up(anonymous, agent, person).status_code == 200


def test_the_limit_counts_per_provider_across_its_keys_and_frees_up(anonymous, session, family):
    shop = pb.provider(session, kind="pharmacy")
    first = bearer(session, builders.user(session, Role.PROVIDER, provider=shop.inpe))
    key = keys.issue_api_key(session, shop.inpe, "officine software", "test").token
    second = {"Authorization": f"Bearer {key}"}
    gate = Throttle(limit=2, window=60)
    anonymous.app.state.provider_lookups = gate
    person = family["member"].immatriculation
    assert look_up(anonymous, first, person).status_code == 200
    assert look_up(anonymous, second, person).status_code == 200
    assert look_up(anonymous, first, person).status_code == 429
    gate._seen.clear()  # the minute has passed
    assert look_up(anonymous, second, person).status_code == 200


def test_every_provider_look_up_is_logged(anonymous, session, family):
    shop = pb.provider(session, kind="pharmacy")
    user = builders.user(session, Role.PROVIDER, provider=shop.inpe)
    person = family["teacher"].immatriculation
    on = today() - timedelta(days=3)
    assert look_up(anonymous, bearer(session, user), person, on).status_code == 200
    logged = session.scalars(select(ReadLog).where(ReadLog.actor == f"provider:{user.username}"))
    assert [(x.role, x.what, x.key) for x in logged] == [
        ("provider", "eligibility", f"{person}@{on.isoformat()}")
    ]
    key = keys.issue_api_key(session, shop.inpe, "officine software", "test")
    look_up(anonymous, {"Authorization": f"Bearer {key.token}"}, person)
    by_key = session.scalars(select(ReadLog).where(ReadLog.actor.like(f"provider:{shop.inpe}/%")))
    assert [(x.actor, x.key) for x in by_key] == [
        (f"provider:{shop.inpe}/key{key.row.id}", f"{person}@{today().isoformat()}")
    ]
    agent = builders.user(session, Role.AGENT)
    look_up(anonymous, bearer(session, agent), person)
    staff = session.scalars(select(ReadLog).where(ReadLog.actor == f"agent:{agent.username}"))
    assert [(x.what, x.key) for x in staff] == [("eligibility", f"{person}@{today().isoformat()}")]


def test_the_two_answers_and_the_refusals_are_in_the_openapi(anonymous):
    spec = anonymous.get(f"{API}/openapi.json").json()
    operation = spec["paths"][f"{API}/eligibility"]["get"]
    shapes = operation["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]
    assert {s["$ref"].rsplit("/", 1)[-1] for s in shapes} == {
        "EligibilityOut",
        "CounterEligibilityOut",
    }
    counter = spec["components"]["schemas"]["CounterEligibilityOut"]
    assert set(counter["properties"]) == COUNTER
    assert {"400", "404", "429"} <= set(operation["responses"])
    assert "Retry-After" in operation["responses"]["429"]["headers"]
