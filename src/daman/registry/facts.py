"""The facts rights are decided on, as plain data, and their bulk loading.

`load_facts` reads the facts of many persons (their principals' too) in a fixed number of
queries whatever their number, ids in chunks of CHUNK; `load_rules` reads the RightsRule
rows. `daman.registry.rights.evaluate` decides on them without touching the database.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.contributions.ledger import repository as ledger
from daman.core.dates import in_force_on
from daman.core.db import any_id
from daman.reference.models import RightsRule
from daman.registry.models import (
    Affiliation,
    AldExemption,
    Contribution,
    DependentLink,
    Person,
    StudentProof,
)

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
    declaration_lag_months: int = 0


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
    """A month's declared days, summed over employers, and whether it was paid: since
    `paid_on` for a month of the contributions ledger (it counts from that day on), since
    always for the registry's own rows (imported declared days and paid flags)."""

    month: date
    declared_days: int = 0
    paid: bool = True
    paid_on: date | None = None


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
    return in_force_on(rules.get(regime, ()), on)


def _among(column: Any, ids: Sequence[int], dialect: str) -> Any:
    """`column IN ids`; on PostgreSQL one array parameter (= ANY) instead of thousands."""
    if dialect == "postgresql":
        return any_id(column, ids)
    return column.in_(list(ids))


def _rows(session: Session, stmt: Any, column: Any, ids: Sequence[int]) -> Iterator[Any]:
    """Rows of `stmt` for ids, by chunks of CHUNK ids (Core: no ORM overhead per row)."""
    conn = session.connection()
    for i in range(0, len(ids), CHUNK):
        part = ids[i : i + CHUNK]
        yield from conn.execute(stmt.where(_among(column, part, conn.dialect.name))).all()


RULE_COLUMNS = (
    "regime_code",
    "valid_from",
    "valid_to",
    "opening_days",
    "opening_window_months",
    "needs_paid_contribution",
    "waiting_months",
    "rsu_max",
    "maintain_job_loss_months",
    "maintain_divorce_months",
    "maintain_survivor_months",
    "child_max_age",
    "student_max_age",
    "ald_keeps_rights",
    "declaration_lag_months",
)


def load_rules(session: Session) -> dict[str, tuple[Rule, ...]]:
    by_regime: dict[str, list[Rule]] = defaultdict(list)
    columns = [getattr(RightsRule, name) for name in RULE_COLUMNS]
    for row in session.execute(select(*columns).order_by(RightsRule.id)):
        by_regime[row[0]].append(Rule(**dict(zip(RULE_COLUMNS, row, strict=True))))
    return {k: tuple(v) for k, v in by_regime.items()}


