"""The facts rights are decided on, as plain data, and their bulk loading.

`load_facts` reads the facts of many persons (their principals' too) in a fixed number of
queries whatever their number, ids in chunks of CHUNK; `load_rules` reads the RightsRule
rows. `daman.registry.rights.evaluate` decides on them without touching the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Integer, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from daman.core.dates import covers
from daman.exemptions.models import AldExemption
from daman.reference.models import RightsRule
from daman.registry.models import Affiliation, Contribution, DependentLink, Person, StudentProof

CHUNK = 5_000


@dataclass(frozen=True)
class Rule:
    """One RightsRule row, as plain data."""

    regime_code: str
    valid_from: date
    valid_to: date | None = None
    opening_days: int | None = None
    opening_window_months: int | None = None
    needs_paid_contribution: bool = False
    waiting_months: int = 0
    rsu_max: str | None = None
    maintain_job_loss_months: int = 6
    maintain_divorce_months: int = 12
    maintain_survivor_months: int = 24
    child_max_age: int = 21
    student_max_age: int = 26
    ald_keeps_rights: bool = True


@dataclass(frozen=True)
class AffiliationFact:
    regime_code: str
    valid_from: date
    valid_to: date | None = None
    end_reason: str | None = None
    mutual_code: str | None = None
    employer_id: int | None = None
    rsu_score: str | None = None


@dataclass(frozen=True)
class ContributionFact:
    """A month's declared days, summed over employers, and whether it was paid."""

    month: date
    declared_days: int = 0
    paid: bool = True


@dataclass(frozen=True)
class LinkFact:
    principal_id: int
    relationship: str
    valid_from: date
    valid_to: date | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class Period:
    valid_from: date
    valid_to: date | None = None


@dataclass(frozen=True)
class PersonFacts:
    person_id: int
    immatriculation: str
    birth_date: date
    death_date: date | None = None
    disabled: bool = False
    affiliations: tuple[AffiliationFact, ...] = ()
    contributions: tuple[ContributionFact, ...] = ()
    links: tuple[LinkFact, ...] = ()
    student_proofs: tuple[Period, ...] = ()
    ald_exemptions: tuple[Period, ...] = ()
    principals: Mapping[int, PersonFacts] = field(default_factory=dict)
    rules: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)


def rule_on(rules: Mapping[str, Sequence[Rule]], regime: str, on: date) -> Rule | None:
    found = [r for r in rules.get(regime, ()) if covers(r.valid_from, r.valid_to, on)]
    return max(found, key=lambda r: r.valid_from) if found else None


