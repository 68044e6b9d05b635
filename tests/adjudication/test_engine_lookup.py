"""Effective-dated lookups: both ways of resolving agree with a plain reading of the rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from daman.adjudication.rules_lookup import Lookup, resolve

from .engine_builders import D

DAYS = [D(2020, 1, 1), D(2020, 1, 10), D(2020, 1, 20), D(2020, 2, 1)]
KEYS = ["a", "a", "b", None]
WILD = [None, None, "x", "y"]
TABLE = {
    "k": pl.String,
    "w1": pl.String,
    "w2": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
    "v": pl.Int64,
}
LINES = {"k": pl.String, "w1": pl.String, "w2": pl.String, "care_date": pl.Date}

rows = st.fixed_dictionaries(
    {
        "k": st.sampled_from(KEYS),
        "w1": st.sampled_from(WILD),
        "w2": st.sampled_from(WILD),
        "valid_from": st.sampled_from([None, *DAYS]),
        "valid_to": st.sampled_from([None, *DAYS]),
        "v": st.integers(0, 3),
    }
)
lines = st.fixed_dictionaries(
    {
        "k": st.sampled_from(KEYS),
        "w1": st.sampled_from(WILD),
        "w2": st.sampled_from(WILD),
        "care_date": st.sampled_from([None, D(2019, 12, 31), *DAYS, D(2020, 1, 15)]),
    }
)


def expected(line: dict[str, Any], table: list[dict[str, Any]]) -> int | None:
    """The rule read literally: exact key equal, wildcards equal or null, in force; the
    most specific (w1 first, then w2), then the latest valid_from, then the smallest value."""
    day = line["care_date"]
    if day is None or line["k"] is None:
        return None
    matching = [
        r
        for r in table
        if r["k"] == line["k"]
        and (r["valid_from"] is None or r["valid_from"] <= day)
        and (r["valid_to"] is None or day <= r["valid_to"])
        and r["w1"] in (None, line["w1"])
        and r["w2"] in (None, line["w2"])
    ]
    if not matching:
        return None
    best = min(
        matching,
        key=lambda r: (
            r["w1"] is None,
            r["w2"] is None,
            -(r["valid_from"] or date.min).toordinal(),
            r["v"],
        ),
    )
    return best["v"]


@settings(max_examples=80, deadline=None)
@given(st.lists(rows, min_size=2, max_size=12), st.lists(lines, min_size=1, max_size=12))
def test_lookups_pick_the_most_specific_row_in_force(
    table: list[dict[str, Any]], wanted: list[dict[str, Any]]
) -> None:
    lookup = Lookup(
        pl.DataFrame(table, schema=TABLE), exact=["k"], wild=["w1", "w2"], values={"v": "out"}
    )
    frame = pl.DataFrame(wanted, schema=LINES)
    truth = [expected(line, table) for line in wanted]
    for row_wise in (True, False):
        found = resolve(frame, [[lookup]], row_wise=row_wise)
        assert found.columns == [*LINES, "out"]
        assert found.get_column("out").to_list() == truth


@settings(max_examples=80, deadline=None)
@given(st.lists(rows, min_size=2, max_size=12), st.lists(lines, min_size=1, max_size=12))
def test_lookups_without_wildcards_agree_both_ways(
    table: list[dict[str, Any]], wanted: list[dict[str, Any]]
) -> None:
    """Tables keyed exactly (a patient's exemptions) are resolved by a join: same rule."""
    plain = [r | {"w1": None, "w2": None} for r in table]
    lookup = Lookup(pl.DataFrame(plain, schema=TABLE).drop("w1", "w2"), ["k"], {"v": "out"})
    frame = pl.DataFrame(wanted, schema=LINES)
    truth = [expected(line, plain) for line in wanted]
    for row_wise in (True, False):
        assert resolve(frame, [[lookup]], row_wise=row_wise).get_column("out").to_list() == truth


def _pick(table: list[dict[str, Any]], line: dict[str, Any]) -> list[Any]:
    lookup = Lookup(
        pl.DataFrame(table, schema=TABLE), exact=["k"], wild=["w1", "w2"], values={"v": "out"}
    )
    frame = pl.DataFrame([line], schema=LINES)
    return [
        resolve(frame, [[lookup]], row_wise=row_wise).get_column("out").item()
        for row_wise in (True, False)
    ]


def row(v: int, **values: Any) -> dict[str, Any]:
    return {
        "k": "a",
        "w1": None,
        "w2": None,
        "valid_from": None,
        "valid_to": None,
        "v": v,
        **values,
    }


WANTED = {"k": "a", "w1": "x", "w2": "y", "care_date": D(2020, 1, 15)}


def test_the_first_wildcard_outranks_the_later_ones() -> None:
    assert _pick([row(2, w2="y"), row(1, w1="x")], WANTED) == [1, 1]
    assert _pick([row(1, w1="x"), row(3, w1="x", w2="y")], WANTED) == [3, 3]


def test_among_equally_specific_rows_the_latest_start_then_the_smallest_value_wins() -> None:
    assert _pick([row(5, valid_from=DAYS[0]), row(7, valid_from=DAYS[1])], WANTED) == [7, 7]
    assert _pick([row(5), row(4), row(6)], WANTED) == [4, 4]


def test_rows_out_of_force_or_for_another_key_never_match() -> None:
    assert _pick([row(1, valid_to=DAYS[1]), row(2, k="b")], WANTED) == [None, None]
    assert _pick([row(1, k=None)], {**WANTED, "k": None}) == [None, None]
