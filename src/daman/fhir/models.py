"""What provider software sent through FHIR: the identifier of each submitted Claim and
what it became (a care sheet or a pre-authorisation request). A Claim sent again with the
same identifier by the same submitter answers the same ClaimResponse."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.db import Base, StringEnum


class SubmissionKind(StrEnum):
    CLAIM = "claim"  # a care sheet (Claim.use = claim)
    PREAUTH = "preauth"  # a pre-authorisation request (Claim.use = preauthorization)


class FhirSubmission(Base):
    __tablename__ = "fhir_submissions"
    __table_args__ = (
        UniqueConstraint("submitter", "identifier", name="fhir_submitter_identifier"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    submitter: Mapped[str] = mapped_column(String(120))  # the actor: a key, a user
    identifier: Mapped[str] = mapped_column(String(300))  # Claim.identifier: system|value
    kind: Mapped[SubmissionKind] = mapped_column(StringEnum(SubmissionKind, 10))
    number: Mapped[str] = mapped_column(String(12), index=True)  # F... or PA...
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
