"""What the fund expects to pay for planned care: the adjudication engine run on the
planned lines as if they were a claim deposited on the planned start.

The same pure engine values claims, so the estimate uses the same rights, tariffs, rates
(ALD exemptions included) and rounding. The planned lines are valued without history
(they are not care yet), without filing deadline (deposited on the planned start), with
their documents in the request's file, and without the authorisation rule itself (they
are what is being authorised).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy.orm import Session

from daman.adjudication import context as ctx
from daman.adjudication import engine
from daman.adjudication import frames as f
from daman.preauth.models import PreauthRequest
from daman.reference import cache
from daman.reference.repository import policies, policy_on


@dataclass(frozen=True)
class Rights:
    covered: bool
    reason: str
    regime_code: str | None


def value(session: Session, row: PreauthRequest) -> Rights:
    """Fill the expected amounts of each planned line and the request's totals."""
    start = row.planned_start
    data = [
        {
            "claim_id": 0,
            "line_id": ln.line_no,
            "line_no": ln.line_no,
            "patient_id": row.patient_id,
            "care_date": start,
            "deposit_date": start,
            "continuous_end": None,
            "category": ln.category,
            "sector": row.provider.sector,
            "provider_id": row.provider_id,
            "act_key": ln.act_key,
            "coefficient_milli": ln.coefficient_milli,
            "drug_code": None,
            "quantity": ln.quantity,
            "charged_centimes": ln.estimate_centimes,
            "ald_code": row.ald_code,
            "has_document": True,
        }
        for ln in row.lines
    ]
    lines = pl.DataFrame(data, schema=f.LINES)
    ref = cache.current(session)
    eligibility, rights = ctx.eligibility(session, lines)
    keys = sorted({ln.act_key for ln in row.lines if ln.act_key})
    context = f.Context(
        eligibility=eligibility,
        tariffs=ctx.tariffs(ref, keys),
        drug_prices=ctx.drug_prices(ref, []),
        rates=ref.get(ctx.rates),
        complementary=ref.get(ctx.complementary),
        exemptions=ctx.exemptions(session, [row.patient_id]),
        history=pl.DataFrame(schema=f.HISTORY),
        ceilings=ref.get(ctx.ceilings),
        policy=ctx.to_policy(policy_on(ref.get(policies), start)),
    )
    decided = {d["line_id"]: d for d in engine.adjudicate(lines, context).iter_rows(named=True)}
    for ln in row.lines:
        d = decided[ln.line_no]
        ln.reference_centimes = d["reference_centimes"]
        ln.base_centimes = d["base_centimes"] or 0
        ln.rate_bp = d["rate_bp"] or 0
        ln.expected_amo_centimes = d["amo_centimes"] or 0
        ln.expected_complementary_centimes = d["complementary_centimes"] or 0
        ln.expected_patient_centimes = d["patient_centimes"] or 0
        ln.reasons = list(d["reasons"] or [])
    row.estimate_centimes = sum(ln.estimate_centimes for ln in row.lines)
    row.expected_amo_centimes = sum(ln.expected_amo_centimes for ln in row.lines)
    row.expected_patient_centimes = sum(ln.expected_patient_centimes for ln in row.lines)
    found = rights.get((row.patient_id, start))
    if found is None:
        return Rights(False, "unknown", None)
    return Rights(found.covered, found.reason, found.regime_code)
