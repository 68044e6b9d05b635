"""Web sign-in: the sign-in page, the account page (password change) and sign-out.

A web session is an access token of kind ``session`` carried by the ``daman_session``
cookie: httpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure
outside development. Every form carries a CSRF token: before sign-in a random value also
set in a cookie (double submit), after sign-in the HMAC of the session
(``daman.auth.tokens.csrf_for``), which the API accepts in ``X-CSRF-Token`` too.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.accounts import service
from daman.accounts.endpoints import client_address, sign_in_throttle
from daman.auth import tokens
from daman.auth.access import SESSION_COOKIE, principal_of
from daman.auth.errors import AccountLocked, LoginRefused
from daman.auth.models import AccessToken, TokenKind, User
from daman.config import get_settings
from daman.core.db import SESSION
from daman.core.i18n import translations
from daman.providers.models import Provider
from daman.registry.models import Person
from daman.web.shell import SignInFirst, language, render, safe_next, session_row

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "daman_login_csrf"


def _lang(request: Request) -> str:
    return language(request)


def _render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    return render(request, template, context, status=status)


def _secure() -> bool:
    return get_settings().environment != "development"


_session_row = session_row


def _login_page(
    request: Request, error: str = "", username: str = "", status: int = 200, target: str = ""
) -> HTMLResponse:
    csrf = secrets.token_urlsafe(32)
    target = safe_next(target or request.query_params.get("next"))
    context = {"csrf": csrf, "error": error, "username": username, "next": target}
    response = _render(request, "login.html", context, status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_secure(), path="/"
    )
    return response


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login", response_model=None)
def login(
    request: Request,
    username: str = Form("", max_length=80),
    password: str = Form("", max_length=1000),
    csrf_token: str = Form("", max_length=100),
    next: str = Form("/", max_length=500),
    session: Session = SESSION,
) -> Response:
    _ = translations(_lang(request)).gettext
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not tokens.same(csrf_token, expected):
        return _login_page(request, _("The form expired: please try again."), username, 403, next)
    if (wait := sign_in_throttle(request).attempt(client_address(request))) is not None:
        message = _("Too many attempts from this address: wait a few minutes.")
        page = _login_page(request, message, username, 429, next)
        page.headers["Retry-After"] = str(int(wait) + 1)
        return page
    issued = service.sign_in(session, username, password, TokenKind.SESSION, "web")
    if isinstance(issued, LoginRefused):  # returned, so the failure count commits
        # one message and status for every refusal: nothing tells a locked or unknown
        # account from a wrong password
        return _login_page(request, _("Wrong username or password."), username, 401, next)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int(tokens.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


def _account_page(
    request: Request,
    session: Session,
    row: AccessToken,
    notice: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    user = session.get(User, row.user_id)
    assert user is not None
    linked = ""
    if user.person_id and (person := session.get(Person, user.person_id)):
        linked = person.immatriculation
    if user.provider_id and (provider := session.get(Provider, user.provider_id)):
        linked = f"{provider.name} (INPE {provider.inpe})"
    context = {
        "user": user,
        "linked": linked,
        "notice": notice,
        "error": error,
    }
    who = principal_of(session, row)
    return render(request, "account.html", context, who=who, session=session, status=status)


@router.get("/account", response_model=None)
def account(request: Request, session: Session = SESSION) -> Response:
    row = _session_row(request, session)
    if row is None or principal_of(session, row) is None:
        raise SignInFirst("/account")
    return _account_page(request, session, row)


@router.post("/account/password", response_model=None)
def change_password(
    request: Request,
    current_password: str = Form("", max_length=1000),
    new_password: str = Form("", max_length=1000),
    csrf_token: str = Form("", max_length=100),
    session: Session = SESSION,
) -> Response:
    _ = translations(_lang(request)).gettext
    row = _session_row(request, session)
    if row is None or (who := principal_of(session, row)) is None:
        return RedirectResponse("/login", status_code=303)
    if not tokens.csrf_ok(request.cookies.get(SESSION_COOKIE), csrf_token):
        message = _("The form expired: please try again.")
        return _account_page(request, session, row, error=message, status=403)
    user = session.get(User, row.user_id)
    assert user is not None
    refused = service.change_password(
        session, user, current_password, new_password, who.actor, row.id
    )
    if isinstance(refused, AccountLocked):  # returned, not raised: failure counts commit
        message = _("This account is locked for 15 minutes after repeated wrong passwords.")
        return _account_page(request, session, row, error=message, status=refused.status)
    if refused is not None:
        fields = [e.field for e in refused.detail] if isinstance(refused.detail, list) else []
        message = (
            _("The current password is not correct.")
            if "current_password" in fields
            else _(
                "The new password must have at least 12 characters and differ from the current one."
            )
        )
        return _account_page(request, session, row, error=message, status=400)
    notice = _("Password changed. Your other sessions were signed out.")
    return _account_page(request, session, row, notice=notice)


@router.post("/logout", response_model=None)
def logout(
    request: Request,
    csrf_token: str = Form("", max_length=100),
    session: Session = SESSION,
) -> Response:
    row = _session_row(request, session)
    if row is not None and tokens.csrf_ok(request.cookies.get(SESSION_COOKIE), csrf_token):
        who = principal_of(session, row)
        tokens.revoke(session, row, who.actor if who else "web")
    elif row is not None:
        message = translations(_lang(request)).gettext("The form expired: please try again.")
        return _account_page(request, session, row, error=message, status=403)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
