"""Use cases of the registry: register, change, link, record. Services only flush.

Every write records the actor in created_by/updated_by. Input that is well formed but
wrong (unknown regime, bad RIB key, a child of 30 ...) raises ValidationFailed naming each
field; a clash with what is recorded raises a Conflict with its own code.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from daman.auth.access import Principal, log_read
from daman.auth.models import ReadLog, Role
from daman.config import get_settings
from daman.core.dates import day_before, month_start, now, today
from daman.core.enums import AffiliationEndReason, LinkEndReason
from daman.core.errors import FieldError, ValidationFailed
from daman.core.i18n import DEFAULT
from daman.core.identifiers import allocate, ice_problem, immatriculation
from daman.core.pagination import Page
from daman.core.schemas import from_row
from daman.registry import repository as repo
from daman.registry.errors import (
    AlreadyDeceased,
    DuplicateCnie,
    DuplicateEmployer,
    EmployerNotFound,
    NoOpenAffiliation,
    PersonNotFound,
)
from daman.registry.models import (
    Affiliation,
    Contribution,
    Employer,
    Person,
)
from daman.registry.rights import check
from daman.registry.schemas import (
    AffiliationFields,
    AffiliationOut,
    ContributionOut,
    ContributionsIn,
    CounterEligibilityOut,
    DeathIn,
    EligibilityOut,
    EmployerIn,
    EmployerPatch,
    EndAffiliationIn,
    InsuredIn,
    InsuredOut,
    InsuredSummary,
    PersonFields,
    PersonOut,
    PersonPatch,
)
from daman.registry.validation import (
    Refs,
    affiliation_errors,
    clean_rib,
    normalised_cnie,
    person_errors,
)

# -- employers ---------------------------------------------------------------------------


def _ice_errors(ice: str | None) -> list[FieldError]:
    if ice is not None and (problem := ice_problem(ice)):
        return [FieldError(field="ice", reason=problem)]
    return []


def create_employer(session: Session, data: EmployerIn, actor: str) -> Employer:
    if errors := _ice_errors(data.ice):
        raise ValidationFailed(errors)
    if repo.employer_by_number(session, data.number):
        raise DuplicateEmployer(f"employer {data.number} is already registered")
    row = Employer(
        number=data.number,
        name=data.name,
        ice=data.ice,
        city=data.city,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def get_employer(session: Session, number: str) -> Employer:
    row = repo.employer_by_number(session, number)
    if row is None:
        raise EmployerNotFound(f"no employer {number}")
    return row


def update_employer(session: Session, number: str, patch: EmployerPatch, actor: str) -> Employer:
    row = get_employer(session, number)
    changes = patch.model_dump(exclude_unset=True)
    if errors := _ice_errors(changes.get("ice")):
        raise ValidationFailed(errors)
    for name, value in changes.items():
        if value is None and name != "ice":
            continue
        setattr(row, name, value)
    row.updated_by = actor
    session.flush()
    return row


def list_employers(session: Session, q: str | None, limit: int, offset: int) -> Page[Employer]:
    rows, total = repo.search_employers(session, q, limit, offset)
    return Page(items=rows, total=total, limit=limit, offset=offset)


# -- persons -----------------------------------------------------------------------------


def get_person(session: Session, number: str, who: Principal | None = None) -> Person:
    """The person, or PersonNotFound, also when ``who`` may not see them."""
    row = repo.person_by_immatriculation(session, number, who)
    if row is None:
        raise PersonNotFound(f"no person with immatriculation {number}")
    return row


def ensure_cnie_free(session: Session, cnie: str | None, field: str = "cnie") -> None:
    if cnie and (other := repo.person_by_cnie(session, cnie)):
        raise DuplicateCnie(
            [
                FieldError(
                    field=field,
                    reason=f"CNIE {cnie} is already registered to {other.immatriculation}",
                )
            ]
        )


def new_person(session: Session, data: PersonFields, actor: str) -> Person:
    n = allocate(session, "immatriculation")[0]
    row = Person(
        immatriculation=immatriculation(n),
        cnie=normalised_cnie(data.cnie),
        last_name=data.last_name,
        first_name=data.first_name,
        last_name_ar=data.last_name_ar or None,
        first_name_ar=data.first_name_ar or None,
        birth_date=data.birth_date,
        sex=data.sex,
        disabled=data.disabled,
        rib=clean_rib(data.rib),
        phone=data.phone or None,
        preferred_language=data.preferred_language,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent registration took the CNIE
        raise DuplicateCnie(f"CNIE {row.cnie} is already registered") from exc
    return row


def _new_affiliation(
    session: Session,
    person: Person,
    data: AffiliationFields,
    valid_from: date,
    refs: Refs,
    actor: str,
) -> Affiliation:
    row = Affiliation(
        person_id=person.id,
        regime_code=data.regime,
        employer_id=refs.employers.get(data.employer_number) if data.employer_number else None,
        mutual_code=data.mutual_code or None,
        rsu_score=data.rsu_score.strip() if data.rsu_score else None,
        valid_from=valid_from,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def register_insured(session: Session, data: InsuredIn, actor: str) -> Person:
    """A principal insured: a new person with an immatriculation, and their affiliation."""
    valid_from = data.valid_from or today()
    data = data.model_copy(update={"rib": clean_rib(data.rib)})
    refs = Refs.load(session, [data.employer_number] if data.employer_number else [])
    errors = person_errors(
        cnie=data.cnie, birth_date=data.birth_date, rib=data.rib, today=today(), cnie_required=True
    )
    errors += affiliation_errors(
        refs,
        regime=data.regime,
        valid_from=valid_from,
        birth_date=data.birth_date,
        employer_number=data.employer_number,
        mutual_code=data.mutual_code,
        rsu_score=data.rsu_score,
    )
    if errors:
        raise ValidationFailed(errors)
    ensure_cnie_free(session, normalised_cnie(data.cnie))
    person = new_person(session, data, actor)
    _new_affiliation(session, person, data, valid_from, refs, actor)
    return person


def update_person(session: Session, number: str, patch: PersonPatch, actor: str) -> Person:
    person = get_person(session, number)
    changes = patch.model_dump(exclude_unset=True)
    if "rib" in changes:
        changes["rib"] = clean_rib(changes["rib"])
    if "cnie" in changes:
        changes["cnie"] = normalised_cnie(changes["cnie"])
    errors = person_errors(
        cnie=changes.get("cnie", person.cnie),
        birth_date=changes.get("birth_date") or person.birth_date,
        rib=changes.get("rib", person.rib),
        today=today(),
        cnie_required=False,
    )
    required = ("last_name", "first_name", "birth_date", "sex", "disabled", "preferred_language")
    errors += [
        FieldError(field=k, reason="cannot be empty")
        for k in required
        if k in changes and changes[k] is None
    ]
    if errors:
        raise ValidationFailed(errors)
    if changes.get("cnie") and changes["cnie"] != person.cnie:
        ensure_cnie_free(session, changes["cnie"])
    for name, value in changes.items():
        setattr(person, name, value)
    person.updated_by = actor
    session.flush()
    return person


def person_out(person: Person, who: Principal | None = None) -> PersonOut:
    """The person as ``who`` may read them: the RIB only for finance staff and the person
    themselves (see `repository.sees_bank_details`), null for anyone else."""
    out = PersonOut.model_validate(person)
    if not repo.sees_bank_details(who, person_id=person.id):
        out.rib = None
    return out


def insured_out(session: Session, person: Person, who: Principal | None = None) -> InsuredOut:
    affiliations = [
        from_row(AffiliationOut, a, employer_number=number)
        for a, number in repo.affiliations_of(session, person.id)
    ]
    return from_row(
        InsuredOut,
        person_out(person, who),
        regime_code=affiliations[-1].regime_code if affiliations else None,
        affiliations=affiliations,
    )


def search_insured(
    session: Session, q: str | None, regime: str | None, limit: int, offset: int
) -> Page[InsuredSummary]:
    rows, total = repo.search_persons(session, q, regime, limit, offset)
    items = [from_row(InsuredSummary, p, regime_code=regime_code) for p, regime_code in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def find_persons(session: Session, q: str | None, limit: int = 20) -> list[InsuredSummary]:
    """At most ``limit`` persons for what was typed, the best first (see
    `repository.find_persons`): the answer as one types, with no count."""
    fields = [f for f in InsuredSummary.model_fields if f != "regime_code"]
    return [
        InsuredSummary.model_validate(
            {**{f: getattr(p, f) for f in fields}, "regime_code": regime_code}
        )
        for p, regime_code in repo.find_persons(session, q, limit)
    ]


# -- affiliations ------------------------------------------------------------------------


def end_affiliation(
    session: Session, number: str, data: EndAffiliationIn, actor: str
) -> Affiliation:
    """Conditions stop (job loss, retirement ...): the open affiliation ends on valid_to."""
    person = get_person(session, number)
    current = repo.open_affiliation(session, person.id, data.valid_to)
    if current is None:
        raise NoOpenAffiliation(f"{number} has no affiliation running on {data.valid_to}")
    if data.valid_to < current.valid_from:
        raise ValidationFailed.one(
            "valid_to", f"is before the affiliation start {current.valid_from}"
        )
    current.valid_to = data.valid_to
    current.end_reason = data.reason
    current.updated_by = actor
    session.flush()
    return current


def change_regime(session: Session, number: str, data: AffiliationFields, actor: str) -> Person:
    """A new affiliation from valid_from; the running one ends the day before."""
    person = get_person(session, number)
    valid_from = data.valid_from or today()
    refs = Refs.load(session, [data.employer_number] if data.employer_number else [])
    errors = affiliation_errors(
        refs,
        regime=data.regime,
        valid_from=valid_from,
        birth_date=person.birth_date,
        employer_number=data.employer_number,
        mutual_code=data.mutual_code,
        rsu_score=data.rsu_score,
    )
    if person.death_date is not None and valid_from > person.death_date:
        errors.append(
            FieldError(field="valid_from", reason=f"after the death on {person.death_date}")
        )
    current = repo.open_affiliation(session, person.id, valid_from)
    if current is not None and current.valid_from >= valid_from:
        errors.append(
            FieldError(
                field="valid_from",
                reason=f"must be after the current affiliation's start {current.valid_from}",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    if current is not None:
        current.valid_to = day_before(valid_from)
        current.end_reason = AffiliationEndReason.REGIME_CHANGE
        current.updated_by = actor
    _new_affiliation(session, person, data, valid_from, refs, actor)
    return person


def record_death(session: Session, number: str, data: DeathIn, actor: str) -> Person:
    """Death ends the person's affiliations and links; survivors keep rights by rule."""
    person = get_person(session, number)
    if person.death_date is not None:
        raise AlreadyDeceased(f"{number} is recorded as deceased on {person.death_date}")
    if data.death_date > today():
        raise ValidationFailed.one("death_date", f"{data.death_date} is in the future")
    if data.death_date < person.birth_date:
        raise ValidationFailed.one("death_date", f"is before the birth date {person.birth_date}")
    person.death_date = data.death_date
    person.updated_by = actor
    day = data.death_date
    current = repo.open_affiliation(session, person.id, day)
    if current is not None:
        current.valid_to, current.end_reason, current.updated_by = (
            day,
            AffiliationEndReason.DEATH,
            actor,
        )
    own = repo.open_link(session, person.id, day)
    if own is not None:
        own.valid_to, own.end_reason, own.updated_by = day, LinkEndReason.DEATH, actor
    for link in repo.open_links_as_principal(session, person.id, day):
        link.valid_to, link.end_reason, link.updated_by = (
            day,
            LinkEndReason.DEATH_OF_PRINCIPAL,
            actor,
        )
    session.flush()
    return person


