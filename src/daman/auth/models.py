"""User accounts: one per person or organisation that signs in, with one role."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.db import Base, Tracked


class Role(StrEnum):
    INSURED = "insured"  # an insured person: sees their own family's rights and claims
    PROVIDER = "provider"  # a doctor, pharmacy, lab, clinic: submits care sheets
    AGENT = "agent"  # fund staff: registry, intake, payments
    CONTROLLER = "controller"  # medical control: reviews, pre-authorisations, exemptions
    ADMIN = "admin"  # accounts and settings
    ANALYST = "analyst"  # read-only statistics


class User(Tracked, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))  # Role
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))  # role insured
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))  # role provider
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, PHC string format
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # since the last success
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
