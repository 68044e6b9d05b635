"""The rules that depend on earlier lines: duplicates within the batch, ceilings, frequencies.

Lines are taken in (claim_id, line_no) order. An earlier line of the batch counts exactly
as a HISTORY line would, and only when it ends accepted, reduced or pending_review: a line
waiting for review holds its share of a ceiling or frequency limit and counts for
duplicates (a reviewer's rejection releases it, as HISTORY holds no rejected line); a
rejected line leaves no trace. So valuing claims one at a time, each with HISTORY extended
by the accepted, reduced and pending_review lines of the claims before it (base_centimes
and allowed_quantity of their decisions), gives the same decisions as one batch.

Duplicates. A line's item is its drug_code, else its act_key (a line with neither has no
item and is never a duplicate). A line is a ``duplicate`` (rejected) when a counted
earlier line or a HISTORY line has the same patient, provider, care_date and item; it is a
``suspected_duplicate`` (review) when the only such lines are from another provider.
The coefficient, quantity and amount do not matter: K 50 and K 20 from the same surgeon on
the same day for the same patient are a duplicate.

Ceilings and frequency limits. The CEILINGS row in force for the line's category and
regime (specific regime beats any) limits what the patient uses within period_days: the
usage of a line is the base_centimes and quantity of the counted lines (HISTORY and
earlier batch lines, any regime) of the same category whose care_date is on or before the
line's and less than period_days before it (a 730-day period counts care on days
d - 729 .. d). With max_quantity, a line asking for more units than remain is cut to the
remaining units and its base scaled to them, half-up (``frequency_limit``, reduced), or
rejected when none remain (``frequency_exhausted``). With max_base_centimes, the base is
then cut to what remains (``ceiling_reached``, reduced), or the line rejected when
nothing remains (``ceiling_exhausted``). A rejected line is not checked against ceilings.

Only lines that can be affected are walked in Python (_walk): those of a category that has
a ceiling row (on any date, for any regime), and those that may share (patient, care_date,
item) with another line of the batch (equal hashes; the walk compares the values).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import polars as pl

from daman.adjudication.frames import Policy
from daman.adjudication.rules_lookup import run

# Columns the walk returns besides _row, _seq_base and _seq_qty.
SEQUENCE_FLAGS = (
    "_batch_exact",
    "_batch_near",
    "ceiling_reached",
    "ceiling_exhausted",
    "frequency_limit",
    "frequency_exhausted",
)

_WALKED = [
    "_row",
    "patient_id",
    "provider_id",
    "care_date",
    "category",
    "_item",
    "_q",
    "_base0",
    "_static_reject",
    "_static_review",
    "_ceil_base",
    "_ceil_qty",
    "_ceil_days",
    "_used_base",
    "_used_qty",
]


def sequential(staged: pl.DataFrame, history: pl.DataFrame, policy: Policy) -> pl.DataFrame | None:
    """Walk the lines marked _walk; None when there are none."""
    if not staged.get_column("_walk").any():
        return None
    columns = {*_WALKED, "claim_id", "line_no", "_walk"} - {"_used_base", "_used_qty"}
    subset = run(staged.lazy().select(sorted(columns)).filter(pl.col("_walk")))
    subset = (
        subset.lazy()
        .join(_history_usage(subset, history), on="_row", how="left")
        .sort("patient_id", "claim_id", "line_no", "_row")
        .select(_WALKED)
        .pipe(run)
    )
    return _walk(subset)


def _history_usage(subset: pl.DataFrame, history: pl.DataFrame) -> pl.LazyFrame:
    """Base and quantity of HISTORY within each ceiling line's period (_used_base/_qty)."""
    limited = (
        subset.lazy()
        .filter(pl.col("_ceil_days").is_not_null())
        .select("_row", "patient_id", "category", "care_date", "_ceil_days")
    )
    past = history.lazy().select(
        "patient_id",
        "category",
        _past=pl.col("care_date"),
        _b=pl.col("base_centimes").fill_null(0),
        _u=pl.col("quantity").fill_null(0),
    )
    age = (pl.col("care_date") - pl.col("_past")).dt.total_days()
    return (
        limited.join(past, on=["patient_id", "category"], how="inner")
        .filter((age >= 0) & (age < pl.col("_ceil_days")))
        .group_by("_row")
        .agg(_used_base=pl.col("_b").sum(), _used_qty=pl.col("_u").sum())
    )


def _walk(subset: pl.DataFrame) -> pl.DataFrame:
    out: dict[str, list[object]] = {
        name: [] for name in ("_row", "_seq_base", "_seq_qty", *SEQUENCE_FLAGS)
    }
    current = None
    same: set[tuple[int, date, str]] = set()
    near: set[tuple[date, str]] = set()
    spent: defaultdict[str, list[tuple[date, int, int]]] = defaultdict(list)
    for (
        row,
        patient,
        provider,
        day,
        category,
        item,
        quantity,
        base,
        static_reject,
        _static_review,  # a line waiting for review counts like an accepted one
        max_base,
        max_qty,
        period,
        used_base,
        used_qty,
    ) in subset.iter_rows():
        if patient != current:
            current = patient
            same, near, spent = set(), set(), defaultdict(list)
        exact = item is not None and (provider, day, item) in same
        close = item is not None and not exact and (day, item) in near
        rejected = static_reject or exact
        cut_qty = no_qty = cut_base = no_base = False
        if period is not None and not rejected:
            used_base, used_qty = used_base or 0, used_qty or 0
            for past, past_base, past_qty in spent[category]:
                if 0 <= (day - past).days < period:
                    used_base += past_base
                    used_qty += past_qty
            if max_qty is not None:
                left = max_qty - used_qty
                no_qty = left <= 0
                if not no_qty and quantity > left:
                    base = (base * left * 2 + quantity) // (2 * quantity)
                    quantity, cut_qty = left, True
            if max_base is not None and not no_qty:
                left = max_base - used_base
                no_base = left <= 0
                if not no_base and base > left:
                    base, cut_base = left, True
            rejected = no_qty or no_base
        if not rejected:  # accepted, reduced or waiting for review: it holds its share
            if item is not None:
                same.add((provider, day, item))
                near.add((day, item))
            spent[category].append((day, base, quantity))
        for name, value in zip(
            out,
            (row, base, quantity, exact, close, cut_base, no_base, cut_qty, no_qty),
            strict=True,
        ):
            out[name].append(value)
    return pl.DataFrame(
        out,
        schema={
            "_row": subset.schema["_row"],
            "_seq_base": pl.Int64,
            "_seq_qty": pl.Int64,
            **dict.fromkeys(SEQUENCE_FLAGS, pl.Boolean),
        },
    )
