"""Rights: is a person covered on a date, and why.

`evaluate(facts, on)` is a pure function of the facts of one person (and of the principal
insured they depend on) and of the RightsRule rows of the regimes involved; every number
comes from those rows, resolved at the date asked. `load_facts` loads the facts of many
persons in a fixed number of queries; `check` answers for one immatriculation.

The rules (rules.md, section 1), in the order they are applied:

* **Death.** A person is covered up to the day they die, never after (`deceased`).
* **No affiliation.** Before any affiliation and any dependent link: `no_affiliation`.
* **Principal insured.** An affiliation opens rights the way its regime's rule says:
  - *from affiliation* (the rule asks neither declared days nor a paid contribution, e.g.
    CNOPS): covered from valid_from to valid_to.
  - *declared days* (`opening_days` within `opening_window_months`, e.g. CNSS_SAL 54 in 6):
    rights open on the first day of the month after the first month M in which the paid
    declared days of months M-5..M reach 54; they stay open while months keep being
    declared; conditions stop at the end of the last declared month of an unbroken run
    (or at the affiliation's valid_to if earlier). Rights that have just opened (or were
    carried over) with no month declared since are reported as `covered_principal`, with
    the date they run to. Declarations arrive `declaration_lag_months` late (CNSS_SAL: a
    month is declared during the next): within that lag after the last declared month the
    insured is still `covered_principal`, not maintained.
  - *paid contributions* (`needs_paid_contribution`, e.g. TNS with no wait, CHAMIL with
    `waiting_months`): rights open `waiting_months` after the first month of a run of paid
    months, provided payment continued through the waiting months; conditions stop at the
    end of the last paid month of the run.
  - *paid, as known on the date*: a month of the contributions ledger counts as paid from
    the day its call was paid in full (`paid_on`), not before: rights lost for unpaid
    months come back on the day of the payment, and a date before it keeps the answer it
    had (the effect of a payment is dated). A returned direct debit makes the month
    unpaid again. The registry's own rows of declared days and paid flags (imported) have
    no such date and count on every date; for a month of a person the ledger has a line
    or an own call (TNS, AMO Chamil) about, the ledger is the source.
  - *RSU threshold* (`rsu_max`, e.g. TADAMON): the affiliation's RSU score must be at or
    below the threshold, compared as exact decimals (`rsu_above_threshold`).
* **Maintained rights.** Once rights have opened, they run `maintain_job_loss_months` after
  the conditions stop (`covered_maintained_job_loss` when the affiliation ended,
  `covered_maintained_no_contributions` when declarations or payments stopped). After
  that: `affiliation_ended` or `contributions_unpaid`. A gap shorter than the maintenance
  does not need a new opening: rights resume with the next declared or paid month.
* **ALD.** A patient with an ALD exemption in force on the date keeps rights after the
  conditions stop, if rights had opened and the rule says `ald_keeps_rights`
  (`covered_ald_maintained`). For a dependent, the patient's own exemption counts.
* **Regime change.** A new affiliation starting while the person still has rights under
  an earlier one (open or maintained on the day before) opens at once, with no waiting
  period and no opening days (rights carried over).
* **Dependents.** A dependent link covering the date, to a principal covered that date
  (`principal_not_covered` otherwise): a spouse; a child under `child_max_age`; a child
  under `student_max_age` with a student proof covering the date; a disabled child at any
  age; otherwise `dependent_child_over_age`, naming the birthday that ended rights.
  A divorced spouse keeps rights `maintain_divorce_months` after a link ended for divorce
  (`covered_maintained_divorce`); a surviving spouse or child keeps them
  `maintain_survivor_months` after the principal's death (`covered_maintained_survivor`),
  in both cases if the principal was covered on the day the link ended or they died.
  Marital status is not recorded: a child's link is ended when they marry.
* **Rule in force.** The RightsRule row of the regime covering the date asked applies
  (`no_rights_rule` when none does). "N months after day D" ends the day before the same
  day N months after D + 1 (31 March + 6 months: 30 September).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from daman.core.dates import add_months, covers, day_before, month_start
from daman.core.enums import LinkEndReason, Relationship
from daman.core.errors import NotFound
from daman.core.i18n import N_, Text
from daman.registry.facts import (
    AffiliationFact,
    ContributionFact,
    LinkFact,
    Period,
    PersonFacts,
    Rule,
    load_facts,
    load_facts_of,
    load_rules,
    rule_on,
)
from daman.registry.spans import (
    Span,
    min_date,
    month_index,
    month_of,
    months_after,
    principal_spans,
    qualifying_months,
)

# The reasons, each with its meaning (messages of the catalogue of texts, daman.core.i18n).
REASONS: dict[str, str] = {
    "covered_principal": N_("covered as principal insured"),
    "covered_dependent": N_("covered as dependent of a covered principal"),
    "covered_maintained_job_loss": N_("affiliation ended; rights maintained for a period"),
    "covered_maintained_no_contributions": N_(
        "declarations or payments stopped; rights maintained"
    ),
    "covered_maintained_divorce": N_("divorced spouse; rights maintained for a period"),
    "covered_maintained_survivor": N_("surviving spouse or child; rights maintained for a period"),
    "covered_ald_maintained": N_("rights kept by an ALD exemption in force"),
    "deceased": N_("the person died before the date"),
    "no_affiliation": N_("no affiliation or dependent link covers the date"),
    "no_rights_rule": N_("no rights rule of the regime is in force on the date"),
    "rights_not_open": N_("the opening conditions (declared days) are not met yet"),
    "waiting_period": N_("the waiting period after the first paid contribution is running"),
    "contributions_unpaid": N_("no paid contribution or declaration keeps rights open"),
    "affiliation_ended": N_("the affiliation ended and maintained rights have run out"),
    "rsu_above_threshold": N_("the RSU score is above the regime's threshold"),
    "rsu_score_missing": N_("the regime needs an RSU score and none valid is recorded"),
    "principal_not_covered": N_("the principal insured is not covered on the date"),
    "dependent_link_ended": N_("the dependent link ended before the date"),
    "dependent_child_over_age": N_("the child is past the age limit"),
    "survivor_rights_ended": N_("maintained rights after the principal's death have run out"),
}


@dataclass(frozen=True)
class Eligibility:
    covered: bool
    reason: str
    explanation: Text  # the sentence why, said in the reader's language: .render(lang)
    regime_code: str | None = None
    as_dependent: bool = False
    principal_id: int | None = None
    mutual_code: str | None = None
    rights_until: date | None = None


# ---------------------------------------------------------------------------------------
# Evaluation (pure)


def evaluate(facts: PersonFacts, on: date) -> Eligibility:
    """Whether the person is covered on `on`, with a stable reason and a sentence why."""
    if facts.death_date is not None and on > facts.death_date:
        return _died(facts.death_date)
    own = _as_principal(facts, on, facts.ald_exemptions) if facts.affiliations else None
    if own is not None and own.covered:
        return own
    dependent = _as_dependent(facts, on) if facts.links else None
    if dependent is not None and dependent.covered:
        return dependent
    if dependent is not None and (own is None or own.reason == "no_affiliation"):
        return dependent
    if own is not None:
        return own
    return Eligibility(
        False, "no_affiliation", Text("No affiliation and no dependent link recorded.")
    )


def _died(death: date) -> Eligibility:
    return Eligibility(False, "deceased", Text("Died on %(date)s; not covered after.", date=death))


def birthday(birth: date, years: int) -> date:
    """The day a person reaches `years` (29 Feb births age on 1 Mar in common years)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return date(birth.year + years, 3, 1)


