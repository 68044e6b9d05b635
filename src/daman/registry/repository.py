"""Every query of the registry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import QueryableAttribute, Session

from daman.auth.models import Role
from daman.core.dates import today
from daman.core.fold import fold
from daman.core.text import western_digits
from daman.registry.models import (
    Affiliation,
    AldExemption,
    Contribution,
    DependentLink,
    Employer,
    Person,
    StudentProof,
)

if TYPE_CHECKING:
    from daman.auth.access import Principal

T = TypeVar("T")


def _escaped(text: str) -> str:
    """`text` with the LIKE wildcards (% _) and the escape character itself escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text: str) -> str:
    return f"%{_escaped(text)}%"


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


def _next_text(text: str) -> str:
    """The least text after every text starting with ``text`` (its last character + 1)."""
    return text[:-1] + chr(ord(text[-1]) + 1)


def _starts_with(
    column: QueryableAttribute[str] | QueryableAttribute[str | None], text: str
) -> ColumnElement[bool]:
    """column starts with ``text``, as a range a B-tree index serves on either database."""
    return and_(column >= text, column < _next_text(text))


@dataclass(frozen=True)
class Term:
    """A word of a search as typed: its folded form (a phrase when it held punctuation,
    ``ben_ali`` -> ``ben ali``) for the names, and itself in capitals (digits 0-9) for the
    start of a CNIE or immatriculation."""

    folded: str
    code: str


def terms(q: str | None) -> list[Term]:
    found = {Term(fold(w), western_digits(w).upper()): None for w in (q or "").split()}
    return list(found)


def _term_matches(term: Term) -> ColumnElement[bool]:
    """The term in a person's names, in either script and anywhere in them (the folded
    key holds no LIKE wildcard), or the start of their CNIE or immatriculation. A term
    with a digit is a number: no name holds one, so the names are not searched (which
    leaves the two indexes of the numbers to answer, on either database)."""
    number = any(c.isdigit() for c in term.folded)
    names = Person.search_name.like(f"%{term.folded}%") if term.folded and not number else false()
    return or_(
        names,
        _starts_with(Person.immatriculation, term.code),
        _starts_with(Person.cnie, term.code),
    )


def search_persons(
    session: Session, q: str | None, regime: str | None, limit: int, offset: int
) -> tuple[list[tuple[Person, str | None]], int]:
    """Persons matching every word of q: a part of a name in either script, accents and
    Arabic hamza and alef variants forgiven (both sides folded, `daman.core.fold`), or the
    start of a CNIE or immatriculation."""
    current = latest_regime().label("regime_code")
    stmt = select(Person, current)
    for term in terms(q):
        stmt = stmt.where(_term_matches(term))
    if regime:
        stmt = stmt.where(latest_regime() == regime)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Person.last_name, Person.first_name, Person.id).limit(limit).offset(offset)
    )
    return [(p, r) for p, r in rows], total


# The matches a search as one types looks at: a few words of a common name match tens of
# thousands of persons in a million, and sorting them all would cost more than the answer
# is worth. The first CANDIDATES found are ranked; there are more, the page says so.
CANDIDATES = 500


def find_persons(session: Session, q: str | None, limit: int) -> list[tuple[Person, str | None]]:
    """At most ``limit`` persons matching every word of q (as `search_persons`), the best
    first: a CNIE or immatriculation typed in full, then names that start with the first
    word, then the others, each by name, among the first `CANDIDATES` matches found (and
    every full CNIE or immatriculation typed). No count: an answer as one types."""
    typed = terms(q)
    if not typed:
        return []
    exact = or_(
        *(Person.immatriculation == t.code for t in typed),
        *(Person.cnie == t.code for t in typed),
    )
    matching = select(Person.id)
    for term in typed:
        matching = matching.where(_term_matches(term))
    found = matching.limit(CANDIDATES).subquery()
    candidates = union(select(Person.id).where(exact), select(found.c.id)).subquery()
    first = typed[0].folded or "\t"  # a tab: no key holds one
    starts = or_(Person.search_name.like(f"{first}%"), Person.search_name.like(f"% {first}%"))
    rank = case((exact, 0), (starts, 1), else_=2)
    rows = session.execute(
        select(Person, latest_regime().label("regime_code"))
        .where(Person.id.in_(select(candidates.c.id)))
        .order_by(rank, Person.last_name, Person.first_name, Person.id)
        .limit(limit)
    )
    return [(p, r) for p, r in rows]


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


