"""Every query of accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.models import Role, User
from daman.providers.models import Provider
from daman.registry.models import Person


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def users_with_links(session: Session) -> list[tuple[User, str | None, str | None]]:
    """Every user by username, with the immatriculation or INPE it is linked to."""
    stmt = (
        select(User, Person.immatriculation, Provider.inpe)
        .outerjoin(Person, Person.id == User.person_id)
        .outerjoin(Provider, Provider.id == User.provider_id)
        .order_by(User.username)
    )
    return [(user, imm, inpe) for user, imm, inpe in session.execute(stmt)]


def insured_users_by_phone(session: Session, phones: list[str]) -> list[User]:
    """The active insured persons' accounts whose person's phone is one of these forms of
    a number (at most two: one is all a sign-in by code needs to know)."""
    if not phones:
        return []
    stmt = (
        select(User)
        .join(Person, Person.id == User.person_id)
        .where(User.role == Role.INSURED, User.active.is_(True), Person.phone.in_(phones))
        .order_by(User.id)
        .limit(2)
    )
    return list(session.scalars(stmt))
