"""Test data: accounts of every role, ready to sign in."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from daman.accounts.service import NewUser, create_user
from daman.auth import tokens
from daman.auth.models import Role, TokenKind, User
from daman.providers import builders as providers
from daman.registry import builders as registry

PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only
_serial = count(1)


def bearer(session: Session, user: User) -> dict[str, str]:
    """Authorization headers of a fresh bearer token of the user."""
    token = tokens.issue(session, TokenKind.BEARER, "test", user=user).token
    return {"Authorization": f"Bearer {token}"}


def user(
    session: Session,
    role: Role = Role.AGENT,
    *,
    password: str = PASSWORD,
    person: str | None = None,
    provider: str | None = None,
) -> User:
    """A new active user of the role; an insured or provider user is linked to the person
    (immatriculation) or provider (INPE) given, else to a fresh one."""
    if role is Role.INSURED and person is None:
        person = registry.person(session).immatriculation
    if role is Role.PROVIDER and provider is None:
        provider = providers.provider(session).inpe
    new = NewUser(f"{role}{next(_serial)}", role, password, f"Test {role}", person, provider)
    return create_user(session, new, "test")