def _among(column: Any, ids: Sequence[int], dialect: str) -> Any:
    """`column IN ids`; on PostgreSQL one array parameter (= ANY) instead of thousands."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def _rows(session: Session, stmt: Any, column: Any, ids: Sequence[int]) -> Iterator[Any]:
    """Rows of `stmt` for ids, by chunks of CHUNK ids (Core: no ORM overhead per row)."""
    conn = session.connection()
    for i in range(0, len(ids), CHUNK):
        yield from conn.execute(stmt.where(_among(column, ids[i : i + CHUNK], conn.dialect.name)))


def load_rules(session: Session) -> dict[str, tuple[Rule, ...]]:
    by_regime: dict[str, list[Rule]] = defaultdict(list)
    for r in session.scalars(select(RightsRule)):
        by_regime[r.regime_code].append(
            Rule(
                regime_code=r.regime_code,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
                opening_days=r.opening_days,
                opening_window_months=r.opening_window_months,
                needs_paid_contribution=r.needs_paid_contribution,
                waiting_months=r.waiting_months,
                rsu_max=r.rsu_max,
                maintain_job_loss_months=r.maintain_job_loss_months,
                maintain_divorce_months=r.maintain_divorce_months,
                maintain_survivor_months=r.maintain_survivor_months,
                child_max_age=r.child_max_age,
                student_max_age=r.student_max_age,
                ald_keeps_rights=r.ald_keeps_rights,
            )
        )
    return {k: tuple(v) for k, v in by_regime.items()}


def load_facts(session: Session, person_ids: Iterable[int]) -> dict[int, PersonFacts]:
    """The facts of many persons (and of their principals), in a fixed number of queries."""
    ids = sorted(set(person_ids))
    rules = load_rules(session)
    person_columns = select(
        Person.id, Person.immatriculation, Person.birth_date, Person.death_date, Person.disabled
    )
    people = {row.id: row for row in _rows(session, person_columns, Person.id, ids)}
    links: dict[int, list[LinkFact]] = defaultdict(list)
    link_columns = select(
        DependentLink.dependent_id,
        DependentLink.principal_id,
        DependentLink.relationship_,
        DependentLink.valid_from,
        DependentLink.valid_to,
        DependentLink.end_reason,
    )
    for row in _rows(session, link_columns, DependentLink.dependent_id, list(people)):
        links[row[0]].append(LinkFact(*row[1:]))
    missing = sorted({link.principal_id for ls in links.values() for link in ls} - set(people))
    people.update({row.id: row for row in _rows(session, person_columns, Person.id, missing)})
    every = sorted(people)
    affiliations: dict[int, list[AffiliationFact]] = defaultdict(list)
    affiliation_columns = select(
        Affiliation.person_id,
        Affiliation.regime_code,
        Affiliation.valid_from,
        Affiliation.valid_to,
        Affiliation.end_reason,
        Affiliation.mutual_code,
        Affiliation.employer_id,
        Affiliation.rsu_score,
    )
    for row in _rows(session, affiliation_columns, Affiliation.person_id, every):
        affiliations[row[0]].append(AffiliationFact(*row[1:]))
    contributions: dict[int, list[ContributionFact]] = defaultdict(list)
    months = (
        select(
            Contribution.person_id,
            Contribution.month,
            func.sum(Contribution.declared_days),
            Contribution.paid,
        )
        .group_by(Contribution.person_id, Contribution.month, Contribution.paid)
        .order_by(Contribution.person_id, Contribution.month)
    )
    for pid, month, days, paid in _rows(session, months, Contribution.person_id, every):
        contributions[pid].append(ContributionFact(month, int(days or 0), bool(paid)))
    asked = [i for i in ids if i in people]
    proofs: dict[int, list[Period]] = defaultdict(list)
    proof_columns = select(StudentProof.person_id, StudentProof.valid_from, StudentProof.valid_to)
    for pid, start, end in _rows(session, proof_columns, StudentProof.person_id, asked):
        proofs[pid].append(Period(start, end))
    ald: dict[int, list[Period]] = defaultdict(list)
    ald_columns = select(AldExemption.person_id, AldExemption.valid_from, AldExemption.valid_to)
    for pid, start, end in _rows(session, ald_columns, AldExemption.person_id, asked):
        ald[pid].append(Period(start, end))

    def build(pid: int, full: bool) -> PersonFacts:
        p = people[pid]
        mine = links.get(pid, ()) if full else ()
        return PersonFacts(
            person_id=pid,
            immatriculation=p.immatriculation,
            birth_date=p.birth_date,
            death_date=p.death_date,
            disabled=bool(p.disabled),
            affiliations=tuple(affiliations.get(pid, ())),
            contributions=tuple(contributions.get(pid, ())),
            links=tuple(mine),
            student_proofs=tuple(proofs.get(pid, ())) if full else (),
            ald_exemptions=tuple(ald.get(pid, ())) if full else (),
            principals={lk.principal_id: principal_facts[lk.principal_id] for lk in mine},
            rules=rules,
        )

    # a principal's facts, as their dependents see them, are shared by the whole family
    principal_facts: dict[int, PersonFacts] = {}
    for pid in sorted({lk.principal_id for ls in links.values() for lk in ls}):
        principal_facts[pid] = build(pid, full=False)
    return {pid: build(pid, full=True) for pid in asked}
