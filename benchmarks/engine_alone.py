"""Benchmark 3: the engine alone, in memory: lines valued per second.

The lines are a synthetic day drawn by daman.synth's claim plan (the same mix as
`daman synth`) over an in-memory world: patients, providers, rights, ALD exemptions and
earlier accepted lines (HISTORY), with the shipped reference data (tariffs, drug list,
rates, ceilings, policy) read from a throwaway SQLite database. The day is then repeated
for fresh patients until it reaches the wanted number of lines, so that no patient's lines
are copies of another's. Only `adjudicate(lines, ctx)` is timed; no database is open then.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.report import Result, Target
from daman.adjudication import context as ctx_loader
from daman.adjudication import frames as f
from daman.adjudication.engine import adjudicate
from daman.core.dates import now
from daman.core.db import make_engine
from daman.core.enums import ProviderKind
from daman.core.migrate import upgrade
from daman.reference import cache
from daman.reference.models import AldDisease
from daman.reference.repository import policies, policy_on
from daman.reference.seed import load_defaults
from daman.synth.claim_context import ClaimContext, Prov, load_context
from daman.synth.claims import ClaimPlan
from daman.synth.population import ALD_WEIGHTS, MUTUAL_WEIGHTS, Ids, Weighted, regime_shares

TARGET_LINES_PER_SECOND = 1_000_000
ALD_SHARE = 0.03  # patients with an ALD exemption in force
ENDED_SHARE = 0.02  # patients whose rights have ended
HISTORY_SHARE = 0.3  # a day of earlier accepted claims, this share of the day's size
DOCUMENT_SHARE = 0.6  # claims with a supporting document attached
BASE_CLAIMS = 60_000  # claims drawn by the plan; repeated for fresh patients beyond
CLAIM_COLUMNS = ("id", "patient_id", "deposit_date")

# Providers by the claim plan's groups: (group, share, sector, consultation keys).
PROVIDER_GROUPS = (
    ("gp", 0.28, "private", ("C",)),
    ("specialist", 0.22, "private", ("Cs", "CsC", "CNPSY")),
    (ProviderKind.DENTIST.value, 0.12, "private", ("",)),
    (ProviderKind.PHARMACY.value, 0.22, "private", ("",)),
    (ProviderKind.LAB.value, 0.05, "private", ("",)),
    ("imaging_centre", 0.03, "private", ("",)),
    ("clinic", 0.035, "private", ("",)),
    ("hospital_public", 0.018, "public", ("",)),
    ("hospital_private", 0.007, "private", ("",)),
)


def _conform(df: pl.DataFrame, schema: Mapping[str, Any]) -> pl.DataFrame:
    return f.conform(df, dict(schema))


class World:
    """Patients, providers and rights of the in-memory world, with the reference frames."""

    def __init__(self, session: Session, patients: int, day: date, seed: int) -> None:
        rng = random.Random(f"{seed}:engine-world")
        self.day = day
        self.patients = patients
        base = load_context(session, day)  # the drug list and tariffs; no persons here
        births = [day - timedelta(days=int(rng.random() * 85 * 365)) for _ in range(patients)]
        ald_weights = dict(ALD_WEIGHTS)
        kinds = dict(session.execute(select(AldDisease.code, AldDisease.kind)).all())
        others = [c for c in sorted(kinds) if c not in ald_weights]
        ald_pick = Weighted(
            [*ald_weights.items(), *((c, 30 / max(1, len(others))) for c in others)]
        )
        self.ald = {
            pid: ald_pick.pick(rng) for pid in range(1, patients + 1) if rng.random() < ALD_SHARE
        }
        self.ald_kind = kinds
        ended = [pid for pid in range(1, patients + 1) if rng.random() < ENDED_SHARE]
        self.ended = set(ended)
        providers: dict[str, list[Prov]] = {}
        self.sector: dict[int, str] = {}
        count = max(100, patients // 100)
        next_id = 1
        for group, share, sector, keys in PROVIDER_GROUPS:
            for i in range(max(2, int(count * share))):
                providers.setdefault(group, []).append(Prov(next_id, keys[i % len(keys)]))
                self.sector[next_id] = sector
                next_id += 1
        self.claims = ClaimContext(
            patients=list(zip(range(1, patients + 1), births, strict=True)),
            ended=ended,
            ald=self.ald,
            providers=providers,
            reimbursable=base.reimbursable,
            not_reimbursable=base.not_reimbursable,
            tariffs=base.tariffs,
        )
        regimes = Weighted(list(regime_shares().items()))
        mutuals = Weighted(list(MUTUAL_WEIGHTS.items()))
        self.regime = [regimes.pick(rng) for _ in range(patients + 1)]
        self.mutual = [mutuals.pick(rng) if r == "CNOPS" else None for r in self.regime]
        self.reference = {
            "rates": ctx_loader.rates(session),
            "complementary": ctx_loader.complementary(session),
            "ceilings": ctx_loader.ceilings(session),
        }
        self.policy = ctx_loader.to_policy(policy_on(policies(session), day))
        self.session = session

    def draw(self, claims: int, deposit: date, seed: str) -> pl.DataFrame:
        """LINES of `claims` claims deposited on `deposit` (ids from 1)."""
        plan = ClaimPlan(
            self.claims,
            rng=random.Random(seed),
            ids=Ids({"claims": 1, "claim_lines": 1, "claim_status_events": 1}),
            numbers=iter(range(1, claims + 1)),
            actor="bench",
            stamp=now(),
        )
        claim_rows: list[tuple[object, ...]] = []
        line_rows: list[tuple[object, ...]] = []
        for batch in [*plan.day(deposit, claims), plan.take()]:
            claim_rows += [(r[0], r[2], r[4]) for r in batch.rows["claims"]]
            line_rows += batch.rows["claim_lines"]
        heads = pl.DataFrame(claim_rows, schema=list(CLAIM_COLUMNS), orient="row")
        body = pl.DataFrame(
            [(r[0], r[1], r[2], r[3], r[4], r[5], r[8], r[9], r[10], r[11], r[12], r[13])
             for r in line_rows],
            schema=[
                "line_id", "claim_id", "line_no", "category", "care_date", "provider_id",
                "act_key", "coefficient_milli", "drug_code", "quantity", "charged_centimes",
                "ald_code",
            ],
            orient="row",
        )  # fmt: skip
        sectors = pl.DataFrame(
            {"provider_id": list(self.sector), "sector": list(self.sector.values())}
        )
        return _conform(
            body.join(heads.rename({"id": "claim_id"}), on="claim_id")
            .join(sectors, on="provider_id", how="left")
            .with_columns(
                continuous_end=pl.lit(None, pl.Date),
                has_document=(pl.col("claim_id").hash(7) % 100) < int(DOCUMENT_SHARE * 100),
            )
            .sort("claim_id", "line_no"),
            f.LINES,
        )

    def repeated(self, day: pl.DataFrame, copies: int) -> pl.DataFrame:
        """The day repeated `copies` times, each copy for another block of patients."""
        claims = int(day.get_column("claim_id").max() or 0)  # type: ignore[arg-type]
        lines = int(day.get_column("line_id").max() or 0)  # type: ignore[arg-type]
        return pl.concat(
            day.with_columns(
                claim_id=pl.col("claim_id") + k * claims,
                line_id=pl.col("line_id") + k * lines,
                patient_id=pl.col("patient_id") + k * self.patients,
            )
            for k in range(copies)
        )

    def context(self, lines: pl.DataFrame, history: pl.DataFrame) -> f.Context:
        """Rights of every (patient, care date), exemptions, history and reference."""
        pairs = lines.select("patient_id", "care_date").unique()
        home = (pl.col("patient_id") - 1) % self.patients + 1
        regime = pl.lit(pl.Series("r", self.regime))
        mutual = pl.lit(pl.Series("m", self.mutual, dtype=pl.String))
        ended = pl.Series("e", sorted(self.ended), dtype=pl.Int64)
        eligibility = pairs.with_columns(
            covered=~home.is_in(ended.implode()),
            regime_code=regime.gather(home),
            mutual_code=mutual.gather(home),
        ).with_columns(
            eligibility_reason=pl.when(pl.col("covered"))
            .then(pl.lit("covered_principal"))
            .otherwise(pl.lit("affiliation_ended"))
        )
        patients = lines.select("patient_id").unique()
        own = pl.DataFrame(
            {
                "home": list(self.ald),
                "ald_code": list(self.ald.values()),
                "kind": [self.ald_kind[c] for c in self.ald.values()],
            },
            schema={"home": pl.Int64, "ald_code": pl.String, "kind": pl.String},
        )
        exemptions = (
            patients.with_columns(home=home)
            .join(own, on="home")
            .with_columns(valid_from=pl.lit(date(2020, 1, 1)), valid_to=pl.lit(None, pl.Date))
        )
        keys = lines.get_column("act_key").drop_nulls().unique().to_list()
        codes = lines.get_column("drug_code").drop_nulls().unique().to_list()
        ref = cache.current(self.session)
        return f.Context(
            eligibility=_conform(eligibility, f.ELIGIBILITY),
            tariffs=ctx_loader.tariffs(ref, keys),
            drug_prices=ctx_loader.drug_prices(ref, codes),
            exemptions=_conform(exemptions, f.EXEMPTIONS),
            history=history,
            policy=self.policy,
            **self.reference,
        )


def history_of(lines: pl.DataFrame) -> pl.DataFrame:
    """Earlier lines as the fund accepted them (base = what was charged)."""
    return _conform(
        lines.with_columns(base_centimes=pl.col("charged_centimes"), claim_id=-pl.col("claim_id")),
        f.HISTORY,
    )


def run(lines: int, seed: int, repeats: int = 3) -> Result:
    started = perf_counter()
    day = date(2026, 6, 15)
    base_claims = min(BASE_CLAIMS, max(1_000, lines // 2))
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'reference.db'}")
        upgrade(engine)
        with Session(engine) as session:
            load_defaults(session)
            session.flush()
            world = World(session, patients=base_claims * 3, day=day, seed=seed)
            drawn = world.draw(base_claims, day, f"{seed}:engine-day")
            copies = max(1, -(-lines // drawn.height))
            batch = world.repeated(drawn, copies)
            earlier = world.draw(int(base_claims * HISTORY_SHARE), day - timedelta(days=90), "h")
            history = history_of(world.repeated(earlier, copies))
            ctx = world.context(batch, history)
        engine.dispose()
    adjudicate(batch.head(5_000), ctx)  # warm-up
    times = []
    decisions = pl.DataFrame()
    for _ in range(repeats):
        t = perf_counter()
        decisions = adjudicate(batch, ctx)
        times.append(perf_counter() - t)
    median = statistics.median(times)
    statuses = decisions.get_column("status").value_counts().sort("status").rows()
    return Result(
        name="engine",
        sizes={
            "lines": batch.height,
            "claims": batch.get_column("claim_id").n_unique(),
            "patients": batch.get_column("patient_id").n_unique(),
            "history_lines": history.height,
            "repeats": repeats,
        },
        figures={
            "lines_per_second": round(batch.height / median),
            "best_lines_per_second": round(batch.height / min(times)),
            "median_seconds": round(median, 3),
            "line_statuses": dict(statuses),
        },
        targets=[Target("lines_per_second", TARGET_LINES_PER_SECOND, "min")],
        seconds=perf_counter() - started,
    )
