"""The agent's pages for a person: find one, then read their file.

``/office/persons`` finds a person by immatriculation, CNIE or any part of a name in either
script (accents and Arabic hamza and alef variants forgiven: the registry folds both sides,
daman.core.fold), with results as one types (HTMX asks for the results alone) and as a
plain form without JavaScript. With nothing typed, an agent sees the latest paper claims of
their own agency first. ``/office/persons/{immatriculation}`` is the file: identity, the
family with each member's rights today (reason and until when), contributions by month, ALD
exemptions, pre-authorisations and every claim. Every read goes through the services the
API uses, with the same role rules; staff reads are logged as the API logs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from daman.auth.access import Principal, log_read
from daman.auth.models import Role, User
from daman.claims import service as claims
from daman.claims.schemas import ClaimSummary
from daman.core.dates import today
from daman.core.db import SESSION
from daman.core.errors import NotFound
from daman.core.fold import fold
from daman.core.i18n import N_
from daman.core.text import western_digits
from daman.exemptions import repository as exemption_rows
from daman.exemptions import service as exemptions
from daman.preauth import repository as preauth_rows
from daman.preauth import service as preauths
from daman.reference.models import Agency
from daman.registry import dependents
from daman.registry import service as registry
from daman.registry.models import Person
from daman.registry.schemas import EligibilityOut, InsuredSummary
from daman.web.labels import label, rights_label
from daman.web.shell import language, nav_item, page, render

router = APIRouter(include_in_schema=False)

# The roles that read persons through the API (registry.endpoints.STAFF_READ).
READERS = page(Role.AGENT, Role.CONTROLLER)
nav_item("/office/persons", N_("Persons"), Role.AGENT, Role.CONTROLLER, rank=10)

RESULTS = 20  # persons shown for what was typed
SHORTEST = 2  # characters typed before names are searched
LISTED = 50  # claims, pre-authorisations ... shown on a person's page
MONTHS = 12  # months of contributions shown


def _context(**values: Any) -> dict[str, Any]:
    return {"label": label, "rights_label": rights_label, **values}


@dataclass(frozen=True)
class Found:
    persons: list[InsuredSummary]
    too_short: bool
    more: bool


def find(session: Session, q: str) -> Found:
    typed = western_digits(q).strip()
    if not typed:
        return Found([], False, False)
    if len(fold(typed).replace(" ", "")) < SHORTEST and not any(c.isdigit() for c in typed):
        return Found([], True, False)
    persons = registry.find_persons(session, typed, RESULTS + 1)
    return Found(persons[:RESULTS], False, len(persons) > RESULTS)


def agency_of(session: Session, who: Principal) -> Agency | None:
    """The agency the signed-in member of staff belongs to, if any (the paper care sheets'
    page records it on the sheets it saves)."""
    user = session.get(User, who.user_id) if who.user_id is not None else None
    return session.get(Agency, user.agency_code) if user and user.agency_code else None


@router.get("/office/persons", response_class=HTMLResponse)
def search(
    request: Request,
    q: str = Query("", max_length=200),
    who: Principal = Depends(READERS),
    session: Session = SESSION,
) -> HTMLResponse:
    found = find(session, q)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(
            request, "persons/_results.html", _context(q=q, found=found), who=who, session=session
        )
    agency = agency_of(session, who)
    recent: list[ClaimSummary] = []
    if agency is not None and not q.strip():
        recent = claims.at_agency(session, agency.code, 10, who)
    context = _context(q=q, found=found, agency=agency, recent=recent)
    return render(request, "persons/search.html", context, who=who, session=session)


@dataclass(frozen=True)
class Member:
    """A member of the family as the person's page shows them."""

    role: str  # principal, spouse, child
    immatriculation: str
    last_name: str
    first_name: str
    last_name_ar: str | None
    first_name_ar: str | None
    birth_date: Any
    link_from: Any
    link_to: Any
    rights: EligibilityOut


def family(session: Session, person: Person, who: Principal, lang: str) -> list[Member]:
    """The principal insured first, then each dependent (links that ended included, as
    staff see them), each with their rights today from the registry's rights check,
    explained in `lang`."""
    principal = dependents.principal_of(session, person) or person
    on = today()

    def member(p: Any, role: str, start: Any = None, end: Any = None) -> Member:
        rights = registry.eligibility(session, p.immatriculation, on, who, lang)
        assert isinstance(rights, EligibilityOut)  # staff get the explained answer
        return Member(
            role,
            p.immatriculation,
            p.last_name,
            p.first_name,
            p.last_name_ar,
            p.first_name_ar,
            p.birth_date,
            start,
            end,
            rights,
        )

    members = [member(principal, "principal")]
    for d in dependents.list_dependents(session, principal.immatriculation, who):
        members.append(member(d.person, d.relationship, d.valid_from, d.valid_to))
    return members


@router.get("/office/persons/{immatriculation}", response_class=HTMLResponse)
def person_page(
    request: Request,
    immatriculation: str,
    who: Principal = Depends(READERS),
    session: Session = SESSION,
) -> HTMLResponse:
    number = western_digits(immatriculation).strip().upper()
    try:
        person = registry.get_person(session, number, who)
    except NotFound:
        message = N_("No person has this immatriculation.")
        return render(request, "message.html", {"message": message}, who=who, status=404)
    log_read(session, who, "person", person.immatriculation)
    insured = registry.insured_out(session, person, who)
    months = registry.contributions(session, person.immatriculation, who)[-MONTHS:][::-1]
    granted, _ = exemption_rows.exemptions_page(
        session, who, person_id=person.id, limit=LISTED, offset=0
    )
    requests, _ = preauth_rows.page(
        session, who, status=None, patient_id=person.id, limit=LISTED, offset=0
    )
    found, total = claims.page(
        session, patient=person.immatriculation, status=None, limit=LISTED, offset=0, who=who
    )
    context = _context(
        person=insured,
        family=family(session, person, who, language(request, who, session)),
        months=months,
        exemptions=[exemptions.exemption_out(session, r, who=who) for r in granted],
        preauths=preauths.summaries(session, requests),
        claims=found,
        claims_total=total,
        today=today(),
    )
    return render(request, "persons/person.html", context, who=who, session=session)
