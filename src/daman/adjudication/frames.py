"""The engine's contract: the columns of every frame it reads and the one it returns.

The service (adjudication/service.py) loads these frames from the database; the engine
(adjudication/engine.py) is a pure function of them. Nothing else crosses the boundary.

Conventions: money in integer centimes (Int64), rates in basis points (Int64, 7000 = 70 %),
dates as pl.Date, effective ranges closed [valid_from, valid_to] with null valid_to = open.
A null regime_code / sector / ald_code / mutual_code in a reference frame means "any"; when
a specific row and an "any" row both match, the specific one wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from daman.core.enums import CareCategory, LatePolicy

# One row per claim line to value.
LINES = {
    "claim_id": pl.Int64,
    "line_id": pl.Int64,
    "line_no": pl.Int64,
    "patient_id": pl.Int64,
    "care_date": pl.Date,
    "deposit_date": pl.Date,  # date de dépôt: the filing deadline counts from it
    "continuous_end": pl.Date,  # end of a continuous treatment (nullable)
    "category": pl.String,  # CareCategory
    "sector": pl.String,  # Sector of the provider
    "provider_id": pl.Int64,
    "act_key": pl.String,  # TNR letter key or per-day tariff key (nullable)
    "coefficient_milli": pl.Int64,  # coefficient x 1000 (K 22.5 -> 22500; nullable)
    "drug_code": pl.String,  # EAN-13 (nullable)
    "quantity": pl.Int64,
    "charged_centimes": pl.Int64,  # what the patient paid for the whole line
    "ald_code": pl.String,  # disease the line is declared linked to (nullable)
    "has_document": pl.Boolean,
}

# Rights of each (patient, care_date) pair, computed by daman.registry.rights.
ELIGIBILITY = {
    "patient_id": pl.Int64,
    "care_date": pl.Date,
    "covered": pl.Boolean,
    "eligibility_reason": pl.String,  # reason code from the registry
    "regime_code": pl.String,
    "mutual_code": pl.String,
}

TARIFFS = {
    "key": pl.String,
    "regime_code": pl.String,
    "value_centimes": pl.Int64,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}

DRUG_PRICES = {
    "drug_code": pl.String,
    "base_centimes": pl.Int64,  # PRIX_BR
    "ppv_centimes": pl.Int64,
    "rate_bp": pl.Int64,  # TAUX_REMBOURSEMENT (0 = not reimbursable)
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}

RATES = {
    "regime_code": pl.String,
    "category": pl.String,
    "sector": pl.String,
    "exemption": pl.String,  # none / ald / alc
    "ald_code": pl.String,
    "rate_bp": pl.Int64,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}

COMPLEMENTARY = {
    "mutual_code": pl.String,
    "category": pl.String,
    "rate_bp": pl.Int64,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}

# Active ALD/ALC exemptions of the patients in the batch.
EXEMPTIONS = {
    "patient_id": pl.Int64,
    "ald_code": pl.String,
    "kind": pl.String,  # ald / alc
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}

# Lines already accepted (or reduced) for these patients, from claims outside the batch.
HISTORY = {
    "patient_id": pl.Int64,
    "claim_id": pl.Int64,
    "line_id": pl.Int64,
    "provider_id": pl.Int64,
    "care_date": pl.Date,
    "category": pl.String,
    "act_key": pl.String,
    "drug_code": pl.String,
    "quantity": pl.Int64,
    "base_centimes": pl.Int64,
}

# Ceilings and frequency limits: at most max_base_centimes of base and/or max_quantity
# units of a category within period_days (e.g. dental prosthesis 300000 per 730 days).
CEILINGS = {
    "category": pl.String,
    "regime_code": pl.String,
    "max_base_centimes": pl.Int64,
    "max_quantity": pl.Int64,
    "period_days": pl.Int64,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}

# Care that needs a prior authorisation (prise en charge): a line of this category (and
# regime, null = any) with care on a date in force needs an AUTHORISATIONS row.
REQUIREMENTS = {
    "category": pl.String,
    "regime_code": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}

# Authorised lines of agreed pre-authorisations of the patients in the batch, with what is
# left of them (agreed less what accepted lines of earlier claims already used).
AUTHORISATIONS = {
    "auth_id": pl.Int64,  # the authorised (planned) line
    "patient_id": pl.Int64,
    "provider_id": pl.Int64,
    "category": pl.String,
    "item": pl.String,  # act key or drug code; null = any item of the category
    "valid_from": pl.Date,
    "valid_to": pl.Date,
    "rate_bp": pl.Int64,  # the rate the authorisation states
    "max_base_centimes": pl.Int64,  # agreed base still available
    "max_quantity": pl.Int64,  # agreed units (days, sessions) still available
}

# What the engine returns: one row per input line.
DECISIONS = {
    "claim_id": pl.Int64,
    "line_id": pl.Int64,
    "status": pl.String,  # LineStatus: accepted / reduced / rejected / pending_review
    "reference_centimes": pl.Int64,  # unit reference price (TNR value x coeff, PRIX_BR)
    "base_centimes": pl.Int64,
    "rate_bp": pl.Int64,
    "amo_centimes": pl.Int64,
    "complementary_centimes": pl.Int64,
    "patient_centimes": pl.Int64,
    "reasons": pl.List(pl.String),  # catalogued reason codes, see reasons.py
    # Units covered: the line's quantity, less what a frequency limit cut; 0 when rejected.
    # HISTORY.quantity of an accepted/reduced line is this value.
    "allowed_quantity": pl.Int64,
}


@dataclass(frozen=True)
class Policy:
    """Fund settings the engine applies (loaded from the effective-dated policy table)."""

    filing_deadline_days: int = 60
    review_threshold_centimes: int = 500_000  # lines with a base above go to review
    late_policy: LatePolicy = LatePolicy.REJECT
    late_penalty_bp: int = 500  # per started month late, with LatePolicy.PENALTY
    # Categories whose lines wait for review until a supporting document is attached.
    document_categories: frozenset[str] = frozenset(
        c.value
        for c in (
            CareCategory.HOSPITALISATION,
            CareCategory.DENTAL_PROSTHESIS,
            CareCategory.OPTICAL,
            CareCategory.DEVICE,
        )
    )


@dataclass(frozen=True)
class Context:
    eligibility: pl.DataFrame
    tariffs: pl.DataFrame
    drug_prices: pl.DataFrame
    rates: pl.DataFrame
    complementary: pl.DataFrame
    exemptions: pl.DataFrame
    history: pl.DataFrame
    ceilings: pl.DataFrame
    policy: Policy = field(default_factory=Policy)
    requirements: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REQUIREMENTS))
    authorisations: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=AUTHORISATIONS)
    )


def empty(schema: dict[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(df: pl.DataFrame, schema: dict[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    """Select and cast the contract's columns, in order; a missing column is an error."""
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing}")
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])
