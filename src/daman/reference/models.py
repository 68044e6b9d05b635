"""Reference tables. Every figure is a row with valid_from/valid_to, never a constant in code.

Resolution at a date of care: the row whose range covers the date; where a regime-specific
row and a general row (regime NULL) both cover it, the specific one wins.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from daman.core.db import Base, Tracked


class Regime(Tracked, Base):
    __tablename__ = "regimes"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    fund: Mapped[str] = mapped_column(String(20))  # CNOPS or CNSS
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
    confidence: Mapped[str] = mapped_column(String(12), default="H")


class CoverageRate(Tracked, Base):
    """AMO rate by regime x care category x sector x exemption, in basis points."""

    __tablename__ = "coverage_rates"
    __table_args__ = (
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_range"),
        Index("ix_coverage_rates_lookup", "regime_code", "category"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    regime_code: Mapped[str] = mapped_column(ForeignKey("regimes.code"))
    category: Mapped[str] = mapped_column(String(30))  # CareCategory
    sector: Mapped[str | None] = mapped_column(String(10))  # Sector, NULL = any sector
    exemption: Mapped[str] = mapped_column(String(10), default="none")  # Exemption
    ald_code: Mapped[str | None] = mapped_column(String(20))  # NULL = any exempted disease
    rate_bp: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(12), default="H")


class Mutual(Tracked, Base):
    """A CNOPS mutual managing ordinary care and adding complementary cover."""

    __tablename__ = "mutuals"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # French
    name_ar: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(12), default="M")


class ComplementaryRate(Tracked, Base):
    """Complementary cover paid after AMO, as a share of the base (or of the TNR)."""

    __tablename__ = "complementary_rates"
    id: Mapped[int] = mapped_column(primary_key=True)
    mutual_code: Mapped[str | None] = mapped_column(ForeignKey("mutuals.code"))  # NULL = all
    category: Mapped[str] = mapped_column(String(30))
    rate_bp: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(12), default="H")


class ActTariff(Tracked, Base):
    """Value of a TNR letter key (C, Cs, K, B, D ...) or a per-day tariff, in centimes."""

    __tablename__ = "act_tariffs"
    __table_args__ = (Index("ix_act_tariffs_lookup", "key", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30))  # CareCategory it prices by default
    regime_code: Mapped[str | None] = mapped_column(ForeignKey("regimes.code"))  # NULL = all
    value_centimes: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(12), default="H")


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
    princeps_generique: Mapped[str] = mapped_column(String(1), default="")  # P brand, G generic
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


class AldDisease(Tracked, Base):
    """A heading of the ALD/ALC list (arrêté 2518-05), with its mapped ICD-10 codes."""

    __tablename__ = "ald_diseases"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. ALD09
    number: Mapped[int | None] = mapped_column(Integer)  # number on the legal list
    kind: Mapped[str] = mapped_column(String(3), default="ald")  # ald or alc
    name_fr: Mapped[str] = mapped_column(Text)
    name_ar: Mapped[str | None] = mapped_column(Text)
    icd10: Mapped[str] = mapped_column(Text, default="")  # ranges, e.g. "E10-E14"
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")


class ImportRun(Tracked, Base):
    """One import of a reference or registry file: what came in, from where, with what result."""

    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[date | None] = mapped_column(Date)
    report: Mapped[str] = mapped_column(Text, default="")
