"""Resolve effective-dated reference rows for claim lines.

Every reference table of the context has the same shape: key columns, some of which may
be null to mean "any", a validity range [valid_from, valid_to] (null bounds are open) and
values. A line takes the row in force on its date of care whose exact keys equal its own
and whose wildcard keys equal its own or are null. When several rows match, the one with
the most specific wildcards wins, the wildcards being compared in the order given (a
specific first wildcard beats any combination of the later ones); then the row with the
latest valid_from; then the smallest values, so that the choice never depends on row order.

A table's rows come into and go out of force only on its breakpoints (every valid_from and
every day after a valid_to). Between two breakpoints every date sees the same rows, so the
lines are grouped by *period* (how many breakpoints fall on or before their date of care)
rather than by date. A batch of a million lines then has a few thousand distinct
(keys, period) combinations; each is resolved once, on the first day of its period, and
the values are joined back to the lines.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import polars as pl

DATE = "care_date"
_BIG_TABLE = 256  # rows above which a table is first cut down to the keys in use
_SEED = 0x10_0C_AB

Row = tuple[Any, ...]


def run(query: pl.LazyFrame) -> pl.DataFrame:
    """Collect one of the engine's queries: in memory, as written (they are already
    shaped by hand, and planning them costs more than it saves on one claim)."""
    return query.collect(engine="in-memory", optimizations=pl.QueryOptFlags.none())


@dataclass(frozen=True)
class Lookup:
    """One reference table and how a line matches it (key columns named as on the lines)."""

    table: pl.DataFrame
    exact: Sequence[str]
    values: Mapping[str, str]  # table column -> name on the lines
    wild: Sequence[str] = field(default_factory=tuple)


def _rank(candidate: Row) -> Row:
    """Sort key: most specific wildcards, latest valid_from, smallest values first."""
    wild, start, _end, values = candidate
    return (
        tuple(w is None for w in wild),
        -(start or date.min).toordinal(),
        tuple((v is None, v if v is not None else 0) for v in values),
    )


def winner(candidates: Iterable[Row], wild: Row, day: date) -> Row | None:
    """The values of the winning row on `day` for a line with these wildcard values.

    A candidate is (wildcard values, valid_from, valid_to, values)."""
    matching = [
        c
        for c in candidates
        if (c[1] is None or c[1] <= day)
        and (c[2] is None or day <= c[2])
        and all(t is None or t == v for t, v in zip(c[0], wild, strict=True))
    ]
    return min(matching, key=_rank)[3] if matching else None


def _candidates(lookup: Lookup) -> dict[Row, list[Row]]:
    """The table's rows by exact key (rows with a null exact key never match)."""
    table = lookup.table
    n_exact, n_wild = len(lookup.exact), len(lookup.wild)
    columns = [*lookup.exact, *lookup.wild, "valid_from", "valid_to", *lookup.values]
    index: dict[Row, list[Row]] = defaultdict(list)
    for row in zip(*(table.get_column(c).to_list() for c in columns), strict=True):
        if None in row[:n_exact]:
            continue
        start, end = row[n_exact + n_wild], row[n_exact + n_wild + 1]
        index[row[:n_exact]].append(
            (row[n_exact : n_exact + n_wild], start, end, row[n_exact + n_wild + 2 :])
        )
    return index


def breakpoints(tables: Iterable[pl.DataFrame]) -> list[date]:
    """Sorted distinct days on which some row of the tables comes into or out of force."""
    days: set[date] = set()
    for table in tables:
        days.update(d for d in table.get_column("valid_from").to_list() if d)
        days.update(d + timedelta(days=1) for d in table.get_column("valid_to").to_list() if d)
    return sorted(days)


def _cut(lookup: Lookup, lines: pl.DataFrame) -> Lookup:
    """A long table (the drug list) cut down to the first exact key values of the lines."""
    if lookup.table.height <= _BIG_TABLE:
        return lookup
    key = lookup.exact[0]
    used = lines.get_column(key).unique().implode()
    return replace(lookup, table=lookup.table.filter(pl.col(key).is_in(used)))