def _covered_principal(
    facts: PersonFacts, span: Span, on: date, ald: Sequence[Period]
) -> Eligibility:
    aff = span.affiliation
    until = span.rights_until
    exemption = _ald_in_force(ald, span.rule, on)
    if exemption is not None and until is not None:
        until = None if exemption.valid_to is None else max(until, exemption.valid_to)
    fresh = span.conditions_until is not None and span.conditions_until < span.opened
    since = {"regime": aff.regime_code, "since": span.opened, "basis": span.basis}
    if span.conditions_cover(on) or (fresh and not span.stopped_by_end):
        if fresh:
            why = Text(
                "Covered as principal insured under %(regime)s since %(since)s (%(basis)s); "
                "no month declared or paid since, rights run until %(until)s.",
                **since,
                until=span.rights_until,
            )
        elif span.conditions_until:
            why = Text(
                "Covered as principal insured under %(regime)s since %(since)s (%(basis)s); "
                "conditions met until %(until)s.",
                **since,
                until=span.conditions_until,
            )
        else:
            why = Text(
                "Covered as principal insured under %(regime)s since %(since)s (%(basis)s).",
                **since,
            )
        return Eligibility(
            True,
            "covered_principal",
            why,
            aff.regime_code,
            mutual_code=aff.mutual_code,
            rights_until=until,
        )
    lag = span.rule.declaration_lag_months
    if (
        lag
        and not span.stopped_by_end
        and span.conditions_until is not None
        and on <= months_after(span.conditions_until, lag)
    ):
        due = months_after(span.conditions_until, lag) + timedelta(days=1)
        return Eligibility(
            True,
            "covered_principal",
            Text(
                "Covered as principal insured under %(regime)s since %(since)s (%(basis)s); "
                "declared until %(declared)s, the next month's declaration is not due before "
                "%(due)s (declared %(lag)s month(s) later).",
                **since,
                declared=span.conditions_until,
                due=due,
                lag=lag,
            ),
            aff.regime_code,
            mutual_code=aff.mutual_code,
            rights_until=until,
        )
    if span.stopped_by_end:
        reason = "covered_maintained_job_loss"
        cause = (
            Text(
                "the affiliation ended on %(date)s (%(end_reason)s)",
                date=span.conditions_until,
                end_reason=aff.end_reason,
            )
            if aff.end_reason
            else Text("the affiliation ended on %(date)s", date=span.conditions_until)
        )
    else:
        reason = "covered_maintained_no_contributions"
        cause = Text(
            "the last declared or paid month ended on %(date)s", date=span.conditions_until
        )
    return Eligibility(
        True,
        reason,
        Text(
            "Rights under %(regime)s since %(since)s (%(basis)s) maintained until %(until)s: "
            "%(cause)s.",
            **since,
            until=span.rights_until,
            cause=cause,
        ),
        aff.regime_code,
        mutual_code=aff.mutual_code,
        rights_until=until,
    )


