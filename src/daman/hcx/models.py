"""HCX partners and exchange cycles.

A partner is provider software (or a clearing house acting for a provider) that an
administrator registered: its participant code, its public key (answers are encrypted to
it), its callback base URL and the provider whose API keys it calls with. A cycle is one
asynchronous call, from its receipt (answered 202 at once) to the callback the partner
acknowledged: every state is a column, so each cycle can be queried and a lost callback
is retried from the database, never lost and never sent again once acknowledged.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.db import Base, StringEnum, Tracked


class CycleStatus(StrEnum):
    ACCEPTED = "accepted"  # received and checked; the worker will process it
    ANSWERED = "answered"  # processed; the callback waits to be acknowledged
    DELIVERED = "delivered"  # the partner acknowledged the callback (2xx)


class HcxPartner(Tracked, Base):
    __tablename__ = "hcx_partners"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)  # participant code
    name: Mapped[str] = mapped_column(String(300))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    public_jwk: Mapped[str] = mapped_column(Text)  # RSA public key, JWK JSON
    callback_url: Mapped[str] = mapped_column(String(500))  # base of its on_* endpoints
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class HcxCycle(Base):
    __tablename__ = "hcx_cycles"
    __table_args__ = (Index("ix_hcx_cycles_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    api_call_id: Mapped[str] = mapped_column(String(64), unique=True)
    correlation_id: Mapped[str] = mapped_column(String(64), index=True)
    workflow_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))  # e.g. claim/submit
    partner_id: Mapped[int] = mapped_column(ForeignKey("hcx_partners.id"))
    status: Mapped[CycleStatus] = mapped_column(StringEnum(CycleStatus, 12))
    request: Mapped[str] = mapped_column(Text)  # the decrypted payload
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The answer: the callback's api_call_id, its x-hcx-status, the body posted.
    answer_api_call_id: Mapped[str | None] = mapped_column(String(64))
    answer_status: Mapped[str | None] = mapped_column(String(30))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Started by the fund (a CommunicationRequest to the partner): `request` is what it
    # sends, posted to the partner's endpoint of the same action; the partner answers on
    # the on_* action, a cycle of its own with the same correlation id.
    outbound: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