def _columns(lookup: Lookup, chosen: Sequence[Row | None]) -> list[pl.Series]:
    """The lookup's value columns from the chosen rows' values (None: no row)."""
    return [
        pl.Series(name, [None if c is None else c[k] for c in chosen], lookup.table.schema[src])
        for k, (src, name) in enumerate(lookup.values.items())
    ]


def _period(days: list[date], exact: Sequence[str]) -> pl.Expr:
    """How many breakpoints fall on or before the care date; null when the line has no
    care date or none of the exact keys (no row can match it then)."""
    counted = pl.lit(pl.Series(days, dtype=pl.Date)).search_sorted(pl.col(DATE), side="right")
    present = pl.col(DATE).is_not_null() & pl.any_horizontal(pl.col(c).is_not_null() for c in exact)
    return pl.when(present).then(counted)


def _resolved(combos: pl.DataFrame, lookup: Lookup, period: str, days: list[date]) -> pl.DataFrame:
    """The winning values for each distinct (exact, wild, period) of `combos`."""
    on = [*lookup.exact, *lookup.wild, period]
    distinct = combos.select(on).unique()
    if not lookup.wild:
        return _joined(distinct, lookup, period, days)
    index = _candidates(lookup)
    n_exact, n_wild = len(lookup.exact), len(lookup.wild)
    first_day = [days[0] - timedelta(days=1) if days else date.min, *days]
    chosen = []
    for row in distinct.iter_rows():
        exact, wild, at = row[:n_exact], row[n_exact : n_exact + n_wild], row[-1]
        usable = at is not None and None not in exact
        chosen.append(winner(index.get(exact, ()), wild, first_day[at]) if usable else None)
    return distinct.hstack(_columns(lookup, chosen))


def _joined(distinct: pl.DataFrame, lookup: Lookup, period: str, days: list[date]) -> pl.DataFrame:
    """`_resolved` for a table without wildcards (one row per patient's exemption, say: as
    many keys as patients), in one join instead of a Python loop over the keys: the rows
    in force on the period's first day, the latest valid_from first, then the smallest
    values (nulls last), as `winner` ranks them."""
    on = [*lookup.exact, period]
    first_day = pl.Series([days[0] - timedelta(days=1) if days else date.min, *days], dtype=pl.Date)
    day = pl.col("_day")
    in_force = (
        day.is_not_null()  # no date of care (no period): no row
        & (pl.col("valid_from").is_null() | (pl.col("valid_from") <= day))
        & (pl.col("valid_to").is_null() | (day <= pl.col("valid_to")))
    )
    table = lookup.table.lazy().select(*lookup.exact, "valid_from", "valid_to", *lookup.values)
    won = run(
        distinct.lazy()
        .with_columns(_day=pl.lit(first_day).gather(pl.col(period)))
        .join(table, on=list(lookup.exact), how="inner")  # null keys match no row
        .filter(in_force)
        .sort(
            ["valid_from", *lookup.values],
            descending=[True] + [False] * len(lookup.values),
            nulls_last=True,
        )
        .unique(subset=on, keep="first", maintain_order=True)
        .select(*on, *(pl.col(src).alias(name) for src, name in lookup.values.items()))
    )
    return distinct.join(won, on=on, how="left", nulls_equal=True, maintain_order="left")


def resolve(
    lines: pl.DataFrame, groups: Sequence[Sequence[Lookup]], *, row_wise: bool | None = None
) -> pl.DataFrame:
    """The lines with the values of every lookup attached (null where no row applies).

    Each group of lookups shares one set of breakpoints (so that a long table's many
    breakpoints, like the drug list's, do not multiply the periods of the others).
    A few lines (one claim) are resolved one by one; many lines are grouped by their
    distinct keys (see `_by_key`). `row_wise` forces one way or the other; both give the
    same values.
    """
    if row_wise if row_wise is not None else lines.height <= _ROW_WISE_MAX:
        groups = [[_cut(lookup, lines) for lookup in group] for group in groups]
        return _one_by_one(lines, groups, [breakpoints(lk.table for lk in g) for g in groups])
    return _by_key(lines, groups, [breakpoints(lk.table for lk in g) for g in groups])


