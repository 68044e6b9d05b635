"""Care providers identified by their INPE (opaque, unique, issued by ANAM)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from daman.core.db import Base, StringEnum, Tracked
from daman.core.enums import ProviderKind, Sector


class Provider(Tracked, Base):
    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    inpe: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[ProviderKind] = mapped_column(StringEnum(ProviderKind, 20))
    name: Mapped[str] = mapped_column(String(300))
    sector: Mapped[Sector] = mapped_column(StringEnum(Sector, 10))
    specialty: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(100), default="")
    rib: Mapped[str | None] = mapped_column(String(24))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
