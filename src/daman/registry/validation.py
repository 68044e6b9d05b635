"""Checks shared by the API and the bulk import: each returns the FieldErrors it finds.

Reference lookups go through `Refs`, loaded once for a request or for a whole file, so
that validating 100,000 rows costs a handful of queries.

What each regime needs at registration is structural, not a figure: CNSS_SAL an employer,
CNOPS a mutual, TADAMON and CHAMIL an RSU score (TADAMON's must not exceed the threshold
of the rights rule in force on the registration date).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.core.dates import age_on
from daman.core.enums import RegimeCode, Relationship
from daman.core.errors import FieldError
from daman.core.identifiers import cnie_problem, normalise_cnie, rib_problem
from daman.reference.models import Mutual, Regime
from daman.registry.models import Employer
from daman.registry.rights import Rule, load_rules, rule_on

REQUIRED_BY_REGIME: dict[str, str] = {
    RegimeCode.CNSS_SAL: "employer_number",
    RegimeCode.CNOPS: "mutual_code",
    RegimeCode.TADAMON: "rsu_score",
    RegimeCode.CHAMIL: "rsu_score",
}


@dataclass
class Refs:
    """Reference data a validation needs: regimes, mutuals, employers asked, rights rules."""

    regimes: set[str]
    mutuals: set[str]
    rules: dict[str, tuple[Rule, ...]]
    employers: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, employer_numbers: Iterable[str] = ()) -> Refs:
        refs = cls(
            regimes=set(session.scalars(select(Regime.code))),
            mutuals=set(session.scalars(select(Mutual.code))),
            rules=load_rules(session),
        )
        refs.add_employers(session, employer_numbers)
        return refs

    def add_employers(self, session: Session, numbers: Iterable[str]) -> None:
        wanted = sorted({n for n in numbers if n} - set(self.employers))
        for i in range(0, len(wanted), 5000):
            chunk = wanted[i : i + 5000]
            rows = session.execute(
                select(Employer.number, Employer.id).where(Employer.number.in_(chunk))
            )
            self.employers.update({number: eid for number, eid in rows})

    def rule(self, regime: str, on: date) -> Rule | None:
        return rule_on(self.rules, regime, on)


def clean_rib(rib: str | None) -> str | None:
    """Spaces are allowed in input (007 780 ...); an empty RIB means none."""
    if rib is None:
        return None
    return rib.replace(" ", "").strip() or None


def person_errors(
    *,
    cnie: str | None,
    birth_date: date,
    rib: str | None,
    today: date,
    cnie_required: bool,
    prefix: str = "",
) -> list[FieldError]:
    errors: list[FieldError] = []
    if cnie is None or not cnie.strip():
        if cnie_required:
            errors.append(FieldError(field=f"{prefix}cnie", reason="is required"))
    elif problem := cnie_problem(cnie):
        errors.append(FieldError(field=f"{prefix}cnie", reason=problem))
    if birth_date > today:
        errors.append(
            FieldError(field=f"{prefix}birth_date", reason=f"{birth_date} is in the future")
        )
    if rib is not None and (problem := rib_problem(rib)):
        errors.append(FieldError(field=f"{prefix}rib", reason=problem))
    return errors


def normalised_cnie(cnie: str | None) -> str | None:
    return normalise_cnie(cnie) if cnie and cnie.strip() else None


def rsu_value(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def affiliation_errors(
    refs: Refs,
    *,
    regime: str,
    valid_from: date,
    birth_date: date,
    employer_number: str | None,
    mutual_code: str | None,
    rsu_score: str | None,
    prefix: str = "",
) -> list[FieldError]:
    """Problems of an affiliation: unknown regime, missing or unknown employer/mutual/RSU."""
    errors: list[FieldError] = []

    def err(name: str, reason: str) -> None:
        errors.append(FieldError(field=f"{prefix}{name}", reason=reason))

    if regime not in refs.regimes:
        known = ", ".join(sorted(refs.regimes)) or "none loaded"
        err("regime", f"unknown regime {regime!r} (known: {known})")
        return errors
    needed = REQUIRED_BY_REGIME.get(regime)
    given = {"employer_number": employer_number, "mutual_code": mutual_code, "rsu_score": rsu_score}
    if needed and not given[needed]:
        err(needed, f"is required for {regime}")
    if employer_number and employer_number not in refs.employers:
        err("employer_number", f"unknown employer {employer_number}")
    if mutual_code and mutual_code not in refs.mutuals:
        known = ", ".join(sorted(refs.mutuals))
        err("mutual_code", f"unknown mutual {mutual_code!r} (known: {known})")
    if rsu_score:
        score = rsu_value(rsu_score)
        rule = refs.rule(regime, valid_from)
        if score is None:
            err("rsu_score", f"{rsu_score!r} is not a non-negative decimal number")
        elif rule is not None and rule.rsu_max is not None and score > Decimal(rule.rsu_max):
            err(
                "rsu_score",
                f"{rsu_score} is above the {regime} threshold {rule.rsu_max} "
                f"in force on {valid_from}",
            )
    if valid_from < birth_date:
        err("valid_from", f"{valid_from} is before the birth date {birth_date}")
    return errors


def dependent_age_error(
    *,
    relationship: str,
    birth_date: date,
    disabled: bool,
    on: date,
    rule: Rule | None,
    prefix: str = "",
) -> FieldError | None:
    """A child at or past the student age limit is linked only if disabled."""
    if relationship != Relationship.CHILD or disabled or rule is None:
        return None
    age = age_on(birth_date, on)
    if age >= rule.student_max_age:
        return FieldError(
            field=f"{prefix}birth_date",
            reason=f"a child aged {age} on {on} can be a dependent only if disabled "
            f"(limit {rule.student_max_age} otherwise)",
        )
    return None
