"""Match claim lines to their context: rights, exemptions, reference rows and history.

Each function takes the lines (one row per claim line, with `_row`, `_item` and the
columns of LINES) and returns them with more columns; none changes the number or order
of rows. Columns starting with an underscore are internal to the engine.
"""

from __future__ import annotations

import polars as pl

from daman.adjudication.rules_lookup import Lookup, resolve, run
from daman.core.enums import Exemption

# (patient_id, care_date) as one Int64 key, _pd: packed exactly when ids allow (a one-key
# join is faster), else a hash (then joins use the two columns and _pd only pre-filters).
_DAY_BITS = 22
_MAX_PACKED_ID = 1 << (62 - _DAY_BITS)
_SEED = 0x5EED


def patient_day(pack: bool) -> pl.Expr:
    """_pd: patient_id and care_date packed in one Int64 (ids in [0, 2**40)), else hashed."""
    if not pack:
        return pl.struct("patient_id", "care_date").hash(_SEED).alias("_pd")
    days = pl.col("care_date").cast(pl.Int32).cast(pl.Int64) + (1 << (_DAY_BITS - 1))
    return (pl.col("patient_id") * (1 << _DAY_BITS) + days).alias("_pd")


def packable(*frames: pl.DataFrame) -> bool:
    """Every patient_id is present and small enough to be packed."""
    for df in frames:
        ids = df.get_column("patient_id")
        if ids.null_count():
            return False
        low, high = ids.min(), ids.max()
        if df.height and not 0 <= low <= high < _MAX_PACKED_ID:  # type: ignore[operator]
            return False
    return True


def with_rights(lines: pl.LazyFrame, eligibility: pl.DataFrame, pack: bool) -> pl.LazyFrame:
    """covered, eligibility_reason, regime_code, mutual_code of the line's patient and day,
    and the lines' _pd key."""
    lines = lines.with_columns(patient_day(pack))
    if not pack:
        return lines.join(
            eligibility.lazy(),
            on=["patient_id", "care_date"],
            how="left",
            validate="m:1",
            maintain_order="left",
        )
    rights = eligibility.lazy().with_columns(patient_day(pack)).drop("patient_id", "care_date")
    return lines.join(rights, on="_pd", how="left", validate="m:1", maintain_order="left")


def same_item() -> pl.Expr:
    """_same: a hash of (patient, care_date, item) from _pd and _item; null without an item.
    Equal values give equal hashes; the sequential walk compares the values themselves."""
    mixed = pl.col("_item").hash(_SEED) ^ pl.col("_pd").hash(_SEED + 1)
    return pl.when(pl.col("_item").is_not_null()).then(mixed).alias("_same")


def scattered(height: int, rows: pl.Series, values: pl.Series, fill: object = None) -> pl.Series:
    """A column of `height` rows: `values` at the row numbers `rows`, `fill` elsewhere."""
    column = pl.Series(values.name, dtype=values.dtype).extend_constant(fill, height)
    return column.scatter(rows, values)


def with_exemption(df: pl.DataFrame, exemptions: pl.DataFrame) -> pl.DataFrame:
    """exemption: kind (ald / alc) of the patient's exemption for the line's ald_code in
    force on the care date, else "none"; _ald: the ald_code when exempted."""
    declared = df.get_column("ald_code").null_count() < df.height
    if exemptions.height and declared:
        lookup = Lookup(exemptions, exact=["patient_id", "ald_code"], values={"kind": "_kind"})
        subset = run(
            df.lazy()
            .select("_row", "patient_id", "ald_code", "care_date")
            .filter(pl.col("ald_code").is_not_null())
        )
        kinds = resolve(subset, [[lookup]])
        kind = scattered(df.height, kinds.get_column("_row"), kinds.get_column("_kind"))
    else:
        kind = pl.Series("_kind", dtype=pl.String).extend_constant(None, df.height)
    lf = df.hstack([kind]).lazy()
    return lf.with_columns(
        exemption=pl.col("_kind").fill_null(Exemption.NONE.value),
        _ald=pl.when(pl.col("_kind").is_not_null()).then(pl.col("ald_code")),
    ).pipe(run)


def with_references(
    df: pl.DataFrame,
    *,
    tariffs: pl.DataFrame,
    rates: pl.DataFrame,
    complementary: pl.DataFrame,
    ceilings: pl.DataFrame,
    drug_prices: pl.DataFrame,
) -> pl.DataFrame:
    """_tariff, _rate, _comp_rate, _ceil_base/_qty/_days, _drug_found/_base/_rate and
    _drug_known (the code is on the drug list on some day) of every line."""
    limits = ceilings.filter(
        pl.col("period_days").is_not_null()
        & (pl.col("max_base_centimes").is_not_null() | pl.col("max_quantity").is_not_null())
    )
    rules = [
        Lookup(
            tariffs.rename({"key": "act_key"}),
            exact=["act_key"],
            wild=["regime_code"],
            values={"value_centimes": "_tariff"},
        ),
        Lookup(
            rates.rename({"ald_code": "_ald"}),
            exact=["category", "exemption"],
            wild=["_ald", "regime_code", "sector"],
            values={"rate_bp": "_rate"},
        ),
        Lookup(
            complementary,
            exact=["category"],
            wild=["mutual_code"],
            values={"rate_bp": "_comp_rate"},
        ),
        Lookup(
            limits,
            exact=["category"],
            wild=["regime_code"],
            values={
                "max_base_centimes": "_ceil_base",
                "max_quantity": "_ceil_qty",
                "period_days": "_ceil_days",
            },
        ),
    ]
    listed = drug_prices.with_columns(
        _known=pl.lit(True), _any_from=pl.lit(None, pl.Date), _any_to=pl.lit(None, pl.Date)
    )
    prices = [
        Lookup(
            listed,
            exact=["drug_code"],
            values={
                "_known": "_drug_found",
                "base_centimes": "_drug_base",
                "rate_bp": "_drug_rate",
            },
        ),
        Lookup(
            listed.select("drug_code", "_known", valid_from="_any_from", valid_to="_any_to"),
            exact=["drug_code"],
            values={"_known": "_drug_known"},
        ),
    ]
    return resolve(df, [rules, prices])


def history_matches(
    df: pl.DataFrame, history: pl.DataFrame, pack: bool
) -> tuple[pl.Series, pl.Series]:
    """The _row of the lines whose (patient, care_date, item) is in HISTORY from any
    provider (near) and from the line's own provider (exact)."""
    none = pl.Series("_row", [], df.schema["_row"])
    if not history.height:
        return none, none
    days = history.lazy().select(patient_day(pack)).pipe(run).get_column("_pd")
    candidates = run(
        df.lazy()
        .select("_row", "patient_id", "provider_id", "care_date", "_item", "_pd")
        .filter(pl.col("_pd").is_in(days.implode()) & pl.col("_item").is_not_null())
    )
    if not candidates.height:
        return none, none
    past = history.lazy().select(
        "patient_id", "provider_id", "care_date", _item=pl.coalesce("drug_code", "act_key")
    )
    matches = run(
        candidates.lazy()
        .drop("_pd")
        .join(past, on=["patient_id", "care_date", "_item"], how="inner", suffix="_past")
    )
    exact = pl.col("provider_id") == pl.col("provider_id_past")
    return (
        matches.get_column("_row").unique(),
        matches.filter(exact).get_column("_row").unique(),
    )
