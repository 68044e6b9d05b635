"""Shares column by column: the arithmetic of daman.contributions.ledger.rules.shares
over a frame of lines (a test holds the two equal)."""

from __future__ import annotations

import polars as pl

from daman.contributions.collection.rules_in_force import RulesInForce
from daman.contributions.ledger.rules import HALF_UP
from daman.core.money import BP
from daman.reference.contribution_rules import MemberKind


def _times(base: pl.Expr, bp: pl.Expr, rounding: str) -> pl.Expr:
    if rounding == HALF_UP:
        return (base * bp * 2 + BP) // (2 * BP)
    return base * bp // BP


def with_shares(frame: pl.DataFrame, rules: RulesInForce) -> pl.DataFrame:
    """`frame` (kind, base) with member, employer and solidarity shares."""
    kinds = frame["kind"].unique().to_list()
    rates = pl.DataFrame(
        [
            (
                k,
                rules.rate(MemberKind(k)).member_bp,
                rules.rate(MemberKind(k)).employer_bp,
                rules.rate(MemberKind(k)).solidarity_bp,
                rules.rate(MemberKind(k)).share_min_centimes,
                rules.rate(MemberKind(k)).share_max_centimes,
            )
            for k in kinds
        ],
        schema={
            "kind": pl.String,
            "member_bp": pl.Int64,
            "employer_bp": pl.Int64,
            "solidarity_bp": pl.Int64,
            "low": pl.Int64,
            "high": pl.Int64,
        },
        orient="row",
    )
    base, rounding = pl.col("base"), rules.rounding

    def bounded(share: pl.Expr, bp: pl.Expr) -> pl.Expr:
        held = pl.min_horizontal(pl.max_horizontal(share, pl.col("low")), pl.col("high"))
        return pl.when(bp > 0).then(held).otherwise(share)

    positive = base > 0
    member = _times(base, pl.col("member_bp"), rounding)
    employer = _times(base, pl.col("employer_bp"), rounding)
    solidarity = _times(base, pl.col("solidarity_bp"), rounding)
    return (
        frame.join(rates, on="kind", how="left")
        .with_columns(
            pl.when(positive)
            .then(bounded(member, pl.col("member_bp")))
            .otherwise(0)
            .alias("member"),
            pl.when(positive)
            .then(bounded(employer, pl.col("employer_bp")) + solidarity)
            .otherwise(0)
            .alias("employer"),
            pl.when(positive).then(solidarity).otherwise(0).alias("solidarity"),
        )
        .drop("member_bp", "employer_bp", "solidarity_bp", "low", "high")
    )
