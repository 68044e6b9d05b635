"""HTTP endpoints of accounts: API tokens, the caller's identity, passwords, users, API keys."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from daman.accounts import keys, service
from daman.accounts.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    MeOut,
    NewApiKeyOut,
    PasswordChange,
    SignIn,
    TokenOut,
    UserIn,
    UserOut,
)
from daman.auth import tokens
from daman.auth.access import PUBLIC, SIGNED_IN, Principal, allow
from daman.auth.errors import (
    AccountLocked,
    LoginRefused,
    TokenNotFound,
    TooManyAttempts,
    UserNotFound,
)
from daman.auth.models import AccessToken, Role, TokenKind, User
from daman.auth.throttle import Throttle
from daman.config import get_settings
from daman.core.db import SESSION
from daman.core.errors import Conflict, ValidationFailed, error_responses
from daman.core.pagination import RowId
from daman.core.schemas import from_row
from daman.providers.models import Provider
from daman.registry.models import Person

router = APIRouter(tags=["accounts"])

ANYONE = allow(*SIGNED_IN)
ADMIN = allow(Role.ADMIN)  # accounts and API keys


def client_address(request: Request) -> str:
    """The caller's address: the connecting peer, or the client a trusted proxy names in
    X-Forwarded-For (DAMAN_TRUSTED_PROXIES; `daman serve` hands it to uvicorn, which
    ignores the header from any other peer)."""
    return request.client.host if request.client else "unknown"


def sign_in_throttle(request: Request) -> Throttle:
    """The app's sign-in throttle (one per app, made on first use)."""
    state = request.app.state
    if not hasattr(state, "sign_ins"):
        state.sign_ins = Throttle(limit=get_settings().sign_in_limit)
    throttle: Throttle = state.sign_ins
    return throttle


def refusal(refused: LoginRefused) -> JSONResponse:
    """One answer for an unknown user, a wrong password, a disabled and a locked account,
    so that a sign-in never reveals whether an account exists or is locked (the reason
    stays in `refused`, for the command line's operators)."""
    body = LoginRefused("wrong username or password").body()
    return JSONResponse(status_code=401, content=body)


def too_many_attempts(wait: float) -> JSONResponse:
    """429 with Retry-After: the seconds until this address may try again."""
    seconds = int(wait) + 1
    body = TooManyAttempts(f"too many sign-in attempts: wait {seconds} s").body()
    return JSONResponse(status_code=429, content=body, headers={"Retry-After": str(seconds)})


@router.post(
    "/auth/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenOut,
    dependencies=[PUBLIC],
    responses=error_responses(LoginRefused, TooManyAttempts),
)
def create_token(
    payload: SignIn, request: Request, session: Session = SESSION
) -> TokenOut | JSONResponse:
    """Sign in with a password and receive a bearer token (valid 12 hours, shown once)."""
    wait = sign_in_throttle(request).attempt(client_address(request))
    if wait is not None:
        return too_many_attempts(wait)
    issued = service.sign_in(
        session, payload.username, payload.password, TokenKind.BEARER, payload.label
    )
    if isinstance(issued, LoginRefused):
        return refusal(issued)
    user = session.get(User, issued.row.user_id)
    assert user is not None
    return TokenOut(
        token=issued.token,
        expires_at=issued.row.expires_at,
        username=user.username,
        role=user.role,
    )


