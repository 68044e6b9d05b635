"""API shapes read from table rows.

A schema whose fields are the row's columns reads the row itself: ``model_config =
ConfigDict(from_attributes=True)`` and ``Schema.model_validate(row)``. ``from_row`` does
the same for a shape of which a few fields are not the row's own (a label looked up, a
status as shown, a name masked for the reader): those are given apart, the rest is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class _Given:
    """The row's attributes, except those given."""

    def __init__(self, row: object, given: Mapping[str, Any]) -> None:
        self._row, self._given = row, given

    def __getattr__(self, name: str) -> Any:
        return self._given[name] if name in self._given else getattr(self._row, name)


def from_row(schema: type[M], row: object, **given: Any) -> M:
    """`schema` read from `row`'s attributes of the same names, the fields in `given` taken
    from there instead (a field neither has keeps its default)."""
    return schema.model_validate(_Given(row, given), from_attributes=True)
