"""The monthly runs of calls for the regimes nobody declares: TNS members (the flat
income of their category), AMO Chamil members (the amount of their RSU band) and the
State for AMO Tadamon (a flat amount per beneficiary of the month).

A run is set-based (one frame of members, a few bulk writes) and can be run again: a
member already called for the month is left alone, so a second run of the same month
adds nothing, and a run after new affiliations calls only the new members. Members the
rules cannot price (a TNS member without a category, a Chamil score outside every band)
are reported, not called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.contributions.collection import accounts
from daman.contributions.collection.issue import issue
from daman.contributions.collection.lookup import affiliated, month_end
from daman.contributions.collection.models import MemberCategory
from daman.contributions.collection.rules_in_force import (
    RulesInForce,
    chamil_bands,
    rules_in_force,
    tns_categories,
    tns_reference,
)
from daman.contributions.collection.shares import with_shares
from daman.contributions.ledger import posting
from daman.contributions.ledger.models import Call, PayerAccount
from daman.contributions.ledger.rules import chamil_band, score, tns_income
from daman.core.bulk import frame_of
from daman.core.dates import today
from daman.core.enums import RegimeCode
from daman.core.errors import ValidationFailed
from daman.reference.contribution_rules import MemberKind
from daman.registry.models import DependentLink, Person

RUN_REGIMES = (RegimeCode.TNS, RegimeCode.CHAMIL, RegimeCode.TADAMON)
SHOWN_PROBLEMS = 50


@dataclass
class RunReport:
    regime: str
    month: date
    calls: int = 0
    members: int = 0
    total_centimes: int = 0
    already_called: int = 0
    unpriced: int = 0  # members the rules could not price
    problems: list[str] = field(default_factory=list)  # the first SHOWN_PROBLEMS, named


def run(
    session: Session, regime: str, month: date, actor: str, issued_on: date | None = None
) -> RunReport:
    """Issue the month's calls of a regime nobody declares, on `issued_on` (today). Flushes
    only."""
    if regime not in RUN_REGIMES:
        raise ValidationFailed.one(
            "regime",
            f"runs are for {', '.join(RUN_REGIMES)}; CNSS_SAL and CNOPS calls come from "
            "declarations",
        )
    month = month.replace(day=1)
    rules = rules_in_force(session, regime, month)
    report = RunReport(regime, month)
    if regime == RegimeCode.TADAMON:
        lines = _tadamon(session, rules, report, actor)
    else:
        members = affiliated(session, regime, month, {"rsu_score": pl.String})
        members = _not_called(session, members, regime, month, report)
        if regime == RegimeCode.TNS:
            lines = _tns(session, rules, members, report)
        else:
            lines = _chamil(session, rules, members, report)
        if lines.height:
            ids = accounts.member_accounts(session, lines["person_id"].to_list(), actor)
            lines = lines.join(
                pl.DataFrame(
                    {"person_id": list(ids), "account_id": list(ids.values())},
                    schema={"person_id": pl.Int64, "account_id": pl.Int64},
                ),
                on="person_id",
            )
    # TNS and Chamil members pay for themselves: their calls need no line
    own = regime != RegimeCode.TADAMON
    issued = issue(session, rules, lines, actor, issued_on or today(), own=own)
    report.calls = issued.calls.height
    report.members = issued.lines
    report.total_centimes = issued.total
    session.flush()
    posting.apply_where_credit(
        session, issued.calls["account_id"].to_list() if issued.calls.height else [], actor
    )
    return report


def _not_called(
    session: Session, members: pl.DataFrame, regime: str, month: date, report: RunReport
) -> pl.DataFrame:
    """The members without a call of the regime for the month yet."""
    called_stmt = (
        select(PayerAccount.person_id)
        .join(Call, Call.account_id == PayerAccount.id)
        .where(Call.regime_code == regime, Call.month == month)
    )
    called = _frame(session, called_stmt, {"person_id": pl.Int64})
    before = members.height
    members = members.join(called, on="person_id", how="anti")
    report.already_called = before - members.height
    return members


def _frame(session: Session, stmt: object, schema: dict[str, object]) -> pl.DataFrame:
    return frame_of(session, stmt, schema)


def _priced(frame: pl.DataFrame, kind: MemberKind) -> pl.DataFrame:
    return frame.select(
        pl.col("person_id"),
        pl.lit(kind.value).alias("kind"),
        pl.lit(None, dtype=pl.Int64).alias("days"),
        pl.lit(1).alias("persons"),
        pl.col("base"),
        pl.col("member"),
        pl.lit(0).alias("employer"),
        pl.lit(0).alias("solidarity"),
        pl.lit(None, dtype=pl.Int64).alias("line_no"),
    )


def _unpriced(session: Session, report: RunReport, person_ids: list[int], why: str) -> None:
    report.unpriced += len(person_ids)
    shown = person_ids[: SHOWN_PROBLEMS - len(report.problems)]
    if shown:
        numbers = dict(
            session.execute(
                select(Person.id, Person.immatriculation).where(Person.id.in_(shown))
            ).all()
        )
        report.problems += [f"{numbers.get(p, p)}: {why}" for p in shown]


def _tns(
    session: Session, rules: RulesInForce, members: pl.DataFrame, report: RunReport
) -> pl.DataFrame:
    """Each member's category in force on the month's first day (the latest started by
    then), its flat income, 6.37 % of it."""
    first = rules.month
    categories = _frame(
        session,
        select(
            MemberCategory.person_id,
            MemberCategory.category_code,
            MemberCategory.valid_from,
            MemberCategory.id,
        ).where(
            MemberCategory.valid_from <= month_end(first),
            (MemberCategory.valid_to.is_(None)) | (MemberCategory.valid_to >= first),
        ),
        {"person_id": pl.Int64, "category": pl.String, "valid_from": pl.Date, "id": pl.Int64},
    )
    categories = categories.sort("person_id", "valid_from", "id").unique(
        "person_id", keep="last", maintain_order=True
    )
    reference = tns_reference(session, first)
    known = tns_categories(session, first)
    incomes = pl.DataFrame(
        {
            "category": list(known),
            "base": [
                tns_income(reference.amount_centimes, c.multiple_milli, reference.income_rounding)
                for c in known.values()
            ],
        },
        schema={"category": pl.String, "base": pl.Int64},
    )
    frame = members.join(categories.select("person_id", "category"), on="person_id", how="left")
    frame = frame.join(incomes, on="category", how="left")
    missing = frame.filter(pl.col("base").is_null())
    if missing.height:
        _unpriced(
            session,
            report,
            missing["person_id"].to_list(),
            f"no TNS category in force in {first:%Y-%m} (or an unknown one)",
        )
    frame = frame.filter(pl.col("base").is_not_null())
    shared = with_shares(
        frame.select("person_id", pl.lit(MemberKind.ACTIVE.value).alias("kind"), "base"), rules
    )
    return _priced(shared, MemberKind.ACTIVE)


def _chamil(
    session: Session, rules: RulesInForce, members: pl.DataFrame, report: RunReport
) -> pl.DataFrame:
    """Each member's amount by the RSU score of their affiliation."""
    bands = chamil_bands(session, rules.month)
    amount: dict[str, int | None] = {}
    for text in members["rsu_score"].unique().to_list():
        value = score(text)
        band = chamil_band(value, bands) if value is not None else None
        amount[text] = band.amount_centimes if band is not None else None
    frame = members.with_columns(
        pl.col("rsu_score")
        .replace_strict(amount, default=None, return_dtype=pl.Int64)
        .alias("member")
    )
    missing = frame.filter(pl.col("member").is_null())
    if missing.height:
        _unpriced(
            session,
            report,
            missing["person_id"].to_list(),
            "no valid RSU score within an AMO Chamil band",
        )
    frame = frame.filter(pl.col("member").is_not_null()).with_columns(pl.lit(0).alias("base"))
    return _priced(frame, MemberKind.HOUSEHOLD)


