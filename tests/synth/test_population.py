"""The population plan is pure: these tests need no database."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from stdnum.ma import ice

from daman.core.dates import age_on, covers, month_start
from daman.core.identifiers import (
    cnie_problem,
    ice_problem,
    immatriculation,
    immatriculation_problem,
    rib_problem,
)
from daman.synth.population import (
    PROFILES,
    TABLES,
    TNS_CATEGORY_WEIGHTS,
    Ids,
    PopulationPlan,
    cnie_number,
    principal_shares,
    regime_shares,
)
from daman.synth.providers import MIX, PROVIDER_COLUMNS
from daman.synth.service import population_rows
from tests.synth.conftest import AS_OF

STAMP = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
RSU_MAX = "9.3264284"
# the codes of reference/data/tns_categories.csv
TNS_CODES = tuple(sorted(TNS_CATEGORY_WEIGHTS))


def make_plan(
    seed: int, persons: int, providers: int = 200, tns_categories: tuple[str, ...] = TNS_CODES
) -> tuple[PopulationPlan, dict]:
    ids = Ids({name: 1 for name in [*TABLES, "providers"]})
    plan = PopulationPlan(
        seed=seed,
        persons=persons,
        as_of=AS_OF,
        ids=ids,
        first_number=1,
        mutuals=("MGEN", "MGPAP", "OMFAM"),
        ald_codes=("ALD01", "ALD09", "ALD14"),
        rsu_max=RSU_MAX,
        tns_categories=tns_categories,
        actor="synth",
        stamp=STAMP,
    )
    rows: dict[str, list] = defaultdict(list)
    for name, _, chunk, _ in population_rows(
        plan, seed=seed, providers=providers, batch_persons=1_000
    ):
        rows[name] += chunk
    return plan, rows


def col(name: str) -> dict[str, int]:
    columns = PROVIDER_COLUMNS if name == "providers" else TABLES[name]
    return {c: i for i, c in enumerate(columns)}


P, A, L, S, C, M = (
    col(n)
    for n in (
        "persons",
        "affiliations",
        "dependent_links",
        "student_proofs",
        "contributions",
        "member_categories",
    )
)


@pytest.fixture(scope="module")
def big() -> tuple[PopulationPlan, dict]:
    return make_plan(seed=11, persons=20_000)


def test_same_seed_same_rows_and_another_seed_differs():
    _, first = make_plan(seed=3, persons=3_000)
    _, again = make_plan(seed=3, persons=3_000)
    _, other = make_plan(seed=4, persons=3_000)
    assert first == again
    assert first["persons"] != other["persons"]
    assert first["contributions"] != other["contributions"]


def test_exactly_the_persons_asked_for(big):
    plan, rows = big
    assert len(rows["persons"]) == 20_000
    assert plan.tally.principals + plan.tally.dependents == 20_000
    assert sum(plan.tally.by_regime.values()) == 20_000
    assert len(rows["affiliations"]) == plan.tally.principals
    assert len(rows["dependent_links"]) == plan.tally.dependents


def test_regime_mix_follows_the_domain_figures(big):
    plan, rows = big
    shares = regime_shares()
    for code, share in shares.items():
        assert abs(plan.tally.by_regime[code] / 20_000 - share) < 0.015, code
    households = Counter(r[A["regime_code"]] for r in rows["affiliations"])
    for code, share in principal_shares().items():
        assert abs(households[code] / plan.tally.principals - share) < 0.015, code
    for profile in PROFILES:  # dependents per principal near the national ratio
        per = (plan.tally.by_regime[profile.code] - households[profile.code]) / households[
            profile.code
        ]
        assert (
            abs(per - profile.dependents_per_principal)
            < 0.25 * profile.dependents_per_principal + 0.1
        )


def test_every_rib_is_valid_and_most_principals_have_one(big):
    _, rows = big
    ribs = [r[P["rib"]] for r in rows["persons"] if r[P["rib"]] is not None]
    assert ribs and all(rib_problem(rib) is None for rib in ribs)
    principals = {r[A["person_id"]] for r in rows["affiliations"]}
    with_rib = sum(1 for r in rows["persons"] if r[P["id"]] in principals and r[P["rib"]])
    assert with_rib / len(principals) > 0.7
    provider_ribs = [
        r[col("providers")["rib"]] for r in rows["providers"] if r[col("providers")["rib"]]
    ]
    assert all(rib_problem(rib) is None for rib in provider_ribs)


def test_cnie_unique_well_formed_and_only_for_adults(big):
    _, rows = big
    cnies = [r[P["cnie"]] for r in rows["persons"] if r[P["cnie"]] is not None]
    assert len(cnies) == len(set(cnies))
    assert all(cnie_problem(c) is None for c in cnies)
    for r in rows["persons"]:
        assert (r[P["cnie"]] is not None) == (age_on(r[P["birth_date"]], AS_OF) >= 18)


def test_cnie_numbers_stay_unique_past_ten_million():
    ks = [*range(9_999_990, 10_000_010), 1, 2, 3]
    numbers = {cnie_number("A", k) for k in ks}
    assert len(numbers) == len(ks)
    assert all(len(n) <= 10 for n in numbers)


def test_immatriculations_are_consecutive_and_valid(big):
    _, rows = big
    numbers = [r[P["immatriculation"]] for r in rows["persons"]]
    assert numbers == [immatriculation(k) for k in range(1, 20_001)]
    assert all(immatriculation_problem(n) is None for n in numbers[:100])


def test_employers_have_valid_ices(big):
    _, rows = big
    E = col("employers")
    ices = [r[E["ice"]] for r in rows["employers"]]
    assert ices and all(ice.is_valid(i) and ice_problem(i) is None for i in ices)
    assert len(set(ices)) == len(ices)


def test_families_are_consistent(big):
    _, rows = big
    births = {r[P["id"]]: r[P["birth_date"]] for r in rows["persons"]}
    principals = {r[A["person_id"]] for r in rows["affiliations"]}
    links = Counter(r[L["dependent_id"]] for r in rows["dependent_links"])
    assert set(links) | principals == set(births)  # everyone is principal or dependent
    assert not set(links) & principals
    assert set(links.values()) == {1}  # each dependent linked to one principal
    spouse_of = {
        r[L["principal_id"]]: r[L["dependent_id"]]
        for r in rows["dependent_links"]
        if r[L["relationship"]] == "spouse"
    }
    for r in rows["dependent_links"]:
        dependent, principal = r[L["dependent_id"]], r[L["principal_id"]]
        assert principal in principals
        assert r[L["valid_from"]] >= births[dependent]
        if r[L["relationship"]] == "child":
            parents = [principal] + ([spouse_of[principal]] if principal in spouse_of else [])
            for parent in parents:
                assert age_on(births[parent], births[dependent]) >= 18
        else:
            assert age_on(births[dependent], AS_OF) >= 18


def test_students_have_proofs_and_a_few_are_disabled(big):
    _, rows = big
    births = {r[P["id"]]: r[P["birth_date"]] for r in rows["persons"]}
    students = {r[S["person_id"]] for r in rows["student_proofs"]}
    assert len(students) > 50
    for person in students:
        assert 21 <= age_on(births[person], AS_OF) <= 26
    current = {
        r[S["person_id"]]
        for r in rows["student_proofs"]
        if covers(r[S["valid_from"]], r[S["valid_to"]], AS_OF)
    }
    assert current == students
    disabled = [r for r in rows["persons"] if r[P["disabled"]]]
    assert 0 < len(disabled) < 0.02 * len(rows["persons"])


def test_tadamon_scores_mostly_at_or_below_the_threshold(big):
    _, rows = big
    scores = [
        Decimal(r[A["rsu_score"]]) for r in rows["affiliations"] if r[A["regime_code"]] == "TADAMON"
    ]
    below = sum(s <= Decimal(RSU_MAX) for s in scores)
    assert 0.9 < below / len(scores) < 1
    chamil = [
        Decimal(r[A["rsu_score"]]) for r in rows["affiliations"] if r[A["regime_code"]] == "CHAMIL"
    ]
    assert chamil and all(s > Decimal(RSU_MAX) for s in chamil)


def test_contribution_histories_by_regime(big):
    _, rows = big
    regime = {r[A["person_id"]]: r for r in rows["affiliations"]}
    months: dict[int, list[date]] = defaultdict(list)
    for r in rows["contributions"]:
        person = regime[r[C["person_id"]]]
        code = person[A["regime_code"]]
        months[r[C["person_id"]]].append(r[C["month"]])
        assert r[C["month"]] == month_start(r[C["month"]]) <= AS_OF
        assert r[C["month"]] >= month_start(person[A["valid_from"]])
        if person[A["valid_to"]] is not None:
            assert r[C["month"]] <= person[A["valid_to"]]
        if code == "CNSS_SAL":
            assert r[C["employer_id"]] == person[A["employer_id"]] is not None
            assert 1 <= r[C["declared_days"]] <= 26
        else:
            assert code in ("TNS", "CHAMIL")
            assert r[C["employer_id"]] is None and r[C["declared_days"]] == 0
    assert all(len(ms) == len(set(ms)) <= 12 for ms in months.values())
    lost = [r for r in regime.values() if r[A["end_reason"]] == "job_loss"]
    assert lost and all(r[A["valid_to"]] <= AS_OF for r in lost)
    cnops = [r for r in regime.values() if r[A["regime_code"]] == "CNOPS"]
    assert {r[A["mutual_code"]] for r in cnops} == {"MGEN", "MGPAP", "OMFAM"}


def test_providers_of_every_kind_with_unique_inpes(big):
    _, rows = big
    pc = col("providers")
    inpes = [r[pc["inpe"]] for r in rows["providers"]]
    assert len(rows["providers"]) == 200
    assert len(set(inpes)) == 200
    assert all(len(i) == 9 and i.isdigit() and not i.startswith("9") for i in inpes)
    kinds = Counter(r[pc["kind"]] for r in rows["providers"])
    assert set(kinds) == {
        "doctor",
        "dentist",
        "pharmacy",
        "lab",
        "imaging_centre",
        "clinic",
        "hospital",
        "paramedical",
        "optician",
    }
    assert len(MIX) == 11
    hospitals = {r[pc["sector"]] for r in rows["providers"] if r[pc["kind"]] == "hospital"}
    assert hospitals == {"public", "private"}


def test_each_tns_principal_has_one_category_from_registration(big):
    _, rows = big
    tns = {
        r[A["person_id"]]: r[A["valid_from"]]
        for r in rows["affiliations"]
        if r[A["regime_code"]] == "TNS"
    }
    categories = rows["member_categories"]
    assert len(tns) > 500
    assert Counter(r[M["person_id"]] for r in categories) == Counter(list(tns))  # one each
    for r in categories:
        assert r[M["category_code"]] in TNS_CODES
        assert r[M["valid_from"]] == tns[r[M["person_id"]]]
        assert r[M["valid_to"]] is None
        assert r[M["liaison"]] in ("DGI", "Ministère de la Justice")
    assert [r[M["id"]] for r in categories] == list(range(1, len(categories) + 1))
    mix = Counter(r[M["category_code"]] for r in categories)
    assert set(mix) == set(TNS_CODES)  # every category drawn
    assert mix.most_common(1)[0][0] == "TRADER_SIMPLIFIED"
    traders = sum(n for code, n in mix.items() if code.startswith("TRADER_"))
    assert 0.5 < traders / len(categories) < 0.7  # weights: 59 of 94
    justice = sum(1 for r in categories if r[M["liaison"]] != "DGI")
    assert 0 < justice < 0.15 * len(categories)


def test_categories_leave_every_other_row_as_it_was():
    """The pick reads the person id, not the random stream: without categories in the
    reference, the same seed gives exactly the same other rows."""
    _, with_categories = make_plan(seed=11, persons=5_000)
    _, without = make_plan(seed=11, persons=5_000, tns_categories=())
    assert without.pop("member_categories", []) == []
    assert with_categories.pop("member_categories")
    assert with_categories == without


def test_an_unknown_category_code_is_drawn_too():
    _, rows = make_plan(seed=2, persons=4_000, tns_categories=("NEW_CATEGORY", "PRO_RNS"))
    codes = Counter(r[M["category_code"]] for r in rows["member_categories"])
    assert set(codes) == {"NEW_CATEGORY", "PRO_RNS"}
    assert codes["PRO_RNS"] > 5 * codes["NEW_CATEGORY"]  # an unknown code weighs 1