def _ald_in_force(ald: Sequence[Period], rule: Rule, on: date) -> Period | None:
    """The ALD exemptions in force on `on` that keep rights under the rule, merged."""
    active = [p for p in ald if covers(p.valid_from, p.valid_to, on)]
    if not active or not rule.ald_keeps_rights:
        return None
    ends = [p.valid_to for p in active]
    last = None if None in ends else max(d for d in ends if d is not None)
    return Period(min(p.valid_from for p in active), last)


def _as_principal(facts: PersonFacts, on: date, ald: Sequence[Period]) -> Eligibility:
    started = [a for a in facts.affiliations if a.valid_from <= on]
    if not started:
        first = min(a.valid_from for a in facts.affiliations)
        return Eligibility(
            False,
            "no_affiliation",
            Text(
                "No affiliation on %(date)s; the first starts on %(first)s.", date=on, first=first
            ),
        )
    if facts.death_date is not None and on > facts.death_date:
        return _died(facts.death_date)
    spans, blocked = principal_spans(facts, on)
    covering = [s for s in spans if s.rights_cover(on)]
    if covering:
        best = max(covering, key=lambda s: (s.conditions_cover(on), s.opened))
        return _covered_principal(facts, best, on, ald)
    opened = [s for s in spans if s.opened <= on]
    if opened:
        last = max(opened, key=lambda s: s.opened)
        exemption = _ald_in_force(ald, last.rule, on)
        if exemption is not None:
            aff = last.affiliation
            stopped = {"regime": aff.regime_code, "date": last.conditions_until}
            return Eligibility(
                True,
                "covered_ald_maintained",
                Text(
                    "Conditions under %(regime)s stopped on %(date)s; rights kept by the ALD "
                    "exemption in force until %(until)s.",
                    **stopped,
                    until=exemption.valid_to,
                )
                if exemption.valid_to
                else Text(
                    "Conditions under %(regime)s stopped on %(date)s; rights kept by the ALD "
                    "exemption in force.",
                    **stopped,
                ),
                aff.regime_code,
                mutual_code=aff.mutual_code,
                rights_until=exemption.valid_to,
            )
    aff = max(started, key=lambda a: a.valid_from)
    if aff in blocked:
        b = blocked[aff]
        return Eligibility(
            False, b.reason, b.explanation, aff.regime_code, mutual_code=aff.mutual_code
        )
    mine = [s for s in opened if s.affiliation is aff]
    if mine:
        last = max(mine, key=lambda s: s.opened)
        ended = {"ended": last.conditions_until, "until": last.rights_until}
        if last.stopped_by_end:
            reason = "affiliation_ended"
            why = Text(
                "The affiliation ended on %(ended)s; maintained rights ran until %(until)s.",
                **ended,
            )
        else:
            reason = "contributions_unpaid"
            why = Text(
                "No declared or paid month after the one ending %(ended)s; maintained rights "
                "ran until %(until)s.",
                **ended,
            )
        return Eligibility(
            False,
            reason,
            why,
            aff.regime_code,
            mutual_code=aff.mutual_code,
        )
    return _pending(facts, aff, spans, on)