def _tadamon(session: Session, rules: RulesInForce, report: RunReport, actor: str) -> pl.DataFrame:
    """One call to the State: a line per principal beneficiary, for them and the
    dependents linked to them on the month's first day."""
    state = accounts.of_state(session, actor)
    called = session.scalar(
        select(Call.id).where(
            Call.account_id == state.id,
            Call.regime_code == RegimeCode.TADAMON,
            Call.month == rules.month,
        )
    )
    if called is not None:
        report.already_called = 1
        return pl.DataFrame()
    principals = affiliated(session, RegimeCode.TADAMON, rules.month)
    first = rules.month
    links = _frame(
        session,
        select(DependentLink.principal_id).where(
            DependentLink.valid_from <= first,
            (DependentLink.valid_to.is_(None)) | (DependentLink.valid_to >= first),
        ),
        {"person_id": pl.Int64},
    )
    dependents = links.group_by("person_id").agg(pl.len().alias("dependents"))
    frame = principals.join(dependents, on="person_id", how="left").with_columns(
        (pl.col("dependents").fill_null(0) + 1).cast(pl.Int64).alias("persons")
    )
    flat = rules.rate(MemberKind.BENEFICIARY).flat_centimes or 0
    return frame.select(
        pl.lit(state.id, dtype=pl.Int64).alias("account_id"),
        pl.col("person_id"),
        pl.lit(MemberKind.BENEFICIARY.value).alias("kind"),
        pl.lit(None, dtype=pl.Int64).alias("days"),
        pl.col("persons"),
        pl.lit(0).alias("base"),
        pl.lit(0).alias("member"),
        (pl.col("persons") * flat).alias("employer"),
        pl.lit(0).alias("solidarity"),
        pl.lit(None, dtype=pl.Int64).alias("line_no"),
    )
