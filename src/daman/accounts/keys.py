"""Providers' API keys: issued for a provider named by its INPE, listed by provider."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.auth.models import AccessToken, TokenKind
from daman.auth.tokens import Issued, issue
from daman.core.errors import FieldError, ValidationFailed
from daman.providers.models import Provider
from daman.providers.repository import by_inpe


def issue_api_key(session: Session, inpe: str, label: str, actor: str) -> Issued:
    provider = by_inpe(session, inpe)
    if provider is None:
        raise ValidationFailed([FieldError(field="provider", reason=f"no provider {inpe}")])
    if not label.strip():
        raise ValidationFailed(
            [FieldError(field="label", reason="name the software or site the key is for")]
        )
    return issue(session, TokenKind.API_KEY, actor, provider_id=provider.id, label=label.strip())


def api_keys(session: Session, inpe: str | None = None) -> list[tuple[AccessToken, str]]:
    stmt = (
        select(AccessToken, Provider.inpe)
        .join(Provider, Provider.id == AccessToken.provider_id)
        .where(AccessToken.kind == TokenKind.API_KEY.value)
        .order_by(AccessToken.id)
    )
    if inpe is not None:
        stmt = stmt.where(Provider.inpe == inpe)
    return [(row, code) for row, code in session.execute(stmt)]
