"""API shapes of prescriptions: what a doctor writes and what the fund answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from daman.core.dates import aware
from daman.core.text import SafeText

Instant = Annotated[datetime, AfterValidator(aware)]

MAX_LINES = 10  # medicines on one prescription
MAX_BOXES = 12  # boxes of one medicine (a year of a monthly box)
MAX_DAYS = 365  # a treatment's duration


class PrescriptionLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drug_code: SafeText = Field(
        min_length=1, max_length=13, description="EAN-13 of a medicine on the list in force"
    )
    dosage: SafeText = Field(
        min_length=1, max_length=200, description="how to take it: 1 tablet morning and evening"
    )
    duration_days: int = Field(ge=-10_000, le=10_000, description=f"1..{MAX_DAYS} days")
    boxes: int = Field(1, ge=-10_000, le=10_000, description=f"boxes to dispense, 1..{MAX_BOXES}")


class PrescriptionIn(BaseModel):
    """A prescription, written by the doctor whose account or key sends it."""

    model_config = ConfigDict(extra="forbid")

    patient: SafeText = Field(min_length=1, max_length=12, description="immatriculation")
    ald_code: SafeText | None = Field(
        None,
        max_length=20,
        description="the ALD the treatment is for: an exemption of the patient in force today "
        "(its medicines are then billed by the pharmacy to the fund: tiers payant)",
    )
    lines: list[PrescriptionLineIn] = Field(max_length=50)


class DispensedBoxOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    box_no: int
    ean: str
    claim: str = Field(description="number of the care sheet that billed it")
    dispensed_at: Instant


class PrescriptionLineOut(BaseModel):
    line_no: int
    drug_code: str
    drug_name: str
    dosage: str
    duration_days: int
    boxes: int
    boxes_left: int
    dispensed: list[DispensedBoxOut]


class PrescriptionOut(BaseModel):
    number: str
    patient: str = Field(description="immatriculation")
    prescriber: str = Field(description="INPE of the doctor")
    prescriber_name: str
    prescribed_on: date
    valid_until: date
    ald_code: str | None
    dispensable: bool = Field(description="in force and with boxes left")
    lines: list[PrescriptionLineOut]
