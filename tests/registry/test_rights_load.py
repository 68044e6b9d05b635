"""load_facts and check read the database: builders in, the same answers out."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from daman.core.errors import NotFound
from daman.registry import builders as b
from daman.registry.rights import check, evaluate_many, load_facts


def family(session):
    principal = b.insured(session, regime="CNSS_SAL", valid_from=date(2024, 1, 10))
    b.month_days(
        session,
        principal,
        [
            (date(2024, 1, 1), 10),
            (date(2024, 2, 1), 20),
            (date(2024, 3, 1), 23),
            (date(2024, 4, 1), 1),
        ],
    )
    b.contributions(session, principal, date(2024, 5, 1), months=2)
    child = b.dependent(
        session, principal, birth_date=date(2003, 6, 15), valid_from=date(2024, 1, 10)
    )
    return principal, child


def test_check_reads_rules_and_contributions(session):
    principal, child = family(session)
    assert check(session, principal.immatriculation, date(2024, 4, 30)).reason == "rights_not_open"
    e = check(session, principal.immatriculation, date(2024, 5, 1))
    assert (e.covered, e.reason, e.regime_code) == (True, "covered_principal", "CNSS_SAL")
    d = check(session, child.immatriculation, date(2024, 6, 14))
    assert (d.covered, d.reason, d.principal_id) == (True, "covered_dependent", principal.id)
    assert (
        check(session, child.immatriculation, date(2024, 6, 15)).reason
        == "dependent_child_over_age"
    )


def test_contributions_of_two_employers_add_up(session):
    principal = b.insured(session, regime="CNSS_SAL", valid_from=date(2024, 1, 1))
    other = b.employer(session)
    b.contributions(session, principal, date(2024, 1, 1), days=27)
    b.contributions(session, principal, date(2024, 1, 1), days=27, employer_id=other.id)
    facts = load_facts(session, [principal.id])[principal.id]
    assert [(c.month, c.declared_days) for c in facts.contributions] == [(date(2024, 1, 1), 54)]
    assert check(session, principal.immatriculation, date(2024, 2, 1)).covered


def test_ald_and_student_proofs_are_loaded(session):
    principal = b.insured(
        session,
        regime="CNOPS",
        valid_from=date(2010, 1, 1),
        valid_to=date(2023, 12, 31),
        end_reason="retirement",
    )
    b.ald_exemption(session, principal, date(2023, 1, 1), date(2027, 12, 31))
    student = b.dependent(session, principal, birth_date=date(2002, 6, 15))
    b.student_proof(session, student, date(2023, 9, 1), date(2024, 8, 31))
    assert (
        check(session, principal.immatriculation, date(2025, 1, 1)).reason
        == "covered_ald_maintained"
    )
    assert check(session, student.immatriculation, date(2023, 10, 1)).covered


def test_unknown_immatriculation(session):
    with pytest.raises(NotFound) as err:
        check(session, "DM0000000000", date(2024, 1, 1))
    assert err.value.code == "person_not_found"


def test_load_facts_uses_a_fixed_number_of_queries(session):
    def count_queries(ids):
        seen = []
        conn = session.connection()
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(conn, "before_cursor_execute", listener)
        try:
            facts = load_facts(session, ids)
        finally:
            event.remove(conn, "before_cursor_execute", listener)
        return len(seen), facts

    small = [family(session)[1].id for _ in range(2)]
    large = small + [family(session)[1].id for _ in range(10)]
    n_small, _ = count_queries(small)
    n_large, facts = count_queries(large)
    assert n_small == n_large
    assert len(facts) == len(large)
    assert all(f.principals and f.links for f in facts.values())


def test_evaluate_many(session):
    principal, child = family(session)
    pairs = [
        (principal.id, date(2024, 5, 1)),
        (child.id, date(2024, 5, 1)),
        (999_999, date(2024, 5, 1)),
    ]
    out = evaluate_many(session, pairs)
    assert set(out) == set(pairs[:2])
    assert out[(child.id, date(2024, 5, 1))].reason == "covered_dependent"


def test_one_statement_on_postgresql_gathers_what_one_query_per_table_does(session, backend):
    """The PostgreSQL path (one statement per chunk of persons) and the portable one (one
    query per table) read the same facts, for a synthetic population of every shape."""
    if backend != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    from daman.registry.facts import _gather, _gather_postgres
    from daman.synth.service import generate

    made = generate(session, persons=600, seed=11, as_of=date(2026, 6, 15))
    ids = list(range(made.first_person_id, made.first_person_id + made.persons + 5))
    portable, one = _gather(session, ids), _gather_postgres(session, ids)
    for name in ("people", "links", "affiliations", "contributions", "proofs", "ald"):
        assert dict(getattr(one, name)) == dict(getattr(portable, name)), name
    assert len(one.people) > made.persons * 0.99 and one.links and one.contributions
