"""Load what the engine needs for a set of claims, as the frames of frames.py.

A fixed number of queries whatever the number of claims (each IN list is cut in chunks of
5,000 ids): the lines with their claim and provider, rights (daman.registry.rights), the
tariffs of the keys present, the prices of the drugs present, rates, complementary rates,
the patients' ALD exemptions, their earlier accepted lines (HISTORY), ceilings, the care
that needs a prior authorisation and the patients' authorisations (adjudication/authorisations.py),
and the fund's policy.

Policy is effective-dated by the claim's **deposit date**: the filing rules that apply to
a claim are those in force the day it was handed in. Lines are split by policy row (in
practice one), and each part is valued with its own Context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from daman.adjudication import authorisations as preauth
from daman.adjudication import frames as f
from daman.claims.models import Claim, ClaimDocument, ClaimLine, LineStatus
from daman.claims.repository import chunks, one_of
from daman.core.bulk import frame_of
from daman.providers.models import Provider
from daman.reference import cache
from daman.reference.cache import Reference
from daman.reference.models import (
    ActTariff,
    AldDisease,
    Ceiling,
    ComplementaryRate,
    CoverageRate,
    Drug,
)
from daman.reference.models import DrugPrice as DrugPriceRow
from daman.reference.repository import PolicyRow, category_set, policies, policy_on
from daman.registry.models import AldExemption
from daman.registry.rights import Eligibility, evaluate_many


def frame(rows: Iterable[Sequence[Any]], schema: dict[str, Any]) -> pl.DataFrame:
    """A frame of the contract's schema from result rows (columns in schema order)."""
    data = [tuple(r) for r in rows]
    if not data:
        return f.empty(schema)
    return pl.DataFrame(data, schema=schema, orient="row")


def lines_frame(session: Session, claim_ids: Sequence[int]) -> pl.DataFrame:
    """LINES of the claims, in (claim_id, line_no) order."""
    has_document = exists().where(ClaimDocument.claim_id == ClaimLine.claim_id)
    columns = select(
        ClaimLine.claim_id,
        ClaimLine.id,
        ClaimLine.line_no,
        Claim.patient_id,
        ClaimLine.care_date,
        Claim.deposit_date,
        Claim.continuous_end,
        ClaimLine.category,
        Provider.sector,
        ClaimLine.provider_id,
        ClaimLine.act_key,
        ClaimLine.coefficient_milli,
        ClaimLine.drug_code,
        ClaimLine.quantity,
        ClaimLine.charged_centimes,
        ClaimLine.ald_code,
        has_document,
    )
    parts = [
        columns.join(Claim, Claim.id == ClaimLine.claim_id)
        .join(Provider, Provider.id == ClaimLine.provider_id)
        .where(one_of(session, ClaimLine.claim_id, part), one_of(session, Claim.id, part))
        .order_by(ClaimLine.claim_id, ClaimLine.line_no)
        for part in chunks(sorted(claim_ids))
    ]
    return _read(session, parts, f.LINES)


def unsaved_lines(claim: Claim, sectors: Mapping[int, str], has_document: bool) -> pl.DataFrame:
    """LINES of a claim built in memory and never stored (a dry run): the columns
    `lines_frame` reads, taken from the rows themselves. No row has an id yet, so the claim
    is 0 and its lines -1, -2 ... (ids no stored line has); `sectors` are the providers'
    (by provider id); `has_document`: documents come with the claim."""
    rows = [
        (
            0,
            -ln.line_no,
            ln.line_no,
            claim.patient_id,
            ln.care_date,
            claim.deposit_date,
            claim.continuous_end,
            str(ln.category),
            str(sectors[ln.provider_id]),
            ln.provider_id,
            ln.act_key,
            ln.coefficient_milli,
            ln.drug_code,
            ln.quantity,
            ln.charged_centimes,
            ln.ald_code,
            has_document,
        )
        for ln in sorted(claim.lines, key=lambda ln: ln.line_no)
    ]
    return frame(rows, f.LINES)


def lines_of(
    claims: Sequence[Claim], sectors: Mapping[int, str], has_document: bool = False
) -> pl.DataFrame:
    """LINES of claims built in memory with their ids, not stored yet (the counter values
    them before storing them): the columns `lines_frame` reads, from the rows themselves,
    in (claim_id, line_no) order; `sectors` are the providers' (by provider id)."""
    rows = [
        (
            claim.id,
            ln.id,
            ln.line_no,
            claim.patient_id,
            ln.care_date,
            claim.deposit_date,
            claim.continuous_end,
            str(ln.category),
            str(sectors[ln.provider_id]),
            ln.provider_id,
            ln.act_key,
            ln.coefficient_milli,
            ln.drug_code,
            ln.quantity,
            ln.charged_centimes,
            ln.ald_code,
            has_document,
        )
        for claim in sorted(claims, key=lambda c: c.id)
        for ln in sorted(claim.lines, key=lambda ln: ln.line_no)
    ]
    return frame(rows, f.LINES)


