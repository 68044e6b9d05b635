"""Rows of an imported file checked by a Pydantic model: one error type, one reader.

Every import (drug list, ALD list, insured persons, contributions, keyed-in claims) reads
its file the same way:

1. ``csv_records`` yields each non-blank CSV record with the 1-based line it starts on (a
   quoted cell may run over several lines: the row is named by its first);
2. the importer checks the header and turns each record into ``{column: cell}`` with
   ``cells`` (every cell stripped, a column the file lacks an empty cell);
3. ``check_rows`` validates each mapping with the file's row model, a Pydantic model whose
   field types carry the cell rules (``daman.core.cells``), and gives back each row with
   its ``RowError``s.

A ``RowError`` is the line, the field (the column, or a path such as
``lines[0].charged_centimes`` in nested data, from Pydantic's error ``loc``), a sentence
for whoever fixes the file, and ``kind``: the error's stable type (Pydantic's own, or the
cell rule's: ``missing``, ``too_long``, ``bad_ean`` ...), which summaries count by.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

M = TypeVar("M", bound=BaseModel)

WHOLE_ROW = "row"  # the field of an error about the whole row (its number of cells ...)


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row of a file was refused: where (line, field) and why (reason, kind)."""

    line: int
    field: str
    reason: str
    kind: str = "invalid"


def field_of(loc: Sequence[int | str], whole: str = WHOLE_ROW) -> str:
    """A Pydantic error location as a person reads it: ``lines[0].charged_centimes``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or whole


def reason_of(error: ErrorDetails) -> str:
    """The sentence of a Pydantic error, without the prefix of a plain ValueError."""
    return error["msg"].removeprefix("Value error, ")


def row_errors(line: int, exc: ValidationError, *, whole: str = WHOLE_ROW) -> list[RowError]:
    """The errors of one refused row (or JSON line), each with its field and reason."""
    return [
        RowError(line, field_of(e["loc"], whole), reason_of(e), e["type"])
        for e in exc.errors(include_url=False, include_input=False)
    ]


def delimiter_of(first_line: str) -> str:
    """A semicolon when the header line has more semicolons than commas, else a comma."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def csv_records(lines: Iterable[str], *, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the 1-based line it starts on; blank records are skipped.

    ``lines`` is an open text file or ``io.StringIO``, both opened with ``newline=""`` so
    that a line break inside a quoted cell stays in the cell. ``csv.Error`` propagates.
    """
    reader = csv.reader(lines, delimiter=delimiter)
    previous = 0
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if any(cell.strip() for cell in record):
            yield start, record


def positions(header: Sequence[str], columns: Iterable[str]) -> dict[str, int | None]:
    """Where each column sits in the header (its first occurrence), None when absent."""
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        found.setdefault(name, i)
    return {c: found.get(c) for c in columns}


def cells(record: Sequence[str], where: Mapping[str, int | None]) -> dict[str, str]:
    """``{column: cell}`` of one record: stripped; an absent column or cell is empty."""
    width = len(record)
    return {
        name: record[i].strip() if i is not None and i < width else "" for name, i in where.items()
    }


@dataclass(slots=True)
class Checked(Generic[M]):
    """One row after its model: the row (None when refused, unless asked for its valid part)
    and its errors (none when accepted)."""

    line: int
    row: M | None
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_row(
    model: type[M], line: int, data: Mapping[str, Any], *, partial: bool = False
) -> Checked[M]:
    """Validate one row with its model; see ``check_rows``."""
    try:
        return Checked(line, model.model_validate(data), [])
    except ValidationError as exc:
        errors = row_errors(line, exc)
        return Checked(line, _valid_part(model, data, errors) if partial else None, errors)


def check_rows(
    model: type[M], rows: Iterable[tuple[int, Mapping[str, Any]]], *, partial: bool = False
) -> Iterator[Checked[M]]:
    """Validate each ``(line, {column: cell})`` with the row model.

    With ``partial``, a refused row also comes back as its valid part: the model validated
    without the refused cells, so that checks across rows (a key other rows refer to, a
    number that must not repeat) still see it. That needs a default for every field of the
    model (what a refused cell reads as).
    """
    for line, data in rows:
        yield check_row(model, line, data, partial=partial)


def _valid_part(model: type[M], data: Mapping[str, Any], errors: list[RowError]) -> M:
    refused = {e.field for e in errors}
    for _ in range(len(data) + 1):
        try:
            return model.model_validate({k: v for k, v in data.items() if k not in refused})
        except ValidationError as exc:  # a cell that depended on a refused one
            more = {field_of(e["loc"]) for e in exc.errors(include_url=False)}
            if more <= refused:
                break
            refused |= more
    return model.model_construct()
