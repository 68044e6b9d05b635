"""Test data builders: valid persons, affiliations, dependents, contributions, employers.

They write straight to the session (no service validation) with sensible defaults and
only flush. Other packages' tests import them:

    principal = insured(session, regime="CNSS_SAL", valid_from=date(2024, 1, 1))
    contributions(session, principal, date(2024, 1, 1), months=6, days=26)
    child = dependent(session, principal, birth_date=date(2015, 3, 2))

`ensure_reference` adds the regimes, rights rules and mutual they rely on when the
reference data is not loaded (it never touches rows that are already there).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import count
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.core.dates import add_months, month_start
from daman.core.enums import RegimeCode, Relationship
from daman.core.identifiers import allocate, immatriculation, rib_key
from daman.reference.models import AldDisease, Mutual, Regime, RightsRule
from daman.registry.models import (
    Affiliation,
    AldExemption,
    Contribution,
    DependentLink,
    Employer,
    Person,
    StudentProof,
)

ACTOR = "test"
RULES_FROM = date(2005, 9, 18)  # law 65.00 in force
_serial = count(1)

# The default rule set of rules.md, section 1, as used when the reference data is absent.
_REGIMES: dict[str, tuple[str, str, dict[str, object]]] = {
    RegimeCode.CNOPS: ("Public sector (CNOPS)", "CNOPS", {}),
    RegimeCode.CNSS_SAL: (
        "Private-sector employees",
        "CNSS",
        {"opening_days": 54, "opening_window_months": 6},
    ),
    RegimeCode.TNS: ("Self-employed", "CNSS", {"needs_paid_contribution": True}),
    RegimeCode.TADAMON: ("AMO Tadamon", "CNSS", {"rsu_max": "9.3264284"}),
    RegimeCode.CHAMIL: (
        "AMO Chamil",
        "CNSS",
        {"needs_paid_contribution": True, "waiting_months": 3},
    ),
}
DEFAULT_MUTUAL = "MGPAP"
TEST_ALD = "ALD00"


def ensure_reference(session: Session) -> None:
    """Regimes, one rights rule per regime, a mutual and an ALD disease, where absent."""
    known = set(session.scalars(select(Regime.code)))
    with_rules = set(session.scalars(select(RightsRule.regime_code)))
    for code, (name, fund, numbers) in _REGIMES.items():
        if code not in known:
            session.add(Regime(code=code, name=name, fund=fund, created_by=ACTOR))
        if code not in with_rules:
            session.add(
                RightsRule(regime_code=code, valid_from=RULES_FROM, source="builders", **numbers)
            )
    if session.get(Mutual, DEFAULT_MUTUAL) is None:
        session.add(Mutual(code=DEFAULT_MUTUAL, name="Mutuelle Générale du Personnel"))
    session.flush()


def valid_rib(seed: int) -> str:
    """A well-formed RIB (bank 3, city 3, account 16, key 2) derived from a number."""
    first22 = f"007780{seed:016d}"
    return first22 + rib_key(first22)


def employer(
    session: Session,
    *,
    number: str | None = None,
    name: str = "Atlas Textiles SARL",
    city: str = "Casablanca",
) -> Employer:
    n = next(_serial)
    row = Employer(
        number=number or f"E{n:07d}",
        name=name,
        city=city,
        created_by=ACTOR,
        updated_by=ACTOR,
    )
    session.add(row)
    session.flush()
    return row


def person(
    session: Session,
    *,
    last_name: str = "Alaoui",
    first_name: str = "Amina",
    birth_date: date = date(1985, 4, 12),
    sex: str = "F",
    cnie: str | None = "auto",
    death_date: date | None = None,
    disabled: bool = False,
    rib: str | None = None,
    last_name_ar: str | None = "العلوي",
    first_name_ar: str | None = "أمينة",
) -> Person:
    """A person with a fresh immatriculation (and a generated CNIE unless cnie=None)."""
    n = allocate(session, "immatriculation")[0]
    row = Person(
        immatriculation=immatriculation(n),
        cnie=f"ZT{n:08d}" if cnie == "auto" else cnie,
        last_name=last_name,
        first_name=first_name,
        last_name_ar=last_name_ar,
        first_name_ar=first_name_ar,
        birth_date=birth_date,
        sex=sex,
        death_date=death_date,
        disabled=disabled,
        rib=rib,
        created_by=ACTOR,
        updated_by=ACTOR,
    )
    session.add(row)
    session.flush()
    return row


def affiliation(
    session: Session,
    who: Person,
    *,
    regime: str = RegimeCode.CNOPS,
    valid_from: date = date(2020, 1, 1),
    valid_to: date | None = None,
    end_reason: str | None = None,
    employer_id: int | None = None,
    mutual_code: str | None = None,
    rsu_score: str | None = None,
) -> Affiliation:
    """An affiliation with what its regime needs (employer, mutual, RSU score) filled in."""
    ensure_reference(session)
    if regime == RegimeCode.CNSS_SAL and employer_id is None:
        employer_id = employer(session).id
    if regime == RegimeCode.CNOPS and mutual_code is None:
        mutual_code = DEFAULT_MUTUAL
    if regime in (RegimeCode.TADAMON, RegimeCode.CHAMIL) and rsu_score is None:
        rsu_score = "5.1" if regime == RegimeCode.TADAMON else "12.5"
    row = Affiliation(
        person_id=who.id,
        regime_code=regime,
        employer_id=employer_id,
        mutual_code=mutual_code,
        rsu_score=rsu_score,
        valid_from=valid_from,
        valid_to=valid_to,
        end_reason=end_reason,
        created_by=ACTOR,
        updated_by=ACTOR,
    )
    session.add(row)
    session.flush()
    return row


def insured(
    session: Session,
    *,
    regime: str = RegimeCode.CNOPS,
    valid_from: date = date(2020, 1, 1),
    valid_to: date | None = None,
    end_reason: str | None = None,
    employer_id: int | None = None,
    mutual_code: str | None = None,
    rsu_score: str | None = None,
    **person_fields: Any,
) -> Person:
    """A principal insured: a person and one affiliation."""
    who = person(session, **person_fields)
    affiliation(
        session,
        who,
        regime=regime,
        valid_from=valid_from,
        valid_to=valid_to,
        end_reason=end_reason,
        employer_id=employer_id,
        mutual_code=mutual_code,
        rsu_score=rsu_score,
    )
    return who


def link(
    session: Session,
    principal: Person,
    dependent_person: Person,
    *,
    relationship: str = Relationship.CHILD,
    valid_from: date | None = None,
    valid_to: date | None = None,
    end_reason: str | None = None,
) -> DependentLink:
    row = DependentLink(
        dependent_id=dependent_person.id,
        principal_id=principal.id,
        relationship_=relationship,
        valid_from=valid_from or max(dependent_person.birth_date, date(2020, 1, 1)),
        valid_to=valid_to,
        end_reason=end_reason,
        created_by=ACTOR,
        updated_by=ACTOR,
    )
    session.add(row)
    session.flush()
    return row


def dependent(
    session: Session,
    principal: Person,
    *,
    relationship: str = Relationship.CHILD,
    birth_date: date = date(2012, 9, 3),
    first_name: str = "Yassine",
    sex: str = "M",
    disabled: bool = False,
    valid_from: date | None = None,
    valid_to: date | None = None,
    end_reason: str | None = None,
) -> Person:
    """A dependent person linked to `principal` (children get no CNIE by default)."""
    who = person(
        session,
        last_name=principal.last_name,
        first_name=first_name,
        birth_date=birth_date,
        sex=sex,
        cnie=None if relationship == Relationship.CHILD else "auto",
        disabled=disabled,
        last_name_ar=principal.last_name_ar,
        first_name_ar=None,
    )
    link(
        session,
        principal,
        who,
        relationship=relationship,
        valid_from=valid_from,
        valid_to=valid_to,
        end_reason=end_reason,
    )
    return who


def contributions(
    session: Session,
    who: Person,
    first_month: date,
    *,
    months: int = 1,
    days: int = 26,
    paid: bool = True,
    amount_centimes: int = 0,
    employer_id: int | None = None,
) -> list[Contribution]:
    """`months` consecutive monthly contributions from `first_month`, `days` declared each."""
    if employer_id is None:
        employer_id = session.scalar(
            select(Affiliation.employer_id)
            .where(Affiliation.person_id == who.id, Affiliation.employer_id.is_not(None))
            .order_by(Affiliation.valid_from.desc())
            .limit(1)
        )
    rows = [
        Contribution(
            person_id=who.id,
            employer_id=employer_id,
            month=add_months(month_start(first_month), i),
            declared_days=days,
            amount_centimes=amount_centimes,
            paid=paid,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        for i in range(months)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def month_days(
    session: Session, who: Person, days_by_month: Iterable[tuple[date, int]]
) -> list[Contribution]:
    """Paid contributions with the given declared days per month."""
    out: list[Contribution] = []
    for month, days in days_by_month:
        out += contributions(session, who, month, days=days)
    return out


def student_proof(
    session: Session, who: Person, valid_from: date, valid_to: date, institution: str = "UM5"
) -> StudentProof:
    row = StudentProof(
        person_id=who.id,
        valid_from=valid_from,
        valid_to=valid_to,
        institution=institution,
        created_by=ACTOR,
        updated_by=ACTOR,
    )
    session.add(row)
    session.flush()
    return row


def ald_exemption(
    session: Session, who: Person, valid_from: date, valid_to: date | None = None
) -> AldExemption:
    """An ALD exemption granted to `who` (on the first listed disease, or a test one)."""
    code = session.scalar(select(AldDisease.code).order_by(AldDisease.code).limit(1))
    if code is None:
        code = TEST_ALD
        session.add(
            AldDisease(code=code, name_fr="Maladie de test", valid_from=RULES_FROM, icd10="")
        )
        session.flush()
    row = AldExemption(
        person_id=who.id,
        ald_code=code,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=ACTOR,
        updated_by=ACTOR,
    )
    session.add(row)
    session.flush()
    return row
