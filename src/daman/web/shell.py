"""What every page shares: rendering in the reader's language, who is signed in, the role
rule of a page, CSRF on every form.

A page declares its rule like an API route does (``who: Principal = Depends(page(Role.AGENT))``),
through the same principal as the API (the ``daman_session`` cookie of a web sign-in), and
calls the same services, so a page can never do what the API refuses. Someone not signed in
is sent to the sign-in page and back; a role outside the rule gets a 403 page. A form that
changes something carries ``csrf_token`` (or HTMX sends ``X-CSRF-Token``): checked by the
``FORM`` dependency before the page's code runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session

from daman.auth import tokens
from daman.auth.access import CSRF_HEADER, SESSION_COOKIE, Principal, principal_of
from daman.auth.models import AccessToken, Role, TokenKind, User
from daman.config import get_settings
from daman.core.db import SESSION
from daman.core.enums import CATEGORY_LABELS
from daman.core.errors import DamanError
from daman.core.i18n import N_, RTL, negotiate, translations
from daman.core.money import format_mad
from daman.documents import store

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
LANG_COOKIE = "daman_lang"
LANGUAGES = (("ar", "العربية"), ("fr", "Français"), ("en", "English"))


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str  # a message id of the catalogue
    roles: frozenset[Role]
    rank: int  # place in the menu, smallest first; a role starts at its first entry


# The menu: each entry shown to the roles that may open it (the page checks again).
NAV: list[NavItem] = []


def nav_item(href: str, label: str, *roles: Role, rank: int) -> None:
    """Add an entry to the menu (each page module adds its own)."""
    NAV.append(NavItem(href, label, frozenset(roles), rank))
    NAV.sort(key=lambda item: item.rank)


ROLE_LABELS = {
    Role.INSURED: N_("Insured person"),
    Role.PROVIDER: N_("Care provider"),
    Role.AGENT: N_("Fund agent"),
    Role.CONTROLLER: N_("Medical controller"),
    Role.ADMIN: N_("Administrator"),
    Role.ANALYST: N_("Analyst"),
    Role.EMPLOYER: N_("Employer"),
}


def language(request: Request, who: Principal | None = None, session: Session | None = None) -> str:
    """?lang=, else the signed-in user's choice, else the remembered cookie, else the browser."""
    saved = None
    if who is not None and who.user_id is not None and session is not None:
        user = session.get(User, who.user_id)
        saved = user.language if user is not None else None
    return negotiate(
        request.query_params.get("lang"),
        saved,
        request.cookies.get(LANG_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def session_row(request: Request, session: Session) -> AccessToken | None:
    token = request.cookies.get(SESSION_COOKIE)
    row = tokens.resolve(session, token) if token else None
    return row if row is not None and row.kind == TokenKind.SESSION else None


def signed_in(request: Request, session: Session) -> Principal | None:
    row = session_row(request, session)
    return principal_of(session, row) if row is not None else None


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    who: Principal | None = None,
    session: Session | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = language(request, who, session)
    gettext = translations(lang).gettext
    cookie = request.cookies.get(SESSION_COOKIE, "")
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "rtl": lang in RTL,
            "languages": LANGUAGES,
            "_": gettext,
            "who": who,
            "role_label": gettext(ROLE_LABELS[who.role]) if who else "",
            "nav": [n for n in NAV if who is not None and who.role in n.roles],
            "csrf": tokens.csrf_for(cookie) if who is not None and cookie else "",
            "path": request.url.path,
            "category_labels": CATEGORY_LABELS,
            **context,
        },
        status_code=status,
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


class SignInFirst(Exception):
    def __init__(self, target: str) -> None:
        self.target = target


class PageForbidden(Exception):
    pass


class FormExpired(Exception):
    pass


class page:  # lower case: read as a rule, Depends(page(Role.AGENT))
    """The dependency of a page open to these roles (see the module's docstring)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, request: Request, session: Session = SESSION) -> Principal:
        who = signed_in(request, session)
        if who is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInFirst(target)
        if who.role not in self.roles:
            raise PageForbidden()
        return who


async def _form_csrf(request: Request) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not tokens.csrf_ok(cookie, sent):
        raise FormExpired()


# A page that changes something: a parameter ``_: None = FORM`` after its role rule (so
# that someone not signed in is sent to sign in rather than told the form expired).
FORM = Depends(_form_csrf)


async def _form_fields(request: Request) -> dict[str, str]:
    """Every text field of the posted form, for a page whose fields are not known in
    advance (one per line of a request): read here, so that the page itself stays a plain
    function run off the event loop, its database work included."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FIELDS = Depends(_form_fields)


def safe_next(target: str | None) -> str:
    """A place to go back to after signing in: a path of this site, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def install(app: FastAPI) -> None:
    """The answers of the page rules, and the filters the templates use."""

    @app.exception_handler(SignInFirst)
    async def _sign_in_first(request: Request, exc: SignInFirst) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.target, safe='')}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return _message_page(request, "This page is not open to your role.", 403)

    @app.exception_handler(FormExpired)
    async def _expired(request: Request, exc: FormExpired) -> Response:
        return _message_page(request, "The form expired: please try again.", 403)

    templates.env.filters["mad"] = mad
    templates.env.filters["bdi"] = bdi


def _message_page(request: Request, message: str, status: int) -> HTMLResponse:
    return render(request, "message.html", {"message": message}, status=status)


def mad(centimes: int | None) -> str:
    """12345 -> '123.45 MAD' (digits 0-9 in every language)."""
    return "" if centimes is None else f"{format_mad(centimes)} MAD"


def bdi(value: object) -> Markup:
    """A name, number or phone isolated from the text around it (right-to-left safe)."""
    return Markup("<bdi>{}</bdi>").format(value)


def development() -> bool:
    return get_settings().environment == "development"


def first_of(values: Sequence[str]) -> str:
    return values[0] if values else ""


def refusals(exc: DamanError, fields: Sequence[str] = ()) -> dict[str, str]:
    """A service's refusal as a form's errors: each named field's reason under its field
    (``lines[0].quantity`` under ``lines``), anything else under ``action``, the form's
    first fieldset."""
    found = exc.detail if isinstance(exc.detail, list) else []
    errors: dict[str, str] = {}
    for refusal in found:
        field = refusal.field.split(".")[0].split("[")[0]
        errors[field if not fields or field in fields else "action"] = refusal.reason
    return errors or {"action": str(exc.detail)}


# A stored document shown inside a page (a PDF viewer or an image), framed by this site only.
INLINE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def inline_document(doc: Any, path: Path) -> FileResponse:
    return FileResponse(
        path,
        media_type=doc.content_type,
        filename=store.download_name(doc.filename, doc.content_type),
        content_disposition_type="inline",
        headers={"content-security-policy": INLINE_CSP, "x-frame-options": "SAMEORIGIN"},
    )
