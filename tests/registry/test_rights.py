"""Rights rules with worked dates: `evaluate` is pure, so these build facts by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from daman.registry.rights import (
    AffiliationFact,
    ContributionFact,
    LinkFact,
    Period,
    PersonFacts,
    Rule,
    evaluate,
    months_after,
)

D = date
START = D(2005, 9, 18)
RULES = {
    "CNOPS": (Rule("CNOPS", START),),
    "CNSS_SAL": (Rule("CNSS_SAL", START, opening_days=54, opening_window_months=6),),
    "TNS": (Rule("TNS", START, needs_paid_contribution=True),),
    "TADAMON": (Rule("TADAMON", START, rsu_max="9.3264284"),),
    "CHAMIL": (Rule("CHAMIL", START, needs_paid_contribution=True, waiting_months=3),),
}


def facts(pid: int = 1, birth: date = D(1980, 1, 1), **kw: object) -> PersonFacts:
    kw.setdefault("rules", RULES)
    return PersonFacts(pid, f"DM{pid:010d}", birth, **kw)  # type: ignore[arg-type]


def aff(regime: str, start: date, end: date | None = None, reason: str | None = None, **kw):
    return AffiliationFact(regime, start, end, reason, **kw)


def months(first: date, n: int, days: int = 26, paid: bool = True) -> tuple[ContributionFact, ...]:
    out = []
    y, m = first.year, first.month
    for _ in range(n):
        out.append(ContributionFact(D(y, m, 1), days, paid))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(out)


def cnss_worker(**kw: object) -> PersonFacts:
    """Registered 2024-01-10; 10 + 20 + 23 = 53 days to March, 54 reached in April."""
    contributions = (
        ContributionFact(D(2024, 1, 1), 10),
        ContributionFact(D(2024, 2, 1), 20),
        ContributionFact(D(2024, 3, 1), 23),
        ContributionFact(D(2024, 4, 1), 1),
        *months(D(2024, 5, 1), 2),
    )
    kw.setdefault("affiliations", (aff("CNSS_SAL", D(2024, 1, 10)),))
    kw.setdefault("contributions", contributions)
    return facts(**kw)


# -- principals ------------------------------------------------------------------------


def test_cnops_covered_from_affiliation():
    f = facts(affiliations=(aff("CNOPS", D(2021, 3, 1), mutual_code="MGPAP"),))
    assert evaluate(f, D(2021, 2, 28)).reason == "no_affiliation"
    e = evaluate(f, D(2021, 3, 1))
    assert (e.covered, e.reason, e.regime_code, e.mutual_code) == (
        True,
        "covered_principal",
        "CNOPS",
        "MGPAP",
    )
    assert "2021-03-01" in e.explanation.render("en")
    assert e.rights_until is None and not e.as_dependent


def test_cnss_opening_first_day_of_month_after_54_days():
    f = cnss_worker()
    before = evaluate(f, D(2024, 4, 30))
    assert (before.covered, before.reason) == (False, "rights_not_open")
    assert "54" in before.explanation.render("en") and "2024-05-01" in before.explanation.render(
        "en"
    )
    first = evaluate(f, D(2024, 5, 1))
    assert (first.covered, first.reason, first.regime_code) == (
        True,
        "covered_principal",
        "CNSS_SAL",
    )
    assert "54 declared days in 2023-11..2024-04" in first.explanation.render("en")
    # declared through June: conditions until 30 June, then 6 months maintained
    assert first.rights_until == D(2024, 12, 31)


def test_cnss_days_outside_the_window_do_not_count():
    f = cnss_worker(
        contributions=(ContributionFact(D(2024, 1, 1), 50), ContributionFact(D(2024, 7, 1), 10))
    )
    e = evaluate(f, D(2024, 8, 15))
    assert (e.covered, e.reason) == (False, "rights_not_open")
    assert "10 paid declared days in 2024-03..2024-08" in e.explanation.render("en")


def test_cnss_unpaid_declarations_do_not_open_rights():
    f = cnss_worker(contributions=months(D(2024, 1, 1), 4, paid=False))
    assert evaluate(f, D(2024, 6, 1)).reason == "rights_not_open"


def test_cnss_declarations_stop_then_maintained_then_unpaid():
    f = cnss_worker()  # last declared month: June 2024
    assert evaluate(f, D(2024, 6, 30)).reason == "covered_principal"
    kept = evaluate(f, D(2024, 7, 1))
    assert (kept.covered, kept.reason) == (True, "covered_maintained_no_contributions")
    assert evaluate(f, D(2024, 12, 31)).covered
    lapsed = evaluate(f, D(2025, 1, 1))
    assert (lapsed.covered, lapsed.reason) == (False, "contributions_unpaid")
    assert "2024-12-31" in lapsed.explanation.render("en")


def test_an_employee_declared_to_last_month_reads_covered_principal_mid_month():
    """Employers declare a month during the next one (declaration lag 1, the default data):
    checked on 15 July with every month declared up to June, a normal employee is covered
    as principal, not maintained; once July's declaration is overdue (August), maintained."""
    lagged = {"CNSS_SAL": (replace(RULES["CNSS_SAL"][0], declaration_lag_months=1),)}
    f = cnss_worker(rules=lagged)  # last declared month: June 2024
    mid = evaluate(f, D(2024, 7, 15))
    assert (mid.covered, mid.reason) == (True, "covered_principal")
    assert "not due before 2024-08-01" in mid.explanation.render("en")
    assert mid.rights_until == D(2024, 12, 31)  # maintenance still counts from June
    late = evaluate(f, D(2024, 8, 1))
    assert late.reason == "covered_maintained_no_contributions"
    ended = cnss_worker(
        rules=lagged, affiliations=(aff("CNSS_SAL", D(2024, 1, 10), D(2024, 6, 30)),)
    )
    assert evaluate(ended, D(2024, 7, 15)).reason == "covered_maintained_job_loss"