# -- contributions -----------------------------------------------------------------------


def record_contributions(
    session: Session, number: str, data: ContributionsIn, actor: str
) -> list[ContributionOut]:
    """Months of declared days and payments; a month already recorded (same employer) is
    replaced. A month must fall within one of the person's affiliations."""
    person = get_person(session, number)
    affiliations = repo.affiliations_of(session, person.id)
    refs = Refs.load(session, [i.employer_number for i in data.items if i.employer_number])
    errors: list[FieldError] = []
    resolved: list[tuple[date, int | None]] = []
    for n, item in enumerate(data.items):
        month = month_start(item.month)
        running = [
            a
            for a, _ in affiliations
            if month_start(a.valid_from) <= month and (a.valid_to is None or month <= a.valid_to)
        ]
        employer_id = None
        if item.employer_number:
            employer_id = refs.employers.get(item.employer_number)
            if employer_id is None:
                errors.append(
                    FieldError(
                        field=f"items.{n}.employer_number",
                        reason=f"unknown employer {item.employer_number}",
                    )
                )
        elif running:
            employer_id = running[-1].employer_id
        if not running:
            errors.append(
                FieldError(
                    field=f"items.{n}.month",
                    reason=f"{month:%Y-%m} is outside every affiliation of {number}",
                )
            )
        resolved.append((month, employer_id))
    if errors:
        raise ValidationFailed(errors)
    for item, (month, employer_id) in zip(data.items, resolved, strict=True):
        row = repo.contribution_at(session, person.id, month, employer_id)
        if row is None:
            row = Contribution(
                person_id=person.id, employer_id=employer_id, month=month, created_by=actor
            )
            session.add(row)
        row.declared_days, row.amount_centimes, row.paid = (
            item.declared_days,
            item.amount_centimes,
            item.paid,
        )
        row.updated_by = actor
        session.flush()
    return contributions(session, number)


