"""Accounts: creation rules, links to a person or provider, password checks and lockout."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from daman.accounts import builders
from daman.accounts.demo import (
    DEMO_PASSWORD,
    DemoAccountsOpen,
    open_demo_accounts,
    refuse_open_demo_accounts,
)
from daman.accounts.service import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    NewUser,
    change_password,
    create_user,
    disable_user,
    get_user,
    list_users,
    verify_password,
)
from daman.auth.errors import (
    AccountDisabled,
    AccountLocked,
    DuplicateUsername,
    UnknownUser,
    WrongPassword,
)
from daman.auth.models import Role
from daman.config import get_settings
from daman.core.dates import now
from daman.core.db import make_engine
from daman.core.errors import ValidationFailed
from daman.providers import builders as providers
from daman.registry import builders as registry

GOOD = "a long enough passphrase"


def fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    assert isinstance(exc.value.detail, list)
    return {e.field: e.reason for e in exc.value.detail}


def test_the_password_is_stored_as_an_argon2id_hash(session):
    user = create_user(session, NewUser("admin", Role.ADMIN, GOOD, "First Admin"), "cli:root")
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD not in user.password_hash
    assert (user.active, user.failed_logins, user.created_by) == (True, 0, "cli:root")
    assert verify_password(session, "admin", GOOD) is user


def test_creation_refuses_short_passwords_bad_usernames_and_duplicates(session):
    with pytest.raises(ValidationFailed) as exc:
        create_user(session, NewUser("Bad Name", Role.AGENT, "short"), "test")
    assert fields(exc) == {
        "username": "3 to 80 characters: lowercase letters, digits and . _ @ -, "
        "starting with a letter or digit",
        "password": "must be at least 12 characters",
    }
    create_user(session, NewUser("agent.one", Role.AGENT, GOOD), "test")
    with pytest.raises(DuplicateUsername):
        create_user(session, NewUser("agent.one", Role.ANALYST, GOOD), "test")


def test_insured_and_provider_users_link_to_existing_rows(session):
    person = registry.person(session)
    clinic = providers.provider(session)
    insured = create_user(
        session, NewUser("amina", Role.INSURED, GOOD, person=person.immatriculation), "test"
    )
    doctor = create_user(session, NewUser("dr.b", Role.PROVIDER, GOOD, provider=clinic.inpe), "t")
    assert (insured.person_id, doctor.provider_id) == (person.id, clinic.id)
    listed = {u.username: (imm, inpe) for u, imm, inpe in list_users(session)}
    assert listed["amina"] == (person.immatriculation, None)
    assert listed["dr.b"] == (None, clinic.inpe)


@pytest.mark.parametrize(
    ("new", "errors"),
    [
        (NewUser("user1", Role.INSURED, GOOD), {"person": "an insured user needs --person"}),
        (NewUser("user2", Role.PROVIDER, GOOD), {"provider": "a provider user needs --provider"}),
        (
            NewUser("user3", Role.INSURED, GOOD, person="000000000000"),
            {"person": "no insured person 000000000000"},
        ),
        (NewUser("user4", Role.PROVIDER, GOOD, provider="NOPE"), {"provider": "no provider NOPE"}),
        (
            NewUser("user5", Role.AGENT, GOOD, person="000000000000"),
            {"person": "only an insured user links to a person"},
        ),
    ],
)
def test_links_are_required_resolved_and_only_for_their_role(session, new, errors):
    with pytest.raises(ValidationFailed) as exc:
        create_user(session, new, "test")
    assert fields(exc) == errors


def test_unknown_wrong_and_disabled_are_told_apart(session):
    user = builders.user(session)
    with pytest.raises(UnknownUser):
        verify_password(session, "nobody", builders.PASSWORD)
    with pytest.raises(WrongPassword):
        verify_password(session, user.username, "not the password")
    assert user.failed_logins == 1
    assert verify_password(session, user.username, builders.PASSWORD) is user
    assert user.failed_logins == 0
    disable_user(session, user.username, "cli:root")
    with pytest.raises(AccountDisabled):
        verify_password(session, user.username, builders.PASSWORD)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(session):
    user = builders.user(session)
    t0 = now()
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(WrongPassword):
            verify_password(session, user.username, "guess", at=t0)
    assert user.locked_until is None
    with pytest.raises(WrongPassword):
        verify_password(session, user.username, "guess", at=t0)
    session.expire(user)  # read back what was flushed
    assert user.locked_until is not None
    # Locked: even the right password is refused, and the refusal is not counted.
    with pytest.raises(AccountLocked):
        verify_password(session, user.username, builders.PASSWORD, at=t0 + LOCKOUT / 2)
    later = t0 + LOCKOUT + timedelta(seconds=1)
    assert verify_password(session, user.username, builders.PASSWORD, at=later) is user
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_concurrent_wrong_passwords_each_count(database_url, backend):
    """Two sign-ins that read the account before either counts its failure: both failures
    are counted (one UPDATE ... SET failed_logins = failed_logins + 1 each), none lost."""
    if backend == "sqlite":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE)")
    engine = make_engine(database_url)
    try:
        with Session(engine) as setup:
            username = builders.user(setup).username
            setup.commit()
        first, second = Session(engine), Session(engine)
        for s in (first, second):  # both have read the account: 0 failures so far
            assert get_user(s, username).failed_logins == 0
        for s in (first, second):
            with pytest.raises(WrongPassword):
                verify_password(s, username, "a wrong guess")
            s.commit()
            s.close()
        with Session(engine) as check:
            assert get_user(check, username).failed_logins == 2
    finally:
        engine.dispose()


def test_the_fifth_concurrent_failure_locks_the_account(database_url, backend):
    if backend == "sqlite":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE)")
    engine = make_engine(database_url)
    try:
        with Session(engine) as setup:
            username = builders.user(setup).username
            setup.commit()
        sessions = [Session(engine) for _ in range(MAX_FAILED_LOGINS)]
        for s in sessions:
            assert get_user(s, username).locked_until is None
        for s in sessions:
            with pytest.raises(WrongPassword):
                verify_password(s, username, "a wrong guess")
            s.commit()
            s.close()
        with Session(engine) as check:
            user = get_user(check, username)
            assert (user.failed_logins, user.locked_until is not None) == (0, True)
            with pytest.raises(AccountLocked):
                verify_password(check, username, builders.PASSWORD)
    finally:
        engine.dispose()


def test_demo_accounts_that_keep_the_demo_password_are_named(session):
    for username, role, full_name in (
        ("admin", Role.ADMIN, "Demo administrator"),
        ("agent", Role.AGENT, "Demo fund agent"),
        ("analyst", Role.ANALYST, "Demo analyst"),
    ):
        create_user(session, NewUser(username, role, DEMO_PASSWORD, full_name), "demo")
    assert open_demo_accounts(session) == ["admin", "agent", "analyst"]
    disable_user(session, "agent", "cli:root")
    user = get_user(session, "analyst")
    assert change_password(session, user, DEMO_PASSWORD, "a real long password", "t", None) is None
    assert open_demo_accounts(session) == ["admin"]
    with pytest.raises(DemoAccountsOpen, match=r"admin .*daman users disable"):
        refuse_open_demo_accounts(session)


def test_the_demo_password_is_refused_as_a_new_password_outside_development(session, monkeypatch):
    monkeypatch.setenv("DAMAN_ENVIRONMENT", "production")
    monkeypatch.setenv("DAMAN_SECRET_KEY", "s" * 40)
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationFailed) as exc:
            create_user(session, NewUser("prod.admin", Role.ADMIN, DEMO_PASSWORD), "cli:root")
        assert fields(exc) == {"password": "is the published demo password"}
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
