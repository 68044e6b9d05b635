"""API shapes of the aggregate reports."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class StatusFigures(BaseModel):
    status: str
    claims: int
    charged_centimes: int
    amo_centimes: int
    complementary_centimes: int
    patient_centimes: int


class CategoryFigures(BaseModel):
    category: str
    lines: int
    charged_centimes: int
    amo_centimes: int


class ClaimFigures(BaseModel):
    date_from: date
    date_to: date
    agency: str | None = None  # the agency's code when the figures are of one agency
    claims: int
    by_status: list[StatusFigures]
    by_category: list[CategoryFigures]