def dependents_of(
    session: Session, principal_id: int, who: Principal | None = None
) -> list[tuple[DependentLink, Person]]:
    """The principal's dependent links with their persons: staff (and the fund's own code)
    every link, ended ones included; anyone else the links in force today."""
    stmt = (
        select(DependentLink, Person)
        .join(Person, Person.id == DependentLink.dependent_id)
        .where(DependentLink.principal_id == principal_id)
    )
    if who is not None and not who.is_staff:
        day = today()
        stmt = stmt.where(
            DependentLink.valid_from <= day,
            or_(DependentLink.valid_to.is_(None), DependentLink.valid_to >= day),
        )
    rows = session.execute(
        stmt.order_by(DependentLink.valid_from, Person.birth_date, DependentLink.id)
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


Day = date | ColumnElement[date]


# a column naming a person (an optional one: a transfer to a provider names none)
PersonColumn = ColumnElement[int] | QueryableAttribute[int] | QueryableAttribute[int | None]


def in_family(
    person_column: PersonColumn,
    person_id: int,
    on: Day | None = None,
) -> ColumnElement[bool]:
    """The person in this column is this insured person or a dependent whose link to them
    is in force on ``on``: today when None (current data: the person record, dependents,
    rights, a new claim, pre-authorisations, exemptions), or a date per row, as a SQL
    expression (a past claim: its care date). A dependent whose link has ended (divorce,
    transfer, a child who left) drops out of the family from the day after, and their rows
    from before stay in it. One SQL condition, no row is filtered in Python."""
    day = today() if on is None else on
    in_force = and_(
        DependentLink.principal_id == person_id,
        DependentLink.valid_from <= day,
        or_(DependentLink.valid_to.is_(None), DependentLink.valid_to >= day),
    )
    if isinstance(day, date):
        linked = select(DependentLink.dependent_id).where(in_force)
        return or_(person_column == person_id, person_column.in_(linked))
    # A date per row: the rows of anyone ever linked (an uncorrelated set an index can
    # serve), then the link in force on that row's date.
    ever = select(DependentLink.dependent_id).where(DependentLink.principal_id == person_id)
    then = select(DependentLink.id).where(in_force, DependentLink.dependent_id == person_column)
    return or_(person_column == person_id, and_(person_column.in_(ever), then.exists()))


def scope(
    who: Principal | None,
    person_column: PersonColumn,
    provider_rule: Callable[[int], ColumnElement[bool]] | None = None,
    *,
    on: Day | None = None,
    family: bool = True,
) -> ColumnElement[bool]:
    """What ``who`` may see of rows about the person in ``person_column``: staff (and no
    principal: the fund's own code) everything; an insured person their family's rows, the
    family as it stands ``on`` (today by default; a claim passes its care date, see
    `in_family`); a provider the rows ``provider_rule(provider_id)`` admits, when the domain
    has one; anyone else nothing. With ``family=False`` an insured person sees only rows
    about themselves (money paid to them). Each domain's repository applies it, so the rule
    lives in one place."""
    if who is None or who.is_staff:
        return true()
    if who.role == Role.INSURED and who.person_id is not None:
        if not family:
            return person_column == who.person_id
        return in_family(person_column, who.person_id, on)
    if who.role == Role.PROVIDER and who.provider_id is not None and provider_rule is not None:
        return provider_rule(who.provider_id)
    return false()


# The roles that handle payments, and so read bank details (RIBs): those of the payments
# domain's rule (`daman.payments.endpoints.PAYMENTS`, checked equal by a test).
FINANCE = frozenset({Role.AGENT})


def sees_bank_details(
    who: Principal | None, *, person_id: int | None = None, provider_id: int | None = None
) -> bool:
    """Whether ``who`` may read the RIB of this person or provider: finance staff (and the
    fund's own code) any; an insured person their own only (not a dependent's); a provider
    its own only (never a person's); anyone else none."""
    if who is None or who.unrestricted or who.role in FINANCE:
        return True
    if who.role == Role.INSURED:
        return person_id is not None and person_id == who.person_id
    if who.role == Role.PROVIDER:
        return provider_id is not None and provider_id == who.provider_id
    return False


def ald_codes_on(session: Session, person_id: int, on: date) -> list[str]:
    """The ALD codes of the person's exemptions in force on ``on``."""
    rows = session.scalars(
        select(AldExemption.ald_code)
        .where(
            AldExemption.person_id == person_id,
            AldExemption.valid_from <= on,
            or_(AldExemption.valid_to.is_(None), AldExemption.valid_to >= on),
        )
        .distinct()
    )
    return sorted(rows)
