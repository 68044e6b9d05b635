"""Every query of the registry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import QueryableAttribute, Session

from daman.auth.models import Role
from daman.registry.models import (
    Affiliation,
    Contribution,
    DependentLink,
    Employer,
    Person,
    StudentProof,
)

if TYPE_CHECKING:
    from daman.auth.access import Principal

T = TypeVar("T")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def person_by_immatriculation(
    session: Session, number: str, who: Principal | None = None
) -> Person | None:
    """The person, if ``who`` (when given) may see them: staff see everyone, an insured
    person their own family, other roles no one."""
    return session.scalar(
        select(Person).where(
            Person.immatriculation == number.strip().upper(), scope(who, Person.id)
        )
    )


def person_by_cnie(session: Session, cnie: str) -> Person | None:
    return session.scalar(select(Person).where(Person.cnie == cnie))


def persons_by_cnie(session: Session, cnies: Sequence[str]) -> dict[str, int]:
    """CNIE -> person id, for the CNIEs already registered."""
    out: dict[str, int] = {}
    for i in range(0, len(cnies), 5000):
        chunk = list(cnies[i : i + 5000])
        rows = session.execute(select(Person.cnie, Person.id).where(Person.cnie.in_(chunk)))
        out.update({c: pid for c, pid in rows if c is not None})
    return out


def employer_by_number(session: Session, number: str) -> Employer | None:
    return session.scalar(select(Employer).where(Employer.number == number.strip()))


def search_employers(
    session: Session, q: str | None, limit: int, offset: int
) -> tuple[list[Employer], int]:
    stmt = select(Employer)
    for word in (q or "").split():
        w = _like(word.lower())
        stmt = stmt.where(
            or_(
                func.lower(Employer.name).like(w, escape="\\"),
                func.lower(Employer.number).like(w, escape="\\"),
                func.lower(Employer.city).like(w, escape="\\"),
                Employer.ice == word,
            )
        )
    return _page(session, stmt.order_by(Employer.name, Employer.id), limit, offset)


def _page(session: Session, stmt: Select[T], limit: int, offset: int) -> tuple[list[T], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def latest_regime() -> ColumnElement[str | None]:
    """The regime of a person's latest affiliation, as a correlated subquery."""
    return (
        select(Affiliation.regime_code)
        .where(Affiliation.person_id == Person.id)
        .order_by(Affiliation.valid_from.desc(), Affiliation.id.desc())
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )


def search_persons(
    session: Session, q: str | None, regime: str | None, limit: int, offset: int
) -> tuple[list[tuple[Person, str | None]], int]:
    """Persons matching every word of q (names in both scripts, CNIE, immatriculation)."""
    current = latest_regime().label("regime_code")
    stmt = select(Person, current)
    for word in (q or "").split():
        w = _like(word.lower())
        stmt = stmt.where(
            or_(
                func.lower(Person.last_name).like(w, escape="\\"),
                func.lower(Person.first_name).like(w, escape="\\"),
                Person.last_name_ar.like(_like(word), escape="\\"),
                Person.first_name_ar.like(_like(word), escape="\\"),
                Person.cnie == word.upper(),
                Person.immatriculation.like(f"{word.upper()}%"),
            )
        )
    if regime:
        stmt = stmt.where(latest_regime() == regime)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Person.last_name, Person.first_name, Person.id).limit(limit).offset(offset)
    )
    return [(p, r) for p, r in rows], total


def affiliations_of(session: Session, person_id: int) -> list[tuple[Affiliation, str | None]]:
    """A person's affiliations, oldest first, with their employer's number."""
    rows = session.execute(
        select(Affiliation, Employer.number)
        .outerjoin(Employer, Employer.id == Affiliation.employer_id)
        .where(Affiliation.person_id == person_id)
        .order_by(Affiliation.valid_from, Affiliation.id)
    )
    return [(a, n) for a, n in rows]


def open_affiliation(session: Session, person_id: int, on: date) -> Affiliation | None:
    """The latest affiliation still running on `on` (no end, or ending on or after it)."""
    return session.scalar(
        select(Affiliation)
        .where(
            Affiliation.person_id == person_id,
            or_(Affiliation.valid_to.is_(None), Affiliation.valid_to >= on),
        )
        .order_by(Affiliation.valid_from.desc(), Affiliation.id.desc())
        .limit(1)
    )


