"""Signing a test client in to the pages, as the server's own sign-in would leave it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from daman.accounts import builders
from daman.auth import tokens
from daman.auth.access import SESSION_COOKIE
from daman.auth.models import Role, TokenKind, User


def sign_in(anonymous: TestClient, session: Session, who: Role | User) -> str:
    """The client signed in (its session cookie) as `who`, a user or a new user of that
    role; the CSRF token its forms carry."""
    user = builders.user(session, who) if isinstance(who, Role) else who
    token = tokens.issue(session, TokenKind.SESSION, "test", user=user).token
    anonymous.cookies.set(SESSION_COOKIE, token)
    return tokens.csrf_for(token)
