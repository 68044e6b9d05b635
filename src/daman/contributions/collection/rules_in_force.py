"""The contribution rules in force for a regime and month, read once from the reference
tables (daman.reference.contribution_rules) for a whole run or declaration."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from daman.contributions.collection.errors import NoRuleInForce
from daman.contributions.ledger.rules import due_date
from daman.core.dates import in_force_on
from daman.reference.contribution_rules import (
    ChamilBand,
    CollectionRule,
    ContributionRate,
    MemberKind,
    TnsCategory,
    TnsReferenceIncome,
)


@dataclass
class RulesInForce:
    regime: str
    month: date
    collection: CollectionRule
    rates: dict[MemberKind, ContributionRate] = field(default_factory=dict)

    @property
    def due(self) -> date:
        return due_date(self.month, self.collection)

    @property
    def rounding(self) -> str:
        return self.collection.rounding.value

    def rate(self, kind: MemberKind) -> ContributionRate:
        row = self.rates.get(kind)
        if row is None:
            raise NoRuleInForce(
                f"no {self.regime} contribution rate for {kind.value} members in force on "
                f"{self.month}",
            )
        return row


def rules_in_force(session: Session, regime: str, month: date) -> RulesInForce:
    """The collection rule and the rates by kind of member in force on the month's first
    day; NoRuleInForce when the regime has no collection rule then."""
    month = month.replace(day=1)
    collection = in_force_on(
        session.scalars(select(CollectionRule).where(CollectionRule.regime_code == regime)),
        month,
    )
    if collection is None:
        raise NoRuleInForce(f"no {regime} collection rule (due date) in force on {month}")
    found = RulesInForce(regime, month, collection)
    rows = session.scalars(select(ContributionRate).where(ContributionRate.regime_code == regime))
    by_kind: dict[MemberKind, list[ContributionRate]] = {}
    for row in rows:
        by_kind.setdefault(row.member_kind, []).append(row)
    for kind, candidates in by_kind.items():
        rate = in_force_on(candidates, month)
        if rate is not None:
            found.rates[kind] = rate
    return found


def tns_reference(session: Session, month: date) -> TnsReferenceIncome:
    row = in_force_on(session.scalars(select(TnsReferenceIncome)), month.replace(day=1))
    if row is None:
        raise NoRuleInForce(f"no TNS reference income in force on {month:%Y-%m}")
    return row


def tns_categories(session: Session, month: date) -> dict[str, TnsCategory]:
    """The categories in force on the month's first day, by code."""
    by_code: dict[str, list[TnsCategory]] = {}
    for row in session.scalars(select(TnsCategory)):
        by_code.setdefault(row.code, []).append(row)
    out = {}
    for code, rows in by_code.items():
        category = in_force_on(rows, month.replace(day=1))
        if category is not None:
            out[code] = category
    return out


def chamil_bands(session: Session, month: date) -> list[ChamilBand]:
    """The bands in force on the month's first day (a new score counts from the next
    month: the affiliation read is the one in force on that day)."""
    first = month.replace(day=1)
    return [
        b
        for b in session.scalars(select(ChamilBand).order_by(ChamilBand.id))
        if b.valid_from <= first and (b.valid_to is None or first <= b.valid_to)
    ]
