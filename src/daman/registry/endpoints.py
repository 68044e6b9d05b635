"""HTTP endpoints of the registry: insured persons, dependents, employers, eligibility."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow
from daman.auth.models import Role
from daman.auth.throttle import Throttle
from daman.config import get_settings
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.errors import Conflict, ErrorBody, NotFound, ValidationFailed, error_responses
from daman.core.i18n import negotiate
from daman.core.pagination import Page, PageParams, page_params
from daman.registry import dependents, service
from daman.registry.errors import TooManyLookups
from daman.registry.schemas import (
    AffiliationOut,
    ContributionOut,
    ContributionsIn,
    CounterEligibilityOut,
    DeathIn,
    DependentIn,
    DependentOut,
    EligibilityOut,
    EmployerIn,
    EmployerOut,
    EmployerPatch,
    EndAffiliationIn,
    EndLinkIn,
    InsuredIn,
    InsuredOut,
    InsuredSummary,
    NewAffiliationIn,
    PersonOut,
    PersonPatch,
    StudentProofIn,
    StudentProofOut,
)

router = APIRouter(tags=["registry"])
WRITE = error_responses(ValidationFailed, NotFound, Conflict)
READ = error_responses(NotFound)

DESK = allow(Role.AGENT)  # the fund's agents keep the registry
STAFF_READ = allow(Role.AGENT, Role.CONTROLLER)
FAMILY_READ = allow(Role.INSURED, Role.AGENT, Role.CONTROLLER)  # an insured: own family only
# A provider checks the rights of the patient at the counter.
ELIGIBILITY = allow(Role.INSURED, Role.PROVIDER, Role.AGENT, Role.CONTROLLER)


# -- insured -----------------------------------------------------------------------------


@router.post("/insured", status_code=201, responses=WRITE)
def register_insured(
    data: InsuredIn, session: Session = SESSION, who: Principal = Depends(DESK)
) -> InsuredOut:
    """Register a principal insured (person and affiliation); Daman issues the immatriculation."""
    person = service.register_insured(session, data, who.actor)
    return service.insured_out(session, person, who)


@router.get("/insured")
def search_insured(
    q: str | None = Query(
        None, description="words of the name (Latin or Arabic), CNIE or immatriculation"
    ),
    regime: str | None = Query(None, description="regime of the latest affiliation"),
    page: PageParams = Depends(page_params),
    session: Session = SESSION,
    who: Principal = Depends(STAFF_READ),
) -> Page[InsuredSummary]:
    return service.search_insured(session, q, regime, page.limit, page.offset)


@router.get("/insured/{immatriculation}", responses=READ)
def get_insured(
    immatriculation: str,
    session: Session = SESSION,
    who: Principal = Depends(FAMILY_READ),
) -> InsuredOut:
    return service.insured_out(session, service.get_person(session, immatriculation, who), who)


@router.patch("/insured/{immatriculation}", responses=WRITE)
def update_insured(
    immatriculation: str,
    patch: PersonPatch,
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> InsuredOut:
    person = service.update_person(session, immatriculation, patch, who.actor)
    return service.insured_out(session, person, who)


@router.post("/insured/{immatriculation}/end-affiliation", responses=WRITE)
def end_affiliation(
    immatriculation: str,
    data: EndAffiliationIn,
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> AffiliationOut:
    """Conditions stop (job loss, retirement ...): rights are then maintained by rule."""
    a = service.end_affiliation(session, immatriculation, data, who.actor)
    return next(x for x in service.insured_out(session, a.person, who).affiliations if x.id == a.id)


@router.post("/insured/{immatriculation}/affiliations", status_code=201, responses=WRITE)
def change_regime(
    immatriculation: str,
    data: NewAffiliationIn,
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> InsuredOut:
    """A new affiliation (regime change); the running one ends the day before."""
    person = service.change_regime(session, immatriculation, data, who.actor)
    return service.insured_out(session, person, who)


@router.post("/insured/{immatriculation}/dependents", status_code=201, responses=WRITE)
def add_dependent(
    immatriculation: str,
    data: DependentIn,
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> DependentOut:
    """Create and link a dependent, or link an existing person (`transfer` to move them)."""
    link, person = dependents.add_dependent(session, immatriculation, data, who.actor)
    return dependents.dependent_out(link, person, immatriculation.strip().upper(), who)


@router.get("/insured/{immatriculation}/dependents", responses=READ)
def list_dependents(
    immatriculation: str,
    session: Session = SESSION,
    who: Principal = Depends(FAMILY_READ),
) -> list[DependentOut]:
    return dependents.list_dependents(session, immatriculation, who)


@router.post("/insured/{immatriculation}/contributions", responses=WRITE)
def record_contributions(
    immatriculation: str,
    data: ContributionsIn,
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> list[ContributionOut]:
    """Months of declared days (salaried) or paid contributions; returns all months."""
    return service.record_contributions(session, immatriculation, data, who.actor)


@router.get("/insured/{immatriculation}/contributions", responses=READ)
def list_contributions(
    immatriculation: str,
    session: Session = SESSION,
    who: Principal = Depends(FAMILY_READ),
) -> list[ContributionOut]:
    return service.contributions(session, immatriculation, who)


# -- persons and dependents --------------------------------------------------------------


@router.post("/persons/{immatriculation}/death", responses=WRITE)
def record_death(
    immatriculation: str,
    data: DeathIn,
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> PersonOut:
    person = service.record_death(session, immatriculation, data, who.actor)
    return service.person_out(person, who)


@router.post("/persons/{immatriculation}/student-proofs", status_code=201, responses=WRITE)
def add_student_proof(
    immatriculation: str,
    data: StudentProofIn,
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> StudentProofOut:
    return StudentProofOut.model_validate(
        dependents.add_student_proof(session, immatriculation, data, who.actor)
    )


@router.get("/persons/{immatriculation}/student-proofs", responses=READ)
def list_student_proofs(
    immatriculation: str,
    session: Session = SESSION,
    who: Principal = Depends(FAMILY_READ),
) -> list[StudentProofOut]:
    return [
        StudentProofOut.model_validate(p)
        for p in dependents.student_proofs(session, immatriculation, who)
    ]


@router.post("/dependents/{immatriculation}/end-link", responses=WRITE)
def end_link(
    immatriculation: str,
    data: EndLinkIn,
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> DependentOut:
    return dependents.end_link(session, immatriculation, data, who.actor, who)


# -- employers ---------------------------------------------------------------------------


@router.post("/employers", status_code=201, responses=WRITE)
def create_employer(
    data: EmployerIn, session: Session = SESSION, who: Principal = Depends(DESK)
) -> EmployerOut:
    return EmployerOut.model_validate(service.create_employer(session, data, who.actor))


@router.get("/employers")
def list_employers(
    q: str | None = Query(None, description="words of the name, number or city"),
    page: PageParams = Depends(page_params),
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> Page[EmployerOut]:
    found = service.list_employers(session, q, page.limit, page.offset)
    return Page(
        items=[EmployerOut.model_validate(e) for e in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/employers/{number}", responses=READ)
def get_employer(
    number: str, session: Session = SESSION, who: Principal = Depends(DESK)
) -> EmployerOut:
    return EmployerOut.model_validate(service.get_employer(session, number))


@router.patch("/employers/{number}", responses=WRITE)
def update_employer(
    number: str,
    patch: EmployerPatch,
    session: Session = SESSION,
    who: Principal = Depends(DESK),
) -> EmployerOut:
    return EmployerOut.model_validate(service.update_employer(session, number, patch, who.actor))


# -- eligibility -------------------------------------------------------------------------


def lookup_throttle(request: Request) -> Throttle:
    """The app's limit on providers' rights look-ups (one per app, made on first use)."""
    state = request.app.state
    if not hasattr(state, "provider_lookups"):
        state.provider_lookups = Throttle(limit=get_settings().provider_lookup_limit, window=60)
    throttle: Throttle = state.provider_lookups
    return throttle


THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": f"{TooManyLookups.code}: a provider asked too often; retry later",
        "headers": {
            "Retry-After": {
                "description": "seconds to wait before the next look-up",
                "schema": {"type": "integer"},
            }
        },
    }
}


@router.get(
    "/eligibility",
    response_model=EligibilityOut | CounterEligibilityOut,
    responses={**error_responses(ValidationFailed, NotFound), **THROTTLED},
)
def eligibility(
    request: Request,
    person: str = Query(description="immatriculation of the person"),
    on: date | None = Query(None, alias="date", description="date of care (default: today)"),
    accept_language: str | None = Header(
        default=None, description="ar, fr or en: the language of the explanation (default fr)"
    ),
    session: Session = SESSION,
    who: Principal = Depends(ELIGIBILITY),
) -> EligibilityOut | CounterEligibilityOut | JSONResponse:
    """Whether the person is covered on the date.

    Staff and the insured family get `EligibilityOut`: a reason code and the explanation
    (in the language of `Accept-Language`).
    A provider gets `CounterEligibilityOut`: covered or not, regime, mutual and ALD codes
    in force; for a date of care from `DAMAN_PROVIDER_LOOKUP_DAYS` (60) days ago to today
    (400 naming `date` otherwise), at most `DAMAN_PROVIDER_LOOKUP_LIMIT` (30) look-ups a
    minute (429 with Retry-After), each one logged."""
    if service.at_the_counter(who):
        wait = lookup_throttle(request).attempt(f"provider:{who.provider_id}")
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            refused = TooManyLookups(f"too many rights look-ups: wait {seconds} s")
            return JSONResponse(
                status_code=refused.status,
                content=refused.body(),
                headers={"Retry-After": str(seconds)},
            )
    lang = negotiate(accept_language=accept_language)
    return service.eligibility(session, person, on or today(), who, lang)