def test_cnss_gap_within_maintenance_resumes_without_new_opening():
    base = cnss_worker().contributions
    f = cnss_worker(contributions=(*base, ContributionFact(D(2024, 10, 1), 5)))
    e = evaluate(f, D(2024, 10, 20))
    assert (e.covered, e.reason) == (True, "covered_principal")
    assert e.rights_until == D(2025, 4, 30)


def test_job_loss_maintained_six_months():
    f = cnss_worker(affiliations=(aff("CNSS_SAL", D(2024, 1, 10), D(2024, 6, 15), "job_loss"),))
    assert evaluate(f, D(2024, 6, 15)).reason == "covered_principal"
    last = evaluate(f, D(2024, 12, 15))
    assert (last.covered, last.reason, last.rights_until) == (
        True,
        "covered_maintained_job_loss",
        D(2024, 12, 15),
    )
    assert "2024-06-15 (job_loss)" in last.explanation.render("en")
    after = evaluate(f, D(2024, 12, 16))
    assert (after.covered, after.reason) == (False, "affiliation_ended")


def test_maintenance_months_come_from_the_rule_in_force():
    longer = {**RULES, "CNSS_SAL": (replace(RULES["CNSS_SAL"][0], maintain_job_loss_months=9),)}
    f = cnss_worker(
        affiliations=(aff("CNSS_SAL", D(2024, 1, 10), D(2024, 6, 15), "job_loss"),), rules=longer
    )
    assert evaluate(f, D(2025, 3, 15)).covered
    assert not evaluate(f, D(2025, 3, 16)).covered


def test_opening_days_come_from_the_rule():
    lower = {**RULES, "CNSS_SAL": (replace(RULES["CNSS_SAL"][0], opening_days=30),)}
    f = cnss_worker(rules=lower)  # 30 days reached in February
    assert evaluate(f, D(2024, 3, 1)).covered
    assert not evaluate(f, D(2024, 2, 29)).covered


def test_no_rule_in_force():
    f = facts(affiliations=(aff("CNOPS", D(2001, 1, 1)),))
    e = evaluate(f, D(2004, 1, 1))
    assert (e.covered, e.reason) == (False, "no_rights_rule")


def test_ald_keeps_rights_after_maintenance():
    ended = (aff("CNSS_SAL", D(2024, 1, 10), D(2024, 6, 15), "job_loss"),)
    ald = (Period(D(2024, 3, 1), D(2026, 2, 28)),)
    f = cnss_worker(affiliations=ended, ald_exemptions=ald)
    e = evaluate(f, D(2025, 3, 1))
    assert (e.covered, e.reason, e.rights_until) == (True, "covered_ald_maintained", D(2026, 2, 28))
    assert not evaluate(f, D(2026, 3, 1)).covered
    assert evaluate(cnss_worker(affiliations=ended), D(2025, 3, 1)).reason == "affiliation_ended"


