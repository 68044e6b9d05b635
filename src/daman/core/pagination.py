"""Offset pagination shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel

T = TypeVar("T")
MAX_OFFSET = 1_000_000_000
MAX_ID = 2**31 - 1  # row ids are 32-bit integers: larger ones cannot exist

# A path parameter naming a row by its id: a positive 32-bit integer.
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="the row's id")]


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


def page_params(
    limit: int = Query(50, ge=1, le=200, description="items per page (1-200)"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="items to skip"),
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
