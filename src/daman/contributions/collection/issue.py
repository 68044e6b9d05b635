"""Issuing calls from their lines: one call per payer account (its sums, rates and due
date), its lines, and a ``call`` entry on the account, in a few bulk writes whatever the
number of lines (COPY on PostgreSQL).

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
    lines: int

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
) -> dict[int, int]:
    """The next sequence of each account's calls of the regime and month (1 for none),
    from the month's calls already issued (one read: the month's index)."""
    wanted = set(accounts)
    out: dict[int, int] = {}
    for account_id, top in session.execute(
        select(Call.account_id, func.max(Call.sequence))
        .where(Call.regime_code == regime, Call.month == month)
        .group_by(Call.account_id)
    ):
        if account_id in wanted:
            out[account_id] = int(top) + 1
    return out


def issue(
    session: Session,
    rules: RulesInForce,
    lines: pl.DataFrame,
    actor: str,
    issued_on: date,
) -> Issued:
    """Issue one call per account of `lines` for the rules' regime and month."""
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
    numbers = account_numbers(session, accounts)
    ids = reserve_ids(session, Call.__table__, len(accounts))  # type: ignore[arg-type]
    seq = [sequences.get(a, 1) for a in accounts]

    def rate_of(kinds: list[str], column: str) -> int | None:
        if len(kinds) != 1:
            return None
        row = rules.rates.get(kinds[0])  # type: ignore[call-overload]
        if row is None or row.flat_centimes is not None:
            return None
        return int(getattr(row, column))

    kinds = sums["kinds"].to_list()
    total = sums["member"] + sums["employer"]
    at = now()
    due = rules.due
    zero = total == 0
    calls = pl.DataFrame(
        {
            "id": ids,
            "number": [
                number_of(numbers[a], regime, month, s) for a, s in zip(accounts, seq, strict=True)
            ],
            "account_id": accounts,
            "regime_code": [regime] * len(ids),
            "month": [month] * len(ids),
            "sequence": seq,
            "members": sums["members"],
            "base_centimes": sums["base"],
            "member_centimes": sums["member"],
            "employer_centimes": sums["employer"],
            "solidarity_centimes": sums["solidarity"],
            "total_centimes": total,
            "member_rate_bp": [rate_of(k, "member_bp") for k in kinds],
            "employer_rate_bp": [rate_of(k, "employer_bp") for k in kinds],
            "solidarity_rate_bp": [rate_of(k, "solidarity_bp") for k in kinds],
            "issued_on": [issued_on] * len(ids),
            "due_date": [due] * len(ids),
            # a call asking nothing (every base zero) has nothing left to pay
            "status": [CallStatus.PAID.value if z else CallStatus.OPEN.value for z in zero],
            "paid_on": [issued_on if z else None for z in zero],
            "created_by": [actor] * len(ids),
            "updated_by": [actor] * len(ids),
            "created_at": [at] * len(ids),
            "updated_at": [at] * len(ids),
        },
        schema_overrides={
            "id": pl.Int64,
            "account_id": pl.Int64,
            "member_rate_bp": pl.Int64,
            "employer_rate_bp": pl.Int64,
            "solidarity_rate_bp": pl.Int64,
            "paid_on": pl.Date,
        },
    )
    copy_insert(session, Call.__table__, calls, actor)  # type: ignore[arg-type]
    call_of = pl.DataFrame(
        {"account_id": accounts, "call_id": ids},
        schema={"account_id": pl.Int64, "call_id": pl.Int64},
    )
    rows = lines.join(call_of, on="account_id").select(
        pl.col("call_id"),
        pl.col("person_id"),
        pl.lit(month).alias("month"),
        pl.col("kind"),
        pl.col("days"),
        pl.col("persons"),
        pl.col("base").alias("base_centimes"),
        pl.col("member").alias("member_centimes"),
        pl.col("employer").alias("employer_centimes"),
        pl.col("solidarity").alias("solidarity_centimes"),
        pl.col("line_no"),
    )
    copy_insert(session, CallLine.__table__, rows, actor)  # type: ignore[arg-type]
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
    out = calls.with_columns(
        pl.Series("account", [numbers[a] for a in accounts], dtype=pl.String)
    ).select(
        "account_id",
        "account",
        pl.col("id").alias("call_id"),
        "number",
        "members",
        pl.col("total_centimes").alias("total"),
    )
    return Issued(out, rows.height)
