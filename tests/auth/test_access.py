"""Credentials and scoped access through the real API: tokens, API keys, who sees what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from daman.accounts import builders
from daman.accounts.builders import PASSWORD, bearer
from daman.accounts.service import LOCKOUT, MAX_FAILED_LOGINS, disable_user
from daman.auth import tokens
from daman.auth.models import AccessToken, ReadLog, Role, TokenKind
from daman.auth.throttle import Throttle
from daman.core.dates import now
from daman.registry import builders as registry
from daman.registry.models import Employer
from tests.claims.support import (
    GENERIC,
    act,
    cnss_insured,
    electronic,
    medicine,
    provider,
    recent,
)

API = "/api/v1"


def sign_in(anonymous, username, password=PASSWORD):
    return anonymous.post(f"{API}/auth/tokens", json={"username": username, "password": password})


# -- tokens --------------------------------------------------------------------------------


def test_a_password_gives_a_bearer_token_kept_only_as_its_hash(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    r = sign_in(anonymous, agent.username)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert token.startswith("dmt_") and r.json()["role"] == "agent"
    row = session.scalars(select(AccessToken).where(AccessToken.user_id == agent.id)).one()
    assert row.token_hash == tokens.digest(token) and token not in (row.prefix, row.token_hash)
    me = anonymous.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["actor"] == f"agent:{agent.username}" and me.json()["via"] == "bearer"


REFUSED = {"error": "login_refused", "detail": "wrong username or password"}


def test_sign_in_refusals_do_not_reveal_which_accounts_exist(anonymous, session):
    """Unknown, wrong password, disabled and locked: one answer, 401, the same body."""
    agent = builders.user(session, Role.AGENT)
    disabled = builders.user(session, Role.AGENT)
    locked = builders.user(session, Role.AGENT)
    disable_user(session, disabled.username, "test")
    locked.locked_until = now() + LOCKOUT
    session.flush()
    answers = [
        sign_in(anonymous, "nobody-here"),
        sign_in(anonymous, agent.username, "not the password"),
        sign_in(anonymous, disabled.username),
        sign_in(anonymous, locked.username),  # the right password, but locked
    ]
    assert [(r.status_code, r.json()) for r in answers] == [(401, REFUSED)] * 4
    assert locked.username not in str([r.text for r in answers])


def test_wrong_passwords_through_the_api_count_and_lock_the_account(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    for _ in range(MAX_FAILED_LOGINS):
        assert sign_in(anonymous, agent.username, "guess guess guess").status_code == 401
    session.refresh(agent)
    assert agent.locked_until is not None  # the refusals were committed, not rolled back
    locked = sign_in(anonymous, agent.username)  # even the right password, for 15 minutes
    assert (locked.status_code, locked.json()) == (401, REFUSED)  # and it does not say so


def test_wrong_current_passwords_count_towards_the_same_lockout(anonymous, session):
    """A token holder cannot guess the account's password without limit on the password
    change either: the fifth wrong current password locks the account (sign-in included)."""
    agent = builders.user(session, Role.AGENT)
    headers = bearer(session, agent)

    def change(current: str) -> Any:
        body = {"current_password": current, "new_password": "a new long password"}
        return anonymous.post(f"{API}/auth/password", json=body, headers=headers)

    for attempt in range(MAX_FAILED_LOGINS):
        r = change(f"guess number {attempt}")
        assert r.status_code == 400 and r.json()["detail"][0]["field"] == "current_password"
    session.refresh(agent)  # committed although each answer was an error
    assert agent.locked_until is not None and agent.failed_logins == 0
    r = change(PASSWORD)  # the right one, too late
    assert r.status_code == 423 and r.json()["error"] == "account_locked"
    assert sign_in(anonymous, agent.username).status_code == 401  # sign-in is locked too
    assert sign_in(anonymous, agent.username, "a new long password").status_code == 401


def test_a_right_current_password_clears_the_failures(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    headers = bearer(session, agent)
    body = {"current_password": "wrong guess", "new_password": "a new long password"}
    assert anonymous.post(f"{API}/auth/password", json=body, headers=headers).status_code == 400
    session.refresh(agent)
    assert agent.failed_logins == 1
    body["current_password"] = PASSWORD
    assert anonymous.post(f"{API}/auth/password", json=body, headers=headers).status_code == 204
    session.refresh(agent)
    assert (agent.failed_logins, agent.locked_until) == (0, None)


def test_one_address_is_throttled_across_accounts():
    gate = Throttle(limit=3, window=60)
    assert [gate.attempt("10.0.0.1", at=t) for t in (0, 1, 2)] == [None, None, None]
    assert gate.attempt("10.0.0.1", at=3) == pytest.approx(57)
    assert gate.attempt("10.0.0.2", at=3) is None  # another address
    assert gate.attempt("10.0.0.1", at=61) is None  # the window moved on


def test_too_many_sign_ins_from_one_address_are_refused(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    anonymous.app.state.sign_ins = Throttle(limit=2, window=300)
    assert sign_in(anonymous, agent.username, "wrong one").status_code == 401
    assert sign_in(anonymous, agent.username).status_code == 201
    r = sign_in(anonymous, agent.username)
    assert r.status_code == 429 and r.json()["error"] == "too_many_attempts"
    assert 1 <= int(r.headers["Retry-After"]) <= 300


def test_expired_revoked_and_disabled_credentials_are_refused(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    headers = bearer(session, agent)
    assert anonymous.get(f"{API}/auth/me", headers=headers).status_code == 200
    assert anonymous.delete(f"{API}/auth/tokens/current", headers=headers).status_code == 204
    assert anonymous.get(f"{API}/auth/me", headers=headers).status_code == 401

    expired = tokens.issue(
        session, TokenKind.BEARER, "test", user=agent, at=now() - timedelta(hours=13)
    )
    r = anonymous.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {expired.token}"})
    assert r.status_code == 401 and r.json()["error"] == "not_authenticated"

    headers = bearer(session, agent)
    admin = bearer(session, builders.user(session, Role.ADMIN))
    r = anonymous.post(f"{API}/users/{agent.username}/disable", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert anonymous.get(f"{API}/auth/me", headers=headers).status_code == 401
    assert sign_in(anonymous, agent.username).status_code == 401


def test_a_password_change_revokes_the_other_tokens(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    here, elsewhere = bearer(session, agent), bearer(session, agent)
    bad = anonymous.post(
        f"{API}/auth/password",
        json={"current_password": "wrong", "new_password": "a new long password"},
        headers=here,
    )
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "current_password"
    short = anonymous.post(
        f"{API}/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=here,
    )
    assert short.json()["detail"][0]["field"] == "new_password"
    ok = anonymous.post(
        f"{API}/auth/password",
        json={"current_password": PASSWORD, "new_password": "a new long password"},
        headers=here,
    )
    assert ok.status_code == 204
    assert anonymous.get(f"{API}/auth/me", headers=here).status_code == 200
    assert anonymous.get(f"{API}/auth/me", headers=elsewhere).status_code == 401
    assert sign_in(anonymous, agent.username, "a new long password").status_code == 201


def test_admins_create_users_and_only_admins(anonymous, session):
    admin = bearer(session, builders.user(session, Role.ADMIN))
    body = {"username": "dr.alami", "role": "controller", "password": "controller password"}
    r = anonymous.post(f"{API}/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["created_by"].startswith("admin:admin")
    agent = bearer(session, builders.user(session, Role.AGENT))
    assert anonymous.post(f"{API}/users", json=body, headers=agent).status_code == 403
    again = anonymous.post(f"{API}/users", json=body, headers=admin)
    assert again.status_code == 409 and again.json()["error"] == "duplicate_username"
    listed = anonymous.get(f"{API}/users", headers=admin).json()
    assert "dr.alami" in [u["username"] for u in listed]
    assert "password_hash" not in listed[0]


# -- API keys ------------------------------------------------------------------------------


def test_a_provider_api_key_is_shown_once_scoped_and_revocable(anonymous, session):
    pharmacy = provider(session, kind="pharmacy")
    admin = bearer(session, builders.user(session, Role.ADMIN))
    r = anonymous.post(
        f"{API}/providers/{pharmacy.inpe}/api-keys", json={"label": "officine v3"}, headers=admin
    )
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    assert key.startswith("dmk_") and r.json()["prefix"] == key[:12]
    listed = anonymous.get(f"{API}/api-keys?provider={pharmacy.inpe}", headers=admin).json()
    assert [k["label"] for k in listed] == ["officine v3"] and "key" not in listed[0]

    headers = {"Authorization": f"Bearer {key}"}
    me = anonymous.get(f"{API}/auth/me", headers=headers).json()
    assert (me["role"], me["provider"], me["via"]) == ("provider", pharmacy.inpe, "api_key")
    # a provider key cannot do staff work
    assert anonymous.get(f"{API}/review-queue", headers=headers).status_code == 403

    revoked = anonymous.post(f"{API}/api-keys/{r.json()['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert anonymous.get(f"{API}/auth/me", headers=headers).status_code == 401


def test_an_api_key_for_an_unknown_provider_names_the_field(anonymous, session):
    admin = bearer(session, builders.user(session, Role.ADMIN))
    r = anonymous.post(f"{API}/providers/T999999999/api-keys", json={"label": "x"}, headers=admin)
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "provider"


# -- who sees what -------------------------------------------------------------------------


@pytest.fixture
def two_families(session):
    doctor = provider(session)
    pharmacy, other_pharmacy = (
        provider(session, kind="pharmacy"),
        provider(session, kind="pharmacy"),
    )
    a, b = cnss_insured(session), cnss_insured(session)
    child_of_a = registry.dependent(session, a)
    return {
        "a": a,
        "b": b,
        "child_of_a": child_of_a,
        "doctor": doctor,
        "pharmacy": pharmacy,
        "other_pharmacy": other_pharmacy,
    }


def submit(client, headers, payload):
    r = client.post(f"{API}/claims", json=payload, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["number"]


def test_an_insured_person_sees_their_family_and_no_one_else(anonymous, session, two_families):
    w = two_families
    staff = bearer(session, builders.user(session, Role.AGENT))
    visit = electronic(w["child_of_a"], [act(w["doctor"], recent(), 20_000)])
    mine = submit(anonymous, staff, visit)
    theirs = submit(anonymous, staff, electronic(w["b"], [act(w["doctor"], recent(), 20_000)]))

    a = bearer(session, builders.user(session, Role.INSURED, person=w["a"].immatriculation))
    assert anonymous.get(f"{API}/claims/{mine}", headers=a).status_code == 200
    r = anonymous.get(f"{API}/claims/{theirs}", headers=a)
    assert r.status_code == 404 and r.json()["error"] == "claim_not_found"
    listed = anonymous.get(f"{API}/claims", headers=a).json()
    assert [c["number"] for c in listed["items"]] == [mine] and listed["total"] == 1
    assert anonymous.get(f"{API}/insured/{w['a'].immatriculation}", headers=a).status_code == 200
    assert anonymous.get(f"{API}/insured/{w['b'].immatriculation}", headers=a).status_code == 404
    other = f"{API}/eligibility?person={w['b'].immatriculation}"
    assert anonymous.get(other, headers=a).status_code == 404
    # an insured person sends care sheets for their family only
    r = anonymous.post(
        f"{API}/claims", json=electronic(w["b"], [act(w["doctor"], recent(), 20_000)]), headers=a
    )
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "patient"


def test_a_pharmacy_sees_what_it_dispensed_and_not_another_pharmacys(
    anonymous, session, two_families
):
    w = two_families
    mine = bearer(session, builders.user(session, Role.PROVIDER, provider=w["pharmacy"].inpe))
    other = bearer(
        session, builders.user(session, Role.PROVIDER, provider=w["other_pharmacy"].inpe)
    )
    number = submit(
        anonymous,
        mine,
        electronic(w["a"], [medicine(w["pharmacy"], w["doctor"], recent(), GENERIC, 1_850)]),
    )
    assert anonymous.get(f"{API}/claims/{number}", headers=mine).status_code == 200
    assert anonymous.get(f"{API}/claims/{number}", headers=other).status_code == 404
    assert anonymous.get(f"{API}/claims", headers=other).json()["total"] == 0
    # and cannot bill another provider's care
    r = anonymous.post(
        f"{API}/claims",
        json=electronic(w["a"], [medicine(w["pharmacy"], w["doctor"], recent(), GENERIC, 1_850)]),
        headers=other,
    )
    assert r.status_code == 400
    assert r.json()["detail"][0]["field"] == "lines.0.provider_inpe"
    # a provider checks rights at the counter, but does not browse the registry
    person = w["a"].immatriculation
    assert anonymous.get(f"{API}/eligibility?person={person}", headers=other).status_code == 200
    assert anonymous.get(f"{API}/insured/{person}", headers=other).status_code == 403


def test_an_analyst_never_reaches_a_name_or_an_identifier(anonymous, session, two_families):
    analyst = bearer(session, builders.user(session, Role.ANALYST))
    person = two_families["a"].immatriculation
    for path in (
        f"/insured/{person}",
        "/insured",
        "/claims",
        f"/eligibility?person={person}",
        "/review-queue",
        "/payments/batches",
    ):
        assert anonymous.get(API + path, headers=analyst).status_code == 403, path


def test_staff_reads_of_medical_data_are_logged(anonymous, session, two_families):
    w = two_families
    controller = builders.user(session, Role.CONTROLLER)
    headers = bearer(session, controller)
    number = submit(
        anonymous,
        bearer(session, builders.user(session, Role.AGENT)),
        electronic(w["a"], [act(w["doctor"], recent(), 20_000)]),
    )
    assert anonymous.get(f"{API}/claims/{number}", headers=headers).status_code == 200
    logged = session.scalars(select(ReadLog).where(ReadLog.key == number)).all()
    assert [(x.actor, x.role, x.what) for x in logged] == [
        (f"controller:{controller.username}", "controller", "claim")
    ]
    # the patient reading their own claim is not "staff reading"
    a = bearer(session, builders.user(session, Role.INSURED, person=w["a"].immatriculation))
    anonymous.get(f"{API}/claims/{number}", headers=a)
    assert len(session.scalars(select(ReadLog).where(ReadLog.key == number)).all()) == 1


def test_a_signed_in_browser_must_send_the_csrf_token(anonymous, session):
    agent = builders.user(session, Role.AGENT)
    issued = tokens.issue(session, TokenKind.SESSION, "test", user=agent)
    anonymous.cookies.set("daman_session", issued.token)
    assert anonymous.get(f"{API}/auth/me").status_code == 200
    body = {"number": "7654321", "name": "Souss Agrumes SA"}
    refused = anonymous.post(f"{API}/employers", json=body)
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_refused"
    ok = anonymous.post(
        f"{API}/employers", json=body, headers={"X-CSRF-Token": tokens.csrf_for(issued.token)}
    )
    assert ok.status_code == 201, ok.text
    employer = session.scalars(select(Employer).where(Employer.number == "7654321")).one()
    assert employer.created_by == f"agent:{agent.username}"
    # a session token is not a bearer token
    anonymous.cookies.clear()
    as_bearer = {"Authorization": f"Bearer {issued.token}"}
    assert anonymous.get(f"{API}/auth/me", headers=as_bearer).status_code == 401
