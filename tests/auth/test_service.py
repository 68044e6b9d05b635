"""Accounts: creation rules, links to a person or provider, password checks and lockout."""

from datetime import timedelta

import pytest

from daman.auth import builders
from daman.auth.errors import (
    AccountDisabled,
    AccountLocked,
    DuplicateUsername,
    UnknownUser,
    WrongPassword,
)
from daman.auth.models import Role
from daman.auth.service import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    NewUser,
    create_user,
    disable_user,
    list_users,
    verify_password,
)
from daman.core.dates import now
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
