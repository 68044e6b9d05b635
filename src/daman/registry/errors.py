"""Errors of the registry: each has a stable code rendered as {"error": code, "detail": ...}."""

from __future__ import annotations

from daman.core.errors import Conflict, DamanError, NotFound


class PersonNotFound(NotFound):
    code = "person_not_found"


class EmployerNotFound(NotFound):
    code = "employer_not_found"


class DuplicateCnie(Conflict):
    code = "duplicate_cnie"


class DuplicateEmployer(Conflict):
    code = "duplicate_employer"


class DependentAlreadyLinked(Conflict):
    """A dependent is attached to one principal at a time; `transfer` closes the old link."""

    code = "dependent_already_linked"


class NoOpenAffiliation(Conflict):
    code = "no_open_affiliation"


class NoOpenLink(Conflict):
    code = "no_open_link"


class AlreadyDeceased(Conflict):
    code = "already_deceased"


class DuplicateStudentProof(Conflict):
    code = "duplicate_student_proof"


class TooManyLookups(DamanError):
    """A provider asked for more rights look-ups than the limit allows (answered with a
    Retry-After header)."""

    code = "too_many_lookups"
    status = 429
