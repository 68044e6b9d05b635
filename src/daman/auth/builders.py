"""Test data: accounts of every role, ready to sign in."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from daman.auth.models import Role, User
from daman.auth.service import NewUser, create_user
from daman.providers import builders as providers
from daman.registry import builders as registry

PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only
_serial = count(1)


def user(session: Session, role: Role = Role.AGENT, *, password: str = PASSWORD) -> User:
    """A new active user of the role, linked to a fresh person or provider when it needs one."""
    person = registry.person(session).immatriculation if role is Role.INSURED else None
    provider = providers.provider(session).inpe if role is Role.PROVIDER else None
    new = NewUser(f"{role}{next(_serial)}", role, password, f"Test {role}", person, provider)
    return create_user(session, new, "test")
