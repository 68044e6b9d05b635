"""Enumerations shared across domains (StrEnum: stored and shown as their value)."""

from __future__ import annotations

from enum import StrEnum

from daman.core.i18n import N_


class RegimeCode(StrEnum):
    CNOPS = "CNOPS"
    CNSS_SAL = "CNSS_SAL"
    TNS = "TNS"
    TADAMON = "TADAMON"
    CHAMIL = "CHAMIL"


class Sector(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class CareCategory(StrEnum):
    CONSULTATION = "consultation"
    MEDICAL_ACT = "medical_act"
    MEDICINE = "medicine"
    LAB = "lab"
    IMAGING = "imaging"
    DENTAL = "dental"
    DENTAL_PROSTHESIS = "dental_prosthesis"
    ORTHODONTICS = "orthodontics"
    OPTICAL = "optical"
    DEVICE = "device"
    HOSPITALISATION = "hospitalisation"
    PARAMEDICAL = "paramedical"


# How a care category reads on a page (catalogue message ids).
CATEGORY_LABELS = {
    CareCategory.CONSULTATION: N_("Consultation"),
    CareCategory.MEDICAL_ACT: N_("Medical act"),
    CareCategory.MEDICINE: N_("Medicine"),
    CareCategory.LAB: N_("Laboratory"),
    CareCategory.IMAGING: N_("Imaging"),
    CareCategory.DENTAL: N_("Dental care"),
    CareCategory.DENTAL_PROSTHESIS: N_("Dental prosthesis"),
    CareCategory.ORTHODONTICS: N_("Orthodontics"),
    CareCategory.OPTICAL: N_("Optical"),
    CareCategory.DEVICE: N_("Medical device"),
    CareCategory.HOSPITALISATION: N_("Hospitalisation"),
    CareCategory.PARAMEDICAL: N_("Paramedical care"),
}


class Exemption(StrEnum):
    NONE = "none"
    ALD = "ald"
    ALC = "alc"


# The decision on a claim line (the engine writes these values in its frames). No docstring:
# it would become the schema's description in the OpenAPI document.
class LineStatus(StrEnum):
    ACCEPTED = "accepted"
    REDUCED = "reduced"
    REJECTED = "rejected"
    PENDING_REVIEW = "pending_review"


# What the fund's policy does with a claim filed after the deadline.
class LatePolicy(StrEnum):
    REJECT = "reject"  # its lines are rejected
    PENALTY = "penalty"  # the AMO part is cut by late_penalty_bp per started month late


class Confidence(StrEnum):
    HIGH = "H"
    MEDIUM = "M"
    LOW = "L"
    ASSUMPTION = "assumption"


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class Relationship(StrEnum):
    SPOUSE = "spouse"
    CHILD = "child"


class LinkEndReason(StrEnum):
    DIVORCE = "divorce"
    DEATH_OF_PRINCIPAL = "death_of_principal"
    DEATH = "death"
    OTHER = "other"
    TRANSFER = "transfer"


class AffiliationEndReason(StrEnum):
    JOB_LOSS = "job_loss"
    REGIME_CHANGE = "regime_change"
    DEATH = "death"
    RETIREMENT = "retirement"
    OTHER = "other"


class ProviderKind(StrEnum):
    DOCTOR = "doctor"
    DENTIST = "dentist"
    PHARMACY = "pharmacy"
    LAB = "lab"
    IMAGING_CENTRE = "imaging_centre"
    CLINIC = "clinic"
    HOSPITAL = "hospital"
    PARAMEDICAL = "paramedical"
    OPTICIAN = "optician"