def _pending(facts: PersonFacts, aff: AffiliationFact, spans: list[Span], on: date) -> Eligibility:
    """Why rights have not opened yet under the affiliation."""
    rule = rule_on(facts.rules, aff.regime_code, on)
    assert rule is not None
    later = [s.opened for s in spans if s.affiliation is aff and s.opened > on]
    months = qualifying_months(facts, aff, rule, min_date(aff.valid_to, on), on)
    if rule.opening_days is not None:
        window = rule.opening_window_months or 1
        start = add_months(month_start(on), 1 - window)
        total = sum(months.get(i, 0) for i in range(month_index(start), month_index(on) + 1))
        return Eligibility(
            False,
            "rights_not_open",
            _opens(
                Text(
                    "%(total)s paid declared days in %(start)s..%(end)s (registered "
                    "%(registered)s); rights open the month after %(days)s days are reached "
                    "within %(window)s months.",
                    total=total,
                    start=f"{start:%Y-%m}",
                    end=f"{on:%Y-%m}",
                    registered=aff.valid_from,
                    days=rule.opening_days,
                    window=window,
                ),
                later,
            ),
            aff.regime_code,
            mutual_code=aff.mutual_code,
        )
    paid = sorted(month_of(m) for m in months if m <= month_index(on))
    if not paid:
        return Eligibility(
            False,
            "contributions_unpaid",
            _opens(
                Text(
                    "No paid contribution between registration on %(registered)s and %(date)s.",
                    registered=aff.valid_from,
                    date=on,
                ),
                later,
            ),
            aff.regime_code,
            mutual_code=aff.mutual_code,
        )
    return Eligibility(
        False,
        "waiting_period",
        _opens(
            Text(
                "Paid contributions since %(first)s; rights open after %(months)s months of "
                "paid contributions.",
                first=f"{paid[0]:%Y-%m}",
                months=rule.waiting_months,
            ),
            later,
        ),
        aff.regime_code,
        mutual_code=aff.mutual_code,
    )


def _opens(why: Text, later: list[date]) -> Text:
    """Why rights are not open yet, and the day they open when it is known."""
    if not later:
        return why
    return Text("%(why)s Rights open on %(date)s.", why=why, date=min(later))


