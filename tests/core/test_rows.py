"""The shared reader of imported files (daman.core.rows) and its cell rules (daman.core.cells)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from daman.core import cells as cell
from daman.core.rows import (
    RowError,
    cells,
    check_row,
    check_rows,
    csv_records,
    delimiter_of,
    field_of,
    positions,
    row_errors,
)


class Sample(BaseModel):
    """A row model as an importer writes one: every field has a default (its partial view)."""

    name: Annotated[str | None, cell.text(5, required=True)] = None
    count: Annotated[int | None, cell.whole_number(0, 9)] = None
    amount_centimes: Annotated[int, Field(alias="amount"), cell.amount()] = 0
    when: Annotated[date | None, cell.iso_date()] = None
    after: Annotated[date | None, cell.iso_date()] = None

    @field_validator("after")
    @classmethod
    def _not_before(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("when")
        if value is not None and start is not None and value < start:
            raise cell.refuse("bad_order", f"{value} is before when")
        return value


COLUMNS = ("name", "count", "amount", "when", "after")
GOOD = {"name": st.text("abcé", min_size=1, max_size=5), "count": st.sampled_from("0123456789")}
BAD = {
    "name": st.sampled_from(["", "toolong"]),
    "count": st.sampled_from(["", "10", "-1", "x", "²", "1.5"]),
}


@st.composite
def rows(draw: st.DrawFn) -> tuple[dict[str, str], set[str]]:
    """A row's cells and the columns made bad on purpose."""
    bad = draw(st.sets(st.sampled_from(["name", "count"])))
    row = {c: draw(BAD[c] if c in bad else GOOD[c]) for c in ("name", "count")}
    # the amount is never empty: a row of empty cells is a blank line, not a row
    row |= {"amount": draw(st.sampled_from(["0", "12", "12.50"])), "when": "", "after": ""}
    return row, bad


@settings(deadline=None)  # a loaded machine must not fail it
@given(st.lists(rows(), max_size=30), st.integers(min_value=0, max_value=3))
def test_each_bad_cell_is_reported_with_its_line_field_and_reason(table, blank_lines):
    lines = [",".join(COLUMNS)] + [""] * blank_lines + [",".join(r.values()) for r, _ in table]
    records = csv_records(io.StringIO("\n".join(lines) + "\n", newline=""))
    _, header = next(records)
    where = positions(header, COLUMNS)
    checked = list(check_rows(Sample, ((n, cells(rec, where)) for n, rec in records)))
    assert [c.line for c in checked] == list(range(2 + blank_lines, 2 + blank_lines + len(table)))
    for c, (row, bad) in zip(checked, table, strict=True):
        assert c.ok == (not bad)
        assert {e.field for e in c.errors} == bad
        assert all(
            e.line == c.line and e.reason and "Value error" not in e.reason for e in c.errors
        )
        if c.ok:
            assert c.row is not None and c.row.name == row["name"]
            assert c.row.count == int(row["count"])
        else:
            assert c.row is None


@settings(deadline=None)
@given(st.lists(st.lists(st.text(max_size=8), min_size=1, max_size=4), max_size=12))
def test_records_keep_the_line_they_start_on(table):
    out = io.StringIO()
    writer = csv.writer(out)  # quotes a cell holding a line break, ends records with CRLF
    starts = []
    for record in table:
        starts.append(len(io.StringIO(out.getvalue(), newline="").readlines()) + 1)
        writer.writerow(record)
    got = list(csv_records(io.StringIO(out.getvalue(), newline="")))
    assert got == [
        (line, record)
        for line, record in zip(starts, table, strict=True)
        if any(c.strip() for c in record)
    ]


def test_the_reasons_are_sentences_and_kinds_are_stable():
    data = {"name": "", "count": "12", "amount": "1.234", "when": "2024-13-01", "after": ""}
    c = check_row(Sample, 7, data)
    assert [(e.line, e.field, e.reason, e.kind) for e in c.errors] == [
        (7, "name", "is required", "missing"),
        (7, "count", "'12' is not a whole number from 0 to 9", "bad_number"),
        (7, "amount", "more than two decimals: '1.234'", "bad_amount"),
        (7, "when", "'2024-13-01' is not a date YYYY-MM-DD", "bad_date"),
    ]
    assert check_row(Sample, 1, {"name": "x" * 6}).errors == [
        RowError(1, "name", "longer than 5 characters", "too_long")
    ]
    braces = cell.refuse("bad", "{value} {reason} kept as written")
    assert braces.message() == "{value} {reason} kept as written"


def test_a_refused_row_keeps_its_valid_part_when_asked():
    data = {
        "name": "Ali",
        "count": "x",
        "amount": "-3",
        "when": "2024-01-02",
        "after": "2024-01-01",
    }
    c = check_row(Sample, 3, data, partial=True)
    assert [e.field for e in c.errors] == ["count", "amount", "after"]
    assert c.row is not None
    assert (c.row.name, c.row.count, c.row.amount_centimes, c.row.when, c.row.after) == (
        "Ali",
        None,
        0,
        date(2024, 1, 2),
        None,
    )
    assert check_row(Sample, 3, data).row is None


def test_fields_of_nested_data_and_of_the_whole_row():
    class Line(BaseModel):
        charged: int

    class Claim(BaseModel):
        lines: list[Line]

    with pytest.raises(ValidationError) as refused:
        Claim.model_validate({"lines": [{"charged": 1}, {"charged": "x"}]})
    assert [(e.line, e.field, e.kind) for e in row_errors(2, refused.value)] == [
        (2, "lines[1].charged", "int_parsing")
    ]
    assert field_of(()) == "row" and field_of((), "line") == "line"


def test_cells_and_header_helpers():
    where = positions(["a", "b", "a"], ["a", "b", "c"])
    assert where == {"a": 0, "b": 1, "c": None}
    assert cells([" 1 ", "2"], where) == {"a": "1", "b": "2", "c": ""}
    assert cells(["1"], where) == {"a": "1", "b": "", "c": ""}
    assert delimiter_of("a;b;c,d\n") == ";" and delimiter_of("a,b;c\n") == ","


def test_yes_no_and_identifiers():
    class Flags(BaseModel):
        paid: Annotated[bool, cell.yes_no(True)] = True
        cnie: Annotated[str | None, cell.cnie()] = None
        rib: Annotated[str | None, cell.rib()] = None

    assert Flags.model_validate({"paid": "", "cnie": "be 123 456", "rib": ""}).model_dump() == {
        "paid": True,
        "cnie": "BE123456",
        "rib": None,
    }
    assert Flags.model_validate({"paid": "Non"}).paid is False
    errors = check_row(Flags, 4, {"paid": "Maybe", "cnie": "123", "rib": "0077 8000"}).errors
    assert [(e.field, e.kind) for e in errors] == [
        ("paid", "bad_yes_no"),
        ("cnie", "bad_cnie"),
        ("rib", "bad_rib"),
    ]
    assert errors[0].reason == "'maybe' is not yes/no"
    assert errors[2].reason == "must be exactly 24 digits"
