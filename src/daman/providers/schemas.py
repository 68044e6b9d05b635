"""API shapes of care providers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from daman.core.enums import ProviderKind, Sector

Inpe = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class ProviderIn(BaseModel):
    inpe: Inpe = Field(description="INPE issued by ANAM: opaque, unique")
    kind: ProviderKind
    name: Name
    sector: Sector
    specialty: Short | None = None
    city: Short = ""
    rib: str | None = Field(None, description="24-digit bank account number, key checked")
    valid_from: date | None = Field(None, description="start of activity (default: today)")
    valid_to: date | None = None


class ProviderPatch(BaseModel):
    kind: ProviderKind | None = None
    name: Name | None = None
    sector: Sector | None = None
    specialty: Short | None = None
    city: Short | None = None
    rib: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class ProviderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    inpe: str
    kind: str
    name: str
    sector: str
    specialty: str | None
    city: str
    rib: str | None
    valid_from: date
    valid_to: date | None
