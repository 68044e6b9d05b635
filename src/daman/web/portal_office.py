"""The fund's side of a person's thread: an agent reads the messages an insured person sent
from the portal and answers (the person is told by SMS), beside the decisions the person
opened in the portal and when (daman.portal)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.auth.access import Principal, log_read
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.errors import NotFound, ValidationFailed
from daman.core.i18n import N_, translations
from daman.core.text import western_digits
from daman.portal import service as portal
from daman.registry import service as registry
from daman.registry.models import Person
from daman.web.labels import label
from daman.web.shell import FORM, language, page, render

router = APIRouter(include_in_schema=False)
STAFF = page(Role.AGENT, Role.CONTROLLER)  # who reads a person's file (persons.READERS)
READS_SHOWN = 20


def _person(session: Session, number: str, who: Principal) -> Person:
    return registry.get_person(session, western_digits(number).strip().upper(), who)


def _page(
    request: Request,
    session: Session,
    who: Principal,
    person: Person,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    log_read(session, who, "portal_messages", person.immatriculation)
    context: dict[str, Any] = {
        "person": person,
        "thread": portal.read_thread(session, person, who),
        "reads": portal.decisions_read(session, person, READS_SHOWN),
        "form": form or {},
        "errors": errors or {},
        "max_length": portal.MAX_MESSAGE,
        "label": label,
        "done": request.query_params.get("done") == "answered",
    }
    return render(
        request, "portal/office_messages.html", context, who=who, session=session, status=status
    )


def _unknown(request: Request, who: Principal, session: Session) -> HTMLResponse:
    message = N_("No person has this immatriculation.")
    return render(
        request, "message.html", {"message": message}, who=who, session=session, status=404
    )


@router.get("/office/persons/{immatriculation}/messages", response_class=HTMLResponse)
def thread_page(
    request: Request,
    immatriculation: str,
    who: Principal = Depends(STAFF),
    session: Session = SESSION,
) -> HTMLResponse:
    try:
        person = _person(session, immatriculation, who)
    except NotFound:
        return _unknown(request, who, session)
    return _page(request, session, who, person)


@router.post("/office/persons/{immatriculation}/messages", response_model=None)
def answer(
    request: Request,
    immatriculation: str,
    body: str = Form("", max_length=10_000),
    who: Principal = Depends(STAFF),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    try:
        person = _person(session, immatriculation, who)
    except NotFound:
        return _unknown(request, who, session)
    try:
        portal.post_message(session, person, body, who)
    except ValidationFailed:
        gettext = translations(language(request, who, session)).gettext
        message = gettext("Write the answer: at most %(n)s characters, plain text.") % {
            "n": portal.MAX_MESSAGE
        }
        return _page(
            request, session, who, person, form={"body": body}, errors={"body": message}, status=400
        )
    url = f"/office/persons/{person.immatriculation}/messages?done=answered"
    return RedirectResponse(url, status_code=303)