@dataclass
class _Gathered:
    """The rows facts are built from, by person id."""

    people: dict[int, tuple[str, date, date | None, bool]] = field(default_factory=dict)
    links: defaultdict[int, list[LinkFact]] = field(default_factory=lambda: defaultdict(list))
    affiliations: defaultdict[int, list[AffiliationFact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    contributions: defaultdict[int, list[ContributionFact]] = field(
        default_factory=lambda: defaultdict(list)
    )
    proofs: defaultdict[int, list[Period]] = field(default_factory=lambda: defaultdict(list))
    ald: defaultdict[int, list[Period]] = field(default_factory=lambda: defaultdict(list))
    rules: dict[str, tuple[Rule, ...]] | None = None  # PostgreSQL: read by the same statement


def load_facts(session: Session, person_ids: Iterable[int]) -> dict[int, PersonFacts]:
    """The facts of many persons (and of their principals), in a fixed number of queries:
    on PostgreSQL one statement for every CHUNK persons, elsewhere one per table."""
    ids = sorted(set(person_ids))
    if session.get_bind().dialect.name == "postgresql":
        got = _gather_postgres(session, ids)
        rules = got.rules if got.rules is not None else load_rules(session)
    else:
        rules = load_rules(session)
        got = _gather(session, ids)
    return _build(got, ids, rules)


def load_facts_of(session: Session, immatriculation: str) -> PersonFacts | None:
    """The facts of one person by immatriculation (None when unknown); on PostgreSQL the
    look-up and every fact come in one statement."""
    number = immatriculation.strip().upper()
    if session.get_bind().dialect.name == "postgresql":
        got = _collect(_fetch(session, _FAMILY_OF_NUMBER, {"number": number}))
        pid = next((k for k, person in got.people.items() if person[0] == number), None)
        rules = got.rules if got.rules is not None else {}
        return None if pid is None else _build(got, [pid], rules)[pid]
    rules = load_rules(session)
    pid = session.execute(select(Person.id).where(Person.immatriculation == number)).scalar()
    return None if pid is None else _build(_gather(session, [pid]), [pid], rules)[pid]


def _build(
    got: _Gathered, ids: Iterable[int], rules: dict[str, tuple[Rule, ...]]
) -> dict[int, PersonFacts]:
    people, links = got.people, got.links

    def build(pid: int, full: bool) -> PersonFacts:
        immatriculation, birth, death, disabled = people[pid]
        mine = links.get(pid, ()) if full else ()
        return PersonFacts(
            person_id=pid,
            immatriculation=immatriculation,
            birth_date=birth,
            death_date=death,
            disabled=disabled,
            affiliations=tuple(got.affiliations.get(pid, ())),
            contributions=tuple(got.contributions.get(pid, ())),
            links=tuple(mine),
            student_proofs=tuple(got.proofs.get(pid, ())) if full else (),
            ald_exemptions=tuple(got.ald.get(pid, ())) if full else (),
            principals={lk.principal_id: principal_facts[lk.principal_id] for lk in mine},
            rules=rules,
        )

    # a principal's facts, as their dependents see them, are shared by the whole family
    principal_facts: dict[int, PersonFacts] = {}
    for pid in sorted({lk.principal_id for ls in links.values() for lk in ls}):
        principal_facts[pid] = build(pid, full=False)
    return {pid: build(pid, full=True) for pid in ids if pid in people}


def _gather(session: Session, ids: list[int]) -> _Gathered:
    """One query per table: the persons and their links, then their principals, then the
    affiliations and months of both, the student proofs and ALD exemptions of the asked."""
    got = _Gathered()
    person_columns = select(
        Person.id, Person.immatriculation, Person.birth_date, Person.death_date, Person.disabled
    )
    for pid, immatriculation, birth, death, disabled in _rows(
        session, person_columns, Person.id, ids
    ):
        got.people[pid] = (immatriculation, birth, death, bool(disabled))
    asked = sorted(got.people)
    link_columns = select(
        DependentLink.dependent_id,
        DependentLink.principal_id,
        DependentLink.relationship_,
        DependentLink.valid_from,
        DependentLink.valid_to,
        DependentLink.end_reason,
    ).order_by(DependentLink.dependent_id, DependentLink.valid_from, DependentLink.id)
    for row in _rows(session, link_columns, DependentLink.dependent_id, asked):
        got.links[row[0]].append(LinkFact(*row[1:]))
    principals = {link.principal_id for ls in got.links.values() for link in ls}
    for pid, immatriculation, birth, death, disabled in _rows(
        session, person_columns, Person.id, sorted(principals - set(got.people))
    ):
        got.people[pid] = (immatriculation, birth, death, bool(disabled))
    every = sorted(got.people)
    affiliation_columns = select(
        Affiliation.person_id,
        Affiliation.regime_code,
        Affiliation.valid_from,
        Affiliation.valid_to,
        Affiliation.end_reason,
        Affiliation.mutual_code,
        Affiliation.employer_id,
        Affiliation.rsu_score,
    ).order_by(Affiliation.person_id, Affiliation.valid_from, Affiliation.id)
    for row in _rows(session, affiliation_columns, Affiliation.person_id, every):
        got.affiliations[row[0]].append(AffiliationFact(*row[1:]))
    months = (
        select(
            Contribution.person_id,
            Contribution.month,
            func.sum(Contribution.declared_days),
            Contribution.paid,
        )
        .where(~ledger.in_ledger(Contribution.person_id, Contribution.month))
        .group_by(Contribution.person_id, Contribution.month, Contribution.paid)
        .order_by(Contribution.person_id, Contribution.month, Contribution.paid)
    )
    for pid, month, days, paid in _rows(session, months, Contribution.person_id, every):
        got.contributions[pid].append(ContributionFact(month, int(days or 0), bool(paid)))
    for pid, month, days, paid, paid_on in ledger.months(session, every):
        got.contributions[pid].append(ContributionFact(month, days, paid, paid_on))
    proof_columns = select(
        StudentProof.person_id, StudentProof.valid_from, StudentProof.valid_to
    ).order_by(StudentProof.person_id, StudentProof.valid_from, StudentProof.id)
    for pid, start, end in _rows(session, proof_columns, StudentProof.person_id, asked):
        got.proofs[pid].append(Period(start, end))
    ald_columns = select(
        AldExemption.person_id, AldExemption.valid_from, AldExemption.valid_to
    ).order_by(AldExemption.person_id, AldExemption.valid_from, AldExemption.id)
    for pid, start, end in _rows(session, ald_columns, AldExemption.person_id, asked):
        got.ald[pid].append(Period(start, end))
    return got


# Every fact of CHUNK persons and of their principals in one statement: one row per fact,
# the kind first (1 person, 2 link, 3 affiliation, 4 month, 5 student proof, 6 ALD), in the
# same order as _gather's, after one row of kind 0 holding every RightsRule row as JSON
# (t1), so that a look-up is one round trip. Columns: kind, person, t1..t4 (text), d1, d2
# (dates), n (integer), b (boolean), id (order within a kind). Months come from the
# registry's rows (d2 empty) and from the contributions ledger (d2: the day it was paid),
# read once (the `ledger` CTE): a registry month counts only where the ledger has none.
_FAMILY_SQL = """
    WITH asked AS ({asked}),
    links AS (
        SELECT id, dependent_id, principal_id, relationship, valid_from, valid_to, end_reason
        FROM dependent_links WHERE dependent_id = ANY(ARRAY(SELECT id FROM asked))
    ),
    family AS (SELECT ARRAY(SELECT id FROM asked UNION SELECT principal_id FROM links) AS ids),
    ledger AS MATERIALIZED ({ledger_months})
    SELECT 0, 0, (SELECT json_agg(r ORDER BY r.id) FROM (SELECT id, {rule_columns}
                  FROM rights_rules) AS r)::text, NULL, NULL, NULL, NULL::date, NULL::date,
           NULL::integer, NULL::boolean, NULL::integer
    UNION ALL
    SELECT 1, id, immatriculation, NULL, NULL, NULL, birth_date, death_date, NULL::integer,
           disabled, id
    FROM persons WHERE id = ANY((SELECT ids FROM family)::integer[])
    UNION ALL
    SELECT 2, dependent_id, relationship, end_reason, NULL, NULL, valid_from, valid_to,
           principal_id, NULL, id
    FROM links
    UNION ALL
    SELECT 3, person_id, regime_code, end_reason, mutual_code, rsu_score, valid_from, valid_to,
           employer_id, NULL, id
    FROM affiliations WHERE person_id = ANY((SELECT ids FROM family)::integer[])
    UNION ALL
    SELECT 4, person_id, NULL, NULL, NULL, NULL, month, NULL, sum(declared_days)::integer,
           paid, NULL
    FROM contributions WHERE person_id = ANY((SELECT ids FROM family)::integer[])
      AND NOT EXISTS (SELECT 1 FROM ledger AS l
                      WHERE l.person_id = contributions.person_id AND l.month = contributions.month)
    GROUP BY person_id, month, paid
    UNION ALL
    SELECT 4, person_id, NULL, NULL, NULL, NULL, month, paid_on, days, paid, NULL
    FROM ledger
    UNION ALL
    SELECT 5, person_id, NULL, NULL, NULL, NULL, valid_from, valid_to, NULL, NULL, id
    FROM student_proofs WHERE person_id = ANY(ARRAY(SELECT id FROM asked))
    UNION ALL
    SELECT 6, person_id, NULL, NULL, NULL, NULL, valid_from, valid_to, NULL, NULL, id
    FROM ald_exemptions WHERE person_id = ANY(ARRAY(SELECT id FROM asked))
    ORDER BY 1, 2, 7, 10, 11
    """
# Run on the driver's own cursor: its rows are plain tuples, with none of the result
# machinery's cost per row (a batch reads about 40 rows per person).
_LEDGER = {
    "rule_columns": ", ".join(RULE_COLUMNS),
    "ledger_months": ledger.MONTHS_SQL.format(persons="(SELECT ids FROM family)::integer[]"),
}
_FAMILY = _FAMILY_SQL.format(asked="SELECT unnest(CAST(%(ids)s AS integer[])) AS id", **_LEDGER)
_FAMILY_OF_NUMBER = _FAMILY_SQL.format(
    asked="SELECT id FROM persons WHERE immatriculation = %(number)s", **_LEDGER
)


def _fetch(session: Session, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_RULES, _PERSON, _LINK, _AFFILIATION, _MONTH, _PROOF = 0, 1, 2, 3, 4, 5


def _gather_postgres(session: Session, ids: list[int]) -> _Gathered:
    got = _Gathered()
    for i in range(0, len(ids), CHUNK):
        literal = "{" + ",".join(map(str, map(int, ids[i : i + CHUNK]))) + "}"
        _collect(_fetch(session, _FAMILY, {"ids": literal}), got)
    return got


def _collect(rows: Iterable[Any], got: _Gathered | None = None) -> _Gathered:
    """The rows of the family statement, by kind and person."""
    got = got if got is not None else _Gathered()
    for kind, pid, t1, t2, t3, t4, d1, d2, n, b, _ in rows:
        if kind == _MONTH:
            got.contributions[pid].append(ContributionFact(d1, n or 0, bool(b), d2))
        elif kind == _AFFILIATION:
            got.affiliations[pid].append(AffiliationFact(t1, d1, d2, t2, t3, n, t4))
        elif kind == _PERSON:
            got.people[pid] = (t1, d1, d2, bool(b))
        elif kind == _LINK:
            got.links[pid].append(LinkFact(n, t1, d1, d2, t2))
        elif kind == _PROOF:
            got.proofs[pid].append(Period(d1, d2))
        elif kind == _RULES:
            got.rules = _rules_of(t1)
        else:
            got.ald[pid].append(Period(d1, d2))
    return got


def _rules_of(document: str | None) -> dict[str, tuple[Rule, ...]]:
    """The RightsRule rows of the family statement's JSON, as load_rules gives them."""
    by_regime: dict[str, list[Rule]] = defaultdict(list)
    for row in json.loads(document or "[]"):
        values = {name: row[name] for name in RULE_COLUMNS}
        for name in ("valid_from", "valid_to"):
            if values[name] is not None:
                values[name] = date.fromisoformat(values[name])
        by_regime[values["regime_code"]].append(Rule(**values))
    return {k: tuple(v) for k, v in by_regime.items()}
