"""Reference tables. Every figure is a row with valid_from/valid_to, never a constant in code.

Resolution at a date of care: the row whose range covers the date; where a regime-specific
row and a general row (regime NULL) both cover it, the specific one wins.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.core.db import Base, StringEnum, Tracked
from daman.core.enums import CareCategory, Confidence, Exemption, LatePolicy, Sector


class Fund(StrEnum):
    CNOPS = "CNOPS"  # public sector
    CNSS = "CNSS"  # private sector, self-employed, TADAMON and CHAMIL


class Regime(Tracked, Base):
    __tablename__ = "regimes"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    fund: Mapped[Fund] = mapped_column(StringEnum(Fund, 20))
    description: Mapped[str] = mapped_column(Text, default="")


class RightsRule(Tracked, Base):
    """How a regime opens and keeps rights, effective-dated (rules.md section 1)."""

    __tablename__ = "rights_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    regime_code: Mapped[str] = mapped_column(ForeignKey("regimes.code"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # rights open when `opening_days` declared days fall within `opening_window_months`
    opening_days: Mapped[int | None] = mapped_column(Integer)
    opening_window_months: Mapped[int | None] = mapped_column(Integer)
    # rights open only after a first paid contribution, then `waiting_months`
    needs_paid_contribution: Mapped[bool] = mapped_column(Boolean, default=False)
    waiting_months: Mapped[int] = mapped_column(Integer, default=0)
    # TADAMON: RSU score at or below this threshold (stored as text, exact decimal)
    rsu_max: Mapped[str | None] = mapped_column(String(20))
    maintain_job_loss_months: Mapped[int] = mapped_column(Integer, default=6)
    maintain_divorce_months: Mapped[int] = mapped_column(Integer, default=12)
    maintain_survivor_months: Mapped[int] = mapped_column(Integer, default=24)
    child_max_age: Mapped[int] = mapped_column(Integer, default=21)
    student_max_age: Mapped[int] = mapped_column(Integer, default=26)
    ald_keeps_rights: Mapped[bool] = mapped_column(Boolean, default=True)
    # Declarations for a month arrive this many months later (CNSS_SAL: employers declare
    # month M during M+1): until then the last declared month still counts as current.
    declaration_lag_months: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class CoverageRate(Tracked, Base):
    """AMO rate by regime x care category x sector x exemption, in basis points."""

    __tablename__ = "coverage_rates"
    __table_args__ = (
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_range"),
        Index("ix_coverage_rates_lookup", "regime_code", "category"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    regime_code: Mapped[str] = mapped_column(ForeignKey("regimes.code"))
    category: Mapped[CareCategory] = mapped_column(StringEnum(CareCategory, 30))
    sector: Mapped[Sector | None] = mapped_column(StringEnum(Sector, 10))  # NULL = any sector
    exemption: Mapped[Exemption] = mapped_column(StringEnum(Exemption, 10), default=Exemption.NONE)
    ald_code: Mapped[str | None] = mapped_column(String(20))  # NULL = any exempted disease
    rate_bp: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class Mutual(Tracked, Base):
    """A CNOPS mutual managing ordinary care and adding complementary cover."""

    __tablename__ = "mutuals"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # French
    name_ar: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.MEDIUM
    )


class Agency(Tracked, Base):
    """A point of the fund that accepts files (CNSS counts about 2,000): agents belong to
    one, and a paper care sheet records the one that received it."""

    __tablename__ = "agencies"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(200))
    name_ar: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ComplementaryRate(Tracked, Base):
    """Complementary cover paid after AMO, as a share of the base (or of the TNR)."""

    __tablename__ = "complementary_rates"
    id: Mapped[int] = mapped_column(primary_key=True)
    mutual_code: Mapped[str | None] = mapped_column(ForeignKey("mutuals.code"))  # NULL = all
    category: Mapped[CareCategory] = mapped_column(StringEnum(CareCategory, 30))
    rate_bp: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class ActTariff(Tracked, Base):
    """Value of a TNR letter key (C, Cs, K, B, D ...) or a per-day tariff, in centimes."""

    __tablename__ = "act_tariffs"
    __table_args__ = (Index("ix_act_tariffs_lookup", "key", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200))
    # the care category it prices by default
    category: Mapped[CareCategory] = mapped_column(StringEnum(CareCategory, 30))
    regime_code: Mapped[str | None] = mapped_column(ForeignKey("regimes.code"))  # NULL = all
    value_centimes: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class DrugType(StrEnum):
    BRAND = "P"  # princeps
    GENERIC = "G"  # générique
    UNSTATED = ""  # not given on the list


class Drug(Tracked, Base):
    """A medicine on the reference list, identified by its EAN-13 code."""

    __tablename__ = "drugs"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    dci: Mapped[str] = mapped_column(String(300), default="")
    dosage: Mapped[str] = mapped_column(String(60), default="")
    dosage_unit: Mapped[str] = mapped_column(String(30), default="")
    form: Mapped[str] = mapped_column(String(200), default="")
    presentation: Mapped[str] = mapped_column(String(300), default="")
    princeps_generique: Mapped[DrugType] = mapped_column(
        StringEnum(DrugType, 1), default=DrugType.UNSTATED
    )
    prices: Mapped[list[DrugPrice]] = relationship(
        back_populates="drug", order_by="DrugPrice.valid_from"
    )


class DrugPrice(Tracked, Base):
    """Prices of a drug on one list, in force from valid_from to valid_to."""

    __tablename__ = "drug_prices"
    __table_args__ = (
        UniqueConstraint("drug_id", "valid_from", name="drug_valid_from"),
        Index("ix_drug_prices_lookup", "drug_id", "valid_from"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"))
    ppv_centimes: Mapped[int] = mapped_column(Integer)  # retail price
    ph_centimes: Mapped[int] = mapped_column(Integer)  # hospital price
    base_centimes: Mapped[int] = mapped_column(Integer)  # PRIX_BR, the reimbursement base
    rate_bp: Mapped[int] = mapped_column(Integer)  # TAUX_REMBOURSEMENT: 7000 or 0
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    list_name: Mapped[str] = mapped_column(String(200), default="")
    drug: Mapped[Drug] = relationship(back_populates="prices")


class AldKind(StrEnum):
    ALD = "ald"  # affection de longue durée
    ALC = "alc"  # affection lourde et coûteuse


class AldDisease(Tracked, Base):
    """A heading of the ALD/ALC list (arrêté 2518-05), with its mapped ICD-10 codes."""

    __tablename__ = "ald_diseases"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. ALD09
    number: Mapped[int | None] = mapped_column(Integer)  # number on the legal list
    kind: Mapped[AldKind] = mapped_column(StringEnum(AldKind, 3), default=AldKind.ALD)
    name_fr: Mapped[str] = mapped_column(Text)
    name_ar: Mapped[str | None] = mapped_column(Text)
    icd10: Mapped[str] = mapped_column(Text, default="")  # ranges, e.g. "E10-E14"
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")


class ImportKind(StrEnum):
    DRUGS = "drugs"
    ALD = "ald"
    CLAIMS = "claims"
    REGISTRY_PERSONS = "registry_persons"
    REGISTRY_CONTRIBUTIONS = "registry_contributions"


class ImportRun(Tracked, Base):
    """One import of a reference or registry file: what came in, from where, with what result."""

    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(StringEnum(ImportKind, 40))
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[date | None] = mapped_column(Date)
    report: Mapped[str] = mapped_column(Text, default="")


# The fund's adjudication policy and ceilings: effective-dated rows (seeded by migration 0003
# with rules.md's defaults) that an administrator edits as data.

# Defaults of the policy's continuous care (migration 0010): physiotherapy, speech therapy
# and orthoptics sessions, hospital stays; under an ALD, chronic medicine and the sessions
# of medical acts (dialysis, chemotherapy, radiotherapy).
CONTINUOUS_CATEGORIES = "paramedical,hospitalisation"
CONTINUOUS_ALD_CATEGORIES = "medicine,medical_act"


class AdjudicationPolicy(Tracked, Base):
    """Fund settings the engine and intake apply, effective-dated by the claim's deposit
    date."""

    __tablename__ = "adjudication_policies"
    __table_args__ = (
        CheckConstraint("late_policy IN ('reject', 'penalty')", name="late_policy"),
        CheckConstraint("filing_deadline_days > 0", name="deadline_positive"),
        CheckConstraint("max_line_quantity >= 1", name="max_quantity_positive"),
        CheckConstraint(
            "max_line_charged_centimes >= 1"
            " AND max_line_charged_centimes <= max_claim_charged_centimes"
            " AND max_claim_charged_centimes <= 2000000000",  # core.money.MAX_CENTIMES
            name="charged_limits",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    filing_deadline_days: Mapped[int] = mapped_column(Integer)
    late_policy: Mapped[LatePolicy] = mapped_column(StringEnum(LatePolicy, 10))
    late_penalty_bp: Mapped[int] = mapped_column(Integer)  # per started month late
    review_threshold_centimes: Mapped[int] = mapped_column(Integer)  # base above -> review
    max_line_quantity: Mapped[int] = mapped_column(Integer)  # refused at the door above
    # care categories whose lines wait for review until a document is attached
    document_categories: Mapped[str] = mapped_column(String(300))  # comma-separated
    # Refused at the door above: what one line, and one claim, may say was charged.
    max_line_charged_centimes: Mapped[int] = mapped_column(
        Integer, server_default=text("1000000000")
    )
    max_claim_charged_centimes: Mapped[int] = mapped_column(
        Integer, server_default=text("2000000000")
    )
    # Care that is continuous by nature (a course of sessions, a hospital stay): a claim
    # of such lines may give continuous_treatment_end, from which the deadline counts.
    continuous_categories: Mapped[str] = mapped_column(  # comma-separated
        String(300), server_default=CONTINUOUS_CATEGORIES
    )
    # The same, for lines linked to an ALD the patient is exempted for on the care date.
    continuous_ald_categories: Mapped[str] = mapped_column(  # comma-separated
        String(300), server_default=CONTINUOUS_ALD_CATEGORIES
    )
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class Ceiling(Tracked, Base):
    """At most max_base_centimes of base and/or max_quantity units of a care category
    within period_days, per patient (regime NULL = every regime)."""

    __tablename__ = "ceilings"
    __table_args__ = (
        CheckConstraint(
            "max_base_centimes IS NOT NULL OR max_quantity IS NOT NULL", name="some_limit"
        ),
        CheckConstraint("period_days > 0", name="period_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[CareCategory] = mapped_column(StringEnum(CareCategory, 30))
    regime_code: Mapped[str | None] = mapped_column(ForeignKey("regimes.code"))
    max_base_centimes: Mapped[int | None] = mapped_column(Integer)
    max_quantity: Mapped[int | None] = mapped_column(Integer)
    period_days: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Confidence] = mapped_column(
        StringEnum(Confidence, 12), default=Confidence.HIGH
    )


class ReferenceVersion(Base):
    """The version stamp of the reference data: one row, given a new random value by a
    database trigger on every statement that writes to a reference table (REFERENCE_TABLES,
    migration 0018), in the writer's transaction. What a process derived from reference
    data is kept as long as the stamp is the one it read (daman.reference.cache)."""

    __tablename__ = "reference_version"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


# The tables whose writes change the stamp: what the engine, intake and explanations read.
REFERENCE_TABLES = (
    "regimes",
    "rights_rules",
    "coverage_rates",
    "mutuals",
    "complementary_rates",
    "act_tariffs",
    "drugs",
    "drug_prices",
    "ald_diseases",
    "adjudication_policies",
    "ceilings",
    "preauth_requirements",
)