def test_ald_does_not_open_rights_that_never_opened():
    f = cnss_worker(
        contributions=(ContributionFact(D(2024, 1, 1), 10),),
        ald_exemptions=(Period(D(2024, 1, 1), None),),
    )
    assert evaluate(f, D(2024, 6, 1)).reason == "rights_not_open"


def test_ald_can_be_switched_off_by_the_rule():
    no_ald = {**RULES, "CNSS_SAL": (replace(RULES["CNSS_SAL"][0], ald_keeps_rights=False),)}
    f = cnss_worker(
        affiliations=(aff("CNSS_SAL", D(2024, 1, 10), D(2024, 6, 15), "job_loss"),),
        ald_exemptions=(Period(D(2024, 3, 1), None),),
        rules=no_ald,
    )
    assert evaluate(f, D(2025, 3, 1)).reason == "affiliation_ended"


@pytest.mark.parametrize(
    ("score", "covered", "reason"),
    [
        ("9.3264284", True, "covered_principal"),
        ("9.3264283", True, "covered_principal"),
        ("9.3264285", False, "rsu_above_threshold"),
        ("12", False, "rsu_above_threshold"),
        (None, False, "rsu_score_missing"),
    ],
)
def test_tadamon_rsu_threshold(score, covered, reason):
    f = facts(affiliations=(aff("TADAMON", D(2023, 12, 1), rsu_score=score),))
    e = evaluate(f, D(2024, 1, 5))
    assert (e.covered, e.reason) == (covered, reason)
    if reason == "rsu_above_threshold":
        assert "9.3264284" in e.explanation.render("en")


def test_tns_paid_months_no_waiting():
    f = facts(affiliations=(aff("TNS", D(2024, 1, 1)),), contributions=months(D(2024, 1, 1), 3, 0))
    assert evaluate(f, D(2024, 1, 1)).reason == "covered_principal"
    assert evaluate(f, D(2024, 9, 30)).reason == "covered_maintained_no_contributions"
    assert evaluate(f, D(2024, 10, 1)).reason == "contributions_unpaid"
    unpaid = facts(affiliations=(aff("TNS", D(2024, 1, 1)),))
    assert evaluate(unpaid, D(2024, 2, 1)).reason == "contributions_unpaid"


def test_chamil_waiting_period():
    f = facts(
        affiliations=(aff("CHAMIL", D(2024, 1, 5), rsu_score="12.5"),),
        contributions=months(D(2024, 1, 1), 5, 0),
    )
    waiting = evaluate(f, D(2024, 3, 31))
    assert (waiting.covered, waiting.reason) == (False, "waiting_period")
    assert "2024-04-01" in waiting.explanation.render("en")
    assert evaluate(f, D(2024, 4, 1)).reason == "covered_principal"


def test_chamil_payment_stopped_during_waiting_never_opens():
    f = facts(
        affiliations=(aff("CHAMIL", D(2024, 1, 5)),), contributions=months(D(2024, 1, 1), 2, 0)
    )
    assert not evaluate(f, D(2024, 4, 15)).covered


def test_regime_change_carries_rights_without_waiting():
    f = facts(
        affiliations=(
            aff("CNOPS", D(2015, 1, 1), D(2024, 3, 31), "regime_change", mutual_code="MGPAP"),
            aff("CNSS_SAL", D(2024, 4, 1)),
        ),
        contributions=(ContributionFact(D(2024, 4, 1), 10),),
    )
    e = evaluate(f, D(2024, 4, 1))
    assert (e.covered, e.reason, e.regime_code, e.mutual_code) == (
        True,
        "covered_principal",
        "CNSS_SAL",
        None,
    )
    assert "carried over" in e.explanation.render("en")


def test_regime_change_after_rights_lapsed_waits():
    f = facts(
        affiliations=(
            aff("CNOPS", D(2015, 1, 1), D(2020, 3, 31), "other"),
            aff("CNSS_SAL", D(2024, 4, 1)),
        ),
        contributions=(ContributionFact(D(2024, 4, 1), 10),),
    )
    assert evaluate(f, D(2024, 4, 1)).reason == "rights_not_open"


def test_death():
    f = facts(affiliations=(aff("CNOPS", D(2015, 1, 1)),), death_date=D(2024, 2, 10))
    assert evaluate(f, D(2024, 2, 10)).covered
    e = evaluate(f, D(2024, 2, 11))
    assert (e.covered, e.reason) == (False, "deceased")


