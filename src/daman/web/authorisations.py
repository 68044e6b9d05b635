"""The medical controller's pre-authorisation pages: the queue with the 48-hour clock live
(time left, paused while waiting for information, overdue), one request with its planned
care, estimate and documents, and the answer: agree (fully or partly, line by line), refuse,
or ask for information. The answer goes through the same service as the API's, which
notifies the requester.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from daman.auth.access import Principal
from daman.auth.models import Role
from daman.core.db import SESSION
from daman.core.errors import DamanError
from daman.core.i18n import N_, translations
from daman.core.text import western_digits
from daman.hcx import service as hcx
from daman.preauth import repository as repo
from daman.preauth import service
from daman.preauth.models import PreauthRequest
from daman.preauth.schemas import AgreedLineIn, PreauthAction, PreauthDecisionIn
from daman.web.labels import label
from daman.web.shell import FIELDS, FORM, language, nav_item, page, refusals, render

router = APIRouter(include_in_schema=False)
CONTROL = page(Role.CONTROLLER)
READ = page(Role.CONTROLLER, Role.AGENT)
PER_PAGE = 25

nav_item(
    "/office/preauthorisations", N_("Pre-authorisations"), Role.CONTROLLER, Role.AGENT, rank=40
)

ACTIONS = {
    PreauthAction.AGREE: N_("Agree to everything asked"),
    PreauthAction.AGREE_PARTLY: N_("Agree in part (units line by line)"),
    PreauthAction.REFUSE: N_("Refuse"),
    PreauthAction.ASK_INFORMATION: N_("Ask for information (the clock pauses)"),
}


def hours_minutes(seconds: int) -> str:
    """7385 -> '2 h 03'; negative (overdue) keeps its sign."""
    sign = "-" if seconds < 0 else ""
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60} h {minutes % 60:02d}"


@router.get("/office/preauthorisations")
def queue(
    request: Request,
    offset: int = Query(0, ge=0, le=1_000_000),
    who: Principal = Depends(READ),
    session: Session = SESSION,
) -> Response:
    rows, total = service.queue(session, include_paused=True, limit=PER_PAGE, offset=offset)
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "per_page": PER_PAGE,
        "hours_minutes": hours_minutes,
        "label": label,
    }
    return render(request, "control/preauth_queue.html", context, who=who, session=session)


def _request_page(
    request: Request,
    session: Session,
    who: Principal,
    number: str,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = language(request, who, session)
    row = repo.by_number(session, number, who)
    out = service.preauth_out(session, row, lang, who)
    context = {
        "p": out,
        "actions": ACTIONS,
        "errors": errors or {},
        "form": form or {},
        "hours_minutes": hours_minutes,
        "may_decide": who.role == Role.CONTROLLER,
        "label": label,
    }
    return render(
        request, "control/preauth_request.html", context, who=who, session=session, status=status
    )


def _ask_partners(session: Session, row: PreauthRequest, question: str) -> None:
    """The question also goes to the requesting provider's exchange partner, if it has an
    active one (HCX), about the request and named by the row of its history that records
    it; the partner's answer on communication/on_request is the request's answer."""
    session.refresh(row, ["events"])
    key = f"{row.number}/{row.events[-1].id}"
    hcx.ask_partners(
        session, row.number, row.patient.immatriculation, {row.provider_id}, question, key
    )


@router.get("/office/preauthorisations/{number}")
def one_request(
    request: Request, number: str, who: Principal = Depends(READ), session: Session = SESSION
) -> Response:
    return _request_page(request, session, who, number)


@router.post("/office/preauthorisations/{number}")
def answer(
    request: Request,
    number: str,
    action: str = Form("", max_length=20),
    valid_to: str = Form("", max_length=10),
    reason: str = Form("", max_length=5000),
    who: Principal = Depends(CONTROL),
    _: None = FORM,
    values: dict[str, str] = FIELDS,
    session: Session = SESSION,
) -> Response:
    gettext = translations(language(request, who, session)).gettext
    errors: dict[str, str] = {}
    if action not in PreauthAction.__members__.values():
        errors["action"] = gettext("Choose an answer.")
    until: date | None = None
    if valid_to.strip():
        try:
            until = date.fromisoformat(western_digits(valid_to).strip())
        except ValueError:
            errors["valid_to"] = gettext("Write the date as YYYY-MM-DD.")
    lines: list[AgreedLineIn] = []
    if action == PreauthAction.AGREE_PARTLY:
        for key, value in values.items():
            if key.startswith("units_") and value.strip():
                digits = western_digits(value).strip()
                if not digits.isdigit():
                    errors[key] = gettext("Write a whole number of units.")
                    continue
                lines.append(AgreedLineIn(line_no=int(key[6:]), quantity=int(digits)))
    if not errors:
        try:
            decision = PreauthDecisionIn(
                action=PreauthAction(action), valid_to=until, lines=lines, reason=reason
            )
            with session.begin_nested():  # a refused answer leaves nothing behind
                row = service.decide(session, number, decision, who)
                if decision.action == PreauthAction.ASK_INFORMATION:
                    _ask_partners(session, row, decision.reason.strip())
        except ValidationError as exc:
            for problem in exc.errors():
                where = str(problem["loc"][0]) if problem["loc"] else "action"
                errors[where] = str(problem["msg"])
        except DamanError as exc:
            errors = refusals(exc, ("valid_to", "reason"))
    if errors:
        return _request_page(request, session, who, number, errors, values, status=400)
    return RedirectResponse(f"/office/preauthorisations/{number}", status_code=303)
