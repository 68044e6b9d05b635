"""API shapes of the pharmacy's counter: the boxes scanned, their valuation, a dispensing."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from daman.claims.models import LineStatus
from daman.claims.schemas import ClaimOut, Explanation
from daman.core.text import SafeText
from daman.prescriptions.schemas import PrescriptionOut


class BoxesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    boxes: list[SafeText] = Field(
        max_length=100, description="the EAN-13 of each box handed over, one entry per box"
    )


class CounterLineOut(BaseModel):
    line_no: int
    drug_code: str
    drug_name: str
    quantity: int
    charged_centimes: int
    status: LineStatus
    amo_centimes: int
    complementary_centimes: int = Field(description="what the mutual pays")
    patient_centimes: int
    reasons: list[Explanation]


class CounterValuationOut(BaseModel):
    """The boxes valued as a care sheet by the engine, nothing stored."""

    prescription: str
    patient: str
    third_party: bool = Field(
        description="tiers payant: medicines for an ALD the patient is exempted for, billed "
        "to the fund, which pays the pharmacy"
    )
    charged_centimes: int
    amo_centimes: int
    complementary_centimes: int
    patient_centimes: int
    patient_pays_now_centimes: int = Field(
        description="the patient's share under tiers payant, else the whole price"
    )
    lines: list[CounterLineOut]


class DispensingOut(BaseModel):
    third_party: bool
    patient_pays_now_centimes: int
    claim: ClaimOut = Field(description="the care sheet submitted, as valued")
    prescription: PrescriptionOut = Field(description="the boxes left after this dispensing")
