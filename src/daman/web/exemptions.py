"""The medical controller's exemption pages: ALD/ALC requests waiting for a decision, one
request with its evidence (documents viewed in the page), and the decision: grant for a
period (or for life) or refuse with the reason, through the same service as the API, which
notifies the requester."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from daman.auth.access import Principal, log_read
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.errors import DamanError
from daman.core.i18n import N_, translations
from daman.core.text import western_digits
from daman.documents import store
from daman.exemptions import repository as repo
from daman.exemptions import service
from daman.exemptions.models import RequestStatus
from daman.exemptions.schemas import AldAction, AldDecisionIn
from daman.web.labels import label
from daman.web.shell import FORM, inline_document, language, nav_item, page, refusals, render

router = APIRouter(include_in_schema=False)
CONTROL = page(Role.CONTROLLER)
READ = page(Role.CONTROLLER, Role.AGENT)
PER_PAGE = 25

nav_item("/office/exemptions", N_("ALD exemptions"), Role.CONTROLLER, Role.AGENT, rank=50)


@router.get("/office/exemptions")
def queue(
    request: Request,
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> Response:
    rows, total = repo.requests_page(
        session, who, status=RequestStatus.REQUESTED, person_id=None, limit=PER_PAGE, offset=offset
    )
    context = {
        "rows": service.summaries(session, rows),
        "total": total,
        "offset": offset,
        "per_page": PER_PAGE,
        "label": label,
    }
    return render(request, "control/exemption_queue.html", context, who=who, session=session)


def _request_page(
    request: Request,
    session: Session,
    who: Principal,
    number: str,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    row = repo.request_by_number(session, number, who)
    log_read(session, who, "ald_request", row.number)
    context = {
        "r": service.request_out(session, row, who),
        "errors": errors or {},
        "form": form or {},
        "label": label,
        "may_decide": who.role == Role.CONTROLLER,
    }
    return render(
        request, "control/exemption_request.html", context, who=who, session=session, status=status
    )


@router.get("/office/exemptions/{number}")
def one_request(
    request: Request, number: str, who: Principal = Depends(READ), session: Session = SESSION
) -> Response:
    return _request_page(request, session, who, number)


def _day(text: str) -> date | None:
    text = western_digits(text).strip()
    return date.fromisoformat(text) if text else None


@router.post("/office/exemptions/{number}")
def decide(
    request: Request,
    number: str,
    action: str = Form("", max_length=10),
    valid_from: str = Form("", max_length=10),
    valid_to: str = Form("", max_length=10),
    for_life: str = Form("", max_length=3),
    reason: str = Form("", max_length=2000),
    who: Principal = Depends(CONTROL),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    gettext = translations(language(request, who, session)).gettext
    form = {
        "action": action,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "for_life": for_life,
        "reason": reason,
    }
    errors: dict[str, str] = {}
    if action not in AldAction.__members__.values():
        errors["action"] = gettext("Choose to grant or to refuse.")
    days: dict[str, date | None] = {}
    for field, text in (("valid_from", valid_from), ("valid_to", valid_to)):
        try:
            days[field] = _day(text)
        except ValueError:
            errors[field] = gettext("Write the date as YYYY-MM-DD.")
    if not errors:
        try:
            decision = AldDecisionIn(
                action=AldAction(action),
                valid_from=days["valid_from"],
                valid_to=days["valid_to"],
                for_life=for_life == "yes",
                reason=reason,
            )
            with session.begin_nested():  # a refused decision leaves nothing behind
                service.decide(session, number, decision, who)
        except ValidationError as exc:
            for problem in exc.errors():
                where = str(problem["loc"][0]) if problem["loc"] else "action"
                errors[where] = str(problem["msg"])
        except DamanError as exc:
            errors = refusals(exc, tuple(form))
    if errors:
        return _request_page(request, session, who, number, errors, form, status=400)
    return RedirectResponse(f"/office/exemptions/{number}", status_code=303)


@router.get("/office/exemptions/{number}/documents/{document_id}")
def evidence(
    number: str,
    document_id: int,
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> Response:
    """A document of the request shown inside the page (framed by this site only)."""
    row = repo.request_by_number(session, number, who)
    doc, path = store.locate(row.documents, document_id, f"request {row.number}")
    log_read(session, who, "ald_document", f"{row.number}/{doc.id}")
    return inline_document(doc, path)
