"""User accounts: one per person or organisation that signs in, with one role."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.core.db import Base, StringEnum, Tracked

if TYPE_CHECKING:  # the providers' table, named here only as the type of a relationship
    from daman.providers.models import Provider


class Role(StrEnum):
    INSURED = "insured"  # an insured person: sees their own family's rights and claims
    PROVIDER = "provider"  # a doctor, pharmacy, lab, clinic: submits care sheets
    AGENT = "agent"  # fund staff: registry, intake, payments
    CONTROLLER = "controller"  # medical control: reviews, pre-authorisations, exemptions
    ADMIN = "admin"  # accounts and settings
    ANALYST = "analyst"  # read-only statistics
    EMPLOYER = "employer"  # an employer: declares its employees, sees its calls and payments


class User(Tracked, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(StringEnum(Role, 20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))  # role insured
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))  # role provider
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, PHC string format
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # since the last success
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str | None] = mapped_column(String(2))  # ar, fr, en: the pages' language
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))  # an agent's


class TokenKind(StrEnum):
    SESSION = "session"  # a web sign-in, carried by an httpOnly cookie
    BEARER = "bearer"  # a person's API token (Authorization: Bearer ...)
    API_KEY = "api_key"  # a provider's software: scoped to that provider, no expiry


class AccessToken(Tracked, Base):
    """A credential handed out once and kept only as its SHA-256: a stolen table opens
    nothing. Tokens are 256-bit random, so a plain hash (no salt, no stretching) is enough."""

    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TokenKind] = mapped_column(StringEnum(TokenKind, 10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to recognise it
    label: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # an API key's provider, for the key's principal (``provider:<INPE>/key<id>``)
    provider: Mapped[Provider | None] = relationship("Provider", viewonly=True)


class ReadLog(Base):
    """A member of staff read a person's medical data (claims, documents, authorisations,
    exemptions, statements). Inserted through the ORM, so each row is also in the audit
    chain."""

    __tablename__ = "read_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(StringEnum(Role, 20))
    what: Mapped[str] = mapped_column(String(40))  # e.g. "claim", "document", "person"
    key: Mapped[str] = mapped_column(String(80))  # the object's business key