def contributions(
    session: Session, number: str, who: Principal | None = None
) -> list[ContributionOut]:
    person = get_person(session, number, who)
    return [
        from_row(ContributionOut, c, employer_number=employer)
        for c, employer in repo.contributions_of(session, person.id)
    ]


# -- eligibility -------------------------------------------------------------------------


def at_the_counter(who: Principal | None) -> bool:
    """A provider asking: it gets the counter's answer, within the counter's dates."""
    return who is not None and not who.unrestricted and who.role == Role.PROVIDER


def counter_dates(on: date, days: int) -> FieldError | None:
    """The dates a provider may ask about: today and the `days` before (the filing
    deadline: care older than that cannot be billed any more); never a future date."""
    day = today()
    if on > day:
        return FieldError(field="date", reason=f"{on} is in the future: ask on the day of care")
    if on < day - timedelta(days=days):
        return FieldError(
            field="date", reason=f"{on} is more than {days} days ago (the filing deadline)"
        )
    return None


def eligibility(
    session: Session, number: str, on: date, who: Principal | None = None, lang: str = DEFAULT
) -> EligibilityOut | CounterEligibilityOut:
    """Rights on a date. Staff and the insured family get the explanation (in `lang`); a
    provider the counter's answer (covered, regime, mutual, ALD codes in force) for a date
    of care within the filing deadline. Reads by staff and by providers are logged."""
    counter = at_the_counter(who)
    if counter and (problem := counter_dates(on, get_settings().provider_lookup_days)):
        raise ValidationFailed([problem])
    if who is not None and who.role == Role.INSURED:
        get_person(session, number, who)  # an insured person asks about their family only
    e = check(session, number, on)
    number = number.strip().upper()
    if who is not None:
        _log_lookup(session, who, f"{number}@{on.isoformat()}")
    if counter:
        person = repo.person_by_immatriculation(session, number)
        assert person is not None  # check() found them
        return CounterEligibilityOut(
            immatriculation=number,
            on=on,
            covered=e.covered,
            regime_code=e.regime_code if e.covered else None,
            mutual_code=e.mutual_code if e.covered else None,
            ald_codes=repo.ald_codes_on(session, person.id, on) if e.covered else [],
        )
    principal = (
        repo.immatriculations(session, [e.principal_id])[e.principal_id] if e.principal_id else None
    )
    return EligibilityOut(
        immatriculation=number,
        on=on,
        covered=e.covered,
        reason=e.reason,
        explanation=e.explanation.render(lang),
        regime_code=e.regime_code,
        as_dependent=e.as_dependent,
        principal_immatriculation=principal,
        mutual_code=e.mutual_code,
        rights_until=e.rights_until,
    )


def _log_lookup(session: Session, who: Principal, key: str) -> None:
    """A provider's look-up is logged like a staff read (a provider may ask about anyone,
    so every answer it got is on record); staff reads through `log_read`."""
    if at_the_counter(who):
        session.add(
            ReadLog(at=now(), actor=who.actor, role=who.role.value, what="eligibility", key=key)
        )
    else:
        log_read(session, who, "eligibility", key)
