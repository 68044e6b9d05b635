"""API shapes of the reference domain. Money in integer centimes, rates in basis points."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from daman.core.enums import CareCategory, Confidence, Exemption, LatePolicy, Sector
from daman.reference.models import AldKind

_ORM = ConfigDict(from_attributes=True)


class RegimeOut(BaseModel):
    model_config = _ORM
    code: str
    name: str
    fund: str
    description: str


class MutualOut(BaseModel):
    model_config = _ORM
    code: str
    name: str = Field(description="in French")
    name_ar: str
    confidence: str = Field(description="of the names and code: H, M, L or assumption")


class ComplementaryRateOut(BaseModel):
    model_config = _ORM
    mutual_code: str | None = Field(description="null: every CNOPS mutual")
    category: str
    rate_bp: int
    valid_from: date
    valid_to: date | None
    source: str
    confidence: str


class MutualsOut(BaseModel):
    mutuals: list[MutualOut]
    complementary_rates: list[ComplementaryRateOut] = Field(
        description="complementary cover in force on the date asked"
    )


class TariffOut(BaseModel):
    model_config = _ORM
    id: int
    key: str
    label: str
    category: str
    regime_code: str | None = Field(description="null: every regime")
    value_centimes: int
    valid_from: date
    valid_to: date | None
    source: str
    confidence: str


class TariffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=20, examples=["C"])
    regime_code: str | None = Field(None, description="null: every regime", examples=["CNSS_SAL"])
    value_centimes: int = Field(examples=[15000])
    valid_from: date
    label: str | None = Field(None, max_length=200, description="required for a new key")
    category: CareCategory | None = Field(None, description="required for a new key")
    source: str = ""
    confidence: Confidence = Confidence.HIGH


class RateOut(BaseModel):
    model_config = _ORM
    id: int
    regime_code: str
    category: str
    sector: str | None = Field(description="null: any sector")
    exemption: str
    ald_code: str | None = Field(description="null: any exempted disease")
    rate_bp: int
    valid_from: date
    valid_to: date | None
    source: str
    confidence: str


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regime_code: str = Field(examples=["CNSS_SAL"])
    category: CareCategory
    sector: Sector | None = None
    exemption: Exemption = Exemption.NONE
    ald_code: str | None = None
    rate_bp: int = Field(examples=[8000])
    valid_from: date
    source: str = ""
    confidence: Confidence = Confidence.HIGH


class DrugPriceOut(BaseModel):
    model_config = _ORM
    ppv_centimes: int = Field(description="retail price (PPV)")
    ph_centimes: int = Field(description="hospital price (PH)")
    base_centimes: int = Field(description="reimbursement base (PRIX_BR)")
    rate_bp: int = Field(description="TAUX_REMBOURSEMENT: 7000 reimbursable, 0 not")
    valid_from: date
    valid_to: date | None
    list_name: str


class DrugOut(BaseModel):
    model_config = _ORM
    code: str
    name: str
    dci: str
    dosage: str
    dosage_unit: str
    form: str
    presentation: str
    princeps_generique: str
    price: DrugPriceOut | None = Field(
        None, description="the price on the list in force on the date asked (null: off-list)"
    )


class AldOut(BaseModel):
    model_config = _ORM
    code: str
    number: int | None
    kind: str
    name_fr: str
    name_ar: str | None
    icd10: str = Field(description="ICD-10 ranges mapped to the heading (a search aid)")
    valid_from: date
    valid_to: date | None
    source: str


class RateHistoryOut(RateOut):
    updated_by: str = Field(description="who made or last changed the version")


class ComplementaryRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mutual_code: str | None = Field(None, description="null: every CNOPS mutual")
    category: CareCategory
    rate_bp: int = Field(examples=[2000])
    valid_from: date
    source: str = ""
    confidence: Confidence = Confidence.HIGH


class CeilingOut(BaseModel):
    model_config = _ORM
    id: int
    category: str
    regime_code: str | None = Field(description="null: every regime")
    max_base_centimes: int | None
    max_quantity: int | None
    period_days: int
    valid_from: date
    valid_to: date | None
    source: str
    confidence: str
    updated_by: str


class CeilingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: CareCategory
    regime_code: str | None = Field(None, description="null: every regime")
    max_base_centimes: int | None = Field(None, description="null: no amount limit")
    max_quantity: int | None = Field(None, description="null: no unit limit")
    period_days: int = Field(examples=[365])
    valid_from: date
    source: str = ""
    confidence: Confidence = Confidence.HIGH


class PolicyOut(BaseModel):
    model_config = _ORM
    id: int
    valid_from: date
    valid_to: date | None
    filing_deadline_days: int
    late_policy: str
    late_penalty_bp: int = Field(description="per started month late")
    review_threshold_centimes: int
    max_line_quantity: int
    max_line_charged_centimes: int
    max_claim_charged_centimes: int
    document_categories: str = Field(description="comma-separated care categories")
    continuous_categories: str
    continuous_ald_categories: str
    source: str
    confidence: str
    updated_by: str


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    valid_from: date
    filing_deadline_days: int = Field(examples=[60])
    late_policy: LatePolicy
    late_penalty_bp: int = 0
    review_threshold_centimes: int
    max_line_quantity: int
    max_line_charged_centimes: int
    max_claim_charged_centimes: int
    document_categories: list[CareCategory] = []
    continuous_categories: list[CareCategory] = []
    continuous_ald_categories: list[CareCategory] = []
    source: str = ""
    confidence: Confidence = Confidence.HIGH


class AldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=20, examples=["ALD42"])
    kind: AldKind
    number: int | None = None
    name_fr: str = Field(max_length=500)
    name_ar: str = Field("", max_length=500)
    icd10: str = Field("", max_length=500)
    valid_from: date
    source: str = ""


class ClosingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    closed_from: date = Field(description="the first day it is no longer in force")


class AgencyOut(BaseModel):
    model_config = _ORM
    code: str
    name_fr: str
    name_ar: str
    city: str
    region: str
    valid_from: date
    valid_to: date | None
    updated_by: str


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=12, examples=["AG-TZ1"])
    name_fr: str = Field(max_length=200)
    name_ar: str = Field(max_length=200)
    city: str = Field(max_length=100)
    region: str = Field(max_length=100)
    valid_from: date


class ComplementaryHistoryOut(ComplementaryRateOut):
    id: int
    updated_by: str