@router.delete("/auth/tokens/current", status_code=status.HTTP_204_NO_CONTENT)
def revoke_current(session: Session = SESSION, who: Principal = Depends(ANYONE)) -> Response:
    """Sign out: the token (or API key, or web session) of this request stops working."""
    if who.token_id is not None and (row := session.get(AccessToken, who.token_id)):
        tokens.revoke(session, row, who.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", response_model=MeOut)
def me(session: Session = SESSION, who: Principal = Depends(ANYONE)) -> MeOut:
    """Who this credential stands for."""
    person = session.get(Person, who.person_id) if who.person_id else None
    provider = session.get(Provider, who.provider_id) if who.provider_id else None
    return MeOut(
        actor=who.actor,
        role=who.role,
        username=who.username,
        via=who.via,
        person=person.immatriculation if person else None,
        provider=provider.inpe if provider else None,
    )


@router.post(
    "/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(ValidationFailed, Conflict, AccountLocked),
)
def change_password(
    payload: PasswordChange,
    session: Session = SESSION,
    who: Principal = Depends(ANYONE),
) -> Response:
    """Change one's own password; other sessions and tokens of the account are revoked.
    A wrong current password counts towards the account's lockout, as at sign-in: the
    fifth in a row locks the account (423 here, and no sign-in) for 15 minutes."""
    user = session.get(User, who.user_id) if who.user_id else None
    if user is None:
        raise Conflict("an API key has no password", code="no_password")
    refused = service.change_password(
        session, user, payload.current_password, payload.new_password, who.actor, who.token_id
    )
    if refused is not None:  # returned, not raised: the failure count commits
        return JSONResponse(status_code=refused.status, content=refused.body())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- users (administrators) ----------------------------------------------------------------


def user_out(user: User, person: str | None, provider: str | None) -> UserOut:
    """The account, with the immatriculation and INPE it is linked to."""
    return from_row(UserOut, user, person=person, provider=provider)


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=error_responses(ValidationFailed, Conflict),
)
def create_user(
    payload: UserIn, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> UserOut:
    new = service.NewUser(
        payload.username,
        payload.role,
        payload.password,
        payload.full_name,
        payload.person,
        payload.provider,
    )
    user = service.create_user(session, new, who.actor)
    return user_out(user, payload.person, payload.provider)


@router.get("/users", response_model=list[UserOut])
def list_users(session: Session = SESSION, who: Principal = Depends(ADMIN)) -> list[UserOut]:
    return [user_out(u, imm, inpe) for u, imm, inpe in service.list_users(session)]


@router.post(
    "/users/{username}/disable", response_model=UserOut, responses=error_responses(UserNotFound)
)
def disable_user(
    username: str, session: Session = SESSION, who: Principal = Depends(ADMIN)
) -> UserOut:
    """The account can no longer sign in, and its sessions and tokens stop working."""
    user = service.disable_user(session, username, who.actor)
    links = {u.username: (imm, inpe) for u, imm, inpe in service.list_users(session)}
    return user_out(user, *links[user.username])


# -- API keys of providers' software (administrators) --------------------------------------


def key_out(row: AccessToken, inpe: str) -> ApiKeyOut:
    return from_row(ApiKeyOut, row, provider=inpe)


@router.post(
    "/providers/{inpe}/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=NewApiKeyOut,
    responses=error_responses(ValidationFailed),
)
def create_api_key(
    inpe: str,
    payload: ApiKeyIn,
    session: Session = SESSION,
    who: Principal = Depends(ADMIN),
) -> NewApiKeyOut:
    """A key for the provider's software: it acts as that provider only. Shown once."""
    issued = keys.issue_api_key(session, inpe, payload.label, who.actor)
    return from_row(NewApiKeyOut, issued.row, provider=inpe, key=issued.token)


@router.get("/api-keys", response_model=list[ApiKeyOut])
def list_api_keys(
    provider: str | None = None,
    session: Session = SESSION,
    who: Principal = Depends(ADMIN),
) -> list[ApiKeyOut]:
    """Every API key (or one provider's), without the keys themselves."""
    return [key_out(row, inpe) for row, inpe in keys.api_keys(session, provider)]


@router.post(
    "/api-keys/{key_id}/revoke",
    response_model=ApiKeyOut,
    responses=error_responses(TokenNotFound),
)
def revoke_api_key(
    key_id: RowId,
    session: Session = SESSION,
    who: Principal = Depends(ADMIN),
) -> ApiKeyOut:
    row = tokens.api_key(session, key_id)
    tokens.revoke(session, row, who.actor)
    provider = session.get(Provider, row.provider_id)
    return key_out(row, provider.inpe if provider else "")