def has_affiliation(session: Session, person_id: int) -> bool:
    return (
        session.scalar(
            select(func.count()).select_from(Affiliation).where(Affiliation.person_id == person_id)
        )
        != 0
    )


def open_link(session: Session, dependent_id: int, on: date) -> DependentLink | None:
    """The dependent's link running on or after `on`, if any."""
    return session.scalar(
        select(DependentLink)
        .where(
            DependentLink.dependent_id == dependent_id,
            or_(DependentLink.valid_to.is_(None), DependentLink.valid_to >= on),
        )
        .order_by(DependentLink.valid_from.desc())
        .limit(1)
    )


def open_links_as_principal(session: Session, principal_id: int, on: date) -> list[DependentLink]:
    return list(
        session.scalars(
            select(DependentLink).where(
                DependentLink.principal_id == principal_id,
                or_(DependentLink.valid_to.is_(None), DependentLink.valid_to >= on),
            )
        )
    )


def dependents_of(session: Session, principal_id: int) -> list[tuple[DependentLink, Person]]:
    rows = session.execute(
        select(DependentLink, Person)
        .join(Person, Person.id == DependentLink.dependent_id)
        .where(DependentLink.principal_id == principal_id)
        .order_by(DependentLink.valid_from, Person.birth_date, DependentLink.id)
    )
    return [(link, p) for link, p in rows]


def contributions_of(session: Session, person_id: int) -> list[tuple[Contribution, str | None]]:
    rows = session.execute(
        select(Contribution, Employer.number)
        .outerjoin(Employer, Employer.id == Contribution.employer_id)
        .where(Contribution.person_id == person_id)
        .order_by(Contribution.month, Contribution.id)
    )
    return [(c, n) for c, n in rows]


def contribution_at(
    session: Session, person_id: int, month: date, employer_id: int | None
) -> Contribution | None:
    employer = (
        Contribution.employer_id.is_(None)
        if employer_id is None
        else Contribution.employer_id == employer_id
    )
    return session.scalar(
        select(Contribution).where(
            and_(Contribution.person_id == person_id, Contribution.month == month, employer)
        )
    )


def student_proofs_of(session: Session, person_id: int) -> list[StudentProof]:
    return list(
        session.scalars(
            select(StudentProof)
            .where(StudentProof.person_id == person_id)
            .order_by(StudentProof.valid_from)
        )
    )


def student_proof_at(session: Session, person_id: int, valid_from: date) -> StudentProof | None:
    return session.scalar(
        select(StudentProof).where(
            StudentProof.person_id == person_id, StudentProof.valid_from == valid_from
        )
    )


def immatriculations(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Person.id, Person.immatriculation).where(Person.id.in_(list(ids)))
    )
    return {pid: number for pid, number in rows}


def in_family(
    person_column: ColumnElement[int] | QueryableAttribute[int], person_id: int
) -> ColumnElement[bool]:
    """The person in this column is this insured person or a dependent ever linked to them
    (a child who has since left the family still shows on the parent's past claims)."""
    dependents = select(DependentLink.dependent_id).where(DependentLink.principal_id == person_id)
    return or_(person_column == person_id, person_column.in_(dependents))


def scope(
    who: Principal | None,
    person_column: ColumnElement[int] | QueryableAttribute[int],
    provider_rule: Callable[[int], ColumnElement[bool]] | None = None,
) -> ColumnElement[bool]:
    """What ``who`` may see of rows about the person in ``person_column``: staff (and no
    principal: the fund's own code) everything; an insured person their family's rows; a
    provider the rows ``provider_rule(provider_id)`` admits, when the domain has one; anyone
    else nothing. Each domain's repository applies it, so the rule lives in one place."""
    if who is None or who.is_staff:
        return true()
    if who.role == Role.INSURED and who.person_id is not None:
        return in_family(person_column, who.person_id)
    if who.role == Role.PROVIDER and who.provider_id is not None and provider_rule is not None:
        return provider_rule(who.provider_id)
    return false()


def family_ids(session: Session, person_id: int) -> list[int]:
    """The insured person and every dependent ever linked to them."""
    return sorted(session.scalars(select(Person.id).where(in_family(Person.id, person_id))))
