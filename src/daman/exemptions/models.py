"""ALD/ALC exemptions granted to a patient for a disease over a period.

The request workflow (evidence, controller decision, renewals) builds on this table; the
registry reads it because a patient with an active exemption keeps rights.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.db import Base, Tracked


class AldExemption(Tracked, Base):
    __tablename__ = "ald_exemptions"
    __table_args__ = (Index("ix_ald_exemptions_person", "person_id", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    ald_code: Mapped[str] = mapped_column(ForeignKey("ald_diseases.code"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
