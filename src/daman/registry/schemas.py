"""API shapes of the registry (Pydantic v2).

Shapes check form only (types, lengths); what needs the database or a rule (known regime,
RIB key, duplicate CNIE, ages) is checked by the service and reported field by field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from daman.core.enums import AffiliationEndReason, LinkEndReason, Relationship, Sex
from daman.core.text import NO_BIDI

# Names and text a person types: no bidirectional control characters (core.text).
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NO_BIDI
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), NO_BIDI]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), NO_BIDI
]
LongName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NO_BIDI
]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- employers ---------------------------------------------------------------------------


class EmployerIn(BaseModel):
    number: Code = Field(description="CNSS affiliation number of the employer")
    name: LongName
    ice: str | None = Field(None, description="company identifier (ICE): 15 digits, mod-97 key")
    city: Text = ""


class EmployerPatch(BaseModel):
    name: LongName | None = None
    ice: str | None = None
    city: Text | None = None


class EmployerOut(_Out):
    id: int
    number: str
    name: str
    ice: str | None
    city: str


# -- persons and principal insured ------------------------------------------------------


class PersonFields(BaseModel):
    cnie: str | None = Field(None, description="national ID card number, e.g. BE123456")
    last_name: Name
    first_name: Name
    last_name_ar: Text | None = None
    first_name_ar: Text | None = None
    birth_date: date
    sex: Sex
    disabled: bool = False
    rib: str | None = Field(None, description="24-digit bank account number, key checked")
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    preferred_language: Annotated[str, StringConstraints(pattern="^(ar|fr|en)$")] = "fr"


class AffiliationFields(BaseModel):
    regime: Code = Field(description="regime code: CNOPS, CNSS_SAL, TNS, TADAMON, CHAMIL")
    valid_from: date | None = Field(None, description="registration date (default: today)")
    employer_number: str | None = Field(None, description="CNSS_SAL: the employer's number")
    mutual_code: str | None = Field(None, description="CNOPS: the member's mutual")
    rsu_score: str | None = Field(None, description="TADAMON, CHAMIL: RSU score (exact decimal)")


class InsuredIn(PersonFields, AffiliationFields):
    """A principal insured: the person and their first affiliation, in one call."""

    cnie: str = Field(description="national ID card number, e.g. BE123456")


class PersonPatch(BaseModel):
    cnie: str | None = None
    last_name: Name | None = None
    first_name: Name | None = None
    last_name_ar: Text | None = None
    first_name_ar: Text | None = None
    birth_date: date | None = None
    sex: Sex | None = None
    disabled: bool | None = None
    rib: str | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    preferred_language: Annotated[str, StringConstraints(pattern="^(ar|fr|en)$")] | None = None


class AffiliationOut(BaseModel):
    id: int
    regime_code: str
    employer_number: str | None
    mutual_code: str | None
    rsu_score: str | None
    valid_from: date
    valid_to: date | None
    end_reason: str | None


class PersonOut(_Out):
    id: int
    immatriculation: str
    cnie: str | None
    last_name: str
    first_name: str
    last_name_ar: str | None
    first_name_ar: str | None
    birth_date: date
    sex: str
    death_date: date | None
    disabled: bool
    rib: str | None
    phone: str | None
    preferred_language: str


class InsuredOut(PersonOut):
    regime_code: str | None = Field(None, description="regime of the latest affiliation")
    affiliations: list[AffiliationOut] = []


class InsuredSummary(BaseModel):
    immatriculation: str
    cnie: str | None
    last_name: str
    first_name: str
    last_name_ar: str | None
    first_name_ar: str | None
    birth_date: date
    sex: str
    death_date: date | None
    regime_code: str | None


class EndAffiliationIn(BaseModel):
    valid_to: date = Field(description="last day the conditions were met")
    reason: AffiliationEndReason


class NewAffiliationIn(AffiliationFields):
    """A regime change: the open affiliation ends the day before valid_from."""


class DeathIn(BaseModel):
    death_date: date


# -- dependents --------------------------------------------------------------------------


class DependentIn(BaseModel):
    """Link an existing person (immatriculation) or create one (person fields)."""

    relationship: Relationship
    valid_from: date | None = Field(None, description="start of the link (default: today)")
    transfer: bool = Field(False, description="close an open link to another principal first")
    immatriculation: str | None = None
    person: PersonFields | None = None


class DependentOut(BaseModel):
    person: PersonOut
    principal_immatriculation: str
    relationship: str
    valid_from: date
    valid_to: date | None
    end_reason: str | None


class EndLinkIn(BaseModel):
    valid_to: date = Field(description="last day of the link")
    reason: LinkEndReason


class StudentProofIn(BaseModel):
    valid_from: date
    valid_to: date
    institution: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class StudentProofOut(_Out):
    id: int
    valid_from: date
    valid_to: date
    institution: str


# -- contributions -----------------------------------------------------------------------


class ContributionIn(BaseModel):
    month: date = Field(description="month declared: YYYY-MM or its first day")
    declared_days: int = Field(0, ge=0, le=31)
    amount_centimes: int = Field(0, ge=0)
    paid: bool = True
    employer_number: str | None = None

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, v: object) -> object:
        if isinstance(v, str) and len(v.strip()) == 7:
            return f"{v.strip()}-01"
        return v


class ContributionsIn(BaseModel):
    items: list[ContributionIn] = Field(min_length=1, max_length=1000)


class ContributionOut(BaseModel):
    month: date
    declared_days: int
    amount_centimes: int
    paid: bool
    employer_number: str | None


# -- eligibility -------------------------------------------------------------------------


class EligibilityOut(BaseModel):
    immatriculation: str
    on: date
    covered: bool
    reason: str
    explanation: str
    regime_code: str | None
    as_dependent: bool
    principal_immatriculation: str | None
    mutual_code: str | None
    rights_until: date | None


class CounterEligibilityOut(BaseModel):
    """What a provider is told at the counter (role provider): whether the patient is
    covered on the date of care and what valuing the care needs. Nothing about relatives,
    the reason (job loss, divorce, death ...), or any other date: the full explanation
    (EligibilityOut) is for the fund's staff and the insured family."""

    model_config = ConfigDict(extra="forbid")

    immatriculation: str
    on: date = Field(description="the date of care asked about")
    covered: bool
    regime_code: str | None = Field(description="the regime covering the date; null if not")
    mutual_code: str | None = Field(description="CNOPS: the complementary mutual, if covered")
    ald_codes: list[str] = Field(
        description="ALD codes of the patient's exemptions in force on the date, if covered"
    )
