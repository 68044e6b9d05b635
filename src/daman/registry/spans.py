"""How an affiliation opens and keeps rights: stretches of rights (spans) of a principal.

A span is a stretch of rights under one affiliation: the day it opened, the last day its
conditions were met, and the maintained period after (see daman.registry.rights for the
rules). Month arithmetic runs on month indexes (months since year 0) to stay cheap when a
batch evaluates 100,000 persons.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from daman.core.dates import add_months, covers, day_before
from daman.core.i18n import Text
from daman.registry.facts import AffiliationFact, PersonFacts, Rule, rule_on


@dataclass(frozen=True)
class Span:
    """A stretch of rights under one affiliation: opened, conditions met until, then kept."""

    affiliation: AffiliationFact
    rule: Rule
    opened: date
    conditions_until: date | None  # None: conditions still met, no end known
    stopped_by_end: bool  # conditions stopped because the affiliation ended
    basis: Text | str  # how rights opened, said in the reader's language

    @property
    def rights_until(self) -> date | None:
        if self.conditions_until is None:
            return None
        return months_after(self.conditions_until, self.rule.maintain_job_loss_months)

    def rights_cover(self, on: date) -> bool:
        return covers(self.opened, self.rights_until, on)

    def conditions_cover(self, on: date) -> bool:
        return covers(self.opened, self.conditions_until, on)


@dataclass(frozen=True)
class Blocked:
    affiliation: AffiliationFact
    reason: str
    explanation: Text


def months_after(d: date, months: int) -> date:
    """Last day of the `months` months following day d (31 Mar, 6 -> 30 Sep)."""
    return day_before(add_months(d + timedelta(days=1), months))


def min_date(*dates: date | None) -> date | None:
    known = [d for d in dates if d is not None]
    return min(known) if known else None


def rsu_problem(aff: AffiliationFact, rule: Rule) -> Blocked | None:
    assert rule.rsu_max is not None
    try:
        score = Decimal(aff.rsu_score) if aff.rsu_score is not None else None
        limit = Decimal(rule.rsu_max)
    except InvalidOperation:
        score = None
        limit = Decimal(0)
    if score is None or not score.is_finite():
        return Blocked(
            aff,
            "rsu_score_missing",
            Text("%(regime)s needs an RSU score; none is valid.", regime=aff.regime_code),
        )
    if score > limit:
        return Blocked(
            aff,
            "rsu_above_threshold",
            Text(
                "RSU score %(score)s is above the %(regime)s threshold %(threshold)s.",
                score=aff.rsu_score,
                regime=aff.regime_code,
                threshold=rule.rsu_max,
            ),
        )
    return None


def principal_spans(
    facts: PersonFacts, on: date
) -> tuple[list[Span], dict[AffiliationFact, Blocked]]:
    """Every stretch of rights of a principal up to `on`, affiliation by affiliation."""
    spans: list[Span] = []
    blocked: dict[AffiliationFact, Blocked] = {}
    affiliations = sorted(
        (a for a in facts.affiliations if a.valid_from <= on), key=lambda a: a.valid_from
    )
    for aff in affiliations:
        rule = rule_on(facts.rules, aff.regime_code, on)
        if rule is None:
            blocked[aff] = Blocked(
                aff,
                "no_rights_rule",
                Text(
                    "No %(regime)s rights rule is in force on %(date)s.",
                    regime=aff.regime_code,
                    date=on,
                ),
            )
            continue
        if rule.rsu_max is not None and (problem := rsu_problem(aff, rule)):
            blocked[aff] = problem
            continue
        before = day_before(aff.valid_from)
        carried = any(s.rights_cover(before) for s in spans)
        end = min_date(aff.valid_to, facts.death_date)
        if rule.opening_days is None and not rule.needs_paid_contribution:
            basis = Text("rights carried over") if carried else Text("covered from affiliation")
            spans.append(Span(aff, rule, aff.valid_from, end, end is not None, basis))
            continue
        spans.extend(contribution_spans(facts, aff, rule, end, carried, on))
    return spans, blocked


def month_index(d: date) -> int:
    """Month index of a date (months since year 0), for cheap month arithmetic."""
    return d.year * 12 + d.month - 1


def month_of(i: int) -> date:
    return date(i // 12, i % 12 + 1, 1)


def qualifying_months(
    facts: PersonFacts, aff: AffiliationFact, rule: Rule, end: date | None, known_on: date
) -> dict[int, int]:
    """Declared days by month index, of the months within the affiliation paid by
    `known_on` (a month of the ledger paid later does not count yet on that day)."""
    first = month_index(aff.valid_from)
    last = month_index(end) if end is not None else None
    days_rule = rule.opening_days is not None
    months: dict[int, int] = {}
    for c in facts.contributions:
        if not c.paid or (days_rule and c.declared_days <= 0):
            continue
        if c.paid_on is not None and c.paid_on > known_on:
            continue
        i = month_index(c.month)
        if i < first or (last is not None and i > last):
            continue
        months[i] = months.get(i, 0) + c.declared_days
    return months


def contribution_spans(
    facts: PersonFacts,
    aff: AffiliationFact,
    rule: Rule,
    end: date | None,
    carried: bool,
    known_on: date,
) -> Iterator[Span]:
    """Spans of an affiliation whose rights hang on declared days or paid contributions,
    from the months paid by `known_on`."""
    months = qualifying_months(facts, aff, rule, end, known_on)
    opened: date | None = aff.valid_from if carried else None
    last: int | None = month_index(aff.valid_from) - 1 if carried else None  # last month met
    basis: Text | str = Text("rights carried over from the previous regime") if carried else ""
    run_first: int | None = None  # first month of the current run while not yet open
    run_last: int | None = None
    window = rule.opening_window_months or 1

    def close(opened: date, last: int, basis: Text | str) -> Span | None:
        month_end = day_before(month_of(last + 1))
        until = month_end if end is None else min(month_end, end)
        if until < day_before(opened):
            if opened != aff.valid_from or not carried:
                return None  # the affiliation ended before rights could open
            until = day_before(opened)  # carried over, nothing declared yet
        return Span(aff, rule, opened, until, end is not None and end <= month_end, basis)

    for m in sorted(months):
        if opened is not None and last is not None:
            if m == last + 1:
                last = m
                continue
            span = close(opened, last, basis)
            if span is not None:
                yield span
                if span.rights_cover(month_of(m)):  # a gap within maintained rights
                    opened, last = month_of(m), m
                    basis = Text(
                        "rights resumed with %(month)s (no new opening)", month=f"{opened:%Y-%m}"
                    )
                    continue
            opened = last = None
        if run_last is not None and m == run_last + 1:
            run_last = m
        else:
            run_first = run_last = m
        assert run_first is not None
        if rule.opening_days is not None:
            total = sum(months.get(i, 0) for i in range(m - window + 1, m + 1))
            if total >= rule.opening_days:
                opened, last = max(month_of(m + 1), aff.valid_from), m
                first = month_of(m - window + 1)
                basis = Text(
                    "%(total)s declared days in %(first)s..%(last)s, %(needed)s needed",
                    total=total,
                    first=f"{first:%Y-%m}",
                    last=f"{month_of(m):%Y-%m}",
                    needed=rule.opening_days,
                )
        elif run_first + rule.waiting_months <= run_last + 1:
            opened = max(month_of(run_first + rule.waiting_months), aff.valid_from)
            last = run_last
            first = month_of(run_first)
            basis = (
                Text(
                    "first paid contribution %(month)s and %(months)s waiting months",
                    month=f"{first:%Y-%m}",
                    months=rule.waiting_months,
                )
                if rule.waiting_months
                else Text("first paid contribution %(month)s", month=f"{first:%Y-%m}")
            )
        if opened is not None:
            run_first = run_last = None
    if opened is not None and last is not None:
        span = close(opened, last, basis)
        if span is not None:
            yield span
