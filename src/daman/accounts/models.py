"""Sign-in codes: a one-time code sent by SMS to an insured person's phone (accounts.codes).

Only an HMAC of the code is kept (keyed with the app's secret and a salt of its own): a
stolen table gives no code, and six digits cannot be tried offline without the secret.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.dates import now
from daman.core.db import Base


class SignInCode(Base):
    __tablename__ = "sign_in_codes"
    __table_args__ = (
        Index("ix_sign_in_codes_user", "user_id", "created_at"),
        Index("ix_sign_in_codes_phone", "phone", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    phone: Mapped[str] = mapped_column(String(20))  # where it was sent, +212...
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 hex, never the code
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # single use
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    sms_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbox.id"))
