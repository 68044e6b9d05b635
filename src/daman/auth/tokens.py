"""Credentials handed out once: web sessions, people's bearer tokens, providers' API keys.

A token is ``dm<kind letter>_`` + 43 URL-safe characters (256 random bits). Only its SHA-256
is stored; the clear token is returned once, to whoever asked for it, and never again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from daman.auth.errors import TokenNotFound
from daman.auth.models import AccessToken, TokenKind, User
from daman.config import get_settings
from daman.core.dates import aware, now

PREFIX = {TokenKind.SESSION: "dms_", TokenKind.BEARER: "dmt_", TokenKind.API_KEY: "dmk_"}
SESSION_LIFETIME = timedelta(hours=8)  # a working day at the desk
BEARER_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(hours=1)  # last_used_at is refreshed at most this often


@dataclass(frozen=True)
class Issued:
    token: str  # the clear token: shown once
    row: AccessToken


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session,
    kind: TokenKind,
    actor: str,
    *,
    user: User | None = None,
    provider_id: int | None = None,
    label: str = "",
    at: datetime | None = None,
) -> Issued:
    at = at or now()
    token = PREFIX[kind] + secrets.token_urlsafe(32)
    lifetime = {TokenKind.SESSION: SESSION_LIFETIME, TokenKind.BEARER: BEARER_LIFETIME}
    row = AccessToken(
        kind=kind.value,
        token_hash=digest(token),
        prefix=token[:12],
        label=label,
        user_id=user.id if user else None,
        provider_id=provider_id,
        expires_at=at + lifetime[kind] if kind in lifetime else None,
        created_by=actor,
        updated_by=actor,
    )
    session.add(row)
    session.flush()
    return Issued(token=token, row=row)


def resolve(session: Session, token: str, at: datetime | None = None) -> AccessToken | None:
    """The live token row for this clear token, or None (unknown, revoked or expired)."""
    if not token or len(token) > 200:
        return None
    # One round trip: the token with its user and provider, which land in the session's
    # identity map, so that resolving the principal asks nothing more of the database.
    found = session.execute(
        select(AccessToken, User)
        .outerjoin(User, User.id == AccessToken.user_id)
        .options(joinedload(AccessToken.provider))
        .where(AccessToken.token_hash == digest(token))
    ).one_or_none()
    row = found[0] if found is not None else None
    at = at or now()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and aware(row.expires_at) <= at:
        return None
    if row.last_used_at is None or aware(row.last_used_at) + TOUCH_EVERY <= at:
        row.last_used_at = at
    return row


def revoke(session: Session, row: AccessToken, actor: str) -> AccessToken:
    if row.revoked_at is None:
        row.revoked_at = now()
        row.updated_by = actor
        session.flush()
    forget(row.token_hash)
    return row


# -- who a token stands for, kept for seconds ---------------------------------------------
#
# What a live token resolved to (daman.auth.access: its principal, kind and expiry) is kept
# by each process for KEEP_SECONDS after it was read, so that a client sending request after
# request costs no look-up. A token revoked (an account disabled, a password changed, a
# key revoked) stops working at once in the process that revoked it and within
# KEEP_SECONDS in every other; an expired one at its expiry, everywhere.
KEEP_SECONDS = 5.0
_kept: dict[str, tuple[float, Any]] = {}  # sha256 of the token -> (monotonic deadline, what)


def kept(token: str) -> Any | None:
    """What `keep` kept for this token, if it is still to be trusted."""
    found = _kept.get(digest(token))
    if found is None or found[0] < monotonic():
        return None
    return found[1]


def keep(token: str, what: Any) -> None:
    if len(_kept) > 100_000:  # a flood of distinct tokens: start afresh
        _kept.clear()
    _kept[digest(token)] = (monotonic() + KEEP_SECONDS, what)


def forget(token_hash: str | None = None) -> None:
    """Trust a token (its SHA-256, as stored) again only once read again; all when None."""
    if token_hash is None:
        _kept.clear()
    else:
        _kept.pop(token_hash, None)


def api_key(session: Session, key_id: int) -> AccessToken:
    row = session.get(AccessToken, key_id)
    if row is None or row.kind != TokenKind.API_KEY.value:
        raise TokenNotFound(f"no API key {key_id}")
    return row


def revoke_all_of(session: Session, user: User, actor: str, keep: int | None = None) -> int:
    """Revoke every live session and bearer token of a user (after a password change or
    when the account is disabled), except ``keep``."""
    rows = session.scalars(
        select(AccessToken).where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None))
    ).all()
    count = 0
    for row in rows:
        if row.id != keep:
            revoke(session, row, actor)
            count += 1
    return count


def csrf_for(session_token: str) -> str:
    """The CSRF token of a web session: an HMAC of the session token under the app's secret,
    so nothing more is stored and a page can always recompute it."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def csrf_ok(session_token: str | None, sent: str | None) -> bool:
    """Whether ``sent`` is the CSRF token of this web session."""
    return bool(session_token and sent) and same(sent or "", csrf_for(session_token or ""))
