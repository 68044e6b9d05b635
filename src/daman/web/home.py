"""The home page and the language switch.

Someone not signed in lands on a page that says what Daman is and, on a demonstration
(development settings), how to sign in as each role; someone signed in goes to the first
page of their role's menu.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from daman.auth.access import Principal
from daman.auth.models import Role, User
from daman.core.db import SESSION
from daman.core.i18n import LANGUAGES, N_
from daman.web.shell import (
    FORM,
    LANG_COOKIE,
    NAV,
    ROLE_LABELS,
    development,
    page,
    render,
    safe_next,
    signed_in,
)

router = APIRouter(include_in_schema=False)

WHAT_EACH_DOES = {
    Role.ADMIN: N_("Reference data, users and roles, providers' API keys, the audit trail."),
    Role.AGENT: N_("Find a person, key in a paper care sheet, print its receipt."),
    Role.CONTROLLER: N_("Clear the review queue, answer pre-authorisations and exemptions."),
    Role.ANALYST: N_("Aggregate figures, with no names."),
    Role.INSURED: N_("Rights, care sheets and reimbursements of the family."),
    Role.PROVIDER: N_("Eligibility at the counter, care sheets, pre-authorisations."),
    Role.EMPLOYER: N_("Declare the month's wages, see the calls, payments and balance."),
}


# Where a role's day starts, when not at the first entry of its menu.
START = {Role.CONTROLLER: "/office/review"}


def start_page(who: Principal) -> str:
    first = next((item.href for item in NAV if who.role in item.roles), "/account")
    return START.get(who.role, first)


@router.get("/", response_model=None)
def home(request: Request, session: Session = SESSION) -> Response:
    who = signed_in(request, session)
    if who is not None:
        return RedirectResponse(start_page(who), status_code=303)
    demo = [
        (username, ROLE_LABELS[role], WHAT_EACH_DOES[role]) for username, role, _ in DEMO_ACCOUNTS
    ]
    context = {"demo": demo if development() else [], "demo_password": DEMO_PASSWORD}
    return render(request, "home.html", context)


ANY_ROLE = page(*Role)


@router.post("/language", response_model=None)
def choose_language(
    lang: str = Form(..., max_length=5),
    next: str = Form("/", max_length=500),
    who: Principal = Depends(ANY_ROLE),
    _: None = FORM,
    session: Session = SESSION,
) -> Response:
    """Remember the signed-in user's language on the account (and in a cookie)."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES and who.user_id is not None:
        user = session.get(User, who.user_id)
        if user is not None:
            user.language = lang
            user.updated_by = who.actor
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
