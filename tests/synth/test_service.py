"""generate() stores exactly the planned rows, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, inspect, select, text

from daman.contributions.collection import runs
from daman.core.dates import now
from daman.core.identifiers import current_value
from daman.registry.models import Affiliation, Person
from daman.synth import service
from daman.synth.bulk import BulkWriter
from daman.synth.population import TABLES, Ids, PopulationPlan
from daman.synth.service import generate, load_reference, population_rows
from tests.synth.conftest import AS_OF, comparable, stored

ALL = [*TABLES, "providers"]


def snapshot(session, first: dict[str, int]) -> dict[str, list[tuple]]:
    from daman.synth.providers import PROVIDER_COLUMNS

    columns = {**TABLES, "providers": PROVIDER_COLUMNS}
    return {name: stored(session, name, columns[name], first[name]) for name in ALL}


def run(session, seed: int, persons: int = 1_500) -> dict[str, list[tuple]]:
    """Generate in a savepoint, read the rows back, roll back."""
    nested = session.begin_nested()
    first = BulkWriter(session).next_ids(ALL)
    generate(session, persons=persons, providers=60, seed=seed, as_of=AS_OF)
    rows = snapshot(session, first)
    nested.rollback()
    return rows


def test_stores_exactly_the_planned_rows(session):
    first = BulkWriter(session).next_ids(ALL)
    number = current_value(session, "immatriculation") + 1
    reference = load_reference(session, AS_OF)
    result = generate(session, persons=1_200, providers=40, seed=21, as_of=AS_OF)
    plan = PopulationPlan(
        seed=21,
        persons=1_200,
        as_of=AS_OF,
        ids=Ids(dict(first)),
        first_number=number,
        mutuals=reference.mutuals,
        ald_codes=reference.ald_codes,
        rsu_max=reference.rsu_max,
        tns_categories=reference.tns_categories,
        actor="synth",
        stamp=now(),
    )
    expected: dict[str, list[tuple]] = defaultdict(list)
    for name, columns, rows, _ in population_rows(plan, seed=21, providers=40):
        expected[name] += comparable(columns, rows)
    assert snapshot(session, first) == dict(expected)
    assert result.persons == 1_200
    assert result.rows["persons"] == 1_200
    assert current_value(session, "immatriculation") == number + 1_199
    assert reference.tns_categories  # the TNS principals' categories were written
    assert result.rows["member_categories"] == sum(
        1 for r in snapshot(session, first)["affiliations"] if r[2] == "TNS"
    )


def test_same_seed_same_rows_another_seed_differs(session):
    first = run(session, seed=5)
    assert first == run(session, seed=5)
    other = run(session, seed=6)
    assert other["persons"] != first["persons"]
    assert len(other["persons"]) == len(first["persons"])


def test_later_inserts_take_fresh_ids(session):
    generate(session, persons=300, providers=10, seed=1, as_of=AS_OF)
    top = session.scalar(select(func.max(Person.id)))
    person = Person(
        immatriculation="DM9999999999",
        last_name="Test",
        first_name="Id",
        birth_date=AS_OF,
        sex="F",
        disabled=False,
        preferred_language="fr",
    )
    session.add(person)
    session.flush()  # on PostgreSQL the id comes from the sequence, moved past the bulk ids
    assert person.id > top


def test_a_second_run_adds_to_the_first(session):
    generate(session, persons=500, providers=10, seed=1, as_of=AS_OF)
    generate(session, persons=500, providers=10, seed=1, as_of=AS_OF)  # same seed: no clash
    assert session.scalar(select(func.count()).select_from(Person)) >= 1_000
    cnies = session.scalar(select(func.count(func.distinct(Person.cnie))))
    assert cnies == session.scalar(select(func.count(Person.cnie)))


def test_big_loads_suspend_and_restore_foreign_keys(session, monkeypatch):
    def keys() -> set[str]:
        found = set()
        for name in TABLES:
            found |= {fk["name"] for fk in inspect(session.connection()).get_foreign_keys(name)}
        return found

    before = keys()
    monkeypatch.setattr(service, "SUSPEND_FOREIGN_KEYS_FROM", 1)
    generate(session, persons=400, providers=10, seed=2, as_of=AS_OF)
    assert keys() == before
    if session.get_bind().dialect.name == "postgresql":
        invalid = session.scalar(
            text("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")
        )
        assert invalid == 0


def test_the_tns_run_prices_every_generated_member(session):
    generate(session, persons=2_000, providers=10, seed=4, as_of=AS_OF)
    month = AS_OF.replace(day=1)
    report = runs.run(session, "TNS", month, "test", issued_on=AS_OF)
    assert report.unpriced == 0 and not report.problems
    members = session.scalar(
        select(func.count(func.distinct(Affiliation.person_id))).where(
            Affiliation.regime_code == "TNS", Affiliation.valid_from <= AS_OF
        )
    )
    assert report.calls == report.members == members > 0
    again = runs.run(session, "TNS", month, "test", issued_on=AS_OF)
    assert (again.calls, again.already_called, again.unpriced) == (0, members, 0)