def test_no_affiliation():
    f = facts()
    assert evaluate(f, D(2024, 1, 1)).reason == "no_affiliation"
    future = facts(affiliations=(aff("CNOPS", D(2025, 1, 1)),))
    e = evaluate(future, D(2024, 1, 1))
    assert e.reason == "no_affiliation" and "2025-01-01" in e.explanation.render("en")


# -- dependents ------------------------------------------------------------------------

PRINCIPAL = facts(
    100,
    affiliations=(aff("CNOPS", D(2010, 1, 1), mutual_code="OMFAM"),),
)


def dep(
    birth: date,
    relationship: str = "child",
    principal: PersonFacts = PRINCIPAL,
    start: date = D(2010, 1, 1),
    end: date | None = None,
    reason: str | None = None,
    **kw: object,
) -> PersonFacts:
    link = LinkFact(principal.person_id, relationship, start, end, reason)
    return facts(2, birth, links=(link,), principals={principal.person_id: principal}, **kw)


def test_spouse_and_child_covered_as_dependents():
    e = evaluate(dep(D(1982, 5, 5), "spouse"), D(2024, 1, 1))
    assert (e.covered, e.reason, e.as_dependent, e.principal_id) == (
        True,
        "covered_dependent",
        True,
        100,
    )
    assert (e.regime_code, e.mutual_code) == ("CNOPS", "OMFAM")


def test_the_explanation_is_said_in_the_reader_s_language_every_part_of_it():
    e = evaluate(dep(D(1982, 5, 5), "spouse"), D(2024, 1, 1))
    assert e.explanation.render("en") == (
        "Covered as dependent (spouse) of DM0000000100: Covered as principal insured under "
        "CNOPS since 2010-01-01 (covered from affiliation)."
    )
    assert e.explanation.render("fr") == (
        "Couvert en tant qu'ayant droit (conjoint) de DM0000000100 : Couvert en tant "
        "qu'assuré principal au titre de CNOPS depuis le 2010-01-01 (couvert dès "
        "l'affiliation)."
    )
    assert e.explanation.render("ar") == (
        "مغطى بصفته من ذوي الحقوق (زوج) للمؤمن له DM0000000100: مغطى بصفته مؤمنا له رئيسيا "
        "في إطار CNOPS منذ 2010-01-01 (مغطى منذ الانخراط)."
    )


def test_child_turning_21():
    child = dep(D(2003, 6, 15))
    e = evaluate(child, D(2024, 6, 14))
    assert (e.covered, e.rights_until) == (True, D(2024, 6, 14))
    after = evaluate(child, D(2024, 6, 15))
    assert (after.covered, after.reason) == (False, "dependent_child_over_age")
    assert "Turned 21 on 2024-06-15" in after.explanation.render("en")


def test_child_born_29_february_turns_21_on_1_march():
    child = dep(D(2004, 2, 29))
    assert evaluate(child, D(2025, 2, 28)).covered
    assert not evaluate(child, D(2025, 3, 1)).covered


def test_student_21_to_26_needs_a_proof():
    proof = (Period(D(2024, 9, 1), D(2025, 8, 31)),)
    student = dep(D(2002, 6, 15), student_proofs=proof)
    e = evaluate(student, D(2024, 10, 1))
    assert (e.covered, e.reason, e.rights_until) == (True, "covered_dependent", D(2025, 8, 31))
    gap = evaluate(student, D(2024, 8, 1))  # aged 22, no proof covering the date
    assert (gap.covered, gap.reason) == (False, "dependent_child_over_age")
    assert "2023-06-15" in gap.explanation.render("en")
    no_proof = evaluate(dep(D(2002, 6, 15)), D(2024, 10, 1))
    assert no_proof.reason == "dependent_child_over_age"


def test_student_turning_26_loses_rights_despite_proof():
    proof = (Period(D(2024, 9, 1), D(2025, 8, 31)),)
    student = dep(D(1998, 10, 1), student_proofs=proof)
    assert evaluate(student, D(2024, 9, 30)).rights_until == D(2024, 9, 30)
    e = evaluate(student, D(2024, 10, 1))
    assert (e.covered, e.reason) == (False, "dependent_child_over_age")
    assert "Turned 26 on 2024-10-01" in e.explanation.render("en")