_ROW_WISE_MAX = 256


def _one_by_one(
    lines: pl.DataFrame, groups: Sequence[Sequence[Lookup]], breaks: Sequence[list[date]]
) -> pl.DataFrame:
    """Resolve every line in Python: cheapest for the few lines of one claim."""
    days_of = lines.get_column(DATE).to_list()
    found: list[pl.Series] = []
    for group, days in zip(groups, breaks, strict=True):
        first_day = [days[0] - timedelta(days=1) if days else date.min, *days]
        periods = [None if d is None else bisect_right(days, d) for d in days_of]
        for lookup in group:
            index = _candidates(lookup)
            exact = list(zip(*(lines.get_column(c).to_list() for c in lookup.exact), strict=True))
            wild = (
                list(zip(*(lines.get_column(c).to_list() for c in lookup.wild), strict=True))
                or [()] * lines.height
            )
            chosen = [
                winner(index.get(e, ()), w, first_day[at])
                if at is not None and None not in e
                else None
                for e, w, at in zip(exact, wild, periods, strict=True)
            ]
            found.extend(_columns(lookup, chosen))
    return lines.hstack(found)


def _key_hash(keys: pl.DataFrame) -> pl.Series:
    """_combo: one UInt64 per row standing for its values (equal rows, equal hashes)."""
    return keys.hash_rows(_SEED).alias("_combo")


def _by_key(
    lines: pl.DataFrame, groups: Sequence[Sequence[Lookup]], breaks: Sequence[list[date]]
) -> pl.DataFrame:
    """Resolve each distinct (keys, periods) once and join the values back to the lines.

    Lines are keyed by a hash of their key columns and periods and joined back on that
    one column. Two different keys sharing a hash would show as a line whose joined keys
    differ from its own: the keys are then taken and joined exactly, column by column.
    """
    dims = list(dict.fromkeys(c for g in groups for lk in g for c in (*lk.exact, *lk.wild)))
    names = [f"_period{i}" for i in range(len(groups))]
    periods = [
        _period(days, list(dict.fromkeys(c for lk in group for c in lk.exact))).alias(name)
        for group, days, name in zip(groups, breaks, names, strict=True)
    ]
    keys = [*dims, *names]
    keyed = run(lines.lazy().with_columns(*periods))
    keyed = keyed.hstack([_key_hash(keyed.select(keys))])

    def valued(combos: pl.DataFrame) -> pl.DataFrame:
        for group, name, days in zip(groups, names, breaks, strict=True):
            for lookup in group:
                found = _resolved(combos, _cut(lookup, combos), name, days)
                on = [*lookup.exact, *lookup.wild, name]
                combos = combos.join(found, on=on, how="left", nulls_equal=True)
        return combos

    firsts = keyed.lazy().select("_combo", *keys).filter(pl.col("_combo").is_first_distinct())
    combos = valued(run(firsts))
    same = pl.all_horizontal(pl.col(k).eq_missing(pl.col(f"_k_{k}")) for k in keys).all()
    joined = run(
        keyed.lazy()
        .join(
            combos.lazy().rename({k: f"_k_{k}" for k in keys}),
            on="_combo",
            how="left",
            maintain_order="left",
        )
        .with_columns(_exact=same)
        .drop("_combo", *names, *(f"_k_{k}" for k in keys))
    )
    if not joined.height or joined.get_column("_exact")[0]:
        return joined.drop("_exact")
    exact = valued(keyed.select(keys).unique())
    return keyed.join(exact, on=keys, how="left", nulls_equal=True, maintain_order="left").drop(
        "_combo", *names
    )
