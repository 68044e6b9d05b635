"""Identifier systems, code systems and the value sets Daman checks itself.

fhir.resources validates structure and datatypes, not bindings: it accepts
``Claim.use = "foo"``. Every required code Daman reads is checked here against its value
set, and every code Daman writes comes from these tables, so that Daman never accepts nor
emits an invalid code.
"""

from __future__ import annotations

from enum import StrEnum

from daman.core.enums import CareCategory

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"
BASE = "https://daman.ma/fhir"

# -- identifier systems ------------------------------------------------------------------
IMMATRICULATION = f"{BASE}/sid/immatriculation"  # Daman's number of an insured person
CNIE = f"{BASE}/sid/cnie"  # the national electronic identity card
INPE = f"{BASE}/sid/inpe"  # a provider's number, issued by ANAM
EAN13 = "https://www.gs1.org/gtin"  # GS1 GTIN: the EAN-13 barcode of a medicine
CLAIM_NUMBER = f"{BASE}/sid/claim"  # a care sheet's number (F...)
PREAUTH_NUMBER = f"{BASE}/sid/preauthorisation"  # a pre-authorisation's number (PA...)
TRANSFER = f"{BASE}/sid/transfer"  # a payment transfer's EndToEndId
FUND = f"{BASE}/sid/fund"  # the fund itself, as insurer

# -- Daman's code systems ----------------------------------------------------------------
CS = f"{BASE}/CodeSystem"
CARE_CATEGORY = f"{CS}/care-category"
TNR_KEY = f"{CS}/tnr-key"  # letter keys of the national reference tariff (C, K, B ...)
ACT_CODE = f"{CS}/act-code"  # the code of an act as billed
ALD = f"{CS}/ald"  # the long-term diseases list
CARE_KIND = f"{CS}/care-kind"  # what a pre-authorisation is for
REGIME = f"{CS}/regime"
MUTUAL = f"{CS}/mutual"
REASON = f"{CS}/adjudication-reason"  # the engine's reason codes (published)
ADJUDICATION_DAMAN = f"{CS}/adjudication"  # Daman's own adjudication category
CARE_TEAM_ROLE = f"{CS}/care-team-role"
INFORMATION_CATEGORY = f"{CS}/information-category"
COEFFICIENT = f"{BASE}/StructureDefinition/tnr-coefficient"  # extension: K 22.5

# -- HL7 code systems ---------------------------------------------------------------------
HL7 = "http://terminology.hl7.org/CodeSystem"
ADJUDICATION = f"{HL7}/adjudication"
CLAIM_TYPE = f"{HL7}/claim-type"
PROCESS_PRIORITY = f"{HL7}/processpriority"
PAYEE_TYPE = f"{HL7}/payeetype"
COVERAGE_CLASS = f"{HL7}/coverage-class"
BENEFIT_TYPE = f"{HL7}/benefit-type"
SUBSCRIBER_RELATIONSHIP = f"{HL7}/subscriber-relationship"
EX_PAYMENT_TYPE = f"{HL7}/ex-paymenttype"
PAYMENT_STATUS = f"{HL7}/paymentstatus"
V2_0203 = f"{HL7}/v2-0203"

# The care a claim line is for: Daman's categories.
CATEGORIES = frozenset(c.value for c in CareCategory)

# Required bindings of the financial module that Daman reads or writes (R4 value sets).
FINANCIAL_STATUS = frozenset({"active", "cancelled", "draft", "entered-in-error"})
CLAIM_USE = frozenset({"claim", "preauthorization", "predetermination"})
ELIGIBILITY_PURPOSE = frozenset({"auth-requirements", "benefits", "discovery", "validation"})
REMITTANCE_OUTCOME = frozenset({"queued", "complete", "error", "partial"})
CLAIM_TYPES = frozenset({"institutional", "oral", "pharmacy", "professional", "vision"})
ADMINISTRATIVE_GENDER = frozenset({"male", "female", "other", "unknown"})
NOTE_TYPE = frozenset({"display", "print", "printoper"})
COVERAGE_STATUS = FINANCIAL_STATUS
TASK_STATUS = frozenset(
    {
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "ready",
        "cancelled",
        "in-progress",
        "on-hold",
        "failed",
        "completed",
        "entered-in-error",
    }
)
EVENT_STATUS = frozenset(  # Communication.status
    {
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "entered-in-error",
        "unknown",
    }
)
ISSUE_SEVERITY = frozenset({"fatal", "error", "warning", "information"})
ISSUE_TYPE = frozenset(
    {
        "invalid",
        "structure",
        "required",
        "value",
        "invariant",
        "security",
        "login",
        "unknown",
        "expired",
        "forbidden",
        "suppressed",
        "processing",
        "not-supported",
        "duplicate",
        "multiple-matches",
        "not-found",
        "deleted",
        "too-long",
        "code-invalid",
        "extension",
        "too-costly",
        "business-rule",
        "conflict",
        "transient",
        "lock-error",
        "no-store",
        "exception",
        "timeout",
        "incomplete",
        "throttled",
        "informational",
    }
)
# The HL7 adjudication categories Daman emits (http://terminology.hl7.org/CodeSystem/adjudication).
HL7_ADJUDICATION = frozenset(
    {
        "submitted",
        "copay",
        "eligible",
        "deductible",
        "unallocdeduct",
        "eligpercent",
        "tax",
        "benefit",
    }
)


class Adjudication(StrEnum):
    """The amounts of a line, by category: HL7's, and the mutual's complementary part."""

    SUBMITTED = "submitted"  # what was charged
    ELIGIBLE = "eligible"  # the base the rate applies to
    ELIGPERCENT = "eligpercent"  # the AMO rate, a percentage
    BENEFIT = "benefit"  # what AMO pays
    COPAY = "copay"  # what the patient keeps (ticket modérateur and beyond the base)
    COMPLEMENTARY = "complementary"  # what the mutual adds (Daman's code system)


def adjudication_system(category: Adjudication) -> str:
    return ADJUDICATION_DAMAN if category is Adjudication.COMPLEMENTARY else ADJUDICATION


# Which claim type a care category is billed under (Claim.type, required by FHIR).
CLAIM_TYPE_OF: dict[str, str] = {
    CareCategory.MEDICINE: "pharmacy",
    CareCategory.DENTAL: "oral",
    CareCategory.DENTAL_PROSTHESIS: "oral",
    CareCategory.ORTHODONTICS: "oral",
    CareCategory.OPTICAL: "vision",
    CareCategory.HOSPITALISATION: "institutional",
}

CURRENCY = "MAD"