def test_disabled_child_covered_at_30():
    e = evaluate(dep(D(1994, 1, 1), disabled=True), D(2024, 6, 1))
    assert (e.covered, e.reason) == (True, "covered_dependent")
    assert "disabled" in e.explanation.render("en")


def test_dependent_of_uncovered_principal():
    waiting = facts(100, affiliations=(aff("CNSS_SAL", D(2024, 1, 1)),))
    e = evaluate(dep(D(2015, 1, 1), principal=waiting, start=D(2024, 1, 1)), D(2024, 2, 1))
    assert (e.covered, e.reason) == (False, "principal_not_covered")
    assert "rights_not_open" not in e.explanation.render(
        "en"
    ) and "declared days" in e.explanation.render("en")


def test_dependent_follows_maintained_principal():
    ended = cnss_worker(
        pid=100, affiliations=(aff("CNSS_SAL", D(2024, 1, 10), D(2024, 6, 15), "job_loss"),)
    )
    child = dep(D(2015, 1, 1), principal=ended, start=D(2024, 1, 10))
    e = evaluate(child, D(2024, 9, 1))
    assert (e.covered, e.reason, e.rights_until) == (
        True,
        "covered_maintained_job_loss",
        D(2024, 12, 15),
    )
    assert not evaluate(child, D(2024, 12, 16)).covered


def test_dependent_ald_keeps_own_rights_when_principal_lapses():
    ended = cnss_worker(
        pid=100, affiliations=(aff("CNSS_SAL", D(2024, 1, 10), D(2024, 6, 15), "job_loss"),)
    )
    child = dep(
        D(2015, 1, 1),
        principal=ended,
        start=D(2024, 1, 10),
        ald_exemptions=(Period(D(2024, 5, 1), None),),
    )
    e = evaluate(child, D(2025, 6, 1))
    assert (e.covered, e.reason, e.as_dependent) == (True, "covered_ald_maintained", True)


def test_divorced_spouse_maintained_twelve_months():
    spouse = dep(D(1985, 1, 1), "spouse", end=D(2023, 3, 31), reason="divorce")
    e = evaluate(spouse, D(2024, 3, 31))
    assert (e.covered, e.reason, e.rights_until) == (
        True,
        "covered_maintained_divorce",
        D(2024, 3, 31),
    )
    after = evaluate(spouse, D(2024, 4, 1))
    assert (after.covered, after.reason) == (False, "dependent_link_ended")
    assert "2023-03-31" in after.explanation.render("en")


def test_link_ended_for_another_reason():
    spouse = dep(D(1985, 1, 1), "spouse", end=D(2023, 3, 31), reason="other")
    e = evaluate(spouse, D(2023, 4, 1))
    assert (e.covered, e.reason) == (False, "dependent_link_ended")


def test_survivors_maintained_twenty_four_months():
    dead = replace(PRINCIPAL, death_date=D(2022, 5, 10))
    spouse = dep(
        D(1982, 5, 5), "spouse", principal=dead, end=D(2022, 5, 10), reason="death_of_principal"
    )
    e = evaluate(spouse, D(2024, 5, 10))
    assert (e.covered, e.reason, e.rights_until, e.regime_code) == (
        True,
        "covered_maintained_survivor",
        D(2024, 5, 10),
        "CNOPS",
    )
    after = evaluate(spouse, D(2024, 5, 11))
    assert (after.covered, after.reason) == (False, "survivor_rights_ended")
    # a child still under 21 keeps rights through the same period; the age limit still applies
    child = dep(D(2003, 1, 1), principal=dead)
    assert evaluate(child, D(2023, 12, 31)).reason == "covered_maintained_survivor"
    assert evaluate(child, D(2024, 1, 1)).reason == "dependent_child_over_age"


def test_own_affiliation_wins_over_dependent_link():
    f = dep(D(1990, 1, 1), "spouse", affiliations=(aff("TNS", D(2024, 1, 1)),))
    f = replace(f, contributions=months(D(2024, 1, 1), 2, 0))
    e = evaluate(f, D(2024, 1, 15))
    assert (e.reason, e.regime_code, e.as_dependent) == ("covered_principal", "TNS", False)


def test_months_after():
    assert months_after(D(2024, 3, 31), 6) == D(2024, 9, 30)
    assert months_after(D(2024, 2, 29), 6) == D(2024, 8, 31)
    assert months_after(D(2024, 6, 15), 6) == D(2024, 12, 15)
