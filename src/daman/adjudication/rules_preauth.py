"""Prior authorisation (prise en charge): which care needs one, and which lines one covers.

Pure functions of frames, like the rest of the engine:

* ``needs_authorisation(requirements)``: an expression true for a line whose category (and
  regime, when the row names one) is listed in REQUIREMENTS on its care date. The table is
  a handful of rows (hospitalisation, orthodontics, multi-session care, listed devices),
  so each row is one vectorised comparison; no join.
* ``with_authorisation(df, authorisations)``: the authorised line that covers each claim
  line: same patient, same provider, same category, the same item (act key or drug code)
  or an authorisation for any item of the category, and a care date within the validity
  period. When several cover a line, the one naming the item wins, then the latest
  valid_from, then the smallest auth_id. Adds ``_auth`` (null when none), ``_auth_rate``,
  ``_auth_base`` and ``_auth_qty`` (what the authorisation still leaves).
* ``above_authorisation()``: a line beyond what its authorisation leaves, counting the
  earlier lines of the batch that use the same authorisation (a running sum in row order,
  that is claim and line order).

The engine then rejects a line that needs an authorisation and has none
(``authorisation_required``), rates a covered line at the authorisation's rate
(``authorised``), and sends an over-run to review (``above_authorisation``).
"""

from __future__ import annotations

import polars as pl

from daman.adjudication.rules_lookup import run
from daman.adjudication.rules_match import scattered

_VALUES = {"rate_bp": "_auth_rate", "max_base_centimes": "_auth_base", "max_quantity": "_auth_qty"}


def needs_authorisation(requirements: pl.DataFrame) -> pl.Expr:
    """_needs_auth: the line's care needs a prior authorisation on its care date."""
    terms = []
    for category, regime, start, end in requirements.select(
        "category", "regime_code", "valid_from", "valid_to"
    ).iter_rows():
        if category is None:
            continue
        term = pl.col("category") == category
        if regime is not None:
            term = term & (pl.col("regime_code") == regime)
        if start is not None:
            term = term & (pl.col("care_date") >= start)
        if end is not None:
            term = term & (pl.col("care_date") <= end)
        terms.append(term)
    if not terms:
        return pl.lit(False).alias("_needs_auth")
    return pl.any_horizontal(terms).fill_null(False).alias("_needs_auth")


def with_authorisation(
    df: pl.DataFrame, requirements: pl.DataFrame, authorisations: pl.DataFrame
) -> pl.DataFrame:
    """The lines with _needs_auth, _auth, _auth_rate, _auth_base and _auth_qty."""
    if authorisations.height == 0:
        return df.with_columns(
            needs_authorisation(requirements),
            pl.lit(None, pl.Int64).alias("_auth"),
            *(pl.lit(None, pl.Int64).alias(name) for name in _VALUES.values()),
        )
    patients = authorisations.get_column("patient_id").unique().implode()
    care = pl.col("care_date")
    matched = run(
        df.lazy()
        .select("_row", "patient_id", "provider_id", "category", "_item", "care_date")
        .filter(pl.col("patient_id").is_in(patients))
        .join(
            authorisations.lazy(),
            on=["patient_id", "provider_id", "category"],
            how="inner",
        )
        .filter(
            (pl.col("item").is_null() | (pl.col("item") == pl.col("_item")))
            & (pl.col("valid_from").is_null() | (pl.col("valid_from") <= care))
            & (pl.col("valid_to").is_null() | (care <= pl.col("valid_to")))
        )
        .sort(
            ["_row", "item", "valid_from", "auth_id"],
            descending=[False, False, True, False],
            nulls_last=True,
        )
        .unique(subset="_row", keep="first", maintain_order=True)
    )
    rows = matched.get_column("_row")
    columns = [scattered(df.height, rows, matched.get_column("auth_id").alias("_auth"))]
    columns += [
        scattered(df.height, rows, matched.get_column(src).alias(name))
        for src, name in _VALUES.items()
    ]
    return df.hstack(columns).with_columns(needs_authorisation(requirements))


def above_authorisation(active: bool) -> pl.Expr:
    """A covered line whose base or units, added to those of the batch's earlier lines on
    the same authorisation, go beyond what it leaves (needs _base0 and _q)."""
    if not active:
        return pl.lit(False)
    used_base = pl.col("_base0").cum_sum().over("_auth")
    used_qty = pl.col("_q").cum_sum().over("_auth")
    beyond = (pl.col("_auth_base").is_not_null() & (used_base > pl.col("_auth_base"))) | (
        pl.col("_auth_qty").is_not_null() & (used_qty > pl.col("_auth_qty"))
    )
    return pl.col("_auth").is_not_null() & beyond.fill_null(False)
