"""The demo: a few fixed persons and providers with documented numbers, then a small
generated population and a day of claims, adjudicated.

The fixed persons are created first, so on a fresh database they always get the first
immatriculation numbers, in the order of `FIXED` (DM0000000194, DM0000000291, ...), and
their claims the first claim numbers. Every date is relative to the business date, so
rights stay as designed whenever the demo is loaded (the employee's declared days cover
the last two years, the lost jobs ended 4 and 8 months ago ...).

Loading is idempotent: when the first fixed person (CNIE BK100001) is there, nothing is
written and the fixed persons are read back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from time import perf_counter

from rich.console import Console
from rich.table import Table
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from daman.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_USERNAMES
from daman.accounts.service import NewUser, create_user
from daman.adjudication.service import value
from daman.auth.models import Role, User
from daman.claims.models import Channel, Claim
from daman.config import get_settings
from daman.contributions.collection.models import MemberCategory
from daman.contributions.collection.service import link_employer_user
from daman.core.dates import add_months, month_start, today
from daman.core.db import unit_of_work
from daman.core.enums import AffiliationEndReason, RegimeCode
from daman.core.identifiers import allocate, immatriculation, rib_key
from daman.providers.models import Provider
from daman.reference.models import Agency
from daman.registry.models import (
    Affiliation,
    AldExemption,
    Contribution,
    DependentLink,
    Employer,
    Person,
    StudentProof,
)
from daman.synth.claim_context import Prov
from daman.synth.claims import Featured, generate_claims
from daman.synth.demo_data import FIXED, FIXED_PROVIDERS, MARKER_CNIE
from daman.synth.population import DEFAULT_LIAISON, YEAR, school_year_start
from daman.synth.service import Reference, generate, load_reference

DEMO_ACTOR = "demo"
DEMO_PERSONS = 2_000  # generated, besides the fixed ones
DEMO_PROVIDERS = 195  # generated, besides the fixed ones
DEMO_CLAIMS = 500  # claims deposited today, besides the fixed persons' own
HISTORY_MONTHS = 24
DEMO_AGENT_AGENCY = "RBT-AGD"
DEMO_EMPLOYER = "10000001"  # Atlas Textiles SARL: the demo employee's employer
DEMO_TNS_CATEGORY = "TRADER_SIMPLIFIED"  # the self-employed demo person's, from the DGI
# A few agencies of the fund (code, name in French and Arabic, city, region): the demo
# agent works at the first; the day's paper claims are handed in at one of them.
DEMO_AGENCIES = (
    ("RBT-AGD", "Agence Rabat Agdal", "وكالة الرباط أكدال", "Rabat", "Rabat-Salé-Kénitra"),
    (
        "CAS-MAA",
        "Agence Casablanca Maârif",
        "وكالة الدار البيضاء المعاريف",
        "Casablanca",
        "Casablanca-Settat",
    ),
    ("FES-SAI", "Agence Fès Saïss", "وكالة فاس سايس", "Fès", "Fès-Meknès"),
    ("AGA-DAK", "Agence Agadir Dakhla", "وكالة أكادير الداخلة", "Agadir", "Souss-Massa"),
)


@dataclass(frozen=True)
class DemoPerson:
    role: str
    name: str
    name_ar: str
    immatriculation: str
    regime: str
    try_: str
    rights: str = ""  # reason code of the eligibility check today
    claim: str | None = None


@dataclass(frozen=True)
class DemoProvider:
    role: str
    name: str
    inpe: str


@dataclass
class DemoResult:
    created: bool
    seed: int
    persons: list[DemoPerson] = field(default_factory=list)
    providers: list[DemoProvider] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    claim_statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    accounts: list[tuple[str, str]] = field(default_factory=list)  # username, role


def load_demo(seed: int | None = None, session: Session | None = None) -> DemoResult:
    """Load the demo once (idempotent); in `session` when given (it only flushes)."""
    if session is None:
        with unit_of_work() as own:
            return load_demo(seed, own)
    seed = get_settings().demo_seed if seed is None else seed
    started = perf_counter()
    on = today()
    if session.scalar(select(Person.id).where(Person.cnie == MARKER_CNIE)) is None:
        result = _load(session, seed, on)
    else:
        result = DemoResult(created=False, seed=seed)
    result.persons = _read_back(session, on)
    result.providers = [
        DemoProvider(p.role, p.name, p.inpe)
        for p in FIXED_PROVIDERS
        if session.scalar(select(Provider.id).where(Provider.inpe == p.inpe)) is not None
    ]
    result.accounts = [
        (username, role)
        for username, role in session.execute(
            select(User.username, User.role)
            .where(User.username.in_(DEMO_USERNAMES))
            .order_by(User.id)
        )
    ]
    result.seconds = perf_counter() - started
    return result


def _load(session: Session, seed: int, on: date) -> DemoResult:
    reference = load_reference(session, on)
    persons = _fixed_persons(session, on, reference)
    providers = _fixed_providers(session, on)
    _agencies(session, on)
    session.flush()
    if get_settings().environment == "development":
        _accounts(session, persons, providers)
    population = generate(
        session,
        persons=DEMO_PERSONS,
        providers=DEMO_PROVIDERS,
        seed=seed,
        as_of=on,
        actor=DEMO_ACTOR,
    )
    featured = [
        Featured(persons[f.key].id, f.claim, f.late_claim) for f in FIXED if f.claim is not None
    ]
    by_group: dict[str, list[Prov]] = {}
    for f in FIXED_PROVIDERS:
        key = {"gp": "C", "specialist": "Cs"}.get(f.group, "")
        by_group.setdefault(f.group, []).append(Prov(providers[f.key].id, key))
    claims = generate_claims(
        session,
        per_day=DEMO_CLAIMS,
        seed=seed,
        until=on,
        actor=DEMO_ACTOR,
        featured=featured,
        featured_providers=by_group,
    )
    _hand_in_at_agencies(session, claims.claim_ids)
    statuses = _adjudicate(session, claims.claim_ids)
    return DemoResult(
        created=True,
        seed=seed,
        counts={
            "persons": population.persons + len(FIXED),
            "providers": population.providers + len(FIXED_PROVIDERS),
            "claims": claims.claims,
        },
        claim_statuses=statuses,
    )


# The fixed person each demo insured account is linked to (synth.demo_data.FIXED keys).
INSURED_ACCOUNTS = {"youssef": "employee", "latifa": "ald"}


def _accounts(session: Session, persons: dict[str, Person], providers: dict[str, Provider]) -> None:
    """One account per role (and the ALD patient's, for the doctor and pharmacy journey),
    all with DEMO_PASSWORD: development only. A production server refuses to start while
    one of them keeps that password (daman.accounts.demo)."""
    for username, role, full_name in DEMO_ACCOUNTS:
        insured = persons[INSURED_ACCOUNTS[username]] if role is Role.INSURED else None
        person = insured.immatriculation if insured is not None else None
        kind = "gp" if username == "docteur" else "pharmacy"
        provider = providers[kind].inpe if role is Role.PROVIDER else None
        new = NewUser(username, role, DEMO_PASSWORD, full_name, person, provider)
        user = create_user(session, new, DEMO_ACTOR)
        if role is Role.AGENT:
            user.agency_code = DEMO_AGENT_AGENCY
        if role is Role.EMPLOYER:  # declares for the demo employer (its payroll office)
            link_employer_user(session, DEMO_EMPLOYER, username, DEMO_ACTOR)


def _agencies(session: Session, on: date) -> None:
    """The demo agencies that are not there yet (reference data may already hold some)."""
    known = set(session.scalars(select(Agency.code)))
    for code, name_fr, name_ar, city, region in DEMO_AGENCIES:
        if code not in known:
            session.add(
                Agency(
                    code=code,
                    name_fr=name_fr,
                    name_ar=name_ar,
                    city=city,
                    region=region,
                    valid_from=date(on.year - 10, 1, 1),
                    created_by=DEMO_ACTOR,
                    updated_by=DEMO_ACTOR,
                )
            )


def _hand_in_at_agencies(session: Session, claim_ids: list[int]) -> None:
    """Each paper claim of the day handed in at one of the demo agencies, in turn."""
    codes = [code for code, *_ in DEMO_AGENCIES]
    paper = session.scalars(
        select(Claim.id).where(Claim.id.in_(claim_ids), Claim.channel == Channel.AGENCY)
    ).all()
    for n, code in enumerate(codes):
        ids = [cid for i, cid in enumerate(paper) if i % len(codes) == n]
        for i in range(0, len(ids), 500):
            session.execute(
                update(Claim).where(Claim.id.in_(ids[i : i + 500])).values(agency_code=code)
            )


def _adjudicate(session: Session, claim_ids: list[int]) -> dict[str, int]:
    """Value the day's claims with the adjudication service."""
    valued = value(session, claim_ids, DEMO_ACTOR)
    return {str(k): v for k, v in sorted(valued.claim_statuses.items())}


def _birth(on: date, age: tuple[int, int]) -> date:
    years, days = age
    try:
        return on.replace(year=on.year - years) - timedelta(days=days)
    except ValueError:  # 29 February
        return date(on.year - years, 3, 1) - timedelta(days=days)


def _rib(n: int) -> str:
    first22 = f"007780{n:016d}"
    return first22 + rib_key(first22)


def _fixed_persons(session: Session, on: date, reference: Reference) -> dict[str, Person]:
    mutuals, ald_codes = reference.mutuals, reference.ald_codes
    numbers = allocate(session, "immatriculation", len(FIXED))
    stamp = {"created_by": DEMO_ACTOR, "updated_by": DEMO_ACTOR}
    employer = Employer(
        number=DEMO_EMPLOYER,
        name="Atlas Textiles SARL",
        ice="001234567000062",
        city="Casablanca",
        **stamp,
    )
    session.add(employer)
    persons: dict[str, Person] = {}
    for f, k in zip(FIXED, numbers, strict=True):
        person = Person(
            immatriculation=immatriculation(k),
            cnie=f.cnie,
            first_name=f.first[0],
            first_name_ar=f.first[1],
            last_name=f.last[0],
            last_name_ar=f.last[1],
            birth_date=_birth(on, f.age),
            sex=f.sex.value,
            disabled=False,
            rib=_rib(k) if f.regime is not None else None,
            phone=f"06610000{k % 100:02d}" if f.cnie else None,
            preferred_language="ar" if k % 2 else "fr",
            **stamp,
        )
        persons[f.key] = person
    session.add_all(persons.values())
    session.flush()
    rows: list[object] = []
    this_month = month_start(on)

    def affiliation(key: str, regime: RegimeCode, since: date, **extra: object) -> None:
        rows.append(
            Affiliation(
                person_id=persons[key].id,
                regime_code=regime.value,
                valid_from=since,
                **extra,
                **stamp,
            )
        )

    def months(key: str, last: date, days: int, amount: int, employer_id: int | None) -> None:
        for back in range(HISTORY_MONTHS):
            rows.append(
                Contribution(
                    person_id=persons[key].id,
                    employer_id=employer_id,
                    month=add_months(last, -back),
                    declared_days=days,
                    amount_centimes=amount,
                    paid=True,
                    note="",
                    **stamp,
                )
            )

    def years_ago(n: int) -> date:
        return add_months(on, -12 * n)

    affiliation("employee", RegimeCode.CNSS_SAL, years_ago(14), employer_id=employer.id)
    # declared up to last month: the employer declares this month during the next one
    months("employee", add_months(this_month, -1), 26, 54_145, employer.id)
    for key, lost in (("job_lost_4", 4), ("job_lost_8", 8)):
        end = add_months(on, -lost)
        affiliation(
            key,
            RegimeCode.CNSS_SAL,
            years_ago(6),
            employer_id=employer.id,
            valid_to=end,
            end_reason=AffiliationEndReason.JOB_LOSS.value,
        )
        months(key, month_start(end), 26, 31_850, employer.id)
    mutual = {m: m if m in mutuals else None for m in ("MGPAP", "MGEN")}
    affiliation("civil_servant", RegimeCode.CNOPS, years_ago(20), mutual_code=mutual["MGPAP"])
    affiliation("ald", RegimeCode.CNOPS, years_ago(19), mutual_code=mutual["MGEN"])
    affiliation("tadamon", RegimeCode.TADAMON, on - timedelta(days=700), rsu_score="8.1500000")
    affiliation("tns", RegimeCode.TNS, years_ago(2))
    months("tns", this_month, 0, 21_500, None)
    if DEMO_TNS_CATEGORY in reference.tns_categories:  # priced by the monthly TNS run
        rows.append(
            MemberCategory(
                person_id=persons["tns"].id,
                category_code=DEMO_TNS_CATEGORY,
                valid_from=years_ago(2),
                valid_to=None,
                liaison=DEFAULT_LIAISON,
                **stamp,
            )
        )
    affiliation(
        "chamil", RegimeCode.CHAMIL, add_months(on, -HISTORY_MONTHS), rsu_score="11.2000000"
    )
    months("chamil", this_month, 0, 14_300, None)
    since = {a.person_id: a.valid_from for a in rows if isinstance(a, Affiliation)}
    for f in FIXED:
        if f.principal is None or f.relationship is None:
            continue
        principal, dependent = persons[f.principal], persons[f.key]
        rows.append(
            DependentLink(
                dependent_id=dependent.id,
                principal_id=principal.id,
                relationship_=f.relationship.value,
                valid_from=max(since[principal.id], dependent.birth_date),
                **stamp,
            )
        )
    year = school_year_start(on)
    for back in (1, 0):
        start = year.replace(year=year.year - back)
        rows.append(
            StudentProof(
                person_id=persons["student"].id,
                valid_from=start,
                valid_to=date(start.year + 1, 8, 31),
                institution="Université Hassan II - Casablanca",
                **stamp,
            )
        )
    if "ALD09" in ald_codes:
        rows.append(
            AldExemption(
                person_id=persons["ald"].id,
                ald_code="ALD09",
                valid_from=years_ago(3),
                valid_to=None,
                reference="EXO-DEMO-0001",
                note="diabetes, for life",
                **stamp,
            )
        )
    session.add_all(rows)
    return persons


def _fixed_providers(session: Session, on: date) -> dict[str, Provider]:
    providers = {
        p.key: Provider(
            inpe=p.inpe,
            kind=p.kind.value,
            name=p.name,
            sector=p.sector.value,
            specialty=p.specialty,
            city=p.city,
            rib=_rib(int(p.inpe)),
            valid_from=on - timedelta(days=int(12 * YEAR)),
            created_by=DEMO_ACTOR,
            updated_by=DEMO_ACTOR,
        )
        for p in FIXED_PROVIDERS
    }
    session.add_all(providers.values())
    return providers


def _read_back(session: Session, on: date) -> list[DemoPerson]:
    """The fixed persons as stored, with their rights today and their first demo claim."""
    from daman.registry.rights import evaluate_many

    found: dict[str, Person] = {}
    for f in FIXED:
        if f.cnie is not None:
            person = session.scalar(select(Person).where(Person.cnie == f.cnie))
        elif f.principal in found:
            person = session.scalar(
                select(Person)
                .join(DependentLink, DependentLink.dependent_id == Person.id)
                .where(
                    DependentLink.principal_id == found[f.principal].id,
                    Person.first_name == f.first[0],
                )
            )
        else:
            person = None
        if person is not None:
            found[f.key] = person
    rights = evaluate_many(session, [(p.id, on) for p in found.values()])
    out = []
    for f in FIXED:
        person = found.get(f.key)
        if person is None:
            continue
        claim = None
        if f.claim is not None:  # the featured claim: the person's first demo claim
            claim = session.scalar(
                select(Claim.number)
                .where(Claim.patient_id == person.id, Claim.submitter == DEMO_ACTOR)
                .order_by(Claim.id)
                .limit(1)
            )
        eligibility = rights.get((person.id, on))
        regime = f.regime or (eligibility.regime_code if eligibility else None) or ""
        out.append(
            DemoPerson(
                role=f.role,
                name=f"{person.first_name} {person.last_name}",
                name_ar=f"{person.first_name_ar or ''} {person.last_name_ar or ''}".strip(),
                immatriculation=person.immatriculation,
                regime=str(regime),
                try_=f.try_,
                rights=eligibility.reason if eligibility else "",
                claim=claim,
            )
        )
    return out


def print_demo(result: DemoResult, console: Console) -> None:
    table = Table(title=f"Daman demo persons (seed {result.seed})")
    table.add_column("role")
    table.add_column("name")
    table.add_column("الاسم")
    table.add_column("immatriculation", no_wrap=True, min_width=12)
    table.add_column("regime", no_wrap=True)
    table.add_column("rights today")
    table.add_column("claim", no_wrap=True, min_width=11)
    table.add_column("what to try")
    for p in result.persons:
        table.add_row(
            p.role, p.name, p.name_ar, p.immatriculation, p.regime, p.rights, p.claim or "", p.try_
        )
    console.print(table)
    providers = Table(title="Demo providers")
    providers.add_column("role")
    providers.add_column("name")
    providers.add_column("INPE", no_wrap=True)
    for d in result.providers:
        providers.add_row(d.role, d.name, d.inpe)
    console.print(providers)
    if result.accounts:
        accounts = Table(title="Demo accounts")
        accounts.add_column("username")
        accounts.add_column("role")
        accounts.add_column("password")
        for username, role in result.accounts:
            accounts.add_row(username, role, DEMO_PASSWORD)
        console.print(accounts)
        console.print(
            "(demo accounts are for development only: outside it the server refuses to "
            "start until they are disabled or their passwords changed)"
        )
    if result.created:
        counts = ", ".join(f"{v:,} {k}" for k, v in result.counts.items())
        statuses = ", ".join(f"{v:,} {k}" for k, v in result.claim_statuses.items())
        console.print(f"[green]demo loaded[/green] in {result.seconds:.1f} s: {counts}")
        if statuses:
            console.print(f"today's claims valued: {statuses}")
    else:
        console.print(
            f"demo already loaded (person with CNIE {MARKER_CNIE} found): nothing changed"
        )
    console.print(
        "Try: GET /api/v1/eligibility?person=<immatriculation>, "
        "GET /api/v1/insured/<immatriculation>, GET /api/v1/claims/<claim>"
    )
