"""Accounts: create, list, disable, and check a password (with lockout after failures).

Passwords are hashed with argon2id (argon2-cffi's RFC 9106 defaults) and never stored or
logged in clear. Lockout: ``MAX_FAILED_LOGINS`` wrong passwords in a row lock the account
for ``LOCKOUT``; a correct password afterwards resets the count. Wrong passwords count
wherever a password is checked: at sign-in (API, web, ``daman users check-password``) and
as the current password of a password change. Each failure is counted by the database in
one statement (``UPDATE ... SET failed_logins = failed_logins + 1 ... RETURNING``), so
failures sent in parallel are all counted and the fifth locks the account on SQLite and
PostgreSQL alike. The count is written in the request's own transaction: callers return
the refusal rather than raise it, so that the transaction commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import DateTime, bindparam, case, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from daman.accounts import repository as repo
from daman.accounts.demo import DEMO_PASSWORD
from daman.auth import tokens
from daman.auth.access import actor_of
from daman.auth.errors import (
    AccountDisabled,
    AccountLocked,
    DuplicateUsername,
    LoginRefused,
    UnknownUser,
    UserNotFound,
    WrongPassword,
)
from daman.auth.models import Role, TokenKind, User
from daman.config import get_settings
from daman.core.dates import aware, now
from daman.core.errors import DamanError, FieldError, ValidationFailed
from daman.providers.repository import by_inpe
from daman.registry.repository import person_by_immatriculation

MIN_PASSWORD_LENGTH = 12
MAX_FAILED_LOGINS = 5  # wrong passwords in a row before the account locks
LOCKOUT = timedelta(minutes=15)
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,79}")

_hasher = PasswordHasher()
# Checked against when the username is unknown, so that a refusal takes the same time
# whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


@dataclass(frozen=True)
class NewUser:
    username: str
    role: Role
    password: str
    full_name: str = ""
    person: str | None = None  # immatriculation, for an insured user
    provider: str | None = None  # INPE, for a provider user


def create_user(session: Session, new: NewUser, actor: str) -> User:
    errors = _new_user_errors(new)
    person_id = provider_id = None
    if new.person is not None and not errors:
        person = person_by_immatriculation(session, new.person)
        if person is None:
            errors.append(FieldError(field="person", reason=f"no insured person {new.person}"))
        else:
            person_id = person.id
    if new.provider is not None and not errors:
        provider = by_inpe(session, new.provider)
        if provider is None:
            errors.append(FieldError(field="provider", reason=f"no provider {new.provider}"))
        else:
            provider_id = provider.id
    if errors:
        raise ValidationFailed(errors)
    if repo.user_by_username(session, new.username):
        raise DuplicateUsername(f"user {new.username} already exists")
    user = User(
        username=new.username,
        full_name=new.full_name,
        role=new.role.value,
        person_id=person_id,
        provider_id=provider_id,
        password_hash=_hasher.hash(new.password),
        active=True,
        failed_logins=0,
        created_by=actor,
        updated_by=actor,
    )
    session.add(user)
    session.flush()
    return user


def _new_user_errors(new: NewUser) -> list[FieldError]:
    errors = []
    if not USERNAME.fullmatch(new.username):
        errors.append(
            FieldError(
                field="username",
                reason="3 to 80 characters: lowercase letters, digits and . _ @ -, "
                "starting with a letter or digit",
            )
        )
    errors += _password_problems(new.password, "password")
    links = (
        ("person", new.person, Role.INSURED, "an insured user"),
        ("provider", new.provider, Role.PROVIDER, "a provider user"),
    )
    for field, value, role, who in links:
        if new.role is role and value is None:
            errors.append(FieldError(field=field, reason=f"{who} needs --{field}"))
        if new.role is not role and value is not None:
            errors.append(FieldError(field=field, reason=f"only {who} links to a {field}"))
    return errors


def _password_problems(password: str, field: str) -> list[FieldError]:
    if len(password) < MIN_PASSWORD_LENGTH:
        reason = f"must be at least {MIN_PASSWORD_LENGTH} characters"
        return [FieldError(field=field, reason=reason)]
    if password == DEMO_PASSWORD and get_settings().environment != "development":
        return [FieldError(field=field, reason="is the published demo password")]
    return []


def list_users(session: Session) -> list[tuple[User, str | None, str | None]]:
    """Users by username, each with the immatriculation or INPE it is linked to."""
    return repo.users_with_links(session)


def get_user(session: Session, username: str) -> User:
    user = repo.user_by_username(session, username)
    if user is None:
        raise UserNotFound(f"no user {username}")
    return user


def disable_user(session: Session, username: str, actor: str) -> User:
    user = get_user(session, username)
    user.active = False
    user.updated_by = actor
    tokens.revoke_all_of(session, user, actor)
    session.flush()
    return user


def verify_password(
    session: Session, username: str, password: str, at: datetime | None = None
) -> User:
    """The user whose password this is, or a LoginRefused subclass saying why not.

    A wrong password is counted (and may lock the account) before the error is raised: the
    caller must commit the session even when this raises, or the count is lost. Every
    refusal costs one password hash, so that its time does not tell an unknown, disabled
    or locked account from a wrong password.
    """
    at = at or now()
    user = repo.user_by_username(session, username)
    if user is None:
        password_matches(_DUMMY_HASH, password)
        raise UnknownUser(f"no user {username}")
    if not user.active:
        password_matches(_DUMMY_HASH, password)
        raise AccountDisabled(f"user {username} is disabled")
    if _locked(user, at):
        password_matches(_DUMMY_HASH, password)  # not counted: the account is locked already
        raise _locked_error(user)
    if not password_matches(user.password_hash, password):
        _count_failure(session, user, at)
        raise WrongPassword(f"wrong password for user {username}")
    _clear_failures(session, user, password)
    return user


def _locked(user: User, at: datetime) -> bool:
    return user.locked_until is not None and aware(user.locked_until) > at


def _locked_error(user: User) -> AccountLocked:
    """For operators (the command line) and the account's own holder; a sign-in answers
    every refusal alike (``daman.accounts.endpoints.refusal``)."""
    assert user.locked_until is not None
    return AccountLocked(
        f"user {user.username} is locked until {aware(user.locked_until):%Y-%m-%d %H:%M} UTC "
        f"after {MAX_FAILED_LOGINS} wrong passwords"
    )


def _count_failure(session: Session, user: User, at: datetime) -> None:
    """One more wrong password, counted by the database in one statement: concurrent
    failures each add one (none is lost to a stale read), and the one that reaches
    MAX_FAILED_LOGINS locks the account until ``at + LOCKOUT`` and restarts the count.
    The user object gets the values the statement returned."""
    failed = User.failed_logins + 1
    locks = failed >= MAX_FAILED_LOGINS
    until = bindparam("locked_until", at + LOCKOUT, type_=DateTime(timezone=True))
    stmt = (
        update(User)
        .where(User.id == user.id)
        .values(
            failed_logins=case((locks, 0), else_=failed),
            locked_until=case((locks, until), else_=User.locked_until),
        )
        .returning(User.failed_logins, User.locked_until)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(stmt).one()
    set_committed_value(user, "failed_logins", row.failed_logins)
    set_committed_value(user, "locked_until", row.locked_until)


def _clear_failures(session: Session, user: User, password: str) -> None:
    """A right password: the failures so far are forgiven (and an old hash is upgraded)."""
    rehash = _hasher.check_needs_rehash(user.password_hash)
    if user.failed_logins or user.locked_until or rehash:
        user.failed_logins = 0
        user.locked_until = None
        if rehash:
            user.password_hash = _hasher.hash(password)
        session.flush()


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    actor: str,
    keep_token: int | None,
    at: datetime | None = None,
) -> DamanError | None:
    """Set a new password after checking the current one; every other session and token of
    the user is revoked (whoever else held one must sign in again).

    None when changed, else the refusal, *returned* rather than raised: a wrong current
    password counts towards the lockout as at sign-in, so the caller must let the
    transaction commit. A locked account changes nothing until the lock ends
    (AccountLocked), even with the right current password.
    """
    at = at or now()
    if _locked(user, at):
        return _locked_error(user)
    if not password_matches(user.password_hash, current):
        _count_failure(session, user, at)
        return ValidationFailed([FieldError(field="current_password", reason="is not correct")])
    if problems := _password_problems(new, "new_password"):
        return ValidationFailed(problems)
    if new == current:
        return ValidationFailed(
            [FieldError(field="new_password", reason="must differ from the current one")]
        )
    user.password_hash = _hasher.hash(new)
    user.failed_logins = 0
    user.locked_until = None
    user.updated_by = actor
    tokens.revoke_all_of(session, user, actor, keep=keep_token)
    session.flush()
    return None


def sign_in(
    session: Session, username: str, password: str, kind: TokenKind, label: str = ""
) -> tokens.Issued | LoginRefused:
    """A new session or bearer token for a correct password, else the refusal, *returned*
    rather than raised: the caller must let the transaction commit either way, so that a
    wrong password counts towards the lockout."""
    try:
        user = verify_password(session, username.strip().lower(), password)
    except LoginRefused as refused:
        return refused
    return tokens.issue(session, kind, actor_of(user), user=user, label=label)
