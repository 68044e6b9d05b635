"""Who is calling, and may they: the identity of a request and the role rule of each route.

Every API route declares its rule with one dependency:

- ``who: Principal = Depends(allow(Role.AGENT, Role.CONTROLLER))``: signed-in callers with
  one of these roles; anyone else gets 403, a caller without a valid credential 401;
- ``dependencies=[PUBLIC]``: no identity needed (health, sign-in).

``tests/auth/test_route_matrix.py`` walks the app's route table and fails for a route with
neither, so a new route cannot ship without a rule. What a caller may see *within* a route
(their own family, their own care sheets) is decided in each domain's ``repository.py``
from the ``Principal``; objects out of scope are "not found", never "forbidden".

Credentials, in order: ``Authorization: Bearer <token>`` (a person's API token or a
provider's API key), else the ``daman_session`` cookie of a web sign-in. A cookie-borne
request that changes something must carry the session's CSRF token in ``X-CSRF-Token``
(pages put it in a hidden form field, checked by the page itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from daman.auth import tokens
from daman.auth.errors import CsrfRefused, Forbidden, NotAuthenticated
from daman.auth.models import AccessToken, ReadLog, Role, TokenKind, User
from daman.core.dates import aware, now
from daman.core.db import SESSION

SESSION_COOKIE = "daman_session"
CSRF_HEADER = "X-CSRF-Token"
STAFF = frozenset({Role.AGENT, Role.CONTROLLER, Role.ADMIN})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="a person's API token or a provider's key")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="web sign-in")


@dataclass(frozen=True)
class Principal:
    actor: str  # "<role>:<username>": in created_by, updated_by, status history, audit
    role: Role
    user_id: int | None = None
    username: str | None = None
    person_id: int | None = None  # role insured: the insured person
    provider_id: int | None = None  # role provider: the provider
    token_id: int | None = None
    via: str = "system"  # session, bearer, api_key, system
    # Passes every role rule and sees everything: for code acting on the fund's own behalf
    # (the test harness uses it to exercise domains without signing in). No credential ever
    # yields it.
    unrestricted: bool = False

    @property
    def is_staff(self) -> bool:
        return self.unrestricted or self.role in STAFF

    @classmethod
    def system(cls, actor: str) -> Principal:
        return cls(actor=actor, role=Role.ADMIN, unrestricted=True)

    def shown(self, actor: str) -> str:
        """An actor recorded on a row (status history, decision, upload) as this principal
        may see it: staff see who it was (``agent:amina``); an insured person or a provider
        sees its own actions as recorded and anyone else's as a role only (``agent``), so
        no username of the fund's staff leaves the fund."""
        if self.is_staff or actor == self.actor:
            return actor
        return actor.split(":", 1)[0]


def actor_of(user: User) -> str:
    """How a user's writes are signed: role and username, e.g. ``agent:amina``."""
    return f"{user.role}:{user.username}"


def principal_of(session: Session, row: AccessToken) -> Principal | None:
    """The identity a live token stands for, or None if its account is disabled."""
    via = row.kind.value
    if row.kind == TokenKind.API_KEY:
        provider = row.provider
        if provider is None:
            return None
        return Principal(
            actor=f"provider:{provider.inpe}/key{row.id}",
            role=Role.PROVIDER,
            provider_id=provider.id,
            token_id=row.id,
            via=via,
        )
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return Principal(
        actor=actor_of(user),
        role=user.role,
        user_id=user.id,
        username=user.username,
        person_id=user.person_id,
        provider_id=user.provider_id,
        token_id=row.id,
        via=via,
    )


@dataclass(frozen=True)
class _Resolved:
    """What a live token stands for (kept for seconds by daman.auth.tokens)."""

    who: Principal | None  # None: its account or provider is disabled
    session_token: bool  # a web session's token: accepted in the cookie only
    expires_at: datetime | None


def _resolve(session: Session, token: str) -> _Resolved | None:
    row = tokens.resolve(session, token)
    if row is None:
        return None
    resolved = _Resolved(principal_of(session, row), row.kind == TokenKind.SESSION, row.expires_at)
    if resolved.who is not None:
        tokens.keep(token, resolved)
    return resolved


# async: on the event loop, with no hop into the thread pool unless the token must be read
async def current_principal(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
    cookie: str | None = Depends(_cookie),
    session: Session = SESSION,
) -> Principal:
    token = bearer.credentials if bearer is not None else cookie
    if not token:
        raise NotAuthenticated("sign in, or send Authorization: Bearer <token>")
    resolved = tokens.kept(token)
    expires = resolved.expires_at if resolved is not None else None
    if expires is not None and aware(expires) <= now():
        resolved = None
    if resolved is None:
        resolved = await run_in_threadpool(_resolve, session, token)
    # a session token only in the cookie, any other only as a bearer
    if resolved is None or resolved.session_token != (bearer is None):
        raise NotAuthenticated("the credential is unknown, expired or revoked")
    who = resolved.who
    if who is None:
        raise NotAuthenticated("the account or provider of this credential is disabled")
    browser_write = bearer is None and request.method not in SAFE_METHODS
    if browser_write and not tokens.csrf_ok(token, request.headers.get(CSRF_HEADER)):
        raise CsrfRefused(f"a signed-in browser must send the {CSRF_HEADER} header")
    return who


class allow:  # lower case: read as a rule, Depends(allow(Role.AGENT))
    """The dependency of a route open to these roles (see the module's docstring)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    # async: a pure check, run on the event loop rather than handed to the thread pool.
    async def __call__(self, who: Principal = Depends(current_principal)) -> Principal:
        if not who.unrestricted and who.role not in self.roles:
            allowed = ", ".join(sorted(r.value for r in self.roles))
            raise Forbidden(f"role {who.role.value} may not do this (allowed: {allowed})")
        return who


async def _public() -> None:
    """Marks a route that needs no identity."""


PUBLIC = Depends(_public)
SIGNED_IN = tuple(Role)  # every role: allow(*SIGNED_IN)


def log_read(session: Session, who: Principal, what: str, key: str) -> None:
    """A member of staff read a person's medical data: one row, chained in the audit trail.
    The person's own reads and a provider's reads of what it sent are not logged."""
    if who.user_id is None or who.role not in STAFF:
        return
    session.add(ReadLog(at=now(), actor=who.actor, role=who.role.value, what=what, key=key))
