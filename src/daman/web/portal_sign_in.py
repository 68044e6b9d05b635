"""Sign-in with a phone number and a one-time code (insured persons).

``/login/code``: the mobile number the fund has for the person; a code is sent by SMS
(daman.accounts.codes) and the page asks for it; the right code opens a web session like
a password does (the same cookie, the same CSRF double submit before sign-in). The page
says the same whether or not the number belongs to an account. Attempts are counted per
client address with the password sign-in's throttle; the codes' own limits (lifetime,
single use, wrong codes, codes per number) are the service's. The SMS is handed to the
gateway once the request has committed (FastAPI runs it after the answer is sent), the code
given to it in memory only.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from daman.accounts import codes
from daman.accounts.endpoints import client_address, sign_in_throttle
from daman.auth import tokens
from daman.auth.access import SESSION_COOKIE
from daman.config import get_settings
from daman.core.db import SESSION
from daman.core.errors import ValidationFailed
from daman.core.i18n import N_, translations
from daman.notifications import sms
from daman.web.pages import LOGIN_CSRF_COOKIE
from daman.web.shell import language, render, safe_next

router = APIRouter(include_in_schema=False)

MESSAGES = {
    "phone": N_("Write your mobile number: 10 digits starting 05, 06 or 07, or +212."),
    "code": N_(
        "This code is wrong, expired or used already: type the last code received, or ask "
        "for a new one."
    ),
    "expired": N_("The form expired: please try again."),
    "throttled": N_("Too many attempts from this address: wait a few minutes."),
}


def _secure() -> bool:
    return get_settings().environment != "development"


def _page(
    request: Request,
    step: str,
    *,
    phone: str = "",
    target: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The phone step or the code step, with a fresh pre-sign-in CSRF token."""
    csrf = secrets.token_urlsafe(32)
    _ = translations(language(request)).gettext
    context: dict[str, Any] = {
        "csrf": csrf,
        "step": step,
        "phone": phone,
        "next": safe_next(target or request.query_params.get("next")),
        "errors": {error: _(MESSAGES[error])} if error in ("phone", "code") else {},
        "error": _(MESSAGES[error]) if error in ("expired", "throttled") else "",
        "minutes": int(codes.CODE_LIFETIME.total_seconds() // 60),
    }
    response = render(request, "portal/sign_in_code.html", context, status=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_secure(), path="/"
    )
    return response


def _form_ok(request: Request, sent: str) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(expected) and tokens.same(sent, expected)


def _throttled(request: Request, step: str, phone: str, target: str) -> HTMLResponse | None:
    wait = sign_in_throttle(request).attempt(client_address(request))
    if wait is None:
        return None
    page = _page(request, step, phone=phone, target=target, error="throttled", status=429)
    page.headers["Retry-After"] = str(int(wait) + 1)
    return page


@router.get("/login/code")
def phone_form(request: Request) -> HTMLResponse:
    return _page(request, "phone", phone=request.query_params.get("phone", "")[:30])


@router.post("/login/code", response_model=None)
def send_code(
    request: Request,
    background: BackgroundTasks,
    phone: str = Form("", max_length=30),
    csrf_token: str = Form("", max_length=100),
    next: str = Form("/", max_length=500),
    session: Session = SESSION,
) -> Response:
    if not _form_ok(request, csrf_token):
        return _page(request, "phone", phone=phone, target=next, error="expired", status=403)
    if (refused := _throttled(request, "phone", phone, next)) is not None:
        return refused
    try:
        sent = codes.send_code(session, phone, language(request))
    except ValidationFailed:
        return _page(request, "phone", phone=phone, target=next, error="phone", status=400)
    if sent is not None:  # after the commit: the code reaches the gateway in memory only
        background.add_task(
            sms.deliver, session.get_bind(), ids=[sent.sms_id], secrets={sent.sms_id: sent.code}
        )
    shown = sms.national(phone) or phone
    return _page(request, "code", phone=shown, target=next)


@router.post("/login/code/verify", response_model=None)
def verify_code(
    request: Request,
    phone: str = Form("", max_length=30),
    code: str = Form("", max_length=20),
    csrf_token: str = Form("", max_length=100),
    next: str = Form("/", max_length=500),
    session: Session = SESSION,
) -> Response:
    if not _form_ok(request, csrf_token):
        return _page(request, "code", phone=phone, target=next, error="expired", status=403)
    if (refused := _throttled(request, "code", phone, next)) is not None:
        return refused
    issued = codes.redeem(session, phone, code, label="web:code")
    if isinstance(issued, codes.CodeRefused):  # returned: the wrong code's count commits
        return _page(request, "code", phone=phone, target=next, error="code", status=401)
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
