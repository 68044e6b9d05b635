"""A synthetic insured population, as plain row tuples ready for bulk insertion.

`PopulationPlan` is pure: given a seed, a business date, the first free ids and the first
immatriculation sequence number, it yields the same rows on every machine and database.
The writer (synth/bulk.py) only stores them.

The regime mix follows the 2024 figures of the domain notes (beneficiaries, principals
and dependents by regime); families are drawn household by household: a principal
insured, sometimes a spouse, children of various ages (a few students of 21-26 with a
proof of studies, a few disabled), an affiliation, and the monthly history that opens
rights in the regime (declared days for employees, paid contributions for the
self-employed and AMO Chamil, an RSU score for AMO Tadamon), and for a self-employed
principal the TNS category the monthly run prices them by.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from daman.core.dates import add_months, month_start
from daman.core.enums import (
    AffiliationEndReason,
    LinkEndReason,
    RegimeCode,
    Relationship,
    Sex,
)
from daman.core.fold import search_key
from daman.core.identifiers import ice_key, immatriculation, rib_key
from daman.synth import names

Row = tuple[Any, ...]
Name = tuple[str, str]  # Latin, Arabic
AUDIT = ("created_at", "created_by", "updated_at", "updated_by")


def tracked(names: str) -> tuple[str, ...]:
    """Column names of a table with the Tracked columns at the end."""
    return (*names.split(), *AUDIT)


PERSON_COLUMNS = tracked(
    "id immatriculation cnie last_name first_name last_name_ar first_name_ar birth_date sex "
    "death_date disabled rib phone preferred_language search_name"
)
EMPLOYER_COLUMNS = tracked("id number name ice city")
AFFILIATION_COLUMNS = tracked(
    "id person_id regime_code employer_id mutual_code rsu_score valid_from valid_to end_reason"
)
LINK_COLUMNS = tracked("id dependent_id principal_id relationship valid_from valid_to end_reason")
PROOF_COLUMNS = tracked("id person_id valid_from valid_to institution")
CONTRIBUTION_COLUMNS = tracked(
    "id person_id employer_id month declared_days amount_centimes paid note"
)
EXEMPTION_COLUMNS = tracked("id person_id ald_code valid_from valid_to reference note")
CATEGORY_COLUMNS = tracked("id person_id category_code valid_from valid_to liaison")

# The tables a population fills, in insertion order (parents first), with their columns.
TABLES: dict[str, tuple[str, ...]] = {
    "employers": EMPLOYER_COLUMNS,
    "persons": PERSON_COLUMNS,
    "affiliations": AFFILIATION_COLUMNS,
    "dependent_links": LINK_COLUMNS,
    "student_proofs": PROOF_COLUMNS,
    "contributions": CONTRIBUTION_COLUMNS,
    "ald_exemptions": EXEMPTION_COLUMNS,
    "member_categories": CATEGORY_COLUMNS,
}

YEAR = 365.2425
ADULT = int(18 * YEAR)  # ages are counted in days
# Youngest spouse, and youngest mother at a birth: 19 years counted in days, so that they
# are 18 in calendar years whatever the leap days.
ADULT_19 = int(19 * YEAR)
ADULT_21 = int(21 * YEAR)
STUDENT_AGES = (int(21 * YEAR) + 2, int(26 * YEAR) - 2)  # in days, inside 21-26 by calendar
HISTORY_MONTHS = 12  # months of declared days or paid contributions kept for each person
LOOKBACK_MONTHS = 36  # how far back a history may end (job lost, payments stopped)
FULL_MONTH_DAYS = 26  # a full month of declared working days
AMO_SALARY_BP = 637  # AMO contribution on salaries (6.37 %), for plausible amounts only
FLAT_CONTRIBUTIONS = (10_900, 14_300, 21_500, 34_400, 53_700)  # centimes a month (TNS, CHAMIL)

CNSS_SAL, TNS, TADAMON, CHAMIL, CNOPS = (
    RegimeCode.CNSS_SAL.value,
    RegimeCode.TNS.value,
    RegimeCode.TADAMON.value,
    RegimeCode.CHAMIL.value,
    RegimeCode.CNOPS.value,
)
MALE, FEMALE = Sex.MALE.value, Sex.FEMALE.value
SPOUSE, CHILD = Relationship.SPOUSE.value, Relationship.CHILD.value
JOB_LOSS = AffiliationEndReason.JOB_LOSS.value
DIVORCE = LinkEndReason.DIVORCE.value
RSU_UNIT = 10**7  # RSU scores are drawn in units of 1e-7
DEFAULT_RSU_MAX = "9.3264284"  # used only when no TADAMON rights rule is loaded
CNIE_SPACE = 10**7  # 7 digits after the letters; 8 digits beyond ten million persons
CNIE_MULTIPLIER = 7_368_787  # coprime with 10: k -> k * M mod 10^n is a permutation


@dataclass(frozen=True)
class RegimeProfile:
    """How one regime's households look. Principals and dependents are in thousands
    (2024 figures of the domain notes); ages in years; shares between 0 and 1."""

    code: str  # RegimeCode
    principals_k: int
    dependents_k: int
    min_age: int
    mode_age: int
    max_age: int
    male_share: float
    rib_share: float
    first_registration: date

    @property
    def dependents_per_principal(self) -> float:
        return self.dependents_k / self.principals_k


PROFILES: tuple[RegimeProfile, ...] = (
    # 4.08 M declared employees; dependents = 24.7 M beneficiaries less the other regimes
    RegimeProfile(CNSS_SAL, 4_080, 2_850, 19, 34, 62, 0.68, 0.95, date(2006, 3, 1)),
    RegimeProfile(TNS, 1_640, 1_840, 21, 42, 72, 0.74, 0.85, date(2022, 12, 1)),
    RegimeProfile(TADAMON, 4_050, 7_010, 18, 44, 85, 0.56, 0.55, date(2022, 12, 1)),
    RegimeProfile(CHAMIL, 171, 64, 24, 45, 75, 0.62, 0.92, date(2024, 1, 1)),
    # ~3 M insured; the split 1.2 M principals / 1.8 M dependents is an assumption
    RegimeProfile(CNOPS, 1_200, 1_800, 23, 46, 78, 0.58, 0.98, date(2005, 9, 1)),
)

MUTUAL_WEIGHTS = {"MGPAP": 50, "MGEN": 30, "OMFAM": 20}
ALD_WEIGHTS = {"ALD09": 40, "ALD14": 30}  # diabetes, severe hypertension; others share 30
# A TNS principal's category (reference table tns_categories): traders and craftsmen on the
# simplified regime most often, then the other professionals; an unknown code weighs 1.
TNS_CATEGORY_WEIGHTS = {
    "TRADER_SIMPLIFIED": 40,
    "TRADER_ACCOUNTS_LOW": 14,
    "TRADER_ACCOUNTS_HIGH": 5,
    "PRO_RNS": 12,
    "PRO_RNR": 6,
    "PRO_PROFIT_BAND_1": 4,
    "PRO_PROFIT_BAND_2": 3,
    "PRO_PROFIT_BAND_3": 2,
    "PRO_PROFIT_BAND_4": 2,
    "ADOUL": 3,
    "COPYIST_RESIDENT": 1,
    "COPYIST_FIRST_INSTANCE": 1,
    "SWORN_TRANSLATOR": 1,
}
JUSTICE = "Ministère de la Justice"
# The body that gives the category: the tax administration, but for the court professions.
TNS_LIAISONS = {
    "ADOUL": JUSTICE,
    "COPYIST_RESIDENT": JUSTICE,
    "COPYIST_FIRST_INSTANCE": JUSTICE,
    "SWORN_TRANSLATOR": JUSTICE,
}
DEFAULT_LIAISON = "DGI"
HASH_MULTIPLIER = 0x9E3779B97F4A7C15  # 2^64 / golden ratio, odd: Fibonacci hashing


def regime_shares() -> dict[str, float]:
    """Share of all beneficiaries (principals and dependents) in each regime."""
    total = sum(p.principals_k + p.dependents_k for p in PROFILES)
    return {p.code: (p.principals_k + p.dependents_k) / total for p in PROFILES}


def principal_shares() -> dict[str, float]:
    """Chance that a household belongs to each regime."""
    total = sum(p.principals_k for p in PROFILES)
    return {p.code: p.principals_k / total for p in PROFILES}


def expected_households(persons: int) -> dict[str, float]:
    """Households expected in each regime for a population of `persons`."""
    shares = principal_shares()
    mean_size = sum(shares[p.code] * (1 + p.dependents_per_principal) for p in PROFILES)
    return {code: persons / mean_size * share for code, share in shares.items()}


def cnie_number(prefix: str, k: int) -> str:
    """A national ID number unique for each sequence number k (7 digits, 8 past 10^7)."""
    space = CNIE_SPACE if k < CNIE_SPACE else CNIE_SPACE * 10
    digits = len(str(space)) - 1
    return f"{prefix}{(k * CNIE_MULTIPLIER + 1) % space:0{digits}d}"


def make_rib(rng: random.Random) -> str:
    first22 = (
        names.BANK_CODES[int(rng.random() * len(names.BANK_CODES))]
        + names.RIB_TOWN_CODES[int(rng.random() * len(names.RIB_TOWN_CODES))]
        + f"{rng.getrandbits(53) % 10**16:016d}"
    )
    return first22 + rib_key(first22)


def rsu_units(score: str) -> int:
    """'9.3264284' -> 93264284 (units of 1e-7, exact)."""
    return int(Decimal(score) * RSU_UNIT)


def rsu_text(units: int) -> str:
    return f"{units // RSU_UNIT}.{units % RSU_UNIT:07d}"


def school_year_start(on: date) -> date:
    return date(on.year if on.month >= 9 else on.year - 1, 9, 1)


class Weighted:
    """Fast weighted choice with one random() call."""

    def __init__(self, items: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in items]
        self.cum = list(itertools.accumulate(w for _, w in items))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.at(rng.random())

    def at(self, fraction: float) -> Any:
        """The value at `fraction` (0 <= fraction < 1) of the cumulated weights."""
        return self.values[bisect.bisect_right(self.cum, fraction * self.total)]


def spread(key: int) -> float:
    """A fraction in [0, 1) drawn from an integer without a random stream (Fibonacci
    hashing): consecutive keys spread evenly, and the same key always gives the same."""
    return ((key * HASH_MULTIPLIER) % 2**64 >> 11) / 2**53


def _poisson_cdf(mean: float, cap: int = 8) -> list[float]:
    probs = [math.exp(-mean) * mean**k / math.factorial(k) for k in range(cap + 1)]
    return list(itertools.accumulate(probs))[:-1]


@dataclass
class Batch:
    """The rows of a run of households, by table name (see TABLES)."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLES})
    persons: int = 0


