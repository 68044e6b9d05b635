"""Every query of accounts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.models import User
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
