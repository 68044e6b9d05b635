"""Issuing calls from their lines: one call per payer account (its sums, rates and due
date), its lines, and a ``call`` entry on the account, in a few bulk writes whatever the
number of lines (COPY on PostgreSQL).

A member paying for themself (TNS, AMO Chamil) has one line, about the account's own
person, which says nothing the call does not: such calls (`own=True`) are written without
it, and the rights read them by the account's person (ledger.repository.MONTHS_SQL).

The lines come as a Polars frame with the columns of LINE_COLUMNS, the shares already
computed (daman.contributions.ledger.rules, or the same arithmetic column by column).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daman.contributions.collection.accounts import numbers as account_numbers
from daman.contributions.collection.rules_in_force import RulesInForce
from daman.contributions.ledger.models import (
    Call,
    CallLine,
    CallStatus,
    Entry,
    EntryKind,
    Part,
)
from daman.core.bulk import copy_insert, reserve_ids
from daman.core.dates import now

LINE_COLUMNS = {
    "account_id": pl.Int64,
    "person_id": pl.Int64,
    "kind": pl.String,
    "days": pl.Int64,
    "persons": pl.Int64,
    "base": pl.Int64,
    "member": pl.Int64,
    "employer": pl.Int64,
    "solidarity": pl.Int64,
    "line_no": pl.Int64,
}


@dataclass(frozen=True)
class Issued:
    calls: pl.DataFrame  # account_id, account (its number), call_id, number, members, total
    lines: int  # the members called (lines written, or own calls)

    @property
    def total(self) -> int:
        return int(self.calls["total"].sum()) if self.calls.height else 0


def number_of(account: str, regime: str, month: date, sequence: int) -> str:
    """A call's number, the reference payers give with their payment:
    E1234567-CNSS_SAL-202501, then -2, -3 for complementary calls of the month."""
    suffix = f"-{sequence}" if sequence > 1 else ""
    return f"{account}-{regime}-{month:%Y%m}{suffix}"


def _next_sequences(
    session: Session, accounts: list[int], regime: str, month: date
) -> pl.DataFrame:
    """The next sequence of those of the accounts with calls of the regime and month
    already (account_id, sequence; the others start at 1), from the month's calls issued
    (one read: the month's index)."""
    wanted = set(accounts)
    rows = [
        (account_id, int(top) + 1)
        for account_id, top in session.execute(
            select(Call.account_id, func.max(Call.sequence))
            .where(Call.regime_code == regime, Call.month == month)
            .group_by(Call.account_id)
        )
        if account_id in wanted
    ]
    return pl.DataFrame(rows, schema={"account_id": pl.Int64, "sequence": pl.Int64}, orient="row")


def _amounts() -> list[pl.Expr]:
    """A call's or a line's base and parts, named as their columns."""
    return [pl.col(n).alias(f"{n}_centimes") for n in ("base", "member", "employer", "solidarity")]


def issue(
    session: Session,
    rules: RulesInForce,
    lines: pl.DataFrame,
    actor: str,
    issued_on: date,
    *,
    own: bool = False,
) -> Issued:
    """Issue one call per account of `lines` for the rules' regime and month; `own`: each
    account is the one person of its line, paying for themself (no line is written)."""
    if lines.is_empty():
        return Issued(pl.DataFrame(schema={"account_id": pl.Int64, "call_id": pl.Int64}), 0)
    regime, month = rules.regime, rules.month
    lines = lines.select([pl.col(c).cast(t) for c, t in LINE_COLUMNS.items()])
    sums = (
        lines.group_by("account_id")
        .agg(
            pl.len().alias("members"),
            pl.col("base").sum(),
            pl.col("member").sum(),
            pl.col("employer").sum(),
            pl.col("solidarity").sum(),
            pl.col("kind").unique().alias("kinds"),
        )
        .sort("account_id")
    )
    accounts = sums["account_id"].to_list()
    sequences = _next_sequences(session, accounts, regime, month)
    named = account_numbers(session, accounts)
    numbers = pl.DataFrame(
        {"account_id": list(named), "account": list(named.values())},
        schema={"account_id": pl.Int64, "account": pl.String},
    )
    ids = reserve_ids(session, Call.__table__, len(accounts))  # type: ignore[arg-type]

    # one row per account, column by column: its number, sequence, rates, status
    rates = pl.DataFrame(
        [
            (
                kind.value,
                *(
                    (None, None, None)
                    if row.flat_centimes is not None
                    else (int(row.member_bp), int(row.employer_bp), int(row.solidarity_bp))
                ),
            )
            for kind, row in rules.rates.items()
        ],
        schema={
            "kind": pl.String,
            "member_rate_bp": pl.Int64,
            "employer_rate_bp": pl.Int64,
            "solidarity_rate_bp": pl.Int64,
        },
        orient="row",
    )
    at = now()
    total = pl.col("member") + pl.col("employer")
    zero = total == 0
    calls = (
        sums.with_columns(
            pl.Series("id", ids, dtype=pl.Int64),
            # the rates of a call whose lines are all of one kind (none when mixed)
            pl.when(pl.col("kinds").list.len() == 1)
            .then(pl.col("kinds").list.first())
            .alias("kind"),
        )
        .join(sequences, on="account_id", how="left")
        .join(numbers, on="account_id", how="left")
        .join(rates, on="kind", how="left")
        .select(
            pl.col("id"),
            pl.concat_str(
                pl.col("account"),
                pl.lit(f"-{regime}-{month:%Y%m}"),
                pl.when(pl.col("sequence").fill_null(1) > 1)
                .then(pl.lit("-") + pl.col("sequence").cast(pl.String))
                .otherwise(pl.lit("")),
            ).alias("number"),
            pl.col("account_id"),
            pl.lit(regime).alias("regime_code"),
            pl.lit(month).alias("month"),
            pl.col("sequence").fill_null(1).cast(pl.Int64),
            pl.col("members"),
            *_amounts(),
            total.alias("total_centimes"),
            pl.col("member_rate_bp"),
            pl.col("employer_rate_bp"),
            pl.col("solidarity_rate_bp"),
            pl.lit(issued_on).alias("issued_on"),
            pl.lit(rules.due).alias("due_date"),
            # a call asking nothing (every base zero) has nothing left to pay
            pl.when(zero)
            .then(pl.lit(CallStatus.PAID.value))
            .otherwise(pl.lit(CallStatus.OPEN.value))
            .alias("status"),
            pl.when(zero).then(pl.lit(issued_on)).otherwise(None).cast(pl.Date).alias("paid_on"),
            pl.lit(actor).alias("created_by"),
            pl.lit(actor).alias("updated_by"),
            pl.lit(at).alias("created_at"),
            pl.lit(at).alias("updated_at"),
            pl.col("account"),
        )
        .sort("id")
    )
    copy_insert(session, Call.__table__, calls.drop("account"), actor)  # type: ignore[arg-type]
    if own:
        if calls.height != lines.height:
            raise ValueError("own calls: one line per account")
    else:
        _write_lines(session, lines, calls, month, actor)
    entries = calls.filter(pl.col("total_centimes") != 0).select(
        pl.col("account_id"),
        pl.lit(EntryKind.CALL.value).alias("kind"),
        pl.col("total_centimes").alias("amount_centimes"),
        pl.lit(issued_on).alias("value_date"),
        pl.col("id").alias("call_id"),
        pl.lit(Part.PRINCIPAL.value).alias("part"),
        pl.col("number").alias("reason"),
        pl.lit(at).alias("created_at"),
        pl.lit(actor).alias("created_by"),
    )
    copy_insert(session, Entry.__table__, entries, actor)  # type: ignore[arg-type]
    out = calls.select(
        "account_id",
        "account",
        pl.col("id").alias("call_id"),
        "number",
        "members",
        pl.col("total_centimes").alias("total"),
    )
    return Issued(out, lines.height)


def _write_lines(
    session: Session, lines: pl.DataFrame, calls: pl.DataFrame, month: date, actor: str
) -> None:
    call_of = calls.select("account_id", pl.col("id").alias("call_id"))
    # in the order of the lines' unique index (call, person): appended, not scattered
    rows = (
        lines.join(call_of, on="account_id")
        .select(
            pl.col("call_id"),
            pl.col("person_id"),
            pl.lit(month).alias("month"),
            pl.col("kind"),
            pl.col("days"),
            pl.col("persons"),
            *_amounts(),
            pl.col("line_no"),
        )
        .sort("call_id", "person_id")
    )
    copy_insert(session, CallLine.__table__, rows, actor)  # type: ignore[arg-type]
