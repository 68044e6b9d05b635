"""Generate a synthetic population (and its providers) straight into the database.

`generate` reads the reference rows it depends on (regimes, mutuals, ALD list, the
Tadamon threshold, TNS categories), reserves immatriculation numbers in one block, plans the rows
(synth/population.py, synth/providers.py) and writes them in bulk (synth/bulk.py).
It only flushes: the caller's unit of work commits.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from time import perf_counter

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import daman.contributions.collection.models  # noqa: F401 - member_categories, for the writer
from daman.contributions.collection.rules_in_force import tns_categories
from daman.core.dates import now, today
from daman.core.enums import RegimeCode
from daman.core.errors import DamanError
from daman.core.identifiers import allocate
from daman.reference.models import AldDisease, Mutual, Regime, RightsRule
from daman.synth.bulk import BulkWriter
from daman.synth.population import (
    DEFAULT_RSU_MAX,
    TABLES,
    Ids,
    PopulationPlan,
    Row,
    expected_households,
)
from daman.synth.providers import PROVIDER_COLUMNS, provider_rows

SYNTH_ACTOR = "synth"
EMPLOYEES_PER_EMPLOYER = 12
BATCH_PERSONS = 50_000
SUSPEND_FOREIGN_KEYS_FROM = 50_000  # persons; below, checking row by row costs little

Progress = Callable[[int], None]


class ReferenceMissing(DamanError):
    code = "reference_missing"
    status = 409


@dataclass(frozen=True)
class Reference:
    mutuals: tuple[str, ...]
    ald_codes: tuple[str, ...]
    rsu_max: str
    tns_categories: tuple[str, ...] = ()


@dataclass
class SynthResult:
    persons: int = 0
    principals: int = 0
    dependents: int = 0
    providers: int = 0
    by_regime: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    first_person_id: int = 0
    seconds: float = 0.0

    @property
    def persons_per_second(self) -> float:
        return self.persons / self.seconds if self.seconds else 0.0


def load_reference(session: Session, on: date) -> Reference:
    """The reference rows a population needs; refuses to run without the regimes."""
    regimes = set(session.scalars(select(Regime.code)))
    missing = sorted(set(RegimeCode) - regimes)
    if missing:
        raise ReferenceMissing(
            f"regimes {', '.join(missing)} are not in the database: run `daman init` first"
        )
    mutuals = tuple(sorted(session.scalars(select(Mutual.code))))
    ald = tuple(
        sorted(
            session.scalars(
                select(AldDisease.code).where(
                    AldDisease.valid_from <= on,
                    or_(AldDisease.valid_to.is_(None), AldDisease.valid_to >= on),
                )
            )
        )
    )
    rsu_max = session.scalars(
        select(RightsRule.rsu_max)
        .where(
            RightsRule.regime_code == RegimeCode.TADAMON,
            RightsRule.rsu_max.isnot(None),
            RightsRule.valid_from <= on,
            or_(RightsRule.valid_to.is_(None), RightsRule.valid_to >= on),
        )
        .order_by(RightsRule.valid_from.desc())
    ).first()
    # the categories the month's TNS run prices members by
    tns = tuple(sorted(tns_categories(session, on)))
    return Reference(mutuals, ald, rsu_max or DEFAULT_RSU_MAX, tns)


Chunk = tuple[str, Sequence[str], list[Row], int]  # table, columns, rows, persons so far


def population_rows(
    plan: PopulationPlan, *, seed: int, providers: int, batch_persons: int = BATCH_PERSONS
) -> Iterator[Chunk]:
    """Every row of a population, in insertion order (parents first). Pure: the same
    plan and arguments give the same rows on every machine."""
    rng = random.Random(f"{seed}:providers")  # noqa: S311 - synthetic data
    yield (
        "providers",
        PROVIDER_COLUMNS,
        provider_rows(rng, providers, plan.ids, plan.as_of, plan.audit),
        0,
    )
    if plan.persons:
        cnss = expected_households(plan.persons)[RegimeCode.CNSS_SAL]
        employers = plan.employers(max(1, round(cnss / EMPLOYEES_PER_EMPLOYER)))
        yield "employers", TABLES["employers"], employers, 0
    done = 0
    for batch in plan.batches(batch_persons):
        done += batch.persons
        for name, columns in TABLES.items():
            yield name, columns, batch.rows[name], done


def generate(
    session: Session,
    *,
    persons: int,
    seed: int,
    providers: int | None = None,
    as_of: date | None = None,
    actor: str = SYNTH_ACTOR,
    batch_persons: int = BATCH_PERSONS,
    progress: Progress | None = None,
) -> SynthResult:
    """Add `persons` synthetic persons and `providers` providers (default: one for a
    hundred persons). Same seed, date and starting database: same rows."""
    started = perf_counter()
    as_of = as_of or today()
    providers = max(10, persons // 100) if providers is None else providers
    reference = load_reference(session, as_of)
    numbers = allocate(session, "immatriculation", persons) if persons else range(1, 1)
    with BulkWriter(session) as writer:
        ids = Ids(writer.next_ids([*TABLES, "providers"]))
        first_person_id = ids.next["persons"]
        if persons >= SUSPEND_FOREIGN_KEYS_FROM:
            writer.suspend_foreign_keys(TABLES)
        plan = PopulationPlan(
            seed=seed,
            persons=persons,
            as_of=as_of,
            ids=ids,
            first_number=numbers.start,
            mutuals=reference.mutuals,
            ald_codes=reference.ald_codes,
            rsu_max=reference.rsu_max,
            tns_categories=reference.tns_categories,
            actor=actor,
            stamp=now(),
        )
        reported = 0
        for name, columns, rows, done in population_rows(
            plan, seed=seed, providers=providers, batch_persons=batch_persons
        ):
            writer.write(name, columns, rows)
            if progress and done > reported:
                reported = done
                progress(done)
    session.flush()
    return SynthResult(
        persons=plan.tally.principals + plan.tally.dependents,
        principals=plan.tally.principals,
        dependents=plan.tally.dependents,
        providers=providers,
        by_regime=dict(sorted(plan.tally.by_regime.items())),
        rows=dict(writer.written),
        first_person_id=first_person_id,
        seconds=perf_counter() - started,
    )