@dataclass
class Ids:
    """Next free primary key of each table, advanced as rows are planned."""

    next: dict[str, int]

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class Tally:
    by_regime: dict[str, int] = field(default_factory=dict)
    principals: int = 0
    dependents: int = 0


class PopulationPlan:
    """Households for `persons` persons, deterministic for (seed, as_of, ids, first_number)."""

    def __init__(
        self,
        *,
        seed: int,
        persons: int,
        as_of: date,
        ids: Ids,
        first_number: int,
        mutuals: Sequence[str],
        ald_codes: Sequence[str],
        rsu_max: str = DEFAULT_RSU_MAX,
        tns_categories: Sequence[str] = (),
        actor: str,
        stamp: datetime,
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
        self.persons = persons
        self.as_of = as_of
        self.ids = ids
        self.number = first_number
        self.audit = (stamp, actor, stamp, actor)
        self.tally = Tally()
        self.rsu_max = rsu_units(rsu_max)
        self.regimes = Weighted([(p, p.principals_k) for p in PROFILES])
        self.dependents_cdf = {p.code: _poisson_cdf(p.dependents_per_principal) for p in PROFILES}
        self.mutuals = (
            Weighted([(m, MUTUAL_WEIGHTS.get(m, 10)) for m in sorted(mutuals)]) if mutuals else None
        )
        others = [c for c in sorted(ald_codes) if c not in ALD_WEIGHTS]
        ald: list[tuple[str, float]] = [(c, w) for c, w in ALD_WEIGHTS.items() if c in ald_codes]
        ald += [(c, 30 / len(others)) for c in others] if others else []
        self.ald = Weighted(ald) if ald else None
        self.tns_categories = (
            Weighted([(c, TNS_CATEGORY_WEIGHTS.get(c, 1)) for c in sorted(tns_categories)])
            if tns_categories
            else None
        )
        self.prefixes = Weighted(names.CNIE_PREFIXES)
        self.cities = Weighted(names.CITIES)
        current = month_start(as_of)
        self.history = [add_months(current, back) for back in range(-LOOKBACK_MONTHS + 1, 1)]
        self.first_index = _month_index(self.history[0])
        self.school_year = school_year_start(as_of)
        self.adult_born = add_months(as_of, -18 * 12)  # born on or before: 18 or more
        self.employer_ids: list[int] = []
        self.batch = Batch()

    # -- employers ---------------------------------------------------------------------

    def employers(self, count: int) -> list[Row]:
        rng, rows = self.rng, []
        for _ in range(count):
            eid = self.ids.take("employers")
            name = " ".join(
                (_pick(rng, names.COMPANY_PLACES), _pick(rng, names.COMPANY_ACTIVITIES))
            )
            # ICE: company 9 digits, establishment 4 (the head office), a 2-digit key
            first13 = f"{(eid * 7_654_321 + 3) % 10**9:09d}0000"
            ice = first13 + ice_key(first13)
            rows.append(
                (
                    eid,
                    f"{(eid * CNIE_MULTIPLIER + 7) % 10**7:07d}",
                    f"{name} {_pick(rng, names.LEGAL_FORMS)}",
                    ice,
                    self.cities.pick(rng),
                    *self.audit,
                )
            )
            self.employer_ids.append(eid)
        return rows

    # -- households --------------------------------------------------------------------

    def batches(self, size: int) -> Iterator[Batch]:
        """Households until `persons` persons, in batches of about `size` persons."""
        left = self.persons
        while left > 0:
            self.batch = Batch()
            while self.batch.persons < size and left > 0:
                left -= self._household(left)
            yield self.batch

    def _household(self, room: int) -> int:
        rng = self.rng
        random_ = rng.random
        profile: RegimeProfile = self.regimes.pick(rng)
        code = profile.code
        wanted = min(bisect.bisect_right(self.dependents_cdf[code], random_()), room - 1)
        male = random_() < profile.male_share
        age = int(rng.triangular(profile.min_age, profile.max_age, profile.mode_age) * YEAR)
        family = _pick(rng, names.FAMILY_NAMES)
        rib = make_rib(rng) if random_() < profile.rib_share else None
        pid = self._person(male, family, age, rib=rib, phone=True)
        registered = self._affiliation(profile, pid, age)
        self._maybe_ald(pid, age)
        count = 1
        spouse_age = 0
        father = family if male else None
        if wanted and age >= ADULT_21 and random_() < 0.8:
            gap = int(random_() * 9 * YEAR)
            spouse_age = max(ADULT_19, age - gap if male else age + gap)
            spouse_family = _pick(rng, names.FAMILY_NAMES)
            if not male:
                father = spouse_family
            sid = self._person(not male, spouse_family, spouse_age, phone=random_() < 0.5)
            self._link(sid, pid, SPOUSE, registered, spouse_age)
            self._maybe_ald(sid, spouse_age)
            count += 1
            wanted -= 1
        mother_age = (spouse_age or age - int(3 * YEAR)) if male else age
        eldest = mother_age - ADULT_19
        if father is None:  # a single mother: the children carry their father's name
            father = _pick(rng, names.FAMILY_NAMES)
        for _ in range(wanted if eldest > 0 else 0):
            self._child(pid, registered, eldest, father)
            count += 1
        tally = self.tally
        tally.principals += 1
        tally.dependents += count - 1
        tally.by_regime[code] = tally.by_regime.get(code, 0) + count
        self.batch.persons += count
        return count

    def _child(self, principal: int, registered: date, eldest: int, father: Name) -> None:
        random_ = self.rng.random
        r = random_()
        student = disabled = False
        if r < 0.07 and eldest > STUDENT_AGES[0]:  # 21 to 26
            age = STUDENT_AGES[0] + int(
                random_() * (min(eldest, STUDENT_AGES[1]) - STUDENT_AGES[0])
            )
            student = random_() < 0.85  # the others are past the age limit: no proof
        elif r < 0.085:
            disabled = True
            age = int(random_() * eldest)
        else:
            age = int(random_() * min(eldest, ADULT_21 - 1))
        adult = age >= ADULT
        cid = self._person(
            random_() < 0.51, father, age, phone=adult and random_() < 0.6, disabled=disabled
        )
        self._link(cid, principal, CHILD, registered, age)
        if student:
            self._proofs(cid, age)

    def _person(
        self,
        male: bool,
        family: Name,
        age: int,
        *,
        rib: str | None = None,
        phone: bool = False,
        disabled: bool = False,
    ) -> int:
        rng = self.rng
        random_ = rng.random
        ids = self.ids.next
        pid = ids["persons"]
        ids["persons"] = pid + 1
        k = self.number
        self.number = k + 1
        first = _pick(rng, names.MALE_FIRST_NAMES if male else names.FEMALE_FIRST_NAMES)
        birth = self.as_of - timedelta(days=age)
        self.batch.rows["persons"].append(
            (
                pid,
                immatriculation(k),
                cnie_number(self.prefixes.pick(rng), k) if birth <= self.adult_born else None,
                family[0],
                first[0],
                family[1],
                first[1],
                birth,
                MALE if male else FEMALE,
                None,
                disabled,
                rib,
                f"0{6 + (random_() < 0.3)}{int(random_() * 10**8):08d}" if phone else None,
                "ar" if random_() < 0.45 else "fr",
                search_key((family[0], first[0], family[1], first[1])),
                *self.audit,
            )
        )
        return pid

    def _registration(self, profile: RegimeProfile, age: int) -> date:
        as_of = self.as_of
        floor = min(profile.first_registration, as_of - timedelta(days=365))
        floor = max(floor, as_of - timedelta(days=max(age - ADULT, 0)))  # adult by then
        span = (as_of - floor).days
        if profile.code in (TNS, TADAMON) and self.rng.random() < 0.7:
            span = min(span, 120)  # most came over when the regime opened
        return floor + timedelta(days=int(self.rng.random() * max(span, 1)))

    def _affiliation(self, profile: RegimeProfile, pid: int, age: int) -> date:
        random_ = self.rng.random
        code = profile.code
        registered = self._registration(profile, age)
        employer = mutual = rsu = None
        valid_to: date | None = None
        end_reason = None
        if code == CNSS_SAL:
            employer = self.employer_ids[int(random_() ** 3 * len(self.employer_ids))]
            r = random_()
            if r < 0.03:  # a new entrant: rights not open yet
                registered = self.as_of - timedelta(days=int(random_() * 50))
            elif r < 0.08 and (self.as_of - registered).days > 200:  # lost the job
                valid_to = self.as_of - timedelta(days=30 + int(random_() * 420))
                valid_to = max(valid_to, registered + timedelta(days=150))
                end_reason = JOB_LOSS
            self._declared_days(pid, employer, registered, valid_to)
        elif code == CNOPS:
            mutual = self.mutuals.pick(self.rng) if self.mutuals else None
        elif code == TADAMON:
            if random_() < 0.03:  # a few above the threshold: not covered
                rsu = rsu_text(self.rsu_max + 1 + int(random_() * 2 * RSU_UNIT))
            else:
                rsu = rsu_text(self.rsu_max - int(random_() * 4.5 * RSU_UNIT))
        else:  # TNS, CHAMIL: paid contributions
            if code == CHAMIL:
                rsu = rsu_text(self.rsu_max + 1 + int(random_() * 5 * RSU_UNIT))
            self._paid_months(pid, registered)
        self.batch.rows["affiliations"].append(
            (
                self.ids.take("affiliations"),
                pid,
                code,
                employer,
                mutual,
                rsu,
                registered,
                valid_to,
                end_reason,
                *self.audit,
            )
        )
        if code == TNS:
            self._category(pid, registered)
        return registered

    def _category(self, pid: int, registered: date) -> None:
        """The TNS principal's category from registration on, picked from the person id
        (not from the random stream: every other row stays as it was without it)."""
        if self.tns_categories is None:
            return
        code = self.tns_categories.at(spread(pid))
        self.batch.rows["member_categories"].append(
            (
                self.ids.take("member_categories"),
                pid,
                code,
                registered,
                None,
                TNS_LIAISONS.get(code, DEFAULT_LIAISON),
                *self.audit,
            )
        )

    def _months(self, registered: date, until: date | None) -> list[date]:
        """The last HISTORY_MONTHS months up to `until` (or now), from registration on."""
        last = _month_index(until) - self.first_index if until else len(self.history) - 1
        first = max(0, last - HISTORY_MONTHS + 1, _month_index(registered) - self.first_index)
        return self.history[first : last + 1] if last >= first else []

    def _contributions(
        self,
        pid: int,
        employer: int | None,
        months: list[date],
        days: list[int],
        amounts: list[int],
        paid: list[bool],
    ) -> None:
        first = self.ids.next["contributions"]
        self.ids.next["contributions"] = first + len(months)
        audit = self.audit
        self.batch.rows["contributions"].extend(
            (first + i, pid, employer, month, days[i], amounts[i], paid[i], "", *audit)
            for i, month in enumerate(months)
        )

    def _declared_days(
        self, pid: int, employer: int, registered: date, valid_to: date | None
    ) -> None:
        random_ = self.rng.random
        salary = 310_000 + int(self.rng.expovariate(1 / 450_000))  # centimes a month
        months = self._months(registered, valid_to)
        days = [FULL_MONTH_DAYS if random_() < 0.88 else 5 + int(random_() * 21) for _ in months]
        amounts = [salary * d * AMO_SALARY_BP // (FULL_MONTH_DAYS * 10_000) for d in days]
        self._contributions(pid, employer, months, days, amounts, [True] * len(months))

    def _paid_months(self, pid: int, registered: date) -> None:
        random_ = self.rng.random
        amount = _pick(self.rng, FLAT_CONTRIBUTIONS)
        stopped = None
        if random_() < 0.05:  # stopped paying some months ago
            stopped = self.history[-2 - int(random_() * 11)]
        months = self._months(registered, stopped)
        paid = [random_() < 0.97 for _ in months]
        n = len(months)
        self._contributions(pid, None, months, [0] * n, [amount] * n, paid)

    def _link(
        self, dependent: int, principal: int, relationship: str, registered: date, age: int
    ) -> None:
        birth = self.as_of - timedelta(days=age)
        valid_from = registered if registered > birth else birth
        valid_to = end_reason = None
        if relationship == SPOUSE and self.rng.random() < 0.015:
            divorce = self.as_of - timedelta(days=30 + int(self.rng.random() * 700))
            if divorce > valid_from:
                valid_to, end_reason = divorce, DIVORCE
        self.batch.rows["dependent_links"].append(
            (
                self.ids.take("dependent_links"),
                dependent,
                principal,
                relationship,
                valid_from,
                valid_to,
                end_reason,
                *self.audit,
            )
        )

    def _proofs(self, pid: int, age: int) -> None:
        """This school year's proof of studies, and last year's when already a student."""
        institution = _pick(self.rng, names.UNIVERSITIES)
        years = 2 if age >= 22 * YEAR else 1
        for back in range(years):
            start = self.school_year.replace(year=self.school_year.year - back)
            self.batch.rows["student_proofs"].append(
                (
                    self.ids.take("student_proofs"),
                    pid,
                    start,
                    date(start.year + 1, 8, 31),
                    institution,
                    *self.audit,
                )
            )

    def _maybe_ald(self, pid: int, age: int) -> None:
        rng = self.rng
        if self.ald is None or age < 35 * YEAR or rng.random() >= 0.04:
            return
        code = self.ald.pick(rng)
        start = self.as_of - timedelta(days=30 + int(rng.random() * 2_500))
        lifelong = code in ALD_WEIGHTS and rng.random() < 0.6
        eid = self.ids.take("ald_exemptions")
        self.batch.rows["ald_exemptions"].append(
            (
                eid,
                pid,
                code,
                start,
                None if lifelong else add_months(start, 60) - timedelta(days=1),
                f"EXO-{start.year}-{eid:07d}",
                "",
                *self.audit,
            )
        )


def _pick(rng: random.Random, seq: Sequence[Any]) -> Any:
    return seq[int(rng.random() * len(seq))]


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1