def _age_check(
    facts: PersonFacts, link: LinkFact, rule: Rule, on: date
) -> tuple[bool, Text, date | None]:
    """Whether the dependent's relationship and age allow cover on `on`; why; until when."""
    if link.relationship != Relationship.CHILD:
        return True, Text("spouse"), None
    adult = birthday(facts.birth_date, rule.child_max_age)
    if on < adult:
        return True, Text("child under %(age)s", age=rule.child_max_age), day_before(adult)
    if facts.disabled:
        return True, Text("disabled child, covered at any age"), None
    limit = birthday(facts.birth_date, rule.student_max_age)
    if on >= limit:
        return (
            False,
            Text(
                "Turned %(age)s on %(date)s; not covered as a child after.",
                age=rule.student_max_age,
                date=limit,
            ),
            None,
        )
    proofs = [p for p in facts.student_proofs if covers(p.valid_from, p.valid_to, on)]
    if proofs:
        ends = [p.valid_to for p in proofs]
        proof_end = None if None in ends else max(d for d in ends if d is not None)
        return (
            True,
            Text(
                "student aged %(age)s-%(max_age)s",
                age=rule.child_max_age,
                max_age=rule.student_max_age,
            ),
            min_date(proof_end, day_before(limit)),
        )
    return (
        False,
        Text(
            "Turned %(age)s on %(date)s and no student proof covers %(on)s.",
            age=rule.child_max_age,
            date=adult,
            on=on,
        ),
        None,
    )


def _as_dependent(facts: PersonFacts, on: date) -> Eligibility:
    links = sorted(facts.links, key=lambda link: link.valid_from, reverse=True)
    started = [link for link in links if link.valid_from <= on]
    if not started:
        return Eligibility(
            False,
            "no_affiliation",
            Text(
                "No dependent link on %(date)s; the first starts on %(first)s.",
                date=on,
                first=links[-1].valid_from,
            ),
        )
    link = started[0]
    principal = facts.principals.get(link.principal_id)
    if principal is None:
        return Eligibility(
            False,
            "principal_not_covered",
            Text("The principal insured is unknown."),
            as_dependent=True,
        )
    death = principal.death_date
    if death is not None and death < on and covers(link.valid_from, link.valid_to, death):
        return _kept(facts, link, principal, death, on, "survivor")
    if covers(link.valid_from, link.valid_to, on):
        return _dependent_of(facts, link, principal, on, on)
    assert link.valid_to is not None
    if link.end_reason == LinkEndReason.DIVORCE and link.relationship == Relationship.SPOUSE:
        return _kept(facts, link, principal, link.valid_to, on, "divorce")
    ended = {"principal": principal.immatriculation, "date": link.valid_to}
    return Eligibility(
        False,
        "dependent_link_ended",
        Text(
            "The link to %(principal)s ended on %(date)s (%(end_reason)s).",
            **ended,
            end_reason=link.end_reason,
        )
        if link.end_reason
        else Text("The link to %(principal)s ended on %(date)s.", **ended),
        _regime_on(principal, link.valid_to),
        True,
        link.principal_id,
    )