def _read(session: Session, statements: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of the statements, one after the other, as one frame of `schema`; on
    PostgreSQL as one text each (core.bulk.frame_of), elsewhere row by row."""
    if session.get_bind().dialect.name == "postgresql":
        frames = [frame_of(session, stmt, schema) for stmt in statements]
        return pl.concat(frames) if len(frames) > 1 else (frames[0] if frames else f.empty(schema))
    rows: list[Sequence[Any]] = []
    for stmt in statements:
        rows += session.execute(stmt).all()
    return frame(rows, schema)


def eligibility(
    session: Session, lines: pl.DataFrame
) -> tuple[pl.DataFrame, dict[tuple[int, date], Eligibility]]:
    """Rights of each distinct (patient, care date), evaluated once each."""
    pairs = lines.select("patient_id", "care_date").unique().rows()
    found = evaluate_many(session, pairs)
    rows = [
        (pid, on, e.covered, e.reason, e.regime_code, e.mutual_code)
        for (pid, on), e in found.items()
    ]
    return frame(rows, f.ELIGIBILITY), found


def every_tariff(session: Session) -> pl.DataFrame:
    """TARIFFS of every key (kept per reference stamp, daman.reference.cache)."""
    rows = session.execute(
        select(
            ActTariff.key,
            ActTariff.regime_code,
            ActTariff.value_centimes,
            ActTariff.valid_from,
            ActTariff.valid_to,
        ).order_by(ActTariff.id)
    ).all()
    return frame(rows, f.TARIFFS)


def every_drug_price(session: Session) -> pl.DataFrame:
    """DRUG_PRICES of the whole list (kept per reference stamp)."""
    rows = session.execute(
        select(
            Drug.code,
            DrugPriceRow.base_centimes,
            DrugPriceRow.ppv_centimes,
            DrugPriceRow.rate_bp,
            DrugPriceRow.valid_from,
            DrugPriceRow.valid_to,
        )
        .join(DrugPriceRow, DrugPriceRow.drug_id == Drug.id)
        .order_by(DrugPriceRow.id)
    ).all()
    return frame(rows, f.DRUG_PRICES)


def tariffs(ref: Reference, keys: Sequence[str]) -> pl.DataFrame:
    """TARIFFS of these keys."""
    return ref.get(every_tariff).filter(pl.col("key").is_in(list(keys)))


def drug_prices(ref: Reference, codes: Sequence[str]) -> pl.DataFrame:
    """DRUG_PRICES of these codes."""
    return ref.get(every_drug_price).filter(pl.col("drug_code").is_in(list(codes)))


def rates(session: Session) -> pl.DataFrame:
    return frame(
        session.execute(
            select(
                CoverageRate.regime_code,
                CoverageRate.category,
                CoverageRate.sector,
                CoverageRate.exemption,
                CoverageRate.ald_code,
                CoverageRate.rate_bp,
                CoverageRate.valid_from,
                CoverageRate.valid_to,
            )
        ).all(),
        f.RATES,
    )


def complementary(session: Session) -> pl.DataFrame:
    return frame(
        session.execute(
            select(
                ComplementaryRate.mutual_code,
                ComplementaryRate.category,
                ComplementaryRate.rate_bp,
                ComplementaryRate.valid_from,
                ComplementaryRate.valid_to,
            )
        ).all(),
        f.COMPLEMENTARY,
    )


def exemptions(session: Session, patient_ids: Sequence[int]) -> pl.DataFrame:
    rows: list[Sequence[Any]] = []
    for part in chunks(sorted(patient_ids)):
        rows += session.execute(
            select(
                AldExemption.person_id,
                AldExemption.ald_code,
                AldDisease.kind,
                AldExemption.valid_from,
                AldExemption.valid_to,
            )
            .join(AldDisease, AldDisease.code == AldExemption.ald_code)
            .where(one_of(session, AldExemption.person_id, part))
        ).all()
    return frame(rows, f.EXEMPTIONS)


def history(session: Session, patient_ids: Sequence[int], since: date) -> pl.DataFrame:
    """Accepted, reduced or pending_review lines of these patients with care on or after
    `since`: a line waiting for review holds its share of ceilings and counts for duplicates
    until a reviewer rejects it.

    Lines of the claims being valued have no status yet (they are `received`), so they
    never appear here: the engine sees them in LINES.

    The status is filtered here, not in SQL: the lines are reached through the patients'
    claims whatever the planner believes of the statuses (statistics taken before a first
    batch say that no line is accepted, and lead it to scan every line instead).
    """
    columns = select(
        Claim.patient_id,
        ClaimLine.claim_id,
        ClaimLine.id,
        ClaimLine.provider_id,
        ClaimLine.care_date,
        ClaimLine.category,
        ClaimLine.act_key,
        ClaimLine.drug_code,
        ClaimLine.allowed_quantity,
        ClaimLine.base_centimes,
        ClaimLine.status,
    ).join(Claim, Claim.id == ClaimLine.claim_id)
    parts = [
        columns.where(one_of(session, Claim.patient_id, part), ClaimLine.care_date >= since)
        for part in chunks(sorted(patient_ids))
    ]
    counted = pl.col("status").is_in(
        [LineStatus.ACCEPTED.value, LineStatus.REDUCED.value, LineStatus.PENDING_REVIEW.value]
    )
    return _read(session, parts, f.HISTORY | {"status": pl.String}).filter(counted).drop("status")


def ceilings(session: Session) -> pl.DataFrame:
    return frame(
        session.execute(
            select(
                Ceiling.category,
                Ceiling.regime_code,
                Ceiling.max_base_centimes,
                Ceiling.max_quantity,
                Ceiling.period_days,
                Ceiling.valid_from,
                Ceiling.valid_to,
            )
        ).all(),
        f.CEILINGS,
    )


def to_policy(row: PolicyRow | None) -> f.Policy:
    if row is None:
        return f.Policy()
    return f.Policy(
        filing_deadline_days=row.filing_deadline_days,
        review_threshold_centimes=row.review_threshold_centimes,
        late_policy=row.late_policy,
        late_penalty_bp=row.late_penalty_bp,
        document_categories=category_set(row.document_categories),
    )


@dataclass(frozen=True)
class Loaded:
    """The lines to value, split by the policy in force, each with its Context."""

    lines: pl.DataFrame
    parts: list[tuple[pl.DataFrame, f.Context]]
    rights: dict[tuple[int, date], Eligibility]


def load(session: Session, claim_ids: Sequence[int]) -> Loaded:
    return load_lines(session, lines_frame(session, claim_ids))


def load_lines(session: Session, lines: pl.DataFrame, ref: Reference | None = None) -> Loaded:
    """The context of these LINES: of stored claims (`load`) or of one not stored (a dry
    run, `unsaved_lines`), read by the same queries. ``ref``: the reference data already
    read by the caller's transaction (else read here)."""
    if lines.is_empty():
        return Loaded(lines, [], {})
    ref = ref or cache.current(session)
    elig, rights = eligibility(session, lines)
    patients = lines.get_column("patient_id").unique().to_list()
    ceiling_rows = ref.get(ceilings)
    longest = int(ceiling_rows.get_column("period_days").max() or 0)  # type: ignore[arg-type]
    first: date = lines.get_column("care_date").min()  # type: ignore[assignment]
    since = first - timedelta(days=longest)
    shared = {
        "eligibility": elig,
        "tariffs": tariffs(ref, lines.get_column("act_key").drop_nulls().unique().to_list()),
        "drug_prices": drug_prices(
            ref, lines.get_column("drug_code").drop_nulls().unique().to_list()
        ),
        "rates": ref.get(rates),
        "complementary": ref.get(complementary),
        "exemptions": exemptions(session, patients),
        "history": history(session, patients, since),
        "ceilings": ceiling_rows,
        # Care needing a prior authorisation, and the authorisations of these patients.
        "requirements": ref.get(preauth.requirements),
        "authorisations": preauth.authorisations(
            session,
            patients,
            first,
            lines.get_column("care_date").max(),  # type: ignore[arg-type]
        ),
    }
    rows = ref.get(policies)
    deposits = lines.get_column("deposit_date").unique().to_list()
    policy_of = {d: policy_on(rows, d) for d in deposits}
    parts: list[tuple[pl.DataFrame, f.Context]] = []
    for row in {p.id if p else None: p for p in policy_of.values()}.values():
        same = [d for d, p in policy_of.items() if p == row]
        part = lines.filter(pl.col("deposit_date").is_in(same)) if len(policy_of) > 1 else lines
        parts.append((part, f.Context(**shared, policy=to_policy(row))))
    return Loaded(lines, parts, rights)
