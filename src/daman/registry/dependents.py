"""Use cases of dependents: link (create or attach), transfer, end a link, student proofs.

A dependent is attached to one principal at a time: linking a person whose link is still
running is refused (dependent_already_linked) unless `transfer` is asked, which closes the
old link the day before the new one starts. Services only flush.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.core.dates import day_before, today
from daman.core.enums import LinkEndReason
from daman.core.errors import FieldError, ValidationFailed
from daman.core.schemas import from_row
from daman.registry import repository as repo
from daman.registry.errors import (
    DependentAlreadyLinked,
    DuplicateStudentProof,
    NoOpenLink,
)
from daman.registry.models import DependentLink, Person, StudentProof
from daman.registry.schemas import (
    DependentIn,
    DependentOut,
    EndLinkIn,
    StudentProofIn,
)
from daman.registry.service import ensure_cnie_free, get_person, new_person, person_out
from daman.registry.validation import (
    Refs,
    clean_rib,
    dependent_age_error,
    normalised_cnie,
    person_errors,
)


def add_dependent(
    session: Session, principal_number: str, data: DependentIn, actor: str
) -> tuple[DependentLink, Person]:
    """Create a dependent person and link it, or link an existing one by immatriculation."""
    principal = get_person(session, principal_number)
    valid_from = data.valid_from or today()
    if (data.immatriculation is None) == (data.person is None):
        raise ValidationFailed.one("person", "give either immatriculation or person, not both")
    if not repo.has_affiliation(session, principal.id):
        raise ValidationFailed.one(
            "principal", f"{principal_number} has no affiliation", code="not_a_principal"
        )
    if principal.death_date is not None:
        raise ValidationFailed.one(
            "principal", f"{principal_number} died on {principal.death_date}"
        )
    if data.person is not None:
        prefix, birth, disabled = "person.", data.person.birth_date, data.person.disabled
        errors = person_errors(
            cnie=data.person.cnie,
            birth_date=birth,
            rib=clean_rib(data.person.rib),
            today=today(),
            cnie_required=False,
            prefix=prefix,
        )
        existing = None
    else:
        assert data.immatriculation is not None
        existing = repo.person_by_immatriculation(session, data.immatriculation)
        if existing is None:
            raise ValidationFailed.one(
                "immatriculation", f"no person with immatriculation {data.immatriculation}"
            )
        if existing.id == principal.id:
            raise ValidationFailed.one("immatriculation", "a person cannot depend on themselves")
        prefix, birth, disabled, errors = "", existing.birth_date, existing.disabled, []
        if existing.death_date is not None:
            errors.append(
                FieldError(field="immatriculation", reason=f"died on {existing.death_date}")
            )
    if valid_from < birth:
        errors.append(FieldError(field="valid_from", reason=f"is before the birth date {birth}"))
    current = repo.open_affiliation(session, principal.id, valid_from)
    refs = Refs.load(session)
    rule = refs.rule(current.regime_code, valid_from) if current else None
    age_error = dependent_age_error(
        relationship=data.relationship,
        birth_date=birth,
        disabled=disabled,
        on=valid_from,
        rule=rule,
        prefix=prefix,
    )
    if age_error:
        errors.append(age_error)
    if errors:
        raise ValidationFailed(errors)
    if existing is None:
        assert data.person is not None
        ensure_cnie_free(session, normalised_cnie(data.person.cnie), "person.cnie")
        dependent = new_person(session, data.person, actor)
    else:
        dependent = existing
        _close_open_link(session, dependent, principal, valid_from, data.transfer, actor)
    link = DependentLink(
        dependent_id=dependent.id,
        principal_id=principal.id,
        relationship_=data.relationship,
        valid_from=valid_from,
        created_by=actor,
        updated_by=actor,
    )
    session.add(link)
    session.flush()
    return link, dependent


def _close_open_link(
    session: Session,
    dependent: Person,
    principal: Person,
    valid_from: date,
    transfer: bool,
    actor: str,
) -> None:
    link = repo.open_link(session, dependent.id, valid_from)
    if link is None:
        return
    holder = repo.immatriculations(session, [link.principal_id])[link.principal_id]
    if link.principal_id == principal.id:
        raise DependentAlreadyLinked(
            f"{dependent.immatriculation} is already a dependent of {holder}"
        )
    if not transfer:
        raise DependentAlreadyLinked(
            f"{dependent.immatriculation} is a dependent of {holder} since {link.valid_from}; "
            "end that link or ask for a transfer"
        )
    if link.valid_from >= valid_from:
        raise ValidationFailed.one(
            "valid_from", f"must be after the current link's start {link.valid_from}"
        )
    link.valid_to, link.end_reason, link.updated_by = (
        day_before(valid_from),
        LinkEndReason.TRANSFER,
        actor,
    )


def dependent_out(
    link: DependentLink, person: Person, principal_number: str, who: Principal | None = None
) -> DependentOut:
    return from_row(
        DependentOut,
        link,
        person=person_out(person, who),
        principal_immatriculation=principal_number,
        relationship=link.relationship_,
    )


def list_dependents(
    session: Session, principal_number: str, who: Principal | None = None
) -> list[DependentOut]:
    """Staff see every link, past ones included; an insured person the links in force
    today (a former spouse is no longer family)."""
    principal = get_person(session, principal_number, who)
    return [
        dependent_out(link, p, principal.immatriculation, who)
        for link, p in repo.dependents_of(session, principal.id, who)
    ]


def principal_of(session: Session, person: Person) -> Person | None:
    """The principal insured a dependent is linked to today (None for someone who is no
    one's dependent today)."""
    link = repo.open_link(session, person.id, today())
    if link is None or link.valid_from > today():
        return None
    return session.get(Person, link.principal_id)


def end_link(
    session: Session,
    dependent_number: str,
    data: EndLinkIn,
    actor: str,
    who: Principal | None = None,
) -> DependentOut:
    """End a dependent's link (divorce, ...): the divorce keeps rights for a period by rule."""
    person = get_person(session, dependent_number)
    link = repo.open_link(session, person.id, data.valid_to)
    if link is None:
        raise NoOpenLink(f"{dependent_number} has no dependent link running on {data.valid_to}")
    if data.valid_to < link.valid_from:
        raise ValidationFailed.one("valid_to", f"is before the link start {link.valid_from}")
    link.valid_to, link.end_reason, link.updated_by = data.valid_to, data.reason, actor
    session.flush()
    principal = repo.immatriculations(session, [link.principal_id])[link.principal_id]
    return dependent_out(link, person, principal, who)


def add_student_proof(
    session: Session, number: str, data: StudentProofIn, actor: str
) -> StudentProof:
    person = get_person(session, number)
    if data.valid_to < data.valid_from:
        raise ValidationFailed.one("valid_to", f"is before valid_from {data.valid_from}")
    if repo.student_proof_at(session, person.id, data.valid_from):
        raise DuplicateStudentProof(f"{number} already has a student proof from {data.valid_from}")
    row = StudentProof(
        person_id=person.id,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        institution=data.institution,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def student_proofs(
    session: Session, number: str, who: Principal | None = None
) -> list[StudentProof]:
    return repo.student_proofs_of(session, get_person(session, number, who).id)