def _dependent_of(
    facts: PersonFacts,
    link: LinkFact,
    principal: PersonFacts,
    at: date,
    on: date,
    kept: tuple[str, Text, date] | None = None,
) -> Eligibility:
    """Cover on `on` through the principal's rights on `at`; `kept` = (reason, sentence,
    until) when rights are maintained after the link ended or the principal died."""
    p = _as_principal(principal, at, facts.ald_exemptions)
    if not p.covered:
        return Eligibility(
            False,
            "principal_not_covered",
            Text(
                "Principal %(principal)s not covered on %(date)s: %(why)s",
                principal=principal.immatriculation,
                date=at,
                why=p.explanation,
            ),
            p.regime_code,
            True,
            link.principal_id,
            p.mutual_code,
        )
    assert p.regime_code is not None
    rule = rule_on(principal.rules, p.regime_code, on) or rule_on(
        principal.rules, p.regime_code, at
    )
    assert rule is not None  # the principal is covered under a rule in force on `at`
    ok, why, age_until = _age_check(facts, link, rule, on)
    if not ok:
        return Eligibility(
            False,
            "dependent_child_over_age",
            why,
            p.regime_code,
            True,
            link.principal_id,
            p.mutual_code,
        )
    if kept is not None:
        reason, sentence, until = kept
        return Eligibility(
            True,
            reason,
            Text("%(kept)s (%(why)s).", kept=sentence, why=why),
            p.regime_code,
            True,
            link.principal_id,
            p.mutual_code,
            min_date(age_until, until),
        )
    # when the principal's own rights are maintained, so are the dependent's, for that reason
    reason = "covered_dependent" if p.reason == "covered_principal" else p.reason
    return Eligibility(
        True,
        reason,
        Text(
            "Covered as dependent (%(why)s) of %(principal)s: %(explanation)s",
            why=why,
            principal=principal.immatriculation,
            explanation=p.explanation,
        ),
        p.regime_code,
        True,
        link.principal_id,
        p.mutual_code,
        min_date(p.rights_until, age_until, link.valid_to),
    )


def _kept(
    facts: PersonFacts, link: LinkFact, principal: PersonFacts, at: date, on: date, why: str
) -> Eligibility:
    """Rights kept after the principal's death (survivor) or a divorce, counted from `at`."""
    regime = _regime_on(principal, at)
    rule = rule_on(principal.rules, regime or "", at)
    if why == "survivor":
        months = rule.maintain_survivor_months if rule else 0
        until = months_after(at, months)
        values = {"principal": principal.immatriculation, "date": at, "until": until}
        ran_out = Text(
            "Principal %(principal)s died on %(date)s; survivor rights were maintained until "
            "%(until)s.",
            **values,
        )
        maintained = Text(
            "Principal %(principal)s died on %(date)s; survivor rights maintained until %(until)s",
            **values,
        )
        reason, lapsed = "covered_maintained_survivor", "survivor_rights_ended"
    else:
        months = rule.maintain_divorce_months if rule else 0
        until = months_after(at, months)
        values = {"principal": principal.immatriculation, "date": at, "until": until}
        ran_out = Text(
            "Divorced from %(principal)s on %(date)s; rights were maintained until %(until)s.",
            **values,
        )
        maintained = Text(
            "Divorced from %(principal)s on %(date)s; rights maintained until %(until)s",
            **values,
        )
        reason, lapsed = "covered_maintained_divorce", "dependent_link_ended"
    if on > until:
        return Eligibility(False, lapsed, ran_out, regime, True, link.principal_id)
    return _dependent_of(facts, link, principal, at, on, (reason, maintained, until))


def _regime_on(facts: PersonFacts, on: date) -> str | None:
    started = [a for a in facts.affiliations if a.valid_from <= on]
    return max(started, key=lambda a: a.valid_from).regime_code if started else None


def evaluate_many(
    session: Session, pairs: Iterable[tuple[int, date]]
) -> dict[tuple[int, date], Eligibility]:
    """Eligibility of many (person id, date) pairs; unknown persons are left out."""
    wanted = list(pairs)
    facts = load_facts(session, (pid for pid, _ in wanted))
    return {(pid, on): evaluate(facts[pid], on) for pid, on in set(wanted) if pid in facts}


def check(session: Session, immatriculation: str, on: date) -> Eligibility:
    """Eligibility of one person, by immatriculation (NotFound when unknown)."""
    facts = load_facts_of(session, immatriculation)
    if facts is None:
        raise NotFound(f"no person with immatriculation {immatriculation}", code="person_not_found")
    return evaluate(facts, on)


__all__ = [
    "REASONS",
    "AffiliationFact",
    "ContributionFact",
    "Eligibility",
    "LinkFact",
    "Period",
    "PersonFacts",
    "Rule",
    "check",
    "evaluate",
    "evaluate_many",
    "load_facts",
    "load_rules",
]
