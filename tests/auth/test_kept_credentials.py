"""A credential is read once and trusted for seconds (daman.auth.tokens.KEEP_SECONDS): a
client sending request after request costs no look-up; a revoked one is refused at once in
the process that revoked it, an expired one at its expiry."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from daman.accounts import builders
from daman.accounts.builders import bearer
from daman.auth.models import Role

API = "/api/v1"


def statements_during(session: Session, call) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_credential_is_read_once_then_kept(anonymous, session):
    headers = bearer(session, builders.user(session, Role.AGENT))
    assert anonymous.get(f"{API}/auth/me", headers=headers).status_code == 200
    again = statements_during(
        session, lambda: anonymous.get(f"{API}/auth/me", headers=headers).raise_for_status()
    )
    assert not [s for s in again if "access_tokens" in s]


def test_a_revoked_credential_is_refused_at_once(anonymous, session):
    headers = bearer(session, builders.user(session, Role.AGENT))
    assert anonymous.get(f"{API}/auth/me", headers=headers).status_code == 200
    assert anonymous.delete(f"{API}/auth/tokens/current", headers=headers).status_code == 204
    assert anonymous.get(f"{API}/auth/me", headers=headers).status_code == 401
